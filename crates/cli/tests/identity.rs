//! Crop-only headshots are still the same person, judged by an independent face-recognition
//! net: dlib's ResNet descriptor (PyPI `dlib-bin` + `face_recognition_models`, set up by
//! `tools/judge/setup.sh identity`, which `scripts/test` runs). dlib's scale: the same person
//! is below 0.6; an ideal crop alone measures 0.03–0.17 with it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn crop_only_headshots_keep_identity_by_dlib() {
    let out = std::env::temp_dir().join(format!("trueshot-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // The frontal portraits (dlib's HOG detector does not find turned heads or profiles).
    let photos = [
        "photos/samples/astronaut.png",
        "photos/samples/biden.jpg",
        "photos/samples/grace_hopper.jpg",
        "photos/samples/obama3.jpg",
        "photos/test/group.jpg",
    ];
    let status = Command::new(env!("CARGO_BIN_EXE_trueshot"))
        .arg("process")
        .args(photos)
        // Crop only: the photo's own background is kept, so every pixel is the original's.
        .args(["--out", out.to_str().unwrap(), "--background", "keep"])
        .current_dir(root())
        .output()
        .expect("run trueshot");
    assert!(status.status.code().unwrap_or(2) <= 1, "{status:?}");
    let report = out.join("identity.json");
    let judge = Command::new("python3")
        .args([
            "tools/judge/identity.py",
            out.to_str().unwrap(),
            "--json",
            report.to_str().unwrap(),
        ])
        .current_dir(root())
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&judge.stdout).to_string()
        + &String::from_utf8_lossy(&judge.stderr);
    eprintln!("{text}");
    assert_ne!(
        judge.status.code(),
        Some(2),
        "the judge is not set up: run tools/judge/setup.sh identity\n{text}"
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rows = json["rows"].as_array().expect("rows");
    assert!(rows.len() >= photos.len(), "every photo judged: {text}");
    // Each at most 0.2, median at most 0.08 (the judge exits 1 otherwise).
    assert_eq!(judge.status.code(), Some(0), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}
