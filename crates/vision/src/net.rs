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
    /// Position of the image among the model's inputs, and the other inputs' constant values.
    image_at: usize,
    others: Vec<Tensor>,
}

/// An output tensor's values, copied out of tract (outputs are told apart by their size).
pub(crate) struct Output {
    pub values: Vec<f32>,
}

impl Net {
    /// Loads a model for one input shape, with all its outputs (a net whose unused outputs cost
    /// time is cut down when it is converted: `outputs` in the manifest).
    pub fn load(
        store: &ModelStore,
        id: &'static str,
        input_shape: [usize; 4],
    ) -> Result<Net, VisionError> {
        let spec = Manifest::builtin()
            .model(id)
            .ok_or_else(|| VisionError::Internal(format!("model {id} is not in the manifest")))?;
        Self::load_inner(store, spec, id, input_shape, None, None)
    }

    /// Loads a recurrent model (Robust Video Matting) for single images: the input named
    /// `image` gets `input_shape`, every other input is a state tensor fed as a zero of shape
    /// `[1, 1, 1, 1]` (the net broadcasts it: no memory of earlier frames).
    pub fn load_stateless(
        store: &ModelStore,
        id: &'static str,
        image: &str,
        input_shape: [usize; 4],
        outputs: &[&str],
    ) -> Result<Net, VisionError> {
        let spec = Manifest::builtin()
            .model(id)
            .ok_or_else(|| VisionError::Internal(format!("model {id} is not in the manifest")))?;
        Self::load_inner(store, spec, id, input_shape, Some(image), Some(outputs))
    }

    fn load_inner(
        store: &ModelStore,
        spec: &crate::models::ModelSpec,
        id: &'static str,
        input_shape: [usize; 4],
        image: Option<&str>,
        outputs: Option<&[&str]>,
    ) -> Result<Net, VisionError> {
        let bytes = store.read_verified(spec)?;
        let fail = |e: TractError| VisionError::ModelDamaged {
            id: id.to_string(),
            reason: format!("tract cannot load it: {e:#}"),
        };
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(fail)?;
        let names: Vec<String> = model
            .input_outlets()
            .map_err(fail)?
            .iter()
            .map(|o| model.node(o.node).name.clone())
            .collect();
        let image_at =
            match image {
                None => 0,
                Some(name) => names.iter().position(|n| n == name).ok_or_else(|| {
                    VisionError::ModelDamaged {
                        id: id.to_string(),
                        reason: format!("it has no input named {name} (inputs: {names:?})"),
                    }
                })?,
            };
        let mut others = Vec::new();
        for i in 0..names.len() {
            if i == image_at {
                model
                    .set_input_fact(i, f32::fact(input_shape).into())
                    .map_err(fail)?;
            } else if image.is_some() {
                model
                    .set_input_fact(i, f32::fact([1usize, 1, 1, 1]).into())
                    .map_err(fail)?;
                others.push(Tensor::zero::<f32>(&[1, 1, 1, 1]).map_err(fail)?);
            }
        }
        let plan = Ok(model)
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
            image_at,
            others,
        })
    }

    /// Runs the net on one NHWC input; returns every output in the model's order.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, VisionError> {
        let fail = |e: TractError| VisionError::Inference {
            model: self.id,
            reason: format!("{e:#}"),
        };
        let tensor = Tensor::from_shape(&self.input_shape, &input).map_err(fail)?;
        let mut inputs: TVec<TValue> = self.others.iter().map(|t| t.clone().into()).collect();
        inputs.insert(self.image_at, tensor.into());
        let outputs = self.plan.run(inputs).map_err(fail)?;
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
