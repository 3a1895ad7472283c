//! Helpers of the tests that run trueshot as a cluster: `trueshot users` and `trueshot worker`
//! processes, a signed-in client, uploads and waiting for photos to be made.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{agent, root, PASSWORD};

/// Signs in; the session's cookie and CSRF token.
pub fn login(base: &str, email: &str) -> Who {
    let mut r = agent()
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .send(json!({"email": email, "password": PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200, "login {email}");
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    Who {
        cookie: r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
        csrf: body["csrf"].as_str().unwrap().to_string(),
    }
}

/// Uploads a photo of the repository; its id, or why it was not accepted (the status and
/// body, or the connection's error).
pub fn try_upload(base: &str, who: &Who, photo: &str) -> Result<i64, String> {
    let bytes = std::fs::read(root().join(photo)).unwrap();
    let name = photo.rsplit('/').next().unwrap();
    let mut r = agent()
        .post(format!("{base}/api/photos"))
        .header("cookie", &who.cookie)
        .header("x-csrf-token", &who.csrf)
        .header("x-filename", name)
        .send(&bytes[..])
        .map_err(|e| e.to_string())?;
    let body = r.body_mut().read_to_vec().map_err(|e| e.to_string())?;
    if r.status() != 202 {
        return Err(format!(
            "{}: {}",
            r.status(),
            String::from_utf8_lossy(&body)
        ));
    }
    json_of(&body)["id"]
        .as_i64()
        .ok_or_else(|| "no id".to_string())
}

pub fn users(url: &str, data: &std::path::Path, args: &[&str], stdin: &str) -> String {
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

/// A `trueshot worker` process; killed (SIGKILL) when dropped.
pub struct Worker(pub std::process::Child);

impl Worker {
    pub fn start(url: &str, nats: Option<&str>, data: &std::path::Path) -> Worker {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_trueshot"))
            .args([
                "worker",
                "--database",
                url,
                "--workers",
                "1",
                "--lease",
                "3",
            ])
            .args(nats.iter().flat_map(|n| ["--nats", *n]))
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("trueshot worker: 1 workers"), "{line}");
        Worker(child)
    }

    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn upload(base: &str, who: &Who, photo: &str) -> i64 {
    try_upload(base, who, photo).unwrap_or_else(|e| panic!("upload {photo}: {e}"))
}

/// Waits until a photo is no longer queued or being made; its view.
pub fn wait_until_made(base: &str, who: &Who, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let (status, bytes) = get(base, who, &format!("/api/photos/{id}"));
        assert_eq!(status, 200);
        let view = json_of(&bytes);
        if !matches!(view["status"].as_str(), Some("queued" | "processing")) {
            return view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the photo was not made: {view}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub struct Who {
    pub cookie: String,
    pub csrf: String,
}

pub fn get(base: &str, who: &Who, path: &str) -> (u16, Vec<u8>) {
    let mut r = agent()
        .get(format!("{base}{path}"))
        .header("cookie", &who.cookie)
        .call()
        .unwrap();
    let mut bytes = Vec::new();
    r.body_mut().as_reader().read_to_end(&mut bytes).unwrap();
    (r.status().as_u16(), bytes)
}

pub fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}
