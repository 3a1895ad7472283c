//! Rim light from the old background, toned toward the new backdrop.
//!
//! A person photographed in front of a window or a bright lamp carries that light on their
//! outline: a bright crescent along the jaw, a pale line down the cheek or the neck.
//! In front of the window it reads as light. In front of a new, darker backdrop there is no
//! light to explain it, and it reads as a cut-out error. A photographer compositing by hand tones
//! that spill down to what the new backdrop would cast.
//!
//! This is an edit of the person's pixels, so it is bounded and measured:
//! - only in the edge band (within [`BAND`] of the eye-to-chin distance of the person's outline
//!   near the face, or of the jaw line, where backlight lies on the jaw above the shaded neck),
//!   below the eyes;
//! - only where a light lies in the old background nearby (its brightest cell within 0.35
//!   eye-to-chin) that is brighter than the face's lit skin and about as bright as the pixel;
//! - only pixels brighter than the face's lit skin and paler than the skin (a lit ear or cheek is
//!   neither);
//! - at most [`STRENGTH`] of the pixel's excess over a target (the person's local colour plus a
//!   little of the backdrop's colour, what it could cast) is taken away, per channel, so a pixel
//!   never becomes darker than the target; the strength is smoothed, so the edit has no outline;
//! - the caller applies it before verification (identity, landmarks, skin colour are checked on
//!   the edited headshot like any retouch), halves or drops it when it causes a breach
//!   ([`RimLight::scaled`]), and records [`RimLight::summary`] in the report and the content
//!   credentials.

use image::RgbImage;
use trueshot_geom::Point;

use crate::{color, distance_outside, Cutout, Plane};

/// Width of the edge band, as a share of the eye-to-chin distance.
pub const BAND: f32 = 0.08;
/// A pixel is toned only when the brightest old background near it is at least this many times
/// brighter than the face's lit skin (backlight) and about as bright as the pixel, and from
/// [`START`] times brighter than the lit skin (fully from [`FULL`]), and paler than the skin.
const BACKLIT: f32 = 1.3;
const START: f32 = 1.05;
const FULL: f32 = 1.6;
/// The rim light the new backdrop is taken to cast: this share of the backdrop's colour behind the
/// pixel added to the person's own colour, at most [`MAX_LIFT`] of the person's luminance. A
/// studio backdrop is lit from the front and casts little light on the person's outline: the
/// toned rim is the person's own colour, a little lighter, in the backdrop's hue.
const CAST: f32 = 0.25;
const MAX_LIFT: f32 = 0.3;
/// At most this share of a pixel's excess is taken away: the rim stays as a softer light of the
/// person's own colour, never painted over (a flat patch would read as retouching, and would
/// move the jaw line the verification watches).
const STRENGTH: f32 = 0.85;

/// The face, in the headshot's pixels.
pub struct RimFace {
    /// The face outline (`trueshot_vision::mesh::FACE_OVAL` points, in order around the face).
    pub oval: Vec<Point>,
    /// Row of the eyes.
    pub eye_y: f32,
    /// Eye-to-chin distance in pixels.
    pub eye_to_chin: f32,
}

impl RimFace {
    /// `face` (found in the photo) in a headshot made from it by `photo_to_output`.
    pub fn of(face: &trueshot_vision::Face, photo_to_output: &trueshot_geom::Affine) -> RimFace {
        let eye = photo_to_output.apply(
            face.right_eye
                .iris_center
                .midpoint(face.left_eye.iris_center),
        );
        RimFace {
            oval: trueshot_vision::mesh::FACE_OVAL
                .iter()
                .map(|&i| photo_to_output.apply(face.mesh[i].xy()))
                .collect(),
            eye_y: eye.y,
            eye_to_chin: eye.distance(photo_to_output.apply(face.chin)),
        }
    }
}

/// The planned edit: for each pixel, the share `s` of its excess over `target` (the person's
/// local colour, a little lifted) that is taken away, per channel (linear light).
#[derive(Clone)]
pub struct RimLight {
    edits: Vec<(u32, f32, [f32; 3])>,
    /// Each edited pixel's colour before the edit (for the summary).
    colours: Vec<[f32; 3]>,
    summary: RimSummary,
}

/// What the edit did (recorded in the report and the credentials).
#[derive(Clone, Copy, Debug, Default)]
pub struct RimSummary {
    /// Pixels whose colour changed by at least 1 L* (CIELAB lightness).
    pub toned_px: usize,
    /// Mean and largest lowering of lightness (L*) over those pixels.
    pub mean_delta_l: f32,
    pub max_delta_l: f32,
    /// Width of the edge band in pixels.
    pub band_px: f32,
}

impl RimLight {
    pub fn summary(&self) -> RimSummary {
        self.summary
    }

    /// The same edit at `share` of its strength (a weaker step when the full edit breaks a
    /// verification bound).
    pub fn scaled(&self, share: f32) -> RimLight {
        let mut rim = RimLight {
            edits: self
                .edits
                .iter()
                .map(|&(i, s, t)| (i, s * share, t))
                .collect(),
            colours: self.colours.clone(),
            summary: self.summary,
        };
        rim.summarise();
        rim
    }

    fn summarise(&mut self) {
        let (mut n, mut sum, mut max) = (0usize, 0.0f32, 0.0f32);
        for (&(_, s, t), &px) in self.edits.iter().zip(&self.colours) {
            let dl = color::lab(px)[0] - color::lab(lower(px, s, t))[0];
            if dl >= 1.0 {
                n += 1;
                sum += dl;
                max = max.max(dl);
            }
        }
        self.summary.toned_px = n;
        self.summary.mean_delta_l = if n > 0 { sum / n as f32 } else { 0.0 };
        self.summary.max_delta_l = max;
    }

    /// The edit applied to a picture of the same size (the retouched headshot).
    pub fn apply(&self, image: &mut RgbImage) {
        let raw: &mut [u8] = image;
        let lut = color::linear_table();
        for &(i, s, target) in &self.edits {
            let px = &mut raw[i as usize * 3..i as usize * 3 + 3];
            let lin: [f32; 3] = std::array::from_fn(|c| lut[px[c] as usize]);
            let out = lower(lin, s, target);
            for c in 0..3 {
                px[c] = color::to_srgb_u8(out[c]);
            }
        }
    }
}

/// The largest value within about `r` cells (a square window) of each cell: exact within blocks
/// of `r / 4` cells, which widens the window by less than a block (the light that casts a rim
/// need not be placed to the cell).
fn max_filter(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let b = (r / 4).max(1);
    if b == 1 {
        return max_filter_exact(v, w, h, r);
    }
    let (bw, bh) = (w.div_ceil(b), h.div_ceil(b));
    let mut blocks = vec![0.0f32; bw * bh];
    for y in 0..h {
        for x in 0..w {
            let q = (y / b) * bw + x / b;
            blocks[q] = blocks[q].max(v[y * w + x]);
        }
    }
    let blocks = max_filter_exact(&blocks, bw, bh, r.div_ceil(b));
    (0..w * h)
        .map(|i| blocks[(i / w / b) * bw + (i % w) / b])
        .collect()
}

fn max_filter_exact(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; w * h];
    for y in 0..h {
        let row = &v[y * w..(y + 1) * w];
        for x in 0..w {
            rows[y * w + x] = row[x.saturating_sub(r)..(x + r + 1).min(w)]
                .iter()
                .fold(0.0f32, |a, &b| a.max(b));
        }
    }
    let mut out = vec![0.0f32; w * h];
    for x in 0..w {
        for y in 0..h {
            out[y * w + x] = (y.saturating_sub(r)..(y + r + 1).min(h))
                .map(|k| rows[k * w + x])
                .fold(0.0f32, f32::max);
        }
    }
    out
}

/// Whether `p` is inside the closed polygon `poly` (even-odd rule).
fn inside(poly: &[Point], p: Point) -> bool {
    let mut inside = false;
    let n = poly.len();
    for k in 0..n {
        let (a, b) = (poly[k], poly[(k + n - 1) % n]);
        if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (b.x - a.x) * (p.y - a.y) / (b.y - a.y) {
            inside = !inside;
        }
    }
    inside
}

/// `px` with share `s` of its excess over `target` taken away, per channel.
fn lower(px: [f32; 3], s: f32, target: [f32; 3]) -> [f32; 3] {
    std::array::from_fn(|c| px[c] - s * (px[c] - target[c]).max(0.0))
}

/// (max − min) / max of a linear colour: 0 for grey and white.
fn saturation(c: [f32; 3]) -> f32 {
    let (hi, lo) = (c[0].max(c[1]).max(c[2]), c[0].min(c[1]).min(c[2]));
    if hi > 1e-4 {
        (hi - lo) / hi
    } else {
        0.0
    }
}

fn luminance(c: [f32; 3]) -> f32 {
    0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}

fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

impl Cutout {
    /// Plans the rim-light edit of this cutout in front of `backdrop` (linear planes,
    /// [`crate::Backdrop::paint`]), from `toned`: the headshot as toned, before retouching, the
    /// old background still in place (the cutout's own size).
    pub fn rim_light(&self, toned: &RgbImage, backdrop: &[Plane; 3], face: &RimFace) -> RimLight {
        let (w, h) = (self.width, self.height);
        let band = (BAND * face.eye_to_chin).max(3.0 * self.enlargement.max(1.0));
        let none = RimLight {
            edits: Vec::new(),
            colours: Vec::new(),
            summary: RimSummary {
                band_px: band,
                ..RimSummary::default()
            },
        };
        if w == 0 || h == 0 || face.eye_to_chin <= 0.0 {
            return none;
        }
        // The window all of it happens in: the face, with room for the band, the person's local
        // colour and the light that casts the rim around it; nothing above the eyes is edited,
        // and the light is looked for up to 0.4 eye-to-chin above them.
        let reach = 0.4 * face.eye_to_chin + band;
        let (lo, hi) = face.oval.iter().fold(
            (
                Point::new(f32::MAX, f32::MAX),
                Point::new(f32::MIN, f32::MIN),
            ),
            |(lo, hi), p| {
                (
                    Point::new(lo.x.min(p.x), lo.y.min(p.y)),
                    Point::new(hi.x.max(p.x), hi.y.max(p.y)),
                )
            },
        );
        let clamp = |v: f32, n: usize| v.clamp(0.0, n as f32) as usize;
        let (wx0, wx1) = (clamp(lo.x - reach, w), clamp(hi.x + reach, w));
        let (wy0, wy1) = (
            clamp(face.eye_y - 0.4 * face.eye_to_chin, h),
            clamp(hi.y + reach, h),
        );
        if wx1 <= wx0 || wy1 <= wy0 {
            return none;
        }
        // Cells of m × m pixels of the window for distances and local colours.
        let m = ((band / 6.0).round() as usize).clamp(2, 8);
        let (gw, gh) = ((wx1 - wx0).div_ceil(m), (wy1 - wy0).div_ceil(m));
        let cell = |x: usize, y: usize| ((y - wy0) / m) * gw + (x - wx0) / m;
        let raw = toned.as_raw();
        let lut = color::linear_table();
        // Per cell: person pixels (alpha 1) and old background pixels (alpha 0), summed.
        let mut sums: [Vec<f32>; 8] = std::array::from_fn(|_| vec![0.0; gw * gh]);
        let mut person_cells = vec![0u32; gw * gh];
        for y in wy0..wy1 {
            for x in wx0..wx1 {
                let i = y * w + x;
                let a = self.alpha.data[i];
                let q = cell(x, y);
                if a >= 0.5 {
                    person_cells[q] += 1;
                }
                let base = if a >= 1.0 {
                    0
                } else if a <= 0.0 {
                    4
                } else {
                    continue;
                };
                for c in 0..3 {
                    sums[base + c][q] += lut[raw[i * 3 + c] as usize];
                }
                sums[base + 3][q] += 1.0;
            }
        }
        let cell_area = |q: usize| {
            let (cx, cy) = (q % gw, q / gw);
            ((wx1 - wx0 - cx * m).min(m) * (wy1 - wy0 - cy * m).min(m)) as u32
        };
        let person: Vec<bool> = (0..gw * gh)
            .map(|q| 2 * person_cells[q] >= cell_area(q))
            .collect();
        let not_person: Vec<bool> = person.iter().map(|&p| !p).collect();
        let to_outline: Vec<f32> = distance_outside(&not_person, gw, gh)
            .into_iter()
            .map(|d| d * m as f32)
            .collect();
        // The jaw line: the face outline below the eyes (a little below, so that temples and
        // cheekbones, which the outline already covers where they meet the background, and the
        // eyes are never in it).
        let mut jaw = vec![false; gw * gh];
        let below = face.eye_y + 0.25 * face.eye_to_chin;
        let n = face.oval.len();
        for k in 0..n {
            let (a, b) = (face.oval[k], face.oval[(k + 1) % n]);
            if a.y < below || b.y < below {
                continue;
            }
            let steps = ((a.x - b.x).hypot(a.y - b.y) / m as f32).ceil().max(1.0) as usize;
            for t in 0..=steps {
                let f = t as f32 / steps as f32;
                let (x, y) = (a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f);
                let (x, y) = (x.max(0.0) as usize, y.max(0.0) as usize);
                if (wx0..wx1).contains(&x) && (wy0..wy1).contains(&y) {
                    jaw[cell(x, y)] = true;
                }
            }
        }
        let to_jaw: Vec<f32> = distance_outside(&jaw, gw, gh)
            .into_iter()
            .map(|d| d * m as f32)
            .collect();
        // The face: inside its outline, grown by the band (cheeks and temples where they meet
        // the background).
        let inside_face: Vec<bool> = (0..gw * gh)
            .map(|q| {
                let c = Point::new(
                    wx0 as f32 + ((q % gw) as f32 + 0.5) * m as f32,
                    wy0 as f32 + ((q / gw) as f32 + 0.5) * m as f32,
                );
                inside(&face.oval, c)
            })
            .collect();
        let to_face = distance_outside(&inside_face, gw, gh);
        let top = (face.eye_y.max(0.0) as usize).saturating_sub(wy0) / m;
        let falloff = |d: f32| 1.0 - smoothstep(0.6 * band, band, d);
        let in_band: Vec<f32> = (0..gw * gh)
            .map(|q| {
                if !person[q] || q / gw <= top {
                    return 0.0;
                }
                let near_face = to_face[q] * m as f32 <= band;
                let outline = if near_face {
                    falloff(to_outline[q])
                } else {
                    0.0
                };
                outline.max(falloff(to_jaw[q]))
            })
            .collect();
        if in_band.iter().all(|&b| b <= 0.0) {
            return none;
        }
        // The person's local colour: the mean of their solid pixels outside the band within 0.15
        // eye-to-chin.
        let mut person_sums: [Vec<f32>; 4] = std::array::from_fn(|c| sums[c].clone());
        for (q, &b) in in_band.iter().enumerate() {
            if b > 0.0 {
                for s in person_sums.iter_mut() {
                    s[q] = 0.0;
                }
            }
        }
        let mean = |planes: [Vec<f32>; 4], r: f32| -> [Plane; 4] {
            let r = ((r / m as f32).ceil() as usize).max(1);
            planes.map(|data| {
                Plane {
                    width: gw,
                    height: gh,
                    data,
                }
                .box_mean(r)
            })
        };
        let local = mean(person_sums, 0.15 * face.eye_to_chin);
        // The face's own lit skin: inside the outline, below the eyes, outside the band; its
        // upper quartile of luminance, and its saturation. Rim light is brighter than the lit
        // skin and paler (the light's colour, not the skin's): a lit ear or cheek is neither.
        let mut skin: Vec<(f32, [f32; 3])> = Vec::new();
        for (q, &f) in inside_face.iter().enumerate() {
            if !f || in_band[q] > 0.0 || q / gw <= top {
                continue;
            }
            let (x0, y0) = (wx0 + (q % gw) * m, wy0 + (q / gw) * m);
            for y in (y0..(y0 + m).min(wy1)).step_by(2) {
                for x in (x0..(x0 + m).min(wx1)).step_by(2) {
                    let i = y * w + x;
                    if self.alpha.data[i] >= 1.0 {
                        let c: [f32; 3] = std::array::from_fn(|k| lut[raw[i * 3 + k] as usize]);
                        skin.push((luminance(c), c));
                    }
                }
            }
        }
        if skin.len() < 50 {
            return none;
        }
        skin.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let lit = skin[skin.len() * 3 / 4].0.max(1e-3);
        let mid = &skin[skin.len() / 4..skin.len() * 9 / 10];
        let skin_colour: [f32; 3] =
            std::array::from_fn(|k| mid.iter().map(|s| s.1[k]).sum::<f32>() / mid.len() as f32);
        let skin_saturation = saturation(skin_colour).max(1e-3);
        // The brightest old background near each cell (cells that are mostly background): the
        // light that can have cast the rim.
        let light: Vec<f32> = (0..gw * gh)
            .map(|q| {
                let n = sums[7][q];
                if 2.0 * n >= cell_area(q) as f32 {
                    luminance(std::array::from_fn(|c| sums[4 + c][q] / n))
                } else {
                    0.0
                }
            })
            .collect();
        let light = max_filter(
            &light,
            gw,
            gh,
            ((0.35 * face.eye_to_chin / m as f32).ceil() as usize).max(1),
        );

        if !in_band
            .iter()
            .zip(&light)
            .any(|(&b, &l)| b > 0.0 && l >= BACKLIT * lit)
        {
            return none;
        }
        // Per cell: the band's weight, the person's colour and the light, read between cell
        // centres (bilinear) so that the edit has no cell edges.
        let valid: Vec<bool> = (0..gw * gh).map(|q| local[3].data[q] >= 1e-4).collect();
        let base_at: Vec<[f32; 3]> = (0..gw * gh)
            .map(|q| {
                if valid[q] {
                    std::array::from_fn(|c| local[c].data[q] / local[3].data[q])
                } else {
                    [0.0; 3]
                }
            })
            .collect();
        let fields = |x: usize, y: usize| -> Option<(f32, [f32; 3], f32)> {
            let fx = (((x - wx0) as f32 + 0.5) / m as f32 - 0.5).clamp(0.0, (gw - 1) as f32);
            let fy = (((y - wy0) as f32 + 0.5) / m as f32 - 0.5).clamp(0.0, (gh - 1) as f32);
            let (x0, y0) = (fx as usize, fy as usize);
            let (x1, y1) = ((x0 + 1).min(gw - 1), (y0 + 1).min(gh - 1));
            let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
            let taps = [
                (y0 * gw + x0, (1.0 - tx) * (1.0 - ty)),
                (y0 * gw + x1, tx * (1.0 - ty)),
                (y1 * gw + x0, (1.0 - tx) * ty),
                (y1 * gw + x1, tx * ty),
            ];
            let (mut wgt, mut lt, mut base, mut n) = (0.0f32, 0.0f32, [0.0f32; 3], 0.0f32);
            for (q, c) in taps {
                wgt += c * in_band[q];
                lt += c * light[q];
                if valid[q] {
                    for k in 0..3 {
                        base[k] += c * base_at[q][k];
                    }
                    n += c;
                }
            }
            (n > 1e-3 && wgt > 0.01).then(|| (wgt, base.map(|v| v / n), lt))
        };
        // The person's pixel colour (its foreground if partly transparent).
        let colour = |i: usize| -> Option<[f32; 3]> {
            let a = self.alpha.data[i];
            if a >= 1.0 {
                Some(std::array::from_fn(|c| lut[raw[i * 3 + c] as usize]))
            } else if a > 0.0 {
                self.partial
                    .binary_search(&(i as u32))
                    .ok()
                    .map(|j| self.foreground[j])
            } else {
                None
            }
        };
        // The target of a pixel: the person's local colour lifted by what the new backdrop
        // could cast.
        let target = |i: usize, base: [f32; 3]| -> [f32; 3] {
            let yb = luminance(base).max(1e-3);
            let light: [f32; 3] = std::array::from_fn(|c| backdrop[c].data[i]);
            let k = CAST.min(MAX_LIFT * yb / luminance(light).max(1e-4));
            std::array::from_fn(|c| base[c] + k * light[c])
        };
        let near_cells: Vec<usize> = (0..gw * gh)
            .filter(|&q| {
                let (cx, cy) = (q % gw, q / gw);
                (cy.saturating_sub(1)..(cy + 2).min(gh)).any(|yy| {
                    (cx.saturating_sub(1)..(cx + 2).min(gw)).any(|xx| in_band[yy * gw + xx] > 0.0)
                })
            })
            .collect();
        let pixels = |q: usize| {
            let (x0, y0) = (wx0 + (q % gw) * m, wy0 + (q / gw) * m);
            (y0..(y0 + m).min(wy1)).flat_map(move |y| (x0..(x0 + m).min(wx1)).map(move |x| (x, y)))
        };
        // How much of each pixel's excess goes: rim light only where the old background nearby
        // holds a light brighter than the lit skin (backlight) and about as bright as the pixel,
        // and the pixel is brighter and paler than the lit skin. Then smoothed, so that the
        // edit has no outline of its own.
        // (On the cells' bounding box, with the smoothing's margin.)
        let r = ((band / 10.0).round() as usize).max(1);
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
        for &q in &near_cells {
            let (cx, cy) = (wx0 + (q % gw) * m, wy0 + (q / gw) * m);
            (x0, y0) = (x0.min(cx), y0.min(cy));
            (x1, y1) = (x1.max((cx + m).min(wx1)), y1.max((cy + m).min(wy1)));
        }
        if x1 <= x0 || y1 <= y0 {
            return none;
        }
        let (x0, y0) = (x0.saturating_sub(r), y0.saturating_sub(r));
        let (x1, y1) = ((x1 + r).min(w), (y1 + r).min(h));
        let bw = x1 - x0;
        let mut strength = Plane::new(bw, y1 - y0, 0.0);
        for &q in &near_cells {
            for (x, y) in pixels(q) {
                let i = y * w + x;
                let j = (y - y0) * bw + x - x0;
                let (Some(px), Some((weight, base, light))) = (colour(i), fields(x, y)) else {
                    continue;
                };
                let t = target(i, base);
                let lum = luminance(px);
                strength.data[j] = STRENGTH
                    * smoothstep(
                        START,
                        FULL,
                        lum / (lit * luminance(t) / luminance(base).max(1e-3)),
                    )
                    * (1.0 - smoothstep(0.6, 0.9, saturation(px) / skin_saturation))
                    * smoothstep(1.0, BACKLIT, light / lit)
                    * smoothstep(0.4, 0.8, light / lum.max(1e-4))
                    * weight;
            }
        }
        let strength = strength.box_mean(r);
        let mut edits = Vec::new();
        let mut colours = Vec::new();
        for &q in &near_cells {
            for (x, y) in pixels(q) {
                let i = y * w + x;
                let s = strength.data[(y - y0) * bw + x - x0];
                if s < 0.02 {
                    continue;
                }
                let (Some(px), Some((_, base, _))) = (colour(i), fields(x, y)) else {
                    continue;
                };
                edits.push((i as u32, s, target(i, base)));
                colours.push((i as u32, px));
            }
        }
        edits.sort_unstable_by_key(|e| e.0);
        colours.sort_unstable_by_key(|e| e.0);
        let mut rim = RimLight {
            edits,
            colours: colours.into_iter().map(|c| c.1).collect(),
            summary: none.summary,
        };
        rim.summarise();
        rim
    }

    /// Applies `rim` to the foreground colours of the partly transparent pixels (the solid
    /// ones are the image's own, edited with [`RimLight::apply`]).
    pub fn tone_rim(&mut self, rim: &RimLight) {
        let mut k = 0usize;
        for &(i, s, target) in &rim.edits {
            while k < self.partial.len() && (self.partial[k] as usize) < i as usize {
                k += 1;
            }
            if self.partial.get(k) == Some(&i) {
                self.foreground[k] = lower(self.foreground[k], s, target);
            }
        }
    }
}
