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

/// The window around the face the edit is planned in, as cells of `m × m` pixels (for distances
/// and local colours).
struct Grid {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    m: usize,
    gw: usize,
    gh: usize,
}

impl Grid {
    /// The face, with room for the band, the person's local colour and the light that casts the
    /// rim around it; nothing above the eyes is edited, and the light is looked for up to 0.4
    /// eye-to-chin above them.
    fn around(face: &RimFace, band: f32, w: usize, h: usize) -> Option<Grid> {
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
        let (x0, x1) = (clamp(lo.x - reach, w), clamp(hi.x + reach, w));
        let (y0, y1) = (
            clamp(face.eye_y - 0.4 * face.eye_to_chin, h),
            clamp(hi.y + reach, h),
        );
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let m = ((band / 6.0).round() as usize).clamp(2, 8);
        Some(Grid {
            x0,
            x1,
            y0,
            y1,
            m,
            gw: (x1 - x0).div_ceil(m),
            gh: (y1 - y0).div_ceil(m),
        })
    }

    fn len(&self) -> usize {
        self.gw * self.gh
    }

    fn cell(&self, x: usize, y: usize) -> usize {
        ((y - self.y0) / self.m) * self.gw + (x - self.x0) / self.m
    }

    /// Pixels in cell `q` (the last row and column of cells may be partial).
    fn area(&self, q: usize) -> u32 {
        let (cx, cy) = (q % self.gw, q / self.gw);
        ((self.x1 - self.x0 - cx * self.m).min(self.m)
            * (self.y1 - self.y0 - cy * self.m).min(self.m)) as u32
    }

    fn pixels(&self, q: usize) -> impl Iterator<Item = (usize, usize)> {
        let (x0, y0) = (
            self.x0 + (q % self.gw) * self.m,
            self.y0 + (q / self.gw) * self.m,
        );
        let (x1, y1) = ((x0 + self.m).min(self.x1), (y0 + self.m).min(self.y1));
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y)))
    }

    /// Distances between cells, in pixels, to the nearest cell where `mask` is set.
    fn distance_to(&self, mask: &[bool]) -> Vec<f32> {
        distance_outside(mask, self.gw, self.gh)
            .into_iter()
            .map(|d| d * self.m as f32)
            .collect()
    }

    /// Cells whose pixels lie on the segments of `line` below row `below`.
    fn on_line(&self, line: &[Point], below: f32) -> Vec<bool> {
        let mut on = vec![false; self.len()];
        let n = line.len();
        for k in 0..n {
            let (a, b) = (line[k], line[(k + 1) % n]);
            if a.y < below || b.y < below {
                continue;
            }
            let steps = ((a.x - b.x).hypot(a.y - b.y) / self.m as f32)
                .ceil()
                .max(1.0) as usize;
            for t in 0..=steps {
                let f = t as f32 / steps as f32;
                let (x, y) = (a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f);
                let (x, y) = (x.max(0.0) as usize, y.max(0.0) as usize);
                if (self.x0..self.x1).contains(&x) && (self.y0..self.y1).contains(&y) {
                    on[self.cell(x, y)] = true;
                }
            }
        }
        on
    }

    /// Means of cell `planes` over a square of cells `r` pixels around each.
    fn mean(&self, planes: [Vec<f32>; 4], r: f32) -> [Plane; 4] {
        let r = ((r / self.m as f32).ceil() as usize).max(1);
        planes.map(|data| {
            Plane {
                width: self.gw,
                height: self.gh,
                data,
            }
            .box_mean(r)
        })
    }
}

/// What the cells of the window hold.
struct Cells {
    /// Linear colour sums and counts of the person's solid pixels (0–3) and of the old
    /// background's (4–7).
    sums: [Vec<f32>; 8],
    /// Cells inside the face outline.
    inside_face: Vec<bool>,
    /// The band's weight (0 outside it).
    in_band: Vec<f32>,
    /// The cell row of the eyes: nothing at or above it is edited.
    top: usize,
}

/// The face's own lit skin: the upper quartile of its luminance, and its saturation.
struct LitSkin {
    lit: f32,
    saturation: f32,
}

/// Per cell, read between cell centres (bilinear) so that the edit has no cell edges: the band's
/// weight, the person's local colour and the light.
struct Fields {
    in_band: Vec<f32>,
    light: Vec<f32>,
    valid: Vec<bool>,
    base: Vec<[f32; 3]>,
}

impl Fields {
    fn at(&self, g: &Grid, x: usize, y: usize) -> Option<(f32, [f32; 3], f32)> {
        let (gw, gh, m) = (g.gw, g.gh, g.m as f32);
        let fx = (((x - g.x0) as f32 + 0.5) / m - 0.5).clamp(0.0, (gw - 1) as f32);
        let fy = (((y - g.y0) as f32 + 0.5) / m - 0.5).clamp(0.0, (gh - 1) as f32);
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
            wgt += c * self.in_band[q];
            lt += c * self.light[q];
            if self.valid[q] {
                for (b, v) in base.iter_mut().zip(self.base[q]) {
                    *b += c * v;
                }
                n += c;
            }
        }
        (n > 1e-3 && wgt > 0.01).then(|| (wgt, base.map(|v| v / n), lt))
    }
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
        let Some(g) = Grid::around(face, band, w, h) else {
            return none;
        };
        let cells = self.cells(&g, toned, face, band);
        if cells.in_band.iter().all(|&b| b <= 0.0) {
            return none;
        }
        let Some(skin) = self.lit_skin(&g, toned, &cells) else {
            return none;
        };
        let light = light_near(&g, &cells, face);
        if !cells
            .in_band
            .iter()
            .zip(&light)
            .any(|(&b, &l)| b > 0.0 && l >= BACKLIT * skin.lit)
        {
            return none;
        }
        let fields = fields(&g, cells, light, face);
        let near_cells: Vec<usize> = (0..g.len())
            .filter(|&q| {
                let (cx, cy) = (q % g.gw, q / g.gw);
                (cy.saturating_sub(1)..(cy + 2).min(g.gh)).any(|yy| {
                    (cx.saturating_sub(1)..(cx + 2).min(g.gw))
                        .any(|xx| fields.in_band[yy * g.gw + xx] > 0.0)
                })
            })
            .collect();
        let plan = Plan {
            grid: &g,
            fields: &fields,
            skin: &skin,
            toned,
            backdrop,
        };
        match self.strength(&plan, &near_cells, band) {
            Some(strength) => {
                let mut rim = self.edits(&plan, &near_cells, &strength);
                rim.summary = none.summary;
                rim.summarise();
                rim
            }
            None => none,
        }
    }

    /// Sums the window's cells and finds the band: within the band of the outline near the face,
    /// or of the jaw line, below the eyes.
    fn cells(&self, g: &Grid, toned: &RgbImage, face: &RimFace, band: f32) -> Cells {
        let (w, raw, lut) = (self.width, toned.as_raw(), color::linear_table());
        // Per cell: person pixels (alpha 1) and old background pixels (alpha 0), summed.
        let mut sums: [Vec<f32>; 8] = std::array::from_fn(|_| vec![0.0; g.len()]);
        let mut person_cells = vec![0u32; g.len()];
        for y in g.y0..g.y1 {
            for x in g.x0..g.x1 {
                let i = y * w + x;
                let a = self.alpha.data[i];
                let q = g.cell(x, y);
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
        let person: Vec<bool> = (0..g.len())
            .map(|q| 2 * person_cells[q] >= g.area(q))
            .collect();
        let not_person: Vec<bool> = person.iter().map(|&p| !p).collect();
        let to_outline = g.distance_to(&not_person);
        // The jaw line: the face outline below the eyes (a little below, so that temples and
        // cheekbones, which the outline already covers where they meet the background, and the
        // eyes are never in it).
        let to_jaw = g.distance_to(&g.on_line(&face.oval, face.eye_y + 0.25 * face.eye_to_chin));
        // The face: inside its outline, grown by the band (cheeks and temples where they meet
        // the background).
        let m = g.m as f32;
        let inside_face: Vec<bool> = (0..g.len())
            .map(|q| {
                let c = Point::new(
                    g.x0 as f32 + ((q % g.gw) as f32 + 0.5) * m,
                    g.y0 as f32 + ((q / g.gw) as f32 + 0.5) * m,
                );
                inside(&face.oval, c)
            })
            .collect();
        let to_face = distance_outside(&inside_face, g.gw, g.gh);
        let top = (face.eye_y.max(0.0) as usize).saturating_sub(g.y0) / g.m;
        let falloff = |d: f32| 1.0 - smoothstep(0.6 * band, band, d);
        let in_band: Vec<f32> = (0..g.len())
            .map(|q| {
                if !person[q] || q / g.gw <= top {
                    return 0.0;
                }
                let near_face = to_face[q] * m <= band;
                let outline = if near_face {
                    falloff(to_outline[q])
                } else {
                    0.0
                };
                outline.max(falloff(to_jaw[q]))
            })
            .collect();
        Cells {
            sums,
            inside_face,
            in_band,
            top,
        }
    }

    /// The face's own lit skin: inside the outline, below the eyes, outside the band. Rim light is
    /// brighter than the lit skin and paler (the light's colour, not the skin's): a lit ear or
    /// cheek is neither. `None` when too little skin shows.
    fn lit_skin(&self, g: &Grid, toned: &RgbImage, cells: &Cells) -> Option<LitSkin> {
        let (w, raw, lut) = (self.width, toned.as_raw(), color::linear_table());
        let mut skin: Vec<(f32, [f32; 3])> = Vec::new();
        for (q, &f) in cells.inside_face.iter().enumerate() {
            if !f || cells.in_band[q] > 0.0 || q / g.gw <= cells.top {
                continue;
            }
            let (x0, y0) = (g.x0 + (q % g.gw) * g.m, g.y0 + (q / g.gw) * g.m);
            for y in (y0..(y0 + g.m).min(g.y1)).step_by(2) {
                for x in (x0..(x0 + g.m).min(g.x1)).step_by(2) {
                    let i = y * w + x;
                    if self.alpha.data[i] >= 1.0 {
                        let c: [f32; 3] = std::array::from_fn(|k| lut[raw[i * 3 + k] as usize]);
                        skin.push((luminance(c), c));
                    }
                }
            }
        }
        if skin.len() < 50 {
            return None;
        }
        skin.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mid = &skin[skin.len() / 4..skin.len() * 9 / 10];
        let colour: [f32; 3] =
            std::array::from_fn(|k| mid.iter().map(|s| s.1[k]).sum::<f32>() / mid.len() as f32);
        Some(LitSkin {
            lit: skin[skin.len() * 3 / 4].0.max(1e-3),
            saturation: saturation(colour).max(1e-3),
        })
    }

    /// How much of each pixel's excess goes, on the near cells' bounding box with the smoothing's
    /// margin: rim light only where the old background nearby holds a light brighter than the lit
    /// skin (backlight) and about as bright as the pixel, and the pixel is brighter and paler
    /// than the lit skin. Then smoothed, so that the edit has no outline of its own.
    fn strength(&self, p: &Plan, near_cells: &[usize], band: f32) -> Option<Strength> {
        let (g, w, h) = (p.grid, self.width, self.height);
        let r = ((band / 10.0).round() as usize).max(1);
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
        for &q in near_cells {
            let (cx, cy) = (g.x0 + (q % g.gw) * g.m, g.y0 + (q / g.gw) * g.m);
            (x0, y0) = (x0.min(cx), y0.min(cy));
            (x1, y1) = (x1.max((cx + g.m).min(g.x1)), y1.max((cy + g.m).min(g.y1)));
        }
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let (x0, y0) = (x0.saturating_sub(r), y0.saturating_sub(r));
        let (x1, y1) = ((x1 + r).min(w), (y1 + r).min(h));
        let bw = x1 - x0;
        let mut strength = Plane::new(bw, y1 - y0, 0.0);
        let lit = p.skin.lit;
        for &q in near_cells {
            for (x, y) in g.pixels(q) {
                let i = y * w + x;
                let (Some(px), Some((weight, base, light))) =
                    (self.colour(p.toned, i), p.fields.at(g, x, y))
                else {
                    continue;
                };
                let t = p.target(i, base);
                let lum = luminance(px);
                strength.data[(y - y0) * bw + x - x0] = STRENGTH
                    * smoothstep(
                        START,
                        FULL,
                        lum / (lit * luminance(t) / luminance(base).max(1e-3)),
                    )
                    * (1.0 - smoothstep(0.6, 0.9, saturation(px) / p.skin.saturation))
                    * smoothstep(1.0, BACKLIT, light / lit)
                    * smoothstep(0.4, 0.8, light / lum.max(1e-4))
                    * weight;
            }
        }
        Some(Strength {
            plane: strength.box_mean(r),
            x0,
            y0,
        })
    }

    /// The edit of every pixel whose smoothed strength is worth applying, by pixel index.
    fn edits(&self, p: &Plan, near_cells: &[usize], strength: &Strength) -> RimLight {
        let (g, w) = (p.grid, self.width);
        let mut edits = Vec::new();
        let mut colours = Vec::new();
        for &q in near_cells {
            for (x, y) in g.pixels(q) {
                let i = y * w + x;
                let s =
                    strength.plane.data[(y - strength.y0) * strength.plane.width + x - strength.x0];
                if s < 0.02 {
                    continue;
                }
                let (Some(px), Some((_, base, _))) =
                    (self.colour(p.toned, i), p.fields.at(g, x, y))
                else {
                    continue;
                };
                edits.push((i as u32, s, p.target(i, base)));
                colours.push((i as u32, px));
            }
        }
        edits.sort_unstable_by_key(|e| e.0);
        colours.sort_unstable_by_key(|e| e.0);
        RimLight {
            edits,
            colours: colours.into_iter().map(|c| c.1).collect(),
            summary: RimSummary::default(),
        }
    }

    /// The person's colour at pixel `i` (its foreground if partly transparent).
    fn colour(&self, toned: &RgbImage, i: usize) -> Option<[f32; 3]> {
        let a = self.alpha.data[i];
        if a >= 1.0 {
            let (raw, lut) = (toned.as_raw(), color::linear_table());
            Some(std::array::from_fn(|c| lut[raw[i * 3 + c] as usize]))
        } else if a > 0.0 {
            self.partial
                .binary_search(&(i as u32))
                .ok()
                .map(|j| self.foreground[j])
        } else {
            None
        }
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

/// What the edit of each pixel is planned from.
struct Plan<'a> {
    grid: &'a Grid,
    fields: &'a Fields,
    skin: &'a LitSkin,
    toned: &'a RgbImage,
    backdrop: &'a [Plane; 3],
}

impl Plan<'_> {
    /// The target of pixel `i`: the person's local colour `base` lifted by what the new backdrop
    /// could cast.
    fn target(&self, i: usize, base: [f32; 3]) -> [f32; 3] {
        let yb = luminance(base).max(1e-3);
        let light: [f32; 3] = std::array::from_fn(|c| self.backdrop[c].data[i]);
        let k = CAST.min(MAX_LIFT * yb / luminance(light).max(1e-4));
        std::array::from_fn(|c| base[c] + k * light[c])
    }
}

/// The smoothed strength of the edit on a box of the headshot whose top left is `x0, y0`.
struct Strength {
    plane: Plane,
    x0: usize,
    y0: usize,
}

/// The brightest old background near each cell (cells that are mostly background), within 0.35
/// eye-to-chin: the light that can have cast the rim.
fn light_near(g: &Grid, cells: &Cells, face: &RimFace) -> Vec<f32> {
    let sums = &cells.sums;
    let light: Vec<f32> = (0..g.len())
        .map(|q| {
            let n = sums[7][q];
            if 2.0 * n >= g.area(q) as f32 {
                luminance(std::array::from_fn(|c| sums[4 + c][q] / n))
            } else {
                0.0
            }
        })
        .collect();
    max_filter(
        &light,
        g.gw,
        g.gh,
        ((0.35 * face.eye_to_chin / g.m as f32).ceil() as usize).max(1),
    )
}

/// The fields read per pixel: the band, the light and the person's local colour (the mean of
/// their solid pixels outside the band within 0.15 eye-to-chin).
fn fields(g: &Grid, cells: Cells, light: Vec<f32>, face: &RimFace) -> Fields {
    let Cells { sums, in_band, .. } = cells;
    let mut person_sums: [Vec<f32>; 4] = std::array::from_fn(|c| sums[c].clone());
    for (q, &b) in in_band.iter().enumerate() {
        if b > 0.0 {
            for s in person_sums.iter_mut() {
                s[q] = 0.0;
            }
        }
    }
    let local = g.mean(person_sums, 0.15 * face.eye_to_chin);
    let valid: Vec<bool> = (0..g.len()).map(|q| local[3].data[q] >= 1e-4).collect();
    let base = (0..g.len())
        .map(|q| {
            if valid[q] {
                std::array::from_fn(|c| local[c].data[q] / local[3].data[q])
            } else {
                [0.0; 3]
            }
        })
        .collect();
    Fields {
        in_band,
        light,
        valid,
        base,
    }
}
