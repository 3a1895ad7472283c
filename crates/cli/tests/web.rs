//! The web page end to end, in real headless Chromium (Debian's, driven by playwright-core from
//! `tools/e2e`, both installed by `scripts/setup`): a member signs in with the keyboard, gets
//! live guidance from a fake camera that shows a real portrait, uploads a photo, compares
//! before and after, reads the authenticity numbers and accepts; an admin approves it, gets a
//! line-numbered error from the guideline editor, adds a new hire, gives them a fresh sign-in
//! link and removes them, and exports a ZIP holding the headshot. On a headshot day, the admin
//! creates the day from a roster file, uploads the shoot's ZIP and sorts it; a roster person
//! signs in through their invite, compares before and after and chooses a frame; the admin sees
//! it, chooses for someone else and exports the day. Every view is then audited
//! with axe-core (WCAG 2.1 A/AA) at desktop and phone width: no serious or critical finding.
//! `tools/e2e/web.mjs` drives the browser; this test starts the server, feeds it and checks the
//! screenshots are real pictures of the page. The same flow runs twice: on the embedded store,
//! and on the distributed mode (PostgreSQL and a NATS JetStream stream).

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::cluster::users;
use common::{add_user, portrait_on_wall, root, scratch, Server, PASSWORD};

#[path = "../../server/tests/postgres/mod.rs"]
mod postgres;

#[path = "../../server/tests/nats/mod.rs"]
mod nats;

// The shoot builder finds the repository through `crate::photos`.
use common::photos;
#[path = "common/shoot.rs"]
#[allow(dead_code)]
mod shoot;

/// A headshot day for the browser: a shoot with cards (three frames per person), zipped with
/// the reference photo, and a roster whose people have emails but no accounts yet.
fn headshot_day(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let made = shoot::build(
        dir,
        &shoot::Plan {
            size: (1200, 1500),
            per_person: 3,
            cards: true,
        },
        Path::new(env!("CARGO_BIN_EXE_trueshot")),
    );
    let roster = dir.join("roster.csv");
    std::fs::write(
        &roster,
        "id,name,team,email,reference\n\
         e-001,Barack Obama,Policy,barack@example.com,obama-earlier.jpg\n\
         e-002,Joe Biden,Policy,joe@example.com,\n\
         e-003,Grace Hopper,Research,grace@example.com,\n\
         e-004,Eileen Collins,Flight,eileen@example.com,\n\
         e-005,Alan Turing,Research,alan@example.com,\n",
    )
    .unwrap();
    let zip_path = dir.join("shoot.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut files: Vec<std::path::PathBuf> = made
        .frames
        .keys()
        .map(|n| dir.join("shoot").join(n))
        .collect();
    files.push(dir.join("obama-earlier.jpg"));
    for f in files {
        zip.start_file(f.file_name().unwrap().to_string_lossy(), options)
            .unwrap();
        zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    (roster, zip_path)
}

/// A Y4M video (what Chromium's fake camera plays, in a loop) of a real portrait on a grey
/// wall, 1280×720, two frames, 4:2:0 with BT.601 full-range YCbCr.
fn camera_video(photo: &str, out: &Path) {
    let frame = portrait_on_wall(photo, [150, 150, 146]);
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let px = |x: usize, y: usize| frame.get_pixel(x as u32, y as u32).0.map(f32::from);
    let mut y_plane = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let [r, g, b] = px(x, y);
            y_plane.push(
                (0.299 * r + 0.587 * g + 0.114 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    let (mut u_plane, mut v_plane) = (Vec::new(), Vec::new());
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let mut rgb = [0.0f32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = px(x + dx, y + dy);
                for c in 0..3 {
                    rgb[c] += p[c] / 4.0;
                }
            }
            let [r, g, b] = rgb;
            u_plane.push(
                (128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
            v_plane.push(
                (128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    writeln!(f, "YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg").unwrap();
    for _ in 0..2 {
        f.write_all(b"FRAME\n").unwrap();
        f.write_all(&y_plane).unwrap();
        f.write_all(&u_plane).unwrap();
        f.write_all(&v_plane).unwrap();
    }
}

/// Standard deviation of a screenshot's luminance: a blank or failed render is nearly flat.
fn spread(png: &Path) -> (u32, u32, f64) {
    let img = image::open(png)
        .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
        .to_luma8();
    let n = img.pixels().len() as f64;
    let mean = img.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / n;
    let var = img
        .pixels()
        .map(|p| (f64::from(p.0[0]) - mean).powi(2))
        .sum::<f64>()
        / n;
    (img.width(), img.height(), var.sqrt())
}

#[test]
fn a_member_gets_a_headshot_and_an_admin_approves_and_exports_it_in_chromium() {
    browser_flow("web", None);
}

/// The same flow on the distributed mode: the state in PostgreSQL, the jobs through a NATS
/// JetStream stream.
#[test]
fn the_same_flow_runs_on_postgres_and_jetstream_in_chromium() {
    let pg = postgres::Postgres::start();
    let nats = nats::Cluster::start(1);
    browser_flow("web-cluster", Some((&pg.url(), &nats.urls()[0])));
}

fn browser_flow(name: &str, cluster: Option<(&str, &str)>) {
    let e2e = root().join("tools/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir() && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs Debian's chromium and `npm ci` in tools/e2e: scripts/setup installs both"
    );
    let data = scratch(name);
    let server = match cluster {
        None => {
            add_user(&data, "admin@example.com", true);
            add_user(&data, "maria@example.com", false);
            Server::start(&data, &["--workers", "1"])
        }
        Some((db, nats)) => {
            let password = format!("{PASSWORD}\n");
            for (email, admin) in [("admin@example.com", true), ("maria@example.com", false)] {
                let mut args = vec!["add", email, "--password-stdin"];
                if admin {
                    args.push("--admin");
                }
                users(db, &data, &args, &password);
            }
            Server::start(&data, &["--workers", "1", "--database", db, "--nats", nats])
        }
    };
    let video = data.join("camera.y4m");
    camera_video("photos/samples/obama.jpg", &video);
    let shots = data.join("shots");
    let (roster, shoot_zip) = headshot_day(&scratch(&format!("{name}-day")));
    let out = Command::new("node")
        .arg("web.mjs")
        .current_dir(&e2e)
        .env("BASE_URL", &server.base)
        .env("ADMIN_EMAIL", "admin@example.com")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("MEMBER_EMAIL", "maria@example.com")
        .env("MEMBER_PASSWORD", PASSWORD)
        .env("PHOTO", root().join("photos/samples/grace_hopper.jpg"))
        .env("CAMERA_Y4M", &video)
        .env("SHOTS", &shots)
        .env("DAY_ROSTER", &roster)
        .env("DAY_ZIP", &shoot_zip)
        .env("DAY_PERSON", "e-001")
        .env("DAY_MEMBER", "barack@example.com")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "web.mjs failed (screenshots in {}):\n{stdout}\n{}",
        shots.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    eprintln!("{summary}");
    assert_ne!(summary["camera"], Value::Null, "{summary}");
    assert_ne!(
        summary["day"],
        Value::Null,
        "the headshot day ran: {summary}"
    );
    // Every screenshot is a real rendering: the right size, with content.
    for (name, width) in [
        ("camera.png", 1280),
        ("result.png", 1280),
        ("result-phone.png", 390),
        ("gallery.png", 1280),
        ("guideline.png", 1280),
        ("members.png", 1280),
        ("day-admin.png", 1280),
        ("day-member.png", 1280),
        ("day-member-phone.png", 390),
    ] {
        let (w, h, sd) = spread(&shots.join(name));
        assert_eq!(w, width, "{name}");
        assert!(h >= 600, "{name}: {w}×{h}");
        assert!(sd > 20.0, "{name} looks blank (luminance spread {sd:.1})");
    }
    // The approved headshot is in the export the admin downloaded (web.mjs also checks team.csv).
    let headshots = summary["export"]["member_headshots"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !headshots.is_empty()
            && headshots.iter().all(|e| e
                .as_str()
                .is_some_and(|e| e.starts_with("maria@example.com/") && e.ends_with(".jpg"))),
        "{summary}"
    );
}
