//! Verification of every headshot: is the result still the same person, with the same face,
//! skin and age? Combines the pixel measures of [`crate::measure`] with three net-based ones:
//!
//! - **identity distance**: the 128-D descriptors of the original and the result (dlib's scale);
//! - **landmark drift**: every landmark of the original tracked into the result by block
//!   matching ([`Tracker`]), as the largest movement of a feature (eyes, brows, nose, mouth,
//!   outline) or change of a feature's size (eye, mouth, nose and face widths and heights), over
//!   the distance between the iris centres;
//! - **age change**: apparent age of the result minus the original's.
//!
//! The original's side is measured once per photo on the photo itself ([`Original`]); each
//! headshot's result is measured in its own frame, with the original's landmarks carried there
//! by the framing.

use image::RgbImage;
use serde::Serialize;
use trueshot_geom::{Affine, Point};
use trueshot_pixels::Plane;
use trueshot_vision::{
    identity_distance, mesh, Face, FaceNets, FacePoints, PhotoView, VisionError,
};

use crate::landmarks::{Landmarks, LEFT_BROW, LEFT_EYE, LIPS, RIGHT_BROW, RIGHT_EYE};
use crate::measure::{pixel_measures, PixelMeasures};
use crate::track::Tracker;

/// The guideline's bounds: its `[verify]` section, where each bound is declared with its
/// default and range.
pub use trueshot_guide::Verify as Bounds;

/// How a measure is held to its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// The measure may not exceed the bound.
    AtMost,
    /// The measure may not fall below the bound.
    AtLeast,
    /// The measure may not move farther than the bound either way.
    EitherWay,
}

impl Sense {
    /// Whether `value` keeps `bound` (a measure that is not a number never does).
    pub fn keeps(self, value: f64, bound: f64) -> bool {
        value.is_finite()
            && match self {
                Sense::AtMost => value <= bound,
                Sense::AtLeast => value >= bound,
                Sense::EitherWay => value.abs() <= bound,
            }
    }
}

/// One verification check, declared once. The guideline's `[verify]` section declares the bound
/// (its default and range); this declares how the measure is held to it and how it is said to
/// people. The verifier ([`Measures::breaches`]), the report's `measures` and `bounds`,
/// `summary.csv`, the contact sheet and the web page all read [`CHECKS`]; a test checks that it
/// names every bound of the guideline.
pub struct Check {
    /// The key in the guideline's `[verify]`, in the report's `measures` and `bounds`, and
    /// summary.csv's column.
    pub key: &'static str,
    pub sense: Sense,
    /// What it protects, in a word or two ("Same person").
    pub title: &'static str,
    pub measured: fn(&Measures) -> f32,
    pub bound: fn(&Bounds) -> f32,
    /// The measure against its bound in plain words; the third argument is the feature that
    /// moved most (only the landmark drift says it).
    pub words: fn(f64, f64, &str) -> String,
}

/// Every verification check, in the order the report, `summary.csv` and the page list them.
pub const CHECKS: [Check; 8] = [
    Check {
        key: "identity_distance",
        sense: Sense::AtMost,
        title: "Same person",
        measured: |m| m.identity_distance,
        bound: |b| b.identity_distance,
        words: |v, b, _| format!("Same person: identity distance {v:.2} (limit {b:.2})"),
    },
    Check {
        key: "landmark_drift",
        sense: Sense::AtMost,
        title: "Face shape",
        measured: |m| m.landmark_drift,
        bound: |b| b.landmark_drift,
        words: |v, b, feature| {
            let most = if v > 0.0 && !feature.is_empty() {
                format!("; most: {feature}")
            } else {
                String::new()
            };
            format!(
                "Face shape: features moved {:.1} % of the eye distance (limit {} %){most}",
                100.0 * v,
                short(100.0 * b)
            )
        },
    },
    Check {
        key: "texture_kept",
        sense: Sense::AtLeast,
        title: "Skin texture",
        measured: |m| m.pixel.texture_kept,
        bound: |b| b.texture_kept,
        words: |v, b, _| {
            format!(
                "Skin texture kept: {:.0} % (at least {:.0} %)",
                100.0 * v,
                100.0 * b
            )
        },
    },
    Check {
        key: "eye_white_l_rise",
        sense: Sense::AtMost,
        title: "Eye whites",
        measured: |m| m.pixel.eye_white_l_rise,
        bound: |b| b.eye_white_l_rise,
        words: |v, b, _| {
            let limit = short(b);
            if (10.0 * v).round() == 0.0 {
                format!("Eye whites: brightness unchanged (limit +{limit} L*)")
            } else {
                let way = if v < 0.0 { "darker" } else { "brighter" };
                format!("Eye whites: {way} by {:.1} L* (limit +{limit} L*)", v.abs())
            }
        },
    },
    Check {
        key: "skin_lightness_shift",
        sense: Sense::EitherWay,
        title: "Skin lightness",
        measured: |m| m.pixel.skin_lightness_shift,
        bound: |b| b.skin_lightness_shift,
        words: |v, b, _| {
            format!(
                "Skin lightness changed by {} L* (limit ±{})",
                signed(v, 2),
                short(b)
            )
        },
    },
    Check {
        key: "skin_hue_chroma_delta_e",
        sense: Sense::AtMost,
        title: "Skin tone",
        measured: |m| m.pixel.skin_hue_chroma_delta_e,
        bound: |b| b.skin_hue_chroma_delta_e,
        words: |v, b, _| format!("Skin tone: colour change ΔE {v:.2} (limit {})", short(b)),
    },
    Check {
        key: "age_change_years",
        sense: Sense::EitherWay,
        title: "Apparent age",
        measured: |m| m.age_change_years,
        bound: |b| b.age_change_years,
        words: |v, b, _| {
            format!(
                "Apparent age changed by {} years (limit ±{})",
                signed(v, 1),
                short(b)
            )
        },
    },
    Check {
        key: "clothing_delta_e",
        sense: Sense::AtMost,
        title: "Clothing",
        measured: |m| m.pixel.clothing_delta_e,
        bound: |b| b.clothing_delta_e,
        words: |v, b, _| format!("Clothing unchanged: ΔE {v:.1} (limit {})", short(b)),
    },
];

/// A bound as people write it: `2`, `0.5`, `1.25` (no trailing zeros).
fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A change with its sign (a true minus), `decimals` places, and no sign on what rounds to zero.
fn signed(x: f64, decimals: usize) -> String {
    let digits = format!("{:.decimals$}", x.abs());
    if digits.chars().all(|c| c == '0' || c == '.') {
        digits
    } else if x < 0.0 {
        format!("\u{2212}{digits}")
    } else {
        format!("+{digits}")
    }
}

/// What the nets say about the original photo's face, measured once per photo.
#[derive(Clone, Debug)]
pub struct Original {
    pub descriptor: Vec<f32>,
    pub age: f32,
}

/// Every measure of one result against its original.
#[derive(Clone, Debug, Serialize)]
pub struct Measures {
    pub identity_distance: f32,
    /// Largest feature movement or size change over the eye distance.
    pub landmark_drift: f32,
    /// The feature that moved most.
    pub drift_feature: &'static str,
    pub age_original: f32,
    pub age_result: f32,
    pub age_change_years: f32,
    #[serde(flatten)]
    pub pixel: PixelMeasures,
    /// Milliseconds spent measuring.
    pub ms: f32,
}

/// A bound a result broke.
#[derive(Clone, Debug, Serialize)]
pub struct Breach {
    pub measure: &'static str,
    pub value: f32,
    pub bound: f32,
}

impl Breach {
    /// The breach in plain words: its check's own sentence.
    pub fn words(&self, drift_feature: &str) -> String {
        let (value, bound) = (f64::from(self.value), f64::from(self.bound));
        match CHECKS.iter().find(|c| c.key == self.measure) {
            Some(c) => (c.words)(value, bound, drift_feature),
            None => format!("{} {value:.3} (bound {bound:.3})", self.measure),
        }
    }
}

impl Measures {
    /// The bounds this result breaks (empty: it may be delivered).
    pub fn breaches(&self, b: &Bounds) -> Vec<Breach> {
        CHECKS
            .iter()
            .filter_map(|c| {
                let (value, bound) = ((c.measured)(self), (c.bound)(b));
                (!c.sense.keeps(f64::from(value), f64::from(bound))).then_some(Breach {
                    measure: c.key,
                    value,
                    bound,
                })
            })
            .collect()
    }
}

/// The nets verification needs, loaded once.
pub struct Verifier<'a> {
    pub nets: &'a FaceNets,
}

/// Feature groups whose movement counts as drift.
const NOSE: [usize; 9] = [1, 4, 5, 195, 197, 98, 327, 64, 294];
/// Feature sizes (pairs of mesh points) whose change counts as drift: eye widths and heights,
/// mouth and nose widths, and brow-to-chin height.
const SIZES: [(&str, usize, usize); 7] = [
    ("right eye width", 33, 133),
    ("left eye width", 362, 263),
    ("right eye height", 159, 145),
    ("left eye height", 386, 374),
    ("mouth width", 61, 291),
    ("nose width", 98, 327),
    ("face height", 168, 152),
];
/// Symmetric outline pairs from the cheekbones to the jaw: their mean width is the face's
/// width (one pair alone moves with the mesh net's noise; slimming moves them all).
const WIDTHS: [(usize, usize); 6] = [
    (234, 454),
    (93, 323),
    (132, 361),
    (58, 288),
    (172, 397),
    (136, 365),
];

impl Verifier<'_> {
    /// Measures the original's face (in the photo's own pixels) once per photo.
    pub fn original(&self, view: &PhotoView, face: &Face) -> Result<Original, VisionError> {
        let pts = FacePoints::of(face);
        Ok(Original {
            descriptor: self.nets.descriptor(view, &pts)?,
            age: self.nets.age(view, &pts)?,
        })
    }

    /// Measures a result against the original. `before` is the original resampled into the
    /// result's frame (`photo_to_picture`), `after` the result; `person` the person's alpha
    /// when the background was replaced.
    pub fn measure(
        &self,
        original: &Original,
        face: &Face,
        photo_to_picture: &Affine,
        before: &RgbImage,
        after: &RgbImage,
        person: Option<&Plane>,
    ) -> Result<Measures, VisionError> {
        let t = std::time::Instant::now();
        let lm = Landmarks::from_face(face, photo_to_picture);
        // The nets look only at the face: the result is cut to a window around it (the age
        // net's square, the widest crop, reaches about 1.45 eye distances from the face's
        // centre) before its analysis pyramid is made.
        let (w, h) = (after.width() as usize, after.height() as usize);
        let b = lm.face_box(0.6, w, h).unwrap_or([0, 0, w, h]);
        let cut = |img: &RgbImage| {
            image::imageops::crop_imm(
                img,
                b[0] as u32,
                b[1] as u32,
                (b[2] - b[0]) as u32,
                (b[3] - b[1]) as u32,
            )
            .to_image()
        };
        let shift = Affine::scale_translate(1.0, 1.0, -(b[0] as f32), -(b[1] as f32));
        let local = Landmarks::from_face(face, &shift.then_after(photo_to_picture));
        let view = PhotoView::new(&cut(after))?;
        // Identity and age see the result through the original's own landmarks carried into
        // its frame, so both crops have exactly the same geometry and only the pixels differ.
        let pts = FacePoints::from_mesh(&local.mesh, local.iris);
        let (descriptor, age) = (
            self.nets.descriptor(&view, &pts)?,
            self.nets.age(&view, &pts)?,
        );
        // Geometry: every landmark tracked from the original into the result.
        let (drift, feature) = drift(before, after, &lm, b);
        let pixel = pixel_measures(before, after, &lm, person).unwrap_or_default();
        Ok(Measures {
            identity_distance: identity_distance(&original.descriptor, &descriptor),
            landmark_drift: drift,
            drift_feature: feature,
            age_original: original.age,
            age_result: age,
            age_change_years: age - original.age,
            pixel,
            ms: t.elapsed().as_secs_f32() * 1e3,
        })
    }
}

/// Largest feature movement or size change between the original and the result (in the same
/// frame, `b` the face's box), over the eye distance, and the feature's name. Each landmark is
/// tracked by block matching ([`Tracker`]); a feature's movement is the mean movement of its
/// points, a size the distance between two tracked points.
pub fn drift(
    before: &RgbImage,
    after: &RgbImage,
    lm: &Landmarks,
    b: [usize; 4],
) -> (f32, &'static str) {
    let d = lm.eye_distance();
    let tracker = Tracker::new(before, after, b, d);
    let mut moved: Vec<Option<Point>> = vec![None; lm.mesh.len()];
    let mut track = |i: usize| -> Option<Point> {
        if moved[i].is_none() {
            moved[i] = tracker.movement(lm.mesh[i]);
        }
        moved[i]
    };
    let mut worst = (0.0f32, "none");
    let mut consider = |value: f32, name: &'static str| {
        if value / d > worst.0 {
            worst = (value / d, name);
        }
    };
    let groups: [(&str, &[usize]); 7] = [
        ("right eye", &RIGHT_EYE),
        ("left eye", &LEFT_EYE),
        ("right brow", &RIGHT_BROW),
        ("left brow", &LEFT_BROW),
        ("nose", &NOSE),
        ("mouth", &LIPS),
        ("face outline", &mesh::FACE_OVAL),
    ];
    for (name, idx) in groups {
        let m: Vec<f32> = idx
            .iter()
            .filter_map(|&i| track(i))
            .map(|v| v.x.hypot(v.y))
            .collect();
        if !m.is_empty() {
            consider(m.iter().sum::<f32>() / m.len() as f32, name);
        }
    }
    // Sizes: how much the distance between two points changed.
    let mut size_change = |a: usize, b: usize| -> Option<f32> {
        let (va, vb) = (track(a)?, track(b)?);
        let (pa, pb) = (lm.mesh[a], lm.mesh[b]);
        let before = pa.distance(pb);
        let after =
            Point::new(pa.x + va.x, pa.y + va.y).distance(Point::new(pb.x + vb.x, pb.y + vb.y));
        Some(after - before)
    };
    let widths: Vec<f32> = WIDTHS
        .iter()
        .filter_map(|&(a, b)| size_change(a, b))
        .collect();
    let sizes: Vec<(&'static str, f32)> = SIZES
        .iter()
        .filter_map(|&(name, a, b)| Some((name, size_change(a, b)?)))
        .collect();
    if !widths.is_empty() {
        consider(
            (widths.iter().sum::<f32>() / widths.len() as f32).abs(),
            "face width",
        );
    }
    for (name, change) in sizes {
        consider(change.abs(), name);
    }
    worst
}

#[cfg(test)]
mod checks {
    use super::*;

    #[test]
    fn every_bound_of_the_guideline_has_one_check() {
        let schema = trueshot_guide::Guideline::json_schema();
        let mut bounds: Vec<&str> = schema["properties"]["verify"]["properties"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut keys: Vec<&str> = CHECKS.iter().map(|c| c.key).collect();
        bounds.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, bounds);
        let b = Bounds::default();
        for c in &CHECKS {
            assert!((c.bound)(&b) > 0.0, "{}", c.key);
        }
    }

    #[test]
    fn a_measure_keeps_its_bound_only_on_its_side() {
        assert!(Sense::AtMost.keeps(0.2, 0.2) && !Sense::AtMost.keeps(0.21, 0.2));
        assert!(Sense::AtLeast.keeps(0.9, 0.85) && !Sense::AtLeast.keeps(0.8, 0.85));
        assert!(Sense::EitherWay.keeps(-1.9, 2.0) && !Sense::EitherWay.keeps(-2.1, 2.0));
        assert!(!Sense::AtLeast.keeps(f64::NAN, 0.85));
        // A lightness shift that rounds to zero is said without a sign.
        let lightness = &CHECKS[4];
        assert_eq!(lightness.key, "skin_lightness_shift");
        assert_eq!(
            (lightness.words)(-0.001, 2.0, ""),
            "Skin lightness changed by 0.00 L* (limit ±2)"
        );
        assert_eq!(
            (lightness.words)(-0.5, 2.5, ""),
            "Skin lightness changed by \u{2212}0.50 L* (limit ±2.5)"
        );
    }
}
