//! `trueshot check PHOTO...`

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use trueshot_assess::check_unit;
use trueshot_codec::{decode_file_reduced, Limits};
use trueshot_guide::{Guideline, Status};
use trueshot_pipeline::check::{check_bytes, judge, Report};
use trueshot_pipeline::json::{pt, r3};
use trueshot_pipeline::report::FaceReport;
use trueshot_vision::{joint, Perception, ANALYSIS_LONG_SIDE};

#[derive(Args)]
pub struct CheckArgs {
    /// Photos, or folders to search for photos.
    #[arg(required = true, value_name = "PHOTO")]
    photos: Vec<PathBuf>,
    /// A built-in guideline's name or a guideline TOML file.
    #[arg(long, default_value = "corporate", value_name = "NAME|FILE")]
    guide: String,
    /// Print one JSON array, an object per photo.
    #[arg(long)]
    json: bool,
    /// Photos checked at once [default: the number of CPU cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

/// Exit code: 0 all pass, 1 some failed a check, 2 some could not be read.
pub fn run(args: &CheckArgs, store: &trueshot_vision::ModelStore) -> Result<u8> {
    let guide = Guideline::load(&args.guide).context("cannot use the guideline")?;
    let perception = Perception::load(store)?;
    let photos = expand(&args.photos);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, photos.len().max(1));
    let mut reports = Vec::new();
    let mut code = 0u8;
    // Workers take photos in turn; results are printed in input order as soon as each one's
    // predecessors are done, so a long batch reports as it goes.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (done, results) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let done = done.clone();
            let (next, photos, perception, guide) = (&next, &photos, &perception, &guide);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = photos.get(i) else { break };
                if done.send((i, check_one(path, perception, guide))).is_err() {
                    break;
                }
            });
        }
        drop(done);
        let mut waiting = std::collections::BTreeMap::new();
        let mut printed = 0;
        for (i, report) in results {
            waiting.insert(i, report);
            while let Some(report) = waiting.remove(&printed) {
                let path = &photos[printed];
                let this = match &report {
                    Err(_) => 2,
                    Ok(r) if r.worst == Status::Fail => 1,
                    Ok(_) => 0,
                };
                code = code.max(this);
                if args.json {
                    reports.push(to_json(path, &report));
                } else {
                    print_human(path, &report);
                }
                printed += 1;
            }
        }
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&Value::Array(reports))?);
    }
    Ok(code)
}

fn check_one(path: &Path, perception: &Perception, guide: &Guideline) -> Result<Report, String> {
    // `check` needs only the analysis copy: a big JPEG is decoded at 1/2–1/8 size.
    let limits = Limits::default();
    let small =
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= limits.max_file_bytes);
    match small.then(|| std::fs::read(path)) {
        Some(Ok(bytes)) => {
            check_bytes(&bytes, path, perception, guide, &limits, false).map_err(|e| e.to_string())
        }
        _ => {
            let photo = decode_file_reduced(path, &limits, ANALYSIS_LONG_SIDE)
                .map_err(|e| e.to_string())?;
            judge(photo, None, path, perception, guide, false).map_err(|e| e.to_string())
        }
    }
}

pub(crate) fn expand(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found);
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "jpg" | "jpeg" | "png" | "webp" | "tif" | "tiff" | "heic" | "heif" | "avif"
            )
        }) {
            out.push(p);
        }
    }
}

fn to_json(path: &Path, report: &Result<Report, String>) -> Value {
    match report {
        Err(e) => json!({ "path": path, "error": e }),
        Ok(r) => {
            let faces: Vec<Value> = r.faces.iter().map(|f| json!(FaceReport::from(f))).collect();
            let body = r.body.as_ref().map(|b| {
                let joints: serde_json::Map<String, Value> = [
                    joint::LEFT_SHOULDER,
                    joint::RIGHT_SHOULDER,
                    joint::LEFT_ELBOW,
                    joint::RIGHT_ELBOW,
                    joint::LEFT_WRIST,
                    joint::RIGHT_WRIST,
                    joint::LEFT_INDEX,
                    joint::RIGHT_INDEX,
                    joint::LEFT_HIP,
                    joint::RIGHT_HIP,
                ]
                .iter()
                .map(|&i| {
                    let j = b.joints[i];
                    (joint::NAMES[i].to_string(), json!({ "at": pt(j.point), "visibility": r3(j.visibility), "presence": r3(j.presence) }))
                })
                .collect();
                json!({ "score": r3(b.score), "joints": joints })
            });
            let findings: Vec<Value> = r
                .findings
                .iter()
                .map(|f| json!({ "check": f.check, "status": f.status, "value": f.value.map(r3), "unit": check_unit(f.check), "advice": f.advice }))
                .collect();
            json!({
                "path": path,
                "width": r.width,
                "height": r.height,
                "status": r.worst,
                "faces": faces,
                "body": body,
                "findings": findings,
                "notes": r.notes,
            })
        }
    }
}

fn print_human(path: &Path, report: &Result<Report, String>) {
    match report {
        Err(e) => println!("✗ {e}\n"),
        Ok(r) => {
            let verdict = match r.worst {
                Status::Pass => "PASS",
                Status::Warn => "PASS with warnings",
                Status::Fail => "FAIL",
            };
            println!(
                "{} — {}×{}, {} face(s): {verdict}",
                path.display(),
                r.width,
                r.height,
                r.faces.len()
            );
            for n in &r.notes {
                println!("  note: {n}");
            }
            for f in &r.findings {
                let mark = match f.status {
                    Status::Pass => "✓",
                    Status::Warn => "!",
                    Status::Fail => "✗",
                };
                let value = f
                    .value
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "—".into());
                if f.value.is_none() {
                    // a finding without a measured value (e.g. `ai_generated`): the advice alone
                    println!("  {mark} {:<18} {}", f.check, f.advice);
                } else if f.advice.is_empty() {
                    println!(
                        "  {mark} {:<18} {value:>8} {}",
                        f.check,
                        check_unit(f.check)
                    );
                } else {
                    println!(
                        "  {mark} {:<18} {value:>8} {} — {}",
                        f.check,
                        check_unit(f.check),
                        f.advice
                    );
                }
            }
            println!();
        }
    }
}
