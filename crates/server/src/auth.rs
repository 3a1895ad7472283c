//! Who is calling: passwords (argon2id), session cookies with a CSRF token, API tokens for
//! scripts, and rate limits on failed logins, uploads and live checks.
//!
//! Secrets never reach the database in the clear: sessions, invites and API tokens are random
//! 256-bit values stored as their SHA-256, passwords as argon2id hashes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use trueshot_vision::models::sha256_hex;

use crate::db::{Role, User};
use crate::{ApiError, App};

pub const SESSION_COOKIE: &str = "trueshot_session";
/// A session lasts a working week.
pub const SESSION_SECONDS: i64 = 7 * 24 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// A random secret (256 bits) as 64 hex digits.
pub fn secret() -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ApiError::internal(format!("random numbers: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// argon2id with the crate's defaults (19 MiB, 2 passes): about 30–60 ms here, so it runs on a
/// blocking thread.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("random numbers: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that a wrong email takes as
/// long as a wrong password (no account discovery by timing).
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

pub fn check_password_rules(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad(format!(
            "the password needs at least {MIN_PASSWORD} characters"
        )));
    }
    if password.len() > 1024 {
        return Err(ApiError::bad(
            "the password is too long (at most 1024 bytes)",
        ));
    }
    Ok(())
}

/// Constant-time comparison of two secrets.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value of a new session (or of its removal, with `None`).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}"
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// The caller of an API endpoint: from the session cookie (state-changing requests must carry
/// the session's CSRF token in `X-CSRF-Token`) or from `Authorization: Bearer TOKEN`.
pub struct Caller {
    pub user: User,
    /// The session's CSRF token; `None` for API tokens.
    pub csrf: Option<String>,
    /// The session secret's digest, to log out.
    pub session: Option<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "only an admin may do this",
            ))
        }
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer TOKEN`"))?;
            let user = app
                .store
                .api_token(&digest(token.trim()))
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::unauthorized("unknown API token"))?;
            return Ok(Caller {
                user,
                csrf: None,
                session: None,
            });
        }
        let token = cookie(parts, SESSION_COOKIE)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("log in first"))?;
        let key = digest(token);
        let (user, csrf) = app
            .store
            .session(&key)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::unauthorized("your session has ended: log in again"))?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !same(sent, csrf.as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "missing or wrong X-CSRF-Token header: reload the page",
                ));
            }
        }
        Ok(Caller {
            user,
            csrf: Some(csrf),
            session: Some(key),
        })
    }
}

/// Rejects a cross-site form post to the endpoints that work without a session (login and
/// invites): when the browser says where the request comes from, it must be this server.
pub fn same_origin(parts: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let (Some(origin), Some(host)) = (
        parts.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        parts.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return Ok(());
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    if origin_host == host {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross-site request refused",
        ))
    }
}

/// Token buckets keyed by what is limited (`login-ip:1.2.3.4`, `upload:7`, …).
#[derive(Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// A limit: at most `burst` at once, refilled at `burst` per `window_secs`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub burst: u32,
    pub window_secs: u32,
}

impl RateLimits {
    /// Takes one token; `Err(seconds to wait)` when none is left.
    pub fn take(&self, key: &str, limit: Limit) -> Result<(), u64> {
        self.update(key, limit)
    }

    /// Gives back a token taken by [`RateLimits::take`] (a login that succeeded).
    pub fn refund(&self, key: &str, limit: Limit) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(key) {
            b.0 = (b.0 + 1.0).min(f64::from(limit.burst));
        }
    }

    fn update(&self, key: &str, limit: Limit) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if buckets.len() > 100_000 {
            // Under a flood of keys, forget every bucket untouched for an hour (the longest
            // window, so it would be full again by now) rather than grow without bound.
            buckets.retain(|_, (_, last)| now.duration_since(*last).as_secs() < 3600);
        }
        let rate = f64::from(limit.burst) / f64::from(limit.window_secs.max(1));
        let (tokens, last) = buckets
            .entry(key.to_string())
            .or_insert((f64::from(limit.burst), now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(f64::from(limit.burst));
        *last = now;
        if *tokens < 1.0 {
            return Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64);
        }
        *tokens -= 1.0;
        Ok(())
    }
}
