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
use trueshot_matte::Plane;
use trueshot_vision::{
    identity_distance, mesh, Face, FaceNets, FacePoints, PhotoView, VisionError,
};

use crate::landmarks::{Landmarks, LEFT_BROW, LEFT_EYE, LIPS, RIGHT_BROW, RIGHT_EYE};
use crate::measure::{pixel_measures, PixelMeasures};
use crate::track::Tracker;

/// The guideline's bounds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Bounds {
    pub identity_distance: f32,
    pub landmark_drift: f32,
    pub texture_kept: f32,
    pub eye_white_l_rise: f32,
    pub skin_hue_chroma_delta_e: f32,
    pub skin_lightness_shift: f32,
    pub age_change_years: f32,
    pub clothing_delta_e: f32,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            identity_distance: 0.2,
            landmark_drift: 0.01,
            texture_kept: 0.85,
            eye_white_l_rise: 3.0,
            skin_hue_chroma_delta_e: 2.0,
            skin_lightness_shift: 2.0,
            age_change_years: 2.0,
            clothing_delta_e: 1.0,
        }
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

impl Measures {
    /// The bounds this result breaks (empty: it may be delivered).
    pub fn breaches(&self, b: &Bounds) -> Vec<Breach> {
        let p = &self.pixel;
        let mut out = Vec::new();
        let mut check = |measure: &'static str, value: f32, bound: f32, over: bool| {
            let bad = if over { value > bound } else { value < bound };
            if bad || !value.is_finite() {
                out.push(Breach {
                    measure,
                    value,
                    bound,
                });
            }
        };
        check(
            "identity_distance",
            self.identity_distance,
            b.identity_distance,
            true,
        );
        check(
            "landmark_drift",
            self.landmark_drift,
            b.landmark_drift,
            true,
        );
        check("texture_kept", p.texture_kept, b.texture_kept, false);
        check(
            "eye_white_l_rise",
            p.eye_white_l_rise,
            b.eye_white_l_rise,
            true,
        );
        check(
            "skin_hue_chroma_delta_e",
            p.skin_hue_chroma_delta_e,
            b.skin_hue_chroma_delta_e,
            true,
        );
        check(
            "skin_lightness_shift",
            p.skin_lightness_shift.abs(),
            b.skin_lightness_shift,
            true,
        );
        check(
            "age_change_years",
            self.age_change_years.abs(),
            b.age_change_years,
            true,
        );
        check(
            "clothing_delta_e",
            p.clothing_delta_e,
            b.clothing_delta_e,
            true,
        );
        out
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
        let pts = face_points(face);
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

fn face_points(face: &Face) -> FacePoints {
    let pts: Vec<Point> = face.mesh.iter().map(|p| p.xy()).collect();
    FacePoints::from_mesh(
        &pts,
        [face.right_eye.iris_center, face.left_eye.iris_center],
    )
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
