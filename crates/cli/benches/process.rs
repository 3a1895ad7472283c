//! The whole `process` of one 12 MP JPEG without background work — full decode, analysis copy,
//! perception, checks, then for each of the corporate guideline's three variants the framing,
//! the linear-light resampling and the JPEG encoding (files are not written) — on one thread.
//! Also the background work of one photo: the matting net on the region the three headshots
//! share, then for each headshot the edge refinement, foreground colours and compositing over a
//! brand colour (`matting_three_variants`).
//! Also tone, retouch and verification of the three headshots (`tone_retouch_verify`, and its
//! parts `retouch_three_variants` and `verify_three_variants`).
//! And the library's whole per-photo call, `trueshot_pipeline::Engine::process`, as `trueshot
//! process` and the web service make every photo: everything above plus signing, with the
//! photo's own background kept and with it replaced (`engine_process_12mp_jpeg`).
//! Run: `cargo bench -p trueshot --bench process`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trueshot_codec::{decode_bytes, encode, Limits, OutputFormat};
use trueshot_guide::Guideline;
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

/// A 3024×4032 JPEG with the sample portrait at 55 % of the frame: room for every variant.
fn photo_12mp() -> &'static Vec<u8> {
    static J: OnceLock<Vec<u8>> = OnceLock::new();
    J.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
        let src = image::open(path).unwrap().into_rgb8();
        let (w, h) = (3024u32, 4032u32);
        let s = 0.55 * w as f32 / src.width() as f32;
        let scaled = image::imageops::resize(
            &src,
            (src.width() as f32 * s) as u32,
            (src.height() as f32 * s) as u32,
            image::imageops::FilterType::CatmullRom,
        );
        let mut canvas = image::RgbImage::from_pixel(w, h, image::Rgb([120, 118, 110]));
        image::imageops::overlay(
            &mut canvas,
            &scaled,
            i64::from((w - scaled.width()) / 2),
            i64::from((h - scaled.height()) / 2),
        );
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&canvas)
            .unwrap();
        out
    })
}

/// Decode, perceive (with the crown), check, plan the best framing within the tolerances (the
/// photo's own background kept: every side closed) and encode the three corporate headshots.
#[divan::bench(sample_count = 15)]
fn process_12mp_jpeg(bencher: divan::Bencher) {
    process_12mp(bencher, true);
}

/// The same as before the framing planner, for an A/B in one run: no crown, the exact target
/// framing (`trueshot_frame::plan`), no planner-judged room findings.
#[divan::bench(sample_count = 15)]
fn process_12mp_jpeg_exact_framing(bencher: divan::Bencher) {
    process_12mp(bencher, false);
}

fn process_12mp(bencher: divan::Bencher, planner: bool) {
    let guide = Guideline::default_preset();
    let bytes = photo_12mp();
    bencher.bench(|| {
        let photo = decode_bytes(bytes, &PathBuf::from("bench.jpg"), &Limits::default()).unwrap();
        let view = PhotoView::new(&photo.image).unwrap();
        let scene = perception()
            .perceive(
                &view,
                &PerceiveOptions {
                    crown: planner,
                    ..PerceiveOptions::default()
                },
            )
            .unwrap();
        let mut findings = trueshot_assess::assess(&view, &scene, &guide);
        if planner {
            trueshot_frame::judge_room(&mut findings, &scene, &guide);
        }
        let face = &scene.faces[0];
        let (w, h) = (photo.image.width(), photo.image.height());
        let mut written = 0;
        for v in &guide.variant {
            let plan = if planner {
                trueshot_frame::best_plan(
                    face,
                    scene.body.as_ref(),
                    w,
                    h,
                    v,
                    &guide.framing,
                    trueshot_frame::Sides::ALL,
                    true,
                    None,
                )
                .unwrap()
            } else {
                trueshot_frame::plan(face, w, h, v, &guide.framing)
            };
            assert!(!plan.missing.any(), "{} fits", v.name);
            let img = trueshot_frame::render(&photo.image, &plan).unwrap();
            written += encode(&img, OutputFormat::Jpeg { quality: 90 }, v.dpi)
                .unwrap()
                .len();
        }
        (findings.len(), written)
    });
}

/// The whole per-photo call of the library (decode to signed, encoded headshots in memory; no
/// file written), background kept or replaced by a brand colour.
#[divan::bench(args = ["keep", "#2b5797"], sample_count = 10)]
fn engine_process_12mp_jpeg(bencher: divan::Bencher, background: &str) {
    static ENGINE: OnceLock<trueshot_pipeline::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let store = ModelStore::new(ModelStore::default_dir());
        let signing = trueshot_pipeline::Signing::test().expect("test certificate");
        trueshot_pipeline::Engine::load(&store, signing).expect("models fetched")
    });
    let overrides = trueshot_pipeline::Overrides {
        background: Some(background.into()),
        ..Default::default()
    };
    let mut loaded = Guideline::load_full("corporate").unwrap();
    overrides.apply(&mut loaded).unwrap();
    let recipe = trueshot_pipeline::Recipe::new(loaded, &overrides).unwrap();
    let bytes = photo_12mp();
    let input = trueshot_pipeline::Input::new(bytes, Path::new("bench.jpg"), "bench");
    bencher.bench(|| {
        let outcome = engine.process(&recipe, &input);
        assert_eq!(
            outcome.report.outputs.len(),
            3,
            "{:?}",
            outcome.report.error
        );
        outcome.artifacts.len()
    });
}

/// The framing alone: resampling the three variants from the decoded 12 MP photo.
#[divan::bench(sample_count = 15)]
fn render_three_variants(bencher: divan::Bencher) {
    let guide = Guideline::default_preset();
    let photo = decode_bytes(
        photo_12mp(),
        &PathBuf::from("bench.jpg"),
        &Limits::default(),
    )
    .unwrap();
    let view = PhotoView::new(&photo.image).unwrap();
    let scene = perception()
        .perceive(&view, &PerceiveOptions::default())
        .unwrap();
    let face = scene.faces[0].clone();
    bencher.bench(|| {
        guide
            .variant
            .iter()
            .map(|v| {
                let plan = trueshot_frame::plan(
                    &face,
                    photo.image.width(),
                    photo.image.height(),
                    v,
                    &guide.framing,
                );
                trueshot_frame::render(&photo.image, &plan).unwrap().len()
            })
            .sum::<usize>()
    });
}

/// The 12 MP bench photo perceived, framed and rendered into the three corporate headshots:
/// what the matting and authenticity benches start from.
struct Framed {
    view: PhotoView,
    face: trueshot_vision::Face,
    plans: Vec<trueshot_frame::Plan>,
    headshots: Vec<image::RgbImage>,
    size: (u32, u32),
}

impl Framed {
    /// The part of the photo the three headshots share (where the matting net runs).
    fn region(&self) -> [f32; 4] {
        let outs: Vec<_> = self
            .plans
            .iter()
            .map(|p| (p.to_output, p.width, p.height))
            .collect();
        trueshot_matte::region(&outs, self.size.0, self.size.1).unwrap()
    }
}

fn framed() -> &'static Framed {
    static S: OnceLock<Framed> = OnceLock::new();
    S.get_or_init(|| framed_from(photo_12mp()))
}

/// `obama3.jpg` as it is: a backlit photo (a chandelier behind him lights his jaw), where the rim
/// light is toned.
fn backlit() -> &'static Framed {
    static S: OnceLock<Framed> = OnceLock::new();
    S.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama3.jpg");
        framed_from(&std::fs::read(path).unwrap())
    })
}

fn framed_from(bytes: &[u8]) -> Framed {
    {
        let guide = Guideline::default_preset();
        let photo = decode_bytes(bytes, &PathBuf::from("bench.jpg"), &Limits::default()).unwrap();
        let view = PhotoView::new(&photo.image).unwrap();
        let scene = perception()
            .perceive(&view, &PerceiveOptions::default())
            .unwrap();
        let face = scene.faces[0].clone();
        let (w, h) = (photo.image.width(), photo.image.height());
        let plans: Vec<_> = guide
            .variant
            .iter()
            .map(|v| trueshot_frame::plan(&face, w, h, v, &guide.framing))
            .collect();
        let refs: Vec<&trueshot_frame::Plan> = plans.iter().collect();
        let headshots = trueshot_frame::render_all(&photo.image, &refs).unwrap();
        Framed {
            view,
            face,
            plans,
            headshots,
            size: (w, h),
        }
    }
}

struct MattingSetup {
    region: [f32; 4],
    matting: trueshot_vision::Matting,
}

fn matting_setup() -> &'static MattingSetup {
    static S: OnceLock<MattingSetup> = OnceLock::new();
    S.get_or_init(|| {
        let region = framed().region();
        let matting =
            trueshot_vision::Matting::load(&ModelStore::new(ModelStore::default_dir())).unwrap();
        matting.prepare(region).unwrap(); // ONNX Runtime session, or tract plan for this size
        MattingSetup { region, matting }
    })
}

/// The matting net on the region the three headshots share, and the seed mask.
#[divan::bench(sample_count = 15)]
fn matting_net(bencher: divan::Bencher) {
    let (s, f) = (matting_setup(), framed());
    bencher
        .bench(|| trueshot_matte::seed(&s.matting.matte(&f.view, s.region).unwrap(), None).width);
}

/// The net, then for each of the three headshots the edge refinement, foreground colours and
/// compositing over a brand colour.
#[divan::bench(sample_count = 15)]
fn matting_three_variants(bencher: divan::Bencher) {
    let (s, f) = (matting_setup(), framed());
    let (w, h) = f.size;
    bencher.bench(|| {
        let matte = trueshot_matte::seed(&s.matting.matte(&f.view, s.region).unwrap(), None);
        let mut partial = 0.0;
        for (plan, headshot) in f.plans.iter().zip(&f.headshots) {
            let cut = trueshot_matte::Cutout::new(headshot.clone(), &matte, &plan.to_output, w, h);
            let (img, _) = cut.composite(&trueshot_matte::Backdrop::Color([43, 87, 151]));
            partial += img.width() as f32 * cut.alpha.data[0];
        }
        partial
    });
}

/// The same without the net (its seed mask made once): the edge refinement, foreground colours
/// and compositing of the three headshots, all trueshot's own code.
#[divan::bench(sample_count = 25)]
fn cutout_three_variants(bencher: divan::Bencher) {
    static SEED: OnceLock<trueshot_vision::Matte> = OnceLock::new();
    let (s, f) = (matting_setup(), framed());
    let matte = SEED
        .get_or_init(|| trueshot_matte::seed(&s.matting.matte(&f.view, s.region).unwrap(), None));
    let (w, h) = f.size;
    bencher.bench(|| {
        let mut partial = 0.0;
        for (plan, headshot) in f.plans.iter().zip(&f.headshots) {
            let cut = trueshot_matte::Cutout::new(headshot.clone(), matte, &plan.to_output, w, h);
            let (img, _) = cut.composite(&trueshot_matte::Backdrop::Color([43, 87, 151]));
            partial += img.width() as f32 * cut.alpha.data[0];
        }
        partial
    });
}

/// The cutouts of a backlit photo's three headshots over the corporate gradient, without and
/// with the rim light toned (planned, applied to the headshot and to the edge's foreground
/// colours): the rim light's cost, A/B in one run.
#[divan::bench(args = [false, true], sample_count = 25)]
fn backlit_cutout_three_variants(bencher: divan::Bencher, rim: bool) {
    let f = backlit();
    let matting =
        trueshot_vision::Matting::load(&ModelStore::new(ModelStore::default_dir())).unwrap();
    let matte = trueshot_matte::seed(&matting.matte(&f.view, f.region()).unwrap(), None);
    let (w, h) = f.size;
    let backdrop = trueshot_matte::Backdrop::Gradient {
        from: [0xB9, 0xBD, 0xC2],
        to: [0x7C, 0x82, 0x89],
        radial: true,
        center: (0.5, 0.35),
    };
    let mut toned_px = 0;
    bencher.bench_local(|| {
        let mut partial = 0.0;
        for (plan, headshot) in f.plans.iter().zip(&f.headshots) {
            let mut cut =
                trueshot_matte::Cutout::new(headshot.clone(), &matte, &plan.to_output, w, h);
            let painted = backdrop.paint(&cut);
            if rim {
                let face = trueshot_matte::RimFace::of(&f.face, &plan.to_output);
                let plan = cut.rim_light(headshot, &painted, &face);
                toned_px += plan.summary().toned_px;
                plan.apply(&mut cut.image);
                cut.tone_rim(&plan);
            }
            let (img, _) = cut.composite_painted(&backdrop, painted);
            partial += img.width() as f32 * cut.alpha.data[0];
        }
        partial
    });
    assert!(
        !rim || toned_px > 0,
        "the backlit photo's rim light was not toned"
    );
}

fn face_nets() -> &'static trueshot_vision::FaceNets {
    static N: OnceLock<trueshot_vision::FaceNets> = OnceLock::new();
    N.get_or_init(|| {
        trueshot_vision::FaceNets::load(&ModelStore::new(ModelStore::default_dir()))
            .expect("models fetched")
    })
}

/// Everything trueshot does to prove a photo's headshots are authentic: the scene's tone, the
/// original's identity and age (once), then for each of the three headshots the tone curve,
/// the subtle retouch and the verification (identity, age, landmark tracking, skin, eyes,
/// texture, clothing). Goal: 250 ms per photo on one core.
#[divan::bench(sample_count = 15)]
fn tone_retouch_verify(bencher: divan::Bencher) {
    let s = framed();
    let verifier = trueshot_retouch::Verifier { nets: face_nets() };
    bencher.bench(|| {
        let faces = [s.face.bbox.scaled(s.view.scale)];
        let stats = trueshot_retouch::scene_stats(s.view.analysis(), &faces);
        let tone = trueshot_retouch::correction(&stats, None);
        let original = verifier.original(&s.view, &s.face).unwrap();
        let params = trueshot_retouch::Params::for_level(trueshot_retouch::Level::Subtle);
        let mut worst = 0.0f32;
        for (plan, before) in s.plans.iter().zip(&s.headshots) {
            let toned = tone.apply(before);
            let lm = trueshot_retouch::Landmarks::from_face(&s.face, &plan.to_output);
            let (after, _) = trueshot_retouch::retouch(&toned, &lm, &params);
            let m = verifier
                .measure(&original, &s.face, &plan.to_output, &toned, &after, None)
                .unwrap();
            worst = worst.max(m.identity_distance);
        }
        worst
    });
}

/// The subtle retouch alone, of the three headshots.
#[divan::bench(sample_count = 15)]
fn retouch_three_variants(bencher: divan::Bencher) {
    let s = framed();
    let params = trueshot_retouch::Params::for_level(trueshot_retouch::Level::Subtle);
    bencher.bench(|| {
        s.plans
            .iter()
            .zip(&s.headshots)
            .map(|(plan, before)| {
                let lm = trueshot_retouch::Landmarks::from_face(&s.face, &plan.to_output);
                trueshot_retouch::retouch(before, &lm, &params).0.width()
            })
            .sum::<u32>()
    });
}

/// Verification alone, of the three headshots (each against itself retouched).
#[divan::bench(sample_count = 15)]
fn verify_three_variants(bencher: divan::Bencher) {
    let s = framed();
    let verifier = trueshot_retouch::Verifier { nets: face_nets() };
    let params = trueshot_retouch::Params::for_level(trueshot_retouch::Level::Subtle);
    let done: Vec<_> = s
        .plans
        .iter()
        .zip(&s.headshots)
        .map(|(plan, before)| {
            let lm = trueshot_retouch::Landmarks::from_face(&s.face, &plan.to_output);
            trueshot_retouch::retouch(before, &lm, &params).0
        })
        .collect();
    let original = verifier.original(&s.view, &s.face).unwrap();
    bencher.bench(|| {
        let mut worst = 0.0f32;
        for ((plan, before), after) in s.plans.iter().zip(&s.headshots).zip(&done) {
            let m = verifier
                .measure(&original, &s.face, &plan.to_output, before, after, None)
                .unwrap();
            worst = worst.max(m.landmark_drift);
        }
        worst
    });
}
