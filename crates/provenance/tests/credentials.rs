//! Content credentials on real pictures: signed outputs validate, any change to pixels or
//! manifest invalidates them, a re-saved copy has none, and inputs that declare generative AI
//! (in XMP or in C2PA) are recognised while ordinary photos are not.

use std::path::{Path, PathBuf};

use serde_json::json;
use trueshot_codec::{decode_bytes, encode, Limits, OutputFormat};
use trueshot_provenance::{
    read, screen, sha256_hex, sign, sniff, xmp, Claim, Credentials, Edit, Format, Source, State,
    XmpFields,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("trueshot-prov-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A real photo, reduced to headshot size, encoded as trueshot encodes outputs.
fn output(photo: &str, format: OutputFormat) -> Vec<u8> {
    let path = root().join("photos/samples").join(photo);
    let bytes = std::fs::read(&path).unwrap();
    let img = decode_bytes(&bytes, &path, &Limits::default())
        .unwrap()
        .image;
    let img = image::imageops::thumbnail(&img, 600, 750);
    encode(&img, format, 300).unwrap()
}

fn claim(photo: &str, format: Format) -> Claim {
    let original = std::fs::read(root().join("photos/samples").join(photo)).unwrap();
    Claim {
        title: format!("{photo}.web"),
        format,
        original: Source {
            title: photo.into(),
            format: sniff(&original).unwrap().mime().into(),
            sha256: sha256_hex(&original),
        },
        edits: vec![
            Edit::Cropped("levelled 1.2°, cropped to the guideline's framing".into()),
            Edit::Resized("scaled 0.61×".into()),
            Edit::ColorAdjusted("white balance: none; exposure +0.00 EV".into()),
            Edit::BackgroundPlaced {
                description: "background replaced by solid colour #2b5797".into(),
                component: Source {
                    title: "solid colour #2b5797".into(),
                    format: "application/octet-stream".into(),
                    sha256: sha256_hex(b"#2b5797"),
                },
            },
            Edit::Edited("retouch subtle: 2 blemishes faded".into()),
        ],
        xmp: XmpFields {
            digital_source_type: "compositeCapture".into(),
            creator: Some("Example Corp photo team".into()),
            copyright: Some("© 2026 Example Corp".into()),
            instance_id: "xmp.iid:test".into(),
            description: None,
        },
        assertion: json!({ "guideline": { "name": "corporate" }, "verification": { "status": "passed" } }),
    }
}

#[test]
fn signed_outputs_validate_and_any_change_invalidates_them() {
    let dir = scratch("sign");
    let creds = Credentials::test(&dir.join("creds")).unwrap();
    let root_pem = Credentials::test_root(&dir.join("creds")).unwrap();
    let signer = creds.signer().unwrap();
    for (format, of) in [
        (Format::Jpeg, OutputFormat::Jpeg { quality: 90 }),
        (Format::Png, OutputFormat::Png),
        (Format::Webp, OutputFormat::WebpLossless),
    ] {
        let plain = output("obama.jpg", of);
        let signed = sign(&plain, &claim("obama.jpg", format), signer.as_ref()).unwrap();
        let v = read(&signed, None).unwrap();
        assert_eq!(v.state, State::Valid, "{format:?}: {:?}", v.problems);
        let m = v.manifest.as_ref().unwrap();
        assert_eq!(m["signer"]["test_certificate"], true);
        let actions: Vec<&str> = m["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "c2pa.opened",
                "c2pa.cropped",
                "c2pa.resized",
                "c2pa.color_adjustments",
                "c2pa.placed",
                "c2pa.edited"
            ],
            "{format:?}"
        );
        assert!(m["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["digital_source_type"]
                .as_str()
                .unwrap_or("")
                .contains("rainedAlgorithmic")));
        assert_eq!(m["trueshot"]["verification"]["status"], "passed");
        // the original by hash
        let parent = &m["ingredients"][0];
        assert_eq!(parent["relationship"], "parentOf");
        assert_eq!(
            parent["hash"].as_str().unwrap(),
            format!(
                "sha256:{}",
                sha256_hex(&std::fs::read(root().join("photos/samples/obama.jpg")).unwrap())
            )
        );
        // XMP with the IPTC source type and the guideline's names, readable as the picture still
        let packets = xmp::packets(&signed, 2);
        assert_eq!(packets.len(), 1, "{format:?}");
        let text = String::from_utf8_lossy(packets[0]);
        assert!(
            text.contains("digitalsourcetype/compositeCapture")
                && text.contains("Example Corp photo team")
        );
        let back = image::load_from_memory(&signed).unwrap();
        assert_eq!(back.width(), 600);
        // trusted once the test root is a trust anchor
        assert_eq!(
            read(&signed, Some(&root_pem)).unwrap().state,
            State::Trusted
        );
        // an unsigned output has no credentials
        assert_eq!(read(&plain, None).unwrap().state, State::Missing);
        // a re-save by another program (decode, encode) drops them
        let resaved = encode(&back.to_rgb8(), of, 72).unwrap();
        assert_eq!(read(&resaved, None).unwrap().state, State::Missing);
        // one flipped byte in the middle of the pixel data, or of the manifest, invalidates it
        let jumbf = memchr::memmem::find(&signed, b"jumb").unwrap();
        let pixels = match format {
            Format::Jpeg => memchr::memmem::rfind(&signed, &[0xFF, 0xDA]).unwrap() + 200,
            Format::Png => memchr::memmem::find(&signed, b"IDAT").unwrap() + 200,
            _ => memchr::memmem::find(&signed, b"VP8L").unwrap() + 200,
        };
        let manifest_byte = jumbf + 600;
        for (what, at) in [("pixel data", pixels), ("manifest", manifest_byte)] {
            let mut bad = signed.clone();
            bad[at] ^= 0x01;
            let v = read(&bad, None).unwrap();
            assert_eq!(
                v.state,
                State::Invalid,
                "{format:?} {what}: {:?}",
                v.problems
            );
            assert!(!v.problems.is_empty());
        }
    }
    // not a picture at all
    assert!(read(b"hello", None).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inputs_declared_as_ai_are_recognised_and_real_photos_are_not() {
    let dir = scratch("screen");
    let creds = Credentials::test(&dir).unwrap();
    // photos/ai-labelled: made by `cargo run -p trueshot-provenance --example make_ai_fixtures`
    let fixture = |name: &str| std::fs::read(root().join("photos/ai-labelled").join(name)).unwrap();
    let d = screen(&fixture("xmp_trained.jpg")).expect("XMP-labelled");
    assert_eq!(d.declared_in, "XMP");
    assert!(d.source_type.ends_with("/trainedAlgorithmicMedia"));
    assert!(d.describe().contains("generative AI"), "{}", d.describe());
    let d = screen(&fixture("c2pa_composite_trained.jpg")).expect("C2PA-labelled");
    assert_eq!(d.declared_in, "C2PA");
    assert!(d
        .source_type
        .ends_with("/compositeWithTrainedAlgorithmicMedia"));
    assert!(d.describe().contains("c2pa.created") && d.describe().contains("some-image-generator"));
    // every real photo in the repo passes, and so does a trueshot output (a real capture,
    // composited), whose credentials and XMP say compositeCapture
    for dir in [
        "photos/samples",
        "photos/test",
        "photos/formats",
        "photos/backgrounds",
    ] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(screen(&bytes), None, "{}", p.display());
        }
    }
    let signed = sign(
        &output("obama.jpg", OutputFormat::Jpeg { quality: 90 }),
        &claim("obama.jpg", Format::Jpeg),
        creds.signer().unwrap().as_ref(),
    )
    .unwrap();
    assert_eq!(screen(&signed), None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_organisations_own_certificate_signs_and_bad_files_are_named() {
    let dir = scratch("own");
    // the test chain's files stand in for an organisation's chain and key
    Credentials::test(&dir).unwrap();
    let own = Credentials::from_files(
        &dir.join("test-signer-chain.pem"),
        &dir.join("test-signer-key.pem"),
    )
    .unwrap();
    assert!(matches!(
        own.origin,
        trueshot_provenance::Origin::Own { .. }
    ));
    assert!(!own.describe().contains("TEST"));
    let signed = sign(
        &output("biden.jpg", OutputFormat::Jpeg { quality: 90 }),
        &claim("biden.jpg", Format::Jpeg),
        own.signer().unwrap().as_ref(),
    )
    .unwrap();
    assert_eq!(read(&signed, None).unwrap().state, State::Valid);
    // a key that does not belong to the chain, and a file that is not PEM, are refused by name
    let other = scratch("other");
    Credentials::test(&other).unwrap();
    let e = Credentials::from_files(
        &dir.join("test-signer-chain.pem"),
        &other.join("test-signer-key.pem"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("test-signer-chain.pem"), "{e}");
    let e = Credentials::from_files(&dir.join("README.txt"), &dir.join("test-signer-key.pem"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("README.txt"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}
