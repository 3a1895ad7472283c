//! The HTTP API and the page: routes, handlers and the JSON they answer. The contract is
//! `openapi.json` (served at `/api/openapi.json`; a test checks every documented operation
//! against this router).
//!
//! Access rules, in one place: a member sees and acts on their own photos only (another
//! member's photo answers 404, exactly like a photo that does not exist); an admin sees every
//! photo, reviews, edits the guideline, manages accounts and exports.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use trueshot_codec::{decode_bytes_reduced, Limits, SourceFormat};
use trueshot_pipeline::report::FindingReport;
use trueshot_pipeline::{PhotoStatus, Report};

use crate::auth::{self, Caller, Limit};
use crate::db::{Db, Photo, Role};
use crate::{ApiError, App, CurrentGuide};

/// Days an invite link stays valid.
pub const INVITE_DAYS: i64 = 7;
/// Failed logins allowed per client address, and per account, before waiting.
const LOGIN_FAILURES_IP: Limit = Limit {
    burst: 30,
    window_secs: 600,
};
const LOGIN_FAILURES_ACCOUNT: Limit = Limit {
    burst: 10,
    window_secs: 900,
};
/// Live checks: a camera sends about five frames a second.
const CHECKS: Limit = Limit {
    burst: 40,
    window_secs: 4,
};

/// Largest JSON body (login, guideline, review…).
const MAX_JSON_BYTES: usize = 1024 * 1024;
/// A live check is a camera frame: 1080p is 2 MP, so 16 MP is generous and bounds the memory
/// a decode may take (a PNG is decoded at full size).
const CHECK_PIXELS: u64 = 16_000_000;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router(app: Arc<App>) -> Router {
    let max_body = app.config.max_upload_bytes;
    Router::new()
        .route("/", get(page_index))
        .route("/invite/{token}", get(page_index))
        .route("/app.js", get(page_js))
        .route("/app.css", get(page_css))
        .route("/api/openapi.json", get(openapi))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/invites/{token}", get(invite).post(accept_invite))
        .route("/api/tokens", get(list_tokens).post(create_token))
        .route("/api/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/api/users", get(list_users).post(add_user))
        .route("/api/users/{id}", axum::routing::delete(remove_user))
        .route("/api/users/{id}/invite", post(reinvite))
        .route("/api/guideline", get(get_guideline).put(put_guideline))
        .route("/api/guideline/validate", post(validate_guideline))
        .route("/api/guideline/apply", post(apply_guideline))
        .route(
            "/api/check",
            post(check).layer(DefaultBodyLimit::max(max_body)),
        )
        .route(
            "/api/photos",
            get(list_photos)
                .post(upload)
                .layer(DefaultBodyLimit::max(max_body)),
        )
        .route("/api/photos/{id}", get(get_photo))
        .route("/api/photos/{id}/original", get(original))
        .route("/api/photos/{id}/files/{*file}", get(photo_file))
        .route("/api/photos/{id}/accept", post(accept))
        .route("/api/photos/{id}/discard", post(discard))
        .route("/api/photos/{id}/review", post(review))
        .route("/api/photos/{id}/redo", post(redo))
        .route("/api/export.zip", get(export))
        .fallback(no_such_endpoint)
        // Everything but a photo is small JSON (a guideline is at most 256 KB): 1 MB bodies.
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(middleware::map_response(security_headers))
        .with_state(app)
}

// ---- extractors ---------------------------------------------------------------------------

/// A JSON body whose rejection is a JSON error (axum's own answers in plain text).
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::new(e.status(), e.body_text())),
        }
    }
}

/// The client's address (absent when the router is called in-process, as in tests).
struct ClientIp(String);

impl FromRequestParts<Arc<App>> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        // Behind the proxy named by --trusted-proxy every connection comes from it: the client
        // is the last address it added to X-Forwarded-For. Nobody else may claim an address.
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
                .next_back()
        };
        let ip = match (peer, app.config.trusted_proxy) {
            (Some(p), Some(proxy)) if p == proxy => forwarded().or(peer),
            _ => peer,
        };
        Ok(ClientIp(
            ip.map_or_else(|| "local".into(), |ip| ip.to_string()),
        ))
    }
}

fn photo_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found("photo"))
}

fn upload_bytes(body: Result<Bytes, BytesRejection>, max: usize) -> Result<Bytes, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the photo is larger than the {} MB allowed",
                    max / (1024 * 1024)
                ),
            )
        } else {
            ApiError::bad(format!("cannot read the upload: {}", e.body_text()))
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::unprocessable(
            "the upload is empty: send the photo's bytes as the request body",
        ));
    }
    Ok(body)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

// ---- page -----------------------------------------------------------------------------------

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn page_index() -> Response {
    static_file(INDEX_HTML, "text/html; charset=utf-8")
}
async fn page_js() -> Response {
    static_file(APP_JS, "text/javascript; charset=utf-8")
}
async fn page_css() -> Response {
    static_file(APP_CSS, "text/css; charset=utf-8")
}
async fn openapi() -> Response {
    static_file(OPENAPI, "application/json")
}

async fn no_such_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    )
}

/// Headers on every answer: the page runs only its own scripts and styles, is never framed,
/// and never sends an invite link's token to another site in a Referer.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(
        h,
        "permissions-policy",
        "camera=(self), microphone=(), geolocation=()",
    );
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
         style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    r
}

// ---- accounts ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

/// Lower-cased, trimmed; refuses what cannot be an address.
pub fn normalise_email(email: &str) -> Result<String, ApiError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(ApiError::bad(format!(
            "\"{}\" is not an email address",
            email.trim()
        )))
    }
}

/// Whether the session cookie is marked `Secure`: always with `--secure-cookies`, and when a TLS
/// proxy in front says the page was requested over HTTPS.
fn secure(app: &App, headers: &HeaderMap) -> bool {
    app.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn logged_in(app: &App, user: crate::db::User, headers: &HeaderMap) -> Result<Response, ApiError> {
    let token = auth::secret()?;
    let csrf = auth::secret()?;
    app.db
        .create_session(
            &auth::digest(&token),
            user.id,
            &csrf,
            crate::db::unix_now() + auth::SESSION_SECONDS,
        )
        .map_err(ApiError::internal)?;
    let cookie = auth::session_cookie(Some(&token), secure(app, headers));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({ "user": user, "csrf": csrf })),
    )
        .into_response())
}

async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Body(body): Body<LoginBody>,
) -> Result<Response, ApiError> {
    auth::same_origin(&headers)?;
    let email = body.email.trim().to_lowercase();
    let keys = [
        (format!("login-ip:{ip}"), LOGIN_FAILURES_IP),
        (format!("login-account:{email}"), LOGIN_FAILURES_ACCOUNT),
    ];
    // Every attempt takes its tokens before the password is checked (so that parallel requests
    // cannot all slip under the limit); a successful one gives them back.
    for (i, (key, limit)) in keys.iter().enumerate() {
        if let Err(s) = app.limits.take(key, *limit) {
            for (key, limit) in &keys[..i] {
                app.limits.refund(key, *limit);
            }
            return Err(ApiError::too_many(s, "failed logins"));
        }
    }
    let found = app.db.user_by_email(&email).map_err(ApiError::internal)?;
    let password = body.password;
    let _work = app.work().await?;
    let user = blocking(move || {
        Ok(match found {
            Some((user, Some(hash))) => auth::verify_password(&password, &hash).then_some(user),
            _ => {
                auth::verify_password(&password, auth::dummy_hash());
                None
            }
        })
    })
    .await?;
    match user {
        Some(user) => {
            for (key, limit) in &keys {
                app.limits.refund(key, *limit);
            }
            logged_in(&app, user, &headers)
        }
        None => Err(ApiError::unauthorized("wrong email or password")),
    }
}

async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    if let Some(s) = &caller.session {
        app.db.delete_session(s).map_err(ApiError::internal)?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            auth::session_cookie(None, secure(&app, &headers)),
        )],
    )
        .into_response())
}

async fn me(caller: Caller) -> Json<Value> {
    Json(json!({ "user": caller.user, "csrf": caller.csrf }))
}

/// Creates an invite for an account; returns the page's path with the secret.
pub fn make_invite(db: &Db, user: i64) -> Result<String, ApiError> {
    let token = auth::secret()?;
    db.create_invite(
        &auth::digest(&token),
        user,
        crate::db::unix_now() + INVITE_DAYS * 86_400,
    )
    .map_err(ApiError::internal)?;
    Ok(format!("/invite/{token}"))
}

async fn invite(
    State(app): State<Arc<App>>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = app
        .db
        .invite(&auth::digest(&token))
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("invite (it may have been used or have expired)"))?;
    Ok(Json(json!({ "email": user.email, "role": user.role })))
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

async fn accept_invite(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
    Body(body): Body<PasswordBody>,
) -> Result<Response, ApiError> {
    auth::same_origin(&headers)?;
    auth::check_password_rules(&body.password)?;
    let key = auth::digest(&token);
    if app.db.invite(&key).map_err(ApiError::internal)?.is_none() {
        return Err(ApiError::not_found(
            "invite (it may have been used or have expired)",
        ));
    }
    let _work = app.work().await?;
    let hash = blocking(move || auth::hash_password(&body.password)).await?;
    let user = app
        .db
        .accept_invite(&key, &hash)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("invite (it may have been used or have expired)"))?;
    logged_in(&app, user, &headers)
}

#[derive(Deserialize)]
struct TokenBody {
    name: String,
}

async fn create_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<TokenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad("name the token (1 to 100 characters)"));
    }
    let token = auth::secret()?;
    app.db
        .create_api_token(&auth::digest(&token), caller.user.id, name)
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "name": name })),
    ))
}

async fn list_tokens(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let tokens = app
        .db
        .api_tokens(caller.user.id)
        .map_err(ApiError::internal)?;
    Ok(Json(Value::Array(
        tokens
            .into_iter()
            .map(|(id, name, created)| json!({ "id": id, "name": name, "created": created }))
            .collect(),
    )))
}

async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("token"))?;
    if app
        .db
        .revoke_api_token(caller.user.id, id)
        .map_err(ApiError::internal)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token"))
    }
}

async fn list_users(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let users = app.db.users().map_err(ApiError::internal)?;
    Ok(Json(Value::Array(
        users
            .into_iter()
            .map(|(u, created, photos, active)| {
                json!({ "id": u.id, "email": u.email, "role": u.role, "created": created,
                        "photos": photos, "active": active })
            })
            .collect(),
    )))
}

#[derive(Deserialize)]
struct NewUser {
    email: String,
    #[serde(default = "member")]
    role: Role,
}

fn member() -> Role {
    Role::Member
}

async fn add_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require_admin()?;
    let email = normalise_email(&body.email)?;
    let user = app
        .db
        .create_user(&email, body.role, None)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::conflict(format!("{email} already has an account")))?;
    let invite_url = make_invite(&app.db, user.id)?;
    tracing::info!(
        "{} invited {} as {}",
        caller.user.email,
        email,
        body.role.as_str()
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "invite_url": invite_url })),
    ))
}

fn user_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found("account"))
}

/// A new invite link for an account: for someone who lost theirs or forgot their password.
/// Accepting it sets a new password and ends the account's other sessions.
async fn reinvite(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let user = app
        .db
        .user(user_id(&id)?)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("account"))?;
    let invite_url = make_invite(&app.db, user.id)?;
    tracing::info!("{} made a new invite for {}", caller.user.email, user.email);
    Ok(Json(json!({ "user": user, "invite_url": invite_url })))
}

/// Removes an account and everything of it: photos (originals and headshots), sessions, tokens.
/// What someone leaving the company is owed.
async fn remove_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let id = user_id(&id)?;
    if id == caller.user.id {
        return Err(ApiError::conflict(
            "you cannot remove your own account: another admin can",
        ));
    }
    let photos = app
        .db
        .delete_user(id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("account"))?;
    for photo in &photos {
        app.delete_photo_files(*photo);
    }
    tracing::info!(
        "{} removed account {id} and its {} photos",
        caller.user.email,
        photos.len()
    );
    Ok(StatusCode::NO_CONTENT)
}

// ---- guideline ----------------------------------------------------------------------------

/// A guideline number as written (0.38, not 0.3799999952316284): the shortest decimal that
/// reads back as the same `f32`.
fn as_written(x: f32) -> Value {
    x.to_string()
        .parse::<f64>()
        .map_or(Value::Null, |v| json!(v))
}

fn variants_json(guide: &trueshot_guide::Guideline) -> Value {
    Value::Array(
        guide
            .variant
            .iter()
            .map(|v| {
                json!({
                    "name": v.name, "width": v.width, "height": v.height,
                    "format": v.format.extension(), "eye_line": v.eye_line.map(as_written),
                    "eye_to_chin": v.eye_to_chin.map(as_written), "center_x": as_written(v.center_x),
                    "eye_line_tolerance": v.eye_line.map(|_| as_written(v.eye_line_tolerance)),
                    "eye_to_chin_tolerance": v.eye_to_chin.map(|_| as_written(v.eye_to_chin_tolerance)),
                    "crown_crop": v.eye_line.map(|_| as_written(v.crown_crop)),
                })
            })
            .collect(),
    )
}

fn guide_json(g: &CurrentGuide) -> Json<Value> {
    Json(json!({
        "name": g.loaded.guide.name,
        "toml": g.toml,
        "sha256": g.loaded.sha256,
        "updated": g.updated,
        "updated_by": g.updated_by,
        "variants": variants_json(&g.loaded.guide),
    }))
}

async fn get_guideline(State(app): State<Arc<App>>, _caller: Caller) -> Json<Value> {
    guide_json(&app.guide())
}

#[derive(Deserialize)]
struct GuideBody {
    toml: String,
}

impl GuideBody {
    fn check_size(&self) -> Result<(), ApiError> {
        const MAX_GUIDE_BYTES: usize = 256 * 1024;
        if self.toml.len() > MAX_GUIDE_BYTES {
            return Err(ApiError::unprocessable(
                "the guideline is larger than 256 KB",
            ));
        }
        Ok(())
    }
}

async fn put_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<GuideBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    body.check_size()?;
    let current = app.set_guide(&body.toml, &caller.user.email)?;
    tracing::info!("{} changed the guideline", caller.user.email);
    Ok(guide_json(&current))
}

async fn validate_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<GuideBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    body.check_size()?;
    let loaded = crate::parse_guide(&body.toml, &app.data)?;
    Ok(Json(json!({
        "ok": true,
        "name": loaded.guide.name,
        "variants": variants_json(&loaded.guide),
    })))
}

// ---- live check ---------------------------------------------------------------------------

async fn check(
    State(app): State<Arc<App>>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    app.limits
        .take(&format!("check:{}", caller.user.id), CHECKS)
        .map_err(|s| ApiError::too_many(s, "checks"))?;
    let bytes = upload_bytes(body, app.config.max_upload_bytes)?;
    let guide = app.guide();
    let engine = app.engine.clone();
    let limits = Limits {
        max_file_bytes: app.config.max_upload_bytes as u64,
        max_pixels: CHECK_PIXELS,
        max_side: 8192,
    };
    let _work = app.work().await?;
    blocking(move || Ok(check_frame(&bytes, &engine, &guide.loaded.guide, &limits)))
        .await?
        .map(Json)
}

/// The live check of one camera frame (or photo): the main face, what to fix and where the
/// guideline wants the eyes.
pub fn check_frame(
    bytes: &[u8],
    engine: &trueshot_pipeline::Engine,
    guide: &trueshot_guide::Guideline,
    limits: &Limits,
) -> Result<Value, ApiError> {
    let r = trueshot_pipeline::check::check_bytes(
        bytes,
        Path::new("frame"),
        engine.perception(),
        guide,
        limits,
        true,
    )
    .map_err(|e| {
        let e = e.to_string();
        ApiError::unprocessable(e.strip_prefix("frame: ").unwrap_or(&e).to_string())
    })?;
    let findings: Vec<FindingReport> = r.findings.iter().map(FindingReport::from).collect();
    let face = r
        .faces
        .first()
        .map(|f| json!(trueshot_pipeline::report::FaceReport::from(f)));
    let v = guide.primary();
    Ok(json!({
        "width": r.width,
        "height": r.height,
        "status": r.worst,
        "faces": r.faces.len(),
        "face": face,
        "advice": crate::worker::advice(&findings),
        "findings": findings,
        "target": {
            "eye_line": v.eye_line.map(as_written),
            "eye_to_chin": v.eye_to_chin.map(as_written),
            "center_x": as_written(v.center_x),
            "aspect": v.width as f64 / v.height.max(1) as f64,
        },
    }))
}

// ---- photos -------------------------------------------------------------------------------

fn extension(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Jpeg => "jpg",
        SourceFormat::Png => "png",
        SourceFormat::WebP => "webp",
        SourceFormat::Tiff => "tif",
        SourceFormat::Heic => "heic",
        SourceFormat::Avif => "avif",
    }
}

fn content_type(file: &str) -> &'static str {
    match file
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "avif" => "image/avif",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The report as the person may see it: the server's folders are not in it.
fn public_report(report: &str) -> Value {
    let mut r: Value = serde_json::from_str(report).unwrap_or(Value::Null);
    if let Some(obj) = r.as_object_mut() {
        obj.remove("input");
        if let Some(e) = obj.get("error").and_then(|e| e.as_str()) {
            let failed = Report {
                status: Some(PhotoStatus::Error),
                error: Some(e.to_string()),
                ..Report::default()
            };
            let (_, reason, _) = crate::worker::outcome(&failed);
            obj.insert("error".into(), json!(reason));
        }
    }
    r
}

/// Files of a photo's output folder that may be fetched: those its report names.
fn listed_files(report: &Report) -> Vec<String> {
    let mut files: Vec<String> = report.thumbnail.iter().cloned().collect();
    files.extend(report.outputs.iter().cloned());
    for v in report.variants() {
        files.extend(
            [&v.file, &v.before, &v.cutout]
                .into_iter()
                .flatten()
                .cloned(),
        );
        files.extend(v.face_crops.iter().flatten().cloned());
    }
    files
}

/// A photo as the API shows it (`full`: with its report).
pub fn photo_json(p: &Photo, full: bool) -> Value {
    let report = p
        .report
        .as_deref()
        .map(public_report)
        .unwrap_or(Value::Null);
    let typed = p
        .report
        .as_deref()
        .and_then(Report::parse)
        .unwrap_or_default();
    // Each check in plain words, from the one declaration the contact sheet also reads.
    let checks = |name: &Value| {
        typed
            .variants()
            .iter()
            .find(|v| name.as_str() == Some(v.name.as_str()))
            .and_then(|v| v.verification.as_ref())
            .map(|v| json!(v.lines()))
    };
    let base = format!("/api/photos/{}", p.id);
    let url = |f: &Value| f.as_str().map(|f| format!("{base}/files/{f}"));
    let headshots: Vec<Value> = report["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["file"].is_string())
        .map(|v| {
            let ver = &v["verification"];
            json!({
                "variant": v["name"],
                "width": v["width"],
                "height": v["height"],
                "format": v["format"],
                "url": url(&v["file"]),
                "before_url": url(&v["before"]),
                "verification": if ver.is_null() { Value::Null } else { json!({
                    "status": ver["status"],
                    "measures": ver["measures"],
                    "bounds": ver["bounds"],
                    "breaches": ver["breaches"],
                    "checks": checks(&v["name"]),
                })},
                "retouch": { "requested": v["retouch"]["requested"], "delivered": v["retouch"]["delivered"] },
                "framing": v["framing"],
                "target": v["target"],
                "tolerance": v["tolerance"],
                "in_tolerance": v["in_tolerance"],
            })
        })
        .collect();
    let advice: Value = serde_json::from_str(&p.advice).unwrap_or_else(|_| json!([]));
    let mut item = json!({
        "id": p.id,
        "name": p.name,
        "owner": { "id": p.owner.id, "email": p.owner.email },
        "status": p.status(),
        "reason": p.reason,
        "advice": advice,
        "review": p.review.as_ref().map(|r| json!({
            "decision": r, "comment": p.review_comment, "by": p.review_by, "at": p.review_at,
        })),
        "created": p.created,
        "updated": p.updated,
        "original_url": format!("{base}/original"),
        "thumbnail_url": url(&report["thumbnail"]),
        "headshots": headshots,
        "findings": report.get("findings").cloned().unwrap_or_else(|| json!([])),
        "content_credentials": report.get("content_credentials").cloned().unwrap_or(Value::Null),
        "guideline_sha256": report["guideline"]["sha256"],
    });
    if full {
        item["report"] = report;
    }
    item
}

/// The photo, if the caller may see it (their own, or any for an admin). Another member's
/// photo is "not found", so that ids reveal nothing.
fn visible_photo(app: &App, caller: &Caller, id: &str) -> Result<Photo, ApiError> {
    let id = photo_id(id)?;
    match app.db.photo(id).map_err(ApiError::internal)? {
        Some(p) if caller.is_admin() || p.owner.id == caller.user.id => Ok(p),
        _ => Err(ApiError::not_found("photo")),
    }
}

async fn upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let quota = format!("upload:{}", caller.user.id);
    app.limits
        .take(&quota, app.config.uploads)
        .map_err(|s| ApiError::too_many(s, "uploads"))?;
    let stored = store_upload(&app, &caller, &headers, body).await;
    if stored.is_err() {
        // Nothing was stored (an unreadable or oversized file, a full disk): the member may
        // retry with another file without losing one of their uploads for the hour.
        app.limits.refund(&quota, app.config.uploads);
    }
    let id = stored?;
    app.notify();
    let photo = app
        .db
        .photo(id)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the photo was just stored"))?;
    Ok((StatusCode::ACCEPTED, Json(photo_json(&photo, false))))
}

/// Reads, checks and durably stores one upload; returns its new photo id.
async fn store_upload(
    app: &Arc<App>,
    caller: &Caller,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<i64, ApiError> {
    let bytes = upload_bytes(body, app.config.max_upload_bytes)?;
    let name = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        })
        .unwrap_or_else(|| "photo".into());
    let limits = Limits {
        max_file_bytes: app.config.max_upload_bytes as u64,
        ..Limits::default()
    };
    let owner = caller.user.id;
    let app2 = app.clone();
    let _work = app.work().await?;
    blocking(move || {
        // Only photos trueshot can read are accepted: decoded small (a JPEG at 1/8 size in the
        // DCT domain), which also checks the limits on pixels before any large allocation.
        let photo = decode_bytes_reduced(&bytes, Path::new(&name), &limits, 256)
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        let ext = extension(photo.format);
        let incoming = write_incoming(&app2.data, ext, &bytes).map_err(storage_error)?;
        let added = app2.db.add_photo(owner, &name, ext, |id| {
            let dir = app2.photo_dir(id);
            std::fs::create_dir_all(&dir)?;
            std::fs::rename(&incoming, dir.join(format!("original.{ext}")))?;
            std::fs::File::open(&dir)?.sync_all()
        });
        if added.is_err() {
            let _ = std::fs::remove_file(&incoming);
        }
        added.map_err(|e| match e {
            crate::db::AddError::Io(e) => storage_error(e),
            e => ApiError::internal(e),
        })
    })
    .await
}

/// Writes an upload durably into `DATA/photos/.incoming/` (a file flushed to the disk) before
/// the database is touched; [`crate::db::Db::add_photo`] then only renames it.
fn write_incoming(data: &Path, ext: &str, bytes: &[u8]) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    let dir = data.join("photos").join(".incoming");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!(
        "{}.{ext}",
        auth::secret().map_err(|e| std::io::Error::other(e.message))?
    ));
    let written = std::fs::File::create(&path).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// A full disk is answered 507 (the client may retry later), anything else 500.
fn storage_error(e: std::io::Error) -> ApiError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        tracing::error!("cannot store an upload: {e}");
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "the server has no room for the photo right now: try again later",
        )
    } else {
        ApiError::internal(format!("cannot store an upload: {e}"))
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list_photos(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let owner = (!caller.is_admin()).then_some(caller.user.id);
    let photos = app.db.photos(owner).map_err(ApiError::internal)?;
    Ok(Json(Value::Array(
        photos
            .iter()
            .filter(|p| {
                q.status
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || s == "all" || p.status() == s)
            })
            .map(|p| photo_json(p, false))
            .collect(),
    )))
}

async fn get_photo(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(photo_json(&visible_photo(&app, &caller, &id)?, true)))
}

async fn send_file(path: std::path::PathBuf, name: String) -> Result<Response, ApiError> {
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found("file"))?;
    Ok(([(header::CONTENT_TYPE, content_type(&name))], bytes).into_response())
}

async fn original(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let p = visible_photo(&app, &caller, &id)?;
    let file = format!("original.{}", p.ext);
    send_file(app.photo_dir(p.id).join(&file), file).await
}

async fn photo_file(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = visible_photo(&app, &caller, &id)?;
    let report = p
        .report
        .as_deref()
        .and_then(Report::parse)
        .unwrap_or_default();
    // Only files the report names: no path from the request reaches the file system.
    if !listed_files(&report).contains(&file) {
        return Err(ApiError::not_found("file"));
    }
    send_file(app.photo_dir(p.id).join("out").join(&file), file).await
}

async fn decide(
    app: &App,
    caller: &Caller,
    id: &str,
    decision: &str,
) -> Result<Json<Value>, ApiError> {
    let p = visible_photo(app, caller, id)?;
    if p.owner.id != caller.user.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the person who uploaded the photo may accept or discard it",
        ));
    }
    if !app.db.decide(p.id, decision).map_err(ApiError::internal)? {
        return Err(ApiError::conflict(format!(
            "this photo cannot be {decision} now: it is {}",
            p.status()
        )));
    }
    if decision == "discarded" {
        // A retake: the person did not want this photo, so nothing of it is kept but its row
        // (status, dates, the report's numbers) — neither the original nor any headshot.
        app.delete_photo_files(p.id);
    }
    let p = visible_photo(app, caller, id)?;
    Ok(Json(photo_json(&p, false)))
}

async fn accept(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(&app, &caller, &id, "accepted").await
}

async fn discard(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(&app, &caller, &id, "discarded").await
}

#[derive(Deserialize)]
struct ReviewBody {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn review(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Body(body): Body<ReviewBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let p = visible_photo(&app, &caller, &id)?;
    let review = match body.decision.as_str() {
        "approve" => "approved",
        "reject" => "rejected",
        _ => return Err(ApiError::bad("decision must be \"approve\" or \"reject\"")),
    };
    let comment = body.comment.trim();
    if review == "rejected" && comment.is_empty() {
        return Err(ApiError::bad(
            "say why the headshot is rejected: the comment is what the employee reads",
        ));
    }
    if comment.chars().count() > 2000 {
        return Err(ApiError::bad("the comment is longer than 2000 characters"));
    }
    if !app
        .db
        .review(p.id, review, comment, &caller.user.email)
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::conflict(format!(
            "this photo cannot be reviewed now: it is {}",
            p.status()
        )));
    }
    tracing::info!("{} {review} photo {}", caller.user.email, p.id);
    Ok(Json(photo_json(&visible_photo(&app, &caller, &id)?, false)))
}

/// Makes a photo's headshots again with the guideline in force (admin).
async fn redo(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let p = visible_photo(&app, &caller, &id)?;
    if !app.db.redo(p.id).map_err(ApiError::internal)? {
        return Err(ApiError::conflict(format!(
            "this photo cannot be made again now: it is {}",
            p.status()
        )));
    }
    app.notify();
    tracing::info!("{} queued photo {} again", caller.user.email, p.id);
    Ok(Json(photo_json(&visible_photo(&app, &caller, &id)?, false)))
}

/// Queues again every photo made with an older guideline (admin), after a change such as a new
/// background: the team's headshots follow the guideline without anyone uploading again.
async fn apply_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let current = app.guide();
    let n = app
        .db
        .redo_outdated(&current.loaded.sha256)
        .map_err(ApiError::internal)?;
    for _ in 0..n.min(64) {
        app.notify();
    }
    tracing::info!(
        "{} queued {n} photos again for the current guideline",
        caller.user.email
    );
    Ok(Json(
        json!({ "queued": n, "sha256": current.loaded.sha256 }),
    ))
}

async fn export(State(app): State<Arc<App>>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let app2 = app.clone();
    // Built into a file that is unlinked at once and streamed: memory stays flat whatever the
    // size of the team, and nothing is left behind if the download is abandoned.
    let file = blocking(move || {
        let photos = app2.db.photos(None).map_err(ApiError::internal)?;
        let dir = app2.data.join("exports");
        std::fs::create_dir_all(&dir).map_err(storage_error)?;
        let path = dir.join(format!("{}.zip", auth::secret()?));
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(storage_error)?;
        let _ = std::fs::remove_file(&path);
        let mut file = crate::export::team_zip(&app2, &photos, std::io::BufWriter::new(file))
            .map_err(ApiError::internal)?
            .into_inner()
            .map_err(|e| ApiError::internal(e.error()))?;
        std::io::Seek::rewind(&mut file).map_err(ApiError::internal)?;
        Ok(file)
    })
    .await?;
    let chunks =
        futures_util::stream::unfold(Some(tokio::fs::File::from_std(file)), |file| async {
            let mut file = file?;
            let mut buf = vec![0u8; 256 * 1024];
            match tokio::io::AsyncReadExt::read(&mut file, &mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err::<Bytes, _>(e), None)),
            }
        });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"team-headshots.zip\"",
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}
