//! The matting net gives the same alpha on both runtimes: ONNX Runtime (from the library
//! `trueshot models fetch` puts in the cache) and tract, on real photos. The models must be
//! fetched first (`scripts/test` does).

use std::path::Path;

use trueshot_codec::{decode_file, Limits};
use trueshot_vision::{Matting, MattingRuntime, ModelStore, PhotoView};

#[test]
fn onnx_runtime_and_tract_give_the_same_alpha() {
    let store = ModelStore::new(ModelStore::default_dir());
    let ort = Matting::load(&store).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ort.runtime(),
        MattingRuntime::OnnxRuntime,
        "ONNX Runtime is in the cache after `trueshot models fetch`"
    );
    let tract = Matting::load_with(&store, false).unwrap();
    assert_eq!(tract.runtime(), MattingRuntime::Tract);
    for (name, rect) in [
        ("obama.jpg", [0.0, 0.0, 910.0, 1137.0]),
        ("grace_hopper.jpg", [0.0, 0.0, 512.0, 600.0]),
        ("biden.jpg", [60.0, 0.0, 930.0, 900.0]),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../photos/samples")
            .join(name);
        let photo = decode_file(&path, &Limits::default()).unwrap();
        let view = PhotoView::new(&photo.image).unwrap();
        let a = ort.matte(&view, rect).unwrap();
        let b = tract.matte(&view, rect).unwrap();
        assert_eq!((a.width, a.height), (b.width, b.height));
        let diff: Vec<f32> = a
            .alpha
            .iter()
            .zip(&b.alpha)
            .map(|(x, y)| (x - y).abs())
            .collect();
        let max = diff.iter().copied().fold(0.0f32, f32::max);
        let mean = diff.iter().sum::<f32>() / diff.len() as f32;
        let person = a.alpha.iter().filter(|&&v| v > 0.5).count() as f32 / a.alpha.len() as f32;
        eprintln!("{name}: max |Δα| {max:.2e}, mean {mean:.2e}, person {person:.2}");
        assert!(max < 5e-3 && mean < 1e-4, "{name}: max {max}, mean {mean}");
        assert!(person > 0.2, "{name}: the person is found");
    }
}
