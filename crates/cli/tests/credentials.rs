//! Content credentials through the real binary: every output of `process` (JPEG, PNG and WebP
//! headshots, transparent cutouts, a print sheet) carries signed C2PA credentials that
//! `trueshot verify` and an independent reader (PyPI's c2pa-python, set up by
//! `tools/judge/setup.sh credentials`, which `scripts/test` runs) validate; a flipped byte or a
//! re-save by another program (Pillow) makes `verify` fail; photos that declare they were made by
//! generative AI are refused (or flagged when the guideline says so) while real photos are not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trueshot-credentials-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs trueshot with its own local test credentials in `creds`.
fn trueshot(creds: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trueshot"))
        .args(args)
        .env("TRUESHOT_TEST_CREDENTIALS", creds)
        .env_remove("TRUESHOT_SIGN_CERT")
        .env_remove("TRUESHOT_SIGN_KEY")
        .current_dir(root())
        .output()
        .expect("run trueshot")
}

/// `trueshot process --json` of one photo with a guideline file.
fn process_with(creds: &Path, out: &Path, guide: &Path, photo: &str) -> Output {
    trueshot(
        creds,
        &[
            "process",
            "--json",
            "--out",
            out.to_str().unwrap(),
            "--guide",
            guide.to_str().unwrap(),
            photo,
        ],
    )
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The corporate guideline with a PNG and a WebP variant, a print sheet, cutouts, a brand colour
/// and the company's creator and copyright.
fn guideline(dir: &Path, extra: &str) -> PathBuf {
    let base = std::fs::read_to_string(root().join("crates/guide/src/presets/corporate.toml"))
        .unwrap()
        .replace("name = \"corporate\"", "name = \"acme\"")
        .replace(
            "[background]\nmode = \"gradient\"\ncolor = \"#B9BDC2\"\ncolor2 = \"#7C8289\"\ngradient = \"radial\"",
            "[background]\nmode = \"color\"\ncolor = \"#2b5797\"\ncutout = true",
        )
        .replace("creator = \"\"", "creator = \"ACME photo team\"")
        .replace("copyright = \"\"", "copyright = \"© 2026 ACME Corp\"");
    let text = format!(
        "{base}\n{extra}\n[[variant]]\nname = \"avatar\"\nwidth = 400\nheight = 400\nformat = \"png\"\neye_line = 0.42\neye_to_chin = 0.2\n\n[[variant]]\nname = \"tag\"\nwidth = 300\nheight = 300\nformat = \"webp\"\neye_line = 0.42\neye_to_chin = 0.2\n\n[[sheet]]\nname = \"prints\"\nof = \"badge\"\nwidth_in = 6.0\nheight_in = 4.0\nmargin_in = 0.1\ngutter_in = 0.2\ncut_marks = true\n"
    );
    let path = dir.join("acme.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_output_carries_valid_credentials_that_break_when_changed() {
    let dir = scratch("outputs");
    let creds = dir.join("creds");
    let out = dir.join("out");
    let guide = guideline(&dir, "");
    let run = process_with(&creds, &out, &guide, "photos/samples/obama.jpg");
    // 1: the photo fails the face-size check (obama.jpg is small), all headshots are made
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("local TEST certificate"),
        "the user is told the credentials are for testing: {}",
        text(&run)
    );
    let report = &json_of(&run)[0];
    assert_eq!(report["status"], "done");
    assert_eq!(report["content_credentials"]["test_certificate"], true);
    let outputs: Vec<String> = report["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| out.join(f.as_str().unwrap()).to_string_lossy().into_owned())
        .collect();
    // 5 headshots (jpeg ×3, png, webp), 5 cutouts, 1 sheet
    assert_eq!(outputs.len(), 11, "{outputs:?}");
    let original_hash = format!(
        "sha256:{}",
        report["input_sha256"].as_str().expect("input hash")
    );

    // trueshot verify: all valid, with the edits and the measures
    let mut args = vec!["verify", "--json"];
    args.extend(outputs.iter().map(String::as_str));
    let v = trueshot(&creds, &args);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    for f in json_of(&v).as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        assert_eq!(f["state"], "valid", "{name}: {f}");
        let m = &f["manifest"];
        assert_eq!(m["signer"]["test_certificate"], true);
        assert_eq!(m["ingredients"][0]["relationship"], "parentOf");
        assert_eq!(m["ingredients"][0]["title"], "obama.jpg");
        assert_eq!(m["ingredients"][0]["hash"], original_hash.as_str());
        let actions: Vec<&str> = m["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions[..3],
            ["c2pa.opened", "c2pa.cropped", "c2pa.resized"],
            "{name}"
        );
        for a in m["actions"].as_array().unwrap() {
            let dst = a["digital_source_type"].as_str().unwrap_or("");
            assert!(!dst.contains("rainedAlgorithmicMedia"), "{name}: {a}");
        }
        let t = &m["trueshot"];
        assert_eq!(t["guideline"]["name"], "acme");
        assert!(t["guideline"]["sha256"].is_string());
        if name.contains(".cutout.") {
            assert!(!actions.contains(&"c2pa.placed"), "{name}: {actions:?}");
        } else {
            let placed = m["actions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["action"] == "c2pa.placed")
                .unwrap_or_else(|| panic!("{name}: {actions:?}"));
            assert!(placed["digital_source_type"]
                .as_str()
                .unwrap()
                .ends_with("/compositeCapture"));
            assert!(placed["description"].as_str().unwrap().contains("#2b5797"));
            assert_eq!(m["ingredients"][1]["relationship"], "componentOf");
        }
        if !name.contains(".prints.") {
            assert_eq!(t["verification"]["status"], "passed", "{name}");
            assert_eq!(
                t["verification"]["measures"].as_object().unwrap().len(),
                t["verification"]["measures"]
                    .as_object()
                    .unwrap()
                    .len()
                    .max(8)
            );
            assert!(t["verification"]["bounds"]["identity_distance"].is_number());
        }
        // XMP: IPTC source type, creator, copyright; nothing else about the person or camera
        let bytes = std::fs::read(name).unwrap();
        let xmp = trueshot_provenance::xmp::packets(&bytes, 4);
        assert_eq!(xmp.len(), 1, "{name}");
        let x = String::from_utf8_lossy(xmp[0]);
        assert!(
            x.contains("ACME photo team") && x.contains("© 2026 ACME Corp"),
            "{x}"
        );
        assert!(x.contains("digitalsourcetype/"), "{x}");
        for private in ["GPS", "SerialNumber", "exif:"] {
            assert!(!x.contains(private), "{name}: {private}");
        }
    }
    // the human-readable form lists the source, the edits and the measures
    let web = out.join("obama.web.jpg");
    let v = trueshot(&creds, &["verify", web.to_str().unwrap()]);
    let said = text(&v);
    for part in [
        "VALID",
        "TEST certificate",
        "made from: obama.jpg",
        "c2pa.placed",
        "compositeCapture",
        "identity_distance",
        "verification: passed",
    ] {
        assert!(said.contains(part), "{part} missing from:\n{said}");
    }
    // trusted once the local test root is given as a trust anchor
    let root_pem = std::fs::read_dir(&creds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("test-root.pem"))
        .expect("test root written");
    let v = trueshot(
        &creds,
        &[
            "verify",
            "--json",
            "--trust",
            root_pem.to_str().unwrap(),
            web.to_str().unwrap(),
        ],
    );
    assert_eq!(json_of(&v)[0]["state"], "trusted", "{}", text(&v));

    // an independent reader validates every output and sees the actions and our assertion
    let report_path = dir.join("judge.json");
    let judge = Command::new("python3")
        .arg("tools/judge/credentials.py")
        .args(&outputs)
        .args(["--json", report_path.to_str().unwrap()])
        .current_dir(root())
        .output()
        .expect("run python3");
    assert_ne!(
        judge.status.code(),
        Some(2),
        "the c2pa-python judge is not set up: run tools/judge/setup.sh credentials\n{}",
        text(&judge)
    );
    assert_eq!(judge.status.code(), Some(0), "{}", text(&judge));
    let rows: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    for r in rows["rows"].as_array().unwrap() {
        assert!(
            r["assertion_labels"]
                .as_array()
                .unwrap()
                .contains(&json!("org.trueshot.headshot")),
            "{r}"
        );
        assert_eq!(r["actions"][0]["action"], "c2pa.opened", "{r}");
        assert_eq!(r["claim_generator"], "trueshot");
    }

    // one flipped byte in the pixel data makes it invalid
    let bytes = std::fs::read(&web).unwrap();
    let sos = bytes
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .expect("start of scan");
    let mut flipped = bytes.clone();
    let at = sos + (bytes.len() - sos) / 2;
    flipped[at] ^= 0x01;
    let bad = dir.join("flipped.jpg");
    std::fs::write(&bad, &flipped).unwrap();
    let v = trueshot(&creds, &["verify", bad.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("INVALID"), "{}", text(&v));
    // so does one flipped byte inside the manifest
    let jumbf = bytes.windows(4).position(|w| w == b"jumb").unwrap();
    let mut flipped = bytes.clone();
    flipped[jumbf + 900] ^= 0x01;
    std::fs::write(&bad, &flipped).unwrap();
    let v = trueshot(&creds, &["verify", bad.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));

    // re-saved by another program (Pillow, in the dlib judge's venv): no valid credentials
    let venv = std::env::var("TRUESHOT_JUDGE_VENV").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/trueshot/judge-venv"),
        PathBuf::from,
    );
    let resaved = dir.join("resaved.jpg");
    let pil = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], quality=95)",
            web.to_str().unwrap(),
            resaved.to_str().unwrap(),
        ])
        .output()
        .expect("run the judge venv's python (tools/judge/setup.sh identity)");
    assert!(pil.status.success(), "{}", text(&pil));
    let v = trueshot(&creds, &["verify", resaved.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("NO CONTENT CREDENTIALS"), "{}", text(&v));

    // not a picture: unreadable
    let v = trueshot(&creds, &["verify", guide.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    let _ = std::fs::remove_dir_all(&dir);
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn photos_declared_as_ai_made_are_refused_and_real_ones_are_not() {
    let dir = scratch("ai");
    let creds = dir.join("creds");
    // made by `cargo run -p trueshot-provenance --example make_ai_fixtures`
    let xmp = root().join("photos/ai-labelled/xmp_trained.jpg");
    let c2pa = root().join("photos/ai-labelled/c2pa_composite_trained.jpg");
    let real = root().join("photos/samples/obama.jpg");
    let inputs = [
        xmp.to_str().unwrap(),
        c2pa.to_str().unwrap(),
        real.to_str().unwrap(),
    ];

    // process: the labelled photos are refused with the reason, the real one is made
    let out = dir.join("out");
    let mut args = vec![
        "process",
        "--json",
        "--background",
        "#2b5797",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(inputs);
    let run = trueshot(&creds, &args);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let reports = json_of(&run);
    for r in reports.as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let ai = findings(r).into_iter().find(|f| f.0 == "ai_generated");
        if name == "obama" {
            assert_eq!(ai, None);
            assert_eq!(r["status"], "done", "{r}");
        } else {
            assert_eq!(ai, Some(("ai_generated".into(), "fail".into())), "{name}");
            assert_eq!(r["status"], "rejected", "{name}");
            assert!(r["outputs"].as_array().unwrap().is_empty(), "{name}");
            let reason = r["variants"][0]["reason"].as_str().unwrap();
            assert!(reason.contains("generative AI"), "{reason}");
        }
    }
    let c2pa_report = reports
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "c2pa_composite_trained")
        .unwrap();
    assert_eq!(c2pa_report["ai_declaration"]["declared_in"], "C2PA");
    assert!(c2pa_report["ai_declaration"]["detail"]
        .as_str()
        .unwrap()
        .contains("some-image-generator"));

    // check says so too
    let mut args = vec!["check", "--json"];
    args.extend(inputs);
    let run = trueshot(&creds, &args);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    for r in json_of(&run).as_array().unwrap() {
        let file = r["path"].as_str().unwrap_or("");
        let ai = findings(r)
            .into_iter()
            .any(|f| f == ("ai_generated".into(), "fail".into()));
        assert_eq!(ai, !file.ends_with("obama.jpg"), "{r}");
    }

    // a guideline that only flags them: made, with a warning
    let guide = guideline(&dir, "");
    std::fs::write(
        &guide,
        std::fs::read_to_string(&guide)
            .unwrap()
            .replace("ai_inputs = \"refuse\"", "ai_inputs = \"flag\""),
    )
    .unwrap();
    let out = dir.join("flagged");
    let run = process_with(&creds, &out, &guide, xmp.to_str().unwrap());
    let r = &json_of(&run)[0];
    assert_ne!(r["status"], "rejected", "{}", text(&run));
    assert!(!r["outputs"].as_array().unwrap().is_empty());
    assert!(findings(r).contains(&("ai_generated".into(), "warn".into())));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hostile and damaged files (photos/bad) get a verdict or "unreadable" each, in one run: never a
/// crash, never "valid".
#[test]
fn verify_names_every_hostile_file_and_never_crashes() {
    let dir = scratch("hostile");
    let files: Vec<String> = std::fs::read_dir(root().join("photos/bad"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["verify", "--json"];
    args.extend(files.iter().map(String::as_str));
    let v = trueshot(&dir, &args);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    let rows = json_of(&v);
    assert_eq!(rows.as_array().unwrap().len(), files.len());
    for r in rows.as_array().unwrap() {
        let state = r["state"].as_str().unwrap();
        assert!(["missing", "invalid", "unreadable"].contains(&state), "{r}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
