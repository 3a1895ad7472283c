//! `trueshot process INPUT... --out DIR`: photos in, guideline-compliant headshots out.
//!
//! For each photo: decode (upright, sRGB), perceive, check, then for each variant of the
//! guideline plan the framing, refuse it when it needs canvas the photo lacks (and the
//! background is not replaced), resample in linear light, encode with an sRGB profile and no
//! personal metadata, and write atomically (temporary file + rename). The photo's
//! `<name>.report.json` is written last: its presence with the same input hash, guideline hash and
//! trueshot version means the photo is done, so a killed batch resumes where it stopped.
//! `summary.csv` and `index.html` (the contact sheet) are rebuilt from all reports at the end.

use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::check::{r1, r3};
use anyhow::{Context, Result};
use clap::Args;
use image::RgbImage;
use serde_json::{json, Value};
use trueshot_assess::{assess, check_unit, overall, Finding};
use trueshot_codec::{decode_bytes, encode, encode_rgba_png, Limits, OutputFormat};
use trueshot_frame::{crop_findings, plan, render_all, sheet};
use trueshot_guide::{BackgroundMode, Format, GradientShape, Guideline, Loaded, Status};
use trueshot_matte::Backdrop;
use trueshot_vision::models::sha256_hex;
use trueshot_vision::{Matting, PerceiveOptions, Perception, PhotoView};

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

/// Prefix of temporary files in the output folder; leftovers of a killed run are removed.
const TEMP_PREFIX: &str = ".trueshot-tmp.";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Revision of what `process` makes of a photo: raised whenever the same photo and guideline
/// would give different outputs (a rerun then redoes photos an older revision made). 5: tone,
/// retouch and verification. 6: content credentials and XMP, AI-made inputs refused. 7: the
/// best honest framing within tolerances (matte before framing, crown measured).
const PIPELINE: u32 = 7;

/// Hash of the guideline as `process` applies it: every setting, defaults included (a new
/// setting with a default changes it even when the file does not change).
fn settings_sha256(loaded: &Loaded) -> String {
    sha256_hex(loaded.guide.to_toml().as_bytes())
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
    if let Some(spec) = &args.background {
        override_background(&mut loaded, spec)?;
    }
    if args.team {
        loaded.guide.retouch.team = true;
        loaded.sha256 = sha256_hex(format!("{}\n--team", loaded.sha256).as_bytes());
    }
    if let Some(x) = args.retouch_strength {
        if !(0.0..=20.0).contains(&x) {
            anyhow::bail!("--retouch-strength {x}: expected 0 to 20");
        }
        loaded.sha256 = sha256_hex(format!("{}\n--retouch-strength {x}", loaded.sha256).as_bytes());
    }
    let (backdrop_photo, backdrop_source) = match load_backdrop_photo(&loaded)? {
        Some((photo, source)) => (Some(photo), Some(source)),
        None => (None, None),
    };
    let inputs = crate::check::expand(&args.inputs);
    if inputs.is_empty() {
        anyhow::bail!("no photos found in the inputs");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Temporary files a killed run left; once per batch, before any worker writes (a worker's
    // own temporary file must never be swept away by another's).
    remove_leftovers(&args.out);
    remove_leftovers(&args.out.join("thumbs"));
    let out_dir = args.out.canonicalize().unwrap_or_else(|_| args.out.clone());
    let jobs = name_jobs(&inputs, &out_dir);

    // With --team every photo is toned toward the batch's median scene, so the median is part of
    // what makes a photo done: the same photo in another batch is redone.
    let mut perception = None;
    let mut team_framing = Vec::new();
    let team = if args.team || loaded.guide.retouch.team {
        let p = Perception::load(store)?;
        let all: Vec<&Job> = jobs.iter().collect();
        let (target, faces) = team_target(&all, &p);
        team_framing = shared_framing(&loaded.guide, &faces);
        loaded.sha256 = sha256_hex(
            format!("{}\nteam target {target:?} {team_framing:?}", loaded.sha256).as_bytes(),
        );
        perception = Some(p);
        Some(target)
    } else {
        None
    };

    // Photos already done (same bytes, same guideline, same version) are skipped without loading
    // the models.
    let mut todo = Vec::new();
    let mut results: BTreeMap<usize, (Value, bool)> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        match (!args.force)
            .then(|| done_report(job, &out_dir, &loaded))
            .flatten()
        {
            Some(report) => {
                results.insert(i, (report, true));
            }
            None => todo.push(i),
        }
    }
    if perception.is_none() && !todo.is_empty() {
        perception = Some(Perception::load(store)?);
    }
    // Also with the background kept: a plain wall may be continued where the person does not
    // reach the photo's edge (the net runs only for photos that need it).
    let matting = if !todo.is_empty() {
        Some(Matting::load(store)?)
    } else {
        None
    };
    let face_nets = if todo.is_empty() {
        None
    } else {
        Some(trueshot_vision::FaceNets::load(store)?)
    };
    // Every output is signed; said once, on stderr, so that nobody mistakes test credentials.
    let signing = if todo.is_empty() {
        None
    } else {
        let s = args.sign.load()?;
        eprintln!("{}", s.credentials.describe());
        Some(s)
    };
    let stages = Stages {
        signing: signing.as_ref(),
        background_source: crate::credentials::background_source(
            &loaded.guide,
            backdrop_source.as_ref(),
        ),
        verifier: match (&perception, &face_nets) {
            (Some(_), Some(nets)) => Some(trueshot_retouch::Verifier { nets }),
            _ => None,
        },
        bounds: bounds(&loaded.guide.verify),
        retouch_strength: args.retouch_strength.unwrap_or(1.0),
        team_target: team,
        team_framing,
        before_frames: false,
        perception: perception.as_ref(),
        matting: matting.as_ref(),
        backdrop_photo: backdrop_photo.as_ref(),
        // The background photo at each variant's size, made once for the batch.
        backdrop_planes: match &backdrop_photo {
            Some(photo) if !todo.is_empty() => backdrop_planes(&loaded, photo),
            _ => BTreeMap::new(),
        },
    };
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
    if let Some(perception) = stages.perception {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..n_workers {
                let done = done.clone();
                let (next, todo, jobs, loaded, out_dir, stages) =
                    (&next, &todo, &jobs, &loaded, &out_dir, &stages);
                scope.spawn(move || loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = todo.get(k) else { break };
                    let report = process_one(&jobs[i], perception, stages, loaded, out_dir);
                    if done.send((i, report)).is_err() {
                        break;
                    }
                });
            }
            drop(done);
            for (i, report) in finished {
                bar.inc(1);
                bar.set_message(jobs[i].name.clone());
                results.insert(i, (report, false));
            }
        });
    }
    bar.finish_and_clear();

    let reports: Vec<(Value, bool)> = results.into_values().collect();
    write_summary(&out_dir, &reports)?;
    write_index(&out_dir, &loaded, &reports)?;

    let mut code = 0u8;
    for (report, skipped) in &reports {
        code = code.max(match report["status"].as_str() {
            Some("error") => 2,
            Some("done") if report["worst"] != "fail" => 0,
            _ => 1,
        });
        if !args.json {
            print_human(report, *skipped);
        }
    }
    if args.json {
        let all: Vec<Value> = reports
            .into_iter()
            .map(|(mut r, skipped)| {
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

/// Everything needed to make headshots of single photos on demand, loaded once: the web
/// service's workers share one engine (`&self`, `Send + Sync`).
pub struct Engine {
    perception: Perception,
    face_nets: trueshot_vision::FaceNets,
    matting: Matting,
    signing: crate::credentials::Signing,
}

impl Engine {
    /// Loads every net (perception, identity and age, matting) and the signing credentials.
    pub fn load(
        store: &trueshot_vision::ModelStore,
        sign: &crate::credentials::SignArgs,
    ) -> Result<Engine> {
        Ok(Engine {
            perception: Perception::load(store)?,
            face_nets: trueshot_vision::FaceNets::load(store)?,
            matting: Matting::load(store)?,
            signing: sign.load()?,
        })
    }

    pub fn perception(&self) -> &Perception {
        &self.perception
    }

    /// Who signs the content credentials, in one sentence.
    pub fn signer(&self) -> String {
        self.signing.credentials.describe()
    }

    /// Makes the headshots of one photo into `out_dir` (files named `NAME.VARIANT.EXT`, the
    /// report `NAME.report.json` last, each written atomically) and returns the report, exactly
    /// as `trueshot process` does for each photo of a batch. Also writes every variant's
    /// "before" frame for a before/after comparison. Never panics on bad input: an unreadable
    /// photo gives a report with `status: "error"`.
    pub fn process(&self, input: &Path, name: &str, loaded: &Loaded, out_dir: &Path) -> Value {
        let job = Job {
            input: input.to_path_buf(),
            name: name.to_string(),
        };
        let backdrop = match load_backdrop_photo(loaded) {
            Ok(b) => b,
            Err(e) => {
                return json!({
                    "name": name, "status": "error", "error": format!("{e:#}"), "outputs": [],
                })
            }
        };
        let (backdrop_photo, backdrop_source) = match backdrop {
            Some((photo, source)) => (Some(photo), Some(source)),
            None => (None, None),
        };
        let stages = Stages {
            signing: Some(&self.signing),
            background_source: crate::credentials::background_source(
                &loaded.guide,
                backdrop_source.as_ref(),
            ),
            verifier: Some(trueshot_retouch::Verifier {
                nets: &self.face_nets,
            }),
            bounds: bounds(&loaded.guide.verify),
            retouch_strength: 1.0,
            team_target: None,
            team_framing: Vec::new(),
            before_frames: true,
            perception: Some(&self.perception),
            matting: Some(&self.matting),
            backdrop_photo: backdrop_photo.as_ref(),
            backdrop_planes: match &backdrop_photo {
                Some(photo) => backdrop_planes(loaded, photo),
                None => BTreeMap::new(),
            },
        };
        if let Err(e) = std::fs::create_dir_all(out_dir) {
            return json!({
                "name": name, "status": "error", "outputs": [],
                "error": format!("cannot create {}: {e}", out_dir.display()),
            });
        }
        remove_leftovers(out_dir);
        process_one(&job, &self.perception, &stages, loaded, out_dir)
    }
}

/// Which share of the rim-light edit a verification attempt tries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RimTry {
    Full,
    /// Without it, once, to see whether it caused a breach.
    Without,
    Half,
    Off,
}

impl RimTry {
    fn as_str(self) -> &'static str {
        match self {
            RimTry::Full => "full",
            RimTry::Half => "half",
            RimTry::Without | RimTry::Off => "none",
        }
    }
}

/// Output base names: the input's stem, sanitised; inputs with the same stem get `-2`, `-3`, …
/// in input order (folders are listed sorted), so reruns give the same names.
fn name_jobs(inputs: &[PathBuf], out_dir: &Path) -> Vec<Job> {
    let mut used = HashSet::new();
    let mut jobs = Vec::new();
    for input in inputs {
        // Never treat our own outputs as inputs when the output folder is inside an input folder.
        if input.canonicalize().is_ok_and(|p| p.starts_with(out_dir)) {
            continue;
        }
        let stem = safe_stem(
            &input
                .file_stem()
                .map(|s| s.to_string_lossy())
                .unwrap_or_default(),
        );
        let stem = if stem.is_empty() {
            "photo".into()
        } else {
            stem
        };
        let mut name = stem.clone();
        let mut k = 2;
        while !used.insert(name.to_lowercase()) {
            name = format!("{stem}-{k}");
            k += 1;
        }
        jobs.push(Job {
            input: input.clone(),
            name,
        });
    }
    jobs
}

/// A file name's stem with everything but letters, digits, `-` and `_` replaced by `_`.
pub(crate) fn safe_stem(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes a file atomically: a temporary file in the same folder, then a rename.
/// An error names the file.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{TEMP_PREFIX}{}.{name}", std::process::id()));
    let named = |e: std::io::Error| {
        std::io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", dir.join(name).display()),
        )
    };
    std::fs::write(&tmp, bytes).map_err(named)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        named(e)
    })
}

/// The report of a photo whose outputs are complete for the same input and guideline.
fn done_report(job: &Job, out_dir: &Path, loaded: &Loaded) -> Option<Value> {
    let text = std::fs::read_to_string(out_dir.join(format!("{}.report.json", job.name))).ok()?;
    let report: Value = serde_json::from_str(&text).ok()?;
    let bytes = std::fs::read(&job.input).ok()?;
    let same = report["input_sha256"] == sha256_hex(&bytes)
        && report["guideline"]["sha256"] == loaded.sha256.as_str()
        && report["trueshot_version"] == VERSION
        && report["pipeline"] == PIPELINE
        && report["settings_sha256"] == settings_sha256(loaded).as_str()
        && report["status"] != "error";
    let complete = report["outputs"]
        .as_array()?
        .iter()
        .all(|f| f.as_str().is_some_and(|f| out_dir.join(f).is_file()));
    (same && complete).then_some(report)
}

pub(crate) fn finding_json(f: &Finding) -> Value {
    json!({ "check": f.check, "status": f.status, "value": f.value.map(r3), "unit": check_unit(f.check), "advice": f.advice })
}

/// Processes one photo and writes its outputs and report; never panics on bad input.
fn process_one(
    job: &Job,
    perception: &Perception,
    stages: &Stages,
    loaded: &Loaded,
    out_dir: &Path,
) -> Value {
    let mut report = json!({
        "trueshot_version": VERSION,
        "pipeline": PIPELINE,
        "settings_sha256": settings_sha256(loaded),
        "input": job.input,
        "name": job.name,
        "guideline": { "name": loaded.guide.name, "source": loaded.source, "sha256": loaded.sha256 },
    });
    match make_headshots(job, perception, stages, loaded, out_dir, &mut report) {
        Ok(()) => {}
        Err(e) => {
            report["status"] = json!("error");
            report["error"] = json!(format!("{e:#}"));
            report["outputs"] = json!([]);
        }
    }
    // The report goes last: it marks the photo as done.
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    if let Err(e) = write_atomic(
        out_dir,
        &format!("{}.report.json", job.name),
        text.as_bytes(),
    ) {
        report["status"] = json!("error");
        report["error"] = json!(e.to_string());
    }
    report
}

fn make_headshots(
    job: &Job,
    perception: &Perception,
    stages: &Stages,
    loaded: &Loaded,
    out_dir: &Path,
    report: &mut Value,
) -> Result<()> {
    let guide = &loaded.guide;
    let path = &job.input;
    let limits = Limits::default();
    let size = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot read", path.display()))?
        .len();
    if size > limits.max_file_bytes {
        anyhow::bail!(
            "{}: file is {size} bytes, more than the {} allowed",
            path.display(),
            limits.max_file_bytes
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let input_sha256 = sha256_hex(&bytes);
    report["input_sha256"] = json!(input_sha256);
    let source_photo = crate::credentials::original_source(path, &bytes, &input_sha256);
    // A photo that declares it was made by generative AI is not a real photograph.
    let ai = trueshot_provenance::screen(&bytes);
    let photo = decode_bytes(&bytes, path, &limits)?;
    drop(bytes);
    let image = &photo.image;
    let view = PhotoView::new(image).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let scene = perception
        .perceive(
            &view,
            &PerceiveOptions {
                // The top of the hair: ID photos measure head height with it, portraits keep it
                // in the frame (or crop no more of it than the guideline allows).
                crown: true,
                ..PerceiveOptions::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut findings = assess(&view, &scene, guide);
    trueshot_frame::judge_room(&mut findings, &scene, guide);
    let ai_refusal = ai.as_ref().and_then(|ai| {
        let refuse = guide.provenance.ai_inputs == trueshot_guide::AiInputs::Refuse;
        findings.insert(0, crate::credentials::ai_finding(ai, refuse));
        report["ai_declaration"] = json!(ai);
        refuse.then(|| ai.describe())
    });
    // Exposure and white balance from the scene (faces excluded), or toward the batch's median.
    let stats = scene_tone(&view, &scene);
    let fh = scene.faces.first().and_then(|f| {
        trueshot_retouch::face_highlight(view.analysis(), &f.bbox.scaled(view.scale))
    });
    let tone = match &stages.team_target {
        Some(target) => trueshot_retouch::team_correction(&stats, target, fh),
        None => trueshot_retouch::correction(&stats, fh),
    };
    report["tone"] = json!({
        "source": if stages.team_target.is_some() { "team median" } else { "scene" },
        "gains": tone.gains.map(r3),
        "exposure_ev": r3(tone.exposure_ev),
        "neutral_fraction": r3(stats.neutral_fraction),
        "scene_highlight": r3(stats.highlight),
        "scene_median": r3(stats.median),
    });
    let mut notes = photo.notes.clone();
    report["width"] = json!(image.width());
    report["height"] = json!(image.height());
    report["faces"] = json!(scene.faces.len());
    let replace = guide.background.mode.replaces();
    report["background"] = json!({ "mode": guide.background.mode.as_str() });
    if let Some(s) = stages.signing {
        report["content_credentials"] = json!({
            "signed": true,
            "test_certificate": matches!(s.credentials.origin, trueshot_provenance::Origin::Test { .. }),
        });
    }
    // from the analysis copy perception already made, not from the full photo again
    write_thumbnail(view.analysis(), out_dir, &job.name)?;
    let mut variants = Vec::new();
    let mut outputs: Vec<String> = Vec::new();
    let mut rendered: BTreeMap<String, RgbImage> = BTreeMap::new();

    if let Some(face) = scene.faces.first() {
        report["main_face"] = crate::check::face_json(face);
        let failed_check = findings.iter().find(|f| f.status == Status::Fail).cloned();
        let (photo_w, photo_h) = (image.width(), image.height());
        // Matting runs once, on the part of the photo the headshots show. It runs before the
        // framing is chosen: where the person reaches an edge of the photo, no framing may show
        // canvas beyond it (the body continues there).
        // With the photo's own background kept, the matte is needed only to see whether a plain
        // wall may be continued where a target framing lacks canvas.
        let targets: Vec<trueshot_frame::Plan> = guide
            .variant
            .iter()
            .map(|v| plan(face, photo_w, photo_h, v, &guide.framing))
            .collect();
        let need_matte =
            replace || guide.background.cutout || targets.iter().any(|p| p.missing.any());
        let mut matte = match stages.matting {
            Some(matting) if ai_refusal.is_none() && need_matte => {
                let outs: Vec<_> = targets
                    .iter()
                    .map(|p| (p.to_output, p.width, p.height))
                    .collect();
                match trueshot_matte::region(&outs, photo_w, photo_h) {
                    Some(rect) => Some(run_matting(matting, &view, rect, face, path, report)?),
                    None => None,
                }
            }
            _ => None,
        };
        // Kept background: the edges along which the photo shows a plain wall.
        let walls: Vec<trueshot_matte::Wall> = match (&matte, replace) {
            (Some(m), false) => trueshot_matte::Edge::ALL
                .iter()
                .filter_map(|&e| trueshot_matte::plain_wall(image, m, e))
                .collect(),
            _ => Vec::new(),
        };
        let closed = closed_sides(replace, matte.as_ref(), &walls, photo_w, photo_h);
        report["background"]["closed_sides"] = json!(closed);
        if !walls.is_empty() {
            report["background"]["plain_walls"] = json!(walls);
        }
        let mut accepted = Vec::new();
        for (k, (variant, nominal)) in guide.variant.iter().zip(&targets).enumerate() {
            let planned = trueshot_frame::best_plan(
                face,
                scene.body.as_ref(),
                photo_w,
                photo_h,
                variant,
                &guide.framing,
                closed,
                !guide.framing.refuse_on_fail,
                stages.team_framing.get(k).copied().flatten(),
            );
            let shown = planned.as_ref().unwrap_or(nominal);
            let mut entry = variant_entry(variant, shown);
            if let Some(Some(shared)) = stages.team_framing.get(k) {
                // The team's shared head size and eye line, aimed at where the photo allows.
                entry["team"] = json!({
                    "eye_to_chin": r3(shared.eye_to_chin),
                    "eye_line": r3(shared.eye_line),
                });
            }
            // Refusals: an AI-made input; no framing within the variant's limits that shows only
            // what the photo has (or, where the background is replaced, new background beyond a
            // side the person does not reach); a failed check when the guideline refuses those;
            // an ID photo out of its ranges.
            let refusal = if let Some(why) = &ai_refusal {
                Some(format!(
                    "{} cannot be made: {why}; trueshot makes headshots from real photographs only",
                    variant.name
                ))
            } else if let Err(r) = &planned {
                Some(r.message(variant))
            } else if let (true, Some(f)) = (guide.framing.refuse_on_fail, &failed_check) {
                Some(format!(
                    "{} cannot be made: {} ({})",
                    variant.name, f.advice, f.check
                ))
            } else if variant.is_id_photo()
                && !(variant
                    .head_height
                    .is_some_and(|b| b.contains(shown.achieved.head_height))
                    && variant
                        .eye_from_bottom
                        .is_some_and(|b| b.contains(shown.achieved.eye_from_bottom)))
            {
                Some(format!("{}: the head size and eye height cannot both meet the ID-photo rules for this photo: take it with the head straight and more room around it", variant.name))
            } else {
                None
            };
            let plan = match (refusal, planned) {
                (None, Ok(plan)) => plan,
                (reason, _) => {
                    entry["status"] = json!("rejected");
                    entry["reason"] = json!(reason.unwrap_or_default());
                    variants.push(entry);
                    continue;
                }
            };
            // Reported for the headshots that are made.
            findings.extend(crop_findings(
                &plan,
                face,
                scene.body.as_ref(),
                &guide.framing,
            ));
            if !plan.in_tolerance {
                findings.push(framing_finding(
                    variant,
                    &plan,
                    closed.mask(nominal.missing),
                ));
            }
            if plan.scale > 1.5 {
                findings.push(Finding {
                    check: "output_upscale",
                    status: Status::Warn,
                    value: Some(plan.scale),
                    advice: format!(
                        "the {} output enlarges the photo {:.1}×, so it will look soft: use a photo taken closer or with more pixels",
                        variant.name, plan.scale
                    ),
                });
            }
            if plan.missing.any() && replace {
                // Canvas beyond the photo, on sides the person does not reach: new background.
                entry["filled_with_background"] = json!(true);
            }
            entry["status"] = json!("written");
            accepted.push((variants.len(), variant, plan));
            variants.push(entry);
        }
        // The chosen framings may show a part of the photo the first matte did not cover (or
        // much less of it, at a coarser scale than a matte of their own would have): matte again
        // where the headshots are cut out (with the background kept the matte only found walls).
        let cut_out = replace || guide.background.cutout;
        if let (Some(matting), Some(m), true) = (stages.matting, matte.as_ref(), cut_out) {
            let outs: Vec<_> = accepted
                .iter()
                .map(|a| (a.2.to_output, a.2.width, a.2.height))
                .collect();
            let now = trueshot_matte::region(&outs, photo_w, photo_h);
            if let Some(rect) = now.filter(|r| !covers_well(m, *r)) {
                matte = Some(run_matting(matting, &view, rect, face, path, report)?);
            }
        }
        // All accepted variants are resampled together (one linear-light conversion).
        let plans: Vec<&trueshot_frame::Plan> = accepted.iter().map(|a| &a.2).collect();
        let images = render_all(image, &plans)?;
        // The original's identity and age, measured once on the photo itself.
        let original = match (&stages.verifier, images.is_empty()) {
            (Some(v), false) => Some(
                v.original(&view, face)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            ),
            _ => None,
        };
        for ((at, variant, plan), mut before) in accepted.into_iter().zip(images) {
            if !replace && plan.missing.any() {
                // Kept background: canvas beyond the photo only over a plain wall, continued.
                variants[at]["wall_continued"] = continue_walls(&mut before, &plan, &walls);
            }
            let t = std::time::Instant::now();
            let mut cut = matte.as_ref().filter(|_| cut_out).map(|m| {
                trueshot_matte::Cutout::new(
                    before.clone(),
                    m,
                    &plan.to_output,
                    image.width(),
                    image.height(),
                )
            });
            let cut_ms = t.elapsed().as_secs_f32() * 1e3;
            // One global tone curve; the pixel measures compare against it, so that they
            // measure the retouch alone (the nets compare with the untouched original).
            let toned = tone.apply(&before);
            // Retouch, verify; a result that breaks a bound is made again with less retouching,
            // finally with none.
            let lm = trueshot_retouch::Landmarks::from_face(face, &plan.to_output);
            // The new backdrop, painted once; the old background's rim light toned toward it
            // (an edit of the person's edge, so it is verified with the retouch below).
            let t = std::time::Instant::now();
            let backdrop = replace.then(|| backdrop(&guide.background, stages, &plan));
            let painted = cut.as_ref().zip(backdrop.as_ref()).map(|(c, b)| b.paint(c));
            let rim = cut.as_ref().zip(painted.as_ref()).map(|(c, bg)| {
                c.rim_light(
                    &toned,
                    bg,
                    &trueshot_matte::RimFace::of(face, &plan.to_output),
                )
            });
            let cut_ms = cut_ms + t.elapsed().as_secs_f32() * 1e3;
            let requested = retouch_level(guide.retouch.level);
            let mut level = requested;
            let mut strength = stages.retouch_strength;
            let mut attempts = Vec::new();
            // The rim-light edit, at full and half strength; see the loop for which is delivered.
            let full_rim = rim.filter(|r| r.summary().toned_px > 0);
            let half_rim = full_rim.as_ref().map(|r| r.scaled(0.5));
            let mut rim_try = RimTry::Full;
            let rim_of = |t: RimTry| match t {
                RimTry::Full => full_rim.as_ref(),
                RimTry::Half => half_rim.as_ref(),
                RimTry::Without | RimTry::Off => None,
            };
            let (retouched, applied, verdict) = loop {
                let params = trueshot_retouch::Params::scaled(level, strength);
                let (mut retouched, applied) = trueshot_retouch::retouch(&toned, &lm, &params);
                if let Some(rim) = rim_of(rim_try) {
                    rim.apply(&mut retouched);
                }
                let (Some(verifier), Some(original)) = (&stages.verifier, &original) else {
                    break (retouched, applied, None);
                };
                // Verification compares the person before and after editing, both in front of
                // the photo's own background: a new background changes no pixel of the person
                // (alpha 1 is copied exactly, tested) but would sway the nets' view of the face.
                let m = verifier
                    .measure(
                        original,
                        face,
                        &plan.to_output,
                        &toned,
                        &retouched,
                        cut.as_ref().map(|c| &c.alpha),
                    )
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                let breaches = m.breaches(&stages.bounds);
                attempts.push(json!({
                    "level": level.as_str(),
                    "strength": r3(strength),
                    "retouch": applied_json(&applied),
                    "measures": measures_json(&m),
                    "breaches": breaches_json(&breaches),
                    "rim_light": rim_of(rim_try).map(|_| rim_try.as_str()),
                }));
                // A breach with the rim-light edit: measured again without it. If that passes,
                // the edit caused it and half of it is tried (then none); if not, the edit stays
                // and the retouch is weakened as always.
                let breached = !breaches.is_empty();
                if full_rim.is_some() {
                    match (rim_try, breached) {
                        (RimTry::Full, true) => {
                            rim_try = RimTry::Without;
                            continue;
                        }
                        (RimTry::Without, false) => {
                            rim_try = RimTry::Half;
                            continue;
                        }
                        (RimTry::Half, true) => {
                            rim_try = RimTry::Off;
                            continue;
                        }
                        (RimTry::Without, true) => {
                            rim_try = if level.weaker().is_some() {
                                RimTry::Full
                            } else {
                                RimTry::Off
                            };
                        }
                        _ => {}
                    }
                }
                match level.weaker() {
                    Some(weaker) if !breaches.is_empty() => {
                        level = weaker;
                        strength = 1.0;
                    }
                    _ => break (retouched, applied, Some((m, breaches))),
                }
            };
            let rim = rim_of(rim_try);
            // Only the delivered retouch is composited.
            let headshot = match cut.as_mut() {
                Some(c) => {
                    c.image = retouched;
                    // The edge's foreground colours get the rim-light edit the headshot got (the
                    // cutout shows the same person).
                    if let Some(rim) = rim {
                        c.tone_rim(rim);
                    }
                    if let (Some(backdrop), Some(painted)) = (&backdrop, painted) {
                        let t = std::time::Instant::now();
                        let (composite, bg) = c.composite_painted(backdrop, painted);
                        let eye_row =
                            (plan.achieved.eye_line * plan.height as f32).max(0.0) as usize;
                        let q = c.quality(&composite, &bg, eye_row);
                        variants[at]["matting"] = json!({
                            "halo_delta_e": q.halo_delta_e.map(r3),
                            "far_delta_e_mean": q.far_delta_e_mean.map(r3),
                            "far_delta_e_max": q.far_delta_e_max.map(r3),
                            "hair_edge_width_px": q.hair_edge_width_px.map(r3),
                            "partial_alpha_fraction": r3(q.partial_alpha_fraction),
                            "person_fraction": r3(q.person_fraction),
                            "defringed_edge_px": c.defringed,
                            "rim_light": rim.map(|r| {
                                let s = r.summary();
                                json!({
                                    "toned_px": s.toned_px,
                                    "mean_delta_l": r3(s.mean_delta_l),
                                    "max_delta_l": r3(s.max_delta_l),
                                    "band_px": r1(s.band_px),
                                })
                            }),
                            "compose_ms": r1(cut_ms + t.elapsed().as_secs_f32() * 1e3),
                        });
                        composite
                    } else {
                        c.image.clone()
                    }
                }
                None => retouched,
            };
            variants[at]["retouch"] = json!({
                "requested": requested.as_str(),
                "delivered": level.as_str(),
                "retouch": applied_json(&applied),
            });
            if let Some((m, breaches)) = verdict {
                let passed = breaches.is_empty();
                if !passed {
                    findings.push(Finding {
                        check: "verification",
                        status: Status::Warn,
                        value: breaches.first().map(|b| b.value),
                        advice: format!(
                            "the {} headshot breaks {} even without retouching (what changed is the framing or the tone): look at it before using it",
                            variant.name,
                            breaches
                                .iter()
                                .map(|b| format!("{} {:.3} (bound {:.3})", b.measure, b.value, b.bound))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
                variants[at]["verification"] = json!({
                    "status": if passed { "passed" } else { "failed" },
                    "measures": measures_json(&m),
                    "bounds": bounds_json(&stages.bounds),
                    "breaches": breaches_json(&breaches),
                });
                if attempts.len() > 1 {
                    variants[at]["verification"]["attempts"] = json!(attempts);
                }
                write_face_crops(out_dir, &job.name, &variant.name, &before, &headshot, &lm)?;
                variants[at]["face_crops"] = json!([
                    format!("thumbs/{}.{}.face-before.jpg", job.name, variant.name),
                    format!("thumbs/{}.{}.face-after.jpg", job.name, variant.name),
                ]);
                if stages.before_frames {
                    let file = format!("{}.{}.before.jpg", job.name, variant.name);
                    let bytes = encode(&before, OutputFormat::Jpeg { quality: 88 }, 72)?;
                    write_atomic(&out_dir.join("thumbs"), &file, &bytes)?;
                    variants[at]["before"] = json!(format!("thumbs/{file}"));
                }
            }
            if let (Some(c), true) = (&cut, guide.background.cutout) {
                let file = format!("{}.{}.cutout.png", job.name, variant.name);
                let bytes = encode_rgba_png(&c.rgba(), variant.dpi)?;
                let bytes = signed(
                    &bytes,
                    stages,
                    crate::credentials::claim(
                        &file,
                        Format::Png,
                        &source_photo,
                        None,
                        guide,
                        report,
                        &variants[at],
                        crate::credentials::Output::Cutout,
                    ),
                )?;
                write_atomic(out_dir, &file, &bytes)?;
                variants[at]["cutout"] = json!(file);
                outputs.push(file);
            }
            let file = format!(
                "{}.{}.{}",
                job.name,
                variant.name,
                variant.format.extension()
            );
            let bytes = encode(
                &headshot,
                output_format(variant.format, variant.quality),
                variant.dpi,
            )?;
            let bytes = signed(
                &bytes,
                stages,
                crate::credentials::claim(
                    &file,
                    variant.format,
                    &source_photo,
                    stages.background_source.as_ref(),
                    guide,
                    report,
                    &variants[at],
                    crate::credentials::Output::Headshot,
                ),
            )?;
            write_atomic(out_dir, &file, &bytes)?;
            variants[at]["file"] = json!(file);
            outputs.push(file);
            rendered.insert(variant.name.clone(), headshot);
        }
    } else {
        notes.push("no face: no headshot can be made".into());
    }

    let mut sheets = Vec::new();
    for s in &guide.sheet {
        let (Some(img), Some(variant)) = (
            rendered.get(&s.of),
            guide.variant.iter().find(|v| v.name == s.of),
        ) else {
            continue;
        };
        let (nx, ny, _, _) = s.copies(variant);
        let page = sheet(img, variant, s);
        let file = format!("{}.{}.{}", job.name, s.name, s.format.extension());
        let bytes = encode(&page, output_format(s.format, s.quality), variant.dpi)?;
        let entry = variants
            .iter()
            .find(|v| v["name"] == s.of.as_str())
            .cloned()
            .unwrap_or_default();
        let bytes = signed(
            &bytes,
            stages,
            crate::credentials::claim(
                &file,
                s.format,
                &source_photo,
                stages.background_source.as_ref(),
                guide,
                report,
                &entry,
                crate::credentials::Output::Sheet {
                    copies: u64::from(nx * ny),
                    of: &s.of,
                },
            ),
        )?;
        write_atomic(out_dir, &file, &bytes)?;
        sheets.push(json!({ "name": s.name, "file": file, "copies": nx * ny }));
        outputs.push(file);
    }

    let worst = overall(&findings);
    let written = variants.iter().filter(|v| v["status"] == "written").count();
    report["status"] = json!(if written > 0 && written == variants.len() {
        "done"
    } else if written > 0 {
        "partial"
    } else {
        "rejected"
    });
    report["worst"] = json!(worst);
    report["findings"] = Value::Array(findings.iter().map(finding_json).collect());
    report["notes"] = json!(notes);
    report["variants"] = Value::Array(variants);
    report["sheets"] = Value::Array(sheets);
    report["outputs"] = json!(outputs);
    report["thumbnail"] = json!(format!("thumbs/{}.jpg", job.name));
    Ok(())
}

/// Runs the matting net on `rect` of the photo and cleans its alpha into the subject's seed (the
/// piece holding the main face's nose tip); records the time and region in the report.
fn run_matting(
    matting: &Matting,
    view: &PhotoView,
    rect: [f32; 4],
    face: &trueshot_vision::Face,
    path: &Path,
    report: &mut Value,
) -> Result<trueshot_vision::Matte> {
    matting
        .prepare(rect)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let t = std::time::Instant::now();
    let m = matting
        .matte(view, rect)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let nose = face.point(trueshot_vision::mesh::NOSE_TIP);
    let m = trueshot_matte::seed(&m, Some(nose));
    let ms = t.elapsed().as_secs_f32() * 1e3
        + report["background"]["matting_ms"].as_f64().unwrap_or(0.0) as f32;
    report["background"]["matting_ms"] = json!(r1(ms));
    report["background"]["matte_region"] = json!(rect.map(r1));
    report["background"]["matting_runtime"] = json!(matting.runtime().as_str());
    Ok(m)
}

/// The sides of the photo no framing may cross: the sides the person reaches (more than 1 % of
/// the matte's border along that edge is person), the sides the matte does not reach (nothing is
/// known there), and with the photo's own background kept every side but a plain wall's (nothing
/// else may be invented); all of them without a matte.
fn closed_sides(
    replace: bool,
    matte: Option<&trueshot_vision::Matte>,
    walls: &[trueshot_matte::Wall],
    photo_w: u32,
    photo_h: u32,
) -> trueshot_frame::Sides {
    let Some(m) = matte else {
        return trueshot_frame::Sides::ALL;
    };
    let person = trueshot_matte::person_at_edges(m, photo_w, photo_h);
    let tl = m.to_photo.apply(trueshot_geom::Point::new(0.0, 0.0));
    let br = m
        .to_photo
        .apply(trueshot_geom::Point::new(m.width as f32, m.height as f32));
    let reached = [
        tl.y < 1.0,
        br.y > photo_h as f32 - 1.0,
        tl.x < 1.0,
        br.x > photo_w as f32 - 1.0,
    ];
    use trueshot_matte::Edge;
    let edge = [Edge::Top, Edge::Bottom, Edge::Left, Edge::Right];
    // With the photo's own background kept, only a plain wall may be continued.
    let wall = |i: usize| replace || walls.iter().any(|w| w.edge == edge[i]);
    let closed = |i: usize| !reached[i] || person[i] > 0.01 || !wall(i);
    trueshot_frame::Sides {
        top: closed(0),
        bottom: closed(1),
        left: closed(2),
        right: closed(3),
    }
}

/// Paints the canvas a kept-background headshot shows beyond the photo with the plain wall of
/// that edge (its colour field and grain); what was continued, for the report and credentials.
fn continue_walls(
    before: &mut RgbImage,
    plan: &trueshot_frame::Plan,
    walls: &[trueshot_matte::Wall],
) -> Value {
    use trueshot_matte::Edge;
    let m = plan.missing;
    let mut done = Vec::new();
    for w in walls {
        let depth = match w.edge {
            Edge::Top => m.top,
            Edge::Bottom => m.bottom,
            Edge::Left => m.left,
            Edge::Right => m.right,
        };
        if depth <= 0.0 {
            continue;
        }
        let pixels = w.paint_beyond(before, &plan.to_output);
        done.push(json!({
            "edge": w.edge,
            "depth": r3(depth),
            "pixels": pixels,
            "field_delta_e_mean": r3(w.field_delta_e_mean),
            "field_delta_e_max": r3(w.field_delta_e_max),
            "grain_l": r3(w.grain_l),
        }));
    }
    Value::Array(done)
}

/// Whether a matte made for one region serves a headshot region `rect`: it covers it, and the
/// region is not so much smaller that a matte of its own would be much finer.
fn covers_well(m: &trueshot_vision::Matte, rect: [f32; 4]) -> bool {
    let tl = m.to_photo.apply(trueshot_geom::Point::new(0.0, 0.0));
    let br = m
        .to_photo
        .apply(trueshot_geom::Point::new(m.width as f32, m.height as f32));
    let inside = rect[0] >= tl.x - 1.0
        && rect[1] >= tl.y - 1.0
        && rect[2] <= br.x + 1.0
        && rect[3] <= br.y + 1.0;
    let area = |w: f32, h: f32| (w * h).max(1.0);
    inside && area(rect[2] - rect[0], rect[3] - rect[1]) >= 0.5 * area(br.x - tl.x, br.y - tl.y)
}

/// A variant's report entry: its size and format, the target, the tolerances, the achieved
/// framing and how far it is from the target, and the map from photo to output.
fn variant_entry(variant: &trueshot_guide::Variant, plan: &trueshot_frame::Plan) -> Value {
    let (t, a) = (&plan.target, &plan.achieved);
    let mut entry = json!({
        "name": variant.name,
        "width": variant.width,
        "height": variant.height,
        "format": variant.format.as_str(),
        "target": { "eye_line": r3(t.eye_line), "eye_to_chin": r3(t.eye_to_chin), "center_x": r3(t.center_x) },
        "framing": {
            "eye_line": r3(a.eye_line),
            "eye_to_chin": r3(a.eye_to_chin),
            "center_x": r3(a.center_x),
            "roll_after": r3(a.roll_after),
            "crown_crop": r3(a.crown_crop),
        },
        "deviation": {
            "eye_line": r3(a.eye_line - t.eye_line),
            "eye_to_chin": r3(a.eye_to_chin - t.eye_to_chin),
            "center_x": r3(a.center_x - t.center_x),
        },
        "in_tolerance": plan.in_tolerance,
        "levelled_deg": r3(plan.levelled_deg),
        "upscale": r3(plan.scale),
        "missing": plan.missing,
        "source_to_output": plan.affine_array(),
    });
    if !variant.is_id_photo() {
        let window = |w: trueshot_guide::Tolerance| {
            json!({
                "eye_line": r3(w.eye_line),
                "eye_to_chin": r3(w.eye_to_chin),
                "center_x": r3(w.center_x),
                "crown_crop": r3(w.crown_crop),
            })
        };
        entry["tolerance"] = window(variant.tolerance());
        entry["limit"] = window(variant.limit());
    }
    if variant.is_id_photo() {
        entry["framing"]["head_height"] = json!(r3(a.head_height));
        entry["framing"]["eye_from_bottom"] = json!(r3(a.eye_from_bottom));
    }
    entry
}

/// The finding for a headshot delivered outside its tolerances: how far, and what to do for a
/// retake (`lacking`: what the target framing would need beyond the photo's closed sides).
fn framing_finding(
    variant: &trueshot_guide::Variant,
    plan: &trueshot_frame::Plan,
    lacking: trueshot_frame::Missing,
) -> Finding {
    let (t, a) = (&plan.target, &plan.achieved);
    let tol = variant.tolerance();
    let mut off = Vec::new();
    if (a.eye_to_chin - t.eye_to_chin).abs() > tol.eye_to_chin + 1e-3 {
        off.push(format!(
            "head size (eye to chin) {:.2} of the height for {:.2} ± {:.2}",
            a.eye_to_chin, t.eye_to_chin, tol.eye_to_chin
        ));
    }
    if (a.eye_line - t.eye_line).abs() > tol.eye_line + 1e-3 {
        off.push(format!(
            "eye line {:.2} for {:.2} ± {:.2}",
            a.eye_line, t.eye_line, tol.eye_line
        ));
    }
    if (a.center_x - t.center_x).abs() > tol.center_x + 1e-3 {
        off.push(format!(
            "centre {:.2} for {:.2} ± {:.2}",
            a.center_x, t.center_x, tol.center_x
        ));
    }
    if a.roll_after.abs() > 0.5 {
        off.push(format!(
            "eyes left tilted {:.1}°: levelling them fully would need room the photo lacks",
            a.roll_after.abs()
        ));
    }
    if a.crown_crop > tol.crown_crop + 1e-3 {
        off.push(format!(
            "{:.0} % of the head above the top edge (at most {:.0} %)",
            100.0 * a.crown_crop,
            100.0 * tol.crown_crop
        ));
    }
    let retake = if lacking.any() {
        lacking.advice()
    } else {
        "leave more room around you: step back from the camera"
    };
    let worst = [
        (a.eye_to_chin - t.eye_to_chin).abs() / tol.eye_to_chin.max(1e-3),
        (a.eye_line - t.eye_line).abs() / tol.eye_line.max(1e-3),
        (a.center_x - t.center_x).abs() / tol.center_x.max(1e-3),
    ]
    .into_iter()
    .fold(0.0f32, f32::max);
    Finding {
        check: "framing",
        status: Status::Warn,
        value: Some(worst),
        advice: format!(
            "the {} headshot is framed as closely to the guideline as this photo allows, outside its tolerances ({}): {retake}",
            variant.name,
            off.join(", ")
        ),
    }
}

/// What every photo of a batch shares besides the guideline: the loaded nets and the decoded
/// background photo.
struct Stages<'a> {
    /// Signs every output's content credentials.
    signing: Option<&'a crate::credentials::Signing>,
    /// What the credentials name as the new background.
    background_source: Option<trueshot_provenance::Source>,
    perception: Option<&'a Perception>,
    matting: Option<&'a Matting>,
    backdrop_photo: Option<&'a RgbImage>,
    backdrop_planes: BTreeMap<(usize, usize), [trueshot_matte::Plane; 3]>,
    /// Identity, age and landmark nets for verifying every headshot.
    verifier: Option<trueshot_retouch::Verifier<'a>>,
    bounds: trueshot_retouch::Bounds,
    /// Test-only multiplier of the retouch strength (1 = the guideline's level).
    retouch_strength: f32,
    /// With `--team`: the batch's median scene, which every photo's tone is brought to.
    team_target: Option<trueshot_retouch::SceneStats>,
    /// With `--team`: per variant, the head size and eye line the batch shares.
    team_framing: Vec<Option<trueshot_frame::Shared>>,
    /// Also write each variant's "before" (the original in the same frame, no retouch, its own
    /// background) as `thumbs/NAME.VARIANT.before.jpg`, for the web page's before/after slider.
    before_frames: bool,
}

/// Signs content credentials (and XMP) into an encoded output.
fn signed(bytes: &[u8], stages: &Stages, claim: trueshot_provenance::Claim) -> Result<Vec<u8>> {
    match stages.signing {
        Some(s) => trueshot_provenance::sign(bytes, &claim, s.signer.as_ref())
            .with_context(|| format!("{}: content credentials", claim.title)),
        None => Ok(bytes.to_vec()),
    }
}

/// The scene's tone statistics on the analysis copy, the faces left out.
fn scene_tone(view: &PhotoView, scene: &trueshot_vision::Scene) -> trueshot_retouch::SceneStats {
    let faces: Vec<trueshot_geom::Rect> = scene
        .faces
        .iter()
        .map(|f| f.bbox.scaled(view.scale))
        .collect();
    trueshot_retouch::scene_stats(view.analysis(), &faces)
}

/// One photo of a `--team` batch as the first look at it sees it: the main face, the body and the
/// photo's size.
struct TeamFace {
    face: trueshot_vision::Face,
    body: Option<trueshot_vision::Body>,
    width: u32,
    height: u32,
}

/// `--team`: every photo's scene statistics (a reduced decode and the analysis copy only), their
/// median, and every photo's main face. Photos that cannot be read are left out here and
/// reported when processed.
fn team_target(
    jobs: &[&Job],
    perception: &Perception,
) -> (trueshot_retouch::SceneStats, Vec<TeamFace>) {
    let mut all = Vec::new();
    let mut faces = Vec::new();
    for job in jobs {
        let Ok(photo) = trueshot_codec::decode_file_reduced(
            &job.input,
            &Limits::default(),
            trueshot_vision::ANALYSIS_LONG_SIDE,
        ) else {
            continue;
        };
        let (fw, fh) = photo.full_size();
        let Ok(view) = PhotoView::with_full_size(&photo.image, fw, fh) else {
            continue;
        };
        let Ok(scene) = perception.perceive(
            &view,
            &PerceiveOptions {
                crown: true,
                ..PerceiveOptions::default()
            },
        ) else {
            continue;
        };
        let rects: Vec<trueshot_geom::Rect> = scene
            .faces
            .iter()
            .map(|f| f.bbox.scaled(view.scale))
            .collect();
        all.push(trueshot_retouch::scene_stats(view.analysis(), &rects));
        if let Some(face) = scene.faces.into_iter().next() {
            faces.push(TeamFace {
                face,
                body: scene.body,
                width: fw,
                height: fh,
            });
        }
    }
    (trueshot_retouch::team_target(&all), faces)
}

/// `--team`: per portrait variant, the head size and eye line inside the tolerances that the most
/// photos of the batch can have (nearest the target among equals), so that a team page has equal
/// heads; `None` for ID variants or when no photo allows any.
fn shared_framing(
    guide: &trueshot_guide::Guideline,
    faces: &[TeamFace],
) -> Vec<Option<trueshot_frame::Shared>> {
    let replace = guide.background.mode.replaces();
    guide
        .variant
        .iter()
        .map(|v| {
            let (Some(te), Some(tl)) = (v.eye_to_chin, v.eye_line) else {
                return None;
            };
            let tol = v.tolerance();
            const N: usize = 12;
            let mut best: Option<(usize, f32, trueshot_frame::Shared)> = None;
            for i in 0..=N {
                for j in 0..=N {
                    let at = |t: f32, w: f32, k: usize| t - w + 2.0 * w * k as f32 / N as f32;
                    let shared = trueshot_frame::Shared {
                        eye_to_chin: at(te, tol.eye_to_chin, i),
                        eye_line: at(tl, tol.eye_line, j),
                    };
                    let n = faces
                        .iter()
                        .filter(|t| {
                            trueshot_frame::fits(
                                &t.face,
                                t.body.as_ref(),
                                t.width,
                                t.height,
                                v,
                                &guide.framing,
                                trueshot_frame::Sides::likely(
                                    &t.face,
                                    t.body.as_ref(),
                                    t.width,
                                    t.height,
                                    replace,
                                ),
                                shared,
                            )
                        })
                        .count();
                    let d = ((shared.eye_to_chin - te) / tol.eye_to_chin.max(1e-3)).powi(2)
                        + ((shared.eye_line - tl) / tol.eye_line.max(1e-3)).powi(2);
                    if n > 0 && best.is_none_or(|b| n > b.0 || (n == b.0 && d < b.1)) {
                        best = Some((n, d, shared));
                    }
                }
            }
            best.map(|b| b.2)
        })
        .collect()
}

fn retouch_level(l: trueshot_guide::RetouchLevel) -> trueshot_retouch::Level {
    match l {
        trueshot_guide::RetouchLevel::None => trueshot_retouch::Level::None,
        trueshot_guide::RetouchLevel::Subtle => trueshot_retouch::Level::Subtle,
        trueshot_guide::RetouchLevel::Natural => trueshot_retouch::Level::Natural,
    }
}

fn bounds(v: &trueshot_guide::Verify) -> trueshot_retouch::Bounds {
    trueshot_retouch::Bounds {
        identity_distance: v.identity_distance,
        landmark_drift: v.landmark_drift,
        texture_kept: v.texture_kept,
        eye_white_l_rise: v.eye_white_l_rise,
        skin_hue_chroma_delta_e: v.skin_hue_chroma_delta_e,
        skin_lightness_shift: v.skin_lightness_shift,
        age_change_years: v.age_change_years,
        clothing_delta_e: v.clothing_delta_e,
    }
}

fn bounds_json(b: &trueshot_retouch::Bounds) -> Value {
    json!({
        "identity_distance": r3(b.identity_distance),
        "landmark_drift": r3(b.landmark_drift),
        "texture_kept": r3(b.texture_kept),
        "eye_white_l_rise": r3(b.eye_white_l_rise),
        "skin_hue_chroma_delta_e": r3(b.skin_hue_chroma_delta_e),
        "skin_lightness_shift": r3(b.skin_lightness_shift),
        "age_change_years": r3(b.age_change_years),
        "clothing_delta_e": r3(b.clothing_delta_e),
    })
}

fn applied_json(a: &trueshot_retouch::Applied) -> Value {
    json!({
        "blemish_fraction": r3(a.blemish_fraction),
        "shine_fraction": r3(a.shine_fraction),
        "ms": r1(a.ms),
    })
}

fn measures_json(m: &trueshot_retouch::Measures) -> Value {
    let p = &m.pixel;
    let num = |v: f32| {
        if v.is_finite() {
            json!(r3(v))
        } else {
            Value::Null
        }
    };
    json!({
        "identity_distance": num(m.identity_distance),
        "landmark_drift": num(m.landmark_drift),
        "drift_feature": m.drift_feature,
        "texture_kept": num(p.texture_kept),
        "eye_white_l_rise": num(p.eye_white_l_rise),
        "skin_lightness_shift": num(p.skin_lightness_shift),
        "skin_hue_chroma_delta_e": num(p.skin_hue_chroma_delta_e),
        "age_original": num(m.age_original),
        "age_result": num(m.age_result),
        "age_change_years": num(m.age_change_years),
        "clothing_delta_e": num(p.clothing_delta_e),
        "ms": r1(m.ms),
    })
}

fn breaches_json(b: &[trueshot_retouch::Breach]) -> Value {
    Value::Array(
        b.iter()
            .map(|b| json!({ "measure": b.measure, "value": if b.value.is_finite() { json!(r3(b.value)) } else { Value::Null }, "bound": r3(b.bound) }))
            .collect(),
    )
}

/// Before/after crops of the face at 100 % (the contact sheet shows them side by side).
fn write_face_crops(
    out_dir: &Path,
    name: &str,
    variant: &str,
    before: &RgbImage,
    after: &RgbImage,
    lm: &trueshot_retouch::Landmarks,
) -> Result<()> {
    let (w, h) = (before.width() as usize, before.height() as usize);
    let Some(b) = lm.face_box(0.1, w, h) else {
        return Ok(());
    };
    let dir = out_dir.join("thumbs");
    std::fs::create_dir_all(&dir)?;
    for (img, which) in [(before, "before"), (after, "after")] {
        let crop = image::imageops::crop_imm(
            img,
            b[0] as u32,
            b[1] as u32,
            (b[2] - b[0]) as u32,
            (b[3] - b[1]) as u32,
        )
        .to_image();
        let bytes = encode(&crop, OutputFormat::Jpeg { quality: 92 }, 72)?;
        write_atomic(&dir, &format!("{name}.{variant}.face-{which}.jpg"), &bytes)?;
    }
    Ok(())
}

/// The backdrop of one headshot, from the guideline's background section.
fn backdrop<'a>(
    b: &trueshot_guide::Background,
    stages: &'a Stages,
    plan: &trueshot_frame::Plan,
) -> Backdrop<'a> {
    let photo = stages.backdrop_photo;
    let c = |c: Option<trueshot_guide::Color>| c.map_or([255, 255, 255], |c| c.0);
    match (b.mode, photo) {
        (BackgroundMode::Gradient, _) => Backdrop::Gradient {
            from: c(b.color),
            to: c(b.color2),
            radial: b.gradient == GradientShape::Radial,
            center: (plan.target.center_x, plan.target.eye_line),
        },
        (BackgroundMode::Image, Some(photo)) => Backdrop::Image {
            photo,
            blur_px: b.blur_px,
            prepared: stages
                .backdrop_planes
                .get(&(plan.width as usize, plan.height as usize)),
        },
        (BackgroundMode::Blur, _) => Backdrop::Blur { blur_px: b.blur_px },
        _ => Backdrop::Color(c(b.color)),
    }
}

/// Applies `--background SPEC` to the guideline, and folds it into the guideline's hash (so a
/// rerun with another background redoes the photos).
fn override_background(loaded: &mut Loaded, spec: &str) -> Result<()> {
    use trueshot_guide::Color;
    let bad = || {
        anyhow::anyhow!(
            "--background {spec}: expected keep, #RRGGBB, gradient:#RRGGBB,#RRGGBB[,radial], image:PATH[,BLUR_PX] or blur[:BLUR_PX]"
        )
    };
    let b = &mut loaded.guide.background;
    let number = |s: &str| {
        s.trim()
            .parse::<f32>()
            .ok()
            .filter(|v| (0.0..=200.0).contains(v))
    };
    if spec == "keep" {
        b.mode = BackgroundMode::Keep;
    } else if let Some(color) = Color::parse(spec) {
        b.mode = BackgroundMode::Color;
        b.color = Some(color);
    } else if let Some(rest) = spec.strip_prefix("gradient:") {
        let parts: Vec<&str> = rest.split(',').collect();
        let (Some(a), Some(z)) = (
            parts.first().and_then(|p| Color::parse(p.trim())),
            parts.get(1).and_then(|p| Color::parse(p.trim())),
        ) else {
            return Err(bad());
        };
        b.mode = BackgroundMode::Gradient;
        b.color = Some(a);
        b.color2 = Some(z);
        b.gradient = match parts.get(2).map(|s| s.trim()) {
            None | Some("linear") => GradientShape::Linear,
            Some("radial") => GradientShape::Radial,
            Some(_) => return Err(bad()),
        };
    } else if let Some(rest) = spec.strip_prefix("image:") {
        let (path, blur) = match rest.rsplit_once(',') {
            Some((p, n)) if number(n).is_some() => (p, number(n)),
            _ => (rest, None),
        };
        b.mode = BackgroundMode::Image;
        // Relative to the current folder, like the other command-line paths.
        b.image = Some(
            std::path::absolute(path)
                .unwrap_or_else(|_| PathBuf::from(path))
                .display()
                .to_string(),
        );
        b.blur_px = blur.unwrap_or(b.blur_px);
    } else if spec == "blur" || spec.starts_with("blur:") {
        b.mode = BackgroundMode::Blur;
        if let Some(n) = spec.strip_prefix("blur:") {
            b.blur_px = number(n).ok_or_else(bad)?;
        }
    } else {
        return Err(bad());
    }
    loaded.sha256 = sha256_hex(format!("{}\n--background {spec}", loaded.sha256).as_bytes());
    Ok(())
}

/// Decodes the guideline's background photo once for the batch (mode image).
fn load_backdrop_photo(loaded: &Loaded) -> Result<Option<(RgbImage, trueshot_provenance::Source)>> {
    let b = &loaded.guide.background;
    if b.mode != BackgroundMode::Image {
        return Ok(None);
    }
    let Some(name) = &b.image else {
        anyhow::bail!("background mode \"image\" needs image = \"path\"");
    };
    let path = match &loaded.base_dir {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    };
    let bytes = std::fs::read(&path)
        .with_context(|| format!("background image {}: cannot read", path.display()))?;
    let photo = decode_bytes(&bytes, &path, &Limits::default())
        .with_context(|| format!("background image {}", path.display()))?;
    let source = crate::credentials::original_source(&path, &bytes, &sha256_hex(&bytes));
    Ok(Some((photo.image, source)))
}

/// The background photo at each variant's size (scaled to cover, blurred as the guideline says),
/// made once for all the photos that share the guideline.
fn backdrop_planes(
    loaded: &Loaded,
    photo: &RgbImage,
) -> BTreeMap<(usize, usize), [trueshot_matte::Plane; 3]> {
    loaded
        .guide
        .variant
        .iter()
        .map(|v| {
            let (w, h) = (v.width as usize, v.height as usize);
            let blur = loaded.guide.background.blur_px;
            ((w, h), trueshot_matte::photo_backdrop(photo, w, h, blur))
        })
        .collect()
}

fn output_format(format: Format, quality: u32) -> OutputFormat {
    match format {
        Format::Jpeg => OutputFormat::Jpeg {
            quality: quality.clamp(1, 100) as u8,
        },
        Format::Png => OutputFormat::Png,
        Format::Webp => OutputFormat::WebpLossless,
    }
}

/// A small upright copy of the original for the contact sheet (made from the analysis copy).
fn write_thumbnail(image: &RgbImage, out_dir: &Path, name: &str) -> Result<()> {
    let long = image.width().max(image.height()) as f32;
    let k = (480.0 / long).min(1.0);
    let (w, h) = (
        ((image.width() as f32 * k).round() as u32).max(1),
        ((image.height() as f32 * k).round() as u32).max(1),
    );
    let thumb = trueshot_vision::resize(image, w, h)?;
    let dir = out_dir.join("thumbs");
    std::fs::create_dir_all(&dir)?;
    let bytes = encode(&thumb, OutputFormat::Jpeg { quality: 82 }, 72)?;
    write_atomic(&dir, &format!("{name}.jpg"), &bytes)?;
    Ok(())
}

/// One row per photo and variant. Fields are quoted and spreadsheet formulas neutralised as in
/// the team export (a photo named `=…` must not become a formula in `summary.csv`).
fn write_summary(out_dir: &Path, reports: &[(Value, bool)]) -> Result<()> {
    let mut csv = crate::serve::export::csv_writer();
    csv.write_record(
        "input,name,status,worst,faces,variant,variant_status,file,eye_line,eye_to_chin,center_x,roll_after,crown_crop,in_tolerance,upscale,retouch,verification,identity_distance,landmark_drift,texture_kept,eye_white_l_rise,skin_lightness_shift,skin_hue_chroma_delta_e,age_change_years,clothing_delta_e,message"
            .split(','),
    )?;
    let mut row = |fields: &[String]| {
        csv.write_record(fields.iter().map(|f| crate::serve::export::neutralised(f)))
    };
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    };
    for (r, _) in reports {
        let base = [
            s(&r["input"]),
            s(&r["name"]),
            s(&r["status"]),
            s(&r["worst"]),
            s(&r["faces"]),
        ];
        let variants = r["variants"].as_array().cloned().unwrap_or_default();
        let message = if r["status"] == "error" {
            s(&r["error"])
        } else {
            r["findings"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter(|f| f["status"] == "fail")
                        .map(|f| s(&f["advice"]))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default()
        };
        if variants.is_empty() {
            let fields: Vec<String> = base
                .iter()
                .cloned()
                .chain(std::iter::repeat_n(String::new(), 20))
                .chain([message.clone()])
                .collect();
            row(&fields)?;
        }
        for v in variants {
            let m = if v["status"] == "rejected" {
                s(&v["reason"])
            } else {
                message.clone()
            };
            let fields: Vec<String> = base
                .iter()
                .cloned()
                .chain([
                    s(&v["name"]),
                    s(&v["status"]),
                    s(&v["file"]),
                    s(&v["framing"]["eye_line"]),
                    s(&v["framing"]["eye_to_chin"]),
                    s(&v["framing"]["center_x"]),
                    s(&v["framing"]["roll_after"]),
                    s(&v["framing"]["crown_crop"]),
                    s(&v["in_tolerance"]),
                    s(&v["upscale"]),
                    s(&v["retouch"]["delivered"]),
                    s(&v["verification"]["status"]),
                ])
                .chain(
                    [
                        "identity_distance",
                        "landmark_drift",
                        "texture_kept",
                        "eye_white_l_rise",
                        "skin_lightness_shift",
                        "skin_hue_chroma_delta_e",
                        "age_change_years",
                        "clothing_delta_e",
                    ]
                    .map(|k| s(&v["verification"]["measures"][k])),
                )
                .chain([m])
                .collect();
            row(&fields)?;
        }
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| anyhow::anyhow!("summary.csv: {e}"))?;
    write_atomic(out_dir, "summary.csv", &bytes)?;
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The contact sheet: each original beside its headshots, with the findings that need action.
fn write_index(out_dir: &Path, loaded: &Loaded, reports: &[(Value, bool)]) -> Result<()> {
    let mut rows = String::new();
    for (r, _) in reports {
        let name = r["name"].as_str().unwrap_or("");
        let input = r["input"].as_str().unwrap_or("");
        let status = r["status"].as_str().unwrap_or("error");
        let mut cells = String::new();
        if let Some(thumb) = r["thumbnail"].as_str() {
            cells.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"original {}\" class=\"orig\"><figcaption>original</figcaption></figure>",
                url_escape(thumb),
                html_escape(name)
            ));
        }
        for v in r["variants"].as_array().into_iter().flatten() {
            let vname = html_escape(v["name"].as_str().unwrap_or(""));
            if let Some(file) = v["file"].as_str() {
                let f = &v["framing"];
                let m = &v["matting"];
                let matting = if m.is_object() {
                    format!(
                        " · new background{} · edge halo ΔE {} · hair edge {} px",
                        if v["filled_with_background"] == true {
                            " (also beyond the photo)"
                        } else {
                            ""
                        },
                        m["halo_delta_e"],
                        m["hair_edge_width_px"]
                    )
                } else {
                    String::new()
                };
                let signed = match r["content_credentials"]["test_certificate"].as_bool() {
                    Some(true) => " · signed content credentials (local test certificate)",
                    Some(false) => " · signed content credentials",
                    None => "",
                };
                let t = &v["target"];
                let (class, fit) = if v["in_tolerance"] == false {
                    (
                        " class=\"outside\"",
                        "<b class=\"outside\">outside the guideline's tolerances</b> · ",
                    )
                } else {
                    ("", "")
                };
                cells.push_str(&format!(
                    "<figure{class}><img src=\"{}\" alt=\"{vname} headshot of {}\"><figcaption>{vname} {}×{} · {fit}eye line {} (target {}) · eye–chin {} (target {}) · centre {} · roll {}°{matting}{signed}</figcaption></figure>",
                    url_escape(file),
                    html_escape(name),
                    v["width"], v["height"], f["eye_line"], t["eye_line"], f["eye_to_chin"], t["eye_to_chin"], f["center_x"], f["roll_after"],
                ));
                if let Some(crops) = v["face_crops"].as_array() {
                    cells.push_str(&verification_cell(v, crops, &vname));
                }
                if let Some(cut) = v["cutout"].as_str() {
                    cells.push_str(&format!(
                        "<figure class=\"cutout\"><img src=\"{}\" alt=\"{vname} cutout of {}\"><figcaption>{vname} cutout (transparent PNG)</figcaption></figure>",
                        url_escape(cut),
                        html_escape(name),
                    ));
                }
            } else {
                cells.push_str(&format!(
                    "<figure class=\"refused\"><div>{vname}: not made</div><figcaption>{}</figcaption></figure>",
                    html_escape(v["reason"].as_str().unwrap_or(""))
                ));
            }
        }
        for s in r["sheets"].as_array().into_iter().flatten() {
            if let Some(file) = s["file"].as_str() {
                cells.push_str(&format!(
                    "<figure><img src=\"{}\" alt=\"print sheet\" class=\"sheet\"><figcaption>{} · {} copies</figcaption></figure>",
                    url_escape(file),
                    html_escape(s["name"].as_str().unwrap_or("")),
                    s["copies"]
                ));
            }
        }
        let mut items = String::new();
        if let Some(e) = r["error"].as_str() {
            items.push_str(&format!("<li class=\"fail\">{}</li>", html_escape(e)));
        }
        for f in r["findings"].as_array().into_iter().flatten() {
            if f["status"] != "pass" {
                items.push_str(&format!(
                    "<li class=\"{}\"><b>{}</b> {}</li>",
                    html_escape(f["status"].as_str().unwrap_or("")),
                    html_escape(f["check"].as_str().unwrap_or("")),
                    html_escape(f["advice"].as_str().unwrap_or(""))
                ));
            }
        }
        if items.is_empty() {
            items.push_str("<li class=\"pass\">every check passed</li>");
        }
        rows.push_str(&format!(
            "<section class=\"{status}\"><h2>{} <small>{} · {status}</small></h2><div class=\"row\">{cells}</div><ul>{items}</ul></section>\n",
            html_escape(name),
            html_escape(input)
        ));
    }
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trueshot contact sheet — {guide}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }}
section {{ background: #fff; border: 1px solid #ddd; border-left: 6px solid #3a7; padding: .8rem 1rem; margin: 0 0 1rem; }}
section.rejected, section.partial {{ border-left-color: #d90; }} section.error {{ border-left-color: #c33; }}
h2 {{ font-size: 1.05rem; margin: 0 0 .5rem; }} small {{ color: #666; font-weight: normal; }}
.row {{ display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-end; }}
figure {{ margin: 0; }} img {{ height: 240px; display: block; border: 1px solid #ccc; }}
img.sheet {{ height: 160px; }}
.cutout img {{ background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }} figcaption {{ font-size: .8rem; color: #555; max-width: 320px; }}
.refused div {{ height: 240px; width: 180px; display: flex; align-items: center; justify-content: center; background: #f3f3f3; color: #a60; border: 1px dashed #d90; }}
.faces div {{ display: flex; gap: 4px; }} img.face {{ height: auto; max-width: 45vw; }} .faces figcaption {{ max-width: 640px; }} span.warn {{ color: #8a5a00; }}
figure.outside img {{ border: 3px solid #d90; }} b.outside {{ color: #8a5a00; }}
li.fail {{ color: #b22; }} li.warn {{ color: #8a5a00; }} li.pass {{ color: #2a7; }}
</style></head><body>
<h1>trueshot contact sheet</h1>
<p>Guideline <b>{guide}</b> ({source}). Every person is the real photo, cropped, levelled and resampled — nothing generated; where the guideline replaces the background, only the background is new.</p>
{rows}</body></html>
"#,
        guide = html_escape(&loaded.guide.name),
        source = html_escape(&loaded.source),
    );
    write_atomic(out_dir, "index.html", html.as_bytes())?;
    Ok(())
}

/// The face before and after editing at 100 %, with what verification measured in plain words.
fn verification_cell(v: &Value, crops: &[Value], vname: &str) -> String {
    let m = &v["verification"]["measures"];
    let b = &v["verification"]["bounds"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut words = format!(
        "{vname}: retouch <b>{}</b> · same person: identity distance {:.3} (at most {}) · features moved {:.1} % of the eye distance (at most {:.1} %) · skin texture kept {:.0} % (at least {:.0} %) · eye whites {:+.1} L* · skin colour shift ΔE {:.2}, lightness {:+.2} L* · apparent age {:.1} → {:.1} years · clothing ΔE {:.2}",
        html_escape(v["retouch"]["delivered"].as_str().unwrap_or("")),
        f(&m["identity_distance"]),
        b["identity_distance"],
        100.0 * f(&m["landmark_drift"]),
        100.0 * f(&b["landmark_drift"]),
        100.0 * f(&m["texture_kept"]),
        100.0 * f(&b["texture_kept"]),
        f(&m["eye_white_l_rise"]),
        f(&m["skin_hue_chroma_delta_e"]),
        f(&m["skin_lightness_shift"]),
        f(&m["age_original"]),
        f(&m["age_result"]),
        f(&m["clothing_delta_e"]),
    );
    for a in v["verification"]["attempts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let broken: Vec<String> = a["breaches"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| html_escape(b["measure"].as_str().unwrap_or("")))
            .collect();
        if !broken.is_empty() {
            words.push_str(&format!(
                " · <span class=\"warn\">{} refused: {}</span>",
                html_escape(a["level"].as_str().unwrap_or("")),
                broken.join(", ")
            ));
        }
    }
    let img = |i: usize, which: &str| {
        format!(
            "<img class=\"face\" src=\"{}\" alt=\"{vname} face {which}\">",
            url_escape(crops.get(i).and_then(|c| c.as_str()).unwrap_or(""))
        )
    };
    format!(
        "<figure class=\"faces\"><div>{}{}</div><figcaption>{words}</figcaption></figure>",
        img(0, "before"),
        img(1, "after")
    )
}

fn print_human(r: &Value, skipped: bool) {
    let input = r["input"].as_str().unwrap_or("?");
    match r["status"].as_str() {
        Some("error") => println!("✗ {}", r["error"].as_str().unwrap_or("unreadable")),
        status => {
            let files: Vec<&str> = r["outputs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .collect();
            let mark = match status {
                Some("done") if r["worst"] != "fail" => "✓",
                Some("done" | "partial") => "!",
                _ => "✗",
            };
            let again = if skipped { " (already done)" } else { "" };
            if files.is_empty() {
                println!("{mark} {input}: no headshot{again}");
            } else {
                println!("{mark} {input} → {}{again}", files.join(", "));
            }
            for v in r["variants"].as_array().into_iter().flatten() {
                if let Some(reason) = v["reason"].as_str() {
                    println!(
                        "    {} not made: {reason}",
                        v["name"].as_str().unwrap_or("")
                    );
                }
            }
            for f in r["findings"].as_array().into_iter().flatten() {
                if f["status"] != "pass" {
                    let mark = if f["status"] == "fail" { "✗" } else { "!" };
                    println!(
                        "    {mark} {}: {}",
                        f["check"].as_str().unwrap_or(""),
                        f["advice"].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
}
