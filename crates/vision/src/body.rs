//! Body joints of the main subject with MediaPipe's BlazePose GHUM (full) landmark net.
//!
//! MediaPipe finds the body region with a pose detector whose weights cannot be converted for
//! tract (sparse tensors). trueshot derives the region from the face instead, in the same form
//! the pose detector produces (a hip centre and a radius that circumscribes the person), using
//! adult proportions; the net's own alignment points (landmarks 33 and 34) then give MediaPipe's
//! tracking region for a second, precise pass — exactly what MediaPipe does from frame to frame.

use serde::Serialize;
use trueshot_geom::{Affine, Point, RotatedRect};

use crate::detect::sigmoid;
use crate::face::Face;
use crate::net::Net;
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
    #[serde(skip)]
    pub mask: PersonMask,
}

impl Body {
    /// A joint if the net is reasonably sure it lies inside the picture.
    pub fn joint(&self, i: usize) -> Option<Point> {
        let j = self.joints.get(i)?;
        (j.presence >= 0.5).then_some(j.point)
    }
}

/// The net's coarse person mask (256×256 over its region), 0 = background, 1 = person.
#[derive(Clone, Debug, Default)]
pub struct PersonMask {
    values: Vec<f32>,
    side: usize,
    /// Photo pixels → mask pixels.
    from_photo: Option<Affine>,
}

impl PersonMask {
    /// Person probability at a photo pixel (0 outside the net's region).
    pub fn at(&self, p: Point) -> f32 {
        let Some(m) = self.from_photo else { return 0.0 };
        let q = m.apply(p);
        let (x, y) = (q.x.floor(), q.y.floor());
        if x < 0.0 || y < 0.0 || x >= self.side as f32 || y >= self.side as f32 {
            return 0.0;
        }
        self.values[y as usize * self.side + x as usize]
    }
}

pub(crate) struct BodyModel {
    pub net: Net,
}

const SIDE: usize = 256;

impl BodyModel {
    pub fn analyse(&self, view: &PhotoView, face: &Face) -> Result<Option<Body>, VisionError> {
        // Work in analysis pixels: face measures scaled down.
        let s = view.scale;
        let eye_mid = face.eye_midpoint().scaled(s);
        let chin = face.chin.scaled(s);
        let eye_to_chin = eye_mid.distance(chin).max(1.0);
        // Body axis: from between the eyes towards the chin, i.e. the head's own vertical.
        let axis = Point::new(
            (chin.x - eye_mid.x) / eye_to_chin,
            (chin.y - eye_mid.y) / eye_to_chin,
        );
        // Adult proportions, in eye-to-chin units (≈ 0.45 of a head height): the hip centre lies
        // about 7 units below the eyes and the circle around the whole standing person has a
        // radius of about 9 units. Errors of ±30 % are corrected by the second pass.
        let hip = Point::new(
            eye_mid.x + axis.x * 7.0 * eye_to_chin,
            eye_mid.y + axis.y * 7.0 * eye_to_chin,
        );
        let top = Point::new(
            hip.x - axis.x * 9.0 * eye_to_chin,
            hip.y - axis.y * 9.0 * eye_to_chin,
        );
        let first = alignment_roi(hip, top);
        let Some((raw, flag)) = self.run(view, &first)? else {
            return Ok(None);
        };
        // Second pass from the net's own alignment points (33: hip centre, 34: scale point).
        let second = alignment_roi(raw.points[33], raw.points[34]);
        let (raw, flag, roi) = match self.run(view, &second)? {
            Some((r, f)) => (r, f, second),
            None => (raw, flag, first),
        };
        let to_photo = view.to_photo();
        let joints = (0..33)
            .map(|i| Joint {
                point: to_photo.apply(raw.points[i]),
                visibility: raw.visibility[i],
                presence: raw.presence[i],
            })
            .collect();
        let tensor_to_photo =
            to_photo.then_after(&roi.tensor_to_image(SIDE as f32, SIDE as f32, false));
        let mask = PersonMask {
            values: raw.mask,
            side: SIDE,
            from_photo: tensor_to_photo.inverse(),
        };
        Ok(Some(Body {
            joints,
            score: flag,
            mask,
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
        let mask = get(SIDE * SIDE)?
            .values
            .iter()
            .map(|&v| sigmoid(v))
            .collect();
        Ok(Some((
            RawPose {
                points,
                visibility,
                presence,
                mask,
            },
            flag,
        )))
    }
}

struct RawPose {
    points: Vec<Point>,
    visibility: Vec<f32>,
    presence: Vec<f32>,
    mask: Vec<f32>,
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
