//! A headshot day, end to end: `trueshot session` on a shoot of four people made from bundled
//! photos: each announced by a shoot card held up in front of them (printed by `trueshot cards`,
//! read back through poppler), then frames framed a little differently, a burst, soft and dark
//! copies; a stranger who steps in before the next card; a roster person who never came. The
//! frames' file names are not in capture order: only their EXIF capture times are.
//!
//! Every frame must go to its person or to review, never to someone else; every pick must be a
//! sharp, well-exposed frame whose headshots are made and named by roster id, with credentials
//! that name only that frame; the missing person is reported as missing. Without cards, faces
//! alone group the frames, and the person with a reference photo is recognised.

#[path = "common/photos.rs"]
#[allow(dead_code)]
mod photos;
#[path = "common/shoot.rs"]
#[allow(dead_code)]
mod shoot;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use shoot::{build, Kind, Plan};

fn trueshot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueshot"))
}

fn run(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = trueshot()
        .args([
            "session",
            "shoot",
            "--roster",
            "people.csv",
            "--out",
            "out",
            "--jobs",
            "2",
        ])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn session(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/session.json")).unwrap()).unwrap()
}

/// Frame name → (who it went to, role), from session.json.
fn placed(s: &Value) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut put = |frame: &Value, who: &str, role: &str| {
        let file = Path::new(frame["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let old = out.insert(file.clone(), (who.to_string(), role.to_string()));
        assert!(old.is_none(), "{file} is listed twice");
    };
    for p in s["people"]
        .as_array()
        .unwrap()
        .iter()
        .chain(s["unknown"].as_array().unwrap())
    {
        let id = p["id"].as_str().unwrap();
        for x in p["picks"].as_array().unwrap() {
            put(&x["frame"], id, "pick");
        }
        for x in p["runners_up"].as_array().unwrap() {
            put(&x["frame"], id, "runner-up");
        }
        for x in p["rejected"].as_array().unwrap() {
            put(&x["frame"], id, "rejected");
        }
    }
    for x in s["cards"].as_array().unwrap() {
        put(&x["frame"], x["near"].as_str().unwrap(), "card");
    }
    for x in s["review"].as_array().unwrap() {
        put(&x["frame"], "", "review");
    }
    for x in s["unreadable"].as_array().unwrap() {
        put(&x["frame"], "", "unreadable");
    }
    out
}

#[test]
fn a_headshot_day_with_cards_gives_everyone_their_best_frame() {
    let dir = shoot::scratch("session", "cards");
    let made = build(
        &dir,
        &Plan::test(true),
        Path::new(env!("CARGO_BIN_EXE_trueshot")),
    );
    assert!(made.frames.len() >= 40, "{} frames", made.frames.len());
    // Damaged files in the shoot are named and set aside; nothing else is affected.
    for bad in ["truncated.jpg", "random.bin.jpg"] {
        std::fs::copy(
            photos::root().join("photos/bad").join(bad),
            dir.join("shoot").join(format!("bad-{bad}")),
        )
        .unwrap();
    }
    let (code, text) = run(&dir, &[]);
    // Someone is missing and a stranger is in review: not everything is done.
    assert_eq!(code, Some(1), "{text}");
    let s = session(&dir);
    let placed = placed(&s);
    assert_eq!(
        placed.len(),
        made.frames.len() + 2,
        "every frame is in the report once: {text}"
    );
    for bad in ["bad-truncated.jpg", "bad-random.bin.jpg"] {
        assert_eq!(placed[bad].1, "unreadable", "{bad}");
    }
    let unreadable = s["unreadable"].as_array().unwrap();
    assert!(
        unreadable
            .iter()
            .all(|n| n["reason"].as_str().unwrap().contains("bad-")),
        "{unreadable:?}"
    );

    for (file, (who, kind)) in &made.frames {
        let (to, role) = &placed[file];
        match kind {
            Kind::Card => assert_eq!((to, role.as_str()), (who, "card"), "{file}"),
            // The stranger goes to review, not to the person whose card came before.
            Kind::Stranger => assert_eq!(role, "review", "{file}: {to}"),
            _ => assert_eq!(to, who, "{file} ({kind:?}) went to {to} as {role}"),
        }
    }

    let people = s["people"].as_array().unwrap();
    for p in people {
        let id = p["id"].as_str().unwrap();
        if id == "e-005" {
            assert_eq!(p["status"], "no_frames", "{p}");
            assert!(p["picks"].as_array().unwrap().is_empty());
            continue;
        }
        assert_eq!(p["status"], "done", "{id}: {p}");
        let pick = &p["picks"][0];
        let file = Path::new(pick["frame"]["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let kind = made.frames[&file].1;
        assert!(
            matches!(kind, Kind::Good | Kind::Burst),
            "{id}: the pick {file} is a {kind:?} frame"
        );
        // Soft frames never beat a sharp one: rejected, or ranked below every good frame.
        let score_of = |f: &str| -> Option<f64> {
            p["runners_up"]
                .as_array()
                .unwrap()
                .iter()
                .chain(p["picks"].as_array().unwrap())
                .find(|r| r["frame"]["file"].as_str().unwrap().ends_with(f))
                .map(|r| r["score"].as_f64().unwrap())
        };
        let (mut good, mut worse) = (f64::MAX, 0f64);
        for (f, (who, k)) in &made.frames {
            if who != id {
                continue;
            }
            match (k, score_of(f)) {
                (Kind::Good | Kind::Burst, Some(sc)) => good = good.min(sc),
                (Kind::Soft | Kind::Dark, Some(sc)) => worse = worse.max(sc),
                _ => {}
            }
        }
        assert!(
            worse < good,
            "{id}: a soft or dark frame scored {worse} against {good} for the worst good one"
        );
        // The headshots are named by roster id and exist; the report names the frame.
        let outputs = pick["outputs"].as_array().unwrap();
        assert!(!outputs.is_empty(), "{id}: {pick}");
        for o in outputs {
            let o = o.as_str().unwrap();
            assert!(o.starts_with(&format!("{id}.")), "{o}");
            assert!(dir.join("out").join(o).is_file(), "{o}");
        }
        let report: Value = serde_json::from_slice(
            &std::fs::read(dir.join("out").join(pick["report"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        assert!(report["input"].as_str().unwrap().ends_with(&file));
        // The content credentials name the frame, never another frame or another person.
        let web = std::fs::read(dir.join("out").join(format!("{id}.web.jpg"))).unwrap();
        let contains = |needle: &str| web.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(contains(&file), "{id}: the credentials name the frame");
        for (other, (who, _)) in &made.frames {
            assert!(
                other == &file || !contains(other),
                "{id}'s headshot names another frame, {other} ({who})"
            );
        }
        for name in [
            "Obama",
            "Biden",
            "Hopper",
            "Collins",
            "Turing",
            "people.csv",
        ] {
            assert!(!contains(name), "{id}'s headshot names {name}");
        }
    }
    // The burst's two frames are one burst; other frames are not in it.
    let burst_of: BTreeMap<String, (String, i64)> = people
        .iter()
        .flat_map(|p| {
            p["picks"]
                .as_array()
                .unwrap()
                .iter()
                .chain(p["runners_up"].as_array().unwrap())
                .map(|r| {
                    let file = Path::new(r["frame"]["file"].as_str().unwrap());
                    let file = file.file_name().unwrap().to_string_lossy().into_owned();
                    (
                        file,
                        (
                            p["id"].as_str().unwrap().to_string(),
                            r["burst"].as_i64().unwrap(),
                        ),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (a, b) in &made.bursts {
        assert_eq!(
            burst_of.get(a),
            burst_of.get(b),
            "{a} and {b} are one burst"
        );
        assert!(burst_of.contains_key(a), "{a} is usable");
    }
    let in_bursts = burst_of.values().collect::<BTreeSet<_>>().len();
    assert!(
        in_bursts + made.bursts.len() >= burst_of.len(),
        "only the bursts' frames share a burst: {burst_of:?}"
    );

    // session.csv: a row per frame; the contact sheet names everyone.
    let csv = std::fs::read_to_string(dir.join("out/session.csv")).unwrap();
    assert_eq!(csv.lines().count(), made.frames.len() + 2 + 1, "{csv}");
    let html = std::fs::read_to_string(dir.join("out/session.html")).unwrap();
    for name in [
        "Barack Obama",
        "Joe Biden",
        "Grace Hopper",
        "Eileen Collins",
        "Alan Turing",
    ] {
        assert!(html.contains(name), "{name} in session.html");
    }

    // A rerun keeps what is made; --picks 2 adds a second frame per person for proofing.
    let (code, text) = run(&dir, &["--picks", "2"]);
    assert_eq!(code, Some(1), "{text}");
    let again = session(&dir);
    for p in again["people"].as_array().unwrap() {
        if p["status"] != "done" {
            continue;
        }
        let picks = p["picks"].as_array().unwrap();
        assert_eq!(picks.len(), 2, "{p}");
        assert_eq!(picks[0]["kept"], true, "{p}");
        let first = s["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == p["id"])
            .unwrap();
        assert_eq!(
            picks[0]["frame"], first["picks"][0]["frame"],
            "the same pick"
        );
        let second = picks[1]["outputs"][0].as_str().unwrap();
        assert!(second.starts_with("proofs/"), "{second}");
        assert!(dir.join("out").join(second).is_file());
    }
}

#[test]
fn a_roster_that_cannot_be_used_stops_the_session_before_any_frame() {
    let dir = shoot::scratch("session", "bad-roster");
    std::fs::create_dir_all(dir.join("shoot")).unwrap();
    std::fs::copy(
        photos::root().join("photos/samples/obama.jpg"),
        dir.join("shoot/a.jpg"),
    )
    .unwrap();
    std::fs::write(dir.join("people.csv"), "id,name\ne-1,Ada\ne-1,Grace\n").unwrap();
    let (code, text) = run(&dir, &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("people.csv, line 3: the id e-1 is already on line 2"),
        "{text}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn without_cards_faces_alone_group_the_frames() {
    let dir = shoot::scratch("session", "faces");
    let made = build(
        &dir,
        &Plan::test(false),
        Path::new(env!("CARGO_BIN_EXE_trueshot")),
    );
    let (code, text) = run(&dir, &[]);
    assert_eq!(code, Some(1), "{text}");
    let s = session(&dir);
    let placed = placed(&s);
    assert_eq!(placed.len(), made.frames.len(), "{text}");
    // Obama has a reference photo (another picture of him): his frames are his. Everyone else's
    // frames form one group per person, and no group holds two people.
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, (who, kind)) in &made.frames {
        let (to, role) = &placed[file];
        if role == "review" {
            // Only a frame nobody else can be told from goes to review: here, none but the
            // stranger, whose face is a blurred crop.
            assert_eq!(*kind, Kind::Stranger, "{file} of {who} went to review");
            continue;
        }
        if who == "e-001" {
            assert_eq!(to, "e-001", "{file}");
        } else {
            assert!(to.starts_with("unknown-"), "{file} of {who} went to {to}");
        }
        groups.entry(to.clone()).or_default().insert(who.clone());
    }
    for (group, people) in &groups {
        assert_eq!(people.len(), 1, "{group} holds {people:?}");
    }
    let people_in_groups: BTreeSet<&String> = groups.values().flatten().collect();
    assert!(people_in_groups.len() >= 4, "{groups:?}");
    let e1 = &s["people"][0];
    assert_eq!(e1["status"], "done", "{e1}");
    let unknown = s["unknown"].as_array().unwrap();
    assert!(unknown.iter().all(|u| u["status"] == "done"), "{unknown:?}");
    assert!(dir.join("out/unknown-1.web.jpg").is_file());
}
