//! Retouching and verification on real photos with the real nets (fetch the models first;
//! `scripts/test` does): every allowed level stays within the guideline's default bounds on
//! darker and lighter skin alike, and the three ways a headshot can stop being the person are
//! each caught: over-smoothed skin (texture), a warped face (landmark drift) and another
//! person's face (identity).

use std::path::Path;
use std::sync::OnceLock;

use image::RgbImage;
use trueshot_codec::{decode_file, Limits};
use trueshot_geom::{similarity_fit, Affine, Point};
use trueshot_retouch::{retouch, Bounds, Landmarks, Level, Measures, Params, Verifier};
use trueshot_vision::{Face, FaceNets, ModelStore, PerceiveOptions, Perception, PhotoView};

struct Nets {
    perception: Perception,
    nets: FaceNets,
}

fn nets() -> &'static Nets {
    static N: OnceLock<Nets> = OnceLock::new();
    N.get_or_init(|| {
        let store = ModelStore::new(ModelStore::default_dir());
        Nets {
            perception: Perception::load(&store).unwrap_or_else(|e| panic!("{e}")),
            nets: FaceNets::load(&store).unwrap_or_else(|e| panic!("{e}")),
        }
    })
}

fn verifier() -> Verifier<'static> {
    let n = nets();
    Verifier { nets: &n.nets }
}

/// A photo and its main face.
fn load(rel: &str) -> (RgbImage, Face) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../photos")
        .join(rel);
    let photo = decode_file(&path, &Limits::default()).unwrap();
    let view = PhotoView::new(&photo.image).unwrap();
    let scene = nets()
        .perception
        .perceive(&view, &PerceiveOptions::default())
        .unwrap();
    let face = scene.faces.into_iter().next().expect("a face");
    (photo.image, face)
}

/// Retouches `photo` at `params` and measures the result against it (the photo is its own
/// frame here: no crop, so the measures see the retouch alone).
fn retouched(photo: &RgbImage, face: &Face, params: &Params) -> (RgbImage, Measures) {
    let v = verifier();
    let original = v.original(&PhotoView::new(photo).unwrap(), face).unwrap();
    let lm = Landmarks::from_face(face, &Affine::IDENTITY);
    let (out, _) = retouch(photo, &lm, params);
    let m = v
        .measure(&original, face, &Affine::IDENTITY, photo, &out, None)
        .unwrap();
    (out, m)
}

/// The measures as numbers where larger is worse (texture as the share lost), with the
/// default bound of each.
fn row(m: &Measures) -> [(&'static str, f32, f32); 8] {
    let b = Bounds::default();
    let p = &m.pixel;
    [
        (
            "identity_distance",
            m.identity_distance,
            b.identity_distance,
        ),
        ("landmark_drift", m.landmark_drift, b.landmark_drift),
        ("texture_lost", 1.0 - p.texture_kept, 1.0 - b.texture_kept),
        ("eye_white_l_rise", p.eye_white_l_rise, b.eye_white_l_rise),
        (
            "skin_hue_chroma_delta_e",
            p.skin_hue_chroma_delta_e,
            b.skin_hue_chroma_delta_e,
        ),
        (
            "skin_lightness_shift",
            p.skin_lightness_shift.abs(),
            b.skin_lightness_shift,
        ),
        (
            "age_change_years",
            m.age_change_years.abs(),
            b.age_change_years,
        ),
        ("clothing_delta_e", p.clothing_delta_e, b.clothing_delta_e),
    ]
}

#[test]
fn allowed_levels_stay_within_bounds_on_darker_and_lighter_skin_alike() {
    // Darker skin: three official portraits of Barack Obama (different years and light).
    // Lighter skin: Joe Biden (white hair, 70), Grace Hopper (glasses, 78), Eileen Collins (40).
    let groups = [
        (
            "darker",
            ["samples/obama.jpg", "samples/obama3.jpg", "test/obama2.jpg"],
        ),
        (
            "lighter",
            [
                "samples/biden.jpg",
                "samples/grace_hopper.jpg",
                "samples/astronaut.png",
            ],
        ),
    ];
    for level in [Level::Subtle, Level::Natural] {
        let mut means = Vec::new();
        for (group, photos) in &groups {
            let mut sum = [0.0f32; 8];
            for rel in photos {
                let (photo, face) = load(rel);
                let (_, m) = retouched(&photo, &face, &Params::for_level(level));
                let breaches = m.breaches(&Bounds::default());
                println!("{level:?} {group} {rel}: {m:?}");
                assert!(breaches.is_empty(), "{rel} at {level:?}: {breaches:?}");
                for (k, (_, v, _)) in row(&m).iter().enumerate() {
                    sum[k] += v / photos.len() as f32;
                }
            }
            means.push(sum);
        }
        // Fairness: the mean of every measure differs between the groups by no more than a
        // tenth of its bound.
        for (k, (name, _, bound)) in row(&retouched_dummy()).iter().enumerate() {
            let gap = (means[0][k] - means[1][k]).abs();
            println!(
                "{level:?} {name}: darker {:.4}, lighter {:.4}, gap {gap:.4} (a tenth of the bound: {:.4})",
                means[0][k],
                means[1][k],
                bound / 10.0
            );
            assert!(
                gap <= bound / 10.0,
                "{level:?} {name}: gap {gap} between the groups"
            );
        }
    }
}

/// Measures with every value zero (for the names and bounds of [`row`]).
fn retouched_dummy() -> Measures {
    Measures {
        identity_distance: 0.0,
        landmark_drift: 0.0,
        drift_feature: "none",
        age_original: 0.0,
        age_result: 0.0,
        age_change_years: 0.0,
        pixel: Default::default(),
        ms: 0.0,
    }
}

#[test]
fn over_smoothed_skin_is_caught_by_the_texture_measure() {
    let (photo, face) = load("samples/obama.jpg");
    // Four times what the natural level allows: the fine texture is smoothed away.
    let (_, m) = retouched(&photo, &face, &Params::scaled(Level::Natural, 4.0));
    let breaches = m.breaches(&Bounds::default());
    println!("over-strength: {m:?}");
    assert!(
        breaches.iter().any(|b| b.measure == "texture_kept"),
        "{breaches:?}"
    );
}

/// `image` warped so that everything within `inner` of each centre is enlarged by `factor`,
/// the change fading out between `inner` and `outer`: the "bigger eyes" of beauty filters.
fn enlarge_around(
    image: &RgbImage,
    centres: &[Point],
    inner: f32,
    outer: f32,
    factor: f32,
) -> RgbImage {
    let mut out = image.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let q = Point::new(x as f32 + 0.5, y as f32 + 0.5);
        let mut src = q;
        for c in centres {
            let r = q.distance(*c);
            if r < outer {
                let t = ((r - inner) / (outer - inner)).clamp(0.0, 1.0);
                let fade = 1.0 - t * t * (3.0 - 2.0 * t);
                let s = 1.0 + (factor - 1.0) * fade;
                src = Point::new(c.x + (q.x - c.x) / s, c.y + (q.y - c.y) / s);
            }
        }
        *p = image::Rgb(bilinear(image, src));
    }
    out
}

fn bilinear(image: &RgbImage, p: Point) -> [u8; 3] {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let x = (p.x - 0.5).clamp(0.0, w - 1.001);
    let y = (p.y - 0.5).clamp(0.0, h - 1.001);
    let (x0, y0) = (x as u32, y as u32);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let g = |dx: u32, dy: u32| image.get_pixel(x0 + dx, y0 + dy).0.map(f32::from);
    let (a, b, c, d) = (g(0, 0), g(1, 0), g(0, 1), g(1, 1));
    std::array::from_fn(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        (top + (bottom - top) * fy).round() as u8
    })
}

#[test]
fn a_five_percent_eye_enlargement_is_caught_by_landmark_drift() {
    let v = verifier();
    for rel in ["samples/obama.jpg", "samples/biden.jpg"] {
        let (photo, face) = load(rel);
        let original = v.original(&PhotoView::new(&photo).unwrap(), &face).unwrap();
        let eyes = [face.right_eye.iris_center, face.left_eye.iris_center];
        // The whole eye (corners are about 0.25 eye distances from the iris) grows by 5 %.
        let d = face.eye_distance();
        let warped = enlarge_around(&photo, &eyes, 0.3 * d, 0.5 * d, 1.05);
        let m = v
            .measure(&original, &face, &Affine::IDENTITY, &photo, &warped, None)
            .unwrap();
        let breaches = m.breaches(&Bounds::default());
        println!(
            "{rel} eyes ×1.05: drift {:.4} ({}), identity {:.3}",
            m.landmark_drift, m.drift_feature, m.identity_distance
        );
        assert!(
            breaches.iter().any(|b| b.measure == "landmark_drift"),
            "{rel}: {breaches:?}"
        );
        assert!(
            m.drift_feature.contains("eye"),
            "{rel}: {}",
            m.drift_feature
        );
        // The same check on an honest retouch of the same photo passes.
        let (_, ok) = retouched(&photo, &face, &Params::for_level(Level::Subtle));
        assert!(ok.landmark_drift < Bounds::default().landmark_drift / 2.0);
    }
}

#[test]
fn another_persons_face_is_caught_by_identity() {
    let v = verifier();
    let (photo, face) = load("samples/obama.jpg");
    let original = v.original(&PhotoView::new(&photo).unwrap(), &face).unwrap();
    // Joe Biden's face, placed exactly where Obama's was (eyes, nose and mouth aligned).
    let (other, other_face) = load("samples/biden.jpg");
    let five = |f: &Face| {
        [
            f.right_eye.iris_center,
            f.left_eye.iris_center,
            f.point(1),
            f.point(61),
            f.point(291),
        ]
    };
    let to_other = similarity_fit(&five(&face), &five(&other_face)).unwrap();
    let mut swapped = photo.clone();
    for (x, y, p) in swapped.enumerate_pixels_mut() {
        let q = to_other.apply(Point::new(x as f32 + 0.5, y as f32 + 0.5));
        *p = image::Rgb(bilinear(&other, q));
    }
    let m = v
        .measure(&original, &face, &Affine::IDENTITY, &photo, &swapped, None)
        .unwrap();
    println!("swapped: identity {:.3}", m.identity_distance);
    let breaches = m.breaches(&Bounds::default());
    assert!(
        breaches.iter().any(|b| b.measure == "identity_distance"),
        "{breaches:?}"
    );
    assert!(m.identity_distance > 0.6, "{}", m.identity_distance);
}
