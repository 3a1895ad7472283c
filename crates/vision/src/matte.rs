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
//! tract fixes shapes at load, so there is one plan per input size: 416×512 (portrait), 512×512
//! and 512×416 (landscape), loaded on first use. A region of another aspect is stretched to the
//! nearest of the three (by at most about 12 %), and the alpha is mapped back with the same
//! stretch.

use std::sync::{Arc, Mutex};

use trueshot_geom::Affine;

use crate::models::ModelStore;
use crate::net::Net;
use crate::{PhotoView, VisionError};

/// The input sizes (width, height) the matting net is run at.
const SIZES: [(usize, usize); 3] = [(416, 512), (512, 512), (512, 416)];

/// Robust Video Matting, loaded per input size on first use and shared between threads.
pub struct Matting {
    store: ModelStore,
    plans: Mutex<Vec<Option<Arc<Net>>>>,
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
    /// Checks that the model is in the cache; the plans themselves load on first use (about
    /// 0.3 s each).
    pub fn load(store: &ModelStore) -> Result<Matting, VisionError> {
        let spec = crate::Manifest::builtin()
            .model("rvm")
            .ok_or_else(|| VisionError::Internal("model rvm is not in the manifest".into()))?;
        // Verify now, so that a missing model is reported before any photo is touched.
        store.read_verified(spec)?;
        Ok(Matting {
            store: store.clone(),
            plans: Mutex::new(vec![None; SIZES.len()]),
        })
    }

    fn plan(&self, i: usize) -> Result<Arc<Net>, VisionError> {
        if let Some(p) = &self.plans.lock().map_err(poisoned)?[i] {
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
        self.plans.lock().map_err(poisoned)?[i] = Some(net.clone());
        Ok(net)
    }

    /// Loads the plan that [`Matting::matte`] will use for `rect` (about 0.3 s the first time
    /// for each of the three input shapes; nothing afterwards), so that timing `matte` measures
    /// the matting alone.
    pub fn prepare(&self, rect: [f32; 4]) -> Result<(), VisionError> {
        self.plan(nearest(rect)).map(|_| ())
    }

    /// The alpha matte of the photo rectangle `[x0, x1) × [y0, y1)` (photo pixels; it should lie
    /// inside the photo: outside it the net sees black).
    pub fn matte(&self, view: &PhotoView, rect: [f32; 4]) -> Result<Matte, VisionError> {
        let [x0, y0, x1, y1] = rect;
        let (rw, rh) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
        let i = nearest(rect);
        let (w, h) = SIZES[i];
        let net = self.plan(i)?;
        let to_photo = Affine::scale_translate(rw / w as f32, rh / h as f32, x0, y0);
        let to_analysis =
            Affine::scale_translate(view.scale, view.scale, 0.0, 0.0).then_after(&to_photo);
        let input = view.sample(&to_analysis, w, h, 0.0, 1.0);
        let out = net.run(input)?;
        let alpha = out
            .into_iter()
            .next()
            .map(|o| o.values)
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

fn poisoned<T>(_: std::sync::PoisonError<T>) -> VisionError {
    VisionError::Internal("matting plan cache poisoned".into())
}
