//! Writes N 12 MP (3024×4032) JPEGs made from the given photos, for the whole-run benchmark
//! (`scripts/bench`). Usage: make_12mp OUTDIR N PHOTO...
//! `MAKE_12MP_FIT=0.55` scales each photo to that fraction of the canvas (grey around it), so that
//! the tight sample portraits leave room for every framing of the corporate guideline.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, n, photos) = match args.as_slice() {
        [out, n, photos @ ..] if !photos.is_empty() => (
            std::path::PathBuf::from(out),
            n.parse::<usize>().expect("N"),
            photos,
        ),
        _ => panic!("usage: make_12mp OUTDIR N PHOTO..."),
    };
    let sources: Vec<image::RgbImage> = photos
        .iter()
        .map(|p| image::open(p).expect("photo").into_rgb8())
        .collect();
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let (w, h) = (3024u32, 4032u32);
        let fit: f32 = std::env::var("MAKE_12MP_FIT")
            .ok()
            .and_then(|f| f.parse().ok())
            .unwrap_or(1.0);
        let s = fit * (w as f32 / src.width() as f32).min(h as f32 / src.height() as f32);
        let scaled = image::imageops::resize(
            src,
            (src.width() as f32 * s) as u32,
            (src.height() as f32 * s) as u32,
            image::imageops::FilterType::CatmullRom,
        );
        let mut canvas = image::RgbImage::from_pixel(w, h, image::Rgb([120, 118, 110]));
        image::imageops::overlay(
            &mut canvas,
            &scaled,
            i64::from((w - scaled.width()) / 2),
            i64::from((h - scaled.height()) / 2),
        );
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(out.join(format!("photo{i:03}.jpg"))).expect("create"),
        );
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 90)
            .encode_image(&canvas)
            .expect("encode");
    }
}
