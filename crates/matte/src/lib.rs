//! Cutting the person out of a rendered headshot and putting them in front of a new background.
//!
//! The stages, all on the headshot at output resolution (never on the whole photo):
//!
//! 1. [`seed`]: the matting net's alpha (from `trueshot_vision::Matting`, run once per photo on
//!    the [`region`] all headshots share) made into a clean hard person mask, then mapped into
//!    each headshot's pixels through the framing's affine map ([`Cutout::new`]). Output pixels
//!    beyond the photo get alpha 0: that canvas is new background, never a stretched person.
//! 2. [`refine::GuidedFilter`]: an edge-aware colour guided filter fits the alpha to the
//!    headshot's own colour edges, which gives hair soft, strand-like transitions.
//! 3. [`foreground::estimate`]: the foreground colour of every partly transparent pixel, so that
//!    no colour of the old background comes along into the hair.
//! 4. [`Cutout::composite`] in linear light, `αF + (1 − α)B` (premultiplied foreground over the
//!    new background), back to sRGB; pixels whose alpha is 1 are copied bit for bit. Or
//!    [`Cutout::rgba`], a transparent PNG cutout.
//!    Before that, when the background is replaced, [`Cutout::rim_light`] plans a bounded edit of
//!    the edge band: the old background's rim light toned toward the new backdrop ([`rim`]); the
//!    caller applies it to the headshot before verification and to the edge's foreground colours.
//! 5. [`Cutout::quality`]: the measures a retoucher would look at (halo around the edge, colour
//!    of the far background, softness of the hair edge), recorded in every report.
//!
//! The [`Backdrop`] modes are a solid colour, a two-colour studio gradient (linear or radial),
//! a photo (the real office; scaled to cover, optionally blurred) and the photo's own background
//! blurred like a fast lens. Gradients and photos are dithered when quantised, so that smooth
//! ramps do not band.

pub use trueshot_pixels::color;
pub mod foreground;
pub mod refine;
pub mod rim;
pub mod wall;

use image::{RgbImage, RgbaImage};
use serde::Serialize;
use trueshot_geom::{Affine, Point};
use trueshot_vision::Matte;

pub use rim::{RimFace, RimLight, RimSummary};
pub use trueshot_pixels::Plane;
pub use wall::{plain_wall, Edge, Wall};

/// Width of the band around the person's edge (the alpha-0.5 contour) checked for fringes, in
/// photo pixels (at least that many output pixels), and the colour difference from the person's
/// own nearby colour below which an edge pixel is left alone (CIEDE2000).
const RIM_PX: f32 = 4.0;
const RIM_DELTA_E: f32 = 10.0;

/// Whether `fg` (CIELAB) has a fringe's colour next to the person's `p`: a hue no skin, hair or
/// lip has (green through cyan and blue to purple, 110°–320°), more saturated than the person's
/// own colour there. Ears, lit skin, red lips and blond hair never qualify; a blue shirt's edge
/// does not either, being the shirt's own colour.
fn fringe_colour(fg: [f32; 3], p: [f32; 3]) -> bool {
    let chroma = |c: [f32; 3]| c[1].hypot(c[2]);
    let hue = fg[2].atan2(fg[1]).to_degrees().rem_euclid(360.0);
    (110.0..=320.0).contains(&hue) && chroma(fg) >= chroma(p) + 6.0
}

/// Edge pixels whose colour is not the person's: a lens's colour fringe (cyan or purple along a
/// dark suit against a bright wall, green at dark hair). Kept as they are, the solid ones draw a
/// coloured rim around the person on the new background, and the partly transparent ones get
/// the same colour as their estimated foreground.
///
/// An edge pixel (within `RIM_PX` of the contour, inside or outside) whose foreground (its own
/// colour if solid) is more than `RIM_DELTA_E` from the person's local colour P (solid pixels
/// just inside the band), has a fringe's colour ([`fringe_colour`]) and leans from P toward the
/// old background's local colour B is read as the camera read it: a mix of P and B. Its alpha
/// becomes the mix's share of P (the projection of its colour on the line from P to B, in linear
/// light; never more than it was) and its foreground P. Edge details of the person's own colour,
/// and colours that do not lean toward the old background, are left alone. Returns how many
/// pixels were re-estimated.
fn defringe_rim(
    raw: &[u8],
    w: usize,
    alpha: &mut Plane,
    partial: &mut Vec<u32>,
    foreground: &mut Vec<[f32; 3]>,
    enlargement: f32,
) -> usize {
    let k = enlargement.max(1.0);
    let edge = EdgeBand::of(alpha);
    let Some((band, means)) = edge.pixels_and_colours(raw, alpha, k) else {
        return 0;
    };
    let lut = color::linear_table();
    // The current foreground of each band pixel: its own colour if solid, else the estimate.
    let mut changed: Vec<(u32, f32, [f32; 3])> = Vec::new();
    let mut kp = 0usize;
    for i in band {
        while kp < partial.len() && (partial[kp] as usize) < i {
            kp += 1;
        }
        let px: [f32; 3] = std::array::from_fn(|c| lut[raw[i * 3 + c] as usize]);
        let fg = match partial.get(kp) {
            Some(&j) if j as usize == i => foreground[kp],
            _ => px,
        };
        let q = (i / w / EdgeBand::M) * means[0].width + (i % w) / EdgeBand::M;
        if let Some(new) = unmixed(px, fg, &means, q) {
            changed.push((i as u32, new.0.min(alpha.data[i]), new.1));
        }
    }
    let n = changed.len();
    if n > 0 {
        merge_partial(alpha, partial, foreground, &changed);
    }
    n
}

/// A fringed pixel read as a mix of the person's local colour P and the old background's B (the
/// local means of cell `q`): its share of P and P itself, or `None` when it is no fringe.
fn unmixed(px: [f32; 3], fg: [f32; 3], means: &[Plane; 8], q: usize) -> Option<(f32, [f32; 3])> {
    let (np, nb) = (means[3].data[q], means[7].data[q]);
    if np < 1e-4 || nb < 1e-4 {
        return None;
    }
    let p: [f32; 3] = std::array::from_fn(|c| means[c].data[q] / np);
    let (lab_fg, lab_p) = (color::lab(fg), color::lab(p));
    if !fringe_colour(lab_fg, lab_p) || color::delta_e2000(lab_fg, lab_p) < RIM_DELTA_E {
        return None;
    }
    let b: [f32; 3] = std::array::from_fn(|c| means[4 + c].data[q] / nb);
    let pb: [f32; 3] = std::array::from_fn(|c| b[c] - p[c]);
    let len2: f32 = pb.iter().map(|v| v * v).sum();
    if len2 < 1e-3 {
        return None;
    }
    let t = ((0..3).map(|c| (px[c] - p[c]) * pb[c]).sum::<f32>() / len2).clamp(0.0, 1.0);
    (t >= 0.08).then_some((1.0 - t, p))
}

/// Distances to the person's edge, measured between 2 × 2 blocks (a block holding both sides is
/// on the edge): a pixel's distance is known to a pixel or two, plenty for bands several pixels
/// wide, at a quarter of the cost.
struct EdgeBand {
    w: usize,
    h: usize,
    bw: usize,
    bh: usize,
    to_background: Vec<f32>,
    to_person: Vec<f32>,
}

impl EdgeBand {
    const S: usize = 2;
    /// Cells of the local colours: a 4× shrunk grid.
    const M: usize = 4;

    fn of(alpha: &Plane) -> EdgeBand {
        let (w, h, s) = (alpha.width, alpha.height, Self::S);
        let (bw, bh) = (w.div_ceil(s), h.div_ceil(s));
        let mut has = vec![0u8; bw * bh]; // bit 0: a person pixel, bit 1: a background pixel
        for y in 0..h {
            let row = &alpha.data[y * w..(y + 1) * w];
            let brow = &mut has[(y / s) * bw..(y / s + 1) * bw];
            for (x, &a) in row.iter().enumerate() {
                brow[x / s] |= if a >= 0.5 { 1 } else { 2 };
            }
        }
        let to = |bit: u8| -> Vec<f32> {
            distance_outside(
                &has.iter().map(|&b| b & bit != 0).collect::<Vec<_>>(),
                bw,
                bh,
            )
            .into_iter()
            .map(|d| d * s as f32)
            .collect()
        };
        EdgeBand {
            w,
            h,
            bw,
            bh,
            to_background: to(2),
            to_person: to(1),
        }
    }

    /// The band's pixels (ascending) and the local colours around it: the person's solid pixels
    /// just inside the band (planes 0–3: linear RGB sums and count, box-averaged) and the old
    /// background's just outside it (4–7). `None` when there is no band.
    fn pixels_and_colours(
        &self,
        raw: &[u8],
        alpha: &Plane,
        k: f32,
    ) -> Option<(Vec<usize>, [Plane; 8])> {
        let (w, h, s, m) = (self.w, self.h, Self::S, Self::M);
        let rim = RIM_PX * k;
        let reach = rim + 6.0 * k;
        let (mw, mh) = (w.div_ceil(m), h.div_ceil(m));
        let lut = color::linear_table();
        let mut sums: [Vec<f32>; 8] = std::array::from_fn(|_| vec![0.0; mw * mh]);
        let mut band = Vec::new();
        for by in 0..self.bh {
            for bx in 0..self.bw {
                let j = by * self.bw + bx;
                let (tb, tp) = (self.to_background[j], self.to_person[j]);
                if tb > reach && tp > reach {
                    continue;
                }
                for y in by * s..((by + 1) * s).min(h) {
                    for x in bx * s..((bx + 1) * s).min(w) {
                        let i = y * w + x;
                        let a = alpha.data[i];
                        let near = if a >= 0.5 { tb <= rim } else { tp <= rim };
                        if a > 0.0 && near {
                            band.push(i);
                            continue;
                        }
                        let base = if a >= 1.0 && tb > rim && tb <= rim + 4.0 * k {
                            0
                        } else if a <= 0.0 && tp > rim && tp <= reach {
                            4
                        } else {
                            continue;
                        };
                        let q = (y / m) * mw + x / m;
                        for c in 0..3 {
                            sums[base + c][q] += lut[raw[i * 3 + c] as usize];
                        }
                        sums[base + 3][q] += 1.0;
                    }
                }
            }
        }
        if band.is_empty() {
            return None;
        }
        band.sort_unstable();
        let means: [Plane; 8] = std::array::from_fn(|c| {
            let r = if c < 4 { 2.0 } else { 3.0 } * RIM_PX * k / m as f32;
            Plane {
                width: mw,
                height: mh,
                data: std::mem::take(&mut sums[c]),
            }
            .box_mean((r.ceil() as usize).max(1))
        });
        Some((band, means))
    }
}

/// Merges re-estimated pixels (index ascending, new alpha, foreground) into the ascending list of
/// partly transparent pixels: a changed pixel replaces its old entry, and one whose new alpha is
/// below [`SNAP_LOW`] becomes background.
fn merge_partial(
    alpha: &mut Plane,
    partial: &mut Vec<u32>,
    foreground: &mut Vec<[f32; 3]>,
    changed: &[(u32, f32, [f32; 3])],
) {
    let mut merged_idx = Vec::with_capacity(partial.len() + changed.len());
    let mut merged_fg = Vec::with_capacity(partial.len() + changed.len());
    let (mut a, mut b) = (0, 0);
    while a < partial.len() || b < changed.len() {
        let next_new = changed.get(b).map(|c| c.0);
        let next_old = partial.get(a).copied();
        if next_new.is_some() && (next_old.is_none() || next_new <= next_old) {
            let (i, new_alpha, p) = changed[b];
            b += 1;
            if next_old == Some(i) {
                a += 1;
            }
            if new_alpha < SNAP_LOW {
                alpha.data[i as usize] = 0.0;
                continue;
            }
            alpha.data[i as usize] = new_alpha;
            merged_idx.push(i);
            merged_fg.push(p);
        } else {
            merged_idx.push(partial[a]);
            merged_fg.push(foreground[a]);
            a += 1;
        }
    }
    *partial = merged_idx;
    *foreground = merged_fg;
}

/// A hole in the person mask whose mean alpha is below this is background the net is sure of.
const HOLE_SURE: f32 = 0.12;

/// Alpha below `SNAP_LOW` is background, above `1 − SNAP_HIGH` person: the guided filter's
/// tiny ripples near the edge would otherwise leave a faint veil of the old background's texture
/// around the person, or soften the face.
const SNAP_LOW: f32 = 0.05;
const SNAP_HIGH: f32 = 0.02;

/// The axis-aligned part of the photo that a set of headshots shows (each given by its map from
/// photo pixels and its size), clipped to the photo: where the matting net runs, once for all
/// of them. `None` when they show none of the photo.
pub fn region(outputs: &[(Affine, u32, u32)], photo_w: u32, photo_h: u32) -> Option<[f32; 4]> {
    let mut r = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for (m, w, h) in outputs {
        let inv = m.inverse()?;
        for (x, y) in [
            (0.0, 0.0),
            (*w as f32, 0.0),
            (0.0, *h as f32),
            (*w as f32, *h as f32),
        ] {
            let p = inv.apply(Point::new(x, y));
            r = [r[0].min(p.x), r[1].min(p.y), r[2].max(p.x), r[3].max(p.y)];
        }
    }
    let r = [
        r[0].max(0.0),
        r[1].max(0.0),
        r[2].min(photo_w as f32),
        r[3].min(photo_h as f32),
    ];
    (r[2] - r[0] >= 8.0 && r[3] - r[1] >= 8.0).then_some(r)
}

/// For each edge of the photo (top, bottom, left, right): the fraction of the matte's border
/// along it that is person (alpha above 0.5), or 0 when the matte does not reach that edge.
/// A person cut by an edge of the photo must not have new background painted beyond that edge:
/// they would look cut off in mid-air.
pub fn person_at_edges(matte: &Matte, photo_w: u32, photo_h: u32) -> [f32; 4] {
    let (w, h) = (matte.width, matte.height);
    let tl = matte.to_photo.apply(Point::new(0.0, 0.0));
    let br = matte.to_photo.apply(Point::new(w as f32, h as f32));
    let frac = |values: &mut dyn Iterator<Item = f32>| {
        let (mut n, mut person) = (0usize, 0usize);
        for v in values {
            n += 1;
            person += usize::from(v > 0.5);
        }
        person as f32 / n.max(1) as f32
    };
    let row = |y: usize| frac(&mut (0..w).map(|x| matte.alpha[y * w + x]));
    let col = |x: usize| frac(&mut (0..h).map(|y| matte.alpha[y * w + x]));
    let near = |a: f32, b: f32| (a - b).abs() < 1.0;
    [
        if near(tl.y, 0.0) { row(0) } else { 0.0 },
        if near(br.y, photo_h as f32) {
            row(h - 1)
        } else {
            0.0
        },
        if near(tl.x, 0.0) { col(0) } else { 0.0 },
        if near(br.x, photo_w as f32) {
            col(w - 1)
        } else {
            0.0
        },
    ]
}

/// The net's alpha made into a clean, hard person mask (1 person, 0 background), the seed that
/// the guided filter fits to the headshot's edges.
///
/// RVM run on a single photo (its recurrent state empty) leaves faint smoke around the head over
/// busy backgrounds, and now and then a thin spur where dark branches or a picture frame meet the
/// hair. The mask is the alpha above 0.5, opened (eroded, then dilated) by a 5×5 square, which
/// removes spurs narrower than 5 matte pixels, reduced to the subject: the connected part that
/// holds `subject` (a point of the main face, in photo pixels), so that other people and stray
/// pieces in the frame become background; without that point (or when it falls outside the
/// mask), the parts at least a tenth the size of the largest. Small enclosed holes are filled (a
/// badge or a bright shirt button the net took for background).
pub fn seed(matte: &Matte, subject: Option<Point>) -> Matte {
    let (w, h) = (matte.width, matte.height);
    let bin = Plane {
        width: w,
        height: h,
        data: matte
            .alpha
            .iter()
            .map(|&a| f32::from(u8::from(a > 0.5)))
            .collect(),
    };
    const R: usize = 2;
    let opened = bin
        .box_mean(R)
        .map(|v| f32::from(u8::from(v > 0.999)))
        .box_mean(R)
        .map(|v| f32::from(u8::from(v > 0.001)));
    let mut person: Vec<bool> = opened.data.iter().map(|&v| v > 0.5).collect();
    // Person pieces: the subject's, or the large ones.
    let (labels, sizes) = components(&person, w, h, true);
    let at = subject
        .and_then(|p| Some(matte.to_photo.inverse()?.apply(p)))
        .filter(|m| m.x >= 0.0 && m.y >= 0.0 && (m.x as usize) < w && (m.y as usize) < h)
        .map(|m| m.y as usize * w + m.x as usize)
        .filter(|&i| person[i]);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for (p, &l) in person.iter_mut().zip(&labels) {
        let keep = match at {
            Some(i) => l == labels[i],
            None => sizes[l] * 10 >= largest,
        };
        if *p && !keep {
            *p = false;
        }
    }
    // Background pieces not touching the border (holes): fill the small ones.
    let background: Vec<bool> = person.iter().map(|&p| !p).collect();
    let (labels, sizes) = components(&background, w, h, true);
    let mut touches = vec![false; sizes.len()];
    for y in 0..h {
        for x in 0..w {
            if background[y * w + x] && (x == 0 || y == 0 || x + 1 == w || y + 1 == h) {
                touches[labels[y * w + x]] = true;
            }
        }
    }
    // A hole the net is sure of (mean alpha under HOLE_SURE) is a real gap: the wall between
    // an arm and the body, seen through curls or beside the neck; only small or unsure holes
    // (dark clothing the net half-dropped) are filled.
    let mut alpha_sum = vec![0.0f32; sizes.len()];
    for (i, &a) in matte.alpha.iter().enumerate() {
        if background[i] {
            alpha_sum[labels[i]] += a;
        }
    }
    let fill: Vec<bool> = (0..sizes.len())
        .map(|l| {
            let n = sizes[l].max(1);
            !touches[l]
                && sizes[l] * 50 < w * h
                && (sizes[l] * 2000 < w * h || alpha_sum[l] / n as f32 >= HOLE_SURE)
        })
        .collect();
    for (i, p) in person.iter_mut().enumerate() {
        if !*p && fill[labels[i]] {
            *p = true;
        }
    }
    Matte {
        width: w,
        height: h,
        alpha: person.iter().map(|&p| f32::from(u8::from(p))).collect(),
        to_photo: matte.to_photo,
    }
}

/// 4-connected components of the `true` pixels: a label per pixel (meaningful where `true`) and
/// each label's size.
fn components(set: &[bool], w: usize, h: usize, value: bool) -> (Vec<usize>, Vec<usize>) {
    let mut labels = vec![usize::MAX; w * h];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if set[start] != value || labels[start] != usize::MAX {
            continue;
        }
        let label = sizes.len();
        let mut size = 0usize;
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if set[j] == value && labels[j] == usize::MAX {
                    labels[j] = label;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        sizes.push(size);
    }
    for l in labels.iter_mut() {
        if *l == usize::MAX {
            *l = 0;
        }
    }
    if sizes.is_empty() {
        sizes.push(0);
    }
    (labels, sizes)
}

/// A headshot split into alpha and foreground colour.
pub struct Cutout {
    pub width: usize,
    pub height: usize,
    /// The rendered headshot (sRGB).
    pub image: RgbImage,
    /// Refined alpha, 0..1; exactly 0 or 1 away from the edge.
    pub alpha: Plane,
    /// The pixels whose alpha is strictly between 0 and 1 (ascending indices), and their
    /// foreground colour in linear RGB.
    partial: Vec<u32>,
    foreground: Vec<[f32; 3]>,
    /// Output pixels per photo pixel.
    enlargement: f32,
    /// Edge pixels re-estimated by [`defringe_rim`].
    pub defringed: usize,
}

impl Cutout {
    /// Cuts the person out of `image`, a headshot rendered through `photo_to_output` from a
    /// `photo_w × photo_h` photo, with `matte` (the [`seed`] mask of the part of the photo the
    /// headshots show). Output pixels beyond the photo get alpha 0.
    pub fn new(
        image: RgbImage,
        matte: &Matte,
        photo_to_output: &Affine,
        photo_w: u32,
        photo_h: u32,
    ) -> Cutout {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let raw = image.as_raw();
        let upscale = photo_to_output.scale() * matte.to_photo.scale();
        let filter = refine::GuidedFilter::for_output(w.max(h), upscale);
        let s = filter.shrink.max(1);
        let (lw, lh) = (w.div_ceil(s), h.div_ceil(s));
        // The guide (sRGB values 0..1) as block means.
        let guide = block_means(raw, w, h, s);
        // The mask at the block centres, 0 beyond the photo.
        let to_photo = photo_to_output.inverse().unwrap_or(Affine::IDENTITY);
        let to_matte = matte
            .to_photo
            .inverse()
            .unwrap_or(Affine::IDENTITY)
            .then_after(&to_photo);
        let (pw, ph) = (photo_w as f32, photo_h as f32);
        let in_photo = |c: Point| {
            let p = to_photo.apply(c);
            p.x >= 0.0 && p.y >= 0.0 && p.x < pw && p.y < ph
        };
        let coarse = Plane::from_fn(lw, lh, |x, y| {
            let c = Point::new((x as f32 + 0.5) * s as f32, (y as f32 + 0.5) * s as f32);
            if in_photo(c) {
                sample(matte, to_matte.apply(c))
            } else {
                0.0
            }
        });
        let fit = filter.fit(&guide, &coarse, w, h);
        // Does the whole headshot show the photo? (The photo is convex: check the corners.)
        let all_inside = [
            (0.0, 0.0),
            (w as f32, 0.0),
            (0.0, h as f32),
            (w as f32, h as f32),
        ]
        .iter()
        .all(|&(x, y)| {
            in_photo(Point::new(
                x.clamp(0.5, w as f32 - 0.5),
                y.clamp(0.5, h as f32 - 0.5),
            ))
        });
        let block_x: Vec<usize> = (0..w).map(|x| x / s).collect();
        let mut alpha = Plane::new(w, h, 0.0);
        let mut partial = Vec::new();
        for y in 0..h {
            let fixed = fit.fixed_row(y);
            for (x, &bx) in block_x.iter().enumerate() {
                let i = y * w + x;
                if !all_inside && !in_photo(Point::new(x as f32 + 0.5, y as f32 + 0.5)) {
                    continue;
                }
                let a = match fixed[bx] {
                    0 => continue,
                    1 => {
                        alpha.data[i] = 1.0;
                        continue;
                    }
                    _ => {
                        let rgb = [0, 1, 2].map(|c| f32::from(raw[i * 3 + c]) / 255.0);
                        fit.alpha_at(x, y, rgb)
                    }
                };
                alpha.data[i] = if a < SNAP_LOW {
                    0.0
                } else if a > 1.0 - SNAP_HIGH {
                    1.0
                } else {
                    partial.push(i as u32);
                    a
                };
            }
        }
        let mut foreground = foreground::estimate(raw, &alpha, &partial);
        let enlargement = photo_to_output.scale();
        let defringed = defringe_rim(
            raw,
            w,
            &mut alpha,
            &mut partial,
            &mut foreground,
            enlargement,
        );
        Cutout {
            width: w,
            height: h,
            image,
            alpha,
            partial,
            foreground,
            enlargement,
            defringed,
        }
    }

    /// The headshot in linear light, weighted by `1 − alpha` (the background's share).
    fn background_share(&self) -> ([Plane; 3], Plane) {
        let raw = self.image.as_raw();
        let weight = self.alpha.map(|a| 1.0 - a);
        let planes = std::array::from_fn(|c| Plane {
            width: self.width,
            height: self.height,
            data: weight
                .data
                .iter()
                .enumerate()
                .map(|(i, &wt)| color::to_linear_u8(raw[i * 3 + c]) * wt)
                .collect(),
        });
        (planes, weight)
    }

    /// The person over `backdrop`, in linear light; pixels with alpha 1 are the headshot's own.
    /// Also returns the background that was painted (linear RGB planes).
    pub fn composite(&self, backdrop: &Backdrop) -> (RgbImage, [Plane; 3]) {
        self.composite_painted(backdrop, backdrop.paint(self))
    }

    /// [`Cutout::composite`] over `bg`, the backdrop already painted by [`Backdrop::paint`].
    pub fn composite_painted(&self, backdrop: &Backdrop, bg: [Plane; 3]) -> (RgbImage, [Plane; 3]) {
        let enc = color::encode_table();
        let code =
            |v: f32, noise: f32| (color::encode_with(enc, v) + 0.5 + noise).clamp(0.0, 255.0) as u8;
        // A solid colour is one code where alpha is 0; other backdrops are dithered.
        let solid = match backdrop {
            Backdrop::Color(rgb) => Some(rgb.map(|v| code(color::to_linear_u8(v), 0.0))),
            _ => None,
        };
        let mut out = self.image.clone();
        let mut k = 0usize;
        for (i, (p, &a)) in out.chunks_exact_mut(3).zip(&self.alpha.data).enumerate() {
            if a >= 1.0 {
                continue;
            }
            if a <= 0.0 {
                match solid {
                    Some(c) => p.copy_from_slice(&c),
                    None => {
                        let noise = triangular(i);
                        for (c, v) in p.iter_mut().enumerate() {
                            *v = code(bg[c].data[i], noise);
                        }
                    }
                }
                continue;
            }
            let f = self.foreground_at(i, &mut k);
            let noise = if solid.is_some() {
                0.0
            } else {
                (1.0 - a) * triangular(i)
            };
            for (c, v) in p.iter_mut().enumerate() {
                *v = code(a * f[c] + (1.0 - a) * bg[c].data[i], noise);
            }
        }
        (out, bg)
    }

    /// Foreground colour of partly transparent pixel `i`; `k` walks `partial` in step with
    /// ascending `i`.
    fn foreground_at(&self, i: usize, k: &mut usize) -> [f32; 3] {
        while *k < self.partial.len() && (self.partial[*k] as usize) < i {
            *k += 1;
        }
        match self.partial.get(*k) {
            Some(&j) if j as usize == i => self.foreground[*k],
            _ => [0.0; 3],
        }
    }

    /// Transparent cutout: straight (not premultiplied) alpha, foreground colour in sRGB.
    pub fn rgba(&self) -> RgbaImage {
        let mut out = RgbaImage::new(self.width as u32, self.height as u32);
        let mut k = 0usize;
        for (i, (p, src)) in out.pixels_mut().zip(self.image.pixels()).enumerate() {
            let a = self.alpha.data[i];
            p.0 = if a >= 1.0 {
                [src[0], src[1], src[2], 255]
            } else if a <= 0.0 {
                [0, 0, 0, 0]
            } else {
                let f = self.foreground_at(i, &mut k).map(color::to_srgb_u8);
                [f[0], f[1], f[2], (a * 255.0 + 0.5) as u8]
            };
        }
        out
    }

    /// Matting quality of `composite` made over `background` (linear planes from
    /// [`Cutout::composite`]). `hair_above` is the output row of the eyes: the edge above it is
    /// the hair's.
    pub fn quality(
        &self,
        composite: &RgbImage,
        background: &[Plane; 3],
        hair_above: usize,
    ) -> Quality {
        let (w, h) = (self.width, self.height);
        let person: Vec<bool> = self.alpha.data.iter().map(|&a| a >= 0.5).collect();
        let dist = distance_outside(&person, w, h);
        // The halo band lies just outside the photo's own edge, which an enlarged headshot
        // widens in proportion: 2–6 photo pixels, at least 2–6 output pixels.
        let k = self.enlargement.max(1.0);
        let (near, far_from) = (2.0 * k, 6.0 * k);
        let mut band = ([0.0f64; 3], [0.0f64; 3], 0usize);
        let mut far = (0.0f64, 0usize, 0.0f32);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let d = dist[i];
                if (near..=far_from).contains(&d) {
                    let p = composite.get_pixel(x as u32, y as u32);
                    for c in 0..3 {
                        band.0[c] += f64::from(color::to_linear_u8(p[c]));
                        band.1[c] += f64::from(background[c].data[i]);
                    }
                    band.2 += 1;
                } else if d > 24.0 && x % 12 == 0 && y % 12 == 0 {
                    let p = composite.get_pixel(x as u32, y as u32);
                    let got = color::lab(std::array::from_fn(|c| color::to_linear_u8(p[c])));
                    let want = color::lab(std::array::from_fn(|c| background[c].data[i]));
                    let de = color::delta_e2000(got, want);
                    far.0 += f64::from(de);
                    far.1 += 1;
                    far.2 = far.2.max(de);
                }
            }
        }
        let halo = (band.2 > 0).then(|| {
            let n = band.2 as f64;
            let got = color::lab(std::array::from_fn(|c| (band.0[c] / n) as f32));
            let want = color::lab(std::array::from_fn(|c| (band.1[c] / n) as f32));
            color::delta_e2000(got, want)
        });
        // Hair edge: partly transparent pixels per edge pixel above the eyes.
        let (mut partial, mut edge) = (0usize, 0usize);
        for y in 0..hair_above.min(h) {
            for x in 0..w {
                let i = y * w + x;
                let a = self.alpha.data[i];
                if a > 0.0 && a < 1.0 {
                    partial += 1;
                }
                if person[i]
                    && ((x > 0 && !person[i - 1])
                        || (x + 1 < w && !person[i + 1])
                        || (y > 0 && !person[i - w])
                        || (y + 1 < h && !person[i + w]))
                {
                    edge += 1;
                }
            }
        }
        let transparent = self
            .alpha
            .data
            .iter()
            .filter(|&&a| a > 0.0 && a < 1.0)
            .count();
        Quality {
            halo_delta_e: halo,
            far_delta_e_mean: (far.1 > 0).then(|| (far.0 / far.1 as f64) as f32),
            far_delta_e_max: (far.1 > 0).then_some(far.2),
            hair_edge_width_px: (edge > 0).then(|| partial as f32 / edge as f32),
            partial_alpha_fraction: transparent as f32 / (w * h).max(1) as f32,
            person_fraction: person.iter().filter(|&&p| p).count() as f32 / (w * h).max(1) as f32,
        }
    }
}

/// Matting quality of one headshot (see [`Cutout::quality`]).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Quality {
    /// CIEDE2000 between the mean colour of the band 2–6 px outside the person's edge (alpha
    /// 0.5) and the new background's mean colour there: a halo of the old background shows up
    /// here. `None` when the headshot has no background.
    pub halo_delta_e: Option<f32>,
    /// CIEDE2000 between the result and the new background more than 24 px from the person:
    /// mean and maximum (every twelfth pixel in each direction).
    pub far_delta_e_mean: Option<f32>,
    pub far_delta_e_max: Option<f32>,
    /// Partly transparent pixels per edge pixel above the eyes: about 1 for a hard cut, more
    /// for hair that keeps its soft transition.
    pub hair_edge_width_px: Option<f32>,
    /// Fractions of the headshot that are partly transparent, and that are person.
    pub partial_alpha_fraction: f32,
    pub person_fraction: f32,
}

/// Means of the `s × s` blocks (the last row and column of blocks may be partial) of an 8-bit
/// RGB picture, as three planes of values 0..1.
fn block_means(raw: &[u8], w: usize, h: usize, s: usize) -> [Plane; 3] {
    let (lw, lh) = (w.div_ceil(s), h.div_ceil(s));
    let mut planes: [Plane; 3] = std::array::from_fn(|_| Plane::new(lw, lh, 0.0));
    let mut acc = vec![[0u32; 3]; lw];
    for by in 0..lh {
        acc.fill([0; 3]);
        let rows = by * s..((by + 1) * s).min(h);
        let n_rows = rows.len();
        for y in rows {
            let row = &raw[y * w * 3..(y + 1) * w * 3];
            for (a, block) in acc.iter_mut().zip(row.chunks(s * 3)) {
                for px in block.chunks_exact(3) {
                    a[0] += u32::from(px[0]);
                    a[1] += u32::from(px[1]);
                    a[2] += u32::from(px[2]);
                }
            }
        }
        for (bx, a) in acc.iter().enumerate() {
            let n = (n_rows * (w - bx * s).min(s)) as f32 * 255.0;
            for (c, plane) in planes.iter_mut().enumerate() {
                plane.data[by * lw + bx] = a[c] as f32 / n;
            }
        }
    }
    planes
}

/// Bilinear value of the matte at continuous matte coordinates (clamped to its edge).
fn sample(matte: &Matte, m: Point) -> f32 {
    let (mw, mh) = (matte.width as i64, matte.height as i64);
    let (sx, sy) = (m.x - 0.5, m.y - 0.5);
    // Floor without libm's `floorf` (not inlined on baseline x86-64); far-off or non-finite
    // coordinates saturate and are clamped to the edge below.
    let floor = |v: f32| {
        let t = v as i64;
        t - i64::from((t as f32) > v)
    };
    let (x0, y0) = (floor(sx), floor(sy));
    let (fx, fy) = (
        (sx - x0 as f32).clamp(0.0, 1.0),
        (sy - y0 as f32).clamp(0.0, 1.0),
    );
    let [a00, a10, a01, a11] = if x0 >= 0 && y0 >= 0 && x0 + 1 < mw && y0 + 1 < mh {
        // All four taps inside: no clamping.
        let i = (y0 * mw + x0) as usize;
        let (top, bottom) = (&matte.alpha[i..i + 2], &matte.alpha[i + mw as usize..][..2]);
        [top[0], top[1], bottom[0], bottom[1]]
    } else {
        let at =
            |x: i64, y: i64| matte.alpha[(y.clamp(0, mh - 1) * mw + x.clamp(0, mw - 1)) as usize];
        [
            at(x0, y0),
            at(x0 + 1, y0),
            at(x0, y0 + 1),
            at(x0 + 1, y0 + 1),
        ]
    };
    let top = a00 + (a10 - a00) * fx;
    let bottom = a01 + (a11 - a01) * fx;
    top + (bottom - top) * fy
}

/// Chamfer (3-4) distance in pixels from each pixel to the nearest `true` pixel (0 inside).
fn distance_outside(inside: &[bool], w: usize, h: usize) -> Vec<f32> {
    const BIG: u32 = u32::MAX / 4;
    let mut d: Vec<u32> = inside.iter().map(|&p| if p { 0 } else { BIG }).collect();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + 3);
            }
            if y > 0 {
                v = v.min(d[i - w] + 3);
                if x > 0 {
                    v = v.min(d[i - w - 1] + 4);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + 4);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + 3);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + 3);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + 4);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + 4);
                }
            }
            d[i] = v;
        }
    }
    d.into_iter().map(|v| v as f32 / 3.0).collect()
}

/// Triangular dither noise in (−1, 1) codes, fixed per pixel index.
fn triangular(i: usize) -> f32 {
    let hash = |mut v: u64| {
        v ^= v >> 33;
        v = v.wrapping_mul(0xff51_afd7_ed55_8ccd);
        v ^= v >> 33;
        v = v.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        v ^= v >> 33;
        (v >> 40) as f32 / (1u64 << 24) as f32
    };
    hash(i as u64 * 2 + 1) + hash(i as u64 * 2 + 2) - 1.0
}

/// What goes behind the person.
pub enum Backdrop<'a> {
    /// A solid sRGB colour.
    Color([u8; 3]),
    /// From `from` to `to` (sRGB), interpolated like CSS gradients. Linear: top to bottom.
    /// Radial: `from` at `center` (fractions of the width and height) to `to` at the farthest
    /// corner.
    Gradient {
        from: [u8; 3],
        to: [u8; 3],
        radial: bool,
        center: (f32, f32),
    },
    /// A photo scaled to cover the headshot and centred, then blurred by `blur_px` (about the
    /// blur's radius, in output pixels). `prepared`: the same made once by [`photo_backdrop`]
    /// for this headshot size (a batch makes it at start-up instead of for every photo).
    Image {
        photo: &'a RgbImage,
        blur_px: f32,
        prepared: Option<&'a [Plane; 3]>,
    },
    /// The headshot's own background, the person removed and the rest blurred by `blur_px`.
    Blur { blur_px: f32 },
}

impl Backdrop<'_> {
    /// The background in linear RGB planes at the cutout's size.
    pub fn paint(&self, cut: &Cutout) -> [Plane; 3] {
        let (w, h) = (cut.width, cut.height);
        match *self {
            Backdrop::Color(c) => {
                std::array::from_fn(|k| Plane::new(w, h, color::to_linear_u8(c[k])))
            }
            Backdrop::Gradient {
                from,
                to,
                radial,
                center,
            } => {
                let (cx, cy) = (center.0 * w as f32, center.1 * h as f32);
                let reach = [
                    (0.0, 0.0),
                    (w as f32, 0.0),
                    (0.0, h as f32),
                    (w as f32, h as f32),
                ]
                .iter()
                .map(|&(x, y)| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt())
                .fold(1.0f32, f32::max);
                let t = |x: usize, y: usize| -> f32 {
                    if radial {
                        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                        ((dx * dx + dy * dy).sqrt() / reach).min(1.0)
                    } else {
                        (y as f32 + 0.5) / h as f32
                    }
                };
                std::array::from_fn(|k| {
                    let (a, b) = (f32::from(from[k]) / 255.0, f32::from(to[k]) / 255.0);
                    Plane::from_fn(w, h, |x, y| color::srgb_to_linear(a + (b - a) * t(x, y)))
                })
            }
            Backdrop::Image {
                photo,
                blur_px,
                prepared,
            } => match prepared {
                Some(p) if p[0].width == w && p[0].height == h => p.clone(),
                _ => photo_backdrop(photo, w, h, blur_px),
            },
            Backdrop::Blur { blur_px } => {
                let sigma = if blur_px > 0.0 {
                    blur_px / 2.0
                } else {
                    w.max(h) as f32 / 100.0
                };
                // Normalised convolution: the background's colours spread into the place the
                // person covered, so the person's colours do not bleed into the blur.
                let (share, weight) = cut.background_share();
                let norm = weight.gaussian_like(sigma);
                share.map(|p| {
                    p.gaussian_like(sigma)
                        .zip(&norm, |num, den| if den > 1e-4 { num / den } else { 0.0 })
                })
            }
        }
    }
}

/// A background photo scaled to cover `w × h`, centred, in linear light, blurred by `blur_px`.
pub fn photo_backdrop(photo: &RgbImage, w: usize, h: usize, blur_px: f32) -> [Plane; 3] {
    let cover = cover(photo, w as u32, h as u32);
    let planes: [Plane; 3] = std::array::from_fn(|k| {
        Plane::from_fn(w, h, |x, y| {
            color::to_linear_u8(cover.get_pixel(x as u32, y as u32)[k])
        })
    });
    if blur_px > 0.0 {
        planes.map(|p| p.gaussian_like(blur_px / 2.0))
    } else {
        planes
    }
}

/// `photo` scaled to cover `w × h` and centred.
fn cover(photo: &RgbImage, w: u32, h: u32) -> RgbImage {
    let s = (w as f32 / photo.width() as f32).max(h as f32 / photo.height() as f32);
    let cw = ((w as f32 / s).round() as u32).clamp(1, photo.width());
    let ch = ((h as f32 / s).round() as u32).clamp(1, photo.height());
    let (x0, y0) = ((photo.width() - cw) / 2, (photo.height() - ch) / 2);
    let crop = image::imageops::crop_imm(photo, x0, y0, cw, ch).to_image();
    trueshot_vision::resize(&crop, w, h).unwrap_or_else(|_| {
        image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A person mask with three holes: a wide gap the net is sure is background (the wall
    /// between an arm and the body), a gap it is unsure of (dark clothing it half-dropped) and a
    /// speck. Only the unsure gap and the speck are filled.
    #[test]
    fn a_gap_the_net_is_sure_of_stays_background() {
        let (w, h) = (200usize, 200usize);
        let mut alpha = vec![0.0f32; w * h];
        for y in 20..190 {
            for x in 30..170 {
                alpha[y * w + x] = 0.97;
            }
        }
        let mut hole = |x0: usize, y0: usize, side: usize, a: f32| {
            for y in y0..y0 + side {
                for x in x0..x0 + side {
                    alpha[y * w + x] = a;
                }
            }
        };
        hole(50, 60, 22, 0.03); // sure: 1.2 % of the matte
        hole(110, 60, 22, 0.35); // unsure
        hole(80, 140, 3, 0.0); // a speck (opened away or filled)
        let matte = Matte {
            width: w,
            height: h,
            alpha,
            to_photo: Affine::IDENTITY,
        };
        let seeded = seed(&matte, Some(Point::new(100.5, 30.5)));
        let at = |x: usize, y: usize| seeded.alpha[y * w + x];
        assert_eq!(at(61, 71), 0.0, "the sure gap is filled");
        assert_eq!(at(121, 71), 1.0, "the unsure gap is not filled");
        assert_eq!(at(81, 141), 1.0, "the speck is not filled");
        assert_eq!(at(100, 100), 1.0);
        assert_eq!(at(5, 5), 0.0);
    }
}
