//! The web service's API through its router, in-process (`tower::ServiceExt::oneshot`), with
//! the real nets, real photos and a real database in a temporary folder: an employee's whole
//! path (live check, upload, headshots with before frames and verification, accept), the
//! admin's (review, guideline, export), who may see what, and every bad input.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use trueshot_pipeline::Engine;
use trueshot_server::{auth, db::Role, App, Config};

#[path = "../../cli/tests/common/photos.rs"]
mod common;
use common::root;

fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let store =
                trueshot_vision::ModelStore::new(trueshot_vision::ModelStore::default_dir());
            Arc::new(
                Engine::load(&store, trueshot_pipeline::Signing::test().unwrap())
                    .expect("models fetched (scripts/test does it)"),
            )
        })
        .clone()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("trueshot-serve-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A service in a fresh data folder with one worker.
struct Service {
    app: Arc<App>,
    router: Router,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Service {
    fn new(name: &str, config: Config) -> Service {
        let app = App::open(&scratch(name), engine(), config).unwrap();
        let workers = trueshot_server::worker::spawn(app.clone(), 1);
        Service {
            router: trueshot_server::api::router(app.clone()),
            app,
            workers,
        }
    }

    fn user(&self, email: &str, role: Role) {
        let hash = auth::hash_password("correct horse battery").unwrap();
        self.app
            .store
            .embedded()
            .unwrap()
            .create_user(email, role, Some(&hash))
            .unwrap()
            .unwrap();
    }

    async fn call(&self, who: &Who, method: Method, path: &str, body: Payload) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        match who {
            Who::Anonymous => {}
            Who::Session { cookie, csrf } => {
                req = req
                    .header(header::COOKIE, cookie.as_str())
                    .header("x-csrf-token", csrf.as_str());
            }
            Who::SessionWithoutCsrf { cookie } => {
                req = req.header(header::COOKIE, cookie.as_str());
            }
            Who::Token(t) => {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
        }
        let req = match body {
            Payload::None => req.body(Body::empty()),
            Payload::Json(v) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            Payload::Photo(bytes, name) => req
                .header(header::CONTENT_TYPE, "image/jpeg")
                .header("x-filename", name)
                .body(Body::from(bytes)),
            Payload::Stalled(first) => {
                // The first bytes of a body, then nothing, ever: a stalled or slowloris upload.
                let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(
                    axum::body::Bytes::from_static(first),
                )])
                .chain(futures_util::stream::pending());
                req.header(header::CONTENT_TYPE, "image/jpeg")
                    .body(Body::from_stream(chunks))
            }
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            bytes,
            json,
        }
    }

    async fn login(&self, email: &str) -> Who {
        let r = self
            .call(
                &Who::Anonymous,
                Method::POST,
                "/api/login",
                Payload::Json(json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        session_of(&r)
    }

    /// Uploads a file of the repository (`photos/...`) as `who`.
    async fn upload(&self, who: &Who, path: &str) -> Reply {
        let name = path.rsplit('/').next().unwrap_or(path);
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        self.call(
            who,
            Method::POST,
            "/api/photos",
            Payload::Photo(photo(path), name),
        )
        .await
    }

    /// Waits until the photo has left the queue; returns its item.
    async fn processed(&self, who: &Who, id: i64) -> Value {
        let t = Instant::now();
        loop {
            let r = self
                .call(
                    who,
                    Method::GET,
                    &format!("/api/photos/{id}"),
                    Payload::None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json);
            if !matches!(r.json["status"].as_str(), Some("queued" | "processing")) {
                return r.json;
            }
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "photo {id} not processed"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.app.shutdown();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn session_of(r: &Reply) -> Who {
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    Who::Session {
        cookie: set.split(';').next().unwrap().to_string(),
        csrf: r.json["csrf"].as_str().unwrap().to_string(),
    }
}

enum Who {
    Anonymous,
    Session { cookie: String, csrf: String },
    SessionWithoutCsrf { cookie: String },
    Token(String),
}

enum Payload {
    None,
    Json(Value),
    Photo(Vec<u8>, &'static str),
    Stalled(&'static [u8]),
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
    json: Value,
}

fn photo(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap()
}

/// A 1280×720 camera frame: a real portrait centred on a grey wall, as JPEG.
fn camera_frame(path: &str) -> Vec<u8> {
    let frame = common::portrait_on_wall(path, [128, 128, 128]);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&frame)
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_gets_a_verified_headshot_and_the_admin_approves_and_exports_it() {
    let s = Service::new("flow", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("jane@example.com", Role::Member);
    let jane = s.login("jane@example.com").await;

    // The session cookie cannot be read by scripts nor sent by other sites.
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            "/api/login",
            Payload::Json(
                json!({"email": "JANE@example.com ", "password": "correct horse battery"}),
            ),
        )
        .await;
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(r.json["user"]["role"], "member");

    // Live guidance on a camera frame: the face, where the eyes should go, what to fix.
    let r = s
        .call(
            &jane,
            Method::POST,
            "/api/check",
            Payload::Photo(camera_frame("photos/samples/obama.jpg"), "frame.jpg"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        (r.json["width"].as_u64(), r.json["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert_eq!(r.json["faces"], 1);
    let eyes = &r.json["face"]["eyes"];
    let (lx, rx) = (
        eyes["left"][0].as_f64().unwrap(),
        eyes["right"][0].as_f64().unwrap(),
    );
    assert!(
        (500.0..780.0).contains(&lx) && (500.0..780.0).contains(&rx),
        "{eyes}"
    );
    assert_eq!(r.json["target"]["eye_line"], json!(0.38));
    assert!(r.json["advice"].is_array() && r.json["findings"].as_array().unwrap().len() > 5);

    // Upload: refused without the CSRF header, accepted (202, queued) with it.
    let bytes = photo("photos/samples/grace_hopper.jpg");
    let Who::Session { cookie, .. } = &jane else {
        unreachable!()
    };
    let r = s
        .call(
            &Who::SessionWithoutCsrf {
                cookie: cookie.clone(),
            },
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes.clone(), "grace.jpg"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    let r = s
        .call(
            &jane,
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes.clone(), "grace.jpg"),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);
    assert!(matches!(
        r.json["status"].as_str(),
        Some("queued" | "processing")
    ));
    let id = r.json["id"].as_i64().unwrap();

    let item = s.processed(&jane, id).await;
    assert_eq!(item["status"], "ready", "{item:#}");
    assert!(
        item["report"].get("input").is_none(),
        "the server's paths stay private"
    );
    let headshots = item["headshots"].as_array().unwrap();
    assert!(!headshots.is_empty(), "{item:#}");
    for h in headshots {
        // The headshot and its "before" (same frame, no retouch) have the variant's size.
        let r = s
            .call(
                &jane,
                Method::GET,
                h["url"].as_str().unwrap(),
                Payload::None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers[header::CONTENT_TYPE], "image/jpeg");
        let after = image::load_from_memory(&r.bytes).unwrap();
        let verdict = trueshot_provenance::read(&r.bytes, None).unwrap();
        assert_eq!(
            verdict.state,
            trueshot_provenance::State::Valid,
            "{:?}",
            verdict.problems
        );
        let r = s
            .call(
                &jane,
                Method::GET,
                h["before_url"].as_str().unwrap(),
                Payload::None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let before = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!(
            (
                after.width(),
                after.height(),
                before.width(),
                before.height()
            ),
            (
                h["width"].as_u64().unwrap() as u32,
                h["height"].as_u64().unwrap() as u32,
                after.width(),
                after.height()
            )
        );
        assert_eq!(h["verification"]["status"], "passed", "{h:#}");
        assert!(
            h["verification"]["measures"]["identity_distance"]
                .as_f64()
                .unwrap()
                < 0.2
        );
        // Every check in plain words for the page, each within its bound.
        let checks = h["verification"]["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 8, "{h:#}");
        for c in checks {
            assert_eq!(c["ok"], true, "{c}");
            assert!(c["text"]
                .as_str()
                .unwrap()
                .starts_with(c["title"].as_str().unwrap()));
        }
    }
    let r = s
        .call(
            &jane,
            Method::GET,
            &format!("/api/photos/{id}/original"),
            Payload::None,
        )
        .await;
    assert_eq!(r.bytes, bytes, "the original is kept byte for byte");

    // Jane accepts; she cannot approve her own headshot.
    let r = s
        .call(
            &jane,
            Method::POST,
            &format!("/api/photos/{id}/accept"),
            Payload::None,
        )
        .await;
    assert_eq!(r.json["status"], "accepted", "{}", r.json);
    let r = s
        .call(
            &jane,
            Method::POST,
            &format!("/api/photos/{id}/review"),
            Payload::Json(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The admin sees it among the accepted ones, approves it and exports the team.
    let admin = s.login("admin@example.com").await;
    let r = s
        .call(
            &admin,
            Method::GET,
            "/api/photos?status=accepted",
            Payload::None,
        )
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["owner"]["email"], "jane@example.com");
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/review"),
            Payload::Json(json!({"decision": "reject"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a rejection says why: {}",
        r.json
    );
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/review"),
            Payload::Json(json!({"decision": "approve", "comment": "=looks great"})),
        )
        .await;
    assert_eq!(r.json["status"], "approved", "{}", r.json);
    assert_eq!(r.json["review"]["by"], "admin@example.com");
    let r = s
        .call(&admin, Method::GET, "/api/export.zip", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(String::from).collect();
    for h in headshots {
        let file = h["url"].as_str().unwrap().rsplit('/').next().unwrap();
        let entry = format!("jane@example.com/{id}-{file}");
        assert!(names.contains(&entry), "{entry} not in {names:?}");
        // byte for byte, so the content credentials still validate
        let mut inside = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&entry).unwrap(), &mut inside).unwrap();
        let served = s
            .call(
                &admin,
                Method::GET,
                h["url"].as_str().unwrap(),
                Payload::None,
            )
            .await;
        assert_eq!(inside, served.bytes);
    }
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("team.csv").unwrap(), &mut csv).unwrap();
    assert!(
        csv.contains("jane@example.com") && csv.contains("passed"),
        "{csv}"
    );
    assert_eq!(
        std::fs::read_dir(s.app.data.join("exports"))
            .unwrap()
            .count(),
        0,
        "the export's temporary file is gone"
    );
    assert!(
        csv.contains("'=looks great"),
        "a comment never becomes a formula: {csv}"
    );

    // After approval the employee can no longer discard it.
    let r = s
        .call(
            &jane,
            Method::POST,
            &format!("/api/photos/{id}/discard"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_never_reaches_another_members_photos() {
    let s = Service::new("isolation", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("ann@example.com", Role::Member);
    s.user("bob@example.com", Role::Member);
    let ann = s.login("ann@example.com").await;
    let bob = s.login("bob@example.com").await;
    let r = s.upload(&ann, "photos/samples/grace_hopper.jpg").await;
    let id = r.json["id"].as_i64().unwrap();
    let item = s.processed(&ann, id).await;
    let file = item["headshots"][0]["url"].as_str().unwrap().to_string();
    let thumb = item["thumbnail_url"].as_str().unwrap().to_string();
    let r = s
        .call(
            &bob,
            Method::POST,
            "/api/tokens",
            Payload::Json(json!({"name": "script"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let bob_token = Who::Token(r.json["token"].as_str().unwrap().to_string());

    for bob in [&bob, &bob_token] {
        for (method, path, body) in [
            (Method::GET, format!("/api/photos/{id}"), Payload::None),
            (
                Method::GET,
                format!("/api/photos/{id}/original"),
                Payload::None,
            ),
            (Method::GET, file.clone(), Payload::None),
            (Method::GET, thumb.clone(), Payload::None),
            (
                Method::POST,
                format!("/api/photos/{id}/accept"),
                Payload::None,
            ),
            (
                Method::POST,
                format!("/api/photos/{id}/discard"),
                Payload::None,
            ),
        ] {
            let r = s.call(bob, method.clone(), &path, body).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                r.json
            );
            assert_eq!(r.json["error"], "no such photo");
        }
        let r = s
            .call(
                bob,
                Method::POST,
                &format!("/api/photos/{id}/review"),
                Payload::Json(json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        for path in ["/api/photos", "/api/photos?status=ready"] {
            let r = s.call(bob, Method::GET, path, Payload::None).await;
            assert_eq!(r.json, json!([]), "{path}");
        }
        for (method, path) in [
            (Method::GET, "/api/users"),
            (Method::GET, "/api/export.zip"),
        ] {
            let r = s.call(bob, method, path, Payload::None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }
        let r = s
            .call(
                bob,
                Method::PUT,
                "/api/guideline",
                Payload::Json(json!({"toml": "name = \"x\""})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // Ann and the admin do see it; the admin may not accept it for her.
    let r = s
        .call(&ann, Method::GET, "/api/photos", Payload::None)
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    let admin = s.login("admin@example.com").await;
    let r = s.call(&admin, Method::GET, &file, Payload::None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/accept"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No file outside the report's list, however the path is spelled.
    for path in [
        format!("/api/photos/{id}/files/../original.jpg"),
        format!("/api/photos/{id}/files/%2e%2e/original.jpg"),
        format!("/api/photos/{id}/files/ann.report.json"),
        format!("/api/photos/{id}/files//etc/passwd"),
    ] {
        let r = s.call(&admin, Method::GET, &path, Payload::None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Ann discards it (a retake): its original and headshots are deleted, not only hidden.
    let r = s
        .call(
            &ann,
            Method::POST,
            &format!("/api/photos/{id}/discard"),
            Payload::None,
        )
        .await;
    assert_eq!(r.json["status"], "discarded", "{}", r.json);
    assert!(!s.app.photo_dir(id).exists());
    for path in [format!("/api/photos/{id}/original"), file.clone()] {
        let r = s.call(&ann, Method::GET, &path, Payload::None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Every operation in the OpenAPI document exists in the router, every route of the router is
/// documented, and every operation that needs an account answers 401 without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_router() {
    let s = Service::new("openapi", Config::default());
    s.user("admin@example.com", Role::Admin);
    let admin = s.login("admin@example.com").await;
    let r = s
        .call(
            &Who::Anonymous,
            Method::GET,
            "/api/openapi.json",
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        documented.push(path.replace("{file}", "{*file}"));
        for (method, op) in ops.as_object().unwrap() {
            let concrete = path
                .replace("{id}", "424242")
                .replace("{token}", "nosuchtoken")
                .replace("{file}", "x.jpg");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s
                .call(&admin, m.clone(), &concrete, Payload::Json(json!({})))
                .await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !r.json["error"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("no such endpoint"),
                "{method} {path} is documented but not routed"
            );
            assert!(r.status.as_u16() < 500, "{method} {path}: {}", r.status);
            // `security: [{}]`: no account needed.
            let open = op.get("security").is_some_and(|s| s == &json!([{}]));
            if !open {
                let r = s
                    .call(&Who::Anonymous, m, &concrete, Payload::Json(json!({})))
                    .await;
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} without an account"
                );
                assert!(r.json["error"].is_string());
            }
        }
    }
    // The router and the document are built from one table: every operation of the
    // handlers is there, with its summary and error answers.
    assert!(documented.len() >= 23, "{documented:?}");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            let open = op.get("security").is_some_and(|s| s == &json!([{}]));
            assert!(
                open || op["responses"]["401"].is_object(),
                "{method} {path} needs an account but documents no 401: {}",
                op["responses"]
            );
        }
    }
    let r = s
        .call(&admin, Method::GET, "/api/nothing", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"], "no such endpoint: GET /api/nothing");
    // The page and its security headers.
    let r = s
        .call(&Who::Anonymous, Method::GET, "/", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.bytes).contains("app.js"));
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_photos_guidelines_and_logins_get_clear_errors() {
    let s = Service::new(
        "bad",
        Config {
            max_upload_bytes: 1024 * 1024,
            ..Config::default()
        },
    );
    s.user("admin@example.com", Role::Admin);
    let admin = s.login("admin@example.com").await;

    // Every hostile file: 422 naming the file and the reason, never a 5xx, nothing stored.
    for entry in std::fs::read_dir(root().join("photos/bad")).unwrap() {
        let path = entry.unwrap().path();
        let name: &'static str = Box::leak(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        );
        if name.ends_with(".md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let r = s
            .call(
                &admin,
                Method::POST,
                "/api/photos",
                Payload::Photo(bytes.clone(), name),
            )
            .await;
        let error = r.json["error"].as_str().unwrap_or_default();
        if bytes.len() > 1024 * 1024 {
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{name}: {error}");
            assert_eq!(error, "the photo is larger than the 1 MB allowed");
        } else if bytes.is_empty() {
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {error}"
            );
        } else {
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {error}"
            );
            assert!(error.starts_with(&format!("{name}: ")), "{name}: {error}");
        }
        let r = s
            .call(
                &admin,
                Method::POST,
                "/api/check",
                Payload::Photo(bytes, name),
            )
            .await;
        assert!(r.status.is_client_error(), "check {name}: {}", r.status);
    }
    let r = s
        .call(&admin, Method::GET, "/api/photos", Payload::None)
        .await;
    assert_eq!(r.json, json!([]), "no bad file was queued");
    assert_eq!(
        std::fs::read_dir(s.app.data.join("photos"))
            .unwrap()
            .count(),
        0
    );

    // A guideline with an error: 422 with its line and column; nothing changes.
    let g = s
        .call(&admin, Method::GET, "/api/guideline", Payload::None)
        .await;
    let text = g.json["toml"].as_str().unwrap().to_string();
    let broken = text.replacen("width = 1200", "width = \"big\"", 1);
    let line = broken.lines().position(|l| l.contains("\"big\"")).unwrap() + 1;
    for path in ["/api/guideline/validate", "/api/guideline"] {
        let m = if path.ends_with("validate") {
            Method::POST
        } else {
            Method::PUT
        };
        let r = s
            .call(&admin, m, path, Payload::Json(json!({"toml": broken})))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
        assert_eq!(r.json["line"], json!(line), "{}", r.json);
        assert!(r.json["column"].as_u64().is_some());
    }
    // A background photo outside the server's backgrounds folder is refused.
    let sneaky = text.replace(
        "mode = \"gradient\"",
        "mode = \"image\"\nimage = \"/etc/hostname\"",
    );
    assert_ne!(sneaky, text);
    let r = s
        .call(
            &admin,
            Method::PUT,
            "/api/guideline",
            Payload::Json(json!({"toml": sneaky})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
    assert!(r.json["error"]
        .as_str()
        .unwrap()
        .contains("backgrounds folder"));
    let r = s
        .call(&admin, Method::GET, "/api/guideline", Payload::None)
        .await;
    assert_eq!(r.json["toml"], json!(text));
    // A valid change is kept, with who made it.
    let square = text.replacen("eye_line = 0.42", "eye_line = 0.43", 1);
    let r = s
        .call(
            &admin,
            Method::PUT,
            "/api/guideline",
            Payload::Json(json!({"toml": square})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["updated_by"], "admin@example.com");
    assert_eq!(r.json["variants"][1]["eye_line"], json!(0.43));

    // Invites: a link for a new member, a password rule, used once.
    let r = s
        .call(
            &admin,
            Method::POST,
            "/api/users",
            Payload::Json(json!({"email": "New@Example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let link = r.json["invite_url"].as_str().unwrap().to_string();
    let token = link.strip_prefix("/invite/").unwrap();
    let r = s
        .call(
            &admin,
            Method::POST,
            "/api/users",
            Payload::Json(json!({"email": "new@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s
        .call(
            &Who::Anonymous,
            Method::GET,
            &format!("/api/invites/{token}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.json["email"], "new@example.com");
    let api = format!("/api/invites/{token}");
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            &api,
            Payload::Json(json!({"password": "short"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            &api,
            Payload::Json(json!({"password": "a long enough secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let newbie = session_of(&r);
    let r = s.call(&newbie, Method::GET, "/api/me", Payload::None).await;
    assert_eq!(r.json["user"]["email"], "new@example.com");
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            &api,
            Payload::Json(json!({"password": "another long secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an invite works once");
    // Logging out ends the session.
    let r = s
        .call(&newbie, Method::POST, "/api/logout", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.call(&newbie, Method::GET, "/api/me", Payload::None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Guessing passwords: the same answer for a wrong password and an unknown account, then
    // a pause (429 with Retry-After) after ten failures on one account.
    for (i, email) in std::iter::repeat_n("admin@example.com", 10)
        .chain(["nobody@example.com"])
        .enumerate()
    {
        let r = s
            .call(
                &Who::Anonymous,
                Method::POST,
                "/api/login",
                Payload::Json(json!({"email": email, "password": format!("guess {i}")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json["error"], "wrong email or password");
    }
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            "/api/login",
            Payload::Json(
                json!({"email": "admin@example.com", "password": "correct horse battery"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    assert!(
        r.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    // Another site's form cannot log anyone in.
    let req = Request::post("/api/login")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": "nobody@example.com", "password": "x"}).to_string(),
        ))
        .unwrap();
    let res = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Behind a TLS proxy the session cookie is only ever sent over HTTPS.
    s.user("tls@example.com", Role::Member);
    let req = Request::post("/api/login")
        .header("x-forwarded-proto", "https")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": "tls@example.com", "password": "correct horse battery"}).to_string(),
        ))
        .unwrap();
    let res = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    // Malformed JSON is a 4xx with a JSON message.
    let req = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let res = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).unwrap()["error"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_resets_a_forgotten_password_and_removes_a_leaver_with_all_their_photos() {
    let s = Service::new("leaver", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("leo@example.com", Role::Member);
    s.user("mia@example.com", Role::Member);
    let admin = s.login("admin@example.com").await;
    let leo = s.login("leo@example.com").await;
    let mia = s.login("mia@example.com").await;
    let users = s
        .call(&admin, Method::GET, "/api/users", Payload::None)
        .await;
    let id_of = |email: &str| {
        users
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (leo_id, mia_id, admin_id) = (
        id_of("leo@example.com"),
        id_of("mia@example.com"),
        id_of("admin@example.com"),
    );

    // Members may do neither.
    let r = s
        .call(
            &mia,
            Method::POST,
            &format!("/api/users/{leo_id}/invite"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .call(
            &mia,
            Method::DELETE,
            &format!("/api/users/{leo_id}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A new link: only the newest works, and using it signs the person out everywhere else.
    let first = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/users/{mia_id}/invite"),
            Payload::None,
        )
        .await;
    let second = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/users/{mia_id}/invite"),
            Payload::None,
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.json);
    let api = |r: &Reply| {
        format!(
            "/api{}",
            r.json["invite_url"]
                .as_str()
                .unwrap()
                .replace("/invite/", "/invites/")
        )
    };
    let r = s
        .call(&Who::Anonymous, Method::GET, &api(&first), Payload::None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "an older link stops working"
    );
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            &api(&second),
            Payload::Json(json!({"password": "a brand new secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let r = s.call(&mia, Method::GET, "/api/me", Payload::None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the old session ended");
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            "/api/login",
            Payload::Json(json!({"email": "mia@example.com", "password": "a brand new secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Leo leaves: his account, sessions, tokens and every photo file go; Mia's stay.
    let token = s
        .call(
            &leo,
            Method::POST,
            "/api/tokens",
            Payload::Json(json!({"name": "phone"})),
        )
        .await;
    let leo_token = Who::Token(token.json["token"].as_str().unwrap().to_string());
    let bytes = photo("photos/samples/grace_hopper.jpg");
    let leos = s
        .call(
            &leo,
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes.clone(), "leo.jpg"),
        )
        .await;
    let leo_photo = leos.json["id"].as_i64().unwrap();
    let mia_session = session_of(&r);
    let mias = s
        .call(
            &mia_session,
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes, "mia.jpg"),
        )
        .await;
    let mia_photo = mias.json["id"].as_i64().unwrap();
    s.processed(&leo, leo_photo).await;
    s.processed(&mia_session, mia_photo).await;
    assert!(s.app.photo_dir(leo_photo).join("original.jpg").is_file());
    let r = s
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/users/{admin_id}"),
            Payload::None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "an admin cannot remove themself"
    );
    let r = s
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/users/{leo_id}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
    assert!(
        !s.app.photo_dir(leo_photo).exists(),
        "Leo's original and headshots are deleted"
    );
    assert!(s.app.photo_dir(mia_photo).join("original.jpg").is_file());
    for who in [&leo, &leo_token] {
        let r = s.call(who, Method::GET, "/api/me", Payload::None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = s
        .call(&admin, Method::GET, "/api/photos", Payload::None)
        .await;
    let ids: Vec<i64> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [mia_photo]);
    let r = s
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/users/{leo_id}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A flood of password guesses sent in parallel cannot get past the limit: every attempt takes
/// its token before the password is checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_password_guesses_are_limited_like_sequential_ones() {
    let s = Arc::new(Service::new("flood", Config::default()));
    s.user("admin@example.com", Role::Admin);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.call(
                    &Who::Anonymous,
                    Method::POST,
                    "/api/login",
                    Payload::Json(
                        json!({"email": "admin@example.com", "password": format!("guess {i}")}),
                    ),
                )
                .await
                .status
            })
        })
        .collect();
    let mut checked = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(
        checked, 10,
        "ten guesses per account, however they are sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_are_listed_revoked_and_ended_by_a_password_reset() {
    let s = Service::new("tokens", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("kim@example.com", Role::Member);
    let admin = s.login("admin@example.com").await;
    let kim = s.login("kim@example.com").await;
    let mut tokens = Vec::new();
    for name in ["laptop", "phone"] {
        let r = s
            .call(
                &kim,
                Method::POST,
                "/api/tokens",
                Payload::Json(json!({"name": name})),
            )
            .await;
        tokens.push(Who::Token(r.json["token"].as_str().unwrap().to_string()));
    }
    let r = s
        .call(&kim, Method::GET, "/api/tokens", Payload::None)
        .await;
    let listed = r.json.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|t| t.get("token").is_none()),
        "the secret is shown once only"
    );
    let laptop = listed[0]["id"].as_i64().unwrap();
    // Someone else cannot revoke Kim's token; Kim can.
    let r = s
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/tokens/{laptop}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s
        .call(
            &kim,
            Method::DELETE,
            &format!("/api/tokens/{laptop}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .call(&tokens[0], Method::GET, "/api/me", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s
        .call(&tokens[1], Method::GET, "/api/me", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A password reset by a new sign-in link ends the remaining token too.
    let users = s
        .call(&admin, Method::GET, "/api/users", Payload::None)
        .await;
    let kim_id = users
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "kim@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/users/{kim_id}/invite"),
            Payload::None,
        )
        .await;
    let api = format!(
        "/api{}",
        r.json["invite_url"]
            .as_str()
            .unwrap()
            .replace("/invite/", "/invites/")
    );
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            &api,
            Payload::Json(json!({"password": "kim's new secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .call(&tokens[1], Method::GET, "/api/me", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Requests that would take a lot of memory are refused before they do: a JSON body over 1 MB
/// on any endpoint, a live-check "frame" of 100 megapixels (a tiny PNG of one colour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_frames_are_refused_early() {
    let s = Service::new("big", Config::default());
    s.user("admin@example.com", Role::Admin);
    let admin = s.login("admin@example.com").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = s
        .call(
            &Who::Anonymous,
            Method::POST,
            "/api/login",
            Payload::Json(json!({"email": huge, "password": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // 10000×10000 grey: 100 MP, a few hundred KB of PNG
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 10_000, 10_000);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&vec![128u8; 10_000 * 10_000]).unwrap();
    }
    assert!(png.len() < 1024 * 1024, "{}", png.len());
    let r = s
        .call(
            &admin,
            Method::POST,
            "/api/check",
            Payload::Photo(png, "frame.png"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("too large"),
        "{}",
        r.json
    );
}

/// Removing an account while a worker is busy with its photo: the worker's result goes nowhere,
/// the next upload gets a new id, and nothing of the removed photo stays on the disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_a_removed_member_never_reappears() {
    let s = Service::new("race", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("leo@example.com", Role::Member);
    s.user("mia@example.com", Role::Member);
    let admin = s.login("admin@example.com").await;
    let leo = s.login("leo@example.com").await;
    let mia = s.login("mia@example.com").await;
    let bytes = photo("photos/samples/biden.jpg");
    let r = s
        .call(
            &leo,
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes.clone(), "leo.jpg"),
        )
        .await;
    let leo_photo = r.json["id"].as_i64().unwrap();
    // Remove Leo as soon as his photo is being processed.
    let t = Instant::now();
    while s
        .app
        .store
        .embedded()
        .unwrap()
        .photo(leo_photo)
        .unwrap()
        .unwrap()
        .state
        != "processing"
    {
        assert!(t.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let users = s
        .call(&admin, Method::GET, "/api/users", Payload::None)
        .await;
    let leo_id = users
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "leo@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = s
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/users/{leo_id}"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .call(
            &mia,
            Method::POST,
            "/api/photos",
            Payload::Photo(bytes, "mia.jpg"),
        )
        .await;
    let mia_photo = r.json["id"].as_i64().unwrap();
    assert!(mia_photo > leo_photo, "ids are never reused");
    let item = s.processed(&mia, mia_photo).await;
    assert_eq!(item["name"], "mia.jpg");
    let report = item["report"].to_string();
    assert!(report.contains("\"mia\""), "Mia's photo has her own report");
    assert!(
        !s.app.photo_dir(leo_photo).exists(),
        "nothing of Leo's photo is left"
    );
    let mut files = Vec::new();
    for e in std::fs::read_dir(s.app.photo_dir(mia_photo).join("out")).unwrap() {
        files.push(e.unwrap().file_name().to_string_lossy().into_owned());
    }
    assert!(files.iter().all(|f| !f.starts_with("leo")), "{files:?}");
}

/// After a change of guideline (here: the brand colour behind everyone) the admin makes the
/// team's existing headshots again; nobody uploads again, and the new headshots need approving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_guideline_is_applied_to_the_photos_already_made() {
    let s = Service::new("apply", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("eva@example.com", Role::Member);
    let admin = s.login("admin@example.com").await;
    let eva = s.login("eva@example.com").await;
    let r = s.upload(&eva, "photos/samples/grace_hopper.jpg").await;
    let id = r.json["id"].as_i64().unwrap();
    let before = s.processed(&eva, id).await;
    assert_eq!(before["report"]["background"]["mode"], "gradient");
    s.call(
        &eva,
        Method::POST,
        &format!("/api/photos/{id}/accept"),
        Payload::None,
    )
    .await;
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/review"),
            Payload::Json(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(r.json["status"], "approved");
    // Nothing to redo while the guideline is the one the photo was made with.
    let r = s
        .call(&admin, Method::POST, "/api/guideline/apply", Payload::None)
        .await;
    assert_eq!(r.json["queued"], 0, "{}", r.json);

    let g = s
        .call(&admin, Method::GET, "/api/guideline", Payload::None)
        .await;
    let text = g.json["toml"]
        .as_str()
        .unwrap()
        .replace("mode = \"gradient\"", "mode = \"color\"")
        .replace("color = \"#B9BDC2\"", "color = \"#2B5797\"");
    assert!(
        text.contains("mode = \"color\"") && text.contains("#2B5797"),
        "{text}"
    );
    let r = s
        .call(
            &admin,
            Method::PUT,
            "/api/guideline",
            Payload::Json(json!({"toml": text})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let sha = r.json["sha256"].as_str().unwrap().to_string();
    let r = s
        .call(&eva, Method::POST, "/api/guideline/apply", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "members cannot");
    let r = s
        .call(&admin, Method::POST, "/api/guideline/apply", Payload::None)
        .await;
    assert_eq!(r.json["queued"], 1, "{}", r.json);
    let after = s.processed(&eva, id).await;
    assert_eq!(after["guideline_sha256"], json!(sha));
    assert_eq!(after["report"]["background"]["mode"], "color");
    assert_eq!(
        after["status"], "accepted",
        "Eva's acceptance stays, the approval is cleared"
    );
    assert_eq!(after["review"], Value::Null);
    let h = &after["headshots"][0];
    assert_eq!(h["verification"]["status"], "passed");
    let r = s
        .call(&eva, Method::GET, h["url"].as_str().unwrap(), Payload::None)
        .await;
    let img = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
    let corner = img.get_pixel(4, 4).0;
    assert!(
        corner
            .iter()
            .zip([0x2b, 0x57, 0x97])
            .all(|(a, b)| (i32::from(*a) - b).abs() <= 3),
        "the new background: {corner:?}"
    );
    // One photo at a time too; not while it is queued, nor once discarded.
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/redo"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/redo"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
    s.processed(&eva, id).await;
    s.call(
        &eva,
        Method::POST,
        &format!("/api/photos/{id}/discard"),
        Payload::None,
    )
    .await;
    let r = s
        .call(
            &admin,
            Method::POST,
            &format!("/api/photos/{id}/redo"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s
        .call(
            &eva,
            Method::POST,
            &format!("/api/photos/{id}/redo"),
            Payload::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// An upload refused as unreadable does not use up one of the member's uploads for the hour, so
/// a phone user who picked the wrong file can simply pick another; the limit still holds for
/// photos that were stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_does_not_count_against_the_hourly_limit() {
    let s = Service::new(
        "quota",
        Config {
            uploads: auth::Limit {
                burst: 2,
                window_secs: 3600,
            },
            ..Config::default()
        },
    );
    s.user("member@example.com", Role::Member);
    let member = s.login("member@example.com").await;
    for _ in 0..3 {
        let r = s.upload(&member, "photos/bad/text.jpg").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
    }
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            s.upload(&member, "photos/samples/grace_hopper.jpg")
                .await
                .status,
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "two stored uploads within the limit of two, whatever was refused before"
    );
}

/// A stalled upload is dropped once its body sends nothing for the idle timeout, and a request
/// that takes longer than the request timeout is answered 408: neither holds the server, and
/// both are told in JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_and_slow_requests_time_out() {
    for (idle, total, want) in [
        (1, 120, StatusCode::BAD_REQUEST),
        (120, 1, StatusCode::REQUEST_TIMEOUT),
    ] {
        let s = Service::new(
            &format!("timeout-{idle}"),
            Config {
                body_idle_timeout: Duration::from_secs(idle),
                request_timeout: Duration::from_secs(total),
                ..Config::default()
            },
        );
        s.user("jane@example.com", Role::Member);
        let jane = s.login("jane@example.com").await;
        let r = tokio::time::timeout(
            Duration::from_secs(60),
            s.call(
                &jane,
                Method::POST,
                "/api/photos",
                Payload::Stalled(b"\xff\xd8\xff\xe0"),
            ),
        )
        .await
        .expect("a stalled upload is answered, not held");
        assert_eq!(r.status, want, "{}", r.json);
        assert!(r.json["error"].is_string(), "{}", r.json);
        // Nothing was stored.
        assert!(s
            .app
            .store
            .embedded()
            .unwrap()
            .photos(None)
            .unwrap()
            .is_empty());
    }
}

/// The value of a metric line `name{labels} value` in Prometheus' text format (0 when absent).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_request_ids_for_operators() {
    let s = Service::new("ops", Config::default());
    s.user("admin@example.com", Role::Admin);
    s.user("jane@example.com", Role::Member);
    let jane = s.login("jane@example.com").await;
    let admin = s.login("admin@example.com").await;

    // Liveness and readiness need no sign-in (a load balancer asks them).
    let r = s
        .call(&Who::Anonymous, Method::GET, "/healthz", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .call(&Who::Anonymous, Method::GET, "/readyz", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["ready"], true);

    // Every answer carries a request id: the client's own, or a new one.
    let id = r.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let req = Request::builder()
        .uri("/api/me")
        .header("x-request-id", "support-ticket-4711")
        .body(Body::empty())
        .unwrap();
    let res = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "support-ticket-4711");

    // Metrics are for an admin (a scraper sends an admin's API token), never for a member.
    let r = s.call(&jane, Method::GET, "/metrics", Payload::None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .call(&Who::Anonymous, Method::GET, "/metrics", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s
        .call(
            &admin,
            Method::POST,
            "/api/tokens",
            Payload::Json(json!({"name": "prometheus"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let scraper = Who::Token(r.json["token"].as_str().unwrap().to_string());

    // One photo made, one refused upload: the counters and the latency histogram say so.
    let up = s.upload(&jane, "photos/samples/obama.jpg").await;
    assert_eq!(up.status, StatusCode::ACCEPTED, "{}", up.json);
    let bad = s
        .call(
            &jane,
            Method::POST,
            "/api/photos",
            Payload::Photo(b"not a photo at all".to_vec(), "notes.jpg"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = s.processed(&jane, up.json["id"].as_i64().unwrap()).await;
    assert_eq!(p["status"], "ready", "{p}");
    let r = s
        .call(&scraper, Method::GET, "/metrics", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = String::from_utf8(r.bytes).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    for (series, want) in [
        (r#"trueshot_queue_depth{kind="photo"}"#, 0.0),
        (r#"trueshot_queue_depth{kind="day"}"#, 0.0),
        (r#"trueshot_jobs_in_flight{kind="photo"}"#, 0.0),
        (r#"trueshot_jobs_total{kind="photo",outcome="ready"}"#, 1.0),
        (r#"trueshot_job_seconds_count{kind="photo"}"#, 1.0),
        (
            r#"trueshot_uploads_total{kind="photo",result="accepted"}"#,
            1.0,
        ),
        (
            r#"trueshot_uploads_total{kind="photo",result="refused"}"#,
            1.0,
        ),
    ] {
        assert_eq!(metric(&text, series), want, "{series} in\n{text}");
    }
    assert!(
        text.contains(r#"trueshot_queue_depth{kind="photo"}"#),
        "the queue depth is always there: {text}"
    );
    let secs = metric(&text, r#"trueshot_job_seconds_sum{kind="photo"}"#);
    assert!(secs > 0.1 && secs < 120.0, "{secs}");

    // A stopping server is no longer ready: the load balancer sends no new work.
    s.app.shutdown();
    let r = s
        .call(&Who::Anonymous, Method::GET, "/readyz", Payload::None)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.json);
    assert_eq!(r.json["reason"], "the server is stopping");
}
