//! The state in PostgreSQL, on a real server (Debian's `postgresql`, installed by scripts/setup)
//! started by the test in a temporary folder on a loopback port: the migrations run on start,
//! once; claims from several workers at once never share a photo; a job delivered twice is
//! recorded once; and PostgreSQL answers every call of one scenario (accounts, invites,
//! sessions, tokens, the guideline, photos, headshot days) exactly as the embedded SQLite does.

use std::sync::Arc;

use trueshot_server::db::Role;
use trueshot_server::pg::PgState;
use trueshot_server::store::Store;

mod postgres;
use postgres::Postgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_and_every_photo_is_claimed_and_recorded_once() {
    let pg = Postgres::start();
    let state = PgState::connect(&pg.url(), 8).await.unwrap();
    assert_eq!(state.migrations().await.unwrap(), [1, 2, 3]);
    let owner = state
        .create_user("ann@example.com", Role::Member, None)
        .await
        .unwrap()
        .expect("a new account")
        .id;
    assert_eq!(
        state
            .create_user("ANN@example.com", Role::Member, None)
            .await
            .unwrap()
            .map(|u| u.id),
        None,
        "an email has one account, whatever its case"
    );
    // A second start (another replica, or a restart) migrates nothing and keeps the data.
    drop(state);
    let state = Arc::new(PgState::connect(&pg.url(), 8).await.unwrap());
    assert_eq!(state.migrations().await.unwrap(), [1, 2, 3]);

    // 100 photos, four workers claiming at once: every photo is claimed by exactly one.
    let mut added = Vec::new();
    for k in 0..100 {
        added.push(
            state
                .add_photo(owner, &format!("p{k}.jpg"), "jpg", |_| Ok(()))
                .await
                .unwrap(),
        );
    }
    assert_eq!(state.depth().await.unwrap()[0], ("photo", 100));
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(p) = state.claim_next().await.unwrap() {
                    assert_eq!(p.attempts, 1);
                    mine.push(p.id);
                }
                mine
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for c in claimers {
        claimed.extend(c.await.unwrap());
    }
    claimed.sort_unstable();
    assert_eq!(claimed, added, "each photo claimed once, none missed");
    assert_eq!(state.depth().await.unwrap()[0], ("photo", 0));

    // A job delivered twice: while worker A's lease holds, a second delivery claims nothing;
    // A stalls past its lease, and the job goes to worker B, which claims it anew. A's late
    // outcome is not recorded; B's is, once; a third delivery finds it done.
    use std::time::Duration;
    let p = added[0];
    assert!(state
        .claim_photo(p, Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
    let b = state
        .claim_photo(p, Duration::ZERO)
        .await
        .unwrap()
        .expect("B takes it over")
        .attempts;
    assert_eq!(b, 2);
    assert!(!state.finish(p, 1, "ready", None, "[]", "{}").await.unwrap());
    assert!(state.finish(p, b, "ready", None, "[]", "{}").await.unwrap());
    assert!(!state.finish(p, b, "ready", None, "[]", "{}").await.unwrap());
    assert!(state
        .claim_photo(p, Duration::ZERO)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        state
            .photo(p)
            .await
            .unwrap()
            .map(|p| (p.state, p.attempts, p.completions)),
        Some(("ready".to_string(), 2, 1))
    );
    // Every other photo finishes once.
    for &id in &added[1..] {
        assert!(state
            .finish(id, 1, "refused", Some("the face is too small"), "[]", "{}")
            .await
            .unwrap());
    }
    assert_eq!(
        state
            .photo(added[1])
            .await
            .unwrap()
            .map(|p| (p.state, p.attempts, p.completions)),
        Some(("refused".to_string(), 1, 1))
    );

    // Leases: a server making a photo renews its lease; a photo whose server died (no renewal
    // within the lease) goes back to the queue for another, and after a third such death it is
    // set aside rather than bringing a fourth server down.
    use trueshot_server::pg::QueueTable;
    let q = state
        .add_photo(owner, "q.jpg", "jpg", |_| Ok(()))
        .await
        .unwrap();
    let claimed = state.claim_next().await.unwrap().unwrap();
    assert_eq!((claimed.id, claimed.attempts), (q, 1));
    assert_eq!(
        state.requeue_stale(Duration::from_secs(60)).await.unwrap(),
        0,
        "a live lease is left alone"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(state.heartbeat(QueueTable::Photos, q, 1).await.unwrap());
    assert_eq!(
        state.requeue_stale(Duration::from_secs(1)).await.unwrap(),
        0,
        "a renewed lease is left alone"
    );
    for attempt in 1..=3 {
        if attempt > 1 {
            let again = state.claim_next().await.unwrap().unwrap();
            assert_eq!((again.id, again.attempts), (q, attempt));
        }
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let requeued = state.requeue_stale(Duration::from_secs(1)).await.unwrap();
        let now = state.photo(q).await.unwrap().unwrap();
        if attempt < 3 {
            assert_eq!((requeued, now.state.as_str()), (1, "queued"));
            assert!(
                !state
                    .heartbeat(QueueTable::Photos, q, attempt)
                    .await
                    .unwrap(),
                "the dead server's lease is over"
            );
        } else {
            assert_eq!((requeued, now.state.as_str()), (0, "error"));
            assert_eq!(
                now.reason.as_deref(),
                Some("processing this photo stopped the server three times")
            );
        }
    }

    // The job stream's outbox: a queued photo is to be published once per attempt.
    let r = state
        .add_photo(owner, "r.jpg", "jpg", |_| Ok(()))
        .await
        .unwrap();
    assert!(state
        .unpublished(10)
        .await
        .unwrap()
        .contains(&("photo", r, 0)));
    state.mark_published("photo", r, 0).await.unwrap();
    assert!(!state
        .unpublished(10)
        .await
        .unwrap()
        .iter()
        .any(|j| j.1 == r));

    // A day's progress, for a replica that is not running it: only while its run is current.
    let day = state
        .create_day("Day", "id,name\n", 1, "ann@example.com", &[])
        .await
        .unwrap();
    assert!(state.queue_day(day).await.unwrap());
    let run = state.claim_day().await.unwrap().unwrap();
    assert_eq!(state.day_progress(day).await.unwrap(), None);
    state
        .set_day_progress(day, run.attempts, "looking", 12, 41)
        .await
        .unwrap();
    state
        .set_day_progress(day, run.attempts + 1, "making", 1, 2)
        .await
        .unwrap();
    assert_eq!(
        state.day_progress(day).await.unwrap(),
        Some(("looking".to_string(), 12, 41)),
        "a stale run's progress is not recorded"
    );
    assert!(state
        .finish_day(day, run.attempts, "ready", None, Some("{}"), &[])
        .await
        .unwrap());
    assert_eq!(state.day_progress(day).await.unwrap(), None);
}

/// Times as `<time>` once they are checked to be `YYYY-MM-DDTHH:MM:SSZ` (the stores write them at
/// different moments).
fn without_times(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let is_time = b.len() - i >= 20
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 10] == b'T'
            && b[i + 19] == b'Z';
        if is_time {
            out.push_str("<time>");
            i += 20;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// One scenario through every method of the store; each answer as text.
async fn scenario(store: &Store) -> Vec<String> {
    use trueshot_server::days::{NewPerson, Offer, PersonFinished, PersonResult};
    let mut log: Vec<String> = Vec::new();
    macro_rules! say {
        ($e:expr) => {{
            let answer = $e.await.unwrap();
            log.push(format!("{}: {:?}", stringify!($e), answer));
            answer
        }};
    }
    let future = trueshot_server::db::unix_now() + 3600;
    let ann = say!(store.create_user("ann@example.com", Role::Admin, Some("hash-a"))).unwrap();
    let bob = say!(store.create_user("bob@example.com", Role::Member, None)).unwrap();
    assert!(say!(store.create_user("BOB@example.com", Role::Member, None)).is_none());
    assert!(say!(store.user_by_email("Bob@Example.com")).is_some());
    say!(store.users());
    say!(store.user(bob.id));

    // Invites: a new one replaces the old; accepting sets the password and ends old sessions.
    say!(store.create_invite("inv1", bob.id, future));
    say!(store.create_invite("inv2", bob.id, future));
    assert!(say!(store.invite("inv1")).is_none());
    say!(store.create_session("old", bob.id, "csrf0", future));
    assert!(say!(store.accept_invite("inv2", "hash-b")).is_some());
    assert!(say!(store.invite("inv2")).is_none());
    assert!(say!(store.session("old")).is_none());
    say!(store.set_password(bob.id, "hash-c"));
    say!(store.user_by_email("bob@example.com"));

    say!(store.create_session("expired", bob.id, "csrf1", 1));
    say!(store.create_session("s1", bob.id, "csrf2", future));
    assert!(say!(store.session("expired")).is_none());
    assert!(say!(store.session("s1")).is_some());
    say!(store.delete_session("s1"));
    assert!(say!(store.session("s1")).is_none());

    say!(store.create_api_token("t1", bob.id, "ci"));
    say!(store.create_api_token("t2", bob.id, "laptop"));
    let tokens = say!(store.api_tokens(bob.id));
    assert!(say!(store.api_token("t1")).is_some());
    assert!(!say!(store.revoke_api_token(ann.id, tokens[0].0)));
    assert!(say!(store.revoke_api_token(bob.id, tokens[0].0)));
    assert!(say!(store.api_token("t1")).is_none());

    assert!(say!(store.guideline()).is_none());
    say!(store.set_guideline("one", None));
    say!(store.set_guideline("two", Some("ann@example.com")));
    say!(store.guideline());

    // Photos through their life: claims in order, outcomes for the current attempt only,
    // decisions, reviews, redos.
    let mut ids = Vec::new();
    for k in 0..3 {
        ids.push(
            store
                .add_photo(bob.id, &format!("p{k}.jpg"), "jpg", |_| Ok(()))
                .await
                .unwrap(),
        );
    }
    log.push(format!("added {ids:?}"));
    let refused = store
        .add_photo(bob.id, "x.jpg", "jpg", |_| {
            Err(std::io::Error::other("disk full"))
        })
        .await;
    assert!(refused.is_err(), "no row without its file");
    say!(store.depth());
    let p1 = say!(store.claim_next()).unwrap();
    assert!(!say!(store.finish(p1.id, 7, "ready", None, "[]", "{}")));
    let report = r#"{"guideline":{"sha256":"x"}}"#;
    assert!(say!(store.finish(
        p1.id,
        1,
        "ready",
        None,
        r#"["smile"]"#,
        report
    )));
    let p2 = say!(store.claim_next()).unwrap();
    assert!(say!(store.finish(
        p2.id,
        1,
        "refused",
        Some("too small"),
        "[]",
        "{}"
    )));
    assert!(say!(store.decide(p1.id, "accepted")));
    assert!(!say!(store.decide(p1.id, "accepted")));
    assert!(!say!(store.decide(p2.id, "accepted")));
    assert!(say!(store.review(
        p1.id,
        "approved",
        "good",
        "ann@example.com"
    )));
    assert!(!say!(store.review(
        p2.id,
        "approved",
        "",
        "ann@example.com"
    )));
    say!(store.photo(p1.id));
    assert_eq!(
        say!(store.redo_outdated("x")),
        1,
        "only the photo made with another guideline"
    );
    assert!(say!(store.redo(p1.id)));
    assert!(!say!(store.redo(p1.id)));
    say!(store.photos(Some(bob.id)));
    say!(store.photos(Some(ann.id)));
    say!(store.photos(None));
    // A photo that was being made at three stops in a row is set aside.
    for _ in 0..3 {
        say!(store.claim_next());
        say!(store.requeue_interrupted());
    }
    say!(store.photos(None));
    assert!(!say!(store.decide(ids[2], "discarded")));

    // A headshot day: runs, choices, retakes, a re-run keeping or clearing them.
    let offers = |frames: &[&str]| PersonResult {
        status: "done".into(),
        offers: frames
            .iter()
            .map(|f| Offer {
                frame: f.to_string(),
                ..Offer::default()
            })
            .collect(),
        ..PersonResult::default()
    };
    let finished = |person: &str, frames: &[&str]| PersonFinished {
        person: person.into(),
        result: serde_json::to_string(&offers(frames)).unwrap(),
        offered: frames.iter().map(|f| f.to_string()).collect(),
    };
    let people = [
        NewPerson {
            person: "p1".into(),
            line: 2,
            name: "Bob".into(),
            team: Some("Sales".into()),
            email: Some("bob@example.com".into()),
            user_id: Some(bob.id),
        },
        NewPerson {
            person: "p2".into(),
            line: 3,
            name: "Cy".into(),
            team: None,
            email: None,
            user_id: None,
        },
    ];
    let day = say!(store.create_day("Berlin", "id,name\n", 2, "ann@example.com", &people));
    say!(store.day(day));
    assert_eq!(say!(store.days(Some(bob.id))).len(), 1);
    assert!(say!(store.days(Some(ann.id))).is_empty());
    say!(store.days(None));
    assert_eq!(say!(store.day_people(day, Some(bob.id))).len(), 1);
    assert!(say!(store.queue_day(day)));
    assert!(!say!(store.queue_day(day)));
    assert!(!say!(store.delete_day(day)), "not while it is queued");
    let run = say!(store.claim_day()).unwrap();
    let first = [finished("p1", &["a", "b"]), finished("p2", &["c"])];
    assert!(!say!(store.finish_day(
        day,
        9,
        "ready",
        None,
        Some("{}"),
        &first
    )));
    assert!(say!(store.finish_day(
        day,
        run.attempts,
        "ready",
        None,
        Some("{}"),
        &first
    )));
    assert!(say!(store.choose(day, "p1", "b", "bob@example.com")));
    assert!(say!(store.ask_retake(day, "p2", "eyes closed")));
    assert!(!say!(store.choose(day, "nobody", "b", "bob@example.com")));
    say!(store.day_people(day, None));
    assert!(say!(store.queue_day(day)));
    let run = say!(store.claim_day()).unwrap();
    let second = [finished("p1", &["b", "a"]), finished("p2", &["d"])];
    assert!(say!(store.finish_day(
        day,
        run.attempts,
        "ready",
        None,
        None,
        &second
    )));
    let after = say!(store.day_people(day, None));
    assert_eq!(after[0].choice.as_deref(), Some("b"), "still offered: kept");
    assert_eq!(after[1].retake, None, "new frames: asked to choose again");
    say!(store.requeue_days());
    say!(store.depth());

    let gone = say!(store.delete_user(bob.id)).unwrap();
    assert_eq!(gone.len(), 3);
    assert!(say!(store.user(bob.id)).is_none());
    assert!(say!(store.delete_user(bob.id)).is_none());
    say!(store.day_people(day, None));
    assert!(say!(store.delete_day(day)));
    assert!(say!(store.day(day)).is_none());
    say!(store.users());
    log.iter().map(|l| without_times(l)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_answers_as_the_embedded_store_does() {
    let dir = std::env::temp_dir().join(format!("trueshot-store-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let embedded = Store::Embedded(Arc::new(
        trueshot_server::db::Db::open(&dir.join("t.db")).unwrap(),
    ));
    let expected = scenario(&embedded).await;
    let pg = Postgres::start();
    let postgres = Store::Postgres(Arc::new(PgState::connect(&pg.url(), 4).await.unwrap()));
    let got = scenario(&postgres).await;
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(
            g, e,
            "PostgreSQL's answer differs from the embedded store's"
        );
    }
    assert_eq!(got.len(), expected.len());
    assert!(expected.iter().any(|l| l.contains("<time>")));
    let _ = std::fs::remove_dir_all(&dir);
}
