//! Decoding real photos in every supported format, and refusing hostile files.
//!
//! The fixtures are made by `tools/fixtures/make_fixtures.py` from one photo (see
//! `photos/formats/SOURCES.md`): lossy files are 304×352, lossless ones (PNG, TIFF) are the 2×2
//! box average of the same picture, 152×176 (the 16-bit PNG the 4×4 average, 76×88). Pixels are
//! compared as the mean absolute difference per channel sample, on the 0–255 scale, and as the
//! mean signed difference per channel (a colour cast or brightness shift).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::RgbImage;
use trueshot_codec::{decode_bytes, decode_file, CodecError, DecodedPhoto, Limits, SourceFormat};

const UPRIGHT: (u32, u32) = (304, 352);
const HALF: (u32, u32) = (152, 176);
const QUARTER: (u32, u32) = (76, 88);

fn photos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos")
}

fn format_path(name: &str) -> PathBuf {
    photos().join("formats").join(name)
}

fn bad_path(name: &str) -> PathBuf {
    photos().join("bad").join(name)
}

fn decode(name: &str) -> DecodedPhoto {
    let path = format_path(name);
    decode_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{name} should decode: {e}"))
}

/// The reference picture every other file is compared with.
fn baseline() -> RgbImage {
    decode("jpeg_baseline.jpg").image
}

/// An RGB picture in floating point, so that box averages keep their fractions.
#[derive(Clone)]
struct Planes {
    w: u32,
    h: u32,
    px: Vec<[f64; 3]>,
}

impl Planes {
    fn of(img: &RgbImage) -> Planes {
        let px = img
            .pixels()
            .map(|p| [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])])
            .collect();
        Planes {
            w: img.width(),
            h: img.height(),
            px,
        }
    }

    /// Averages k×k blocks, as the fixture script made the lossless files.
    fn box_down(&self, k: u32) -> Planes {
        assert!(self.w.is_multiple_of(k) && self.h.is_multiple_of(k));
        let (w, h) = (self.w / k, self.h / k);
        let mut px = vec![[0.0; 3]; (w * h) as usize];
        for y in 0..self.h {
            for x in 0..self.w {
                let s = self.px[(y * self.w + x) as usize];
                let d = &mut px[((y / k) * w + x / k) as usize];
                for c in 0..3 {
                    d[c] += s[c] / f64::from(k * k);
                }
            }
        }
        Planes { w, h, px }
    }

    fn diffs<'a>(&'a self, other: &'a Planes) -> impl Iterator<Item = f64> + 'a {
        assert_eq!(
            (self.w, self.h),
            (other.w, other.h),
            "pictures of different sizes"
        );
        self.px
            .iter()
            .zip(&other.px)
            .flat_map(|(a, b)| (0..3).map(move |c| (a[c] - b[c]).abs()))
    }

    /// Mean absolute difference per channel sample.
    fn mean_diff(&self, other: &Planes) -> f64 {
        self.diffs(other).sum::<f64>() / (self.px.len() * 3) as f64
    }

    /// Mean signed difference per channel: a colour cast shows here even when noise is small.
    fn bias(&self, other: &Planes) -> [f64; 3] {
        assert_eq!(
            (self.w, self.h),
            (other.w, other.h),
            "pictures of different sizes"
        );
        let mut sum = [0.0; 3];
        for (a, b) in self.px.iter().zip(&other.px) {
            for c in 0..3 {
                sum[c] += a[c] - b[c];
            }
        }
        sum.map(|s| s / self.px.len() as f64)
    }

    fn max_diff(&self, other: &Planes) -> f64 {
        self.diffs(other).fold(0.0, f64::max)
    }
}

fn mean_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    Planes::of(a).mean_diff(&Planes::of(b))
}

fn has_note(photo: &DecodedPhoto, words: &str) -> bool {
    photo.notes.iter().any(|n| n.contains(words))
}

#[test]
fn baseline_jpeg_is_a_real_upright_photo_with_nothing_to_note() {
    let photo = decode("jpeg_baseline.jpg");
    assert_eq!(photo.format, SourceFormat::Jpeg);
    assert_eq!(photo.image.dimensions(), UPRIGHT);
    assert_eq!(photo.stored_size, UPRIGHT);
    assert_eq!(photo.orientation, 1);
    assert_eq!(photo.converted_from_profile, None);
    assert!(photo.notes.is_empty(), "{:?}", photo.notes);
    // A photograph, not a flat test card: the samples spread widely.
    let p = Planes::of(&photo.image);
    let mean = p.px.iter().map(|c| c[1]).sum::<f64>() / p.px.len() as f64;
    let sd = (p.px.iter().map(|c| (c[1] - mean).powi(2)).sum::<f64>() / p.px.len() as f64).sqrt();
    assert!(sd > 30.0, "green standard deviation {sd}");
}

/// What a format fixture is compared with.
#[derive(Clone, Copy, Debug)]
enum Reference {
    /// The baseline JPEG's decode (304×352).
    Baseline,
    /// The baseline decode averaged over k×k blocks.
    BaselineBox(u32),
}

struct Case {
    file: &'static str,
    format: SourceFormat,
    size: (u32, u32),
    reference: Reference,
    /// Largest mean absolute difference per channel accepted against the reference.
    max_mean_diff: f64,
    /// For lossless files: largest mean difference against png_rgb8.png (box-averaged to the
    /// same size), which holds exactly the same pixels.
    lossless: Option<(u32, f64)>,
    /// A word the notes must contain.
    note: Option<&'static str>,
}

#[test]
fn every_format_decodes_upright_and_matches_the_baseline() {
    use Reference::*;
    use SourceFormat::*;
    #[rustfmt::skip]
    let cases = [
        // Same quantisation tables as the baseline: only the scan order differs.
        Case { file: "jpeg_progressive.jpg", format: Jpeg, size: UPRIGHT, reference: Baseline, max_mean_diff: 0.05, lossless: None, note: None },
        // The same encode with an EXIF block in front: metadata must not change a pixel.
        Case { file: "jpeg_gps.jpg", format: Jpeg, size: UPRIGHT, reference: Baseline, max_mean_diff: 0.0, lossless: None, note: None },
        Case { file: "jpeg_orientation_1.jpg", format: Jpeg, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.0, lossless: None, note: None },
        // Quality 80 (CMYK is not subsampled, so lower quality to keep the file small): looser.
        Case { file: "jpeg_cmyk.jpg", format: Jpeg, size: UPRIGHT, reference: Baseline, max_mean_diff: 4.5, lossless: None, note: Some("CMYK") },
        Case { file: "jpeg_adobe_rgb.jpg", format: Jpeg, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.0, lossless: None, note: Some("Adobe RGB") },
        Case { file: "webp_lossy.webp", format: WebP, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.5, lossless: None, note: None },
        // heif-enc quality 70 from the baseline's pixels: HEVC and AV1 through libheif.
        Case { file: "heic_photo.heic", format: Heic, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.5, lossless: None, note: None },
        Case { file: "avif_photo.avif", format: Avif, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.5, lossless: None, note: None },
        // The second frame differs only inside the red square; the first must be the picture.
        Case { file: "webp_animated.webp", format: WebP, size: UPRIGHT, reference: Baseline, max_mean_diff: 3.5, lossless: None, note: Some("first") },
        // 152×176 lossless files: the baseline's JPEG noise halves under the 2×2 average.
        Case { file: "png_rgb8.png", format: Png, size: HALF, reference: BaselineBox(2), max_mean_diff: 2.0, lossless: Some((1, 0.0)), note: None },
        Case { file: "png_animated.png", format: Png, size: HALF, reference: BaselineBox(2), max_mean_diff: 2.0, lossless: Some((1, 0.0)), note: Some("first") },
        Case { file: "tiff_rgb.tif", format: Tiff, size: HALF, reference: BaselineBox(2), max_mean_diff: 2.0, lossless: Some((1, 0.0)), note: None },
        Case { file: "tiff_two_pages.tif", format: Tiff, size: HALF, reference: BaselineBox(2), max_mean_diff: 2.0, lossless: Some((1, 0.0)), note: Some("first") },
        // 256 dithered colours: each pixel is off by a few levels, the average much less.
        Case { file: "png_palette.png", format: Png, size: HALF, reference: BaselineBox(2), max_mean_diff: 5.0, lossless: Some((1, 4.0)), note: None },
        // 16 bits reduced to 8 with rounding: within one level of the 8-bit file averaged 2×2.
        Case { file: "png_rgb16.png", format: Png, size: QUARTER, reference: BaselineBox(4), max_mean_diff: 1.5, lossless: Some((2, 0.5)), note: Some("16-bit") },
    ];
    let reference = Planes::of(&baseline());
    let png8 = Planes::of(&decode("png_rgb8.png").image);
    for case in &cases {
        let photo = decode(case.file);
        let name = case.file;
        assert_eq!(photo.format, case.format, "{name}");
        assert_eq!(photo.image.dimensions(), case.size, "{name}");
        assert_eq!(photo.stored_size, case.size, "{name}");
        assert_eq!(photo.orientation, 1, "{name}");
        let got = Planes::of(&photo.image);
        let want = match case.reference {
            Reference::Baseline => reference.clone(),
            Reference::BaselineBox(k) => reference.box_down(k),
        };
        let d = got.mean_diff(&want);
        let bias = got.bias(&want);
        println!(
            "{name}: mean difference {d:.3} from the baseline, bias {bias:.2?}, notes {:?}",
            photo.notes
        );
        assert!(
            bias.iter().all(|b| b.abs() < 1.0),
            "{name}: colour cast {bias:.2?} against the baseline"
        );
        assert!(
            d <= case.max_mean_diff,
            "{name}: mean difference {d:.3} from the baseline, limit {}",
            case.max_mean_diff
        );
        if let Some((k, bound)) = case.lossless {
            let png = png8.box_down(k);
            let d = got.mean_diff(&png);
            assert!(
                d <= bound,
                "{name}: mean difference {d:.4} from png_rgb8.png, limit {bound}"
            );
            if k > 1 {
                // Every sample within one level (rounding of the 16-bit mean, then of the 8-bit ones).
                let m = got.max_diff(&png);
                assert!(
                    m <= 1.0 + 1e-9,
                    "{name}: largest difference {m} from png_rgb8.png"
                );
            }
        }
        match case.note {
            Some(word) => assert!(
                has_note(&photo, word),
                "{name}: no note with {word:?} in {:?}",
                photo.notes
            ),
            None => assert!(
                photo.notes.is_empty(),
                "{name}: unexpected notes {:?}",
                photo.notes
            ),
        }
    }
}

#[test]
fn greyscale_jpeg_is_grey_and_keeps_the_brightness() {
    let photo = decode("jpeg_grey.jpg");
    assert_eq!(photo.image.dimensions(), UPRIGHT);
    let grey = photo
        .image
        .pixels()
        .filter(|p| p[0] == p[1] && p[1] == p[2])
        .count();
    assert_eq!(
        grey,
        (UPRIGHT.0 * UPRIGHT.1) as usize,
        "every pixel must have R = G = B"
    );
    // Its grey is the ITU-R 601 luma of the colour picture.
    let base = baseline();
    let total: f64 = photo
        .image
        .pixels()
        .zip(base.pixels())
        .map(|(g, c)| {
            (f64::from(g[0])
                - (0.299 * f64::from(c[0]) + 0.587 * f64::from(c[1]) + 0.114 * f64::from(c[2])))
            .abs()
        })
        .sum();
    let d = total / f64::from(UPRIGHT.0 * UPRIGHT.1);
    assert!(d < 1.5, "mean difference {d:.3} from the baseline's luma");
}

#[test]
fn all_eight_orientations_give_the_same_upright_picture() {
    let upright = decode("jpeg_orientation_1.jpg");
    assert_eq!(upright.orientation, 1);
    assert!(upright.notes.is_empty(), "{:?}", upright.notes);
    for n in 2..=8u8 {
        let file = format!("jpeg_orientation_{n}.jpg");
        let photo = decode(&file);
        assert_eq!(photo.orientation, n, "{file}");
        assert_eq!(photo.image.dimensions(), UPRIGHT, "{file}");
        let stored = if n >= 5 {
            (UPRIGHT.1, UPRIGHT.0)
        } else {
            UPRIGHT
        };
        assert_eq!(photo.stored_size, stored, "{file}");
        let d = mean_diff(&photo.image, &upright.image);
        println!("{file}: mean difference {d:.3} from orientation 1");
        // Flips keep JPEG's blocks and quantisation alike (0.0–0.5); the transposing tags (5–8)
        // meet the quantisation table transposed, so they differ a little more (about 1.6).
        assert!(d < 2.0, "{file}: mean difference {d:.3} from orientation 1");
        let note = format!("turned upright (EXIF orientation {n})");
        assert!(
            has_note(&photo, &note),
            "{file}: no note {note:?} in {:?}",
            photo.notes
        );
        // Ignoring the tag would be visibly wrong: the stored pixels are far from the upright picture.
        if n < 5 {
            let raw = image::open(format_path(&file)).unwrap().into_rgb8();
            let wrong = mean_diff(&raw, &upright.image);
            assert!(wrong > 20.0, "{file}: stored pixels only {wrong:.1} from upright; the fixture does not test anything");
        }
    }
}

#[test]
fn adobe_rgb_photo_is_converted_to_srgb() {
    let file = "jpeg_adobe_rgb.jpg";
    let photo = decode(file);
    let profile = photo
        .converted_from_profile
        .as_deref()
        .unwrap_or_else(|| panic!("{file}: the profile was not applied"));
    assert!(
        profile.contains("Adobe RGB (1998)"),
        "profile description {profile:?}"
    );
    assert!(has_note(&photo, "converted to sRGB"), "{:?}", photo.notes);
    // Compared on 2×2 averages with the lossless png_rgb8.png (the same sRGB picture), so that
    // JPEG noise does not hide the colour error.
    let original = Planes::of(&decode("png_rgb8.png").image);
    let converted = Planes::of(&photo.image).box_down(2);
    // The same file read without its profile, as a naive decoder would.
    let raw = Planes::of(&image::open(format_path(file)).unwrap().into_rgb8()).box_down(2);
    let (good, bad) = (converted.mean_diff(&original), raw.mean_diff(&original));
    let (good_bias, bad_bias) = (converted.bias(&original), raw.bias(&original));
    println!("{file}: from the sRGB original: converted {good:.3} {good_bias:.2?}, profile ignored {bad:.3} {bad_bias:.2?}");
    assert!(
        good < 2.0,
        "converted picture is {good:.3} from the sRGB original"
    );
    assert!(
        good_bias.iter().all(|b| b.abs() < 1.0),
        "converted picture has a colour cast {good_bias:.2?}"
    );
    assert!(bad > 2.5 * good && bad > 4.0, "ignoring the profile gives {bad:.3}, converting gives {good:.3}: the fixture does not test anything");
}

#[test]
fn transparent_png_is_flattened_on_white() {
    let photo = decode("png_rgba.png");
    assert_eq!(photo.image.dimensions(), HALF);
    assert!(
        has_note(&photo, "flattened onto white"),
        "{:?}",
        photo.notes
    );
    let original = decode("png_rgb8.png").image;
    let (w, h) = HALF;
    let (mut transparent, mut half, mut opaque) = (0, 0, 0);
    for y in 0..h {
        for x in 0..w {
            let got = photo.image.get_pixel(x, y).0;
            let under = original.get_pixel(x, y).0;
            if y < h / 3 && x < w / 2 {
                // alpha 0: pure white, whatever colour is stored underneath
                assert_eq!(got, [255, 255, 255], "({x},{y}) is transparent");
                transparent += 1;
            } else if y >= h * 2 / 3 {
                // alpha 128: half way between the colour and white
                for c in 0..3 {
                    let want = (f64::from(under[c]) * 128.0 + 255.0 * 127.0) / 255.0;
                    assert!(
                        (f64::from(got[c]) - want).abs() <= 1.0,
                        "({x},{y}) channel {c}: {} for {want:.1}",
                        got[c]
                    );
                }
                half += 1;
            } else {
                assert_eq!(got, under, "({x},{y}) is opaque");
                opaque += 1;
            }
        }
    }
    assert!(transparent > 0 && half > 0 && opaque > 0);
}

#[test]
fn multi_frame_files_give_the_first_frame_with_a_note() {
    // The second frame of each has a red square over the middle third; the first does not.
    for (file, note) in [
        (
            "webp_animated.webp",
            "several frames; the first one was used",
        ),
        ("png_animated.png", "animated PNG; the first frame was used"),
        (
            "tiff_two_pages.tif",
            "several frames; the first one was used",
        ),
    ] {
        let photo = decode(file);
        assert!(
            has_note(&photo, note),
            "{file}: no note {note:?} in {:?}",
            photo.notes
        );
        let (w, h) = photo.image.dimensions();
        assert!(
            w >= HALF.0 && h >= HALF.1,
            "{file}: {w}×{h}: not the first page"
        );
        let mut red = 0;
        let mut total = 0;
        for y in h / 3 + 2..h * 2 / 3 - 2 {
            for x in w / 3 + 2..w * 2 / 3 - 2 {
                let p = photo.image.get_pixel(x, y);
                total += 1;
                if p[0] > 200 && p[1] < 60 && p[2] < 60 {
                    red += 1;
                }
            }
        }
        assert!(
            red * 10 < total,
            "{file}: {red} of {total} pixels in the middle are red: the second frame was decoded"
        );
    }
    // A single-frame file of each container has no such note.
    for file in ["webp_lossy.webp", "png_rgb8.png", "tiff_rgb.tif"] {
        let photo = decode(file);
        assert!(!has_note(&photo, "frame"), "{file}: {:?}", photo.notes);
    }
}

/// Every hostile file, what kind of error it must give and a phrase its message must contain.
/// A hostile file's name, a test of its error's kind, and a phrase its message must contain.
type BadCase = (&'static str, fn(&CodecError) -> bool, &'static str);

fn expected_bad() -> Vec<BadCase> {
    vec![
        (
            "empty.jpg",
            |e| matches!(e, CodecError::Empty { .. }),
            "the file is empty",
        ),
        (
            "text.jpg",
            |e| matches!(e, CodecError::UnknownFormat { .. }),
            "it is a text file",
        ),
        (
            "random.bin.jpg",
            |e| matches!(e, CodecError::UnknownFormat { .. }),
            "first bytes match no known image format",
        ),
        (
            "truncated.jpg",
            |e| matches!(e, CodecError::Corrupt { .. }),
            "JPEG data is damaged or cut short",
        ),
        (
            "truncated.png",
            |e| matches!(e, CodecError::Corrupt { .. }),
            "PNG data is damaged or cut short",
        ),
        (
            "corrupt.webp",
            |e| matches!(e, CodecError::Corrupt { .. }),
            "WebP data is damaged or cut short",
        ),
        (
            "bomb.png",
            |e| matches!(e, CodecError::TooLarge { .. }),
            "too large",
        ),
        (
            "deflate_bomb.png",
            |e| matches!(e, CodecError::TooLarge { .. }),
            "12000×12000 pixels",
        ),
        (
            "huge.jpg",
            |e| matches!(e, CodecError::TooLarge { .. }),
            "too large",
        ),
        (
            "animated.gif",
            |e| matches!(e, CodecError::Unsupported { .. }),
            "GIF files are not supported",
        ),
        (
            "photo.heic",
            |e| matches!(e, CodecError::Corrupt { .. }),
            "the HEIC data is damaged",
        ),
    ]
}

#[test]
fn every_bad_file_is_refused_with_a_specific_message() {
    let expected = expected_bad();
    let dir = photos().join("bad");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "README.md" {
            continue;
        }
        let Some((_, kind, phrase)) = expected.iter().find(|(f, _, _)| *f == name) else {
            panic!(
                "photos/bad/{name} has no expected error in this test (and photos/bad/README.md)"
            );
        };
        seen += 1;
        let err = match decode_file(&path, &Limits::default()) {
            Ok(p) => panic!(
                "{name} decoded to a {}×{} picture; it must be refused",
                p.image.width(),
                p.image.height()
            ),
            Err(e) => e,
        };
        let msg = err.to_string();
        println!("{msg}");
        assert!(
            msg.starts_with(&format!("{}: ", path.display())),
            "{name}: message does not start with the path: {msg}"
        );
        assert_eq!(err.path(), path.as_path());
        assert!(kind(&err), "{name}: wrong kind of error: {err:?}");
        assert!(
            msg.contains(phrase),
            "{name}: message does not say {phrase:?}: {msg}"
        );
        assert!(
            err.is_input_fault(),
            "{name}: must be the photo's fault: {msg}"
        );
        // The same bytes from memory give the same answer.
        let bytes = std::fs::read(&path).unwrap();
        let again = decode_bytes(&bytes, Path::new(&name), &Limits::default()).unwrap_err();
        assert_eq!(
            again.to_string(),
            msg.replacen(&path.display().to_string(), &name, 1)
        );
    }
    assert_eq!(
        seen,
        expected.len(),
        "some expected files are missing from photos/bad"
    );
}

#[test]
fn truncating_real_files_anywhere_never_panics() {
    for file in ["jpeg_baseline.jpg", "jpeg_progressive.jpg", "png_rgb8.png"] {
        let bytes = std::fs::read(format_path(file)).unwrap();
        let full = decode(file).image.dimensions();
        // 32 cuts spread over the file (0 bytes … 31/32 of it), plus the last few bytes, where
        // only the end marker is lost.
        let lengths = (0..32)
            .map(|i| bytes.len() * i / 32)
            .chain([bytes.len() - 2, bytes.len() - 1]);
        for len in lengths {
            let name = format!("{file}@{len}");
            let cut = &bytes[..len];
            let result = std::panic::catch_unwind(|| {
                decode_bytes(cut, Path::new(&name), &Limits::default())
            });
            match result {
                Err(_) => panic!(
                    "decoding the first {len} of {} bytes of {file} panicked",
                    bytes.len()
                ),
                // Only a cut in the trailing chunks (PNG's IEND) leaves the whole picture.
                Ok(Ok(photo)) => {
                    assert!(
                        file.ends_with(".png") && len + 12 >= bytes.len(),
                        "{file} cut to {len} of {} bytes decoded to a picture: a cut-short photo must be reported",
                        bytes.len()
                    );
                    assert_eq!(photo.image.dimensions(), full, "{name}");
                }
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
                    assert!(e.is_input_fault(), "{msg}");
                    if len >= 1024 {
                        assert!(matches!(e, CodecError::Corrupt { .. }), "{name}: {e:?}");
                    }
                }
            }
        }
    }
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    // CRC-32 (ISO-HDLC) of type and data, as PNG requires.
    let mut crc = 0xFFFF_FFFFu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// A PNG header claiming `w`×`h` RGB pixels, then a few bytes of (valid) zlib data.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    // zlib stream of a stored empty block: 78 01, final stored block of length 0, adler32 of nothing
    png.extend(png_chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
        ],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

#[test]
fn decompression_bombs_are_refused_from_the_header_quickly() {
    let limits = Limits::default();
    // 30000×30000 is over the side limit; 15000×15000 is under it but 225 MP is over the pixel
    // limit; a 60000×60000 JPEG frame header. None may allocate its frame (2.7 GB, 675 MB, 10 GB).
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        (
            "bomb.png".into(),
            std::fs::read(bad_path("bomb.png")).unwrap(),
        ),
        (
            "huge.jpg".into(),
            std::fs::read(bad_path("huge.jpg")).unwrap(),
        ),
        (
            "deflate_bomb.png".into(),
            std::fs::read(bad_path("deflate_bomb.png")).unwrap(),
        ),
        ("made-in-test-15000.png".into(), png_claiming(15000, 15000)),
        ("made-in-test-65535x2.png".into(), png_claiming(65535, 2)),
    ];
    cases.push((
        "made-in-test-20000x6001.png".into(),
        png_claiming(20000, 6001),
    ));
    for (name, bytes) in &cases {
        let start = Instant::now();
        let err = decode_bytes(bytes, Path::new(name), &limits).unwrap_err();
        let took = start.elapsed();
        assert!(
            matches!(err, CodecError::TooLarge { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.to_string().starts_with(&format!("{name}: too large: ")),
            "{err}"
        );
        assert!(
            took < Duration::from_millis(500),
            "{name}: refusing took {took:?}: it decoded before checking"
        );
    }
    // The pixel-count check names the size and the limit.
    let err = decode_bytes(&png_claiming(15000, 15000), Path::new("p.png"), &limits).unwrap_err();
    assert!(
        err.to_string()
            .contains("15000×15000 pixels, the limit is 120 megapixels"),
        "{err}"
    );
}

#[test]
fn caller_limits_are_honoured() {
    let path = format_path("jpeg_baseline.jpg");
    let tight = Limits {
        max_pixels: 100_000,
        ..Limits::default()
    };
    let err = decode_file(&path, &tight).unwrap_err();
    assert!(
        matches!(err, CodecError::TooLarge { .. }) && err.to_string().contains("304×352"),
        "{err}"
    );
    let narrow = Limits {
        max_side: 320,
        ..Limits::default()
    };
    let err = decode_file(&path, &narrow).unwrap_err();
    assert!(matches!(err, CodecError::TooLarge { .. }), "{err}");
    let small_files = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let err = decode_file(&path, &small_files).unwrap_err();
    assert!(
        matches!(err, CodecError::TooLarge { .. }) && err.to_string().contains("the limit is 1000"),
        "{err}"
    );
    let err = decode_bytes(&std::fs::read(&path).unwrap(), &path, &small_files).unwrap_err();
    assert!(matches!(err, CodecError::TooLarge { .. }), "{err}");
    // Exactly at the limits is allowed.
    let exact = Limits {
        max_file_bytes: std::fs::metadata(&path).unwrap().len(),
        max_pixels: 304 * 352,
        max_side: 352,
    };
    decode_file(&path, &exact).unwrap();
}

#[test]
fn machine_faults_are_not_blamed_on_the_photo() {
    let missing = photos().join("formats/no-such-photo.jpg");
    let err = decode_file(&missing, &Limits::default()).unwrap_err();
    assert!(matches!(err, CodecError::Io { .. }), "{err:?}");
    assert!(!err.is_input_fault());
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read the file", missing.display())),
        "{err}"
    );
    // A directory is not a photo.
    let dir = photos().join("formats");
    let err = decode_file(&dir, &Limits::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!("{}: ", dir.display()))
            && err.to_string().contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn decode_file_and_decode_bytes_agree() {
    for file in [
        "jpeg_orientation_6.jpg",
        "png_rgba.png",
        "jpeg_adobe_rgb.jpg",
    ] {
        let path = format_path(file);
        let a = decode_file(&path, &Limits::default()).unwrap();
        let b = decode_bytes(&std::fs::read(&path).unwrap(), &path, &Limits::default()).unwrap();
        assert_eq!(a.image, b.image, "{file}");
        assert_eq!(a.notes, b.notes, "{file}");
        assert_eq!(a.orientation, b.orientation, "{file}");
    }
}

#[test]
fn gps_exif_is_present_and_does_not_change_the_picture() {
    use image::ImageDecoder;
    let path = format_path("jpeg_gps.jpg");
    // The fixture really carries a GPS block: an EXIF IFD entry with tag 0x8825 (GPS IFD pointer).
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let mut jpeg = image::codecs::jpeg::JpegDecoder::new(file).unwrap();
    let exif = jpeg
        .exif_metadata()
        .unwrap()
        .expect("jpeg_gps.jpg has an EXIF block");
    let gps_tag: &[u8] = if exif.starts_with(b"II") {
        &[0x25, 0x88, 4, 0]
    } else {
        &[0x88, 0x25, 0, 4]
    };
    assert!(
        exif.windows(4).any(|w| w == gps_tag),
        "no GPS IFD pointer in the EXIF block"
    );
    // Decoding ignores it: the same pixels as the baseline, which is the same encode without EXIF.
    let photo = decode("jpeg_gps.jpg");
    assert_eq!(photo.image, baseline());
    assert_eq!(photo.orientation, 1);
    assert!(photo.notes.is_empty(), "{:?}", photo.notes);
}

#[test]
fn truncated_heic_and_avif_never_panic() {
    for file in ["heic_photo.heic", "avif_photo.avif"] {
        let bytes = std::fs::read(format_path(file)).unwrap();
        for i in 0..32 {
            let len = bytes.len() * i / 32;
            let name = format!("{file}@{len}");
            let result = std::panic::catch_unwind(|| {
                decode_bytes(&bytes[..len], Path::new(&name), &Limits::default())
            });
            match result {
                Err(_) => panic!("decoding {name} panicked"),
                Ok(Ok(photo)) => assert_eq!(photo.image.dimensions(), UPRIGHT, "{name}"),
                Ok(Err(e)) => {
                    assert!(e.to_string().starts_with(&name), "{e}");
                    assert!(e.is_input_fault(), "{e}");
                }
            }
        }
    }
}
