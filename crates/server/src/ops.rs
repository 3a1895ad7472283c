//! Operations: liveness (`/healthz`), readiness (`/readyz`) and Prometheus metrics (`/metrics`).
//!
//! The metrics are the queue's depth (read from the queue at each scrape), jobs in flight, the
//! time each job took (a histogram: Prometheus' `histogram_quantile` gives its percentiles),
//! jobs by outcome, failures by whose fault they were, and uploads. Labels take a few fixed
//! values each, so no client can grow the series without bound.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::views::ErrorBody;
use crate::{ApiError, App};

/// What kind of job: `photo` (one upload's headshots) or `day` (a headshot day's sort).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub kind: &'static str,
    /// `ready`, `refused` (the guideline refused the photo) or `error`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Failure {
    pub kind: &'static str,
    /// `input` (the photo or frames could not be used) or `server` (the machine's fault: see the
    /// log).
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Upload {
    /// `photo` (a member's upload) or `frame` (a headshot day's).
    pub kind: &'static str,
    /// `accepted` or `refused`.
    pub result: &'static str,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    queue_depth: Family<Kind, Gauge>,
    pub in_flight: Family<Kind, Gauge>,
    pub job_seconds: Family<Kind, Histogram, fn() -> Histogram>,
    pub jobs: Family<Outcome, Counter>,
    pub failures: Family<Failure, Counter>,
    pub uploads: Family<Upload, Counter>,
}

fn job_histogram() -> Histogram {
    // 0.25 s to about 17 minutes: a photo takes about a second, a headshot day minutes.
    Histogram::new(exponential_buckets(0.25, 2.0, 13))
}

impl Default for Metrics {
    fn default() -> Self {
        let queue_depth = Family::<Kind, Gauge>::default();
        let in_flight = Family::<Kind, Gauge>::default();
        let job_seconds: Family<Kind, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(job_histogram);
        let jobs = Family::<Outcome, Counter>::default();
        let failures = Family::<Failure, Counter>::default();
        let uploads = Family::<Upload, Counter>::default();
        let mut registry = Registry::with_prefix("trueshot");
        registry.register(
            "queue_depth",
            "Jobs waiting in the queue",
            queue_depth.clone(),
        );
        registry.register("jobs_in_flight", "Jobs being worked on", in_flight.clone());
        registry.register(
            "job_seconds",
            "Time from a worker taking a job to its outcome being recorded",
            job_seconds.clone(),
        );
        registry.register("jobs", "Jobs finished, by outcome", jobs.clone());
        registry.register(
            "job_failures",
            "Jobs that ended in an error, by whose fault",
            failures.clone(),
        );
        registry.register(
            "uploads",
            "Files uploaded, accepted or refused",
            uploads.clone(),
        );
        Metrics {
            registry,
            queue_depth,
            in_flight,
            job_seconds,
            jobs,
            failures,
            uploads,
        }
    }
}

impl Metrics {
    /// Records a finished job: its outcome, how long it took, and whose fault an error was.
    pub fn finished(&self, kind: &'static str, outcome: &'static str, machine: bool, secs: f64) {
        self.jobs.get_or_create(&Outcome { kind, outcome }).inc();
        self.job_seconds.get_or_create(&Kind { kind }).observe(secs);
        if outcome == "error" {
            let reason = if machine { "server" } else { "input" };
            self.failures.get_or_create(&Failure { kind, reason }).inc();
        }
    }

    pub fn upload(&self, kind: &'static str, accepted: bool, n: u64) {
        let result = if accepted { "accepted" } else { "refused" };
        self.uploads
            .get_or_create(&Upload { kind, result })
            .inc_by(n);
    }
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub ready: bool,
    /// Why not, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Readiness: the queue (the database, and the job stream's cluster when there is one) answers
/// and the server is not stopping.
pub async fn readyz(State(app): State<Arc<App>>) -> (StatusCode, Json<Readiness>) {
    let app2 = app.clone();
    // A probe waits 2 s at most (a database that is gone may take the pool's 10 s to say so).
    let ready = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::task::spawn_blocking(move || app2.queue.ready()),
    )
    .await;
    let reason = match ready {
        _ if app.stopping() => Some("the server is stopping".to_string()),
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(format!("the queue does not answer: {e}")),
        Ok(Err(e)) => Some(format!("the queue does not answer: {e}")),
        Err(_) => Some("the queue does not answer within 2 s".to_string()),
    };
    let status = if reason.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready: reason.is_none(),
            reason,
        }),
    )
}

/// Prometheus metrics in the text format (admin: a scraper sends an admin's API token).
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "the metrics, in Prometheus' text format", content_type = "text/plain"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only)", body = ErrorBody)
    )
)]
pub async fn metrics(State(app): State<Arc<App>>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let app2 = app.clone();
    let depth = tokio::task::spawn_blocking(move || app2.queue.depth())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    for (kind, n) in depth {
        app.metrics.queue_depth.get_or_create(&Kind { kind }).set(n);
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &app.metrics.registry)
        .map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
