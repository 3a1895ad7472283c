//! Who the face is and how old it looks: a 128-D identity descriptor (face-api's port of dlib's
//! face-recognition ResNet) and an apparent-age estimate (HSE FaceRes, from human-models).
//!
//! Both nets see a crop aligned on the face's own landmarks. Verification compares what they
//! say about the original and about a retouched headshot: the descriptors' Euclidean distance
//! (dlib's scale: same person below 0.6) and the difference of the ages.

use image::RgbImage;
use trueshot_geom::{similarity_fit, Affine, Point};

use crate::face::mesh;
use crate::models::ModelStore;
use crate::ort_net::Engine;
use crate::view::PhotoView;
use crate::VisionError;

/// Side of the identity net's input.
pub const CHIP: usize = 150;
/// Side of the age net's input.
const AGE_SIDE: usize = 224;
/// Mean RGB the identity net subtracts (then divides by 255).
const CHIP_MEAN: [f32; 3] = [122.782, 117.001, 104.298];
/// BGR means the age net subtracts.
const AGE_MEAN_BGR: [f32; 3] = [103.939, 116.779, 123.68];

/// Where five landmarks sit in the identity net's 150-px chip: iris centres (subject's right,
/// left), nose tip and mouth corners (right, left). Calibrated on dlib's own 150-px chips
/// (`dlib.get_face_chip`, padding 0.25) of the six reference photos: the mean position of
/// MediaPipe's landmarks found on them (photos/reference/dlib-identity.json; see tools/reference/identity_chips.py), so the
/// net sees faces framed as it was trained on.
pub const CHIP_TEMPLATE: [[f32; 2]; 5] = [
    [46.3, 46.2],
    [100.0, 46.4],
    [75.0, 80.0],
    [49.0, 103.9],
    [99.8, 102.9],
];

/// The landmarks a crop is aligned on, in one picture's pixels.
#[derive(Clone, Copy, Debug)]
pub struct FacePoints {
    /// Iris centres (subject's right, left).
    pub iris: [Point; 2],
    pub nose_tip: Point,
    /// Mouth corners (subject's right, left).
    pub mouth: [Point; 2],
    /// Chin (lowest point of the mesh's outline) and the forehead top of the outline.
    pub chin: Point,
    pub forehead: Point,
    /// The age net's square crop: centre, side and rotation (radians, the eye line's angle).
    pub age_square: (Point, f32, f32),
}

impl FacePoints {
    /// The points of a perceived face: its mesh and iris centres.
    pub fn of(face: &crate::Face) -> FacePoints {
        let pts: Vec<Point> = face.mesh.iter().map(|p| p.xy()).collect();
        FacePoints::from_mesh(
            &pts,
            [face.right_eye.iris_center, face.left_eye.iris_center],
        )
    }

    pub fn from_mesh(mesh_pts: &[Point], iris: [Point; 2]) -> FacePoints {
        // The age crop: the mesh's box in the levelled frame, squared to 1.33 × its longer side
        // and moved down 3 % of the side (how Human crops for this net, levelled here so that
        // a levelled headshot and its original give the same crop).
        let angle = (iris[1].y - iris[0].y).atan2(iris[1].x - iris[0].x);
        let (c, s) = (angle.cos(), angle.sin());
        let level = |p: &Point| (p.x * c + p.y * s, -p.x * s + p.y * c);
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in mesh_pts {
            let (u, v) = level(p);
            x0 = x0.min(u);
            y0 = y0.min(v);
            x1 = x1.max(u);
            y1 = y1.max(v);
        }
        let side = 1.33 * (x1 - x0).max(y1 - y0);
        let (u, v) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0 + 0.03 * side);
        let center = Point::new(u * c - v * s, u * s + v * c);
        FacePoints {
            age_square: (center, side, angle),
            iris,
            nose_tip: mesh_pts[mesh::NOSE_TIP],
            mouth: [mesh_pts[mesh::MOUTH_RIGHT], mesh_pts[mesh::MOUTH_LEFT]],
            chin: mesh_pts[mesh::CHIN],
            forehead: mesh_pts[mesh::FOREHEAD_TOP],
        }
    }

    fn five(&self) -> [Point; 5] {
        [
            self.iris[0],
            self.iris[1],
            self.nose_tip,
            self.mouth[0],
            self.mouth[1],
        ]
    }
}

/// The identity and age nets, loaded once.
pub struct FaceNets {
    recognition: Engine,
    age: Engine,
}

impl FaceNets {
    pub fn load(store: &ModelStore) -> Result<FaceNets, VisionError> {
        Self::load_with(store, true)
    }

    /// As [`FaceNets::load`], on tract whatever is in the cache when `allow_ort` is false.
    pub fn load_with(store: &ModelStore, allow_ort: bool) -> Result<FaceNets, VisionError> {
        Ok(FaceNets {
            recognition: Engine::load(store, "face_recognition", [1, CHIP, CHIP, 3], allow_ort)?,
            age: Engine::load(store, "faceres", [1, AGE_SIDE, AGE_SIDE, 3], allow_ort)?,
        })
    }

    /// The runtime in use ("onnxruntime 1.31.1" or "tract").
    pub fn runtime(&self) -> &'static str {
        self.recognition.runtime()
    }

    /// The map from chip pixels to picture pixels for a face.
    pub fn chip_to_picture(points: &FacePoints) -> Option<Affine> {
        let template = CHIP_TEMPLATE.map(|[x, y]| Point::new(x, y));
        similarity_fit(&template, &points.five())
    }

    /// The 128-D descriptor of the face at `points` in `view`'s picture.
    pub fn descriptor(
        &self,
        view: &PhotoView,
        points: &FacePoints,
    ) -> Result<Vec<f32>, VisionError> {
        let to_picture = Self::chip_to_picture(points)
            .ok_or_else(|| VisionError::Internal("identity: degenerate landmarks".into()))?;
        let to_analysis = Affine::scale_translate(view.scale, view.scale, 0.0, 0.0)
            .then_after(&to_picture)
            .then_after(&Affine::scale_translate(1.0, 1.0, 0.5, 0.5));
        let mut x = view.sample(&to_analysis, CHIP, CHIP, 0.0, 255.0);
        self.descriptor_of(&mut x)
    }

    /// The descriptor of a ready-made 150×150 chip (dlib's `get_face_chip` output, for tests).
    pub fn descriptor_of_chip(&self, chip: &RgbImage) -> Result<Vec<f32>, VisionError> {
        if chip.width() as usize != CHIP || chip.height() as usize != CHIP {
            return Err(VisionError::Internal(format!(
                "identity: a chip is {CHIP}×{CHIP}"
            )));
        }
        let mut x: Vec<f32> = chip.as_raw().iter().map(|&v| f32::from(v)).collect();
        self.descriptor_of(&mut x)
    }

    fn descriptor_of(&self, x: &mut [f32]) -> Result<Vec<f32>, VisionError> {
        for px in x.chunks_exact_mut(3) {
            for c in 0..3 {
                px[c] = (px[c] - CHIP_MEAN[c]) / 255.0;
            }
        }
        let out = self.recognition.run(x.to_vec())?;
        out.into_iter()
            .find(|o| o.values.len() == 128)
            .map(|o| o.values)
            .ok_or_else(|| VisionError::Internal("face_recognition: no 128-value output".into()))
    }

    /// Apparent age in years of the face at `points`.
    pub fn age(&self, view: &PhotoView, points: &FacePoints) -> Result<f32, VisionError> {
        let to_picture = age_crop(points);
        let to_analysis = Affine::scale_translate(view.scale, view.scale, 0.0, 0.0)
            .then_after(&to_picture)
            .then_after(&Affine::scale_translate(1.0, 1.0, 0.5, 0.5));
        let mut x = view.sample(&to_analysis, AGE_SIDE, AGE_SIDE, 0.0, 255.0);
        // As the net was trained (HSE_FaceRec_tf): BGR, minus the ImageNet means.
        for px in x.chunks_exact_mut(3) {
            let (r, g, b) = (px[0], px[1], px[2]);
            px[0] = b - AGE_MEAN_BGR[0];
            px[1] = g - AGE_MEAN_BGR[1];
            px[2] = r - AGE_MEAN_BGR[2];
        }
        let out = self.age.run(x)?;
        let p = out
            .iter()
            .find(|o| o.values.len() == 100)
            .ok_or_else(|| VisionError::Internal("faceres: no 100-value output".into()))?;
        Ok(decode_age(&p.values))
    }
}

/// The map from the age net's input pixels to picture pixels.
fn age_crop(points: &FacePoints) -> Affine {
    let (center, side, angle) = points.age_square;
    let s = side / AGE_SIDE as f32;
    let (c, sn) = (angle.cos() * s, angle.sin() * s);
    let half = AGE_SIDE as f32 / 2.0;
    Affine {
        a: c,
        b: -sn,
        c: center.x - (c * half - sn * half),
        d: sn,
        e: c,
        f: center.y - (sn * half + c * half),
    }
}

/// Age from the net's 100 one-year bins (a softmax; bin 0 is age 1): the expected age, which
/// moves smoothly with the picture (the most likely bin jumps).
fn decode_age(p: &[f32]) -> f32 {
    let total: f32 = p.iter().map(|v| v.max(0.0)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    1.0 + p
        .iter()
        .enumerate()
        .map(|(i, v)| i as f32 * v.max(0.0))
        .sum::<f32>()
        / total
}

/// Euclidean distance between two descriptors (dlib's scale: below 0.6 is the same person).
pub fn identity_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}
