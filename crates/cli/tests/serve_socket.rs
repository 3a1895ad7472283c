//! The real `trueshot serve` binary on a loopback socket: fifty employees' uploads at the same
//! moment are all accepted and all processed; the server is killed (SIGKILL) in the middle of
//! the queue and restarted, and every photo is then finished exactly once, the one that was
//! being processed included.

use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{add_user, agent, root, scratch, Server, PASSWORD};

struct Session {
    cookie: String,
    csrf: String,
}

fn login(base: &str, email: &str) -> Session {
    let mut r = agent()
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .send(serde_json::json!({"email": email, "password": PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200, "login {email}");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    Session {
        cookie,
        csrf: body["csrf"].as_str().unwrap().to_string(),
    }
}

fn photos(base: &str, s: &Session) -> Vec<Value> {
    let mut r = agent()
        .get(format!("{base}/api/photos"))
        .header("cookie", &s.cookie)
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str::<Vec<Value>>(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn count(items: &[Value], status: &str) -> usize {
    items.iter().filter(|p| p["status"] == status).count()
}

#[test]
fn fifty_concurrent_uploads_survive_a_killed_server_and_finish_exactly_once() {
    let data = scratch("fifty");
    add_user(&data, "admin@example.com", true);
    let members: Vec<String> = (0..5).map(|i| format!("member{i}@example.com")).collect();
    for m in &members {
        add_user(&data, m, false);
    }
    let mut server = Server::start(&data, &["--workers", "2", "--uploads-per-hour", "20"]);
    let base = server.base.clone();
    let sessions: Vec<Session> = members.iter().map(|m| login(&base, m)).collect();
    let admin = login(&base, "admin@example.com");
    let pictures = [
        "photos/samples/grace_hopper.jpg",
        "photos/samples/obama.jpg",
        "photos/test/obama2.jpg",
        "photos/samples/biden.jpg",
        "photos/samples/astronaut.png",
    ]
    .map(|p| std::fs::read(root().join(p)).unwrap());

    // Fifty uploads released at the same instant: ten per member, from fifty threads.
    let barrier = std::sync::Barrier::new(50);
    let accepted: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (barrier, base, session) = (&barrier, &base, &sessions[i % 5]);
                let bytes = &pictures[i % pictures.len()];
                scope.spawn(move || {
                    barrier.wait();
                    let mut r = agent()
                        .post(format!("{base}/api/photos"))
                        .header("cookie", &session.cookie)
                        .header("x-csrf-token", &session.csrf)
                        .header("x-filename", format!("upload{i}.jpg"))
                        .send(&bytes[..])
                        .unwrap();
                    let status = r.status().as_u16();
                    let body = r.body_mut().read_to_string().unwrap();
                    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, body) in &accepted {
        assert_eq!(*status, 202, "{body}");
    }
    let mut ids: Vec<i64> = accepted
        .iter()
        .map(|a| a.1["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50);

    // Kill the server in the middle of the queue, while photos are being processed.
    let t = Instant::now();
    loop {
        let items = photos(&base, &admin);
        if count(&items, "ready") >= 4 && count(&items, "processing") > 0 {
            server.kill();
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(240), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // What the killed server was in the middle of, read from its database after the kill.
    let open_db = || {
        rusqlite::Connection::open_with_flags(
            data.join("trueshot.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    };
    let interrupted: Vec<i64> = {
        let db = open_db();
        let mut st = db
            .prepare("SELECT id FROM photos WHERE state = 'processing'")
            .unwrap();
        let ids = st.query_map([], |r| r.get(0)).unwrap();
        ids.collect::<Result<_, _>>().unwrap()
    };
    assert!(!interrupted.is_empty(), "the kill came between two photos");

    let server = Server::start(&data, &["--workers", "2", "--uploads-per-hour", "20"]);
    let base = server.base.clone();
    let admin = login(&base, "admin@example.com");
    let t = Instant::now();
    let items = loop {
        let items = photos(&base, &admin);
        if items
            .iter()
            .all(|p| !matches!(p["status"].as_str(), Some("queued" | "processing")))
        {
            break items;
        }
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "the restarted server did not finish"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(items.len(), 50);
    // No error, and the same photo always gives the same result, whichever worker made it and
    // whether or not a kill interrupted it. Every picture gives its headshots: the framing
    // planner frames obama.jpg and obama2.jpg, which have little room above the head, within
    // what the photo shows (they used to be refused).
    assert_eq!(count(&items, "error"), 0);
    for k in 0..pictures.len() {
        let of_picture: Vec<&Value> = items
            .iter()
            .filter(|p| {
                let n: usize = p["name"].as_str().unwrap()["upload".len()..]
                    .trim_end_matches(".jpg")
                    .parse()
                    .unwrap();
                n % pictures.len() == k
            })
            .collect();
        assert_eq!(of_picture.len(), 10);
        let first = &of_picture[0];
        for p in &of_picture {
            assert_eq!(p["status"], first["status"], "{p:#}");
            assert_eq!(
                p["headshots"].as_array().map(|h| h.len()),
                first["headshots"].as_array().map(|h| h.len())
            );
        }
    }
    assert_eq!(count(&items, "ready"), 50);
    drop(server);

    // Exactly once: every photo finished once; those interrupted by the kill were started twice.
    let db = open_db();
    let mut st = db
        .prepare("SELECT id, attempts, completions FROM photos ORDER BY id")
        .unwrap();
    let rows: Vec<(i64, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 50);
    for (id, attempts, completions) in &rows {
        assert_eq!(*completions, 1, "photo {id} finished {completions} times");
        let expected = if interrupted.contains(id) { 2 } else { 1 };
        assert_eq!(
            *attempts, expected,
            "photo {id} (interrupted: {interrupted:?})"
        );
    }
    // Every photo's outputs are complete; the killed run left no temporary files behind, in
    // the output folders or among the uploads.
    fn names(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                names(&e.path(), out);
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    for id in &ids {
        let mut files = Vec::new();
        names(&data.join("photos").join(id.to_string()), &mut files);
        assert!(
            files.iter().any(|n| n.ends_with(".report.json")),
            "{id}: {files:?}"
        );
        assert!(
            files.iter().any(|n| n.starts_with("original.")),
            "{id}: {files:?}"
        );
        assert!(files.iter().all(|n| !n.starts_with('.')), "{id}: {files:?}");
    }
    let incoming = data.join("photos/.incoming");
    assert_eq!(std::fs::read_dir(&incoming).map_or(0, |d| d.count()), 0);
}
