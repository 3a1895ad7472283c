//! `trueshot session SHOOT... --roster people.csv --out DIR`: a headshot day's frames in, each
//! roster person's best headshots out.
//!
//! The frames are read in capture order, each is looked at once at reduced size (its shoot
//! cards, its face against the guideline, who it is), given to its person, ranked, and headshots
//! are made of the picks only (see [`trueshot_session::day`]). `session.json`, `session.csv`
//! and `session.html` (the contact sheet, grouped by person) are written last.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use trueshot_guide::Guideline;
use trueshot_pipeline::{Engine, Overrides, Recipe};
use trueshot_session::{Frame, Options, PersonStatus, Roster, Shoot, Stage};

#[derive(Args)]
pub struct SessionArgs {
    /// The shoot: frames, or folders to search (recursively) for frames.
    #[arg(required = true, value_name = "SHOOT")]
    inputs: Vec<PathBuf>,
    /// The roster (CSV with a header: id, name; optional email, team, reference).
    #[arg(long, value_name = "FILE")]
    roster: PathBuf,
    /// Folder for the headshots (`<id>.<variant>.jpg`), proofs, reports and the session report.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A built-in guideline's name or a guideline TOML file.
    #[arg(long, default_value = "corporate", value_name = "NAME|FILE")]
    guide: String,
    /// Frames whose headshots are made per person, for proofing: the pick and N − 1 more, each
    /// from a different burst where there are enough.
    #[arg(long, default_value_t = 1, value_name = "N")]
    picks: usize,
    /// Frames looked at and headshots made at once [default: the number of CPU cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Make the picks' headshots again even when they are complete.
    #[arg(long)]
    force: bool,
    /// Override the guideline's background: keep, #RRGGBB, gradient:#RRGGBB,#RRGGBB[,radial],
    /// image:PATH[,BLUR_PX] or blur[:BLUR_PX].
    #[arg(long, value_name = "SPEC")]
    background: Option<String>,
    #[command(flatten)]
    sign: crate::credentials::SignArgs,
}

/// Exit code: 0 every roster person has their headshots, 1 someone has none (no frames, only
/// unusable frames, frames in review) or some frames are in review, 2 the roster, guideline or
/// output folder cannot be used.
pub fn run(args: &SessionArgs, store: &trueshot_vision::ModelStore) -> Result<u8> {
    let roster = Roster::read(&args.roster)?;
    if args.picks == 0 {
        anyhow::bail!("--picks must be at least 1");
    }
    let mut loaded = Guideline::load_full(&args.guide).context("cannot use the guideline")?;
    let overrides = Overrides {
        background: args.background.clone(),
        ..Overrides::default()
    };
    overrides.apply(&mut loaded)?;
    let recipe = Recipe::new(loaded, &overrides)?;
    let out_dir = args.out.canonicalize().unwrap_or_else(|_| args.out.clone());
    let paths: Vec<PathBuf> = crate::check::expand(&args.inputs)
        .into_iter()
        // Never take the session's own outputs for frames.
        .filter(|p| !p.canonicalize().is_ok_and(|p| p.starts_with(&out_dir)))
        .collect();
    if paths.is_empty() {
        anyhow::bail!("no frames found in the shoot");
    }
    let frames = Frame::in_order(&paths, trueshot_session::capture_time_of);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let engine = Engine::load(store, args.sign.load()?)?;
    eprintln!("{}", engine.signer());

    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(frames.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:18} {bar:40} {pos}/{len}  {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |stage: Stage, done: usize, total: usize| {
        bar.set_message(match stage {
            Stage::Looking => "looking at frames",
            Stage::Making => "making headshots",
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let roster_name = args
        .roster
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = trueshot_session::run(
        &engine,
        &recipe,
        &Shoot {
            roster: &roster,
            roster_name: &roster_name,
            frames: &frames,
            out: &args.out,
        },
        &Options {
            picks: args.picks,
            jobs: args
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            force: args.force,
        },
        &progress,
    )
    .with_context(|| format!("session in {}", args.out.display()))?;
    bar.finish_and_clear();

    for p in &report.people {
        match (&p.status, p.picks.first()) {
            (PersonStatus::Done, Some(pick)) => println!(
                "✓ {} ({}): frame {} → {}{}",
                p.id,
                p.name,
                pick.frame.name,
                pick.outputs.join(", "),
                if pick.kept { " (already made)" } else { "" }
            ),
            _ => println!(
                "✗ {} ({}): {}",
                p.id,
                p.name,
                p.why.as_deref().unwrap_or("not done")
            ),
        }
    }
    for p in &report.unknown {
        println!(
            "? {}: {} frame(s) of someone not on the roster",
            p.id,
            p.picks.len() + p.runners_up.len() + p.rejected.len()
        );
    }
    for n in &report.review {
        println!("? {}: {}", n.frame.name, n.reason);
    }
    for n in &report.unreadable {
        println!("✗ {}", n.reason);
    }
    println!(
        "session: {} of {} people done; contact sheet: {}",
        report.counts.done,
        report.people.len(),
        out_dir.join("session.html").display()
    );
    let complete = report.counts.done == report.people.len() && report.review.is_empty();
    Ok(if complete { 0 } else { 1 })
}
