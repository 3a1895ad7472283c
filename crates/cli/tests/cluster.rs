//! The distributed mode under failure, on this machine: a 3-node NATS JetStream cluster and a
//! PostgreSQL server (Debian's, started on loopback ports in temporary folders), 2 `trueshot
//! serve` replicas and 2 `trueshot worker`s over one data folder. 200 uploads go to both
//! replicas while a worker is killed (SIGKILL), a NATS node is killed and restarted, and a
//! replica is killed. Every upload answered 202 ends made exactly once (one recorded outcome,
//! none lost), and both replicas then show the same photos.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::cluster::{get, json_of, login, try_upload, users, Worker};
use common::{scratch, Server, PASSWORD};

#[path = "../../server/tests/postgres/mod.rs"]
mod postgres;

#[path = "../../server/tests/nats/mod.rs"]
mod nats;

const UPLOADS: usize = 200;

#[test]
fn two_hundred_uploads_survive_a_killed_worker_node_and_replica() {
    let pg = postgres::Postgres::start();
    let db = pg.url();
    let mut cluster = nats::Cluster::start(3);
    let urls = cluster.urls().join(",");
    let data = scratch("cluster");
    users(
        &db,
        &data,
        &["add", "ann@example.com", "--admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let flags = [
        "--database",
        db.as_str(),
        "--nats",
        urls.as_str(),
        "--workers",
        "0",
        "--lease",
        "3",
        "--uploads-per-hour",
        "1000",
    ];
    let a = Server::start(&data, &flags);
    let b = Server::start(&data, &flags);
    let mut w1 = Worker::start(&db, Some(&urls), &data);
    let _w2 = Worker::start(&db, Some(&urls), &data);
    let ann = Arc::new(login(&a.base, "ann@example.com"));

    // Two clients upload, each to its own replica first; a refused connection (its replica was
    // killed) is retried on the other, as a load balancer would.
    let bases = [a.base.clone(), b.base.clone()];
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..2)
        .map(|c| {
            let (bases, ann, accepted, sent) =
                (bases.clone(), ann.clone(), accepted.clone(), sent.clone());
            std::thread::spawn(move || loop {
                let k = sent.fetch_add(1, Ordering::SeqCst);
                if k >= UPLOADS {
                    break;
                }
                let photo = if k % 2 == 0 {
                    "photos/samples/grace_hopper.jpg"
                } else {
                    "photos/samples/obama.jpg"
                };
                let id = try_upload(&bases[c], &ann, photo)
                    .or_else(|_| try_upload(&bases[1 - c], &ann, photo))
                    .unwrap_or_else(|e| panic!("upload {k} refused by both replicas: {e}"));
                accepted.lock().unwrap().push(id);
            })
        })
        .collect();

    let made = || -> usize {
        let (_, bytes) = get(&a.base, &ann, "/api/photos");
        json_of(&bytes)
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|p| !matches!(p["status"].as_str(), Some("queued" | "processing")))
                    .count()
            })
            .unwrap_or(0)
    };
    let until = |what: &str, enough: usize| {
        let started = Instant::now();
        while made() < enough {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "stuck before {what}: {} made",
                made()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // During the batch: a worker dies holding a job, a node dies and comes back, a replica dies.
    until("killing a worker", 20);
    w1.kill();
    let _w3 = Worker::start(&db, Some(&urls), &data);
    until("stopping a node", 50);
    cluster.kill(1);
    std::thread::sleep(Duration::from_secs(2));
    cluster.restart(1);
    until("killing a replica", 80);
    let mut b = b;
    b.kill();
    for c in clients {
        c.join().unwrap();
    }
    let accepted: BTreeSet<i64> = accepted.lock().unwrap().iter().copied().collect();
    assert_eq!(
        accepted.len(),
        UPLOADS,
        "every upload was answered 202 by one replica"
    );
    until("the end", UPLOADS);

    // Exactly once: every accepted photo is in the database, finished, with one outcome.
    let rows = pg.query("SELECT id, state, completions FROM photos ORDER BY id");
    let rows: Vec<(i64, String, i64)> = rows
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (
                f[0].parse().unwrap(),
                f[1].to_string(),
                f[2].parse().unwrap(),
            )
        })
        .collect();
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(ids, accepted, "no photo lost, none extra");
    for (id, state, completions) in &rows {
        assert_eq!(state, "ready", "photo {id}");
        assert_eq!(*completions, 1, "photo {id} recorded once");
    }
    let attempts = pg.query("SELECT count(*) FROM photos WHERE attempts > 1");
    eprintln!(
        "{} photos made; {} needed a second attempt",
        rows.len(),
        attempts.trim()
    );

    // Both replicas show the same: the killed one, started again, and the one that lived.
    let b2 = Server::start(&data, &flags);
    let (_, on_a) = get(&a.base, &ann, "/api/photos");
    let (_, on_b) = get(&b2.base, &ann, "/api/photos");
    assert_eq!(json_of(&on_a), json_of(&on_b));
    assert_eq!(json_of(&on_a).as_array().map(Vec::len), Some(UPLOADS));
}
