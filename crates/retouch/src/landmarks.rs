//! The face's landmarks in a headshot's pixels, and the regions derived from them.

use trueshot_geom::{Affine, Point};
use trueshot_vision::{mesh, Face};

/// Mesh indices of the outer lip line (MediaPipe face-mesh topology).
pub const LIPS: [usize; 20] = [
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
];
/// The subject's right eye opening (left in the picture), lower lid first, corner to corner.
pub const RIGHT_EYE: [usize; 16] = [
    33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
];
/// The subject's left eye opening, lower lid first.
pub const LEFT_EYE: [usize; 16] = [
    263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
];
/// Eyebrows, upper edge then lower edge.
pub const RIGHT_BROW: [usize; 10] = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
pub const LEFT_BROW: [usize; 10] = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
/// Centre of the forehead.
pub const FOREHEAD: usize = 151;

/// One face's landmarks in the pixels of one picture (a headshot, or the photo itself).
#[derive(Clone, Debug)]
pub struct Landmarks {
    /// The 468 mesh points.
    pub mesh: Vec<Point>,
    /// Iris centres (subject's right, left).
    pub iris: [Point; 2],
    /// Iris radii in pixels.
    pub iris_radius: [f32; 2],
}

impl Landmarks {
    /// The landmarks of a face found in a photo, carried into a picture made from the photo by
    /// `photo_to_picture` (a headshot's framing).
    pub fn from_face(face: &Face, photo_to_picture: &Affine) -> Landmarks {
        let s = photo_to_picture.scale();
        Landmarks {
            mesh: face
                .mesh
                .iter()
                .map(|p| photo_to_picture.apply(p.xy()))
                .collect(),
            iris: [
                photo_to_picture.apply(face.right_eye.iris_center),
                photo_to_picture.apply(face.left_eye.iris_center),
            ],
            iris_radius: [
                face.right_eye.iris_radius * s,
                face.left_eye.iris_radius * s,
            ],
        }
    }

    pub fn point(&self, i: usize) -> Point {
        self.mesh[i]
    }

    /// Distance between the iris centres: the unit every size below is given in.
    pub fn eye_distance(&self) -> f32 {
        self.iris[0].distance(self.iris[1]).max(1.0)
    }

    /// Pixel box `[x0, y0, x1, y1)` around the face outline, enlarged by `margin` eye distances
    /// and clipped to a `w × h` picture; `None` when it is empty.
    pub fn face_box(&self, margin: f32, w: usize, h: usize) -> Option<[usize; 4]> {
        let m = margin * self.eye_distance();
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &i in &mesh::FACE_OVAL {
            let p = self.mesh[i];
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        let b = [
            (x0 - m).floor().max(0.0) as usize,
            (y0 - m).floor().max(0.0) as usize,
            ((x1 + m).ceil().max(0.0) as usize).min(w),
            ((y1 + m).ceil().max(0.0) as usize).min(h),
        ];
        (b[0] + 8 < b[2] && b[1] + 8 < b[3]).then_some(b)
    }
}
