//! One ONNX model loaded into tract with a fixed input shape, optimised once, run many times.

use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::models::{Manifest, ModelStore};
use crate::VisionError;

/// A loaded, optimised network with a fixed NHWC input shape.
pub(crate) struct Net {
    pub id: &'static str,
    plan: Arc<TypedRunnableModel>,
    pub input_shape: [usize; 4],
}

/// An output tensor's values, copied out of tract (outputs are told apart by their size).
pub(crate) struct Output {
    pub values: Vec<f32>,
}

impl Net {
    /// Loads a model for one input shape. `outputs` keeps only the named outputs, so that tract
    /// drops the branches that compute the others (`None`: all outputs).
    pub fn load(
        store: &ModelStore,
        id: &'static str,
        input_shape: [usize; 4],
        outputs: Option<&[&str]>,
    ) -> Result<Net, VisionError> {
        let spec = Manifest::builtin()
            .model(id)
            .ok_or_else(|| VisionError::Internal(format!("model {id} is not in the manifest")))?;
        let bytes = store.read_verified(spec)?;
        let fail = |e: TractError| VisionError::ModelDamaged {
            id: id.to_string(),
            reason: format!("tract cannot load it: {e:#}"),
        };
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .and_then(|m| match outputs {
                Some(names) => m.with_outputs_by_name(names),
                None => Ok(m),
            })
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(fail)?;
        Ok(Net {
            id,
            plan,
            input_shape,
        })
    }

    /// Runs the net on one NHWC input; returns every output in the model's order.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, VisionError> {
        let fail = |e: TractError| VisionError::Inference {
            model: self.id,
            reason: format!("{e:#}"),
        };
        let tensor = Tensor::from_shape(&self.input_shape, &input).map_err(fail)?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(fail)?;
        outputs
            .iter()
            .map(|o| {
                let view = o.to_plain_array_view::<f32>().map_err(fail)?;
                Ok(Output {
                    values: view.iter().copied().collect(),
                })
            })
            .collect()
    }
}
