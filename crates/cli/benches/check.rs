//! The whole `check` of one photo — decode, analysis copy, perception, findings — on a 12 MP
//! JPEG and on a 1280×720 frame, one thread. Run: `cargo bench -p trueshot --bench check`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trueshot_codec::{decode_bytes_reduced, Limits};
use trueshot_guide::Guideline;
use trueshot_vision::{ModelStore, PerceiveOptions, Perception, PhotoView, ANALYSIS_LONG_SIDE};

fn main() {
    divan::main();
}

fn perception() -> &'static Perception {
    static P: OnceLock<Perception> = OnceLock::new();
    P.get_or_init(|| {
        Perception::load(&ModelStore::new(ModelStore::default_dir())).expect("models fetched")
    })
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
    let src = image::open(path).unwrap().into_rgb8();
    let scaled = image::imageops::resize(
        &src,
        (height as f32 * 910.0 / 1137.0) as u32,
        height,
        image::imageops::FilterType::CatmullRom,
    );
    let mut canvas = image::RgbImage::from_pixel(width, height, image::Rgb([120, 118, 110]));
    image::imageops::overlay(
        &mut canvas,
        &scaled,
        (i64::from(width) - i64::from(scaled.width())) / 2,
        0,
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&canvas)
        .unwrap();
    out
}

fn check(bytes: &[u8], guide: &Guideline, options: &PerceiveOptions) -> usize {
    // the path `trueshot check` takes: shrink-on-load decode, full-size coordinates
    let photo = decode_bytes_reduced(
        bytes,
        &PathBuf::from("bench.jpg"),
        &Limits::default(),
        ANALYSIS_LONG_SIDE,
    )
    .unwrap();
    let (w, h) = photo.full_size();
    let view = PhotoView::with_full_size(&photo.image, w, h).unwrap();
    let scene = perception().perceive(&view, options).unwrap();
    trueshot_assess::assess(&view, &scene, guide).len()
}

#[divan::bench(sample_count = 20)]
fn check_12mp_jpeg(b: divan::Bencher) {
    let bytes = jpeg(3024, 4032);
    let guide = Guideline::default_preset();
    perception();
    b.bench(|| {
        check(
            divan::black_box(&bytes),
            &guide,
            &PerceiveOptions::default(),
        )
    });
}

#[divan::bench(sample_count = 50)]
fn check_1280x720_frame(b: divan::Bencher) {
    let bytes = jpeg(1280, 720);
    let guide = Guideline::default_preset();
    perception();
    b.bench(|| {
        check(
            divan::black_box(&bytes),
            &guide,
            &PerceiveOptions::default(),
        )
    });
}

#[divan::bench(sample_count = 50)]
fn check_1280x720_live_frame(b: divan::Bencher) {
    // live guidance: no search for distant faces
    let bytes = jpeg(1280, 720);
    let guide = Guideline::default_preset();
    perception();
    let options = PerceiveOptions {
        far_faces: false,
        ..Default::default()
    };
    b.bench(|| check(divan::black_box(&bytes), &guide, &options));
}
