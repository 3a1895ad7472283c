//! How long decoding a phone-sized photo takes.
//!
//! At start-up `photos/samples/obama.jpg` (910×1137) is scaled and centre-cropped to 4032×3024,
//! the 12 MP of a typical phone camera, and encoded in memory as a quality-90 JPEG (1.3 MB: the
//! upscaled picture is smoother than a real 12 MP photo, whose JPEG would be 3–5 MB, so the
//! entropy decoding here is on the light side). The benchmark times `decode_bytes` on it: JPEG
//! decoding, the checks, and the copy into the upright RGB picture.
//!
//! Run with `CARGO_TARGET_DIR=/work/target cargo bench -p trueshot-codec --bench decode`.

use std::path::Path;
use std::sync::LazyLock;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use trueshot_codec::{decode_bytes, decode_bytes_reduced, Limits};

const WIDTH: u32 = 4032;
const HEIGHT: u32 = 3024;

static PHOTO_12MP: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
    let small = image::open(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    let big = small
        .resize_to_fill(WIDTH, HEIGHT, FilterType::Triangle)
        .into_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&big)
        .expect("JPEG encoding in memory");
    eprintln!(
        "bench photo: {WIDTH}×{HEIGHT} JPEG, quality 90, {} bytes",
        jpeg.len()
    );
    jpeg
});

fn main() {
    LazyLock::force(&PHOTO_12MP);
    divan::main();
}

/// Decoding a 12 MP JPEG from memory with the default limits.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn decode_12mp_jpeg(bencher: divan::Bencher) {
    let bytes: &[u8] = &PHOTO_12MP;
    let path = Path::new("bench-12mp.jpg");
    let limits = Limits::default();
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| {
            let photo = decode_bytes(divan::black_box(bytes), path, &limits)
                .expect("the bench photo decodes");
            assert_eq!(photo.image.dimensions(), (WIDTH, HEIGHT));
            photo
        });
}

/// The same photo decoded for analysis (`trueshot check`): half size in the DCT domain, long side
/// at least 1600.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn decode_12mp_jpeg_for_analysis(bencher: divan::Bencher) {
    let bytes: &[u8] = &PHOTO_12MP;
    let path = Path::new("bench-12mp.jpg");
    let limits = Limits::default();
    bencher.bench(|| {
        let photo = decode_bytes_reduced(divan::black_box(bytes), path, &limits, 1600)
            .expect("the bench photo decodes");
        assert_eq!(photo.image.dimensions(), (WIDTH / 2, HEIGHT / 2));
        photo
    });
}
