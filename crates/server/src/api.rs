//! The HTTP API and the page: routes and handlers. Each API handler carries its OpenAPI
//! operation, and [`api_routes`] routes and documents them from one table; the document is
//! served at `/api/openapi.json` (a test calls every documented operation).
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
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde::Deserialize;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;
use trueshot_codec::{decode_bytes_reduced, Limits, SourceFormat};
use trueshot_pipeline::report::{FaceReport, FindingReport};
use trueshot_pipeline::Report;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::{self, Caller, Limit};
use crate::db::{Photo, Role};
use crate::store::Store;
use crate::views::{
    Account, ApiDoc, CheckTarget, CheckView, ErrorBody, GuidelineView, InviteFor, Invited,
    NewToken, PhotoView, Requeued, Session, Token, Validated, VariantView,
};
use crate::{days_api, ApiError, App};

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

/// The service: the page, the API and its OpenAPI document.
pub fn router(app: Arc<App>) -> Router {
    let (api, _) = api_routes(app.config.max_upload_bytes).split_for_parts();
    Router::new()
        .route("/", get(page_index))
        .route("/invite/{token}", get(page_index))
        .route("/app.js", get(page_js))
        .route("/app.css", get(page_css))
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz))
        // A file may sit in a subfolder (`thumbs/…`): a wildcard, which `routes!` cannot
        // document, so it is declared in [`ApiDoc`] and routed here.
        .route("/api/photos/{id}/files/{*file}", get(photo_file))
        .route(
            "/api/days/{id}/files/{*file}",
            get(crate::days_api::day_file),
        )
        .merge(api)
        .fallback(no_such_endpoint)
        // Everything but a photo is small JSON (a guideline is at most 256 KB): 1 MB bodies.
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(
            tower::ServiceBuilder::new()
                .layer(RequestBodyTimeoutLayer::new(app.config.body_idle_timeout))
                .layer(MapRequestBodyLayer::new(axum::body::Body::new)),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            app.config.request_timeout,
        ))
        .layer(middleware::map_response(timed_out))
        .layer(middleware::map_response(security_headers))
        // Every request gets an id (the client's X-Request-Id, or a new UUID), answered in the
        // response and named by every log line written while it is handled.
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(app)
}

/// The log span of a request: its id, method and path (never the query, which may hold a
/// token).
fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
}

/// The API's routes and their OpenAPI operations, from one table: a route cannot be added
/// without its documentation, nor documented without being routed.
fn api_routes(max_body: usize) -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_doc))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(invite, accept_invite))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_users, add_user))
        .routes(routes!(remove_user))
        .routes(routes!(reinvite))
        .routes(routes!(get_guideline, put_guideline))
        .routes(routes!(validate_guideline))
        .routes(routes!(apply_guideline))
        .routes(routes!(check).layer(DefaultBodyLimit::max(max_body)))
        .routes(routes!(list_photos, upload).layer(DefaultBodyLimit::max(max_body)))
        .routes(routes!(get_photo))
        .routes(routes!(original))
        .routes(routes!(accept))
        .routes(routes!(discard))
        .routes(routes!(review))
        .routes(routes!(redo))
        .routes(routes!(export))
        .routes(routes!(days_api::list_days, days_api::create_day))
        .routes(routes!(days_api::get_day, days_api::delete_day))
        // A shoot's ZIP is streamed to the disk, never held in memory: no body limit here,
        // the handler counts (`MAX_SHOOT_UPLOAD`).
        .routes(routes!(days_api::add_frames).layer(DefaultBodyLimit::disable()))
        .routes(routes!(days_api::process_day))
        .routes(routes!(days_api::choose))
        .routes(routes!(days_api::retake))
        .routes(routes!(days_api::export_day))
        .routes(routes!(crate::ops::metrics))
}

/// The OpenAPI document of this service, generated from its handlers.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = api_routes(0).split_for_parts().1;
        doc.info.version = env!("CARGO_PKG_VERSION").into();
        doc
    })
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

pub(crate) async fn blocking<T: Send + 'static>(
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
/// This document.
#[utoipa::path(
    get, path = "/api/openapi.json", tag = "accounts", security(()),
    responses((status = 200, description = "the OpenAPI 3.1 document of this service"))
)]
async fn openapi_doc() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(openapi())).into_response()
}

async fn no_such_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    )
}

/// A request that took too long is answered like every other error, in JSON.
async fn timed_out(r: Response) -> Response {
    if r.status() == StatusCode::REQUEST_TIMEOUT && !r.headers().contains_key(header::CONTENT_TYPE)
    {
        return ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request took too long: try again",
        )
        .into_response();
    }
    r
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

#[derive(Deserialize, ToSchema)]
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

async fn logged_in(
    app: &App,
    user: crate::db::User,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let token = auth::secret()?;
    let csrf = auth::secret()?;
    app.store
        .create_session(
            &auth::digest(&token),
            user.id,
            &csrf,
            crate::db::unix_now() + auth::SESSION_SECONDS,
        )
        .await
        .map_err(ApiError::internal)?;
    let cookie = auth::session_cookie(Some(&token), secure(app, headers));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(Session {
            user,
            csrf: Some(csrf),
        }),
    )
        .into_response())
}

/// Log in with email and password; sets the session cookie.
#[utoipa::path(
    post, path = "/api/login", tag = "accounts", security(()), request_body = LoginBody,
    responses(
        (status = 200, description = "logged in; sets the session cookie", body = Session),
        (status = 400, description = "a bad request", body = ErrorBody),
        (status = 401, description = "wrong email or password", body = ErrorBody),
        (status = 403, description = "a form posted from another site", body = ErrorBody),
        (status = 429, description = "too many: Retry-After says when to try again", body = ErrorBody)
    )
)]
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
    let found = app
        .store
        .user_by_email(&email)
        .await
        .map_err(ApiError::internal)?;
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
            logged_in(&app, user, &headers).await
        }
        None => Err(ApiError::unauthorized("wrong email or password")),
    }
}

/// End the session.
#[utoipa::path(
    post, path = "/api/logout", tag = "accounts",
    responses(
        (status = 204, description = "the session ended; the cookie is cleared"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody)
    )
)]
async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    if let Some(s) = &caller.session {
        app.store
            .delete_session(s)
            .await
            .map_err(ApiError::internal)?;
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

/// Who is logged in, and the session's CSRF token.
#[utoipa::path(
    get, path = "/api/me", tag = "accounts",
    responses(
        (status = 200, description = "the caller", body = Session),
        (status = 401, description = "not logged in", body = ErrorBody)
    )
)]
async fn me(caller: Caller) -> Json<Session> {
    Json(Session {
        user: caller.user,
        csrf: caller.csrf,
    })
}

/// Creates an invite for an account; returns the page's path with the secret.
pub async fn make_invite(store: &Store, user: i64) -> Result<String, ApiError> {
    let token = auth::secret()?;
    store
        .create_invite(
            &auth::digest(&token),
            user,
            crate::db::unix_now() + INVITE_DAYS * 86_400,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(format!("/invite/{token}"))
}

/// The account an invite link is for.
#[utoipa::path(
    get, path = "/api/invites/{token}", tag = "accounts", security(()),
    params(("token" = String, Path, description = "The invite link's secret")),
    responses(
        (status = 200, description = "the account", body = InviteFor),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn invite(
    State(app): State<Arc<App>>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Json<InviteFor>, ApiError> {
    let user = app
        .store
        .invite(&auth::digest(&token))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("invite (it may have been used or have expired)"))?;
    Ok(Json(InviteFor {
        email: user.email,
        role: user.role,
    }))
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    /// At least 10 characters.
    #[schema(min_length = 10)]
    password: String,
}

/// Accept an invite: set the password (at least 10 characters) and log in; ends the account's other sessions and API tokens.
#[utoipa::path(
    post, path = "/api/invites/{token}", tag = "accounts", security(()),
    params(("token" = String, Path, description = "The invite link's secret")),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "the password is set and the session started", body = Session),
        (status = 400, description = "a bad request", body = ErrorBody),
        (status = 403, description = "a form posted from another site", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn accept_invite(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
    Body(body): Body<PasswordBody>,
) -> Result<Response, ApiError> {
    auth::same_origin(&headers)?;
    auth::check_password_rules(&body.password)?;
    let key = auth::digest(&token);
    if app
        .store
        .invite(&key)
        .await
        .map_err(ApiError::internal)?
        .is_none()
    {
        return Err(ApiError::not_found(
            "invite (it may have been used or have expired)",
        ));
    }
    let _work = app.work().await?;
    let hash = blocking(move || auth::hash_password(&body.password)).await?;
    let user = app
        .store
        .accept_invite(&key, &hash)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("invite (it may have been used or have expired)"))?;
    logged_in(&app, user, &headers).await
}

#[derive(Deserialize, ToSchema)]
struct TokenBody {
    name: String,
}

/// Create an API token for scripts (shown once).
#[utoipa::path(
    post, path = "/api/tokens", tag = "accounts", request_body = TokenBody,
    responses(
        (status = 201, description = "the token, shown this once", body = NewToken),
        (status = 400, description = "a bad request", body = ErrorBody),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody)
    )
)]
async fn create_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<TokenBody>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad("name the token (1 to 100 characters)"));
    }
    let token = auth::secret()?;
    app.store
        .create_api_token(&auth::digest(&token), caller.user.id, name)
        .await
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            token,
            name: name.into(),
        }),
    ))
}

/// Your API tokens (id, name, created; never the secret).
#[utoipa::path(
    get, path = "/api/tokens", tag = "accounts",
    responses(
        (status = 200, description = "your tokens", body = Vec<Token>),
        (status = 401, description = "not logged in", body = ErrorBody)
    )
)]
async fn list_tokens(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<Token>>, ApiError> {
    let tokens = app
        .store
        .api_tokens(caller.user.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|(id, name, created)| Token { id, name, created })
            .collect(),
    ))
}

/// Revoke one of your API tokens.
#[utoipa::path(
    delete, path = "/api/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("token"))?;
    if app
        .store
        .revoke_api_token(caller.user.id, id)
        .await
        .map_err(ApiError::internal)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token"))
    }
}

/// Every account (admin).
#[utoipa::path(
    get, path = "/api/users", tag = "accounts",
    responses(
        (status = 200, description = "every account", body = Vec<Account>),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody)
    )
)]
async fn list_users(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<Account>>, ApiError> {
    caller.require_admin()?;
    let users = app.store.users().await.map_err(ApiError::internal)?;
    Ok(Json(
        users
            .into_iter()
            .map(|(u, created, photos, active)| Account {
                id: u.id,
                email: u.email,
                role: u.role,
                created,
                photos,
                active,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
struct NewUser {
    email: String,
    #[serde(default = "member")]
    role: Role,
}

fn member() -> Role {
    Role::Member
}

/// Create an account and its invite link (admin).
#[utoipa::path(
    post, path = "/api/users", tag = "accounts", request_body = NewUser,
    responses(
        (status = 201, description = "the account and its invite link", body = Invited),
        (status = 400, description = "a bad request", body = ErrorBody),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
async fn add_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<NewUser>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    caller.require_admin()?;
    let email = normalise_email(&body.email)?;
    let user = app
        .store
        .create_user(&email, body.role, None)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::conflict(format!("{email} already has an account")))?;
    let invite_url = make_invite(&app.store, user.id).await?;
    tracing::info!(
        "{} invited {} as {}",
        caller.user.email,
        email,
        body.role.as_str()
    );
    Ok((StatusCode::CREATED, Json(Invited { user, invite_url })))
}

fn user_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found("account"))
}

/// A new invite link for an account: for someone who lost theirs or forgot their password.
/// Accepting it sets a new password and ends the account's other sessions.
#[utoipa::path(
    post, path = "/api/users/{id}/invite", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "the account and its new invite link", body = Invited),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn reinvite(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Invited>, ApiError> {
    caller.require_admin()?;
    let user = app
        .store
        .user(user_id(&id)?)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("account"))?;
    let invite_url = make_invite(&app.store, user.id).await?;
    tracing::info!("{} made a new invite for {}", caller.user.email, user.email);
    Ok(Json(Invited { user, invite_url }))
}

/// Removes an account and everything of it: photos (originals and headshots), sessions, tokens.
/// What someone leaving the company is owed.
#[utoipa::path(
    delete, path = "/api/users/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "removed with everything of it"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
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
        .store
        .delete_user(id)
        .await
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

/// The guideline in force.
#[utoipa::path(
    get, path = "/api/guideline", tag = "guideline",
    responses(
        (status = 200, description = "the guideline", body = GuidelineView),
        (status = 401, description = "not logged in", body = ErrorBody)
    )
)]
async fn get_guideline(State(app): State<Arc<App>>, _caller: Caller) -> Json<GuidelineView> {
    Json(GuidelineView::from(&*app.current_guide().await))
}

#[derive(Deserialize, ToSchema)]
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

/// Replace the guideline (admin); photos already made keep theirs.
#[utoipa::path(
    put, path = "/api/guideline", tag = "guideline", request_body = GuideBody,
    responses(
        (status = 200, description = "the guideline now in force", body = GuidelineView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 422, description = "the guideline is invalid: the message, with line and column", body = ErrorBody)
    )
)]
async fn put_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<GuideBody>,
) -> Result<Json<GuidelineView>, ApiError> {
    caller.require_admin()?;
    body.check_size()?;
    let current = app.set_guide(&body.toml, &caller.user.email).await?;
    tracing::info!("{} changed the guideline", caller.user.email);
    Ok(Json(GuidelineView::from(&*current)))
}

/// Check a guideline without saving it (admin); 422 names line and column.
#[utoipa::path(
    post, path = "/api/guideline/validate", tag = "guideline", request_body = GuideBody,
    responses(
        (status = 200, description = "it would be accepted", body = Validated),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 422, description = "the guideline is invalid: the message, with line and column", body = ErrorBody)
    )
)]
async fn validate_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<GuideBody>,
) -> Result<Json<Validated>, ApiError> {
    caller.require_admin()?;
    body.check_size()?;
    let loaded = crate::parse_guide(&body.toml, &app.data)?;
    Ok(Json(Validated {
        ok: true,
        variants: VariantView::list(&loaded.guide),
        name: loaded.guide.name,
    }))
}

// ---- live check ---------------------------------------------------------------------------

/// Live check of a camera frame or photo: the main face, what to fix, where the guideline wants the eyes.
#[utoipa::path(
    post, path = "/api/check", tag = "photos",
    request_body(content(("image/*"), ("application/octet-stream")), description = "The frame's or photo's bytes"),
    responses(
        (status = 200, description = "the check", body = CheckView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 413, description = "the photo is larger than --max-upload-mb", body = ErrorBody),
        (status = 422, description = "unreadable: the reason, naming the file", body = ErrorBody),
        (status = 429, description = "too many: Retry-After says when to try again", body = ErrorBody)
    )
)]
async fn check(
    State(app): State<Arc<App>>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CheckView>, ApiError> {
    app.limits
        .take(&format!("check:{}", caller.user.id), CHECKS)
        .map_err(|s| ApiError::too_many(s, "checks"))?;
    let bytes = upload_bytes(body, app.config.max_upload_bytes)?;
    let guide = app.current_guide().await;
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
) -> Result<CheckView, ApiError> {
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
    Ok(CheckView {
        width: r.width,
        height: r.height,
        status: r.worst,
        faces: r.faces.len(),
        face: r.faces.first().map(FaceReport::from),
        advice: crate::worker::advice(&findings),
        findings,
        target: CheckTarget::of(guide.primary()),
    })
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

pub(crate) fn content_type(file: &str) -> &'static str {
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

/// The photo, if the caller may see it (their own, or any for an admin). Another member's
/// photo is "not found", so that ids reveal nothing.
async fn visible_photo(app: &App, caller: &Caller, id: &str) -> Result<Photo, ApiError> {
    let id = photo_id(id)?;
    match app.store.photo(id).await.map_err(ApiError::internal)? {
        Some(p) if caller.is_admin() || p.owner.id == caller.user.id => Ok(p),
        _ => Err(ApiError::not_found("photo")),
    }
}

/// Submit a photo for headshots (queued; processed in the background).
#[utoipa::path(
    post, path = "/api/photos", tag = "photos",
    params(("X-Filename" = Option<String>, Header, description = "The photo's file name")),
    request_body(content(("image/*"), ("application/octet-stream")), description = "The photo's bytes: JPEG, PNG, WebP, TIFF, HEIC or AVIF"),
    responses(
        (status = 202, description = "stored and queued", body = PhotoView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 413, description = "the photo is larger than --max-upload-mb", body = ErrorBody),
        (status = 422, description = "unreadable: the reason, naming the file", body = ErrorBody),
        (status = 429, description = "too many: Retry-After says when to try again", body = ErrorBody),
        (status = 507, description = "no room on the server: try again later", body = ErrorBody)
    )
)]
async fn upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PhotoView>), ApiError> {
    let quota = format!("upload:{}", caller.user.id);
    app.limits
        .take(&quota, app.config.uploads)
        .map_err(|s| ApiError::too_many(s, "uploads"))?;
    let stored = store_upload(&app, &caller, &headers, body).await;
    app.metrics.upload("photo", stored.is_ok(), 1);
    if stored.is_err() {
        // Nothing was stored (an unreadable or oversized file, a full disk): the member may
        // retry with another file without losing one of their uploads for the hour.
        app.limits.refund(&quota, app.config.uploads);
    }
    let id = stored?;
    app.notify();
    let photo = app
        .store
        .photo(id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the photo was just stored"))?;
    Ok((StatusCode::ACCEPTED, Json(PhotoView::new(&photo, false))))
}

/// The upload's file name from `X-Filename`, without any folder or control characters.
pub(crate) fn upload_name(headers: &HeaderMap) -> Option<String> {
    headers
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
}

/// Reads, checks and durably stores one upload; returns its new photo id.
async fn store_upload(
    app: &Arc<App>,
    caller: &Caller,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<i64, ApiError> {
    let bytes = upload_bytes(body, app.config.max_upload_bytes)?;
    let name = upload_name(headers).unwrap_or_else(|| "photo".into());
    let limits = Limits {
        max_file_bytes: app.config.max_upload_bytes as u64,
        ..Limits::default()
    };
    let owner = caller.user.id;
    let app2 = app.clone();
    let _work = app.work().await?;
    let name2 = name.clone();
    let (ext, incoming) = blocking(move || {
        // Only photos trueshot can read are accepted: decoded small (a JPEG at 1/8 size in the
        // DCT domain), which also checks the limits on pixels before any large allocation.
        let photo = decode_bytes_reduced(&bytes, Path::new(&name2), &limits, 256)
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        let ext = extension(photo.format);
        let incoming = write_incoming(&app2.data, ext, &bytes).map_err(storage_error)?;
        Ok((ext, incoming))
    })
    .await?;
    let app2 = app.clone();
    let placed = incoming.clone();
    let added = app
        .store
        .add_photo(owner, &name, ext, move |id| {
            let dir = app2.photo_dir(id);
            std::fs::create_dir_all(&dir)?;
            std::fs::rename(&placed, dir.join(format!("original.{ext}")))?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await;
    if added.is_err() {
        let _ = std::fs::remove_file(&incoming);
    }
    added.map_err(|e| match e {
        crate::db::AddError::Io(e) => storage_error(e),
        e => ApiError::internal(e),
    })
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
pub(crate) fn storage_error(e: std::io::Error) -> ApiError {
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only photos with this status (`all` or empty: every photo).
    status: Option<String>,
}

/// Photos newest first: a member's own, or everyone's for an admin.
#[utoipa::path(
    get, path = "/api/photos", tag = "photos", params(ListQuery),
    responses(
        (status = 200, description = "the photos", body = Vec<PhotoView>),
        (status = 401, description = "not logged in", body = ErrorBody)
    )
)]
async fn list_photos(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<PhotoView>>, ApiError> {
    let owner = (!caller.is_admin()).then_some(caller.user.id);
    let photos = app.store.photos(owner).await.map_err(ApiError::internal)?;
    Ok(Json(
        photos
            .iter()
            .filter(|p| {
                q.status
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || s == "all" || p.status() == s)
            })
            .map(|p| PhotoView::new(p, false))
            .collect(),
    ))
}

/// One photo, with its whole report.
#[utoipa::path(
    get, path = "/api/photos/{id}", tag = "photos", params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "the photo and its report", body = PhotoView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn get_photo(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<PhotoView>, ApiError> {
    Ok(Json(PhotoView::new(
        &visible_photo(&app, &caller, &id).await?,
        true,
    )))
}

pub(crate) async fn send_file(
    path: std::path::PathBuf,
    name: String,
) -> Result<Response, ApiError> {
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found("file"))?;
    Ok(([(header::CONTENT_TYPE, content_type(&name))], bytes).into_response())
}

/// The uploaded photo's bytes.
#[utoipa::path(
    get, path = "/api/photos/{id}/original", tag = "photos", params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "the original's bytes, as uploaded", content_type = "image/*"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
async fn original(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let p = visible_photo(&app, &caller, &id).await?;
    let file = format!("original.{}", p.ext);
    send_file(app.photo_dir(p.id).join(&file), file).await
}

/// A headshot, before frame or thumbnail named by the photo's item or report.
#[utoipa::path(
    get, path = "/api/photos/{id}/files/{file}", tag = "photos",
    params(("id" = i64, Path, description = "The photo's id"), ("file" = String, Path, description = "A file the photo's item or report names")),
    responses(
        (status = 200, description = "the file's bytes", content_type = "image/*"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
pub(crate) async fn photo_file(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = visible_photo(&app, &caller, &id).await?;
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
) -> Result<Json<PhotoView>, ApiError> {
    let p = visible_photo(app, caller, id).await?;
    if p.owner.id != caller.user.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the person who uploaded the photo may accept or discard it",
        ));
    }
    if !app
        .store
        .decide(p.id, decision)
        .await
        .map_err(ApiError::internal)?
    {
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
    let p = visible_photo(app, caller, id).await?;
    Ok(Json(PhotoView::new(&p, false)))
}

/// The person in the photo accepts the headshot.
#[utoipa::path(
    post, path = "/api/photos/{id}/accept", tag = "photos", params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "the photo", body = PhotoView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
async fn accept(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<PhotoView>, ApiError> {
    decide(&app, &caller, &id, "accepted").await
}

/// The person in the photo discards it (a retake).
#[utoipa::path(
    post, path = "/api/photos/{id}/discard", tag = "photos", params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "the photo, its files deleted", body = PhotoView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
async fn discard(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<PhotoView>, ApiError> {
    decide(&app, &caller, &id, "discarded").await
}

#[derive(Deserialize, ToSchema)]
struct ReviewBody {
    /// approve or reject.
    decision: String,
    /// Why (needed to reject): what the employee reads.
    #[serde(default)]
    comment: String,
}

/// Approve or reject a headshot (admin); a rejection needs a comment.
#[utoipa::path(
    post, path = "/api/photos/{id}/review", tag = "photos", params(("id" = i64, Path, description = "The photo's id")), request_body = ReviewBody,
    responses(
        (status = 200, description = "the photo", body = PhotoView),
        (status = 400, description = "a bad request", body = ErrorBody),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
async fn review(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Body(body): Body<ReviewBody>,
) -> Result<Json<PhotoView>, ApiError> {
    caller.require_admin()?;
    let p = visible_photo(&app, &caller, &id).await?;
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
        .store
        .review(p.id, review, comment, &caller.user.email)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::conflict(format!(
            "this photo cannot be reviewed now: it is {}",
            p.status()
        )));
    }
    tracing::info!("{} {review} photo {}", caller.user.email, p.id);
    Ok(Json(PhotoView::new(
        &visible_photo(&app, &caller, &id).await?,
        false,
    )))
}

/// Makes a photo's headshots again with the guideline in force (admin).
#[utoipa::path(
    post, path = "/api/photos/{id}/redo", tag = "photos", params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "the photo, queued again", body = PhotoView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody),
        (status = 409, description = "not in a state that allows it", body = ErrorBody)
    )
)]
async fn redo(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<PhotoView>, ApiError> {
    caller.require_admin()?;
    let p = visible_photo(&app, &caller, &id).await?;
    if !app.store.redo(p.id).await.map_err(ApiError::internal)? {
        return Err(ApiError::conflict(format!(
            "this photo cannot be made again now: it is {}",
            p.status()
        )));
    }
    app.notify();
    tracing::info!("{} queued photo {} again", caller.user.email, p.id);
    Ok(Json(PhotoView::new(
        &visible_photo(&app, &caller, &id).await?,
        false,
    )))
}

/// Queues again every photo made with an older guideline (admin), after a change such as a new
/// background: the team's headshots follow the guideline without anyone uploading again.
#[utoipa::path(
    post, path = "/api/guideline/apply", tag = "guideline",
    responses(
        (status = 200, description = "how many photos were queued again", body = Requeued),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody)
    )
)]
async fn apply_guideline(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Requeued>, ApiError> {
    caller.require_admin()?;
    let current = app.current_guide().await;
    let n = app
        .store
        .redo_outdated(&current.loaded.sha256)
        .await
        .map_err(ApiError::internal)?;
    for _ in 0..n.min(64) {
        app.notify();
    }
    tracing::info!(
        "{} queued {n} photos again for the current guideline",
        caller.user.email
    );
    Ok(Json(Requeued {
        queued: n,
        sha256: current.loaded.sha256.clone(),
    }))
}

/// Every approved headshot with its report, and team.csv (admin).
#[utoipa::path(
    get, path = "/api/export.zip", tag = "photos",
    responses(
        (status = 200, description = "a ZIP file", content_type = "application/zip"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody)
    )
)]
async fn export(State(app): State<Arc<App>>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let app2 = app.clone();
    let photos = app.store.photos(None).await.map_err(ApiError::internal)?;
    let file = blocking(move || {
        crate::export::to_temp_file(&app2, |out| crate::export::team_zip(&app2, &photos, out))
    })
    .await?;
    Ok(crate::export::zip_response(file, "team-headshots.zip"))
}
