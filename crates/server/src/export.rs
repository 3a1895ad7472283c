//! The exports: the team's ZIP with every approved headshot (in each variant, content
//! credentials intact), its report, and `team.csv` (who, which files, verification, who approved
//! when); a headshot day's ZIP with each person's chosen headshots and `day.csv`.

use std::io::Write;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use trueshot_pipeline::Report;

use trueshot_pipeline::batch::{csv_writer, neutralised};

use crate::days::{progress_status, DayPerson};
use crate::db::Photo;
use crate::{ApiError, App};

type Out = std::io::BufWriter<std::fs::File>;

/// Builds an export into a file that is unlinked at once (streamed by [`zip_response`]): memory
/// stays flat whatever the size of the team, and nothing is left behind if the download is
/// abandoned.
pub fn to_temp_file(
    app: &App,
    write: impl FnOnce(Out) -> anyhow::Result<Out>,
) -> Result<std::fs::File, ApiError> {
    let dir = app.data.join("exports");
    std::fs::create_dir_all(&dir).map_err(crate::api::storage_error)?;
    let path = dir.join(format!("{}.zip", crate::auth::secret()?));
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(crate::api::storage_error)?;
    let _ = std::fs::remove_file(&path);
    let mut file = write(std::io::BufWriter::new(file))
        .map_err(ApiError::internal)?
        .into_inner()
        .map_err(|e| ApiError::internal(e.error()))?;
    std::io::Seek::rewind(&mut file).map_err(ApiError::internal)?;
    Ok(file)
}

/// Streams an export file as a ZIP download named `name`.
pub fn zip_response(file: std::fs::File, name: &str) -> Response {
    let chunks =
        futures_util::stream::unfold(Some(tokio::fs::File::from_std(file)), |file| async {
            let mut file = file?;
            let mut buf = vec![0u8; 256 * 1024];
            match tokio::io::AsyncReadExt::read(&mut file, &mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err::<Bytes, _>(e), None)),
            }
        });
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

/// A headshot day's export: each person's chosen headshots as `<id>.<variant>.<ext>` with
/// `<id>.report.json`, and `day.csv` with every roster person (status, chosen frame, who chose
/// it and when, retake requests, files).
pub fn day_zip<W: std::io::Write + std::io::Seek>(
    out_dir: &std::path::Path,
    people: &[DayPerson],
    out: W,
) -> anyhow::Result<W> {
    let mut zip = zip::ZipWriter::new(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut csv = csv_writer();
    csv.write_record([
        "id",
        "name",
        "team",
        "email",
        "status",
        "frame",
        "chosen_by",
        "chosen_at",
        "retake",
        "files",
    ])?;
    for p in people {
        let offer = p.result().and_then(|r| {
            r.offers
                .into_iter()
                .find(|o| Some(&o.frame) == p.choice.as_ref())
        });
        let mut files = Vec::new();
        if let Some(offer) = &offer {
            let mut put = |from: &str, entry: String| -> anyhow::Result<()> {
                match std::fs::read(out_dir.join(from)) {
                    Ok(bytes) => {
                        zip.start_file(entry.as_str(), options)?;
                        zip.write_all(&bytes)?;
                        files.push(entry);
                    }
                    Err(e) => tracing::error!("export: cannot read {from}: {e}"),
                }
                Ok(())
            };
            for h in &offer.headshots {
                let ext = h.file.rsplit_once('.').map_or("jpg", |(_, e)| e);
                put(&h.file, format!("{}.{}.{ext}", p.person, h.variant))?;
            }
            put(&offer.report, format!("{}.report.json", p.person))?;
        }
        csv.write_record(
            [
                p.person.as_str(),
                &p.name,
                p.team.as_deref().unwrap_or(""),
                p.email.as_deref().unwrap_or(""),
                &progress_status(p),
                p.choice.as_deref().unwrap_or(""),
                p.chosen_by.as_deref().unwrap_or(""),
                p.chosen_at.as_deref().unwrap_or(""),
                p.retake.as_deref().unwrap_or(""),
                &files.join(" "),
            ]
            .map(neutralised),
        )?;
    }
    zip.start_file("day.csv", options)?;
    zip.write_all(
        &csv.into_inner()
            .map_err(|e| anyhow::anyhow!("day.csv: {e}"))?,
    )?;
    Ok(zip.finish()?)
}

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
