//! Times face detection + mesh + iris (no body) per photo, for the side-by-side comparison with
//! MediaPipe's Python runtime (`tools/reference/side_by_side.sh`).
//! Usage: time_perception N PHOTO...   → one JSON object per line: path, median_ms.

use std::time::Instant;

use trueshot_vision::{ModelStore, PerceiveOptions, Perception, PhotoView};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .expect("usage: time_perception N PHOTO...");
    let p = Perception::load(&ModelStore::new(ModelStore::default_dir()))
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = PerceiveOptions {
        body: false,
        ..Default::default()
    };
    for path in &args[1..] {
        let photo = trueshot_codec::decode_file(path.as_ref(), &trueshot_codec::Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut times = Vec::with_capacity(n);
        let mut faces = 0;
        for _ in 0..n {
            let t = Instant::now();
            // the same work as MediaPipe's face_detection + face_mesh on a decoded image
            let view = PhotoView::new(&photo.image).unwrap();
            faces = p.perceive(&view, &opts).unwrap().faces.len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"path\": \"{path}\", \"faces\": {faces}, \"median_ms\": {:.2}}}",
            times[n / 2]
        );
    }
}
