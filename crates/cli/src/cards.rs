//! `trueshot cards`: the printable shoot cards of a headshot day's roster.

use std::path::PathBuf;

use anyhow::{Context, Result};
use trueshot_pipeline::Sink;
use trueshot_session::{cards_pdf, Paper, Roster};

#[derive(clap::Args)]
pub struct CardsArgs {
    /// The roster: CSV with a header. `id` and `name` are required; `email`, `team` and
    /// `reference` (a photo of the person, relative to the roster) are optional; other columns
    /// are ignored.
    pub roster: PathBuf,
    /// The PDF to write (six cards to a page).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Paper size: a4 or letter.
    #[arg(long, default_value = "a4", value_parser = clap::value_parser!(PaperArg))]
    pub paper: PaperArg,
}

/// A paper size as the command line takes it.
#[derive(Clone, Copy, Debug)]
pub struct PaperArg(pub Paper);

impl std::str::FromStr for PaperArg {
    type Err = String;
    fn from_str(s: &str) -> Result<PaperArg, String> {
        s.parse().map(PaperArg)
    }
}

pub fn run(args: &CardsArgs) -> Result<u8> {
    let roster = Roster::read(&args.roster)?;
    let pdf =
        cards_pdf(&roster, args.paper.0).with_context(|| format!("{}", args.roster.display()))?;
    let name = args
        .out
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{}: not a file name", args.out.display()))?;
    let dir = args.out.parent().unwrap_or(std::path::Path::new(""));
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    trueshot_pipeline::FolderSink::new(dir)?.put(name, &pdf)?;
    let people = roster.people.len();
    eprintln!(
        "{}: {people} shoot cards on {} pages",
        args.out.display(),
        people.div_ceil(6)
    );
    Ok(0)
}
