//! The library's one call, as a program that is not `trueshot process` uses it: a real photo's
//! bytes in, signed headshots in memory out, nothing written; a damaged photo gives a typed error
//! that says it is the photo's fault and names it as the caller did.

use std::path::Path;
use std::sync::OnceLock;

use trueshot_pipeline::{Engine, Error, Input, Overrides, PhotoStatus, Recipe, Signing};

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let store = trueshot_vision::ModelStore::new(trueshot_vision::ModelStore::default_dir());
        Engine::load(&store, Signing::test().expect("test certificate"))
            .expect("models fetched (scripts/test does it)")
    })
}

fn recipe() -> Recipe {
    let loaded = trueshot_guide::Guideline::load_full("corporate").unwrap();
    Recipe::new(loaded, &Overrides::default()).unwrap()
}

fn photo(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../photos")
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_photo_becomes_signed_headshots_in_memory() {
    let bytes = photo("samples/obama.jpg");
    let input = Input::new(&bytes, Path::new("uploads/obama.jpg"), "obama");
    let outcome = engine().process(&recipe(), &input);
    let r = &outcome.report;
    assert_eq!(r.status, Some(PhotoStatus::Done), "{:?}", r.error);
    assert!(outcome.error.is_none());
    assert_eq!(
        r.outputs,
        ["obama.web.jpg", "obama.square.jpg", "obama.badge.jpg"]
    );
    // Every output the report lists is among the artifacts, signed with content credentials
    // that name the photo as the caller named it (file name only).
    for file in &r.outputs {
        let a = outcome
            .artifacts
            .iter()
            .find(|a| &a.name == file)
            .unwrap_or_else(|| panic!("{file} is not among the artifacts"));
        let verdict = trueshot_provenance::read(&a.bytes, None).unwrap();
        assert_eq!(verdict.state, trueshot_provenance::State::Valid, "{file}");
        let manifest = verdict.manifest.map(|m| m.to_string()).unwrap_or_default();
        assert!(
            manifest.contains("\"obama.jpg\""),
            "{file}: {manifest:.300}"
        );
        assert!(
            !manifest.contains("uploads/"),
            "{file}: the caller's folder leaked"
        );
    }
    // Each variant's verification passed, and the report reads back as it was written.
    for v in r.variants() {
        assert_eq!(
            v.verification.as_ref().unwrap().status,
            "passed",
            "{}",
            v.name
        );
    }
    let text = serde_json::to_string(r).unwrap();
    let again = trueshot_pipeline::Report::parse(&text).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
}

#[test]
fn a_damaged_photo_is_the_photos_fault_and_named_as_the_caller_named_it() {
    let mut bytes = photo("samples/obama.jpg");
    bytes.truncate(bytes.len() / 3);
    let input = Input::new(&bytes, Path::new("me.jpg"), "me");
    let outcome = engine().process(&recipe(), &input);
    let error = outcome.error.expect("a truncated JPEG is an error");
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert!(error.is_input_fault(), "{error}");
    let r = &outcome.report;
    assert_eq!(r.status, Some(PhotoStatus::Error));
    assert!(
        r.error.as_deref().unwrap().starts_with("me.jpg: "),
        "{:?}",
        r.error
    );
    assert!(r.outputs.is_empty() && outcome.artifacts.is_empty());
    // Bytes that are no photo at all: the same, never a panic.
    let outcome = engine().process(
        &recipe(),
        &Input::new(b"not a photo", Path::new("x.jpg"), "x"),
    );
    assert!(outcome.error.is_some_and(|e| e.is_input_fault()));
}
