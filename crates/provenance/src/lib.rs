//! Provenance: C2PA content credentials and XMP on every trueshot output, reading and validating
//! them (`trueshot verify`), and screening inputs that declare they were made by generative AI.

pub mod credentials;
pub mod read;
pub mod screen;
pub mod sign;
pub mod xmp;

pub use credentials::{default_test_dir, Credentials, Origin};
pub use read::{read, State, Verdict};
pub use screen::{screen, AiDeclaration};
pub use sign::{sign, Claim, Edit, Source, ASSERTION};
pub use xmp::XmpFields;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("signing credentials: {0}")]
    Credentials(String),
    #[error("cannot add metadata: {0}")]
    Embed(String),
    #[error("cannot sign the content credentials: {0}")]
    Sign(String),
    #[error("cannot read the content credentials: {0}")]
    Read(String),
    #[error("not a picture format that can hold content credentials (JPEG, PNG, WebP, TIFF, HEIF, AVIF)")]
    NotAPicture,
}

/// Picture formats, by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Tiff,
    Heif,
    Avif,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Tiff => "image/tiff",
            Format::Heif => "image/heic",
            Format::Avif => "image/avif",
        }
    }
}

/// The picture format of a file's bytes, if it is one C2PA can hold.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let b = bytes;
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" {
        match &b[8..12] {
            b"avif" | b"avis" => Some(Format::Avif),
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" => Some(Format::Heif),
            _ => None,
        }
    } else {
        None
    }
}

pub use trueshot_codec::sha256_hex;
