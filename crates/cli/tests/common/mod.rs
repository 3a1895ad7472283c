//! Helpers shared by the tests that run the real `trueshot serve` binary.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery";

pub use photos::{portrait_on_wall, root};

#[path = "photos.rs"]
pub mod photos;

pub mod cluster;

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trueshot-server-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server and its address; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// Kept open: the server may print more.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Server {
    /// Starts `trueshot serve` on a free loopback port with the data folder and extra flags.
    pub fn start(data: &Path, flags: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trueshot"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(flags)
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start trueshot serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        let base = line
            .split("listening on ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        Server {
            child,
            base,
            _stdout: lines,
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// `trueshot users add EMAIL --password-stdin` with [`PASSWORD`].
pub fn add_user(data: &Path, email: &str, admin: bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trueshot"));
    cmd.args(["users", "add", email, "--password-stdin", "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if admin {
        cmd.arg("--admin");
    }
    let mut child = cmd.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "users add {email}");
}
