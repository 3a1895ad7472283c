//! Times each stage of `process` on one photo (median of N runs), to see where the time goes.
//! Usage: time_process PHOTO [N]
use std::path::PathBuf;
use std::time::Instant;

use trueshot_codec::{decode_bytes, encode, Limits, OutputFormat};
use trueshot_guide::Guideline;
use trueshot_vision::{ModelStore, PerceiveOptions, Perception, PhotoView};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(&args[0]);
    let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(9);
    let bytes = std::fs::read(&path).expect("photo");
    let perception = Perception::load(&ModelStore::new(ModelStore::default_dir())).expect("models");
    let guide = Guideline::default_preset();
    let mut rows: Vec<[f64; 6]> = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let photo = decode_bytes(&bytes, &path, &Limits::default()).unwrap();
        let t_decode = t.elapsed().as_secs_f64();
        let view = PhotoView::new(&photo.image).unwrap();
        let t_view = t.elapsed().as_secs_f64();
        let scene = perception
            .perceive(&view, &PerceiveOptions::default())
            .unwrap();
        let _ = trueshot_assess::assess(&view, &scene, &guide);
        let t_perceive = t.elapsed().as_secs_f64();
        let face = &scene.faces[0];
        let plans: Vec<_> = guide
            .variant
            .iter()
            .map(|v| {
                trueshot_frame::plan(
                    face,
                    photo.image.width(),
                    photo.image.height(),
                    v,
                    &guide.framing,
                )
            })
            .filter(|p| !p.missing.any())
            .collect();
        let t_plan = t.elapsed().as_secs_f64();
        let refs: Vec<_> = plans.iter().collect();
        let images = trueshot_frame::render_all(&photo.image, &refs).unwrap();
        let t_render = t.elapsed().as_secs_f64();
        for img in &images {
            encode(img, OutputFormat::Jpeg { quality: 90 }, 300).unwrap();
        }
        let t_encode = t.elapsed().as_secs_f64();
        rows.push([
            t_decode,
            t_view - t_decode,
            t_perceive - t_view,
            t_plan - t_perceive,
            t_render - t_plan,
            t_encode - t_render,
        ]);
    }
    let names = [
        "decode",
        "analysis copy",
        "perceive+assess",
        "plan",
        "render",
        "encode",
    ];
    let mut total = 0.0;
    for (i, name) in names.iter().enumerate() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        let med = v[v.len() / 2] * 1000.0;
        total += med;
        println!("{name:16} {med:7.1} ms");
    }
    println!("{:16} {total:7.1} ms (sum of medians)", "total");
}
