//! Perception: where the faces, eyes, chin and shoulders are, from MediaPipe's nets run on the
//! CPU by tract.
//!
//! [`Perception::load`] reads the converted models from a [`ModelStore`] and optimises each for
//! its fixed input shape once; [`Perception::perceive`] then runs on any number of photos, from
//! any number of threads (`&self`, `Send + Sync`). A photo goes through:
//!
//! 1. a [`PhotoView`]: the analysis copy (long side ≤ 1600 px) with a box-filtered pyramid;
//! 2. face detection: short-range and full-range BlazeFace on letterboxed copies, merged;
//! 3. for every face, the 468-point mesh on a levelled crop and the iris model on each eye;
//!    head pose from the mesh's 3-D shape;
//! 4. for the main subject (largest face), the 33 body joints.
//!
//! Every coordinate in the returned [`Scene`] is in pixels of the upright full-size photo.

mod body;
mod detect;
mod face;
pub mod identity;
mod matte;
pub mod models;
mod net;
mod ort_net;
mod segment;
mod view;

use std::path::PathBuf;

use ort_net::Engine;

use serde::Serialize;

pub use body::{joint, Body, Joint};
pub use detect::Detection;
pub use face::{head_pose, mesh, Eye, Face, HeadPose, Point3};
pub use identity::{identity_distance, FaceNets, FacePoints};
pub use matte::{Matte, Matting, MattingRuntime};
pub use models::{Manifest, ModelStatus, ModelStore};
pub use segment::CrownSource;
pub use view::{resize, PhotoView, ANALYSIS_LONG_SIDE};

/// Errors of the perception stage. None of them is the photo's fault: a photo without faces is a
/// result, not an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisionError {
    #[error("model {id} is missing from {}: run `trueshot models fetch`", dir.display())]
    ModelMissing { id: String, dir: PathBuf },
    #[error("model {id} is unusable ({reason}): run `trueshot models fetch` again")]
    ModelDamaged { id: String, reason: String },
    #[error("{model} failed: {reason}")]
    Inference { model: &'static str, reason: String },
    #[error("internal error in perception: {0}")]
    Internal(String),
}

impl VisionError {
    pub fn is_input_fault(&self) -> bool {
        false
    }
}

/// What perception found in one photo.
#[derive(Clone, Debug, Serialize)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    /// The main subject (largest, most central: [`main_subject`]) first, then by size.
    pub faces: Vec<Face>,
    /// Body of the main subject (the first face), when the pose net found one.
    pub body: Option<Body>,
}

/// A face at least this fraction of the picture's long side makes it a close-up: no tiled search.
pub const CLOSE_UP_FACE: f32 = 0.15;
/// Side of a detection tile, in analysis pixels.
const TILE: f32 = 480.0;

/// Top-left corners of overlapping tiles (a quarter overlap) covering the picture.
fn tile_origins(w: f32, h: f32) -> Vec<(f32, f32)> {
    let starts = |len: f32| -> Vec<f32> {
        if len <= TILE {
            return vec![0.0];
        }
        let n = ((len - TILE) / (TILE * 0.75)).ceil() as usize + 1;
        (0..n)
            .map(|i| (len - TILE) * i as f32 / (n - 1) as f32)
            .collect()
    };
    let ys = starts(h);
    starts(w)
        .into_iter()
        .flat_map(|x| ys.iter().map(move |&y| (x, y)))
        .collect()
}

/// All perception models, loaded and optimised once.
pub struct Perception {
    short: detect::Detector,
    full: detect::Detector,
    face: face::FaceModels,
    body: body::BodyModel,
    segmenter: segment::Segmenter,
}

/// What to run; detection alone is enough to count faces.
#[derive(Clone, Copy, Debug)]
pub struct PerceiveOptions {
    /// Run the body model on the main subject.
    pub body: bool,
    /// Run mesh and iris on at most this many faces, largest first; smaller ones are dropped.
    pub max_faces: usize,
    /// Search overlapping tiles for small, distant faces when the picture is not a close-up
    /// (see [`Perception::detect`]). Off for live video frames, where only the person in front
    /// of the camera matters and every millisecond counts.
    pub far_faces: bool,
    /// Measure the main face's crown (top of the hair) on a person mask (~20 ms): needed for
    /// ID-photo head sizes; other framings use the eyes and chin only.
    pub crown: bool,
}

impl Default for PerceiveOptions {
    fn default() -> Self {
        PerceiveOptions {
            body: true,
            max_faces: 16,
            far_faces: true,
            crown: false,
        }
    }
}

impl Perception {
    /// Loads every perception net: on ONNX Runtime when its library is in the cache, else on
    /// tract.
    pub fn load(store: &ModelStore) -> Result<Perception, VisionError> {
        Self::load_with(store, true)
    }

    /// As [`Perception::load`], all on tract when `allow_ort` is false.
    pub fn load_with(store: &ModelStore, allow_ort: bool) -> Result<Perception, VisionError> {
        let engine =
            |id: &'static str, side: usize| Engine::load(store, id, [1, side, side, 3], allow_ort);
        Ok(Perception {
            short: detect::Detector::short_range(engine("face_detection_short", 128)?),
            full: detect::Detector::full_range(engine("face_detection_full", 192)?),
            face: face::FaceModels {
                mesh: engine("face_landmark", 192)?,
                iris: engine("iris_landmark", 64)?,
            },
            segmenter: segment::Segmenter {
                net: engine("selfie_segmentation", 256)?,
            },
            body: body::BodyModel {
                net: engine("pose_landmark_full", 256)?,
            },
        })
    }

    /// The runtime of the face nets ("onnxruntime 1.31.1" or "tract").
    pub fn runtime(&self) -> &'static str {
        self.face.mesh.runtime()
    }

    /// Face detections in analysis pixels, both nets merged, best first.
    ///
    /// Both nets see the whole picture shrunk to 128 or 192 pixels, where a face smaller than
    /// about a twentieth of the picture's long side vanishes. Unless the picture is a close-up
    /// (a face at least [`CLOSE_UP_FACE`] of the long side), the full-range net also runs on
    /// overlapping tiles, which finds the people standing farther back in a group photo or a
    /// full-length shot.
    pub fn detect(&self, view: &PhotoView, far_faces: bool) -> Result<Vec<Detection>, VisionError> {
        let mut all = Vec::new();
        for det in [&self.short, &self.full] {
            let (tensor, to_analysis) = view.letterbox(det.side(), -1.0, 1.0)?;
            all.extend(det.detect(tensor, &to_analysis)?);
        }
        let img = view.analysis();
        let long = img.width().max(img.height()) as f32;
        let close_up = all.iter().any(|d| d.bbox.w >= CLOSE_UP_FACE * long);
        if far_faces && !close_up && long > 2.0 * TILE {
            let side = self.full.side();
            for (x, y) in tile_origins(img.width() as f32, img.height() as f32) {
                let s = TILE / side as f32;
                let to_analysis = trueshot_geom::Affine::scale_translate(s, s, x, y);
                all.extend(self.full.detect(
                    view.sample(&to_analysis, side, side, -1.0, 1.0),
                    &to_analysis,
                )?);
            }
        }
        Ok(detect::weighted_nms(all, 0.3))
    }

    pub fn perceive(
        &self,
        view: &PhotoView,
        options: &PerceiveOptions,
    ) -> Result<Scene, VisionError> {
        let mut dets = self.detect(view, options.far_faces)?;
        dets.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        let mut faces = Vec::new();
        for det in dets.iter().take(options.max_faces) {
            if let Some(face) = self.face.analyse(view, det)? {
                faces.push(face);
            }
        }
        faces.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        // The main subject goes first: the largest, most central face.
        if let Some(main) = main_subject(&faces, view.width, view.height) {
            let face = faces.remove(main);
            faces.insert(0, face);
        }
        if options.crown {
            if let Some(main) = faces.first_mut() {
                let (distance, source) = self.segmenter.eye_to_crown(view, main)?;
                main.crown_distance = Some(distance);
                main.crown_source = Some(source);
            }
        }
        let body = match (options.body, faces.first()) {
            (true, Some(main)) => self.body.analyse(view, main)?,
            _ => None,
        };
        Ok(Scene {
            width: view.width,
            height: view.height,
            faces,
            body,
        })
    }
}

/// The main subject among faces: the largest, most central one. Size counts most; a face at a
/// corner weighs half as much as the same face in the middle.
pub fn main_subject(faces: &[Face], width: u32, height: u32) -> Option<usize> {
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let half_diagonal = cx.hypot(cy).max(1.0);
    let weight = |f: &Face| {
        let c = f.bbox.center();
        let off = (c.x - cx).hypot(c.y - cy) / half_diagonal;
        f.bbox.w * (1.0 - 0.5 * off.min(1.0))
    };
    (0..faces.len()).max_by(|&a, &b| weight(&faces[a]).total_cmp(&weight(&faces[b])))
}
