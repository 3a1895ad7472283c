//! A plain wall continued beyond the photo's edge, when the photo's own background is kept.
//!
//! A phone photo against a plain wall often ends a little too close above the head or beside the
//! shoulder. A retoucher extends such a wall by a few percent of the frame; nobody could tell,
//! because a plain wall has nothing to invent: a smooth field of colour and the camera's grain.
//! [`plain_wall`] measures the background band along one edge of the photo (the matte says which
//! pixels are background) and accepts it only when it is such a wall: the band is mostly
//! background, its 16-pixel block means follow a smooth (planar, in linear light) colour field to
//! within a small CIEDE2000 difference, and its grain is fine. A textured scene (shelves, foliage,
//! a window, a flag) fails and is never continued. [`Wall::paint_beyond`] then paints the output
//! pixels that lie beyond that edge with the field (held constant across the edge, so it never
//! drifts) plus grain of the measured strength, drawn from a fixed hash of the photo position
//! (the same photo always gives the same pixels).

use image::RgbImage;
use serde::Serialize;
use trueshot_geom::{Affine, Point};
use trueshot_vision::Matte;

use crate::color::{delta_e2000, lab, to_linear_u8, to_srgb_u8};

/// An edge of the photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edge {
    Top,
    Bottom,
    Left,
    Right,
}

impl Edge {
    pub const ALL: [Edge; 4] = [Edge::Top, Edge::Bottom, Edge::Left, Edge::Right];

    /// The edge's name as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Top => "top",
            Edge::Bottom => "bottom",
            Edge::Left => "left",
            Edge::Right => "right",
        }
    }
}

/// Largest mean and largest single CIEDE2000 difference of a band's block means from its smooth
/// colour field, and largest grain (standard deviation within blocks, in CIE L*), for the band to
/// count as a plain wall. A painted wall in soft light measures about 0.2 / 0.6 / 1.5; a
/// bookshelf, foliage or a window 3 to 20 on the first two.
const MEAN_DELTA_E: f32 = 0.8;
const MAX_DELTA_E: f32 = 2.0;
const MAX_GRAIN_L: f32 = 3.0;
/// At least this share of the band must be background.
const MIN_BACKGROUND: f32 = 0.5;
const BLOCK: usize = 16;

/// A plain wall along one edge of the photo, measured.
#[derive(Clone, Debug, Serialize)]
pub struct Wall {
    pub edge: Edge,
    /// Mean and largest CIEDE2000 difference of the band's block means from the colour field.
    pub field_delta_e_mean: f32,
    pub field_delta_e_max: f32,
    /// Grain: standard deviation within blocks, CIE L*.
    pub grain_l: f32,
    /// Linear RGB `c + gx·x + gy·y` in photo pixels.
    #[serde(skip)]
    field: [[f32; 3]; 3],
    /// Standard deviation of the grain per channel, linear RGB.
    #[serde(skip)]
    grain: [f32; 3],
    #[serde(skip)]
    photo: (f32, f32),
}

/// The band along `edge` (a tenth of the photo's smaller side, at least 24 px), where the matte
/// covers it; `None` when the band is not a plain wall, or the matte does not reach that edge.
pub fn plain_wall(photo: &RgbImage, matte: &Matte, edge: Edge) -> Option<Wall> {
    let (pw, ph) = (photo.width() as usize, photo.height() as usize);
    let depth = (pw.min(ph) / 10).max(24).min(pw.min(ph));
    // The part of the photo the matte covers.
    let tl = matte.to_photo.apply(Point::new(0.0, 0.0));
    let br = matte
        .to_photo
        .apply(Point::new(matte.width as f32, matte.height as f32));
    let (mx0, my0) = (tl.x.max(0.0) as usize, tl.y.max(0.0) as usize);
    let (mx1, my1) = ((br.x as usize).min(pw), (br.y as usize).min(ph));
    let near = |a: f32, b: f32| (a - b).abs() < 1.5;
    let (x0, y0, x1, y1) = match edge {
        Edge::Top if near(tl.y, 0.0) => (mx0, 0, mx1, depth),
        Edge::Bottom if near(br.y, ph as f32) => (mx0, ph - depth, mx1, ph),
        Edge::Left if near(tl.x, 0.0) => (0, my0, depth, my1),
        Edge::Right if near(br.x, pw as f32) => (pw - depth, my0, pw, my1),
        _ => return None,
    };
    if x1 <= x0 + BLOCK || y1 <= y0 + BLOCK {
        return None;
    }
    let from_photo = matte.to_photo.inverse()?;
    let alpha = |x: usize, y: usize| {
        let m = from_photo.apply(Point::new(x as f32 + 0.5, y as f32 + 0.5));
        let (u, v) = (m.x.floor() as isize, m.y.floor() as isize);
        if u < 0 || v < 0 || u >= matte.width as isize || v >= matte.height as isize {
            return 1.0;
        }
        matte.alpha[v as usize * matte.width + u as usize]
    };
    let linear = |x: usize, y: usize| photo.get_pixel(x as u32, y as u32).0.map(to_linear_u8);

    // Blocks of background pixels: their means, positions and spread.
    let mut blocks: Vec<([f32; 3], f32, f32, usize)> = Vec::new();
    let (mut total, mut background) = (0usize, 0usize);
    let mut grain_sum = [0.0f64; 3];
    let mut l_spread = 0.0f64;
    let mut grain_n = 0usize;
    for by in (y0..y1 - BLOCK + 1).step_by(BLOCK) {
        for bx in (x0..x1 - BLOCK + 1).step_by(BLOCK) {
            let mut sum = [0.0f64; 3];
            let mut sq = [0.0f64; 3];
            let mut l_sum = 0.0f64;
            let mut l_sq = 0.0f64;
            let mut n = 0usize;
            for y in by..by + BLOCK {
                for x in bx..bx + BLOCK {
                    total += 1;
                    // Well away from the person: hair and soft edges are not wall.
                    if alpha(x, y) > 0.02 {
                        continue;
                    }
                    let c = linear(x, y);
                    for k in 0..3 {
                        sum[k] += f64::from(c[k]);
                        sq[k] += f64::from(c[k]) * f64::from(c[k]);
                    }
                    let l = f64::from(lab(c)[0]);
                    l_sum += l;
                    l_sq += l * l;
                    n += 1;
                }
            }
            background += n;
            if n * 4 < BLOCK * BLOCK * 3 {
                continue;
            }
            let nf = n as f64;
            let mean = [0, 1, 2].map(|k| (sum[k] / nf) as f32);
            for k in 0..3 {
                grain_sum[k] += (sq[k] / nf - (sum[k] / nf).powi(2)).max(0.0);
            }
            l_spread += (l_sq / nf - (l_sum / nf).powi(2)).max(0.0);
            grain_n += 1;
            let (cx, cy) = (
                bx as f32 + BLOCK as f32 / 2.0,
                by as f32 + BLOCK as f32 / 2.0,
            );
            blocks.push((mean, cx, cy, n));
        }
    }
    if blocks.len() < 4 || (background as f32) < MIN_BACKGROUND * total as f32 {
        return None;
    }
    // Least squares of c + gx·x + gy·y per channel over the block means (weighted by pixels).
    let field = fit_plane(&blocks)?;
    let at =
        |f: &[[f32; 3]; 3], x: f32, y: f32| [0, 1, 2].map(|k| f[k][0] + f[k][1] * x + f[k][2] * y);
    let mut de_sum = 0.0f32;
    let mut de_max = 0.0f32;
    for (mean, cx, cy, _) in &blocks {
        let d = delta_e2000(lab(*mean), lab(at(&field, *cx, *cy)));
        de_sum += d;
        de_max = de_max.max(d);
    }
    let de_mean = de_sum / blocks.len() as f32;
    let grain_l = (l_spread / grain_n.max(1) as f64).sqrt() as f32;
    if de_mean > MEAN_DELTA_E || de_max > MAX_DELTA_E || grain_l > MAX_GRAIN_L {
        return None;
    }
    Some(Wall {
        edge,
        field_delta_e_mean: de_mean,
        field_delta_e_max: de_max,
        grain_l,
        field,
        grain: grain_sum.map(|g| (g / grain_n.max(1) as f64).sqrt() as f32),
        photo: (pw as f32, ph as f32),
    })
}

fn fit_plane(blocks: &[([f32; 3], f32, f32, usize)]) -> Option<[[f32; 3]; 3]> {
    // Normal equations of [1, x, y] in f64, centred for conditioning.
    let n: f64 = blocks.iter().map(|b| b.3 as f64).sum();
    let mx = blocks
        .iter()
        .map(|b| f64::from(b.1) * b.3 as f64)
        .sum::<f64>()
        / n;
    let my = blocks
        .iter()
        .map(|b| f64::from(b.2) * b.3 as f64)
        .sum::<f64>()
        / n;
    let (mut sxx, mut sxy, mut syy) = (0.0f64, 0.0f64, 0.0f64);
    let mut sxc = [0.0f64; 3];
    let mut syc = [0.0f64; 3];
    let mut mc = [0.0f64; 3];
    for (mean, cx, cy, w) in blocks {
        let w = *w as f64;
        let (x, y) = (f64::from(*cx) - mx, f64::from(*cy) - my);
        sxx += w * x * x;
        sxy += w * x * y;
        syy += w * y * y;
        for k in 0..3 {
            let c = f64::from(mean[k]);
            sxc[k] += w * x * c;
            syc[k] += w * y * c;
            mc[k] += w * c / n;
        }
    }
    let det = sxx * syy - sxy * sxy;
    let mut out = [[0.0f32; 3]; 3];
    for k in 0..3 {
        // A band one block deep has no extent across it: the field is then flat that way.
        let (gx, gy) = if det.abs() > 1e-9 * (sxx * syy).max(1e-12) {
            (
                (sxc[k] * syy - syc[k] * sxy) / det,
                (syc[k] * sxx - sxc[k] * sxy) / det,
            )
        } else if sxx >= syy && sxx > 0.0 {
            (sxc[k] / sxx, 0.0)
        } else if syy > 0.0 {
            (0.0, syc[k] / syy)
        } else {
            (0.0, 0.0)
        };
        let c = mc[k] - gx * mx - gy * my;
        if !(c.is_finite() && gx.is_finite() && gy.is_finite()) {
            return None;
        }
        out[k] = [c as f32, gx as f32, gy as f32];
    }
    Some(out)
}

impl Wall {
    /// Paints the output pixels that lie beyond this wall's edge of the photo (through
    /// `to_output`, photo → output): the colour field at the nearest point of the edge, plus grain
    /// of the measured strength (scaled down when the output is a reduction). Returns how many
    /// pixels were painted.
    pub fn paint_beyond(&self, out: &mut RgbImage, to_output: &Affine) -> u64 {
        let Some(to_photo) = to_output.inverse() else {
            return 0;
        };
        // Output pixels per photo pixel: grain of a reduction averages out.
        let scale = (to_output.a * to_output.a + to_output.d * to_output.d).sqrt();
        let grain = self.grain.map(|g| g * scale.min(1.0));
        let (pw, ph) = self.photo;
        let mut painted = 0;
        let (w, h) = (out.width(), out.height());
        for y in 0..h {
            for x in 0..w {
                let p = to_photo.apply(Point::new(x as f32 + 0.5, y as f32 + 0.5));
                let beyond = match self.edge {
                    Edge::Top => p.y < 0.0,
                    Edge::Bottom => p.y > ph,
                    Edge::Left => p.x < 0.0,
                    Edge::Right => p.x > pw,
                };
                if !beyond {
                    continue;
                }
                let (fx, fy) = (p.x.clamp(0.0, pw), p.y.clamp(0.0, ph));
                let (gx, gy) = (p.x.floor() as i64, p.y.floor() as i64);
                let mut rgb = [0u8; 3];
                for k in 0..3 {
                    let f = &self.field[k];
                    let c = f[0] + f[1] * fx + f[2] * fy + grain[k] * noise(gx, gy, k as u64);
                    rgb[k] = to_srgb_u8(c.clamp(0.0, 1.0));
                }
                out.put_pixel(x, y, image::Rgb(rgb));
                painted += 1;
            }
        }
        painted
    }
}

/// A fixed, roughly normal (sum of four uniforms, unit variance) value per photo position and
/// channel: grain that is the same every time for the same photo.
fn noise(x: i64, y: i64, k: u64) -> f32 {
    let mut h = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ k.wrapping_mul(0x1656_67B1_9E37_79F9);
    let mut sum = 0.0f32;
    for _ in 0..4 {
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 29;
        sum += (h >> 40) as f32 / (1u64 << 24) as f32;
    }
    // four uniforms on [0, 1): mean 2, variance 1/3
    (sum - 2.0) * 3.0f32.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matte_all(w: usize, h: usize, alpha: f32) -> Matte {
        Matte {
            width: w,
            height: h,
            alpha: vec![alpha; w * h],
            to_photo: Affine::scale_translate(1.0, 1.0, 0.0, 0.0),
        }
    }

    #[test]
    fn a_plain_wall_is_found_and_a_textured_scene_is_not() {
        let (w, h) = (300u32, 400u32);
        // a softly lit wall: a gentle ramp plus fine grain
        let wall = RgbImage::from_fn(w, h, |x, y| {
            let g = noise(i64::from(x), i64::from(y), 0) * 1.5;
            let v = (180.0 + 0.05 * x as f32 - 0.03 * y as f32 + g).round() as u8;
            image::Rgb([v, v.saturating_sub(6), v.saturating_sub(14)])
        });
        let m = matte_all(w as usize, h as usize, 0.0);
        let found = plain_wall(&wall, &m, Edge::Top).expect("a plain wall");
        assert!(found.field_delta_e_mean < 0.5, "{found:?}");
        // a textured scene: stripes of 12 px, like shelves or a flag
        let stripes = RgbImage::from_fn(w, h, |x, _| {
            if (x / 12) % 2 == 0 {
                image::Rgb([200, 190, 170])
            } else {
                image::Rgb([90, 70, 60])
            }
        });
        assert!(plain_wall(&stripes, &m, Edge::Top).is_none());
        // a band that is mostly person is not a wall either
        let person = matte_all(w as usize, h as usize, 1.0);
        assert!(plain_wall(&wall, &person, Edge::Top).is_none());
    }

    #[test]
    fn the_continued_wall_matches_the_photo_at_the_seam() {
        let (w, h) = (240u32, 320u32);
        let photo = RgbImage::from_fn(w, h, |x, y| {
            let g = noise(i64::from(x), i64::from(y), 1) * 1.2;
            let v = (150.0 + 0.08 * x as f32 + 0.02 * y as f32 + g).round() as u8;
            image::Rgb([v, v, v.saturating_add(8)])
        });
        let m = matte_all(w as usize, h as usize, 0.0);
        let wall = plain_wall(&photo, &m, Edge::Top).unwrap();
        // an output that shows 40 px above the photo, 1:1
        let to_output = Affine::scale_translate(1.0, 1.0, 0.0, 40.0);
        let mut out = RgbImage::new(w, 200);
        for y in 40..200 {
            for x in 0..w {
                out.put_pixel(x, y, *photo.get_pixel(x, y - 40));
            }
        }
        let painted = wall.paint_beyond(&mut out, &to_output);
        assert_eq!(painted, u64::from(w) * 40);
        // mean colour of the 8 rows above and below the seam: the same wall
        let mean = |y0: u32| {
            let mut s = [0.0f32; 3];
            for y in y0..y0 + 8 {
                for x in 0..w {
                    let p = out.get_pixel(x, y).0;
                    for k in 0..3 {
                        s[k] += to_linear_u8(p[k]);
                    }
                }
            }
            s.map(|v| v / (8 * w) as f32)
        };
        let d = delta_e2000(lab(mean(32)), lab(mean(40)));
        assert!(d < 1.0, "seam ΔE {d}");
    }
}
