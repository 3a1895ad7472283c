//! The person's alpha matte on the framed region, from Robust Video Matting (RVM).
//!
//! RVM is a recurrent net made for video; on a single photo its state inputs are zeros. Its
//! MobileNetV3 backbone runs at half the input size and its deep guided filter refines the
//! result back up to the input size (the `downsample_ratio` 0.5 is baked into the ONNX file by
//! `models/convert.py`). The input is the axis-aligned part of the photo that the headshots
//! show, sampled to at most 512 pixels on the long side: enough for the net to separate the
//! person from a busy background. Edge detail at output resolution comes later, from a guided
//! filter on the rendered headshot (crate `trueshot-matte`).
//!
//! The input is one of three sizes: 416×512 (portrait), 512×512 and 512×416 (landscape). A region
//! of another aspect is stretched to the nearest of the three (by at most about 12 %), and the
//! alpha is mapped back with the same stretch.
//!
//! Two runtimes: ONNX Runtime when `trueshot models fetch` has put its library in the cache (the
//! CPU build from the pinned PyPI wheel, loaded at run time, one thread per run, a session per
//! worker kept in a pool), about twice as fast as tract on this net; otherwise tract, with one
//! plan per input size (tract fixes shapes at load) loaded on first use. Both run the same ONNX
//! file; a test checks that their alphas agree.

use std::sync::{Arc, Mutex};

use trueshot_geom::Affine;

use crate::models::ModelStore;
use crate::net::Net;
use crate::{PhotoView, VisionError};

/// The input sizes (width, height) the matting net is run at.
const SIZES: [(usize, usize); 3] = [(416, 512), (512, 512), (512, 416)];

/// Robust Video Matting, shared between threads.
pub struct Matting {
    store: ModelStore,
    backend: Backend,
}

enum Backend {
    /// One plan per input size, loaded on first use.
    Tract(Mutex<Vec<Option<Arc<Net>>>>),
    /// Sessions not in use (a worker takes one, or makes one, and puts it back).
    Ort {
        environment: ort::environment::Environment,
        model: Vec<u8>,
        idle: Mutex<Vec<ort::session::Session>>,
    },
}

/// Which runtime runs the matting net.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MattingRuntime {
    Tract,
    OnnxRuntime,
}

impl MattingRuntime {
    pub fn as_str(self) -> &'static str {
        match self {
            MattingRuntime::Tract => "tract",
            MattingRuntime::OnnxRuntime => "onnxruntime 1.31.1",
        }
    }
}

/// An alpha matte of part of a photo.
#[derive(Clone, Debug)]
pub struct Matte {
    pub width: usize,
    pub height: usize,
    /// Row-major, 0 (background) to 1 (person).
    pub alpha: Vec<f32>,
    /// From matte coordinates to photo coordinates, both continuous (pixel `(u, v)` covers
    /// `[u, u+1) × [v, v+1)`; its centre is at `+0.5`).
    pub to_photo: Affine,
}

impl Matting {
    /// Checks that the model is in the cache and picks the runtime: ONNX Runtime when its
    /// library is in the cache and loads, else tract (tract's plans load on first use, about
    /// 0.3 s each).
    pub fn load(store: &ModelStore) -> Result<Matting, VisionError> {
        Self::load_with(store, true)
    }

    /// As [`Matting::load`], with tract whatever is in the cache when `allow_ort` is false.
    pub fn load_with(store: &ModelStore, allow_ort: bool) -> Result<Matting, VisionError> {
        let spec = crate::Manifest::builtin()
            .model("rvm")
            .ok_or_else(|| VisionError::Internal("model rvm is not in the manifest".into()))?;
        // Verify now, so that a missing model is reported before any photo is touched.
        let model = store.read_verified(spec)?;
        let ort = if allow_ort {
            crate::ort_net::environment(store)
        } else {
            None
        };
        let backend = match ort {
            Some(environment) => Backend::Ort {
                environment,
                model,
                idle: Mutex::new(Vec::new()),
            },
            None => Backend::Tract(Mutex::new(vec![None; SIZES.len()])),
        };
        Ok(Matting {
            store: store.clone(),
            backend,
        })
    }

    /// The runtime in use.
    pub fn runtime(&self) -> MattingRuntime {
        match self.backend {
            Backend::Tract(_) => MattingRuntime::Tract,
            Backend::Ort { .. } => MattingRuntime::OnnxRuntime,
        }
    }

    fn plan(&self, i: usize) -> Result<Arc<Net>, VisionError> {
        let Backend::Tract(plans) = &self.backend else {
            return Err(VisionError::Internal(
                "tract plan asked of ONNX Runtime".into(),
            ));
        };
        if let Some(p) = &plans.lock().map_err(poisoned)?[i] {
            return Ok(p.clone());
        }
        // Loading takes a while: do it without holding the lock (two threads may both load the
        // same plan once; the second simply replaces the first).
        let (w, h) = SIZES[i];
        let net = Arc::new(Net::load_stateless(
            &self.store,
            "rvm",
            "src",
            [1, h, w, 3],
            &["pha"],
        )?);
        plans.lock().map_err(poisoned)?[i] = Some(net.clone());
        Ok(net)
    }

    /// A new ONNX Runtime session on one thread (about 0.2 s).
    fn ort_session(&self) -> Result<ort::session::Session, VisionError> {
        let Backend::Ort {
            environment, model, ..
        } = &self.backend
        else {
            return Err(VisionError::Internal("ONNX Runtime asked of tract".into()));
        };
        crate::ort_net::session(environment, model)
    }

    /// Runs the net on one NHWC input of `w × h` with ONNX Runtime.
    fn run_ort(&self, input: Vec<f32>, w: usize, h: usize) -> Result<Vec<f32>, VisionError> {
        let Backend::Ort { idle, .. } = &self.backend else {
            return Err(VisionError::Internal("ONNX Runtime asked of tract".into()));
        };
        let taken = idle.lock().map_err(poisoned)?.pop();
        let mut session = match taken {
            Some(s) => s,
            None => self.ort_session()?,
        };
        let zero = || ort::value::Tensor::from_array(([1usize, 1, 1, 1], vec![0.0f32]));
        let alpha = {
            let inputs = ort::inputs![
                "src" => ort::value::Tensor::from_array(([1usize, h, w, 3], input)).map_err(fail)?,
                "r1i:0" => zero().map_err(fail)?,
                "r2i:0" => zero().map_err(fail)?,
                "r3i:0" => zero().map_err(fail)?,
                "r4i:0" => zero().map_err(fail)?,
            ];
            let outputs = session.run(inputs).map_err(fail)?;
            let (_, data) = outputs["pha"].try_extract_tensor::<f32>().map_err(fail)?;
            data.to_vec()
        };
        idle.lock().map_err(poisoned)?.push(session);
        Ok(alpha)
    }

    /// Loads the plan that [`Matting::matte`] will use for `rect` (about 0.3 s the first time
    /// for each of the three input shapes; nothing afterwards), so that timing `matte` measures
    /// the matting alone.
    pub fn prepare(&self, rect: [f32; 4]) -> Result<(), VisionError> {
        match &self.backend {
            Backend::Tract(_) => self.plan(nearest(rect)).map(|_| ()),
            Backend::Ort { idle, .. } => {
                if idle.lock().map_err(poisoned)?.is_empty() {
                    let session = self.ort_session()?;
                    idle.lock().map_err(poisoned)?.push(session);
                }
                Ok(())
            }
        }
    }

    /// The alpha matte of the photo rectangle `[x0, x1) × [y0, y1)` (photo pixels; it should lie
    /// inside the photo: outside it the net sees black).
    pub fn matte(&self, view: &PhotoView, rect: [f32; 4]) -> Result<Matte, VisionError> {
        let [x0, y0, x1, y1] = rect;
        let (rw, rh) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
        let i = nearest(rect);
        let (w, h) = SIZES[i];

        let to_photo = Affine::scale_translate(rw / w as f32, rh / h as f32, x0, y0);
        let to_analysis =
            Affine::scale_translate(view.scale, view.scale, 0.0, 0.0).then_after(&to_photo);
        let input = view.sample(&to_analysis, w, h, 0.0, 1.0);
        let alpha = match self.backend {
            Backend::Tract(_) => self
                .plan(i)?
                .run(input)?
                .into_iter()
                .next()
                .map(|o| o.values),
            Backend::Ort { .. } => Some(self.run_ort(input, w, h)?),
        }
        .filter(|a| a.len() == w * h)
        .ok_or_else(|| VisionError::Internal("matting output size".into()))?;
        Ok(Matte {
            width: w,
            height: h,
            alpha: alpha.into_iter().map(|a| a.clamp(0.0, 1.0)).collect(),
            to_photo,
        })
    }
}

/// The input size whose aspect is nearest to the rectangle's.
fn nearest(rect: [f32; 4]) -> usize {
    let aspect = (rect[2] - rect[0]).max(1.0) / (rect[3] - rect[1]).max(1.0);
    (0..SIZES.len())
        .min_by(|&a, &b| {
            let d = |k: usize| {
                ((SIZES[k].0 as f32 / SIZES[k].1 as f32) / aspect)
                    .ln()
                    .abs()
            };
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(1)
}

fn fail(e: impl std::fmt::Display) -> VisionError {
    VisionError::Inference {
        model: "rvm",
        reason: format!("ONNX Runtime: {e}"),
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> VisionError {
    VisionError::Internal("matting plan cache poisoned".into())
}
