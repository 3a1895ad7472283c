//! `trueshot process INPUT... --out DIR`: photos in, guideline-compliant headshots out.
//!
//! The batch around [`trueshot_pipeline`]: the inputs are named (unique output names), photos
//! already done are skipped, the others are made by workers sharing one engine and written to
//! the output folder by a [`FolderSink`] (each file atomically, the photo's `<name>.report.json`
//! last: its presence with the same input hash, guideline hash and trueshot version means the
//! photo is done, so a killed batch resumes where it stopped). `summary.csv` and `index.html`
//! (the contact sheet) are rebuilt from all reports at the end.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use trueshot_guide::{Guideline, Status};
use trueshot_pipeline::batch;
use trueshot_pipeline::{
    unique_stems, Engine, FolderSink, Input, Outcome, Overrides, PhotoStatus, Recipe, Report, Sink,
    Team,
};

#[derive(Args)]
pub struct ProcessArgs {
    /// Photos, or folders to search (recursively) for photos.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Folder for the headshots, reports, summary.csv and index.html.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A built-in guideline's name or a guideline TOML file.
    #[arg(long, default_value = "corporate", value_name = "NAME|FILE")]
    guide: String,
    /// Photos processed at once [default: the number of CPU cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print one JSON array with every photo's report.
    #[arg(long)]
    json: bool,
    /// Redo photos whose outputs are already complete.
    #[arg(long)]
    force: bool,
    /// Override the guideline's background: keep, #RRGGBB, gradient:#RRGGBB,#RRGGBB[,radial],
    /// image:PATH[,BLUR_PX] or blur[:BLUR_PX].
    #[arg(long, value_name = "SPEC")]
    background: Option<String>,
    /// Bring exposure, white balance and brightness of every photo to the batch's median, so
    /// a team page looks like one shoot (also `team = true` in the guideline's [retouch]).
    #[arg(long)]
    team: bool,
    /// Test only: multiply the retouch strength (above 1 is more than any level allows, to prove
    /// that verification refuses it).
    #[arg(long, hide = true, value_name = "X")]
    retouch_strength: Option<f32>,
    #[command(flatten)]
    sign: crate::credentials::SignArgs,
}

struct Job {
    input: PathBuf,
    /// Output base name: the input's stem, made unique in the batch.
    name: String,
}

/// Exit code: 0 every photo gave all its headshots without a failed check, 1 some were refused or
/// failed a check, 2 some could not be read.
pub fn run(args: &ProcessArgs, store: &trueshot_vision::ModelStore) -> Result<u8> {
    let mut loaded = Guideline::load_full(&args.guide).context("cannot use the guideline")?;
    let overrides = Overrides {
        background: args.background.clone(),
        team: args.team,
        retouch_strength: args.retouch_strength,
    };
    overrides.apply(&mut loaded)?;
    let mut recipe = Recipe::new(loaded, &overrides)?;
    let inputs = crate::check::expand(&args.inputs);
    if inputs.is_empty() {
        anyhow::bail!("no photos found in the inputs");
    }
    let sink = FolderSink::new(&args.out)?;
    // Temporary files a killed run left; once per batch, before any worker writes.
    sink.sweep();
    let out_dir = args.out.canonicalize().unwrap_or_else(|_| args.out.clone());
    let jobs = name_jobs(&inputs, &out_dir);

    // With a team every photo is toned and framed toward the batch, which needs the nets first.
    let mut engine = None;
    if recipe.loaded.guide.retouch.team {
        let e = load_engine(args, store)?;
        let photos = jobs
            .iter()
            .filter_map(|j| Some((trueshot_pipeline::read_photo(&j.input).ok()?, &*j.input)));
        let team = Team::measure(e.perception(), &recipe.loaded.guide, photos);
        recipe = recipe.with_team(team);
        engine = Some(e);
    }

    // Photos already done (same bytes, same guideline, same version) are skipped without loading
    // the models.
    let mut todo = Vec::new();
    let mut results: BTreeMap<usize, (Report, bool)> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        match (!args.force)
            .then(|| {
                let bytes = std::fs::read(&job.input).ok()?;
                batch::finished(&out_dir, &job.name, &bytes, &recipe)
            })
            .flatten()
        {
            Some(report) => {
                results.insert(i, (report, true));
            }
            None => todo.push(i),
        }
    }
    if engine.is_none() && !todo.is_empty() {
        engine = Some(load_engine(args, store)?);
    }
    if let Some(engine) = &engine {
        for (i, report) in make_all(args, engine, &recipe, &jobs, &todo, &sink) {
            results.insert(i, (report, false));
        }
    }
    let (reports, skipped): (Vec<Report>, Vec<bool>) = results.into_values().unzip();
    let csv = batch::summary_csv(&reports).context("summary.csv")?;
    sink.put("summary.csv", &csv)?;
    sink.put(
        "index.html",
        batch::contact_sheet(&recipe.loaded, &reports).as_bytes(),
    )?;

    let mut code = 0u8;
    for (report, skipped) in reports.iter().zip(&skipped) {
        code = code.max(match report.status {
            Some(PhotoStatus::Error) | None => 2,
            Some(PhotoStatus::Done) if report.worst != Some(Status::Fail) => 0,
            _ => 1,
        });
        if !args.json {
            print_human(report, *skipped);
        }
    }
    if args.json {
        let all: Vec<Value> = reports
            .iter()
            .zip(skipped)
            .map(|(r, skipped)| {
                let mut r = serde_json::to_value(r).unwrap_or_default();
                r["skipped"] = json!(skipped);
                r
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        println!("contact sheet: {}", out_dir.join("index.html").display());
    }
    Ok(code)
}

/// Loads the nets and who signs; every output is signed, which is said once, on stderr, so that
/// nobody mistakes test credentials.
fn load_engine(args: &ProcessArgs, store: &trueshot_vision::ModelStore) -> Result<Engine> {
    let engine = Engine::load(store, args.sign.load()?)?;
    eprintln!("{}", engine.signer());
    Ok(engine)
}

/// Makes the photos `todo` (indices into `jobs`) with `--jobs` workers, each photo's outputs
/// stored as soon as it is made; their reports, by index.
fn make_all(
    args: &ProcessArgs,
    engine: &Engine,
    recipe: &Recipe,
    jobs: &[Job],
    todo: &[usize],
    sink: &FolderSink,
) -> Vec<(usize, Report)> {
    let n_workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, todo.len().max(1));
    let bar = if std::io::stderr().is_terminal() && !todo.is_empty() {
        let bar = indicatif::ProgressBar::new(todo.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} photos  {elapsed} (about {eta} left)  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (done, finished) = std::sync::mpsc::channel();
    let mut reports = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..n_workers {
            let done = done.clone();
            let next = &next;
            scope.spawn(move || loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&i) = todo.get(k) else { break };
                let job = &jobs[i];
                let mut outcome = match trueshot_pipeline::read_photo(&job.input) {
                    Ok(bytes) => engine.process(recipe, &Input::new(&bytes, &job.input, &job.name)),
                    Err(e) => Outcome::failed(recipe, &job.input, &job.name, e),
                };
                sink.deliver(&mut outcome);
                if done.send((i, outcome.report)).is_err() {
                    break;
                }
            });
        }
        drop(done);
        for (i, report) in finished {
            bar.inc(1);
            bar.set_message(jobs[i].name.clone());
            reports.push((i, report));
        }
    });
    bar.finish_and_clear();
    reports
}

/// Output base names: the input's stem, sanitised; inputs with the same stem get `-2`, `-3`, …
/// in input order (folders are listed sorted), so reruns give the same names.
fn name_jobs(inputs: &[PathBuf], out_dir: &Path) -> Vec<Job> {
    // Never treat our own outputs as inputs when the output folder is inside an input folder.
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .filter(|input| !input.canonicalize().is_ok_and(|p| p.starts_with(out_dir)))
        .cloned()
        .collect();
    let names = unique_stems(&inputs, "photo");
    inputs
        .into_iter()
        .zip(names)
        .map(|(input, name)| Job { input, name })
        .collect()
}

/// One photo's result on the terminal: the files, the variants not made and the findings that
/// need action.
fn print_human(r: &Report, skipped: bool) {
    let input = r.input.display();
    if r.status == Some(PhotoStatus::Error) {
        println!("✗ {}", r.error.as_deref().unwrap_or("unreadable"));
        return;
    }
    let mark = match r.status {
        Some(PhotoStatus::Done) if r.worst != Some(Status::Fail) => "✓",
        Some(PhotoStatus::Done | PhotoStatus::Partial) => "!",
        _ => "✗",
    };
    let again = if skipped { " (already done)" } else { "" };
    if r.outputs.is_empty() {
        println!("{mark} {input}: no headshot{again}");
    } else {
        println!("{mark} {input} → {}{again}", r.outputs.join(", "));
    }
    for v in r.variants() {
        if let Some(reason) = &v.reason {
            println!("    {} not made: {reason}", v.name);
        }
    }
    for f in r.findings().iter().filter(|f| f.status != Status::Pass) {
        let mark = if f.status == Status::Fail { "✗" } else { "!" };
        println!("    {mark} {}: {}", f.check, f.advice);
    }
}
