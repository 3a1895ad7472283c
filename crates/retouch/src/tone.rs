//! Exposure and white balance from the scene, never from the skin.
//!
//! A correction fixes the camera, not the person: the white balance is estimated from the
//! scene's near-neutral surfaces (walls, shirts, paper, backdrops) outside the face, the
//! exposure from the scene's highlights. Both are global per-channel gains in linear light
//! (one tone curve for the whole picture), small and capped. With `--team`, every photo's
//! estimate is brought to the batch's median instead, so a team page looks like one shoot.

use image::RgbImage;
use serde::Serialize;
use trueshot_geom::Rect;
use trueshot_pixels::color::{lab, linear_table, to_srgb_u8};

/// What the scene says about the camera, measured on a (small) copy of the photo.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct SceneStats {
    /// Mean linear RGB of the near-neutral surfaces, each channel over their mean; `None` when
    /// too little of the scene is near-neutral to judge.
    pub neutral: Option<[f32; 3]>,
    /// Fraction of the pixels that were near-neutral.
    pub neutral_fraction: f32,
    /// The 99th percentile of linear luminance (the scene's highlights).
    pub highlight: f32,
    /// Median linear luminance of the whole scene.
    pub median: f32,
}

/// A global correction: per-channel gains in linear light.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Tone {
    pub gains: [f32; 3],
    /// The exposure part, in stops.
    pub exposure_ev: f32,
}

impl Tone {
    pub const NONE: Tone = Tone {
        gains: [1.0; 3],
        exposure_ev: 0.0,
    };

    pub fn is_none(&self) -> bool {
        self.gains.iter().all(|g| (g - 1.0).abs() < 1e-3)
    }

    /// Applies the gains to every pixel (a lookup table per channel).
    pub fn apply(&self, image: &RgbImage) -> RgbImage {
        if self.is_none() {
            return image.clone();
        }
        let t = linear_table();
        let luts: [[u8; 256]; 3] =
            std::array::from_fn(|c| std::array::from_fn(|v| to_srgb_u8(t[v] * self.gains[c])));
        let mut out = image.clone();
        for p in out.pixels_mut() {
            p.0 = std::array::from_fn(|c| luts[c][p.0[c] as usize]);
        }
        out
    }
}

/// Largest white-balance gain change per channel, and the exposure range in stops.
const MAX_WB: f32 = 0.12;
/// Largest white-balance gain change for a photo on its own (no batch to compare with).
const MAX_WB_ALONE: f32 = 0.08;
const MAX_EV_UP: f32 = 0.5;
const MAX_EV_DOWN: f32 = 0.3;
/// Least near-neutral fraction of the scene for a white-balance estimate.
const MIN_NEUTRAL: f32 = 0.03;

/// The face's 95th-percentile linear luminance inside `face` (in `image` pixels).
pub fn face_highlight(image: &RgbImage, face: &Rect) -> Option<f32> {
    let t = linear_table();
    let mut v = Vec::new();
    let (w, h) = image.dimensions();
    let x0 = face.x.max(0.0) as u32;
    let y0 = face.y.max(0.0) as u32;
    let x1 = (face.right().max(0.0) as u32).min(w);
    let y1 = (face.bottom().max(0.0) as u32).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let p = image.get_pixel(x, y).0;
            v.push(
                0.2126 * t[p[0] as usize] + 0.7152 * t[p[1] as usize] + 0.0722 * t[p[2] as usize],
            );
        }
    }
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[(v.len() - 1) * 95 / 100])
}

/// Scene statistics of `image` (any size; a copy of about 400 px is plenty), ignoring the
/// `faces` (in `image` pixels) so that skin never votes.
///
/// The near-neutral surfaces are found under the light's own colour: starting from no cast,
/// the pixels that look grey once the current estimate is divided out are kept, and the mean of
/// their brighter half becomes the next estimate (three rounds), so a photo with a strong cast
/// still finds its walls and shirts. (Starting from the scene's mean colour instead locks onto
/// warm curtains, wood and hands.)
pub fn scene_stats(image: &RgbImage, faces: &[Rect]) -> SceneStats {
    let t = linear_table();
    let (w, h) = image.dimensions();
    let step = ((w.max(h) / 400).max(1)) as usize;
    let mut lum = Vec::new();
    // Pixels that may be a surface: neither dark nor clipped.
    let mut usable: Vec<[f32; 3]> = Vec::new();
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            let (fx, fy) = (x as f32, y as f32);
            if faces
                .iter()
                .any(|r| fx >= r.x && fy >= r.y && fx < r.right() && fy < r.bottom())
            {
                continue;
            }
            let p = image.get_pixel(x, y).0;
            let c = [t[p[0] as usize], t[p[1] as usize], t[p[2] as usize]];
            let y_lin = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            lum.push(y_lin);
            if p.iter().all(|&v| v < 250) && y_lin > 0.03 {
                usable.push(c);
            }
        }
    }
    if lum.is_empty() {
        return SceneStats::default();
    }
    lum.sort_by(f32::total_cmp);
    let q = |f: f32| lum[((lum.len() - 1) as f32 * f) as usize];
    let normalised = |sum: [f64; 3]| -> [f32; 3] {
        let m = (sum[0] + sum[1] + sum[2]) / 3.0;
        std::array::from_fn(|k| (sum[k] / m.max(1e-12)) as f32)
    };
    // Start from no cast: what is grey as it stands (a white shirt, a grey wall) leads.
    let mut estimate = [1.0f32; 3];
    let mut n_neutral = 0usize;
    for _ in 0..3 {
        let mut grey: Vec<&[f32; 3]> = usable
            .iter()
            .filter(|c| {
                let balanced: [f32; 3] = std::array::from_fn(|k| c[k] / estimate[k].max(1e-3));
                let l = lab(balanced);
                l[1].hypot(l[2]) < 10.0
            })
            .collect();
        n_neutral = grey.len();
        if grey.is_empty() {
            break;
        }
        // The brighter half: white shirts, walls in the light, paper. Dim greys are as often
        // desaturated colours as grey surfaces.
        grey.sort_by(|a, b| (a[0] + a[1] + a[2]).total_cmp(&(b[0] + b[1] + b[2])));
        let bright = &grey[grey.len() / 2..];
        estimate = normalised(bright.iter().fold([0.0f64; 3], |mut s, c| {
            for k in 0..3 {
                s[k] += f64::from(c[k]);
            }
            s
        }));
    }
    let neutral_fraction = n_neutral as f32 / lum.len().max(1) as f32;
    SceneStats {
        neutral: (neutral_fraction >= MIN_NEUTRAL).then_some(estimate),
        neutral_fraction,
        highlight: q(0.99),
        median: q(0.5),
    }
}

/// The correction for one photo on its own: part of the way to neutral for the scene's
/// near-neutral surfaces (a cast is often part of the place's light, so it is reduced, not
/// erased), and for a clearly dull scene (highlights below 0.35 linear) enough exposure to
/// bring the highlights up toward 0.6 linear, at most half a stop. Never darker.
///
/// `face_highlight` (the face's 95th-percentile linear luminance) caps the exposure so that no
/// correction pushes the face's highlights toward clipping.
pub fn correction(stats: &SceneStats, face_highlight: Option<f32>) -> Tone {
    // A cast within ±4 % per channel is left alone (mild warmth is often the place's light and
    // the photographer's choice); beyond that, half of the excess is taken out, at most 8 %.
    let wb = match stats.neutral {
        Some(n) => n.map(|v| {
            let full = 1.0 / v.max(1e-3) - 1.0;
            let excess = full.signum() * (full.abs() - 0.04).max(0.0);
            (1.0 + 0.5 * excess).clamp(1.0 - MAX_WB_ALONE, 1.0 + MAX_WB_ALONE)
        }),
        None => [1.0; 3],
    };
    // Only a clearly dull scene is lifted: a dark backdrop alone is a choice, not a mistake.
    let mut ev = if stats.highlight > 0.0 && stats.highlight < 0.35 {
        (0.6 / stats.highlight).log2().min(MAX_EV_UP)
    } else {
        0.0
    };
    if let Some(f) = face_highlight.filter(|f| *f > 0.0) {
        ev = ev.min((0.7 / f).log2().max(0.0));
    }
    finish(wb, ev)
}

/// The correction that brings one photo's scene to the batch's `target` (the median of every
/// photo's [`SceneStats`], see [`team_target`]).
pub fn team_correction(
    stats: &SceneStats,
    target: &SceneStats,
    face_highlight: Option<f32>,
) -> Tone {
    let wb = match (stats.neutral, target.neutral) {
        (Some(n), Some(t)) => {
            std::array::from_fn(|k| (t[k] / n[k].max(1e-3)).clamp(1.0 - MAX_WB, 1.0 + MAX_WB))
        }
        _ => [1.0; 3],
    };
    let ev = if stats.median > 1e-4 && target.median > 1e-4 {
        (target.median / stats.median)
            .log2()
            .clamp(-MAX_EV_DOWN, MAX_EV_UP)
    } else {
        0.0
    };
    let ev = match face_highlight.filter(|f| *f > 0.0) {
        Some(f) if ev > 0.0 => ev.min((0.7 / f).log2().max(0.0)),
        _ => ev,
    };
    finish(wb, ev)
}

fn finish(wb: [f32; 3], ev: f32) -> Tone {
    // White balance keeps the luminance; exposure scales it.
    let y = 0.2126 * wb[0] + 0.7152 * wb[1] + 0.0722 * wb[2];
    let k = 2f32.powf(ev) / y.max(1e-3);
    Tone {
        gains: wb.map(|g| g * k),
        exposure_ev: ev,
    }
}

/// The batch's median scene: per-channel median of the neutral colour, median highlight and
/// median brightness.
pub fn team_target(all: &[SceneStats]) -> SceneStats {
    let median = |mut v: Vec<f32>| -> Option<f32> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(f32::total_cmp);
        Some(v[v.len() / 2])
    };
    let neutrals: Vec<[f32; 3]> = all.iter().filter_map(|s| s.neutral).collect();
    let neutral = (!neutrals.is_empty()).then(|| {
        std::array::from_fn(|k| median(neutrals.iter().map(|n| n[k]).collect()).unwrap_or(1.0))
    });
    SceneStats {
        neutral,
        neutral_fraction: median(all.iter().map(|s| s.neutral_fraction).collect()).unwrap_or(0.0),
        highlight: median(all.iter().map(|s| s.highlight).collect()).unwrap_or(0.0),
        median: median(all.iter().map(|s| s.median).collect()).unwrap_or(0.0),
    }
}
