//! The state in PostgreSQL, on a real server (Debian's `postgresql`, installed by scripts/setup)
//! started by the test in a temporary folder on a loopback port: the migrations run on start,
//! once; claims from several workers at once never share a photo; a job delivered twice is
//! recorded once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use trueshot_server::pg::PgState;

/// The newest PostgreSQL's programs (Debian keeps them off the PATH).
fn bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL (scripts/setup installs it)")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop().expect("initdb in /usr/lib/postgresql/*/bin")
}

/// A PostgreSQL server of its own. As root (CI), its programs run as the `postgres` user, which
/// owns the folder: PostgreSQL refuses to run as root.
struct Postgres {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

fn run(bin: &Path, program: &str, args: &[&str]) {
    let root = std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    };
    let out = cmd.args(args).output().expect(program);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    fn start() -> Postgres {
        let dir = std::env::temp_dir().join(format!("trueshot-pg-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ids = |flag: &str| -> Option<u32> {
            let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        };
        if let (Some(uid), Some(gid)) = (ids("-u"), ids("-g")) {
            // Only root may hand the folder over; others run PostgreSQL as themselves.
            let _ = std::os::unix::fs::chown(&dir, Some(uid), Some(gid));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = bin_dir();
        let data = dir.join("data");
        let data = data.to_str().unwrap();
        run(
            &bin,
            "initdb",
            &[
                "-D",
                data,
                "-U",
                "trueshot",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.display()
        );
        let log = dir.join("log");
        run(
            &bin,
            "pg_ctl",
            &[
                "-D",
                data,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
        Postgres { dir, port, bin }
    }

    fn url(&self) -> String {
        format!("postgres://trueshot@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = std::panic::catch_unwind(|| {
            run(
                &self.bin,
                "pg_ctl",
                &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
            )
        });
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_and_every_photo_is_claimed_and_recorded_once() {
    let pg = Postgres::start();
    let state = PgState::connect(&pg.url(), 8).await.unwrap();
    assert_eq!(state.migrations().await.unwrap(), [1]);
    let owner = state
        .create_user("ann@example.com", "member", None)
        .await
        .unwrap()
        .expect("a new account");
    assert_eq!(
        state
            .create_user("ANN@example.com", "member", None)
            .await
            .unwrap(),
        None,
        "an email has one account, whatever its case"
    );
    // A second start (another replica, or a restart) migrates nothing and keeps the data.
    drop(state);
    let state = Arc::new(PgState::connect(&pg.url(), 8).await.unwrap());
    assert_eq!(state.migrations().await.unwrap(), [1]);

    // 100 photos, four workers claiming at once: every photo is claimed by exactly one.
    let mut added = Vec::new();
    for k in 0..100 {
        added.push(
            state
                .add_photo(owner, &format!("p{k}.jpg"), "jpg")
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
                while let Some((id, attempt)) = state.claim_next().await.unwrap() {
                    assert_eq!(attempt, 1);
                    mine.push(id);
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

    // A job delivered twice: worker A stalls on photo p, the job goes to worker B, which claims
    // it anew. A's late outcome is not recorded; B's is, once; a third delivery finds it done.
    let p = added[0];
    let b = state
        .claim_photo(p)
        .await
        .unwrap()
        .expect("B takes it over");
    assert_eq!(b, 2);
    assert!(!state.finish(p, 1, "ready", None, "{}").await.unwrap());
    assert!(state.finish(p, b, "ready", None, "{}").await.unwrap());
    assert!(!state.finish(p, b, "ready", None, "{}").await.unwrap());
    assert_eq!(state.claim_photo(p).await.unwrap(), None);
    assert_eq!(
        state.photo_state(p).await.unwrap(),
        Some(("ready".to_string(), 2, 1))
    );
    // Every other photo finishes once.
    for &id in &added[1..] {
        assert!(state
            .finish(id, 1, "refused", Some("the face is too small"), "{}")
            .await
            .unwrap());
    }
    assert_eq!(
        state.photo_state(added[1]).await.unwrap(),
        Some(("refused".to_string(), 1, 1))
    );
}
