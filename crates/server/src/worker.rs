//! Worker threads: each takes the oldest queued photo from the database, makes its headshots
//! with the shared [`trueshot_pipeline::Engine`] and records the outcome.
//!
//! Plain threads, not async tasks: a photo is about a second of CPU work that would starve the
//! async runtime's threads (and with them the live checks).

use std::sync::Arc;

use trueshot_guide::Status;
use trueshot_pipeline::report::{FindingReport, VariantStatus};
use trueshot_pipeline::{PhotoStatus, Report};

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
            Ok(Some(photo)) => process(app, &photo),
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

fn process(app: &App, photo: &crate::db::Photo) {
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
    // Messages may name the server's folders: a member reads them, so the folders go.
    if let Some(e) = &report.error {
        report.error = Some(without_folders(e, &app.data));
    }
    let (state, mut reason, advice) = outcome(&report);
    if machine_fault {
        // Not the photo's fault: the details are for the administrator, in the log; the member
        // is told that it was not their photo.
        tracing::error!("photo {}: {}", photo.id, reason.as_deref().unwrap_or(""));
        reason = Some(MACHINE_FAULT.into());
    }
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
            if matches!(app.db.photo(photo.id), Ok(None)) {
                app.delete_photo_files(photo.id);
            }
            tracing::warn!("photo {} was no longer being processed", photo.id);
        }
        Err(e) => tracing::error!("cannot record photo {}: {e}", photo.id),
    }
}

/// What a member reads when a photo could not be made for a reason of the server's own.
const MACHINE_FAULT: &str =
    "the server could not make headshots of this photo (not a problem with the photo): ask your administrator, who can see why in the server's log";

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
fn sync_tree(dir: &std::path::Path) -> std::io::Result<()> {
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

/// An error message without the server's own folders: `DATA/photos/12/original.jpg: …` becomes
/// `original.jpg: …`, and any other path under the data folder loses that prefix.
fn without_folders(e: &str, data: &std::path::Path) -> String {
    let data = data.to_string_lossy();
    let mut out = String::new();
    let mut rest = e;
    while let Some(at) = rest.find(data.as_ref()) {
        out.push_str(&rest[..at]);
        rest = &rest[at + data.len()..];
        // drop `/photos/ID/` or `/photos/ID/out/` or `/` after the data folder
        let trimmed = rest.trim_start_matches('/');
        let trimmed = match trimmed.strip_prefix("photos/") {
            Some(t) => {
                let t = t.trim_start_matches(|c: char| c.is_ascii_digit());
                let t = t.trim_start_matches('/');
                t.strip_prefix("out/").unwrap_or(t)
            }
            None => trimmed,
        };
        rest = trimmed;
    }
    out.push_str(rest);
    out
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
                    .as_deref()
                    .map(public_error)
                    .unwrap_or_else(|| "the photo could not be processed".into()),
            ),
            advice,
        ),
    }
}

/// An error message for the person who uploaded: the server's folder names are cut out.
fn public_error(e: &str) -> String {
    // Errors name the file as `/data/photos/12/original.jpg: …`: keep what follows.
    match e.find("original.") {
        Some(at) => e[at..]
            .split_once(": ")
            .map_or(e, |(_, rest)| rest)
            .to_string(),
        None => e.to_string(),
    }
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
        let (state, reason, _) = outcome(
            &serde_json::from_value(json!({
                "status": "error",
                "error": "/srv/data/photos/3/original.jpg: the JPEG data is damaged or cut short: EOF",
            }))
            .unwrap(),
        );
        assert_eq!(state, "error");
        assert_eq!(
            reason.as_deref(),
            Some("the JPEG data is damaged or cut short: EOF")
        );
        assert_eq!(stem("../../etc/pass wd.jpg"), "pass_wd");
        let data = std::path::Path::new("/srv/trueshot");
        assert_eq!(
            without_folders("/srv/trueshot/photos/12/original.jpg: damaged", data),
            "original.jpg: damaged"
        );
        assert_eq!(
            without_folders("cannot create /srv/trueshot/photos/7/out: disk full", data),
            "cannot create out: disk full"
        );
        assert_eq!(
            without_folders(
                "background image /srv/trueshot/backgrounds/o.jpg: cannot read",
                data
            ),
            "background image backgrounds/o.jpg: cannot read"
        );
        assert_eq!(stem(""), "photo");
    }
}
