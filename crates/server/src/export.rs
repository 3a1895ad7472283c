//! The team export: one ZIP with every approved headshot (in each variant, content credentials
//! intact), its report, and `team.csv` (who, which files, verification, who approved when).

use std::io::Write;

use serde_json::json;
use trueshot_pipeline::Report;

use trueshot_pipeline::batch::{csv_writer, neutralised};

use crate::db::Photo;
use crate::App;

/// Writes the ZIP into `out` (a temporary file: a large team's export never sits in memory).
/// Headshots are already compressed JPEG/PNG/WebP, so entries are stored, not deflated: no CPU
/// spent for nothing, and byte-identical files (their signatures cover their bytes).
pub fn team_zip<W: std::io::Write + std::io::Seek>(
    app: &App,
    photos: &[Photo],
    out: W,
) -> anyhow::Result<W> {
    let mut zip = zip::ZipWriter::new(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut csv = csv_writer();
    csv.write_record([
        "email",
        "photo",
        "variant",
        "file",
        "verification",
        "identity_distance",
        "age_change_years",
        "approved_by",
        "approved_at",
        "comment",
    ])?;
    for photo in photos.iter().filter(|p| p.status() == "approved") {
        let report = photo
            .report
            .as_deref()
            .and_then(Report::parse)
            .unwrap_or_default();
        let folder = folder_name(&photo.owner.email);
        let out = app.photo_dir(photo.id).join("out");
        // One person may have several approved photos: the id keeps their files apart.
        let prefix = format!("{folder}/{}", photo.id);
        for v in report.variants() {
            let Some(file) = v.file.as_deref() else {
                continue;
            };
            let verification = v.verification.as_ref();
            let entry = format!("{prefix}-{file}");
            // A file lost from the disk is said in team.csv; the rest of the team still exports.
            let (entry, status) = match std::fs::read(out.join(file)) {
                Ok(bytes) => {
                    zip.start_file(entry.as_str(), options)?;
                    zip.write_all(&bytes)?;
                    (entry, verification.map_or("", |v| v.status.as_str()))
                }
                Err(e) => {
                    tracing::error!("export: cannot read {}: {e}", out.join(file).display());
                    (String::new(), "file missing on the server")
                }
            };
            let measure =
                |key: &str| json!(verification.and_then(|v| v.measures.get(key))).to_string();
            csv.write_record(
                [
                    photo.owner.email.as_str(),
                    &photo.name,
                    &v.name,
                    &entry,
                    status,
                    &measure("identity_distance"),
                    &measure("age_change_years"),
                    photo.review_by.as_deref().unwrap_or(""),
                    photo.review_at.as_deref().unwrap_or(""),
                    photo.review_comment.as_deref().unwrap_or(""),
                ]
                .map(neutralised),
            )?;
        }
        zip.start_file(format!("{prefix}-report.json"), options)?;
        zip.write_all(serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    zip.start_file("team.csv", options)?;
    zip.write_all(
        &csv.into_inner()
            .map_err(|e| anyhow::anyhow!("team.csv: {e}"))?,
    )?;
    Ok(zip.finish()?)
}

/// A folder name from an email address (safe in any unzip tool).
fn folder_name(email: &str) -> String {
    let s: String = email
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        let mut w = csv_writer();
        w.write_record(
            ["plain", "a, b", "say \"hi\"", "=HYPERLINK(1)", "-0.583", ""].map(neutralised),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner().unwrap()).unwrap(),
            "plain,\"a, b\",\"say \"\"hi\"\"\",'=HYPERLINK(1),-0.583,\n"
        );
        assert_eq!(folder_name("../x@y.com"), "_x@y.com");
    }
}
