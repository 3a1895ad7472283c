//! `trueshot serve --database postgres://…`: the state in a real PostgreSQL server (started by
//! the test on a loopback port), shared by two server replicas and `trueshot worker`s over one
//! photo folder. An account made with `trueshot users add --database`, a session opened on one
//! replica and used on the other, a photo uploaded to one, made by a worker, followed and
//! fetched through the other, a worker killed (SIGKILL) while making a photo and the photo made
//! by the next worker once its lease ran out, a
//! guideline set on one that the other applies, a sign-out on one that ends the session on both.

use std::time::{Duration, Instant};

use serde_json::json;

mod common;
use common::cluster::{get, json_of, login, upload, users, wait_until_made, Worker};
use common::{agent, scratch, Server, PASSWORD};

#[path = "../../server/tests/postgres/mod.rs"]
mod postgres;

#[path = "../../server/tests/nats/mod.rs"]
mod nats;

#[test]
fn replicas_and_workers_on_postgres_share_accounts_sessions_and_photos() {
    replicas_and_workers(None);
}

#[test]
fn jobs_reach_workers_through_a_jetstream_stream() {
    let nats = nats::Cluster::start(1);
    replicas_and_workers(Some(&nats.urls()[0]));
}

fn replicas_and_workers(nats: Option<&str>) {
    let pg = postgres::Postgres::start();
    let url = pg.url();
    let data = scratch(if nats.is_some() { "pg-nats" } else { "pg" });
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

    // Two replicas that only serve, and a worker of its own that makes the photos.
    let mut flags = vec!["--database", url.as_str(), "--workers", "0", "--lease", "3"];
    flags.extend(nats.iter().flat_map(|n| ["--nats", *n]));
    let a = Server::start(&data, &flags);
    let b = Server::start(&data, &flags);
    let mut w1 = Worker::start(&url, nats, &data);

    // Signed in on A …
    let ann = login(&a.base, "ann@example.com");
    // … is signed in on B.
    let (status, me) = get(&b.base, &ann, "/api/me");
    assert_eq!(status, 200);
    assert_eq!(json_of(&me)["user"]["email"], "ann@example.com");

    // A photo uploaded to A is made by the worker, and B shows it.
    let id = upload(&a.base, &ann, "photos/samples/grace_hopper.jpg");
    let view = wait_until_made(&b.base, &ann, id);
    assert_eq!(view["status"], "ready", "{view}");
    let headshot = view["headshots"][0]["url"].as_str().unwrap();
    for server in [&a, &b] {
        let (status, jpeg) = get(&server.base, &ann, headshot);
        assert_eq!(status, 200, "{headshot}");
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    }
    let (_, list) = get(&a.base, &ann, "/api/photos");
    assert_eq!(json_of(&list).as_array().map(Vec::len), Some(1));

    // A worker killed while making a photo: its lease runs out and another worker makes it.
    let ids: Vec<i64> = ["photos/samples/obama.jpg", "photos/samples/biden.jpg"]
        .iter()
        .map(|p| upload(&b.base, &ann, p))
        .collect();
    let started = Instant::now();
    loop {
        let (_, bytes) = get(&a.base, &ann, &format!("/api/photos/{}", ids[0]));
        if json_of(&bytes)["status"] == "processing" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    w1.kill();
    let _w2 = Worker::start(&url, nats, &data);
    for &id in &ids {
        let view = wait_until_made(&a.base, &ann, id);
        assert_eq!(view["status"], "ready", "{view}");
    }

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

    // Ready while the database (and the stream) answer; not once the database is gone.
    for server in [&a, &b] {
        let r = agent()
            .get(format!("{}/readyz", server.base))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
    }

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
    drop(pg);
    let mut r = agent().get(format!("{}/readyz", a.base)).call().unwrap();
    assert_eq!(r.status(), 503);
    let why = r.body_mut().read_to_string().unwrap();
    assert!(why.contains("the queue does not answer"), "{why}");
}
