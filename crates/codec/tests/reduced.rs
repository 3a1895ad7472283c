//! Shrink-on-load: JPEGs decoded at 1/2–1/8 size for analysis (`decode_file_reduced`).

use std::path::{Path, PathBuf};

use image::RgbImage;
use trueshot_codec::{
    decode_bytes, decode_bytes_reduced, decode_file, decode_file_reduced, Limits,
};

fn photos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos")
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Mean signed difference per channel (a colour cast or brightness shift).
fn mean_shift(a: &RgbImage, b: &RgbImage) -> [f64; 3] {
    let mut sum = [0i64; 3];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            sum[c] += i64::from(q[c]) - i64::from(p[c]);
        }
    }
    let n = f64::from(a.width() * a.height());
    sum.map(|v| v as f64 / n)
}

fn box_half(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.width() / 2, img.height() / 2, |x, y| {
        let mut px = [0u32; 3];
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let p = img.get_pixel(2 * x + dx, 2 * y + dy);
            for c in 0..3 {
                px[c] += u32::from(p[c]);
            }
        }
        image::Rgb(px.map(|v| ((v + 2) / 4) as u8))
    })
}

/// The DCT-domain half-size decode filters differently from a 2×2 average of the full decode
/// (detail near the Nyquist limit differs by a few levels on this small, detailed picture), but
/// must not shift colour or brightness.
fn assert_close(averaged: &RgbImage, reduced: &RgbImage, what: &str) {
    let diff = mean_abs_diff(averaged, reduced);
    let shift = mean_shift(averaged, reduced);
    eprintln!("{what}: mean abs {diff:.2}, shift {shift:.2?}");
    assert!(
        diff < 3.5,
        "{what}: mean difference {diff:.2} from the full decode averaged 2×2"
    );
    assert!(
        shift.iter().all(|s| s.abs() < 0.5),
        "{what}: colour shift {shift:.2?}"
    );
}

#[test]
fn every_orientation_comes_out_upright_at_half_size_with_the_full_size_known() {
    for n in 1..=8 {
        let path = photos().join(format!("formats/jpeg_orientation_{n}.jpg"));
        let full = decode_file(&path, &Limits::default()).unwrap();
        // 352 / 2 = 176 ≥ 150 > 352 / 4: half size
        let reduced = decode_file_reduced(&path, &Limits::default(), 150).unwrap();
        assert_eq!(reduced.image.dimensions(), (152, 176), "orientation {n}");
        assert_eq!(reduced.full_size(), (304, 352), "orientation {n}");
        assert_eq!(reduced.orientation, full.orientation);
        assert_close(
            &box_half(&full.image),
            &reduced.image,
            &format!("orientation {n}"),
        );
    }
}

#[test]
fn colour_profiles_are_applied_on_the_reduced_path_too() {
    let path = photos().join("formats/jpeg_adobe_rgb.jpg");
    let full = decode_file(&path, &Limits::default()).unwrap();
    let reduced = decode_file_reduced(&path, &Limits::default(), 150).unwrap();
    assert!(reduced
        .converted_from_profile
        .as_deref()
        .unwrap_or("")
        .contains("Adobe RGB"));
    assert_close(&box_half(&full.image), &reduced.image, "Adobe RGB");
}

#[test]
fn formats_without_shrink_on_load_decode_at_full_size() {
    for file in [
        "formats/jpeg_grey.jpg",
        "formats/jpeg_cmyk.jpg",
        "formats/png_rgb8.png",
        "formats/heic_photo.heic",
        "formats/jpeg_baseline.jpg",
    ] {
        let path = photos().join(file);
        let full = decode_file(&path, &Limits::default()).unwrap();
        // the baseline is only 352 px tall: no reduction keeps 300 px
        let reduced = decode_file_reduced(&path, &Limits::default(), 300).unwrap();
        assert_eq!(
            reduced.image.dimensions(),
            full.image.dimensions(),
            "{file}"
        );
        assert_eq!(reduced.image.as_raw(), full.image.as_raw(), "{file}");
        assert_eq!(reduced.notes, full.notes, "{file}");
    }
}

#[test]
fn hostile_and_truncated_files_fail_the_same_way_on_both_paths() {
    for entry in std::fs::read_dir(photos().join("bad")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let a = decode_bytes(&bytes, &path, &Limits::default())
            .unwrap_err()
            .to_string();
        let b = decode_bytes_reduced(&bytes, &path, &Limits::default(), 100)
            .unwrap_err()
            .to_string();
        assert_eq!(a, b);
    }
    let bytes = std::fs::read(photos().join("formats/jpeg_progressive.jpg")).unwrap();
    for i in 0..32 {
        let len = bytes.len() * i / 32;
        let name = format!("cut@{len}");
        let r = std::panic::catch_unwind(|| {
            decode_bytes_reduced(&bytes[..len], Path::new(&name), &Limits::default(), 100)
        });
        let err = r
            .unwrap_or_else(|_| panic!("{name} panicked"))
            .expect_err("a cut-short JPEG is refused");
        assert!(err.to_string().starts_with(&name), "{err}");
    }
}
