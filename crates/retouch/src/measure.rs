//! Pixel measures of what retouching did to a face, between the headshot before editing (the
//! original photo resampled into the headshot's frame: crop, scale and rotation undone) and the
//! delivered result. The net-based measures (identity, age, landmark drift) are made by the
//! caller, which owns the nets.

use image::RgbImage;
use serde::Serialize;
use trueshot_pixels::color::delta_e2000;
use trueshot_pixels::Plane;

use crate::lab::lab_planes;
use crate::landmarks::Landmarks;
use crate::masks::{Masks, Window};
use crate::retouch::mean_where;

/// Colour and texture measures of one result against its original.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PixelMeasures {
    /// High-frequency energy of cheeks and forehead, result over original (1 = all texture kept).
    pub texture_kept: f32,
    /// Mean L* of the eye whites, result minus original.
    pub eye_white_l_rise: f32,
    /// Mean L* of the skin, result minus original.
    pub skin_lightness_shift: f32,
    /// CIEDE2000 between the skin's mean colour before and after, lightness held equal: the shift
    /// of hue and chroma alone.
    pub skin_hue_chroma_delta_e: f32,
    /// Mean CIEDE2000 per pixel in the clothing region, between the result and the original.
    pub clothing_delta_e: f32,
}

/// Measures `after` against `before` (same size, same frame) on the face with landmarks `lm`;
/// `person` (alpha of the person, when the background was replaced) limits the clothing region
/// to the person. `None` when the face is not in the picture.
pub fn pixel_measures(
    before: &RgbImage,
    after: &RgbImage,
    lm: &Landmarks,
    person: Option<&Plane>,
) -> Option<PixelMeasures> {
    let (w, h) = (before.width() as usize, before.height() as usize);
    let win = Window::from_box(lm.face_box(0.15, w, h)?);
    let masks = Masks::hard(lm, win);
    let b = lab_planes(before, win);
    let a = lab_planes(after, win);
    let d = lm.eye_distance();
    let sigma = (0.006 * d).max(1.0);
    // Only around the cheek and forehead discs: a margin beyond the blur's reach leaves every
    // value inside the discs as it would be on the whole window.
    let r = ((0.25 + sigma * sigma).sqrt() - 0.5).round().max(0.0) as usize;
    let around = bounds_where(&masks.texture, 3 * r + 2);
    let energy = |l: &Plane| -> Option<f32> {
        let (l, m) = match around {
            Some(b) => (crop(l, b), crop(&masks.texture, b)),
            None => return None,
        };
        let hf = l.zip(&l.gaussian_like(sigma), |x, m| (x - m) * (x - m));
        mean_where(&hf, &m)
    };
    let texture_kept = match (energy(&b[0]), energy(&a[0])) {
        (Some(e0), Some(e1)) if e0 > 1e-6 => e1 / e0,
        _ => 1.0,
    };
    let eye_white_l_rise = match (
        mean_where(&b[0], &masks.sclera),
        mean_where(&a[0], &masks.sclera),
    ) {
        (Some(x), Some(y)) => y - x,
        _ => 0.0,
    };
    let mean_lab = |p: &[Plane; 3]| -> Option<[f32; 3]> {
        Some([
            mean_where(&p[0], &masks.skin)?,
            mean_where(&p[1], &masks.skin)?,
            mean_where(&p[2], &masks.skin)?,
        ])
    };
    let (skin_lightness_shift, skin_hue_chroma_delta_e) = match (mean_lab(&b), mean_lab(&a)) {
        (Some(x), Some(y)) => (y[0] - x[0], delta_e2000(x, [x[0], y[1], y[2]])),
        _ => (0.0, 0.0),
    };
    Some(PixelMeasures {
        texture_kept,
        eye_white_l_rise,
        skin_lightness_shift,
        skin_hue_chroma_delta_e,
        clothing_delta_e: clothing_delta_e(before, after, lm, person),
    })
}

/// The box `[x0, y0, x1, y1)` around the pixels of `m` above one half, grown by `margin` (within
/// the plane).
fn bounds_where(m: &Plane, margin: usize) -> Option<[usize; 4]> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..m.height {
        for (x, &v) in m.data[y * m.width..(y + 1) * m.width].iter().enumerate() {
            if v > 0.5 {
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
        }
    }
    (x1 > x0).then(|| {
        [
            x0.saturating_sub(margin),
            y0.saturating_sub(margin),
            (x1 + margin).min(m.width),
            (y1 + margin).min(m.height),
        ]
    })
}

fn crop(p: &Plane, [x0, y0, x1, y1]: [usize; 4]) -> Plane {
    Plane::from_fn(x1 - x0, y1 - y0, |x, y| p.data[(y + y0) * p.width + x + x0])
}

/// Mean CIEDE2000 between two pictures over the clothing: below the chin, between the jaw's
/// corners widened to the shoulders, down to the bottom edge; only where the person is (when a
/// person alpha is given). Sampled on every 3rd pixel.
pub fn clothing_delta_e(
    before: &RgbImage,
    after: &RgbImage,
    lm: &Landmarks,
    person: Option<&Plane>,
) -> f32 {
    let (w, h) = (before.width() as usize, before.height() as usize);
    let d = lm.eye_distance();
    let chin = lm.point(trueshot_vision::mesh::CHIN);
    let y0 = (chin.y + 0.6 * d).max(0.0) as usize;
    let x0 = (chin.x - 1.5 * d).max(0.0) as usize;
    let x1 = ((chin.x + 1.5 * d).max(0.0) as usize).min(w);
    let (mut sum, mut n) = (0.0f64, 0usize);
    for y in (y0..h).step_by(3) {
        for x in (x0..x1).step_by(3) {
            if let Some(p) = person {
                if p.data[y * p.width + x] < 0.99 {
                    continue;
                }
            }
            let (p, q) = (
                before.get_pixel(x as u32, y as u32).0,
                after.get_pixel(x as u32, y as u32).0,
            );
            if p == q {
                n += 1;
                continue;
            }
            sum += f64::from(delta_e2000(
                trueshot_pixels::color::pixel_lab(p),
                trueshot_pixels::color::pixel_lab(q),
            ));
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64) as f32
    }
}
