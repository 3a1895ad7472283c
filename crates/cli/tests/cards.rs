//! Shoot cards for a headshot day: `trueshot cards` prints a roster's cards to PDF; an
//! independent reader (poppler's `pdftoppm`, installed by scripts/setup) turns the pages into
//! pixels; every card's QR code reads back as its person's id, on the page and photographed
//! small, tilted, in perspective, shadowed, noisy and soft inside a real photo. A bad roster is
//! refused with the line and the reason.

#[path = "common/photos.rs"]
#[allow(dead_code)]
mod photos;

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb, RgbImage};
use photos::root;
use trueshot_session::find_cards;

fn trueshot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueshot"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trueshot-cards-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const ROSTER: &str = "id,name,team,email\n\
e-001,Ada Lovelace,Research,ada@example.com\n\
e-002,José Müller-Øster,Sales,jose@example.com\n\
e-003,Maria Fernanda de los Angeles Gutierrez,People,\n\
e-004,Grace Hopper,,\n\
e-005,Alan Turing,Research,\n\
e-006,Katherine Johnson,Flight,\n\
e-007,Dorothy Vaughan,Flight,\n";

/// The pages of a PDF as pixels, at `dpi`.
fn pages(pdf: &Path, dpi: u32) -> Vec<RgbImage> {
    let prefix = pdf.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils; scripts/setup installs it)");
    assert!(status.success());
    let mut files: Vec<PathBuf> = std::fs::read_dir(pdf.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| image::open(p).unwrap().to_rgb8())
        .collect()
}

#[test]
fn every_card_reads_back_as_its_person_on_paper_and_in_a_photo() {
    let dir = scratch("ok");
    std::fs::write(dir.join("people.csv"), ROSTER).unwrap();
    let pdf = dir.join("cards.pdf");
    let out = trueshot()
        .args([
            "cards",
            "people.csv",
            "--out",
            "cards.pdf",
            "--paper",
            "letter",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Letter at 150 dpi: 1275 × 1650 pixels; seven people on two pages.
    let pages = pages(&pdf, 150);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].dimensions(), (1275, 1650));
    // Each card, cut out as the photographer cuts it: it reads as its person.
    let card_at = |page: &RgbImage, k: u32| {
        let (x, y) = (62 + (k % 2) * 575, 62 + (k / 2) * 508);
        image::imageops::crop_imm(page, x, y, 575, 508).to_image()
    };
    let mut ids: Vec<String> = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        for k in 0..6 {
            let found = find_cards(&card_at(page, k));
            assert!(found.len() <= 1, "page {i} card {k}: {found:?}");
            ids.extend(found.into_iter().map(|c| c.id));
        }
    }
    assert_eq!(
        ids,
        ["e-001", "e-002", "e-003", "e-004", "e-005", "e-006", "e-007"]
    );

    // The first card, held up in front of a real photo: its code about 11 % of the frame's width,
    // turned 20°, in perspective, with a shadow across it, sensor noise and a soft lens.
    let card = card_at(&pages[0], 0);
    // The bundled photo at a camera's resolution (2730 px wide, as a 12 MP frame would show the
    // card): the code's modules are then about 6 pixels, 3 in the 1600-pixel search.
    let small = image::open(root().join("photos/samples/obama.jpg"))
        .unwrap()
        .to_rgb8();
    let mut photo = image::imageops::resize(
        &small,
        3 * small.width(),
        3 * small.height(),
        image::imageops::FilterType::Triangle,
    );
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let (cx, cy, s) = (0.72 * w, 0.7 * h, 0.17 * w);
    let (c, si) = (20f32.to_radians().cos(), 20f32.to_radians().sin());
    let corner = |u: f32, v: f32, depth: f32| {
        let (x, y) = (u * s * depth, v * s * 0.89 * depth);
        (cx + c * x - si * y, cy + si * x + c * y)
    };
    // The card's left edge nearer the camera than its right: a trapezoid.
    let quad = [
        corner(-0.5, -0.5, 1.08),
        corner(0.5, -0.5, 0.92),
        corner(0.5, 0.5, 0.92),
        corner(-0.5, 0.5, 1.08),
    ];
    paste_in_perspective(&mut photo, &card, quad);
    shadow_noise_and_blur(&mut photo, quad);
    photo.save(dir.join("card-in-photo.png")).unwrap();
    let found = find_cards(&photo);
    assert_eq!(
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["e-001"],
        "see {}",
        dir.join("card-in-photo.png").display()
    );
    // The card's corners are where it was put.
    let (fx, fy) = found[0].corners[0];
    assert!(
        (fx - cx).abs() < s && (fy - cy).abs() < s,
        "{:?}",
        found[0].corners
    );

    // A photo without a card has none.
    for name in ["grace_hopper.jpg", "biden.jpg"] {
        let p = image::open(root().join("photos/samples").join(name))
            .unwrap()
            .to_rgb8();
        assert!(find_cards(&p).is_empty(), "{name}");
    }
}

#[test]
fn a_bad_roster_is_refused_with_its_line() {
    let dir = scratch("bad");
    for (text, want) in [
        (
            "id,name\ne-1,Ada\ne-1,Grace\n",
            "people.csv, line 3: the id e-1 is already on line 2",
        ),
        (
            "name,team\nAda,R\n",
            "people.csv, line 1: the header must name the columns `id` and `name`",
        ),
        (
            "id,name\n7,李雷\n",
            "line 2: 7: the name \"李雷\" has letters the card's font cannot print",
        ),
    ] {
        std::fs::write(dir.join("people.csv"), text).unwrap();
        let out = trueshot()
            .args(["cards", "people.csv", "--out", "cards.pdf"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            !dir.join("cards.pdf").exists(),
            "nothing written for a bad roster"
        );
    }
}

/// Pastes `src` into `dst` so that its corners land on `quad` (top left, top right, bottom
/// right, bottom left), by the homography between them, sampled bilinearly.
fn paste_in_perspective(dst: &mut RgbImage, src: &RgbImage, quad: [(f32, f32); 4]) {
    let (sw, sh) = (src.width() as f64, src.height() as f64);
    let rect = [(0.0, 0.0), (sw, 0.0), (sw, sh), (0.0, sh)];
    // The homography from the photo's quad to the card's rectangle.
    let q = quad.map(|(x, y)| (f64::from(x), f64::from(y)));
    let hm = homography(q, rect);
    let xs = quad.iter().map(|p| p.0);
    let ys = quad.iter().map(|p| p.1);
    let (x0, x1) = (xs.clone().fold(f32::MAX, f32::min), xs.fold(0.0, f32::max));
    let (y0, y1) = (ys.clone().fold(f32::MAX, f32::min), ys.fold(0.0, f32::max));
    for y in (y0 as u32)..=(y1 as u32).min(dst.height() - 1) {
        for x in (x0 as u32)..=(x1 as u32).min(dst.width() - 1) {
            let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            let d = hm[6] * px + hm[7] * py + 1.0;
            let u = (hm[0] * px + hm[1] * py + hm[2]) / d - 0.5;
            let v = (hm[3] * px + hm[4] * py + hm[5]) / d - 0.5;
            if u < 0.0 || v < 0.0 || u >= sw - 1.0 || v >= sh - 1.0 {
                continue;
            }
            let (iu, iv) = (u.floor() as u32, v.floor() as u32);
            let (fu, fv) = (u - u.floor(), v - v.floor());
            let mut out = [0u8; 3];
            for (ch, o) in out.iter_mut().enumerate() {
                let at = |a: u32, b: u32| f64::from(src.get_pixel(a, b).0[ch]);
                let top = at(iu, iv) * (1.0 - fu) + at(iu + 1, iv) * fu;
                let bottom = at(iu, iv + 1) * (1.0 - fu) + at(iu + 1, iv + 1) * fu;
                *o = (top * (1.0 - fv) + bottom * fv).round() as u8;
            }
            dst.put_pixel(x, y, Rgb(out));
        }
    }
}

/// The 3×3 homography (h33 = 1) taking the four points `from` to `to`.
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 8] {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    std::array::from_fn(|i| a[i][8] / a[i][i])
}

/// A shadow falling across the card and its code (the right part at 45 % light), deterministic sensor noise
/// (±12 levels) and a soft lens (a 3×3 box blur) over the card's area.
fn shadow_noise_and_blur(photo: &mut RgbImage, quad: [(f32, f32); 4]) {
    let xs: Vec<f32> = quad.iter().map(|p| p.0).collect();
    let ys: Vec<f32> = quad.iter().map(|p| p.1).collect();
    let lo = |v: &[f32]| v.iter().copied().fold(f32::MAX, f32::min) as u32;
    let hi = |v: &[f32]| v.iter().copied().fold(0.0, f32::max) as u32;
    let (x0, x1, y0, y1) = (lo(&xs), hi(&xs), lo(&ys), hi(&ys));
    // The shadow's edge runs diagonally through the code itself.
    let mid = x0 + (x1 - x0) * 3 / 10;
    let mut seed = 12345u32;
    for y in y0..=y1.min(photo.height() - 1) {
        for x in x0..=x1.min(photo.width() - 1) {
            let light = if x > mid + (y - y0) / 3 { 0.45 } else { 1.0 };
            let p = photo.get_pixel_mut(x, y);
            for c in p.0.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let noise = ((seed >> 16) % 25) as f32 - 12.0;
                *c = (f32::from(*c) * light + noise).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let copy = photo.clone();
    for y in (y0 + 1)..y1.min(photo.height() - 2) {
        for x in (x0 + 1)..x1.min(photo.width() - 2) {
            let mut sum = [0u32; 3];
            for dy in 0..3 {
                for dx in 0..3 {
                    let q = copy.get_pixel(x + dx - 1, y + dy - 1).0;
                    for c in 0..3 {
                        sum[c] += u32::from(q[c]);
                    }
                }
            }
            photo.put_pixel(x, y, Rgb(sum.map(|s| (s / 9) as u8)));
        }
    }
}
