//! Retouching, verification and team tone through the real binary on real photos: every
//! headshot carries its authenticity measures and bounds (report, summary.csv, contact sheet
//! with before/after face crops), an over-strong retouch is refused and the weaker one
//! delivered, and `--team` brings a photo taken with a darker, warmer camera setting back
//! toward the rest of the batch.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trueshot-retouch-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn process(out: &Path, args: &[&str], photos: &[&str]) -> Vec<Value> {
    let run = Command::new(env!("CARGO_BIN_EXE_trueshot"))
        .args(["process", "--json", "--jobs", "2", "--out"])
        .arg(out)
        .args(args)
        .args(photos)
        .current_dir(root())
        .output()
        .expect("run trueshot");
    let stdout = String::from_utf8_lossy(&run.stdout);
    serde_json::from_str::<Value>(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&run.stderr)))
        .as_array()
        .cloned()
        .unwrap()
}

fn written(reports: &[Value]) -> Vec<(String, Value)> {
    reports
        .iter()
        .flat_map(|r| {
            let name = r["name"].as_str().unwrap().to_string();
            r["variants"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|v| v["status"] == "written")
                .map(move |v| (name.clone(), v))
        })
        .collect()
}

const MEASURES: [&str; 8] = [
    "identity_distance",
    "landmark_drift",
    "texture_kept",
    "eye_white_l_rise",
    "skin_lightness_shift",
    "skin_hue_chroma_delta_e",
    "age_change_years",
    "clothing_delta_e",
];

#[test]
fn every_headshot_is_verified_and_shows_its_numbers() {
    let out = scratch("verified");
    let reports = process(
        &out,
        &["--background", "#2b5797"],
        &[
            "photos/samples/obama.jpg",
            "photos/samples/biden.jpg",
            "photos/samples/grace_hopper.jpg",
        ],
    );
    let heads = written(&reports);
    assert!(heads.len() >= 5, "{} headshots", heads.len());
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    for (name, v) in &heads {
        let ver = &v["verification"];
        assert_eq!(ver["status"], "passed", "{name} {}: {ver}", v["name"]);
        assert_eq!(v["retouch"]["requested"], "subtle");
        assert_eq!(v["retouch"]["delivered"], "subtle", "{name} {}", v["name"]);
        for k in MEASURES {
            let value = ver["measures"][k].as_f64();
            let bound = ver["bounds"][k].as_f64();
            assert!(
                value.is_some() && bound.is_some(),
                "{name} {}: {k}",
                v["name"]
            );
            let col = header.iter().position(|h| *h == k).expect(k);
            let row = csv
                .lines()
                .find(|l| l.contains(&format!("{name}.{}.", v["name"].as_str().unwrap())))
                .unwrap();
            assert!(row.split(',').nth(col).unwrap().parse::<f64>().is_ok());
        }
        // Before and after face crops at 100 %, the same size, linked from the contact sheet.
        let crops: Vec<&str> = v["face_crops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let (a, b) = (
            image::open(out.join(crops[0])).unwrap(),
            image::open(out.join(crops[1])).unwrap(),
        );
        assert_eq!((a.width(), a.height()), (b.width(), b.height()));
        assert!(a.width() > 100);
        for c in crops {
            assert!(html.contains(c), "{c} in index.html");
        }
    }
    assert!(html.contains("identity distance"));
}

#[test]
fn an_over_strong_retouch_is_refused_and_the_weaker_one_delivered() {
    let out = scratch("refused");
    let guide = out.join("natural.toml");
    let text = std::fs::read_to_string(root().join("crates/guide/src/presets/corporate.toml"))
        .unwrap()
        .replace("level = \"subtle\"", "level = \"natural\"");
    std::fs::write(&guide, text).unwrap();
    // Four times what the natural level allows (a test-only setting): plastic skin.
    let reports = process(
        &out,
        &[
            "--guide",
            guide.to_str().unwrap(),
            "--background",
            "#2b5797",
            "--retouch-strength",
            "4",
        ],
        &[
            "photos/samples/obama.jpg",
            "photos/samples/grace_hopper.jpg",
        ],
    );
    let heads = written(&reports);
    assert!(heads.len() >= 3);
    for (name, v) in &heads {
        let ver = &v["verification"];
        let attempts = ver["attempts"].as_array().expect("attempts");
        assert_eq!(attempts[0]["level"], "natural");
        let broken: Vec<&str> = attempts[0]["breaches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["measure"].as_str().unwrap())
            .collect();
        assert!(broken.contains(&"texture_kept"), "{name}: {broken:?}");
        // The next attempt is the guideline's next level, at its normal strength: delivered.
        assert_eq!(v["retouch"]["delivered"], "subtle", "{name}");
        assert_eq!(ver["status"], "passed", "{name}");
        assert!(ver["measures"]["texture_kept"].as_f64().unwrap() > 0.85);
    }
}

#[test]
fn team_mode_brings_an_off_camera_setting_back_to_the_batch() {
    let out = scratch("team");
    // obama.jpg as a camera with a darker exposure and a warm white balance would have taken
    // it (linear gains 0.6, 0.55, 0.42).
    let photo = image::open(root().join("photos/samples/obama.jpg"))
        .unwrap()
        .into_rgb8();
    let lin = |v: u8| {
        let c = f32::from(v) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let enc = |c: f32| {
        let c = c.clamp(0.0, 1.0);
        let v = if c <= 0.0031308 {
            c * 12.92
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        };
        (v * 255.0).round() as u8
    };
    let mut off = photo.clone();
    for p in off.pixels_mut() {
        let g = [0.6, 0.55, 0.42];
        p.0 = std::array::from_fn(|c| enc(lin(p.0[c]) * g[c]));
    }
    let off_path = out.join("obama-off.png");
    off.save(&off_path).unwrap();
    let batch = [
        "photos/samples/obama.jpg",
        "photos/samples/obama3.jpg",
        "photos/samples/biden.jpg",
        off_path.to_str().unwrap(),
    ];
    let alone = process(&out.join("alone"), &[], &batch);
    let team = process(&out.join("team"), &["--team"], &batch);
    let tone = |reports: &[Value], name: &str| -> Value {
        reports.iter().find(|r| r["name"] == name).unwrap()["tone"].clone()
    };
    let (a, t) = (tone(&alone, "obama-off"), tone(&team, "obama-off"));
    assert_eq!(t["source"], "team median");
    let gains = |v: &Value| -> Vec<f64> {
        v["gains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_f64().unwrap())
            .collect()
    };
    let (ga, gt) = (gains(&a), gains(&t));
    println!("alone {a}\nteam {t}");
    // Brighter, and bluer than red: the camera's error is undone (within the caps).
    assert!(t["exposure_ev"].as_f64().unwrap() > 0.2, "{t}");
    assert!(gt[2] > gt[0] * 1.1, "{gt:?}");
    // The batch's own photos barely move.
    let o = gains(&tone(&team, "obama"));
    assert!(o.iter().all(|g| (g - 1.0).abs() < 0.15), "{o:?}");
    // Alone, the off photo gets at most a mild correction.
    assert!(ga.iter().zip(&gt).any(|(x, y)| (x - y).abs() > 0.05));
    // The batch's median is part of what makes a photo done: the same batch again is skipped,
    // a batch without the off photo (another median) redoes the others.
    let again = process(&out.join("team"), &["--team"], &batch);
    assert!(again.iter().all(|r| r["skipped"] == true), "{again:?}");
    let fewer = process(&out.join("team"), &["--team"], &batch[..3]);
    assert!(fewer.iter().all(|r| r["skipped"] == false), "{fewer:?}");
}
