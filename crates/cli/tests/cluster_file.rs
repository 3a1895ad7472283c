//! The README's cluster example (`deploy/cluster.yaml`, a compose file) stays true: every
//! trueshot command in it is accepted by the real binary's argument parser; the topology is 3
//! NATS nodes with JetStream routed to each other, PostgreSQL, 2 server replicas and 2 workers,
//! all on the same database, the same NATS nodes and the same data folder; and the image
//! (`deploy/Dockerfile`) installs the Debian package of every library the built binary links.

use std::collections::BTreeMap;
use std::process::Command;

mod common;
use common::root;

/// Each service's image anchor (`trueshot`, `nats`, or its own image) and command, read from
/// the compose file's `command: [...]` lines (JSON arrays, which are YAML too).
fn services(text: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    let mut in_services = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_services = line.trim_end() == "services:";
            current = None;
            continue;
        }
        if !in_services {
            continue;
        }
        if let Some(name) = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        {
            let name = name.trim_end_matches(':').to_string();
            out.insert(name.clone(), (String::new(), Vec::new()));
            current = Some(name);
            continue;
        }
        let Some(name) = &current else { continue };
        let entry = out.get_mut(name).unwrap();
        let item = line.trim();
        if let Some(anchor) = item.strip_prefix("<<: *") {
            entry.0 = anchor.to_string();
        } else if let Some(image) = item.strip_prefix("image: ") {
            entry.0 = image.to_string();
        } else if let Some(command) = item.strip_prefix("command: ") {
            entry.1 = serde_json::from_str(command)
                .unwrap_or_else(|e| panic!("{name}: the command is not a JSON array: {e}"));
        }
    }
    out
}

fn flag<'a>(command: &'a [String], name: &str) -> Option<&'a str> {
    command
        .iter()
        .position(|a| a == name)
        .and_then(|i| command.get(i + 1))
        .map(String::as_str)
}

#[test]
fn the_cluster_example_runs_the_real_commands_on_one_database_and_stream() {
    let text = std::fs::read_to_string(root().join("deploy/cluster.yaml")).unwrap();
    let services = services(&text);

    // Three NATS nodes with JetStream, each routed to the two others, in one cluster.
    let nats: Vec<&String> = services
        .iter()
        .filter(|(_, (image, _))| image == "nats")
        .map(|(name, _)| name)
        .collect();
    assert_eq!(nats.len(), 3, "{nats:?}");
    for name in &nats {
        let command = &services[*name].1;
        assert!(command.iter().any(|a| a == "-js"), "{name}: JetStream");
        assert_eq!(flag(command, "-n"), Some(name.as_str()));
        assert_eq!(flag(command, "--cluster_name"), Some("trueshot"));
        let routes = flag(command, "--routes").unwrap_or_default();
        for other in nats.iter().filter(|o| o != &name) {
            assert!(
                routes.contains(&format!("nats://{other}:6222")),
                "{name} routes to {other}"
            );
        }
    }
    assert!(
        services
            .values()
            .any(|(image, _)| image.starts_with("postgres:")),
        "PostgreSQL"
    );

    // Servers and workers: the same database, every NATS node, the same data folder.
    let trueshot: Vec<(&String, &Vec<String>)> = services
        .iter()
        .filter(|(_, (image, _))| image == "trueshot")
        .map(|(name, (_, command))| (name, command))
        .collect();
    let count = |what: &str| trueshot.iter().filter(|(_, c)| c[0] == what).count();
    assert_eq!((count("serve"), count("worker")), (2, 2));
    let database = flag(trueshot[0].1, "--database").unwrap();
    let user_pass = format!(
        "postgres://{}:{}@",
        text.split("POSTGRES_USER: ")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
        text.split("POSTGRES_PASSWORD: ")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
    );
    assert!(database.starts_with(&user_pass), "{database}");
    for (name, command) in &trueshot {
        assert_eq!(flag(command, "--database"), Some(database), "{name}");
        assert_eq!(flag(command, "--data"), Some("/srv/trueshot"), "{name}");
        let urls = flag(command, "--nats").unwrap_or_default();
        for node in &nats {
            assert!(
                urls.contains(&format!("nats://{node}:4222")),
                "{name}: {node}"
            );
        }
        if command[0] == "serve" {
            assert_eq!(flag(command, "--workers"), Some("0"), "{name} only serves");
        }
        // The real parser: an unknown flag or a bad value fails before `--help` is reached.
        let out = Command::new(env!("CARGO_BIN_EXE_trueshot"))
            .args(command.iter())
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The README's admin command, too.
    assert!(text.contains("users add you@example.com --admin"));

    // The image installs the package of every library the binary links.
    let dockerfile = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    let ldd = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_trueshot"))
        .output()
        .unwrap();
    let ldd = String::from_utf8_lossy(&ldd.stdout);
    let mut checked = 0;
    for path in ldd.lines().filter_map(|l| l.split("=> ").nth(1)) {
        let path = path.split(" (").next().unwrap().trim();
        let owner = [path.to_string(), format!("/usr{path}")]
            .iter()
            .find_map(|p| {
                let out = Command::new("dpkg").args(["-S", p]).output().ok()?;
                out.status
                    .success()
                    .then(|| String::from_utf8_lossy(&out.stdout).to_string())
            })
            .unwrap_or_else(|| panic!("no Debian package has {path}"));
        let package = owner.split(':').next().unwrap();
        if package == "libc6" {
            continue; // in every Debian image
        }
        assert!(
            dockerfile.contains(&format!(" {package} "))
                || dockerfile.contains(&format!(" {package}\n")),
            "deploy/Dockerfile does not install {package} (for {path})"
        );
        checked += 1;
    }
    assert!(checked >= 5, "{ldd}");
}
