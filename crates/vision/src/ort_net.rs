//! A net run by ONNX Runtime (the CPU library `trueshot models fetch` takes out of the pinned
//! `onnxruntime` wheel, loaded at run time), one thread per run, with a pool of sessions so
//! that parallel workers never wait for each other. Every net runs on it when the library is
//! fetched (about twice as fast as tract); tract runs them when it is absent.

use std::sync::Mutex;

use crate::models::{Manifest, ModelStore};
use crate::net::{Net, Output};
use crate::VisionError;

/// The process-wide ONNX Runtime environment, when the library is in the cache (checked against
/// its lock file) and loads; `None` otherwise (tract is used).
pub(crate) fn environment(store: &ModelStore) -> Option<ort::environment::Environment> {
    static ENV: std::sync::OnceLock<Option<ort::environment::Environment>> =
        std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let spec = Manifest::builtin().model("onnxruntime")?;
        store.read_verified(spec).ok()?;
        let path = store.model_path(spec);
        match ort::init_from(&path).map(|b| b.with_telemetry(false).build()) {
            Ok(Ok(env)) => Some(env),
            Ok(Err(e)) => {
                tracing::warn!("ONNX Runtime did not start ({e}); tract runs every net");
                None
            }
            Err(e) => {
                tracing::warn!("cannot load {} ({e}); tract runs every net", path.display());
                None
            }
        }
    })
    .clone()
}

pub(crate) fn fail(e: impl std::fmt::Display) -> VisionError {
    VisionError::Internal(format!("ONNX Runtime: {e}"))
}

pub(crate) fn poisoned<T>(_: std::sync::PoisonError<T>) -> VisionError {
    VisionError::Internal("ONNX Runtime session pool poisoned".into())
}

/// A new session on one thread, without the CPU arena (memory goes back after each run; a
/// session otherwise keeps its peak for the life of the batch, per worker).
pub(crate) fn session(
    environment: &ort::environment::Environment,
    model: &[u8],
) -> Result<ort::session::Session, VisionError> {
    ort::session::Session::builder(environment)
        .map_err(fail)?
        .with_intra_threads(1)
        .map_err(fail)?
        .with_inter_threads(1)
        .map_err(fail)?
        .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(false).build()])
        .map_err(fail)?
        .with_memory_pattern(false)
        .map_err(fail)?
        .commit_from_memory(model)
        .map_err(fail)
}

/// A single-input net with a fixed NHWC input shape on ONNX Runtime.
pub(crate) struct OrtNet {
    id: &'static str,
    environment: ort::environment::Environment,
    model: Vec<u8>,
    input_shape: [usize; 4],
    idle: Mutex<Vec<ort::session::Session>>,
}

impl OrtNet {
    /// `None` when ONNX Runtime is not available.
    pub fn load(
        store: &ModelStore,
        id: &'static str,
        input_shape: [usize; 4],
    ) -> Option<Result<OrtNet, VisionError>> {
        let environment = environment(store)?;
        let load = || {
            let spec = Manifest::builtin().model(id).ok_or_else(|| {
                VisionError::Internal(format!("model {id} is not in the manifest"))
            })?;
            let model = store.read_verified(spec)?;
            // One session now: a model ONNX Runtime cannot take is reported at load time.
            let first = session(&environment, &model)?;
            Ok(OrtNet {
                id,
                environment: environment.clone(),
                model,
                input_shape,
                idle: Mutex::new(vec![first]),
            })
        };
        Some(load())
    }

    /// Runs the net on one NHWC input; returns every output in the model's order.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, VisionError> {
        let taken = self.idle.lock().map_err(poisoned)?.pop();
        let mut s = match taken {
            Some(s) => s,
            None => session(&self.environment, &self.model)?,
        };
        let result = (|| {
            let name = s
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .ok_or_else(|| VisionError::Internal(format!("{}: no input", self.id)))?;
            let tensor = ort::value::Tensor::from_array((self.input_shape, input)).map_err(fail)?;
            let outputs = s.run(ort::inputs![name.as_str() => tensor]).map_err(fail)?;
            (0..outputs.len())
                .map(|i| {
                    let (_, data) = outputs[i].try_extract_tensor::<f32>().map_err(fail)?;
                    Ok(Output {
                        values: data.to_vec(),
                    })
                })
                .collect::<Result<Vec<_>, VisionError>>()
        })();
        self.idle.lock().map_err(poisoned)?.push(s);
        result
    }
}

/// Which runtime runs a net: ONNX Runtime when its library is in the cache (about twice as fast
/// on these nets), else tract. Tests check that both give the same answers.
pub(crate) enum Engine {
    Tract(Net),
    Ort(OrtNet),
}

impl Engine {
    pub fn load(
        store: &ModelStore,
        id: &'static str,
        shape: [usize; 4],
        allow_ort: bool,
    ) -> Result<Engine, VisionError> {
        if allow_ort {
            if let Some(net) = OrtNet::load(store, id, shape) {
                return net.map(Engine::Ort);
            }
        }
        Net::load(store, id, shape).map(Engine::Tract)
    }

    /// Runs the net on one NHWC input; returns every output in the model's order.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, VisionError> {
        match self {
            Engine::Tract(n) => n.run(input),
            Engine::Ort(n) => n.run(input),
        }
    }

    pub fn id(&self) -> &'static str {
        match self {
            Engine::Tract(n) => n.id,
            Engine::Ort(n) => n.id,
        }
    }

    /// "onnxruntime 1.31.1" or "tract".
    pub fn runtime(&self) -> &'static str {
        match self {
            Engine::Tract(_) => "tract",
            Engine::Ort(_) => "onnxruntime 1.31.1",
        }
    }
}
