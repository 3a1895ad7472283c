//! Body joints of the main subject with MediaPipe's BlazePose GHUM (full) landmark net.
//!
//! MediaPipe finds the body region with a pose detector whose weights cannot be converted for
//! tract (sparse tensors). trueshot derives the region from the face instead, in the same form
//! the pose detector produces (a hip centre and a radius that circumscribes the person), with
//! proportions calibrated on the net's own alignment points (landmarks 33 and 34).

use serde::Serialize;
use trueshot_geom::{Point, RotatedRect};

use crate::detect::sigmoid;
use crate::face::Face;
use crate::ort_net::Engine;
use crate::view::PhotoView;
use crate::VisionError;

/// BlazePose joint indices used by name elsewhere ("left"/"right" are the subject's own).
pub mod joint {
    pub const NOSE: usize = 0;
    pub const LEFT_SHOULDER: usize = 11;
    pub const RIGHT_SHOULDER: usize = 12;
    pub const LEFT_ELBOW: usize = 13;
    pub const RIGHT_ELBOW: usize = 14;
    pub const LEFT_WRIST: usize = 15;
    pub const RIGHT_WRIST: usize = 16;
    pub const LEFT_PINKY: usize = 17;
    pub const RIGHT_PINKY: usize = 18;
    pub const LEFT_INDEX: usize = 19;
    pub const RIGHT_INDEX: usize = 20;
    pub const LEFT_THUMB: usize = 21;
    pub const RIGHT_THUMB: usize = 22;
    pub const LEFT_HIP: usize = 23;
    pub const RIGHT_HIP: usize = 24;
    pub const NAMES: [&str; 33] = [
        "nose",
        "left_eye_inner",
        "left_eye",
        "left_eye_outer",
        "right_eye_inner",
        "right_eye",
        "right_eye_outer",
        "left_ear",
        "right_ear",
        "mouth_left",
        "mouth_right",
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
        "left_pinky",
        "right_pinky",
        "left_index",
        "right_index",
        "left_thumb",
        "right_thumb",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
        "left_heel",
        "right_heel",
        "left_foot_index",
        "right_foot_index",
    ];
}

/// One joint, in photo pixels.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Joint {
    pub point: Point,
    /// Probability that the joint is visible (not hidden by something in front of it).
    pub visibility: f32,
    /// Probability that the joint lies inside the picture.
    pub presence: f32,
}

/// The main subject's body.
#[derive(Clone, Debug, Serialize)]
pub struct Body {
    /// 33 joints in BlazePose order (see [`joint::NAMES`]).
    pub joints: Vec<Joint>,
    /// Confidence that the region holds a person, 0–1.
    pub score: f32,
}

impl Body {
    /// A joint if the net is reasonably sure it lies inside the picture.
    pub fn joint(&self, i: usize) -> Option<Point> {
        let j = self.joints.get(i)?;
        (j.presence >= 0.5).then_some(j.point)
    }
}

pub(crate) struct BodyModel {
    pub net: Engine,
}

const SIDE: usize = 256;
/// Hip centre below the eye midpoint, in eye-to-chin distances.
const HIP_BELOW_EYES: f32 = 5.8;
/// Radius of the circle around the whole person, in eye-to-chin distances.
const BODY_RADIUS: f32 = 8.25;

impl BodyModel {
    pub fn analyse(&self, view: &PhotoView, face: &Face) -> Result<Option<Body>, VisionError> {
        // Work in analysis pixels: face measures scaled down.
        let s = view.scale;
        let eye_mid = face.eye_midpoint().scaled(s);
        let eye_to_chin = eye_mid.distance(face.chin.scaled(s)).max(1.0);
        // The region in the pose detector's form: a hip centre and the radius of the circle
        // around the whole person, both in eye-to-chin units below the eye midpoint, for an
        // upright body. The numbers are the net's own alignment points (landmarks 33 and 34) on
        // the test portraits, which agree to ±10 % (hip 5.2–6.8 units below the eyes, radius
        // 8.1–8.4): close enough that one pass gives what a second pass from those points would
        // (measured against MediaPipe in tests/reference.rs), at half the cost.
        let hip = Point::new(eye_mid.x, eye_mid.y + HIP_BELOW_EYES * eye_to_chin);
        let top = Point::new(hip.x, hip.y - BODY_RADIUS * eye_to_chin);
        let roi = alignment_roi(hip, top);
        let Some((raw, flag)) = self.run(view, &roi)? else {
            return Ok(None);
        };
        let to_photo = view.to_photo();
        let joints = (0..33)
            .map(|i| Joint {
                point: to_photo.apply(raw.points[i]),
                visibility: raw.visibility[i],
                presence: raw.presence[i],
            })
            .collect();
        Ok(Some(Body {
            joints,
            score: flag,
        }))
    }

    fn run(
        &self,
        view: &PhotoView,
        roi: &RotatedRect,
    ) -> Result<Option<(RawPose, f32)>, VisionError> {
        let to_analysis = roi.tensor_to_image(SIDE as f32, SIDE as f32, false);
        let out = self
            .net
            .run(view.sample(&to_analysis, SIDE, SIDE, 0.0, 1.0))?;
        let get = |n: usize| {
            out.iter().find(|o| o.values.len() == n).ok_or_else(|| {
                VisionError::Internal(format!("pose_landmark_full: no {n}-value output"))
            })
        };
        let flag_raw = get(1)?.values[0];
        let flag = if (0.0..=1.0).contains(&flag_raw) {
            flag_raw
        } else {
            sigmoid(flag_raw)
        };
        if flag < 0.5 {
            return Ok(None);
        }
        let lm = &get(195)?.values;
        let mut points = Vec::with_capacity(39);
        let mut visibility = Vec::with_capacity(39);
        let mut presence = Vec::with_capacity(39);
        for c in lm.chunks_exact(5) {
            points.push(to_analysis.apply(Point::new(c[0], c[1])));
            visibility.push(sigmoid(c[3]));
            presence.push(sigmoid(c[4]));
        }
        Ok(Some((
            RawPose {
                points,
                visibility,
                presence,
            },
            flag,
        )))
    }
}

struct RawPose {
    points: Vec<Point>,
    visibility: Vec<f32>,
    presence: Vec<f32>,
}

/// MediaPipe's `AlignmentPointsRectsCalculator` (target angle 90°) followed by a 1.25 scale,
/// square: the region centred on the hip point, rotated so that the scale point is straight up.
fn alignment_roi(center: Point, scale_point: Point) -> RotatedRect {
    let radius = center.distance(scale_point);
    let rotation = trueshot_geom::normalize_radians(
        std::f32::consts::FRAC_PI_2 - (-(scale_point.y - center.y)).atan2(scale_point.x - center.x),
    );
    RotatedRect {
        center,
        width: 2.0 * radius,
        height: 2.0 * radius,
        rotation,
    }
    .scaled_square_long(1.25)
}
