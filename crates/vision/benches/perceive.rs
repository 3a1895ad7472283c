//! Perception stage by stage on a 12 MP photo and a 1280×720 frame, one thread.
//! Run: `cargo bench -p trueshot-vision --bench perceive` (models must be fetched).

use std::path::Path;
use std::sync::OnceLock;

use image::RgbImage;
use trueshot_vision::{ModelStore, PerceiveOptions, Perception, PhotoView};

fn main() {
    divan::main();
}

fn perception() -> &'static Perception {
    static P: OnceLock<Perception> = OnceLock::new();
    P.get_or_init(|| {
        Perception::load(&ModelStore::new(ModelStore::default_dir())).expect("models fetched")
    })
}

fn sample() -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
    trueshot_codec::decode_file(&path, &trueshot_codec::Limits::default())
        .unwrap()
        .image
}

/// A 3024×4032 (12 MP) portrait, as a phone writes it.
fn photo_12mp() -> &'static RgbImage {
    static I: OnceLock<RgbImage> = OnceLock::new();
    I.get_or_init(|| {
        image::imageops::resize(
            &sample(),
            3024,
            4032,
            image::imageops::FilterType::CatmullRom,
        )
    })
}

/// A 1280×720 video frame with the person in the middle.
fn frame_720p() -> &'static RgbImage {
    static I: OnceLock<RgbImage> = OnceLock::new();
    I.get_or_init(|| {
        let person =
            image::imageops::resize(&sample(), 576, 720, image::imageops::FilterType::CatmullRom);
        let mut frame = RgbImage::from_pixel(1280, 720, image::Rgb([120, 118, 110]));
        image::imageops::overlay(&mut frame, &person, 352, 0);
        frame
    })
}

#[divan::bench]
fn analysis_copy_12mp(b: divan::Bencher) {
    let img = photo_12mp();
    b.bench(|| PhotoView::new(divan::black_box(img)).unwrap());
}

#[divan::bench]
fn detect_faces_12mp(b: divan::Bencher) {
    let view = PhotoView::new(photo_12mp()).unwrap();
    let p = perception();
    b.bench(|| p.detect(divan::black_box(&view), true).unwrap());
}

#[divan::bench]
fn faces_mesh_iris_12mp(b: divan::Bencher) {
    let view = PhotoView::new(photo_12mp()).unwrap();
    let p = perception();
    let opts = PerceiveOptions {
        body: false,
        ..Default::default()
    };
    b.bench(|| p.perceive(divan::black_box(&view), &opts).unwrap());
}

#[divan::bench]
fn perceive_all_12mp(b: divan::Bencher) {
    let view = PhotoView::new(photo_12mp()).unwrap();
    let p = perception();
    b.bench(|| {
        p.perceive(divan::black_box(&view), &PerceiveOptions::default())
            .unwrap()
    });
}

/// The same on tract alone (what runs when ONNX Runtime's library is not in the cache).
#[divan::bench]
fn perceive_all_12mp_tract(b: divan::Bencher) {
    static P: OnceLock<Perception> = OnceLock::new();
    let p = P.get_or_init(|| {
        Perception::load_with(&ModelStore::new(ModelStore::default_dir()), false)
            .expect("models fetched")
    });
    let view = PhotoView::new(photo_12mp()).unwrap();
    b.bench(|| {
        p.perceive(divan::black_box(&view), &PerceiveOptions::default())
            .unwrap()
    });
}

#[divan::bench]
fn perceive_all_720p_frame(b: divan::Bencher) {
    let frame = frame_720p();
    let p = perception();
    b.bench(|| {
        let view = PhotoView::new(divan::black_box(frame)).unwrap();
        p.perceive(&view, &PerceiveOptions::default()).unwrap()
    });
}

#[divan::bench]
fn perceive_live_720p_frame(b: divan::Bencher) {
    // what live guidance needs: the person in front of the camera, no search for distant faces
    let frame = frame_720p();
    let p = perception();
    let opts = PerceiveOptions {
        far_faces: false,
        ..Default::default()
    };
    b.bench(|| {
        let view = PhotoView::new(divan::black_box(frame)).unwrap();
        p.perceive(&view, &opts).unwrap()
    });
}

struct FaceSetup {
    view: PhotoView,
    points: trueshot_vision::FacePoints,
    nets: trueshot_vision::FaceNets,
}

fn face_setup() -> &'static FaceSetup {
    static S: OnceLock<FaceSetup> = OnceLock::new();
    S.get_or_init(|| {
        let view = PhotoView::new(&sample()).unwrap();
        let scene = perception()
            .perceive(&view, &PerceiveOptions::default())
            .unwrap();
        let f = &scene.faces[0];
        let mesh: Vec<_> = f.mesh.iter().map(|p| p.xy()).collect();
        let points = trueshot_vision::FacePoints::from_mesh(
            &mesh,
            [f.right_eye.iris_center, f.left_eye.iris_center],
        );
        let nets = trueshot_vision::FaceNets::load(&ModelStore::new(ModelStore::default_dir()))
            .expect("models fetched");
        FaceSetup { view, points, nets }
    })
}

/// The 128-D identity descriptor of one face (chip sampling + net).
#[divan::bench]
fn identity_descriptor(b: divan::Bencher) {
    let s = face_setup();
    b.bench(|| s.nets.descriptor(&s.view, &s.points).unwrap().len());
}

/// The apparent age of one face (crop sampling + net).
#[divan::bench]
fn apparent_age(b: divan::Bencher) {
    let s = face_setup();
    b.bench(|| s.nets.age(&s.view, &s.points).unwrap());
}
