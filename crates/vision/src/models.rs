//! The model manifest (compiled in from `models/manifest.toml`) and the local model cache.
//!
//! The cache holds `<id>.onnx` and a sidecar `<id>.onnx.lock` that records the SHA-256 of the
//! source files the ONNX file was converted from and of the ONNX file itself. A model is *ready*
//! when both match: a manifest that pins new sources makes the old conversion stale, and a damaged
//! file is noticed before tract reads it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::VisionError;

/// `models/manifest.toml`, as compiled into this build.
pub const MANIFEST_TOML: &str = include_str!("../../../models/manifest.toml");
/// `models/convert.py`, as compiled into this build.
pub const CONVERT_PY: &str = include_str!("../../../models/convert.py");

#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    pub converter: Converter,
    pub package: Vec<PackageSpec>,
    pub model: Vec<ModelSpec>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Converter {
    pub requirements: Vec<String>,
}

/// A registry package that carries one or more models.
#[derive(Clone, Debug, Deserialize)]
pub struct PackageSpec {
    pub id: String,
    /// `pip` or `npm`.
    pub client: String,
    /// What the client is asked for, e.g. `mediapipe==0.10.14`.
    pub spec: String,
    /// The file the client writes.
    pub file: String,
    pub sha256: String,
    pub licence: String,
    pub upstream: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    pub package: String,
    /// `tflite` or `tfjs` (a net converted to ONNX), `faceapi_resnet` (face-api's recognition
    /// net rebuilt as ONNX from its weights), or `library` (a runtime's shared library,
    /// copied as it is).
    pub format: String,
    pub files: Vec<FileSpec>,
    pub licence: String,
    pub upstream: String,
    pub purpose: String,
    /// Robust Video Matting only: the `downsample_ratio` baked into the ONNX file.
    #[serde(default)]
    pub downsample_ratio: Option<f32>,
    /// Keep only these graph outputs (and what computes them) in the ONNX file.
    #[serde(default)]
    pub outputs: Option<Vec<String>>,
    /// Graph rewrites that keep the function but run faster on ONNX Runtime (`prelu`, `relu6`,
    /// `clamp`, `hardswish`).
    #[serde(default)]
    pub rewrite: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FileSpec {
    pub path: String,
    pub sha256: String,
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> &'static Manifest {
        static M: OnceLock<Manifest> = OnceLock::new();
        M.get_or_init(|| {
            toml::from_str(MANIFEST_TOML)
                .expect("models/manifest.toml is valid (checked by a unit test)")
        })
    }
    pub fn model(&self, id: &str) -> Option<&ModelSpec> {
        self.model.iter().find(|m| m.id == id)
    }
    pub fn package(&self, id: &str) -> Option<&PackageSpec> {
        self.package.iter().find(|p| p.id == id)
    }
}

impl ModelSpec {
    /// The file in the cache: `<id>.onnx` for a net, `<id>.so` for a runtime library.
    pub fn file_name(&self) -> String {
        if self.format == "library" {
            format!("{}.so", self.id)
        } else {
            format!("{}.onnx", self.id)
        }
    }

    /// One digest over the pinned source files: what the ONNX file was made from.
    pub fn source_digest(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.files {
            h.update(f.path.as_bytes());
            h.update(f.sha256.as_bytes());
        }
        h.update(self.format.as_bytes());
        if let Some(r) = self.downsample_ratio {
            h.update(format!("downsample_ratio={r}").as_bytes());
        }
        if let Some(o) = &self.outputs {
            h.update(format!("outputs={}", o.join(",")).as_bytes());
        }
        if let Some(r) = &self.rewrite {
            h.update(format!("rewrite={}", r.join(",")).as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Where a model stands in the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelStatus {
    Ready {
        bytes: u64,
    },
    Missing,
    /// Present but not usable: converted from other sources, or damaged.
    Stale {
        reason: String,
    },
}

/// The local folder of converted models.
#[derive(Clone, Debug)]
pub struct ModelStore {
    dir: PathBuf,
}

/// The environment variable that overrides the model cache folder.
pub const MODELS_DIR_ENV: &str = "TRUESHOT_MODELS";

impl ModelStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    /// `$TRUESHOT_MODELS`, else `$XDG_CACHE_HOME/trueshot/models`, else `~/.cache/trueshot/models`.
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os(MODELS_DIR_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(d);
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(d).join("trueshot/models");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".cache/trueshot/models")
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Where a model's file lives: `<id>.onnx`, or `<id>.so` for a runtime library.
    pub fn model_path(&self, spec: &ModelSpec) -> PathBuf {
        self.dir.join(spec.file_name())
    }
    fn lock_path(&self, spec: &ModelSpec) -> PathBuf {
        self.dir.join(format!("{}.lock", spec.file_name()))
    }

    /// Checks a model against its lock file (hashes the ONNX file: a few milliseconds).
    pub fn status(&self, spec: &ModelSpec) -> ModelStatus {
        match self.read_verified(spec) {
            Ok(bytes) => ModelStatus::Ready {
                bytes: bytes.len() as u64,
            },
            Err(VisionError::ModelMissing { .. }) => ModelStatus::Missing,
            Err(e) => ModelStatus::Stale {
                reason: e.to_string(),
            },
        }
    }

    /// Reads a model's ONNX bytes after checking them against the lock file.
    pub fn read_verified(&self, spec: &ModelSpec) -> Result<Vec<u8>, VisionError> {
        let path = self.model_path(spec);
        let missing = || VisionError::ModelMissing {
            id: spec.id.clone(),
            dir: self.dir.clone(),
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(e) => {
                return Err(VisionError::ModelDamaged {
                    id: spec.id.clone(),
                    reason: format!("cannot read {}: {e}", path.display()),
                })
            }
        };
        let lock = std::fs::read_to_string(self.lock_path(spec)).map_err(|_| missing())?;
        let field = |k: &str| {
            lock.lines()
                .find_map(|l| l.strip_prefix(k).map(str::trim).map(str::to_string))
        };
        if field("source ").as_deref() != Some(spec.source_digest().as_str()) {
            return Err(VisionError::ModelDamaged {
                id: spec.id.clone(),
                reason: "converted from other sources than the manifest pins".into(),
            });
        }
        if field("onnx ").as_deref() != Some(sha256_hex(&bytes).as_str()) {
            return Err(VisionError::ModelDamaged {
                id: spec.id.clone(),
                reason: format!("{} does not match its recorded SHA-256", path.display()),
            });
        }
        Ok(bytes)
    }

    /// Records a freshly converted model (called by the fetch command after conversion).
    pub fn write_lock(&self, spec: &ModelSpec) -> std::io::Result<()> {
        let bytes = std::fs::read(self.model_path(spec))?;
        let text = format!(
            "source {}\nonnx {}\n",
            spec.source_digest(),
            sha256_hex(&bytes)
        );
        let tmp = self.dir.join(format!(".{}.lock.tmp", spec.id));
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, self.lock_path(spec))
    }
}

pub use trueshot_codec::sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_parses_and_every_model_names_a_known_package() {
        let m: Manifest = toml::from_str(MANIFEST_TOML).unwrap();
        assert!(!m.model.is_empty());
        for model in &m.model {
            assert!(
                m.package(&model.package).is_some(),
                "{} names unknown package {}",
                model.id,
                model.package
            );
            assert!(matches!(
                model.format.as_str(),
                "tflite" | "tfjs" | "faceapi_resnet" | "library"
            ));
            for f in &model.files {
                assert_eq!(f.sha256.len(), 64);
            }
        }
        for p in &m.package {
            assert!(matches!(p.client.as_str(), "pip" | "npm"));
            assert_eq!(p.sha256.len(), 64);
            assert!(!p.licence.is_empty());
        }
    }

    #[test]
    fn a_missing_model_names_the_fetch_command() {
        let store = ModelStore::new("/nonexistent/trueshot-models");
        let spec = Manifest::builtin().model("face_landmark").unwrap();
        let err = store.read_verified(spec).unwrap_err();
        assert!(err.to_string().contains("trueshot models fetch"), "{err}");
        assert_eq!(store.status(spec), ModelStatus::Missing);
    }
}
