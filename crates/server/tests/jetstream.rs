//! The distributed job queue on a real 3-node NATS JetStream cluster (Debian's `nats-server`,
//! installed by scripts/setup), started on loopback ports in a temporary folder: every job is
//! done though a worker dies holding one and a node is killed and restarted mid-queue; a job
//! that keeps failing ends in the dead letters; a retried publish is not a second job.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trueshot_server::jetstream::{JobConfig, JobQueue, JobRef};

mod nats;
use nats::Cluster;

/// Connects once the cluster has elected its leaders (a few seconds after the start).
async fn connect(urls: &[String], config: &JobConfig, dir: &Path) -> JobQueue {
    let t = Instant::now();
    loop {
        match JobQueue::connect(urls, config.clone()).await {
            Ok(q) => return q,
            Err(e) if t.elapsed() < Duration::from_secs(60) => {
                eprintln!("cluster not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("the cluster never got ready ({}): {e}", dir.display()),
        }
    }
}

#[derive(Default)]
struct Ledger {
    /// Jobs whose outcome was recorded: a second delivery records nothing (as the database's
    /// attempt check does).
    recorded: HashSet<i64>,
    /// Deliveries of each job.
    deliveries: HashMap<i64, i64>,
    /// Deliveries of the job that always fails.
    poison: i64,
}

const JOBS: i64 = 200;
const POISON: i64 = 9_999;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_is_done_though_a_worker_dies_and_a_node_restarts() {
    let mut cluster = Cluster::start(3);
    let urls = cluster.urls();
    let config = JobConfig {
        replicas: 3,
        ack_wait: Duration::from_secs(2),
        max_deliver: 3,
    };
    let queue = connect(&urls, &config, &cluster.dir).await;
    let photo = |id| JobRef {
        kind: "photo".into(),
        id,
    };
    for id in 1..=JOBS {
        queue.publish(&photo(id), 0).await.unwrap();
    }
    // A server retrying a publish whose answer it lost does not queue the job twice.
    queue.publish(&photo(7), 0).await.unwrap();
    queue
        .publish(
            &JobRef {
                kind: "day".into(),
                id: POISON,
            },
            0,
        )
        .await
        .unwrap();

    assert_eq!(
        queue.depth().await.unwrap(),
        JOBS as u64 + 1,
        "the retried publish of job 7 is not a second job"
    );

    // A worker takes a job and dies without acknowledging it.
    let lost = {
        let dying = connect(&urls, &config, &cluster.dir).await;
        let d = dying
            .next(Duration::from_secs(5))
            .await
            .unwrap()
            .expect("a job");
        d.job.id
    };

    // Two workers do the rest, each on its own connection.
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..2 {
        let q = connect(&urls, &config, &cluster.dir).await;
        let ledger = ledger.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let d = match q.next(Duration::from_secs(1)).await {
                    Ok(Some(d)) => d,
                    Ok(None) => continue,
                    // A node going away: the client moves to another one.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                if d.job.id == POISON {
                    ledger.lock().unwrap().poison += 1;
                    let _ = q
                        .failed(d, "it always fails", Duration::from_millis(100))
                        .await;
                    continue;
                }
                d.progress().await.ok();
                {
                    let mut l = ledger.lock().unwrap();
                    *l.deliveries.entry(d.job.id).or_default() += 1;
                    l.recorded.insert(d.job.id);
                }
                // An acknowledgement lost with a node is harmless: the job comes again and
                // records nothing new.
                let _ = d.ack().await;
            }
        }));
    }

    let wait_for = |n: usize, secs: u64| {
        let ledger = ledger.clone();
        async move {
            let t = Instant::now();
            while ledger.lock().unwrap().recorded.len() < n {
                if t.elapsed() > Duration::from_secs(secs) {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            true
        }
    };
    assert!(wait_for(60, 60).await, "{}", cluster.log());
    // A node dies mid-queue and comes back.
    cluster.kill(1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.restart(1);
    let all = wait_for(JOBS as usize, 120).await;
    // The dead letters and the empty queue, once the poison job has run out of deliveries.
    let t = Instant::now();
    let (mut dead, mut depth) = (0, u64::MAX);
    while t.elapsed() < Duration::from_secs(30) {
        dead = queue.dead().await.unwrap_or(0);
        depth = queue.depth().await.unwrap_or(u64::MAX);
        if dead == 1 && depth == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
    let l = ledger.lock().unwrap();
    let missing: Vec<i64> = (1..=JOBS).filter(|id| !l.recorded.contains(id)).collect();
    assert!(
        all && missing.is_empty(),
        "jobs never done: {missing:?}\n{}",
        cluster.log()
    );
    assert!(
        l.deliveries.get(&lost).is_some_and(|&n| n >= 1),
        "the dying worker's job {lost} was delivered again"
    );
    assert_eq!(
        l.poison, config.max_deliver,
        "the failing job was tried max_deliver times, no more"
    );
    assert_eq!(dead, 1, "the failing job is in the dead letters");
    assert_eq!(depth, 0, "nothing is left in the queue");
    let twice = l.deliveries.values().filter(|&&n| n > 1).count();
    eprintln!(
        "{JOBS} jobs done; {twice} delivered more than once (recorded once); 1 dead letter; job 7 published twice, queued once"
    );
}
