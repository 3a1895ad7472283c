//! Where a photo's outputs go. The pipeline itself writes nothing: [`crate::Engine::process`]
//! returns the encoded artifacts, and a [`Sink`] stores them, the report last (its presence marks
//! the photo as done, so a killed batch resumes where it stopped).

use std::path::{Path, PathBuf};

use crate::{Outcome, PhotoStatus};

/// Prefix of temporary files in an output folder; leftovers of a killed run are removed.
const TEMP_PREFIX: &str = ".trueshot-tmp.";

/// Stores the outputs of one photo: `name` is a path relative to the photo's output folder, such
/// as `obama.web.jpg` or `thumbs/obama.jpg`.
pub trait Sink {
    fn put(&self, name: &str, bytes: &[u8]) -> std::io::Result<()>;

    /// Stores every artifact of an outcome, then its report as `NAME.report.json`. When a write
    /// fails, the report says so (status `error`, no outputs) and is still written if it can be.
    fn deliver(&self, outcome: &mut Outcome) {
        let report = &mut outcome.report;
        if let Some(e) = outcome
            .artifacts
            .iter()
            .find_map(|a| self.put(&a.name, &a.bytes).err())
        {
            report.status = Some(PhotoStatus::Error);
            report.error = Some(e.to_string());
            report.outputs.clear();
        }
        let text = serde_json::to_string_pretty(report).unwrap_or_default();
        if let Err(e) = self.put(&format!("{}.report.json", report.name), text.as_bytes()) {
            report.status = Some(PhotoStatus::Error);
            report.error = Some(e.to_string());
        }
    }
}

/// A folder on the disk; every file is written atomically (a temporary file in the same folder,
/// then a rename), and errors name the file.
pub struct FolderSink {
    dir: PathBuf,
}

impl FolderSink {
    /// The folder is created when missing.
    pub fn new(dir: &Path) -> std::io::Result<FolderSink> {
        std::fs::create_dir_all(dir).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
        })?;
        Ok(FolderSink {
            dir: dir.to_path_buf(),
        })
    }

    /// Removes the temporary files a killed run left in the folder and its `thumbs`. Call it
    /// once, before any worker writes: a worker's own temporary file must never be swept away by
    /// another's.
    pub fn sweep(&self) {
        for dir in [self.dir.clone(), self.dir.join("thumbs")] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

impl Sink for FolderSink {
    fn put(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(name);
        let (dir, file) = match name.rsplit_once('/') {
            Some((sub, file)) => (self.dir.join(sub), file),
            None => (self.dir.clone(), name),
        };
        let named = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        };
        std::fs::create_dir_all(&dir).map_err(named)?;
        let tmp = dir.join(format!("{TEMP_PREFIX}{}.{file}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(named)?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            named(e)
        })
    }
}

/// A file name's stem with everything but letters, digits, `-` and `_` replaced by `_`: an output
/// base name that is safe on any file system.
pub fn safe_stem(stem: &str) -> String {
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

/// Output base names for files, in order: each file's stem made safe ([`safe_stem`], `fallback`
/// when nothing is left); files with the same stem (ignoring case) get `-2`, `-3`, … in order, so
/// that the same list always gives the same names.
pub fn unique_stems(paths: &[PathBuf], fallback: &str) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    paths
        .iter()
        .map(|path| {
            let stem = safe_stem(
                &path
                    .file_stem()
                    .map(|s| s.to_string_lossy())
                    .unwrap_or_default(),
            );
            let stem = if stem.is_empty() {
                fallback.to_string()
            } else {
                stem
            };
            let mut name = stem.clone();
            let mut k = 2;
            while !used.insert(name.to_lowercase()) {
                name = format!("{stem}-{k}");
                k += 1;
            }
            name
        })
        .collect()
}
