//! Perception gives the same answers on ONNX Runtime (from the library `trueshot models fetch`
//! puts in the cache) as on tract, on real photos: the same faces, mesh points and iris centres
//! and body joints within a tenth of a pixel, the same head pose and crown.

use std::path::Path;

use trueshot_codec::{decode_file, Limits};
use trueshot_vision::{ModelStore, PerceiveOptions, Perception, PhotoView};

#[test]
fn onnx_runtime_and_tract_perceive_the_same_faces() {
    let store = ModelStore::new(ModelStore::default_dir());
    let ort = Perception::load(&store).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ort.runtime(),
        "onnxruntime 1.31.1",
        "ONNX Runtime is in the cache after `trueshot models fetch`"
    );
    let tract = Perception::load_with(&store, false).unwrap();
    assert_eq!(tract.runtime(), "tract");
    let options = PerceiveOptions {
        crown: true,
        ..PerceiveOptions::default()
    };
    for rel in [
        "samples/obama.jpg",
        "samples/grace_hopper.jpg",
        "samples/astronaut.png",
        "test/situation_room.jpg",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../photos")
            .join(rel);
        let photo = decode_file(&path, &Limits::default()).unwrap();
        let view = PhotoView::new(&photo.image).unwrap();
        let a = ort.perceive(&view, &options).unwrap();
        let b = tract.perceive(&view, &options).unwrap();
        assert_eq!(a.faces.len(), b.faces.len(), "{rel}: faces");
        let mut worst = 0.0f32;
        for (fa, fb) in a.faces.iter().zip(&b.faces) {
            for (p, q) in fa.mesh.iter().zip(&fb.mesh) {
                worst = worst.max(p.xy().distance(q.xy()));
            }
            for (p, q) in [
                (fa.right_eye.iris_center, fb.right_eye.iris_center),
                (fa.left_eye.iris_center, fb.left_eye.iris_center),
            ] {
                worst = worst.max(p.distance(q));
            }
        }
        let (pa, pb) = (a.faces[0].pose, b.faces[0].pose);
        let pose = (pa.yaw - pb.yaw)
            .abs()
            .max((pa.pitch - pb.pitch).abs())
            .max((pa.roll - pb.roll).abs());
        let crown = (a.faces[0].crown_distance.unwrap() - b.faces[0].crown_distance.unwrap()).abs();
        // Body joints of the main subject.
        match (&a.body, &b.body) {
            (Some(ba), Some(bb)) => {
                for i in 0..33 {
                    if let (Some(p), Some(q)) = (ba.joint(i), bb.joint(i)) {
                        worst = worst.max(p.distance(q));
                    }
                }
            }
            (None, None) => {}
            _ => panic!("{rel}: a body on one runtime only"),
        }
        println!("{rel}: {} faces, largest landmark difference {worst:.4} px, pose {pose:.4}°, crown {crown:.3} px", a.faces.len());
        assert!(worst < 0.1, "{rel}: {worst} px");
        assert!(pose < 0.05, "{rel}: {pose}°");
        assert!(crown < 0.5, "{rel}: crown {crown} px");
    }
}
