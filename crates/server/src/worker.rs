//! Worker threads: each takes the oldest queued photo from the database, makes its headshots
//! with the shared [`trueshot_pipeline::Engine`] and records the outcome.
//!
//! Plain threads, not async tasks: a photo is about a second of CPU work that would starve the
//! async runtime's threads (and with them the live checks).

use std::sync::Arc;

use trueshot_guide::Status;
use trueshot_pipeline::report::{FindingReport, VariantStatus};
use trueshot_pipeline::{PhotoStatus, Report};

use crate::queue::Job;
use crate::App;

pub fn spawn(app: Arc<App>, n: usize) -> Vec<std::thread::JoinHandle<()>> {
    (0..n)
        .filter_map(|i| {
            let app = app.clone();
            std::thread::Builder::new()
                .name(format!("trueshot-worker-{i}"))
                .spawn(move || work(&app))
                .inspect_err(|e| tracing::error!("cannot start a worker: {e}"))
                .ok()
        })
        .collect()
}

fn work(app: &App) {
    let mut seen = 0;
    while !app.stopping() {
        match app.queue.claim() {
            Ok(Some(job)) => {
                let kind = match job {
                    Job::Photo(_) => "photo",
                    Job::Day(_) => "day",
                };
                let flight = app
                    .metrics
                    .in_flight
                    .get_or_create(&crate::ops::Kind { kind });
                flight.inc();
                app.refresh_guide();
                let started = std::time::Instant::now();
                let (outcome, machine) = std::thread::scope(|scope| {
                    // While the job is made, its lease is renewed (a queue shared by several
                    // servers gives a job without heartbeats to another worker).
                    let (made, wait) = std::sync::mpsc::channel::<()>();
                    let job = &job;
                    scope.spawn(move || {
                        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                            wait.recv_timeout(app.queue.heartbeat_every())
                        {
                            match app.queue.heartbeat(job) {
                                Ok(true) => {}
                                // Finished just now, or its lease ran out and another
                                // worker has it: only that attempt's outcome is recorded.
                                Ok(false) => {
                                    tracing::info!("the {kind} is no longer this worker's")
                                }
                                Err(e) => tracing::warn!("cannot renew the {kind}'s lease: {e}"),
                            }
                        }
                    });
                    let done = match job {
                        Job::Photo(photo) => process(app, photo),
                        Job::Day(day) => crate::days::process(app, day),
                    };
                    drop(made);
                    done
                });
                flight.dec();
                let secs = started.elapsed().as_secs_f64();
                app.metrics.finished(kind, outcome, machine, secs);
            }
            Ok(None) if app.queue.waits() => {}
            Ok(None) => app.wait(&mut seen),
            Err(e) => {
                tracing::error!("cannot read the queue: {e}");
                app.wait(&mut seen);
            }
        }
    }
}

/// Output base name of a photo: its file name's stem, made safe for any file system.
pub fn stem(name: &str) -> String {
    let stem = std::path::Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe = trueshot_pipeline::safe_stem(&stem);
    if safe.is_empty() {
        "photo".into()
    } else {
        safe
    }
}

/// Makes one photo's headshots and records them; its outcome (`ready`, `refused`, `error`) and
/// whether an error was the machine's fault.
fn process(app: &App, photo: &crate::db::Photo) -> (&'static str, bool) {
    let _span = tracing::info_span!("photo", id = photo.id).entered();
    let dir = app.photo_dir(photo.id);
    // Messages name the photo as `original.EXT`, never by the server's folders.
    let original = format!("original.{}", photo.ext);
    let out = dir.join("out");
    let guide = app.guide();
    let started = std::time::Instant::now();
    // A redo starts from an empty folder: no headshot of a variant the guideline dropped stays.
    let _ = std::fs::remove_dir_all(&out);
    // A panic in a stage stays with its photo: the worker records it and goes on.
    let name = stem(&photo.name);
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        make(app, &guide, &dir.join(&original), &original, &name, &out)
    }));
    let (mut report, machine_fault) = made.unwrap_or_else(|_| {
        let e = "internal error while processing this photo".to_string();
        (failed(&name, e), true)
    });
    if let Some(e) = report.error.take() {
        if machine_fault {
            // Not the photo's fault: the details are for the administrator, in the log.
            tracing::error!("photo {}: {e}", photo.id);
        }
        report.error = Some(public_error(&e, &original, machine_fault));
    }
    let (state, reason, advice) = outcome(&report);
    let advice = serde_json::to_string(&advice).unwrap_or_else(|_| "[]".into());
    let text = serde_json::to_string(&report).unwrap_or_default();
    // The database will say "ready" only once the headshots are on the disk for good.
    if let Err(e) = sync_tree(&out) {
        tracing::error!("cannot flush {}: {e}", out.display());
    }
    let done = crate::queue::Finished {
        state,
        reason: reason.as_deref(),
        advice: &advice,
        report: &text,
    };
    match app.queue.finish(photo.id, photo.attempts, &done) {
        Ok(true) => tracing::info!(
            "photo {} {state} in {:.2} s",
            photo.id,
            started.elapsed().as_secs_f32()
        ),
        Ok(false) => {
            // Its owner was removed meanwhile (ids are never reused, so the folder is this
            // photo's alone): what this worker just wrote must go too.
            if matches!(app.queue.photo_exists(photo.id), Ok(false)) {
                app.delete_photo_files(photo.id);
            }
            tracing::warn!("photo {} was no longer being processed", photo.id);
        }
        Err(e) => tracing::error!("cannot record photo {}: {e}", photo.id),
    }
    (state, machine_fault)
}

/// What a member reads when a photo could not be made for a reason of the server's own.
const MACHINE_FAULT: &str =
    "the server could not make headshots of this photo (not a problem with the photo): ask your administrator, who can see why in the server's log";

/// What an admin reads when a headshot day could not be run for a reason of the server's own.
pub(crate) const MACHINE_FAULT_DAY: &str =
    "the server could not run this headshot day (not a problem with the frames): the server's log says why";

/// The report of a photo that could not be made at all.
fn failed(name: &str, error: String) -> Report {
    Report {
        name: name.into(),
        status: Some(PhotoStatus::Error),
        error: Some(error),
        ..Report::default()
    }
}

/// Makes one photo's headshots into `out` with the current guideline: its report, and whether
/// it failed for a reason of the machine's (not of the photo: [`trueshot_pipeline::Error::is_input_fault`]).
fn make(
    app: &App,
    guide: &crate::CurrentGuide,
    path: &std::path::Path,
    original: &str,
    name: &str,
    out: &std::path::Path,
) -> (Report, bool) {
    let failed = |error: String| (failed(name, error), true);
    let recipe = match &guide.recipe {
        Ok(recipe) => recipe,
        Err(e) => return failed(e.clone()),
    };
    use trueshot_pipeline::Sink;
    let sink = match trueshot_pipeline::FolderSink::new(out) {
        Ok(sink) => sink,
        Err(e) => return failed(e.to_string()),
    };
    sink.sweep();
    let mut outcome = match std::fs::read(path) {
        Ok(bytes) => {
            let input = trueshot_pipeline::Input::new(&bytes, original.as_ref(), name);
            app.engine.process(recipe, &input)
        }
        Err(e) => trueshot_pipeline::Outcome::failed(
            recipe,
            original.as_ref(),
            name,
            trueshot_pipeline::Error::Read(std::io::Error::new(
                e.kind(),
                format!("{original}: cannot read: {e}"),
            )),
        ),
    };
    sink.deliver(&mut outcome);
    // A write that failed in the sink leaves no typed error: the machine's fault too.
    let machine_fault = match &outcome.error {
        Some(e) => !e.is_input_fault(),
        None => outcome.report.status == Some(PhotoStatus::Error),
    };
    (outcome.report, machine_fault)
}

/// Flushes every file of an output folder and the folders themselves to the disk.
pub(crate) fn sync_tree(dir: &std::path::Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            std::fs::File::open(entry.path())?.sync_all()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()
}

/// What to change, from findings: the advice of failed checks first, then of warnings, each once.
pub fn advice(findings: &[FindingReport]) -> Vec<String> {
    let mut advice: Vec<String> = Vec::new();
    for wanted in [Status::Fail, Status::Warn] {
        for f in findings.iter().filter(|f| f.status == wanted) {
            let a = &f.advice;
            if !a.is_empty() && !advice.iter().any(|x| x == a) {
                advice.push(a.clone());
            }
        }
    }
    advice
}

/// The photo's state after processing, the reason when no headshot was made, and what to
/// change for a better photo (failed checks first, then warnings, then refused variants).
pub fn outcome(report: &Report) -> (&'static str, Option<String>, Vec<String>) {
    let mut advice = advice(report.findings());
    let refused: Vec<String> = report
        .variants()
        .iter()
        .filter(|v| v.status == VariantStatus::Rejected)
        .filter_map(|v| v.reason.clone())
        .collect();
    match report.status {
        Some(PhotoStatus::Done | PhotoStatus::Partial) => {
            advice.extend(refused);
            ("ready", None, advice)
        }
        Some(PhotoStatus::Rejected) => {
            let reason = refused
                .first()
                .cloned()
                .or_else(|| advice.first().cloned())
                .unwrap_or_else(|| "the photo does not meet the guideline".into());
            ("refused", Some(reason), advice)
        }
        _ => (
            "error",
            Some(
                report
                    .error
                    .clone()
                    .unwrap_or_else(|| "the photo could not be processed".into()),
            ),
            advice,
        ),
    }
}

/// What the report and the person who uploaded read when no headshot was made. A fault of the
/// photo is the pipeline's message without the file's name (the photo is handed to the pipeline
/// as `original.EXT`, so no message names a server folder); a fault of the machine is only
/// [`MACHINE_FAULT`] (the details go to the log).
fn public_error(error: &str, original: &str, machine_fault: bool) -> String {
    if machine_fault {
        return MACHINE_FAULT.into();
    }
    error
        .strip_prefix(original)
        .and_then(|e| e.strip_prefix(": "))
        .unwrap_or(error)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcome_orders_advice_and_hides_server_paths() {
        let report = json!({
            "status": "partial",
            "findings": [
                {"check": "head_yaw", "status": "warn", "advice": "turn a little"},
                {"check": "exposure", "status": "fail", "advice": "too dark: face the window"},
                {"check": "sharpness", "status": "pass", "advice": ""},
            ],
            "variants": [{"status": "rejected", "reason": "leave more room above your head"}],
        });
        let (state, reason, advice) = outcome(&serde_json::from_value(report).unwrap());
        assert_eq!(state, "ready");
        assert_eq!(reason, None);
        assert_eq!(
            advice,
            [
                "too dark: face the window",
                "turn a little",
                "leave more room above your head"
            ]
        );
        assert_eq!(
            public_error(
                "original.jpg: the JPEG data is damaged or cut short: EOF",
                "original.jpg",
                false
            ),
            "the JPEG data is damaged or cut short: EOF"
        );
        // A fault of the server says nothing of its folders, files or nets.
        assert_eq!(
            public_error(
                "cannot write /srv/trueshot/photos/7/out/a.web.jpg: disk full",
                "original.jpg",
                true
            ),
            MACHINE_FAULT
        );
        let (state, reason, _) = outcome(
            &serde_json::from_value(json!({
                "status": "error",
                "error": "the JPEG data is damaged or cut short: EOF",
            }))
            .unwrap(),
        );
        assert_eq!(state, "error");
        assert_eq!(
            reason.as_deref(),
            Some("the JPEG data is damaged or cut short: EOF")
        );
        assert_eq!(stem("../../etc/pass wd.jpg"), "pass_wd");
        assert_eq!(stem(""), "photo");
    }
}
