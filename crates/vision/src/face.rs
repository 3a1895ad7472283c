//! The face mesh (468 points in 3-D), iris centres and eye contours, chin and head pose.
//!
//! The region of interest for the mesh is MediaPipe's `face_detection_front_detection_to_roi`:
//! the detection box, rotated so that the line from the subject's right eye to the left eye is
//! level, scaled by 1.5 and made square. The eye regions are MediaPipe's
//! `iris_landmark_landmarks_to_roi`: the eye corners' box, levelled, scaled by 2.3, square; the
//! iris net was trained on the eye that appears on the left of the picture (the subject's right),
//! so the other eye is mirrored on the way in and back on the way out.

use serde::Serialize;
use trueshot_geom::{rotation_to_level, Affine, Point, Rect, RotatedRect};

use crate::detect::{sigmoid, Detection};
use crate::ort_net::Engine;
use crate::view::PhotoView;
use crate::VisionError;

/// Mesh indices used by name elsewhere (MediaPipe's canonical face mesh numbering; "right" and
/// "left" are the subject's own).
pub mod mesh {
    pub const RIGHT_EYE_OUTER: usize = 33;
    pub const RIGHT_EYE_INNER: usize = 133;
    pub const LEFT_EYE_INNER: usize = 362;
    pub const LEFT_EYE_OUTER: usize = 263;
    pub const RIGHT_EYE_UPPER_LID: usize = 159;
    pub const RIGHT_EYE_LOWER_LID: usize = 145;
    pub const LEFT_EYE_UPPER_LID: usize = 386;
    pub const LEFT_EYE_LOWER_LID: usize = 374;
    pub const FOREHEAD_TOP: usize = 10;
    pub const BETWEEN_BROWS: usize = 168;
    pub const NOSE_TIP: usize = 1;
    pub const CHIN: usize = 152;
    pub const MOUTH_RIGHT: usize = 61;
    pub const MOUTH_LEFT: usize = 291;
    pub const UPPER_LIP_INNER: usize = 13;
    pub const LOWER_LIP_INNER: usize = 14;
    pub const RIGHT_CHEEK: usize = 205;
    pub const LEFT_CHEEK: usize = 425;
    /// The face outline, clockwise from the forehead top.
    pub const FACE_OVAL: [usize; 36] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];
}

/// A mesh point: image pixels, with `z` (depth, same scale as x; smaller is nearer the camera).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Point3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Point3 {
    pub fn xy(self) -> Point {
        Point::new(self.x, self.y)
    }
}

/// Head rotation in degrees. `yaw` > 0: the face turns toward the subject's own left (toward
/// the right of the picture); `pitch` > 0: chin up; `roll` > 0: the head tilts toward the
/// subject's left shoulder (the eye on the right of the picture is lower).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct HeadPose {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

/// One eye, in photo pixels.
#[derive(Clone, Debug, Serialize)]
pub struct Eye {
    pub iris_center: Point,
    /// Iris radius in pixels (mean distance of the four iris edge points from the centre).
    pub iris_radius: f32,
    /// 71 points: eyelids and brow, in MediaPipe's iris-model order (the first 16 trace the lids).
    pub contour: Vec<Point>,
}

/// Everything known about one face, in photo pixels.
#[derive(Clone, Debug, Serialize)]
pub struct Face {
    pub bbox: Rect,
    /// Detection confidence, 0–1.
    pub score: f32,
    /// Mesh confidence that the crop holds a face, 0–1.
    pub mesh_score: f32,
    pub mesh: Vec<Point3>,
    pub right_eye: Eye,
    pub left_eye: Eye,
    pub chin: Point,
    pub pose: HeadPose,
    /// The region the mesh was computed in (useful for drawing and for later stages).
    pub roi: RotatedRect,
    /// Eye midpoint to the top of the hair measured on a person mask (photo pixels), when
    /// perception was asked for it.
    pub crown_distance: Option<f32>,
    /// How the crown was found (`None` until it is looked for).
    #[serde(skip)]
    pub crown_source: Option<crate::CrownSource>,
}

impl Face {
    pub fn point(&self, i: usize) -> Point {
        self.mesh[i].xy()
    }
    /// Distance between the iris centres, in pixels.
    pub fn eye_distance(&self) -> f32 {
        self.right_eye
            .iris_center
            .distance(self.left_eye.iris_center)
    }
    pub fn eye_midpoint(&self) -> Point {
        self.right_eye
            .iris_center
            .midpoint(self.left_eye.iris_center)
    }
    /// Angle of the line from the right iris (on the image's left) to the left iris, in radians,
    /// clockwise positive (image y points down): 0 when the eyes are level.
    pub fn eye_angle(&self) -> f32 {
        let (r, l) = (self.right_eye.iris_center, self.left_eye.iris_center);
        (l.y - r.y).atan2(l.x - r.x)
    }
    /// Unit vector from the eyes toward the crown, perpendicular to the eye line.
    pub fn up(&self) -> Point {
        let a = self.eye_angle();
        Point::new(a.sin(), -a.cos())
    }
    /// Eye midpoint to chin, in pixels, measured along the face's vertical axis.
    pub fn eye_to_chin(&self) -> f32 {
        let up = self.up();
        let v = Point::new(
            self.chin.x - self.eye_midpoint().x,
            self.chin.y - self.eye_midpoint().y,
        );
        -(v.x * up.x + v.y * up.y)
    }
    /// Eye midpoint to the crown (top of the hair), in pixels: measured on the person mask when
    /// perception was asked for it ([`crate::PerceiveOptions::crown`]), else estimated.
    pub fn eye_to_crown(&self) -> f32 {
        self.crown_distance
            .unwrap_or_else(|| self.estimated_eye_to_crown())
    }
    /// Eye-to-crown estimated from the mesh alone: on the fixtures the person mask puts the top
    /// of the hair 0.74–1.16 eye-to-chin units above the eyes (short hair to a bob), median
    /// 0.96; it is always above the forehead's top landmark.
    pub fn estimated_eye_to_crown(&self) -> f32 {
        let up = self.up();
        let mid = self.eye_midpoint();
        let forehead = self.point(mesh::FOREHEAD_TOP);
        let to_forehead = (forehead.x - mid.x) * up.x + (forehead.y - mid.y) * up.y;
        (CROWN_OVER_CHIN * self.eye_to_chin()).max(1.2 * to_forehead)
    }
    /// The crown point.
    pub fn crown(&self) -> Point {
        let (up, mid, d) = (self.up(), self.eye_midpoint(), self.eye_to_crown());
        Point::new(mid.x + up.x * d, mid.y + up.y * d)
    }
}

/// Eye-to-crown over eye-to-chin when no person mask is available.
pub const CROWN_OVER_CHIN: f32 = 0.95;

pub(crate) struct FaceModels {
    pub mesh: Engine,
    pub iris: Engine,
}

impl FaceModels {
    /// Runs mesh and iris for one detection (in analysis pixels). Returns `None` when the mesh
    /// net says the crop holds no face.
    pub fn analyse(&self, view: &PhotoView, det: &Detection) -> Result<Option<Face>, VisionError> {
        let rotation = rotation_to_level(det.keypoints[0], det.keypoints[1]);
        let from_detection = RotatedRect {
            center: det.bbox.center(),
            width: det.bbox.w,
            height: det.bbox.h,
            rotation,
        }
        .scaled_square_long(1.5);
        let Some((first, _)) = self.mesh_in(view, &from_detection)? else {
            return Ok(None);
        };
        // Second pass from the mesh itself (MediaPipe's `face_landmark_landmarks_to_roi`, what it
        // uses from one video frame to the next): the detector's box is coarse, the mesh's own
        // extent and eye line are not.
        let Some(bounds) = Rect::bounding(first.iter().map(|p| p.xy())) else {
            return Ok(None);
        };
        let from_mesh = RotatedRect {
            center: bounds.center(),
            width: bounds.w,
            height: bounds.h,
            rotation: rotation_to_level(
                first[mesh::RIGHT_EYE_OUTER].xy(),
                first[mesh::LEFT_EYE_OUTER].xy(),
            ),
        }
        .scaled_square_long(1.5);
        let (roi, mesh_analysis, flag) = match self.mesh_in(view, &from_mesh)? {
            Some((m, f)) => (from_mesh, m, f),
            None => return Ok(None),
        };
        let to_photo = view.to_photo();
        let photo_scale = 1.0 / view.scale;

        let right_eye = self.eye(
            view,
            &mesh_analysis,
            mesh::RIGHT_EYE_OUTER,
            mesh::RIGHT_EYE_INNER,
            false,
        )?;
        let left_eye = self.eye(
            view,
            &mesh_analysis,
            mesh::LEFT_EYE_INNER,
            mesh::LEFT_EYE_OUTER,
            true,
        )?;

        let mesh: Vec<Point3> = mesh_analysis
            .iter()
            .map(|p| {
                let q = to_photo.apply(p.xy());
                Point3 {
                    x: q.x,
                    y: q.y,
                    z: p.z * photo_scale,
                }
            })
            .collect();
        let pose = head_pose(&mesh);
        let bbox = det.bbox.scaled(photo_scale);
        let roi = RotatedRect {
            center: to_photo.apply(roi.center),
            width: roi.width * photo_scale,
            height: roi.height * photo_scale,
            rotation: roi.rotation,
        };
        Ok(Some(Face {
            bbox,
            score: det.score,
            mesh_score: flag,
            chin: mesh[mesh::CHIN].xy(),
            right_eye: right_eye.mapped(&to_photo),
            left_eye: left_eye.mapped(&to_photo),
            pose,
            mesh,
            roi,
            crown_distance: None,
            crown_source: None,
        }))
    }

    /// The mesh in analysis pixels for one region, with the net's face confidence; `None` when
    /// the net says the region holds no face.
    fn mesh_in(
        &self,
        view: &PhotoView,
        roi: &RotatedRect,
    ) -> Result<Option<(Vec<Point3>, f32)>, VisionError> {
        let to_analysis = roi.tensor_to_image(192.0, 192.0, false);
        let out = self
            .mesh
            .run(view.sample(&to_analysis, 192, 192, 0.0, 1.0))?;
        let landmarks = out
            .iter()
            .find(|o| o.values.len() == 1404)
            .ok_or_else(|| VisionError::Internal("face_landmark: no 1404-value output".into()))?;
        let flag = out
            .iter()
            .find(|o| o.values.len() == 1)
            .map(|o| sigmoid(o.values[0]))
            .unwrap_or(0.0);
        if flag < 0.5 {
            return Ok(None);
        }
        let z_scale = to_analysis.scale();
        let mesh = landmarks
            .values
            .chunks_exact(3)
            .map(|c| {
                let p = to_analysis.apply(Point::new(c[0], c[1]));
                Point3 {
                    x: p.x,
                    y: p.y,
                    z: c[2] * z_scale,
                }
            })
            .collect();
        Ok(Some((mesh, flag)))
    }

    fn eye(
        &self,
        view: &PhotoView,
        mesh: &[Point3],
        from: usize,
        to: usize,
        mirrored: bool,
    ) -> Result<Eye, VisionError> {
        let (a, b) = (mesh[from].xy(), mesh[to].xy());
        let bbox = Rect::bounding([a, b]).expect("two points");
        let roi = RotatedRect {
            center: bbox.center(),
            width: bbox.w,
            height: bbox.h,
            rotation: rotation_to_level(a, b),
        }
        .scaled_square_long(2.3);
        let to_analysis = roi.tensor_to_image(64.0, 64.0, mirrored);
        let out = self.iris.run(view.sample(&to_analysis, 64, 64, 0.0, 1.0))?;
        let get = |n: usize| {
            out.iter()
                .find(|o| o.values.len() == n)
                .ok_or_else(|| VisionError::Internal(format!("iris_landmark: no {n}-value output")))
        };
        let map = |v: &[f32]| -> Vec<Point> {
            v.chunks_exact(3)
                .map(|c| to_analysis.apply(Point::new(c[0], c[1])))
                .collect()
        };
        let iris = map(&get(15)?.values);
        let contour = map(&get(213)?.values);
        let center = iris[0];
        let iris_radius = iris[1..].iter().map(|p| p.distance(center)).sum::<f32>() / 4.0;
        Ok(Eye {
            iris_center: center,
            iris_radius,
            contour,
        })
    }
}

impl Eye {
    fn mapped(&self, m: &Affine) -> Eye {
        Eye {
            iris_center: m.apply(self.iris_center),
            iris_radius: self.iris_radius * m.scale(),
            contour: self.contour.iter().map(|p| m.apply(*p)).collect(),
        }
    }
}

/// Symmetric mesh pairs (subject's right, left) whose differences give the head's x axis: eye
/// corners, mouth corners, cheekbones and jaw. Many pairs average out the noise of single points.
const SYMMETRIC_PAIRS: [(usize, usize); 8] = [
    (33, 263),
    (133, 362),
    (61, 291),
    (234, 454),
    (93, 323),
    (132, 361),
    (58, 288),
    (172, 397),
];
/// Upper and lower midline points for the head's y axis: the nasal bridge, and the base of the
/// nose and the lips. This line is close to vertical when a person looks straight into the lens
/// with a level head (a brow-to-chin line leans back by 5–10°, which would read as looking down).
const MIDLINE_UPPER: [usize; 2] = [168, 6];
const MIDLINE_LOWER: [usize; 3] = [2, 0, 17];

/// Head pose from the mesh's own 3-D shape: a head frame whose x axis runs from the subject's
/// right to left ([`SYMMETRIC_PAIRS`]) and whose y axis runs down the midline
/// ([`MIDLINE_UPPER`] → [`MIDLINE_LOWER`]), made orthogonal. For a face looking straight into the
/// lens both lie in the picture plane and all three angles are zero. The same definition is
/// applied to MediaPipe's own landmarks in `tools/reference/mediapipe_reference.py`, so the tests
/// compare like with like.
pub fn head_pose(mesh: &[Point3]) -> HeadPose {
    let p = |i: usize| [mesh[i].x, mesh[i].y, mesh[i].z];
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let add = |a: [f32; 3], b: [f32; 3]| [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let norm = |a: [f32; 3]| {
        let n = dot(a, a).sqrt().max(1e-9);
        [a[0] / n, a[1] / n, a[2] / n]
    };
    let mean = |idx: &[usize]| {
        let s = idx.iter().fold([0.0; 3], |acc, &i| add(acc, p(i)));
        let n = idx.len() as f32;
        [s[0] / n, s[1] / n, s[2] / n]
    };
    let cross = |a: [f32; 3], b: [f32; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let x = norm(
        SYMMETRIC_PAIRS
            .iter()
            .fold([0.0; 3], |acc, &(r, l)| add(acc, sub(p(l), p(r)))),
    );
    let down = sub(mean(&MIDLINE_LOWER), mean(&MIDLINE_UPPER));
    let d = dot(down, x);
    let y = norm([down[0] - d * x[0], down[1] - d * x[1], down[2] - d * x[2]]);
    let z = cross(x, y); // points into the head, away from the camera for a frontal face
    let forward = [-z[0], -z[1], -z[2]]; // where the nose points
    let yaw = forward[0].atan2(-forward[2]);
    let pitch = (-forward[1]).atan2((forward[0] * forward[0] + forward[2] * forward[2]).sqrt());
    let roll = x[1].atan2(x[0]);
    HeadPose {
        yaw: yaw.to_degrees(),
        pitch: pitch.to_degrees(),
        roll: roll.to_degrees(),
    }
}
