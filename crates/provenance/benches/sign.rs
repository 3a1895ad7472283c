//! What content credentials cost per output, on one thread: XMP plus a signed C2PA manifest
//! (ES256, the local test chain) for the corporate `web` headshot (1200×1500 JPEG, q 90) and a
//! 800×800 PNG; reading and validating one (`trueshot verify`); and screening a 12 MP input for
//! AI declarations (`screen_12mp_jpeg`, done on every photo).
//! Run: `cargo bench -p trueshot-provenance --bench sign`.

use std::path::Path;
use std::sync::OnceLock;

use trueshot_codec::{encode, OutputFormat};
use trueshot_provenance::{Claim, Credentials, Edit, Format, Source, XmpFields};

fn main() {
    divan::main();
}

fn photo(w: u32, h: u32) -> image::RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
    let src = image::open(path).unwrap().into_rgb8();
    image::imageops::resize(&src, w, h, image::imageops::FilterType::Triangle)
}

fn creds() -> &'static (Credentials, c2pa::BoxedSigner) {
    static C: OnceLock<(Credentials, c2pa::BoxedSigner)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("trueshot-bench-creds-{}", std::process::id()));
        let c = Credentials::test(&dir).unwrap();
        let s = c.signer().unwrap();
        (c, s)
    })
}

fn claim(format: Format) -> Claim {
    let sha = trueshot_provenance::sha256_hex(b"original");
    Claim {
        title: "obama.web.jpg".into(),
        format,
        original: Source {
            title: "obama.jpg".into(),
            format: "image/jpeg".into(),
            sha256: sha.clone(),
        },
        edits: vec![
            Edit::Cropped("levelled by 0.9° and cropped".into()),
            Edit::Resized("resampled 1.52× in linear light to 1200×1500 px".into()),
            Edit::Edited("retouch level subtle".into()),
            Edit::BackgroundPlaced {
                description: "solid colour #2b5797".into(),
                component: Source {
                    title: "solid colour #2b5797".into(),
                    format: "application/octet-stream".into(),
                    sha256: sha,
                },
            },
        ],
        xmp: XmpFields {
            digital_source_type: "compositeCapture".into(),
            creator: Some("ACME photo team".into()),
            copyright: Some("© 2026 ACME".into()),
            instance_id: "xmp.iid:bench".into(),
            description: None,
        },
        assertion: serde_json::json!({ "verification": { "status": "passed", "measures": { "identity_distance": 0.036 } } }),
    }
}

fn web_jpeg() -> &'static Vec<u8> {
    static J: OnceLock<Vec<u8>> = OnceLock::new();
    J.get_or_init(|| encode(&photo(1200, 1500), OutputFormat::Jpeg { quality: 90 }, 300).unwrap())
}

#[divan::bench(sample_count = 30)]
fn sign_web_jpeg(bencher: divan::Bencher) {
    let bytes = web_jpeg();
    let c = claim(Format::Jpeg);
    bencher.bench(|| trueshot_provenance::sign(bytes, &c, creds().1.as_ref()).unwrap());
}

#[divan::bench(sample_count = 30)]
fn sign_square_png(bencher: divan::Bencher) {
    let bytes = encode(&photo(800, 800), OutputFormat::Png, 300).unwrap();
    let c = claim(Format::Png);
    bencher.bench(|| trueshot_provenance::sign(&bytes, &c, creds().1.as_ref()).unwrap());
}

#[divan::bench(sample_count = 30)]
fn verify_web_jpeg(bencher: divan::Bencher) {
    let signed =
        trueshot_provenance::sign(web_jpeg(), &claim(Format::Jpeg), creds().1.as_ref()).unwrap();
    bencher.bench(|| trueshot_provenance::read(&signed, None).unwrap());
}

#[divan::bench(sample_count = 30)]
fn screen_12mp_jpeg(bencher: divan::Bencher) {
    let bytes = encode(&photo(3024, 4032), OutputFormat::Jpeg { quality: 92 }, 300).unwrap();
    bencher.bench(|| trueshot_provenance::screen(&bytes));
}
