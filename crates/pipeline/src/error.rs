//! Why a photo or a recipe failed, typed to the edge: a server answers 4xx for
//! [`Error::is_input_fault`] and 5xx for the rest, and no message needs a folder cut out of it
//! (each names the photo as the caller named it).

use std::path::PathBuf;

/// Errors of the pipeline. Each message names the photo, file or setting it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The photo cannot be read (damaged, unsupported, too large…).
    #[error(transparent)]
    Decode(#[from] trueshot_codec::CodecError),
    /// The photo is larger than the decoder's limit, found before reading it.
    #[error("{name}: file is {bytes} bytes, more than the {limit} allowed")]
    TooLarge {
        name: String,
        bytes: u64,
        limit: u64,
    },
    /// A net failed on the photo (missing or damaged model, inference error).
    #[error("{name}: {source}")]
    Vision {
        name: String,
        source: trueshot_vision::VisionError,
    },
    #[error(transparent)]
    Render(#[from] trueshot_frame::RenderError),
    #[error(transparent)]
    Encode(#[from] trueshot_codec::EncodeError),
    /// Content credentials could not be signed into an output.
    #[error("{title}: content credentials: {source}")]
    Sign {
        title: String,
        source: trueshot_provenance::Error,
    },
    /// Who signs could not be loaded.
    #[error("{0}")]
    Signer(String),
    /// The guideline as overridden cannot be applied (a bad `--background`, a missing background
    /// photo).
    #[error("{0}")]
    Recipe(String),
    /// The guideline's background photo cannot be read.
    #[error("background image {}: {reason}", path.display())]
    BackgroundImage { path: PathBuf, reason: String },
    /// The photo could not be read from its file; the message names the file.
    #[error(transparent)]
    Read(std::io::Error),
    /// An output could not be written; the message names the file.
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

impl Error {
    /// True when the photo itself is at fault (a user can fix it by sending another photo);
    /// false for faults of the machine, the models or the set-up.
    pub fn is_input_fault(&self) -> bool {
        match self {
            Error::Decode(e) => e.is_input_fault(),
            Error::TooLarge { .. } => true,
            _ => false,
        }
    }

    /// A net's error about the photo called `name`.
    pub(crate) fn vision(name: &str) -> impl FnOnce(trueshot_vision::VisionError) -> Error + '_ {
        move |source| Error::Vision {
            name: name.to_string(),
            source,
        }
    }
}
