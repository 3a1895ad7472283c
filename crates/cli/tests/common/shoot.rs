//! Headshot-day shoots for tests, made from bundled photos: shoot cards printed by `trueshot
//! cards` and read back through poppler's `pdftoppm`, held up in front of a real photo (in
//! perspective, shadowed, noisy, soft); frames of each person framed a little differently, with
//! bursts, soft and dark copies; EXIF capture times written into each frame.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb, RgbImage};

use crate::photos::root;

/// The pages of a PDF as pixels, at `dpi`.
pub fn pages(pdf: &Path, dpi: u32) -> Vec<RgbImage> {
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

/// Pastes `src` into `dst` so that its corners land on `quad` (top left, top right, bottom
/// right, bottom left), by the homography between them, sampled bilinearly.
pub fn paste_in_perspective(dst: &mut RgbImage, src: &RgbImage, quad: [(f32, f32); 4]) {
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
pub fn shadow_noise_and_blur(photo: &mut RgbImage, quad: [(f32, f32); 4]) {
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

/// Every card of a PDF of shoot cards printed at 150 dpi on Letter paper, in roster order.
pub fn cards_of(pdf: &Path) -> Vec<RgbImage> {
    let pages = pages(pdf, 150);
    let mut cards = Vec::new();
    for page in &pages {
        for k in 0..6u32 {
            cards.push(card_at(page, k));
        }
    }
    cards
}

/// The `k`-th card (0–5) of a Letter page rendered at 150 dpi, cut out as the photographer cuts it.
pub fn card_at(page: &RgbImage, k: u32) -> RgbImage {
    let (x, y) = (62 + (k % 2) * 575, 62 + (k / 2) * 508);
    image::imageops::crop_imm(page, x, y, 575, 508).to_image()
}

/// The card held up in front of the camera: centred at (`cx`, `cy`) (fractions of the frame),
/// `size` of the frame's width wide, turned `degrees`, its left edge `depth` nearer the camera than
/// its right (a trapezoid), with a shadow across the code, sensor noise and a soft lens. The
/// card's corners in the frame.
pub fn hold_card(
    photo: &mut RgbImage,
    card: &RgbImage,
    (cx, cy, size): (f32, f32, f32),
    degrees: f32,
    depth: f32,
) -> [(f32, f32); 4] {
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let (cx, cy, s) = (cx * w, cy * h, size * w);
    let (c, si) = (degrees.to_radians().cos(), degrees.to_radians().sin());
    let corner = |u: f32, v: f32, d: f32| {
        let (x, y) = (u * s * d, v * s * 0.89 * d);
        (cx + c * x - si * y, cy + si * x + c * y)
    };
    let quad = [
        corner(-0.5, -0.5, 1.0 + depth),
        corner(0.5, -0.5, 1.0 - depth),
        corner(0.5, 0.5, 1.0 - depth),
        corner(-0.5, 0.5, 1.0 + depth),
    ];
    paste_in_perspective(photo, card, quad);
    shadow_noise_and_blur(photo, quad);
    quad
}

/// A frame of `w`×`h` cut from `src`: a window `zoom` (0–1) of the largest one the photo holds
/// at the frame's aspect, moved by (`dx`, `dy`) fractions of the photo's size from where
/// `center` (fractions) puts it, and resized to the frame.
pub fn framed(
    src: &RgbImage,
    (w, h): (u32, u32),
    zoom: f32,
    center: (f32, f32),
    (dx, dy): (f32, f32),
) -> RgbImage {
    let (sw, sh) = (src.width() as f32, src.height() as f32);
    let aspect = w as f32 / h as f32;
    let (mut ww, mut wh) = if sw / sh > aspect {
        (sh * aspect, sh)
    } else {
        (sw, sw / aspect)
    };
    ww *= zoom;
    wh *= zoom;
    let x = (center.0 * sw - ww / 2.0 + dx * sw).clamp(0.0, sw - ww);
    let y = (center.1 * sh - wh / 2.0 + dy * sh).clamp(0.0, sh - wh);
    let window =
        image::imageops::crop_imm(src, x as u32, y as u32, ww as u32, wh as u32).to_image();
    trueshot_vision::resize(&window, w, h).unwrap()
}

/// The frame out of focus: shrunk `k` times and enlarged back (a defocus-like blur that is quick
/// at 12 MP).
pub fn soft(photo: &RgbImage, k: f32) -> RgbImage {
    let (w, h) = photo.dimensions();
    let small = trueshot_vision::resize(
        photo,
        ((w as f32 / k) as u32).max(1),
        ((h as f32 / k) as u32).max(1),
    )
    .unwrap();
    trueshot_vision::resize(&small, w, h).unwrap()
}

/// The frame darker, as an underexposed shot (`k` of the light, in sRGB values).
pub fn darker(photo: &RgbImage, k: f32) -> RgbImage {
    let mut out = photo.clone();
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (f32::from(*c) * k).round() as u8;
        }
    }
    out
}

/// Deterministic sensor noise of ±`amount` levels (seeded), so that the frames of a burst are
/// not identical files.
pub fn noisy(photo: &RgbImage, amount: u32, seed: u32) -> RgbImage {
    let mut out = photo.clone();
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = ((s >> 16) % (2 * amount + 1)) as i32 - amount as i32;
            *c = (i32::from(*c) + n).clamp(0, 255) as u8;
        }
    }
    out
}

/// A JPEG of the frame (quality 90) carrying an EXIF capture time (`DateTimeOriginal` and
/// `SubSecTimeOriginal`), as a camera writes it.
pub fn jpeg_taken_at(photo: &RgbImage, time: &str, subsec: &str) -> Vec<u8> {
    use exif::experimental::Writer;
    use exif::{Field, In, Tag, Value};
    let jpeg = trueshot_codec::encode(
        photo,
        trueshot_codec::OutputFormat::Jpeg { quality: 90 },
        72,
    )
    .unwrap();
    let fields = [
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![time.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::SubSecTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![subsec.as_bytes().to_vec()]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    // APP1 "Exif\0\0" + TIFF, right after the SOI marker.
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap();
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The `trueshot` binary, for printing cards.
pub fn print_cards(trueshot: &Path, roster: &Path, pdf: &Path) {
    let out = Command::new(trueshot)
        .args(["cards", "--paper", "letter", "--out"])
        .arg(pdf)
        .arg(roster)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Where a scratch folder for a test goes.
pub fn scratch(prefix: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trueshot-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The roster of the generated shoots: four people who come, one who does not.
pub const ROSTER: &str = "id,name,team,reference\n\
e-001,Barack Obama,Executive,obama-earlier.jpg\n\
e-002,Joe Biden,Executive,\n\
e-003,Grace Hopper,Research,\n\
e-004,Eileen Collins,Flight,\n\
e-005,Alan Turing,Research,\n";

/// Who a frame shows and what kind of frame it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Card,
    Good,
    /// The second frame of a burst: the same picture a moment later.
    Burst,
    Soft,
    Dark,
    Stranger,
}

/// A generated shoot: what each file shows.
pub struct Made {
    /// File name → (roster id or "stranger", kind).
    pub frames: std::collections::BTreeMap<String, (String, Kind)>,
    /// The two files of each burst.
    pub bursts: Vec<(String, String)>,
}

/// What shoot to generate.
pub struct Plan {
    /// Frame size (portrait).
    pub size: (u32, u32),
    /// Frames per person after their card (in rounds of nine: three good, a burst, two soft,
    /// two dark).
    pub per_person: usize,
    /// Shoot cards before each person.
    pub cards: bool,
}

impl Plan {
    /// The CI shoot: 1200×1500 frames, nine per person (41 frames with cards).
    pub fn test(cards: bool) -> Plan {
        Plan {
            size: (1200, 1500),
            per_person: 9,
            cards,
        }
    }
}

/// Builds a shoot into `dir/shoot`, with the roster (`dir/people.csv`) and Obama's reference photo
/// (another picture of him). Each of four people: their card held up in front of them, then
/// frames framed a little differently (good ones, a burst, soft and dark copies); after Biden's
/// frames a stranger from the Situation Room steps in. File names are scrambled: only the EXIF
/// capture times (3 s apart, a burst 0.4 s) give the order. `trueshot` prints the cards.
pub fn build(dir: &Path, plan: &Plan, trueshot: &Path) -> Made {
    std::fs::write(dir.join("people.csv"), ROSTER).unwrap();
    std::fs::copy(
        root().join("photos/test/obama2.jpg"),
        dir.join("obama-earlier.jpg"),
    )
    .unwrap();
    let printed = if plan.cards {
        let pdf = dir.join("cards.pdf");
        print_cards(trueshot, &dir.join("people.csv"), &pdf);
        cards_of(&pdf)
    } else {
        Vec::new()
    };
    let open = |p: &str| image::open(root().join(p)).unwrap().to_rgb8();
    // (id, photo, the face's place: centre of the frame window as fractions of the photo)
    let sitters: [(&str, RgbImage, (f32, f32)); 4] = [
        ("e-001", open("photos/samples/obama.jpg"), (0.54, 0.45)),
        ("e-002", open("photos/samples/biden.jpg"), (0.59, 0.3)),
        ("e-003", open("photos/samples/grace_hopper.jpg"), (0.5, 0.5)),
        ("e-004", open("photos/samples/astronaut.png"), (0.45, 0.5)),
    ];
    // The stranger: a man from the Situation Room photo (not on the roster).
    let room = open("photos/test/situation_room.jpg");
    let stranger = {
        let s = 70.8;
        let (cx, cy) = (1074.7 + s / 2.0, 139.4 + s / 2.0);
        let (w, h) = (3.2 * s, 4.0 * s);
        let crop = image::imageops::crop_imm(
            &room,
            (cx - w / 2.0) as u32,
            (cy - 1.4 * s) as u32,
            w as u32,
            h as u32,
        )
        .to_image();
        trueshot_vision::resize(&crop, plan.size.0, plan.size.1).unwrap()
    };

    let out = dir.join("shoot");
    std::fs::create_dir_all(&out).unwrap();
    let mut made = Made {
        frames: std::collections::BTreeMap::new(),
        bursts: Vec::new(),
    };
    let mut last = String::new();
    let mut order = 0u32;
    let mut put = |img: &RgbImage, who: &str, kind: Kind| {
        order += 1;
        let burst = kind == Kind::Burst;
        let (secs, sub) = if burst {
            (order * 3 - 3, "400")
        } else {
            (order * 3, "000")
        };
        let time = format!(
            "2026:12:07 {:02}:{:02}:{:02}",
            9 + secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        let name = format!("DSC_{:04}.jpg", (order * 7919) % 9973);
        std::fs::write(out.join(&name), jpeg_taken_at(img, &time, sub)).unwrap();
        if burst {
            made.bursts.push((last.clone(), name.clone()));
        }
        last = name.clone();
        made.frames.insert(name, (who.to_string(), kind));
    };
    for (k, (id, photo, center)) in sitters.iter().enumerate() {
        let at = |zoom: f32, dx: f32, dy: f32| framed(photo, plan.size, zoom, *center, (dx, dy));
        if plan.cards {
            let mut with_card = at(0.93, 0.0, 0.0);
            // Lower right, its code about a tenth of the frame's width, turned 12°.
            hold_card(&mut with_card, &printed[k], (0.74, 0.8, 0.3), 12.0, 0.06);
            put(&with_card, id, Kind::Card);
        }
        let mut n = 0;
        let mut round = 0u32;
        while n < plan.per_person {
            // Each round a little further off, so that rounds are not bursts of each other.
            let j = 0.004 * round as f32;
            let seed = 10 * round;
            let good = [
                at(0.92, 0.01 - j, 0.0),
                at(0.95, -0.012 + j, 0.008),
                at(0.9, j, -0.01),
            ];
            let frames: Vec<(RgbImage, Kind)> = vec![
                (noisy(&good[0], 3, seed + 1), Kind::Good),
                (noisy(&good[0], 3, seed + 2), Kind::Burst),
                (soft(&good[1], 6.0), Kind::Soft),
                (noisy(&good[1], 3, seed + 3), Kind::Good),
                (darker(&good[2], 0.3), Kind::Dark),
                (noisy(&good[2], 3, seed + 4), Kind::Good),
                (noisy(&at(0.97, 0.008, j), 3, seed + 5), Kind::Good),
                (soft(&at(0.96, 0.0, 0.01), 4.0), Kind::Soft),
                (darker(&at(0.91, -0.01, j), 0.4), Kind::Dark),
            ];
            for (img, kind) in frames {
                if n == plan.per_person {
                    break;
                }
                put(&img, id, kind);
                n += 1;
                if *id == "e-002" && n == 4 && round == 0 {
                    // Someone steps in before the next card.
                    put(&stranger, "stranger", Kind::Stranger);
                }
            }
            round += 1;
        }
    }
    made
}
