//! `trueshot serve --database postgres://…`: the state in a real PostgreSQL server (started by
//! the test on a loopback port), shared by two server replicas over one photo folder. An
//! account made with `trueshot users add --database`, a session opened on one replica and used
//! on the other, a photo uploaded to one and followed, made and fetched through the other, a
//! guideline set on one that the other applies, a sign-out on one that ends the session on both.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{agent, root, scratch, Server, PASSWORD};

#[path = "../../server/tests/postgres/mod.rs"]
mod postgres;

fn users(url: &str, data: &std::path::Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trueshot"))
        .arg("users")
        .args(args)
        .args(["--database", url, "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write!(child.stdin.take().unwrap(), "{stdin}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "users {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Who {
    cookie: String,
    csrf: String,
}

fn get(base: &str, who: &Who, path: &str) -> (u16, Vec<u8>) {
    let mut r = agent()
        .get(format!("{base}{path}"))
        .header("cookie", &who.cookie)
        .call()
        .unwrap();
    let mut bytes = Vec::new();
    r.body_mut().as_reader().read_to_end(&mut bytes).unwrap();
    (r.status().as_u16(), bytes)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

#[test]
fn two_replicas_on_postgres_share_accounts_sessions_and_photos() {
    let pg = postgres::Postgres::start();
    let url = pg.url();
    let data = scratch("postgres");
    let said = users(
        &url,
        &data,
        &["add", "ann@example.com", "--admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(said.contains("can log in now"), "{said}");
    let invited = users(&url, &data, &["add", "bob@example.com"], "");
    assert!(invited.contains("/invite/"), "{invited}");
    let listed = users(&url, &data, &["list"], "");
    assert!(
        listed.contains("ann@example.com\tadmin") && listed.contains("bob@example.com\tmember"),
        "{listed}"
    );
    assert!(
        !data.join("trueshot.db").exists(),
        "nothing is kept in SQLite when a database is named"
    );

    let flags = ["--database", url.as_str(), "--workers", "1"];
    let a = Server::start(&data, &flags);
    let b = Server::start(&data, &flags);

    // Signed in on A …
    let mut r = agent()
        .post(format!("{}/api/login", a.base))
        .header("content-type", "application/json")
        .send(json!({"email": "ann@example.com", "password": PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let ann = Who {
        cookie: r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
        csrf: body["csrf"].as_str().unwrap().to_string(),
    };
    // … is signed in on B.
    let (status, me) = get(&b.base, &ann, "/api/me");
    assert_eq!(status, 200);
    assert_eq!(json_of(&me)["user"]["email"], "ann@example.com");

    // A photo uploaded to A is made by whichever replica's worker claims it, and B shows it.
    let photo = std::fs::read(root().join("photos/samples/grace_hopper.jpg")).unwrap();
    let mut r = agent()
        .post(format!("{}/api/photos", a.base))
        .header("cookie", &ann.cookie)
        .header("x-csrf-token", &ann.csrf)
        .header("x-filename", "grace_hopper.jpg")
        .send(&photo[..])
        .unwrap();
    assert_eq!(
        r.status(),
        202,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
    let id = json_of(&r.body_mut().read_to_vec().unwrap())["id"]
        .as_i64()
        .unwrap();
    let started = Instant::now();
    let view = loop {
        let (status, bytes) = get(&b.base, &ann, &format!("/api/photos/{id}"));
        assert_eq!(status, 200);
        let view = json_of(&bytes);
        if !matches!(view["status"].as_str(), Some("queued" | "processing")) {
            break view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the photo was not made: {view}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(view["status"], "ready", "{view}");
    let headshot = view["headshots"][0]["url"].as_str().unwrap();
    for server in [&a, &b] {
        let (status, jpeg) = get(&server.base, &ann, headshot);
        assert_eq!(status, 200, "{headshot}");
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    }
    let (_, list) = get(&a.base, &ann, "/api/photos");
    assert_eq!(json_of(&list).as_array().map(Vec::len), Some(1));

    // A guideline set on A is the one B shows and applies.
    let (_, before) = get(&b.base, &ann, "/api/guideline");
    let before = json_of(&before);
    let toml = before["toml"].as_str().unwrap().to_string() + "\n# Berlin office\n";
    let r = agent()
        .put(format!("{}/api/guideline", a.base))
        .header("cookie", &ann.cookie)
        .header("x-csrf-token", &ann.csrf)
        .header("content-type", "application/json")
        .send(json!({ "toml": toml }).to_string())
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, after) = get(&b.base, &ann, "/api/guideline");
    let after = json_of(&after);
    assert_eq!(after["toml"].as_str(), Some(toml.as_str()));
    assert_ne!(after["sha256"], before["sha256"]);

    // Signing out on B ends the session on A too.
    let r = agent()
        .post(format!("{}/api/logout", b.base))
        .header("cookie", &ann.cookie)
        .header("x-csrf-token", &ann.csrf)
        .send_empty()
        .unwrap();
    assert!(r.status().is_success());
    let (status, _) = get(&a.base, &ann, "/api/me");
    assert_eq!(status, 401);
}
