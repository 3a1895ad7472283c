//! Subtle retouching by frequency separation, confined to skin and eye masks.
//!
//! The skin is split into a low-frequency layer (tone and colour: blotches, shine, spots) and a
//! high-frequency layer (pores, fine lines, hair): every edit changes the low layer only, and the
//! high layer is added back untouched, so the skin keeps its real texture. Nothing is moved:
//! there is no warping of any kind, and lightness is changed only where a highlight is specular
//! shine or a spot is a blemish.
//!
//! - **Blotches:** the low layer's colour (a*, b*, never L*) is pulled part of the way toward
//!   the colour of the surrounding skin, which evens red and yellow patches but keeps the
//!   person's own skin colour (the pull is toward their own local average, not toward a target).
//! - **Shine:** a low-frequency highlight well above the surrounding skin whose colour is washed
//!   out (specular light on forehead and nose) is lowered and its colour restored.
//! - **Blemishes:** small *red* spots (redness at least as strong as their darkness) are faded
//!   into the surrounding skin; dark brown marks (moles, freckles) are not red enough and scars
//!   are not small round spots, so they stay.
//! - **Eyes:** redness of the whites is reduced (a* only: the whites are not brightened); redness
//!   under the eyes is reduced toward the cheeks' own redness.

use image::RgbImage;
use serde::Serialize;
use trueshot_pixels::Plane;

use crate::lab::lab_planes;
use crate::landmarks::Landmarks;
use crate::masks::{MaskedBlur, Masks, Window};
use trueshot_pixels::color::lab_to_srgb;

/// How much retouching: the guideline's level (`none`, `subtle`, `natural`), declared once in
/// the guideline.
pub use trueshot_guide::RetouchLevel as Level;

/// Strengths of the edits (0 = off, 1 = replace by the surroundings).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Params {
    pub level: Level,
    /// Colour evening of blotches.
    pub even: f32,
    /// Shine reduction.
    pub shine: f32,
    /// Blemish fading.
    pub spots: f32,
    /// Eye-white redness reduction.
    pub eye_red: f32,
    /// Under-eye redness reduction.
    pub under_eye: f32,
    /// The frequency split, in eye distances: detail finer than this is texture and kept.
    pub split: f32,
    /// How much of that fine detail is kept: 1 at every level the guideline offers. Only the
    /// test-only over-strength lowers it (the smoothed, plastic skin of beauty filters).
    pub detail_keep: f32,
    /// Scale of the blemish thresholds: 1 at every level; lower finds more "spots" (freckles
    /// and moles too, which no level allows).
    pub spot_threshold: f32,
}

impl Params {
    pub fn for_level(level: Level) -> Params {
        Params::scaled(level, 1.0)
    }

    /// A level's edits scaled by `strength` (1 = as the guideline allows). Above 1 they become
    /// what over-retouching looks like: stronger, reaching coarser detail (the split widens),
    /// smoothing the skin's fine texture (`detail_keep` = 1/strength) and taking freckles and
    /// moles for blemishes. Only tests use it, to prove that verification catches it.
    pub fn scaled(level: Level, strength: f32) -> Params {
        let (even, shine, spots, eye_red, under_eye) = match level {
            Level::None => (0.0, 0.0, 0.0, 0.0, 0.0),
            Level::Subtle => (0.3, 0.4, 0.8, 0.4, 0.3),
            Level::Natural => (0.5, 0.6, 0.9, 0.6, 0.5),
        };
        // No level means no edit, whatever the strength.
        let s = if level == Level::None {
            1.0
        } else {
            strength.max(0.0)
        };
        Params {
            level,
            even: (even * s).min(1.0),
            shine: (shine * s).min(1.0),
            spots: (spots * s).min(1.0),
            eye_red: (eye_red * s).min(1.0),
            under_eye: (under_eye * s).min(1.0),
            split: 0.012 * s.max(1.0),
            detail_keep: 1.0 / s.max(1.0),
            spot_threshold: 1.0 / s.max(1.0),
        }
    }

    pub fn is_none(&self) -> bool {
        self.even + self.shine + self.spots + self.eye_red + self.under_eye == 0.0
            && self.detail_keep >= 1.0
    }
}

/// What retouching did, for the report.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Applied {
    /// Fraction of the skin where a blemish was faded.
    pub blemish_fraction: f32,
    /// Fraction of the skin where shine was reduced.
    pub shine_fraction: f32,
    /// Milliseconds.
    pub ms: f32,
}

/// Retouches the face of `image` (a headshot) whose landmarks are `lm`. Returns the image
/// unchanged when `params` does nothing or the face is not in the picture.
pub fn retouch(image: &RgbImage, lm: &Landmarks, params: &Params) -> (RgbImage, Applied) {
    let t = std::time::Instant::now();
    let mut out = image.clone();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let Some(b) = lm.face_box(0.15, w, h) else {
        return (out, Applied::default());
    };
    if params.is_none() {
        return (out, Applied::default());
    }
    let win = Window::from_box(b);
    let masks = Masks::new(lm, win);
    let d = lm.eye_distance();
    let lab = lab_planes(image, win);
    let layers = SkinLayers::new(&lab, &masks, d, params);
    let (delta, counts) = layers.change(params);
    let k = layers.k;
    let up = |p: &Plane| p.enlarge(k, win.width, win.height);
    let delta = delta.each_ref().map(up);
    // Over-strength only (tests): the fine texture itself is flattened too.
    let low_full = (params.detail_keep < 1.0).then(|| layers.low.each_ref().map(up));
    let n = win.width * win.height;
    let mut new = lab.clone();
    for i in 0..n {
        let m = masks.skin_soft.data[i];
        if m <= 0.0 {
            continue;
        }
        for c in 0..3 {
            let orig = lab[c].data[i];
            let flatten = match &low_full {
                Some(lf) => (params.detail_keep - 1.0) * (orig - lf[c].data[i]),
                None => 0.0,
            };
            new[c].data[i] = orig + m * (delta[c].data[i] + flatten);
        }
    }
    eyes(&mut new, &lab[1], &masks, d, params);
    // Back to sRGB where anything changed.
    let [l, a, bb] = &lab;
    for y in 0..win.height {
        for x in 0..win.width {
            let i = y * win.width + x;
            let c = [new[0].data[i], new[1].data[i], new[2].data[i]];
            if (c[0] - l.data[i]).abs() + (c[1] - a.data[i]).abs() + (c[2] - bb.data[i]).abs()
                < 0.05
            {
                continue;
            }
            out.put_pixel(
                (win.x0 + x) as u32,
                (win.y0 + y) as u32,
                image::Rgb(lab_to_srgb(c)),
            );
        }
    }
    let (spots, shines, skin_px) = counts;
    let frac = |k: usize| k as f32 / skin_px.max(1) as f32;
    (
        out,
        Applied {
            blemish_fraction: frac(spots),
            shine_fraction: frac(shines),
            ms: t.elapsed().as_secs_f32() * 1e3,
        },
    )
}

/// Eyes: redness of the whites, and under the eyes toward the cheeks' own redness (`a`: the
/// original a* plane).
fn eyes(new: &mut [Plane; 3], a: &Plane, masks: &Masks, d: f32, params: &Params) {
    let cheek_a = mean_where(a, &masks.texture).unwrap_or(0.0);
    let sclera_soft = crate::masks::smooth(&masks.sclera, 0.008 * d);
    for i in 0..new[1].data.len() {
        let s = sclera_soft.data[i].min(masks.sclera.data[i].max(0.5));
        if s > 0.0 && params.eye_red > 0.0 {
            let excess = (new[1].data[i] - 1.0).max(0.0);
            new[1].data[i] -= params.eye_red * s * excess;
        }
        let u = masks.under_eye.data[i] * params.under_eye;
        if u > 0.0 {
            let excess = (new[1].data[i] - cheek_a).max(0.0);
            new[1].data[i] -= u * excess;
        }
    }
}

/// The skin's tone and colour layers. They hold nothing finer than the frequency split, so they
/// are worked out on a copy shrunk `k` times (up to 3×, at least 1.5 pixels of split left), and
/// only the change is enlarged back and added to the full-resolution picture.
struct SkinLayers {
    k: usize,
    skin: Plane,
    /// Frequency separation inside the skin: the low layer of L*, a*, b*.
    low: [Plane; 3],
    /// The surrounding skin, several times coarser than any blotch, spot or highlight.
    big: [Plane; 3],
    /// a* and L* around each point (the ring of a blemish).
    ring: [Plane; 2],
    /// How much each point is a blemish: a small spot, redder than its ring.
    spot: Plane,
}

impl SkinLayers {
    fn new(lab: &[Plane; 3], masks: &Masks, d: f32, params: &Params) -> SkinLayers {
        let split_px = (params.split * d).max(0.8);
        let k = ((split_px / 1.5) as usize).clamp(1, 3);
        let dk = d / k as f32;
        let [ls, as_, bs] = lab.each_ref().map(|p| p.shrink(k));
        let skin = masks
            .skin
            .shrink(k)
            .map(|v| if v > 0.5 { 1.0 } else { 0.0 });
        let fine = MaskedBlur::new(&skin, (split_px / k as f32).max(0.8));
        let low = [fine.blur(&ls), fine.blur(&as_), fine.blur(&bs)];
        let wide = MaskedBlur::new(&skin, 0.06 * dk);
        let big = [wide.blur(&ls), wide.blur(&as_), wide.blur(&bs)];
        let ring_blur = MaskedBlur::new(&skin, 0.035 * dk);
        let core_blur = MaskedBlur::new(&skin, (0.01 * dk).max(0.8));
        let ring = [ring_blur.blur(&as_), ring_blur.blur(&ls)];
        let core = [core_blur.blur(&as_), core_blur.blur(&ls)];
        let mut spot = Plane::new(skin.width, skin.height, 0.0);
        for i in 0..skin.data.len() {
            let da = core[0].data[i] - ring[0].data[i];
            let dl = core[1].data[i] - ring[1].data[i];
            if skin.data[i] > 0.5 && da > 0.8 * (-dl).max(0.0) {
                spot.data[i] =
                    smoothstep(2.5 * params.spot_threshold, 5.0 * params.spot_threshold, da);
            }
        }
        // Grow each spot a little so its soft rim goes too.
        let spot = spot.gaussian_like(0.012 * dk).map(|v| (v * 2.0).min(1.0));
        SkinLayers {
            k,
            skin,
            low,
            big,
            ring,
            spot,
        }
    }

    /// The change of the tone-and-colour layer on the shrunk grid (0 outside the skin): blotches
    /// evened (colour only), shine reduced, blemishes faded toward their ring; and how many skin
    /// points had a blemish, had shine, and were skin.
    fn change(&self, params: &Params) -> ([Plane; 3], (usize, usize, usize)) {
        let (sw, sh) = (self.skin.width, self.skin.height);
        let (low, big, ring) = (&self.low, &self.big, &self.ring);
        let mut delta: [Plane; 3] = std::array::from_fn(|_| Plane::new(sw, sh, 0.0));
        let (mut spots, mut shines, mut skin_px) = (0usize, 0usize, 0usize);
        for i in 0..sw * sh {
            if self.skin.data[i] <= 0.0 {
                continue;
            }
            skin_px += 1;
            let mut lo = [low[0].data[i], low[1].data[i], low[2].data[i]];
            let bg = [big[0].data[i], big[1].data[i], big[2].data[i]];
            // Blotches: colour only.
            lo[1] += params.even * (bg[1] - lo[1]);
            lo[2] += params.even * (bg[2] - lo[2]);
            // Shine: brighter than the surroundings and washed out.
            let chroma = lo[1].hypot(lo[2]);
            let chroma_bg = bg[1].hypot(bg[2]).max(1e-3);
            let excess = lo[0] - bg[0] - 3.0;
            if excess > 0.0 && chroma < chroma_bg {
                let wash = smoothstep(0.0, 0.35, 1.0 - chroma / chroma_bg);
                let k = params.shine * wash;
                if k > 0.02 {
                    shines += 1;
                }
                lo[0] -= k * excess;
                lo[1] += k * (bg[1] - lo[1]);
                lo[2] += k * (bg[2] - lo[2]);
            }
            // Blemishes: toward the ring.
            let s = self.spot.data[i] * params.spots;
            if s > 0.02 {
                spots += 1;
                let rl = ring[1].data[i];
                let ra = ring[0].data[i];
                lo[0] += s * (rl.max(lo[0]) - lo[0]);
                lo[1] += s * (ra - lo[1]);
            }
            for c in 0..3 {
                delta[c].data[i] = lo[c] - low[c].data[i];
            }
        }
        (delta, (spots, shines, skin_px))
    }
}

pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Mean of `x` where `m` > 0.5.
pub fn mean_where(x: &Plane, m: &Plane) -> Option<f32> {
    let (mut s, mut n) = (0.0f64, 0usize);
    for (v, w) in x.data.iter().zip(&m.data) {
        if *w > 0.5 {
            s += f64::from(*v);
            n += 1;
        }
    }
    (n > 0).then(|| (s / n as f64) as f32)
}
