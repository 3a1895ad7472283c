//! A NATS cluster with JetStream of a test's own (Debian's `nats-server`, installed by
//! scripts/setup): `n` nodes on loopback ports, each with its own store folder, killed and
//! removed when dropped. Shared by the server's and the command line's tests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A NATS cluster of `nats-server` processes with JetStream, each with its own store folder.
pub struct Cluster {
    pub dir: PathBuf,
    ports: Vec<(u16, u16)>,
    nodes: Vec<Option<Child>>,
}

impl Cluster {
    pub fn start(n: usize) -> Cluster {
        static CLUSTERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = CLUSTERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("trueshot-nats-test-{}-{k}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ports = (0..n).map(|_| (free_port(), free_port())).collect();
        let mut cluster = Cluster {
            dir,
            ports,
            nodes: Vec::new(),
        };
        for k in 0..n {
            let child = cluster.spawn(k);
            cluster.nodes.push(Some(child));
        }
        cluster
    }

    fn spawn(&self, k: usize) -> Child {
        let (port, cluster_port) = self.ports[k];
        let routes: Vec<String> = self
            .ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .map(|(_, (_, c))| format!("nats://127.0.0.1:{c}"))
            .collect();
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("n{k}.log")))
            .unwrap();
        let mut command = Command::new("nats-server");
        command
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-n"])
            .arg(format!("n{k}"))
            .arg("-sd")
            .arg(self.dir.join(format!("n{k}")));
        if !routes.is_empty() {
            // One node alone is a plain server: a cluster of one never elects its leader.
            command
                .args(["--cluster_name", "trueshot", "--cluster"])
                .arg(format!("nats://127.0.0.1:{cluster_port}"))
                .arg("--routes")
                .arg(routes.join(","));
        }
        command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server (scripts/setup installs it)")
    }

    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|(p, _)| format!("nats://127.0.0.1:{p}"))
            .collect()
    }

    /// Kills node `k` (SIGKILL: no goodbye to the others).
    pub fn kill(&mut self, k: usize) {
        if let Some(mut c) = self.nodes[k].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self, k: usize) {
        self.kill(k);
        let child = self.spawn(k);
        self.nodes[k] = Some(child);
    }

    pub fn log(&self) -> String {
        (0..self.ports.len())
            .map(|k| {
                let text =
                    std::fs::read_to_string(self.dir.join(format!("n{k}.log"))).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                format!(
                    "--- n{k} ---\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for k in 0..self.nodes.len() {
            self.kill(k);
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
