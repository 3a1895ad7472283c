//! `trueshot check` driven as a user drives it: the real binary, real photos, real models
//! (fetched by `scripts/test` before the tests run).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn trueshot(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trueshot"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run trueshot");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).to_string() + &stdout,
    )
}

fn finding<'a>(photo: &'a Value, check: &str) -> &'a Value {
    photo["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding in {photo}"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trueshot-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn json_report_has_the_documented_shape() {
    let (code, json, out) = trueshot(&[
        "check",
        "--json",
        "photos/samples/obama.jpg",
        "photos/samples/coffee.png",
    ]);
    assert_eq!(code, 1, "a photo without a face fails the guideline: {out}");
    let photos = json.as_array().expect("one JSON array");
    assert_eq!(photos.len(), 2);
    let obama = &photos[0];
    assert_eq!(obama["path"], "photos/samples/obama.jpg");
    assert_eq!(
        (obama["width"].as_u64(), obama["height"].as_u64()),
        (Some(910), Some(1137))
    );
    assert!(obama.get("error").is_none());
    let face = &obama["faces"][0];
    assert_eq!(face["bbox"].as_array().unwrap().len(), 4);
    assert!(face["score"].as_f64().unwrap() > 0.5);
    // the person's own left eye is on the right of the picture
    assert!(face["eyes"]["left"][0].as_f64().unwrap() > face["eyes"]["right"][0].as_f64().unwrap());
    assert!(face["chin"][1].as_f64().unwrap() > face["eyes"]["left"][1].as_f64().unwrap());
    for k in ["yaw", "pitch", "roll"] {
        assert!(face["pose"][k].is_number());
    }
    for f in obama["findings"].as_array().unwrap() {
        assert!(f["check"].is_string() && (f["value"].is_number() || f["value"].is_null()));
        let status = f["status"].as_str().unwrap();
        assert!(["pass", "warn", "fail"].contains(&status));
        assert_eq!(
            status == "pass",
            f["advice"].as_str().unwrap().is_empty(),
            "advice only when something is to be done: {f}"
        );
    }
    let coffee = &photos[1];
    assert_eq!(coffee["faces"].as_array().unwrap().len(), 0);
    let count = finding(coffee, "face_count");
    assert_eq!(count["status"], "fail");
    assert!(count["advice"].as_str().unwrap().contains("no face"));
}

#[test]
fn checks_cover_the_ofiq_measures() {
    let (_, json, out) = trueshot(&["check", "--json", "photos/samples/grace_hopper.jpg"]);
    let photo = &json[0];
    for check in [
        "face_count",
        "head_yaw",
        "head_pitch",
        "head_roll",
        "right_eye_open",
        "left_eye_open",
        "mouth_open",
        "smile",
        "sharpness",
        "face_exposure",
        "face_clipping",
        "light_balance",
        "eye_distance",
        "face_size",
        "room_above_head",
        "room_below_chin",
        "room_at_sides",
        "background_clutter",
    ] {
        finding(photo, check);
    }
    assert!(out.contains("grace_hopper"));
}

#[test]
fn unreadable_photos_are_reported_and_the_batch_carries_on() {
    let dir = scratch("bad");
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.join("notes.jpg");
    std::fs::write(&text, b"this is a shopping list, not a photo\n").unwrap();
    let truncated = dir.join("truncated.jpg");
    let bytes = std::fs::read(root().join("photos/samples/obama.jpg")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let gif = dir.join("animated.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    let args: Vec<String> = ["check", "--json"]
        .iter()
        .map(|s| s.to_string())
        .chain(
            [&empty, &text, &gif]
                .iter()
                .map(|p| p.display().to_string()),
        )
        .chain(["photos/samples/obama.jpg".to_string()])
        .collect();
    let (code, json, out) = trueshot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{out}");
    let photos = json.as_array().unwrap();
    assert_eq!(photos.len(), 4);
    for (photo, (path, reason)) in
        photos
            .iter()
            .zip([(&empty, "empty"), (&text, "text file"), (&gif, "GIF")])
    {
        let err = photo["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error for {}", path.display()));
        assert!(
            err.contains(&path.display().to_string()) && err.contains(reason),
            "{err}"
        );
        assert!(photo.get("faces").is_none());
    }
    assert_eq!(
        photos[3]["faces"].as_array().unwrap().len(),
        1,
        "the good photo after the bad ones is still checked"
    );
    // a cut-short JPEG is refused, not checked as a half-grey picture
    let (code, _, out) = trueshot(&["check", truncated.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cut short"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
}

#[test]
fn missing_models_name_the_fetch_command() {
    let (code, _, out) = trueshot(&[
        "--models-dir",
        "/nonexistent/trueshot-models",
        "check",
        "photos/samples/obama.jpg",
    ]);
    assert_eq!(code, 2);
    assert!(out.contains("trueshot models fetch"), "{out}");
}

#[test]
fn models_list_shows_status_licence_and_upstream() {
    let (code, _, out) = trueshot(&["models", "list"]);
    assert_eq!(code, 0, "{out}");
    for id in [
        "face_detection_short",
        "face_detection_full",
        "face_landmark",
        "iris_landmark",
        "pose_landmark_full",
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing: {out}"));
        assert!(line.contains("ready"), "{line}");
    }
    assert!(
        out.contains("licence: Apache-2.0") && out.contains("mediapipe==0.10.14"),
        "{out}"
    );
}

/// Edits a real photo, checks it, and returns the JSON report.
fn check_edited(name: &str, edit: impl Fn(image::RgbImage) -> image::RgbImage) -> Value {
    let img = image::open(root().join("photos/samples/grace_hopper.jpg"))
        .unwrap()
        .into_rgb8();
    let path = scratch(name).join(format!("{name}.png"));
    edit(img).save(&path).unwrap();
    let (_, json, out) = trueshot(&["check", "--json", path.to_str().unwrap()]);
    assert!(
        json[0]["faces"].as_array().is_some_and(|f| !f.is_empty()),
        "{out}"
    );
    json[0].clone()
}

#[test]
fn the_original_passes_the_checks_the_edits_below_break() {
    let photo = check_edited("original", |i| i);
    for check in [
        "sharpness",
        "face_exposure",
        "face_clipping",
        "head_roll",
        "light_balance",
        "face_count",
    ] {
        assert_eq!(finding(&photo, check)["status"], "pass", "{check}: {photo}");
    }
}

#[test]
fn a_blurred_photo_is_called_blurred() {
    let photo = check_edited("blurred", |i| image::imageops::blur(&i, 4.0));
    let f = finding(&photo, "sharpness");
    assert_ne!(f["status"], "pass", "{f}");
    assert!(f["advice"].as_str().unwrap().contains("blur"));
}

#[test]
fn a_dark_photo_is_called_underexposed_and_a_burnt_one_clipped() {
    let dark = check_edited("dark", |mut i| {
        // three stops down in linear light
        for p in i.pixels_mut() {
            for c in p.0.iter_mut() {
                let lin = (*c as f32 / 255.0).powf(2.2) / 8.0;
                *c = (lin.powf(1.0 / 2.2) * 255.0).round() as u8;
            }
        }
        i
    });
    let f = finding(&dark, "face_exposure");
    assert_eq!(f["status"], "fail", "{f}");
    assert!(f["advice"].as_str().unwrap().contains("underexposed"));
    let bright = check_edited("bright", |mut i| {
        for p in i.pixels_mut() {
            for c in p.0.iter_mut() {
                *c = (*c as f32 * 2.2).min(255.0) as u8;
            }
        }
        i
    });
    assert_eq!(finding(&bright, "face_clipping")["status"], "fail");
}

#[test]
fn a_tilted_head_gets_advice_to_straighten() {
    let photo = check_edited("tilted", |i| {
        let (w, h) = i.dimensions();
        let angle = 25f32.to_radians();
        let (s, c) = angle.sin_cos();
        image::RgbImage::from_fn(w, h, |x, y| {
            let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
            let (sx, sy) = (
                c * dx + s * dy + w as f32 / 2.0,
                -s * dx + c * dy + h as f32 / 2.0,
            );
            if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
                *i.get_pixel(sx as u32, sy as u32)
            } else {
                image::Rgb([128, 128, 128])
            }
        })
    });
    let f = finding(&photo, "head_roll");
    assert_eq!(f["status"], "fail", "{f}");
    assert!(
        (f["value"].as_f64().unwrap().abs() - 25.0).abs() < 5.0,
        "{f}"
    );
    assert!(f["advice"].as_str().unwrap().contains("straighten"));
}

#[test]
fn a_group_photo_asks_for_one_person() {
    let (code, json, out) = trueshot(&["check", "--json", "photos/test/group.jpg"]);
    assert_eq!(code, 1, "{out}");
    let f = finding(&json[0], "face_count");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["value"].as_f64(), Some(4.0));
    assert!(f["advice"].as_str().unwrap().contains("only one person"));
}

#[test]
fn exit_code_zero_when_every_photo_passes() {
    // obama3.jpg meets the corporate guideline (it may warn, it does not fail)
    let (code, json, out) = trueshot(&["check", "--json", "photos/samples/obama3.jpg"]);
    assert_eq!(code, 0, "{out}");
    assert!(json[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] != "fail"));
    let (code, _, out) = trueshot(&["check", "photos/samples/obama3.jpg"]);
    assert_eq!(code, 0);
    assert!(out.contains("PASS"), "human-readable by default: {out}");
}

#[test]
fn every_hostile_file_gives_a_clear_error_and_exit_code_2() {
    let bad = root().join("photos/bad");
    let mut files: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    for f in &files {
        let (code, json, out) = trueshot(&["check", "--json", f]);
        assert_eq!(code, 2, "{f}: {out}");
        let err = json[0]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{f}: no error in {out}"));
        assert!(
            err.starts_with(f.as_str()),
            "the error names the file: {err}"
        );
        assert!(!out.contains("panicked"), "{out}");
    }
}

#[test]
fn parallel_checking_gives_the_same_reports_in_input_order() {
    let photos = [
        "photos/samples/obama.jpg",
        "photos/samples/coffee.png",
        "photos/bad/empty.jpg",
        "photos/samples/biden.jpg",
        "photos/samples/astronaut.png",
    ];
    let run = |jobs: &str| {
        let mut args = vec!["check", "--json", "--jobs", jobs];
        args.extend(photos);
        trueshot(&args)
    };
    let (code1, one, _) = run("1");
    let (code2, two, _) = run("2");
    assert_eq!((code1, code2), (2, 2));
    assert_eq!(
        one, two,
        "the same photos give the same report whatever the number of jobs"
    );
    let order: Vec<&str> = two
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(order, photos);
}

#[test]
fn a_busy_background_is_called_busy_and_a_plain_one_is_not() {
    // Paint the background beside the head (clear of the person) flat grey, or with a fine
    // checkerboard: only the second should count as clutter.
    let corners = |x: u32, y: u32| y < 330 && !(120..=420).contains(&x);
    let plain = check_edited("plain-bg", |mut i| {
        for (x, y, p) in i.enumerate_pixels_mut() {
            if corners(x, y) {
                *p = image::Rgb([150, 150, 150]);
            }
        }
        i
    });
    let busy = check_edited("busy-bg", |mut i| {
        for (x, y, p) in i.enumerate_pixels_mut() {
            if corners(x, y) {
                *p = if (x / 6 + y / 6) % 2 == 0 {
                    image::Rgb([30, 30, 30])
                } else {
                    image::Rgb([230, 230, 230])
                };
            }
        }
        i
    });
    let plain = finding(&plain, "background_clutter");
    let busy = finding(&busy, "background_clutter");
    assert_ne!(busy["status"], "pass", "{busy}");
    assert!(busy["advice"].as_str().unwrap().contains("plain wall"));
    assert!(
        plain["value"].as_f64().unwrap() + 0.1 < busy["value"].as_f64().unwrap(),
        "plain {plain} busy {busy}"
    );
}
