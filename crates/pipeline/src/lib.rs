//! trueshot's per-photo pipeline as a library: real photos in, guideline-compliant headshots out.
//!
//! - An [`Engine`] is loaded once: the nets (perception, identity and age, matting) and who signs
//!   the content credentials. It is `Send + Sync`; workers share one.
//! - A [`Recipe`] is a guideline prepared once ([`Overrides`], the background photo at each
//!   variant's size, a [`Team`]'s shared look).
//! - [`Engine::process`] makes one photo's headshots from its bytes: an [`Outcome`] with the
//!   report and every encoded artifact (headshots, cutouts, print sheets, thumbnails, face crops),
//!   signed. It writes no file and never panics on bad input.
//! - A [`Sink`] stores an outcome: [`FolderSink`] writes each file atomically, the report last.
//!
//! ```no_run
//! use trueshot_pipeline::{Engine, FolderSink, Input, Overrides, Recipe, Signing, Sink};
//! let store = trueshot_vision::ModelStore::new(trueshot_vision::ModelStore::default_dir());
//! let engine = Engine::load(&store, Signing::test()?)?;
//! let guide = trueshot_guide::Guideline::load_full("corporate").expect("built in");
//! let recipe = Recipe::new(guide, &Overrides::default())?;
//! let bytes = std::fs::read("photos/samples/obama.jpg")?;
//! let mut outcome = engine.process(&recipe, &Input::new(&bytes, "obama.jpg".as_ref(), "obama"));
//! FolderSink::new("out".as_ref())?.deliver(&mut outcome);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
pub mod check;
pub mod credentials;
mod error;
mod headshots;
pub mod json;
mod recipe;
pub mod report;
mod sink;
mod team;

use std::path::Path;

use trueshot_vision::{FaceNets, Matting, Perception};

pub use credentials::Signing;
pub use error::Error;
pub use recipe::{Overrides, Recipe};
pub use report::{PhotoStatus, Report};
pub use sink::{safe_stem, unique_stems, FolderSink, Sink};
pub use team::Team;

/// trueshot's version, in every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Revision of what the pipeline makes of a photo: raised whenever the same photo and guideline
/// would give different outputs (a rerun then redoes photos an older revision made). 5: tone,
/// retouch and verification. 6: content credentials and XMP, AI-made inputs refused. 7: the
/// best honest framing within tolerances (matte before framing, crown measured).
pub const PIPELINE: u32 = 7;

/// Everything needed to make headshots, loaded once (`&self`, `Send + Sync`).
pub struct Engine {
    perception: Perception,
    face_nets: FaceNets,
    matting: Matting,
    signing: Signing,
}

impl Engine {
    /// Loads every net (perception, identity and age, matting) from `store`.
    pub fn load(store: &trueshot_vision::ModelStore, signing: Signing) -> Result<Engine, Error> {
        let loaded = |e| Error::Vision {
            name: "models".into(),
            source: e,
        };
        Ok(Engine {
            perception: Perception::load(store).map_err(loaded)?,
            face_nets: FaceNets::load(store).map_err(loaded)?,
            matting: Matting::load(store).map_err(loaded)?,
            signing,
        })
    }

    pub fn perception(&self) -> &Perception {
        &self.perception
    }

    /// The identity and age nets.
    pub fn face_nets(&self) -> &FaceNets {
        &self.face_nets
    }

    /// Who signs the content credentials, in one sentence.
    pub fn signer(&self) -> String {
        self.signing.credentials.describe()
    }

    /// Makes the headshots of one photo. Never panics on bad input: a photo that cannot be
    /// made gives a report with `status: "error"` and the typed error.
    pub fn process(&self, recipe: &Recipe, input: &Input) -> Outcome {
        let mut outcome = Outcome {
            report: report_head(recipe, input.path, input.name),
            artifacts: Vec::new(),
            error: None,
        };
        if let Err(e) = headshots::make(self, recipe, input, &mut outcome) {
            outcome.fail(e);
        }
        outcome
    }
}

/// One photo to make headshots of.
pub struct Input<'a> {
    pub bytes: &'a [u8],
    /// How the photo is named in messages, the report's `input` and the credentials (its file
    /// name only).
    pub path: &'a Path,
    /// Base name of its outputs (`NAME.VARIANT.jpg`): safe on any file system (see
    /// [`safe_stem`]).
    pub name: &'a str,
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8], path: &'a Path, name: &'a str) -> Input<'a> {
        Input { bytes, path, name }
    }
}

/// A photo's bytes, refused before reading when the file is larger than the decoder allows.
pub fn read_photo(path: &Path) -> Result<Vec<u8>, Error> {
    let limit = trueshot_codec::Limits::default().max_file_bytes;
    let named = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("{}: cannot read: {e}", path.display()))
    };
    let size = std::fs::metadata(path)
        .map_err(|e| Error::Read(named(e)))?
        .len();
    if size > limit {
        return Err(Error::TooLarge {
            name: path.display().to_string(),
            bytes: size,
            limit,
        });
    }
    std::fs::read(path).map_err(|e| Error::Read(named(e)))
}

/// What one photo gave: its report and every encoded file, in the order a sink stores them.
pub struct Outcome {
    pub report: Report,
    pub artifacts: Vec<Artifact>,
    /// Why the photo gave nothing (also in the report's `error`).
    pub error: Option<Error>,
}

impl Outcome {
    /// The outcome of a photo that could not even be read (`path` as named in messages).
    pub fn failed(recipe: &Recipe, path: &Path, name: &str, error: Error) -> Outcome {
        let mut outcome = Outcome {
            report: report_head(recipe, path, name),
            artifacts: Vec::new(),
            error: None,
        };
        outcome.fail(error);
        outcome
    }

    fn fail(&mut self, e: Error) {
        self.report.status = Some(PhotoStatus::Error);
        self.report.error = Some(e.to_string());
        self.report.outputs.clear();
        self.artifacts.clear();
        self.error = Some(e);
    }
}

/// One encoded file: `name` relative to the photo's output folder (`NAME.web.jpg`,
/// `thumbs/NAME.jpg`).
pub struct Artifact {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What every report starts with: versions, settings, the input and the guideline.
fn report_head(recipe: &Recipe, path: &Path, name: &str) -> Report {
    let loaded = &recipe.loaded;
    Report {
        trueshot_version: VERSION.into(),
        pipeline: PIPELINE,
        settings_sha256: recipe.settings_sha256().into(),
        input: path.to_path_buf(),
        name: name.into(),
        guideline: report::GuidelineRef {
            name: loaded.guide.name.clone(),
            source: loaded.source.clone(),
            sha256: loaded.sha256.clone(),
        },
        ..Report::default()
    }
}
