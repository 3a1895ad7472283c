//! trueshot's web service (`trueshot serve`): the web page and HTTP API for a team, on top of
//! [`trueshot_pipeline`].
//!
//! - [`App`] is the shared state: the [`store::Store`] (the embedded SQLite file of [`db`], or
//!   PostgreSQL's [`pg`] shared by replicas), the data folder, the loaded nets
//!   ([`trueshot_pipeline::Engine`]), the current guideline and the rate limits.
//! - [`api::router`] maps the HTTP API and the page (`page/`, compiled in) onto handlers. The
//!   API's routes and its OpenAPI document (served at `/api/openapi.json`) are built from one
//!   table of annotated handlers; [`views`] holds the types it answers.
//! - [`worker`] threads take uploads from the queue in the database and make the headshots
//!   exactly as `trueshot process` does, one photo at a time each.
//!
//! Layout of `--data`: `trueshot.db` (SQLite), `photos/ID/original.EXT` (the upload, never
//! modified), `photos/ID/out/` (headshots, report, thumbnails), `photos/.incoming/` (uploads
//! being stored), `days/ID/shoot/` and `days/ID/out/` (a headshot day's frames and session
//! folder, [`days`]), `backgrounds/` (office photos a guideline may name), `exports/` (team ZIPs
//! being streamed, unlinked at once), `.lock` (one server per folder).

pub mod api;
pub mod auth;
pub mod days;
pub mod days_api;
pub mod db;
pub mod export;
pub mod jetstream;
pub mod ops;
pub mod pg;
pub mod queue;
pub mod store;
pub mod views;
pub mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use anyhow::{Context, Result};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use trueshot_guide::{Guideline, Loaded};
use trueshot_vision::models::sha256_hex;

use db::Db;
use store::Store;
use trueshot_pipeline::{Engine, Overrides, Recipe};

/// Settings of a running service.
#[derive(Clone, Debug)]
pub struct Config {
    pub max_upload_bytes: usize,
    pub uploads: auth::Limit,
    pub secure_cookies: bool,
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// A request body that sends nothing for this long is dropped (a stalled or deliberately
    /// slow upload does not hold its connection and memory).
    pub body_idle_timeout: std::time::Duration,
    /// Longest time to answer a request, its body included (408 after it).
    pub request_timeout: std::time::Duration,
    /// On PostgreSQL: how long a job's worker may go without a heartbeat before the job goes to
    /// another worker (heartbeats come six times within it).
    pub lease: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_upload_bytes: 25 * 1024 * 1024,
            uploads: auth::Limit {
                burst: 30,
                window_secs: 3600,
            },
            secure_cookies: false,
            trusted_proxy: None,
            body_idle_timeout: std::time::Duration::from_secs(30),
            request_timeout: std::time::Duration::from_secs(300),
            lease: std::time::Duration::from_secs(60),
        }
    }
}

/// The guideline the service applies now, parsed, with its text.
pub struct CurrentGuide {
    pub loaded: Loaded,
    /// The guideline prepared for the workers (its background photo decoded once), or why it
    /// cannot be applied (say, a background photo deleted since), which every photo then reports.
    pub recipe: Result<Recipe, String>,
    pub toml: String,
    pub updated: String,
    pub updated_by: Option<String>,
}

/// State shared by every request and worker.
pub struct App {
    /// The state: the embedded SQLite file, or PostgreSQL.
    pub store: Store,
    /// The photos and days to make: the store's own durable queue.
    pub queue: Arc<dyn queue::Queue>,
    pub data: PathBuf,
    pub engine: Arc<Engine>,
    pub config: Config,
    pub limits: auth::RateLimits,
    guide: RwLock<Arc<CurrentGuide>>,
    /// Serialises guideline changes (store, read back, apply).
    guide_change: tokio::sync::Mutex<()>,
    /// CPU- and memory-heavy request work (password hashing, decoding a photo, a live check)
    /// runs at most this many at a time: a flood of requests waits instead of exhausting the
    /// memory (argon2 takes 19 MiB, a decode up to hundreds).
    work: tokio::sync::Semaphore,
    /// Prometheus metrics (`/metrics`).
    pub metrics: ops::Metrics,
    /// Headshot days being run: (stage, done, total), for the admin's progress bar.
    pub day_progress: Mutex<std::collections::HashMap<i64, (&'static str, usize, usize)>>,
    /// Wakes idle workers when a photo is queued.
    wake: (Mutex<u64>, Condvar),
    stop: AtomicBool,
    /// The runtime a PostgreSQL store's connections belong to, for worker threads.
    runtime: Option<tokio::runtime::Handle>,
    _lock: Option<std::fs::File>,
}

impl App {
    /// Opens (or creates) a data folder. Only one server may use a folder at a time: a second
    /// one would put the first one's work back in the queue.
    pub fn open(data: &Path, engine: Arc<Engine>, config: Config) -> Result<Arc<App>> {
        let data = data_folder(data)?;
        let lock = std::fs::File::create(data.join(".lock"))
            .with_context(|| format!("cannot create {}", data.join(".lock").display()))?;
        if lock.try_lock().is_err() {
            anyhow::bail!(
                "{}: another trueshot server is using this data folder",
                data.display()
            );
        }
        let db = Db::open(&data.join("trueshot.db"))
            .with_context(|| format!("cannot open {}", data.join("trueshot.db").display()))?;
        let db = Arc::new(db);
        let queue: Arc<dyn queue::Queue> = db.clone();
        requeue(queue.as_ref())?;
        let guideline = match db.guideline()? {
            Some(g) => g,
            None => {
                db.set_guideline(corporate()?, None)?;
                db.guideline()?.context("the guideline was just stored")?
            }
        };
        App::assemble(
            Store::Embedded(db),
            queue,
            guideline,
            data,
            engine,
            config,
            Some(lock),
            None,
        )
    }

    /// Opens the state in PostgreSQL (`url`, the schema migrated on start), with the photos'
    /// files under `data`. Call inside the async runtime the server will run on: the pool's
    /// connections belong to it.
    ///
    /// With `nats` (the URLs of a NATS cluster's nodes), jobs reach the workers through a
    /// JetStream stream ([`queue::StreamQueue`]); without, workers poll the database.
    pub async fn open_postgres(
        url: &str,
        nats: Option<&[String]>,
        data: &Path,
        engine: Arc<Engine>,
        config: Config,
    ) -> Result<Arc<App>> {
        let data = data_folder(data)?;
        let pg = pg::PgState::connect(url, 16)
            .await
            .with_context(|| format!("cannot open the database {}", redact(url)))?;
        let pg = Arc::new(pg);
        let queue: Arc<dyn queue::Queue> = match nats {
            Some(urls) => {
                let job_config = jetstream::JobConfig {
                    // One copy per node, at most three.
                    replicas: urls.len().clamp(1, 3),
                    ack_wait: config.lease,
                    ..jetstream::JobConfig::default()
                };
                // A cluster started at the same time elects its leaders first: a minute to get
                // ready, as an orchestrator starts everything at once.
                let started = std::time::Instant::now();
                let jobs = loop {
                    match jetstream::JobQueue::connect(urls, job_config.clone()).await {
                        Ok(jobs) => break jobs,
                        Err(e) if started.elapsed() < std::time::Duration::from_secs(60) => {
                            tracing::warn!("the job stream is not ready yet: {e}");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                        Err(e) => anyhow::bail!("{e}"),
                    }
                };
                Arc::new(queue::StreamQueue::new(pg.clone(), jobs, config.lease))
            }
            None => Arc::new(queue::PgQueue::new(
                pg.clone(),
                tokio::runtime::Handle::current(),
                config.lease,
            )),
        };
        let store = Store::Postgres(pg);
        {
            let queue = queue.clone();
            tokio::task::spawn_blocking(move || requeue(queue.as_ref())).await??;
        }
        let guideline = match store.guideline().await? {
            Some(g) => g,
            None => {
                store.set_guideline(corporate()?, None).await?;
                store
                    .guideline()
                    .await?
                    .context("the guideline was just stored")?
            }
        };
        let runtime = Some(tokio::runtime::Handle::current());
        App::assemble(store, queue, guideline, data, engine, config, None, runtime)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        store: Store,
        queue: Arc<dyn queue::Queue>,
        (toml, updated, updated_by): (String, String, Option<String>),
        data: PathBuf,
        engine: Arc<Engine>,
        config: Config,
        lock: Option<std::fs::File>,
        runtime: Option<tokio::runtime::Handle>,
    ) -> Result<Arc<App>> {
        // A background photo deleted from backgrounds/ since must not keep the server from
        // starting: the photos processed meanwhile say the file is missing.
        let loaded = parse_guide_with(&toml, &data, false)
            .map_err(|e| anyhow::anyhow!("the stored guideline is invalid: {}", e.message))?;
        Ok(Arc::new(App {
            store,
            queue,
            engine,
            config,
            limits: auth::RateLimits::default(),
            guide: RwLock::new(Arc::new(CurrentGuide {
                recipe: recipe(&loaded),
                loaded,
                toml,
                updated,
                updated_by,
            })),
            day_progress: Mutex::default(),
            metrics: ops::Metrics::default(),
            wake: (Mutex::new(0), Condvar::new()),
            guide_change: tokio::sync::Mutex::new(()),
            work: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            stop: AtomicBool::new(false),
            runtime,
            _lock: lock,
            data,
        }))
    }

    /// A turn at heavy request work (see `work`).
    pub async fn work(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.work.acquire().await.map_err(ApiError::internal)
    }

    pub fn guide(&self) -> Arc<CurrentGuide> {
        self.guide.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The guideline in force. On PostgreSQL it is read again from the database, since another
    /// replica may have changed it (the text is compared, the guideline prepared again only
    /// when it changed).
    pub async fn current_guide(&self) -> Arc<CurrentGuide> {
        let current = self.guide();
        if self.store.embedded().is_some() {
            return current;
        }
        match self.store.guideline().await {
            Ok(Some((toml, updated, updated_by)))
                if toml != current.toml || updated != current.updated =>
            {
                match parse_guide_with(&toml, &self.data, false) {
                    Ok(loaded) => {
                        let fresh = Arc::new(CurrentGuide {
                            recipe: recipe(&loaded),
                            loaded,
                            toml,
                            updated,
                            updated_by,
                        });
                        *self.guide.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
                        return fresh;
                    }
                    Err(e) => tracing::error!("the stored guideline is invalid: {}", e.message),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot read the guideline: {e}"),
        }
        current
    }

    /// Brings the guideline up to date from a worker thread (see [`App::current_guide`]).
    pub(crate) fn refresh_guide(&self) {
        if let Some(runtime) = &self.runtime {
            runtime.block_on(self.current_guide());
        }
    }

    /// Validates, stores and applies a new guideline (photos already made keep theirs).
    pub async fn set_guide(&self, toml: &str, by: &str) -> Result<Arc<CurrentGuide>, ApiError> {
        let loaded = parse_guide(toml, &self.data)?;
        let _one_at_a_time = self.guide_change.lock().await;
        self.store
            .set_guideline(toml, Some(by))
            .await
            .map_err(ApiError::internal)?;
        let (toml, updated, updated_by) = self
            .store
            .guideline()
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("the guideline was just stored"))?;
        let current = Arc::new(CurrentGuide {
            recipe: recipe(&loaded),
            loaded,
            toml,
            updated,
            updated_by,
        });
        *self.guide.write().unwrap_or_else(|e| e.into_inner()) = current.clone();
        Ok(current)
    }

    pub fn photo_dir(&self, id: i64) -> PathBuf {
        self.data.join("photos").join(id.to_string())
    }

    pub fn day_dir(&self, id: i64) -> PathBuf {
        self.data.join("days").join(id.to_string())
    }

    /// Deletes a photo's folder (its original and headshots); a folder already gone is fine.
    pub fn delete_photo_files(&self, id: i64) {
        let dir = self.photo_dir(id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::error!("cannot delete {}: {e}", dir.display());
            }
        }
    }

    /// Tells a waiting worker that a photo was queued.
    pub fn notify(&self) {
        let (count, cv) = &self.wake;
        *count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        cv.notify_one();
        self.queue.queued();
    }

    /// Waits until a photo may have been queued (or a second has passed).
    fn wait(&self, seen: &mut u64) {
        let (count, cv) = &self.wake;
        let guard = count.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cv
            .wait_timeout_while(guard, std::time::Duration::from_secs(1), |c| {
                *c == *seen && !self.stopping()
            })
            .unwrap_or_else(|e| e.into_inner());
        *seen = *guard;
    }

    /// Asks workers to stop after their current photo.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.1.notify_all();
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Creates the data folder's layout; its absolute path.
fn data_folder(data: &Path) -> Result<PathBuf> {
    for dir in ["photos", "days", "backgrounds"] {
        std::fs::create_dir_all(data.join(dir))
            .with_context(|| format!("cannot create {}", data.join(dir).display()))?;
    }
    Ok(data.canonicalize().unwrap_or_else(|_| data.to_path_buf()))
}

/// Puts back in the queue what a stopped server or worker was making.
fn requeue(queue: &dyn queue::Queue) -> Result<()> {
    let requeued = queue
        .requeue()
        .map_err(|e| anyhow::anyhow!("the queue: {e}"))?;
    if requeued > 0 {
        tracing::warn!(
            "{requeued} photos or headshot days were being processed when the server stopped: queued again"
        );
    }
    Ok(())
}

/// The guideline a new service starts with.
fn corporate() -> Result<&'static str> {
    trueshot_guide::PRESETS
        .iter()
        .find(|p| p.0 == "corporate")
        .map(|p| p.1)
        .context("the corporate preset is compiled in")
}

/// A database address without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            match auth.split_once(':') {
                Some((user, _)) => format!("{}{user}:…{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The workers' recipe of a guideline: every variant's "before" frame is made too, for the
/// page's before/after slider.
fn recipe(loaded: &Loaded) -> Result<Recipe, String> {
    let mut recipe =
        Recipe::new(loaded.clone(), &Overrides::default()).map_err(|e| e.to_string())?;
    recipe.before_frames = true;
    Ok(recipe)
}

/// Reads a guideline sent to the server. A background photo must be a file in
/// `DATA/backgrounds`: a guideline may not make the server read any other file.
pub fn parse_guide(toml: &str, data: &Path) -> Result<Loaded, ApiError> {
    parse_guide_with(toml, data, true)
}

fn parse_guide_with(toml: &str, data: &Path, file_must_exist: bool) -> Result<Loaded, ApiError> {
    let guide = Guideline::parse(toml, "guideline").map_err(|e| {
        let (line, column) = guide_position(&e);
        // Line and column travel as fields; the message is what is wrong there.
        let message = match &e {
            trueshot_guide::GuideError::Invalid { message, .. } => message.clone(),
            e => e.to_string(),
        };
        ApiError::unprocessable(message).with(json!({ "line": line, "column": column }))
    })?;
    if let Some(image) = &guide.background.image {
        let p = Path::new(image);
        let plain = p.components().count() == 1
            && matches!(p.components().next(), Some(std::path::Component::Normal(_)));
        if !plain {
            return Err(ApiError::unprocessable(format!(
                "background image \"{image}\": name a file in the server's backgrounds folder, without a path"
            )));
        }
        if file_must_exist && !data.join("backgrounds").join(p).is_file() {
            return Err(ApiError::unprocessable(format!(
                "background image \"{image}\" is not in the server's backgrounds folder (DATA/backgrounds/ on the server)"
            )));
        }
    }
    Ok(Loaded {
        guide,
        sha256: sha256_hex(toml.as_bytes()),
        source: "the service's guideline".into(),
        base_dir: Some(data.join("backgrounds")),
    })
}

/// Line and column of a guideline error, when it has them.
fn guide_position(e: &trueshot_guide::GuideError) -> (Option<usize>, Option<usize>) {
    match e {
        trueshot_guide::GuideError::Invalid { line, column, .. } => (Some(*line), Some(*column)),
        _ => (None, None),
    }
}

/// An API error: a status and a plain message, as JSON `{"error": …}`. Faults of the server
/// (5xx) are logged and answered without internals.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    extra: Option<Value>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: None,
            retry_after: None,
        }
    }
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("no such {what}"))
    }
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }
    pub fn too_many(retry_after: u64, what: &str) -> ApiError {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many {what}: try again in {retry_after} s"),
            )
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not complete the request; the administrator can find the cause in its log",
        )
    }
    pub fn with(mut self, extra: Value) -> ApiError {
        self.extra = Some(extra);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let (Some(Value::Object(extra)), Some(obj)) = (self.extra, body.as_object_mut()) {
            obj.extend(extra);
        }
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        r
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves `app` on `addr` with `workers` worker threads until Ctrl-C or SIGTERM; the photos
/// being processed then are finished first. `ready` is told the address listened on.
pub fn serve(
    app: Arc<App>,
    addr: &str,
    workers: usize,
    ready: impl FnOnce(SocketAddr, usize),
) -> Result<()> {
    serve_on(&runtime()?, app, addr, workers, ready)
}

/// Runs `workers` worker threads on a PostgreSQL store without serving HTTP (`trueshot
/// worker`), until Ctrl-C or SIGTERM; the jobs being made then are finished first.
pub fn work_on(runtime: &tokio::runtime::Runtime, app: Arc<App>, workers: usize) -> Result<()> {
    anyhow::ensure!(
        app.store.embedded().is_none(),
        "a worker of its own needs the state in PostgreSQL (--database)"
    );
    let workers = worker::spawn(app.clone(), workers.max(1));
    runtime.block_on(shutdown_signal());
    app.shutdown();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

/// Tokio's runtime, for callers without tokio of their own.
pub type Runtime = tokio::runtime::Runtime;

/// The async runtime the service runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// [`serve`] on a runtime of the caller's (the one its PostgreSQL pool was opened on).
pub fn serve_on(
    runtime: &tokio::runtime::Runtime,
    app: Arc<App>,
    addr: &str,
    workers: usize,
    ready: impl FnOnce(SocketAddr, usize),
) -> Result<()> {
    // On the embedded store this server is the only one that makes photos.
    let least = usize::from(app.store.embedded().is_some());
    let workers = worker::spawn(app.clone(), workers.max(least));
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        ready(listener.local_addr()?, workers.len());
        axum::serve(
            listener,
            api::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped")
    });
    app.shutdown();
    for w in workers {
        let _ = w.join();
    }
    served
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_address_is_named_without_its_password() {
        assert_eq!(
            super::redact("postgres://trueshot:s3cret@db:5432/trueshot"),
            "postgres://trueshot:…@db:5432/trueshot"
        );
        assert_eq!(
            super::redact("postgres://trueshot@db/trueshot"),
            "postgres://trueshot@db/trueshot"
        );
        assert_eq!(super::redact("not a url"), "not a url");
    }
}
