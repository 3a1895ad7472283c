//! The web service's live check: `POST /api/check` through the whole router (session cookie
//! lookup, rate limit, decode, perception without the distant-face search, findings, JSON) on a
//! 1280×720 camera frame of a real portrait. The goal is 60 ms. One request at a time.
//! Run: `cargo bench -p trueshot-server --bench serve`.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use trueshot_server::{api, auth, db::Role, App, Config};

fn main() {
    divan::main();
}

struct Bench {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    cookie: String,
    frame: Vec<u8>,
}

fn bench() -> &'static Bench {
    static B: OnceLock<Bench> = OnceLock::new();
    B.get_or_init(|| {
        let store = trueshot_vision::ModelStore::new(trueshot_vision::ModelStore::default_dir());
        let engine =
            trueshot_pipeline::Engine::load(&store, trueshot_pipeline::Signing::test().unwrap())
                .expect("models fetched");
        let data =
            std::env::temp_dir().join(format!("trueshot-bench-serve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let app = App::open(&data, Arc::new(engine), Config::default()).unwrap();
        let hash = auth::hash_password("bench password").unwrap();
        let user = app
            .store
            .embedded()
            .unwrap()
            .create_user("bench@example.com", Role::Member, Some(&hash))
            .unwrap()
            .unwrap();
        let token = auth::secret().unwrap();
        app.store
            .embedded()
            .unwrap()
            .create_session(&auth::digest(&token), user.id, "csrf", i64::MAX)
            .unwrap();
        Bench {
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
            router: api::router(app),
            cookie: format!("{}={token}", auth::SESSION_COOKIE),
            frame: frame(),
        }
    })
}

/// A 1280×720 JPEG (q80, what the page sends) of a real portrait on a plain wall.
fn frame() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos/samples/obama.jpg");
    let p = image::open(path).unwrap().into_rgb8();
    let p = image::imageops::resize(&p, 576, 720, image::imageops::FilterType::CatmullRom);
    let mut canvas = image::RgbImage::from_pixel(1280, 720, image::Rgb([120, 118, 110]));
    image::imageops::overlay(&mut canvas, &p, (1280 - 576) / 2, 0);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&canvas)
        .unwrap();
    out
}

fn check_once(b: &Bench) -> usize {
    let req = Request::post("/api/check")
        .header(header::COOKIE, &b.cookie)
        .header("x-csrf-token", "csrf")
        .header(header::CONTENT_TYPE, "image/jpeg")
        .body(Body::from(b.frame.clone()))
        .unwrap();
    b.rt.block_on(async {
        let res = b.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .len()
    })
}

/// 20 samples: the check endpoint's burst is 40 requests per 4 s per account, and divan runs
/// a few unmeasured calls too.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn check_endpoint_1280x720(d: divan::Bencher) {
    let b = bench();
    check_once(b);
    d.bench(|| check_once(b));
}
