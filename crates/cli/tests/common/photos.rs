//! Test photos shared by the command line's tests and the server's (which includes this file).

use std::path::{Path, PathBuf};

/// The repository's root (photos, guidelines).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A 1280×720 camera frame: a real portrait scaled to the frame's height, centred on a plain
/// wall of colour `wall`.
pub fn portrait_on_wall(photo: &str, wall: [u8; 3]) -> image::RgbImage {
    let p = image::open(root().join(photo)).unwrap().to_rgb8();
    let k = 720.0 / p.height() as f32;
    let p = image::imageops::resize(
        &p,
        (p.width() as f32 * k) as u32,
        720,
        image::imageops::FilterType::Triangle,
    );
    let mut frame = image::RgbImage::from_pixel(1280, 720, image::Rgb(wall));
    image::imageops::overlay(&mut frame, &p, (1280 - p.width() as i64) / 2, 0);
    frame
}
