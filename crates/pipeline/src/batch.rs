//! What a batch of reports gives a person at once: `summary.csv` (one row per photo and variant)
//! and the contact sheet (`index.html`: each original beside its headshots, the face before and
//! after at 100 %, the findings that need action). Both are made from typed [`Report`]s, whether
//! the photos were made in this run or read back from an earlier one.

use std::path::Path;

use serde_json::json;
use trueshot_guide::{Loaded, Status};
use trueshot_retouch::CHECKS;

use crate::report::{PhotoStatus, Report, VariantReport, VariantStatus};
use crate::Recipe;

/// A CSV writer for the exports people open in spreadsheets (`summary.csv`, a team's
/// `team.csv`): fields are quoted where they need it.
pub fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

/// A CSV field with a leading `=`, `+`, `-` or `@` that is not a number neutralised with `'`, so
/// that no spreadsheet runs it as a formula (a photo named `=HYPERLINK(…)` stays text).
pub fn neutralised(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The report of a photo already made into `out_dir` as `name` from the same bytes, with the same
/// guideline, settings and trueshot version, when every output it lists is there: a rerun skips
/// the photo, and a killed batch resumes where it stopped.
pub fn finished(out_dir: &Path, name: &str, bytes: &[u8], recipe: &Recipe) -> Option<Report> {
    let text = std::fs::read_to_string(out_dir.join(format!("{name}.report.json"))).ok()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    let same = report.input_sha256.as_deref()
        == Some(trueshot_provenance::sha256_hex(bytes).as_str())
        && report.guideline.sha256 == recipe.loaded.sha256
        && report.trueshot_version == crate::VERSION
        && report.pipeline == crate::PIPELINE
        && report.settings_sha256 == recipe.settings_sha256()
        && report.status != Some(PhotoStatus::Error);
    let complete = report.outputs.iter().all(|f| out_dir.join(f).is_file());
    (same && complete).then_some(report)
}

/// A number as the report's JSON writes it (`1.0`, `0.38`), empty when there is none.
fn num(v: Option<f64>) -> String {
    v.map(|v| json!(v).to_string()).unwrap_or_default()
}

/// `summary.csv`: one row per photo and variant (one row for a photo without variants), the
/// framing achieved, the retouch delivered, every verification measure, and what to do.
pub fn summary_csv(reports: &[Report]) -> Result<Vec<u8>, csv::Error> {
    let mut csv = csv_writer();
    let header = "input,name,status,worst,faces,variant,variant_status,file,eye_line,eye_to_chin,center_x,roll_after,crown_crop,in_tolerance,upscale,retouch,verification";
    let checks = CHECKS.iter().map(|c| c.key);
    csv.write_record(header.split(',').chain(checks).chain(["message"]))?;
    for r in reports {
        let base = [
            r.input.display().to_string(),
            r.name.clone(),
            r.status.map(|s| s.as_str()).unwrap_or_default().into(),
            r.worst.map(|w| w.as_str()).unwrap_or_default().into(),
            r.faces.map(|n| n.to_string()).unwrap_or_default(),
        ];
        let message = if r.status == Some(PhotoStatus::Error) {
            r.error.clone().unwrap_or_default()
        } else {
            r.findings()
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| f.advice.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut rows: Vec<Vec<String>> = Vec::new();
        if r.variants().is_empty() {
            rows.push(vec![String::new(); VARIANT_COLUMNS + CHECKS.len()]);
        }
        for v in r.variants() {
            rows.push(variant_fields(v));
        }
        for (i, fields) in rows.into_iter().enumerate() {
            let m = match r.variants().get(i) {
                Some(v) if v.status == VariantStatus::Rejected => {
                    v.reason.clone().unwrap_or_default()
                }
                _ => message.clone(),
            };
            let row = base.iter().cloned().chain(fields).chain([m]);
            csv.write_record(row.map(|f| neutralised(&f)))?;
        }
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

/// The variant columns of `summary.csv` before the checks' measures.
const VARIANT_COLUMNS: usize = 12;

/// The variant columns of `summary.csv`: the framing, the retouch, and every check's measure.
fn variant_fields(v: &VariantReport) -> Vec<String> {
    let f = &v.framing;
    let verification = v.verification.as_ref();
    let fields = [
        v.name.clone(),
        v.status.as_str().into(),
        v.file.clone().unwrap_or_default(),
        num(Some(f.eye_line)),
        num(Some(f.eye_to_chin)),
        num(Some(f.center_x)),
        num(Some(f.roll_after)),
        num(Some(f.crown_crop)),
        v.in_tolerance.to_string(),
        num(Some(v.upscale)),
        v.retouch
            .as_ref()
            .map(|r| r.delivered.clone())
            .unwrap_or_default(),
        verification.map(|v| v.status.clone()).unwrap_or_default(),
    ];
    let measures = CHECKS
        .iter()
        .map(|c| num(verification.and_then(|v| v.measures.get(c.key))));
    fields.into_iter().chain(measures).collect()
}

/// Text made safe inside HTML elements and quoted attributes.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A relative file path made safe in a URL (`href`, `src`).
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The contact sheet of a batch made with the guideline `loaded`.
pub fn contact_sheet(loaded: &Loaded, reports: &[Report]) -> String {
    let rows: String = reports.iter().map(photo_section).collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trueshot contact sheet — {guide}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }}
section {{ background: #fff; border: 1px solid #ddd; border-left: 6px solid #3a7; padding: .8rem 1rem; margin: 0 0 1rem; }}
section.rejected, section.partial {{ border-left-color: #d90; }} section.error {{ border-left-color: #c33; }}
h2 {{ font-size: 1.05rem; margin: 0 0 .5rem; }} small {{ color: #666; font-weight: normal; }}
.row {{ display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-end; }}
figure {{ margin: 0; }} img {{ height: 240px; display: block; border: 1px solid #ccc; }}
img.sheet {{ height: 160px; }}
.cutout img {{ background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }} figcaption {{ font-size: .8rem; color: #555; max-width: 320px; }}
.refused div {{ height: 240px; width: 180px; display: flex; align-items: center; justify-content: center; background: #f3f3f3; color: #a60; border: 1px dashed #d90; }}
.faces div {{ display: flex; gap: 4px; }} img.face {{ height: auto; max-width: 45vw; }} .faces figcaption {{ max-width: 640px; }} span.warn {{ color: #8a5a00; }}
figure.outside img {{ border: 3px solid #d90; }} b.outside {{ color: #8a5a00; }}
li.fail {{ color: #b22; }} li.warn {{ color: #8a5a00; }} li.pass {{ color: #2a7; }}
</style></head><body>
<h1>trueshot contact sheet</h1>
<p>Guideline <b>{guide}</b> ({source}). Every person is the real photo, cropped, levelled and resampled — nothing generated; where the guideline replaces the background, only the background is new.</p>
{rows}</body></html>
"#,
        guide = html_escape(&loaded.guide.name),
        source = html_escape(&loaded.source),
    )
}

/// One photo's section of the contact sheet: the original, each variant (or why it was not
/// made), the print sheets, and the findings that need action.
fn photo_section(r: &Report) -> String {
    let name = &r.name;
    let status = r.status.map_or("error", |s| s.as_str());
    let mut cells = String::new();
    if let Some(thumb) = &r.thumbnail {
        cells.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"original {}\" class=\"orig\"><figcaption>original</figcaption></figure>",
            url_escape(thumb),
            html_escape(name)
        ));
    }
    for v in r.variants() {
        cells.push_str(&variant_cells(r, v));
    }
    for s in r.sheets.iter().flatten() {
        cells.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"print sheet\" class=\"sheet\"><figcaption>{} · {} copies</figcaption></figure>",
            url_escape(&s.file),
            html_escape(&s.name),
            s.copies
        ));
    }
    let mut items = String::new();
    if let Some(e) = &r.error {
        items.push_str(&format!("<li class=\"fail\">{}</li>", html_escape(e)));
    }
    for f in r.findings().iter().filter(|f| f.status != Status::Pass) {
        items.push_str(&format!(
            "<li class=\"{}\"><b>{}</b> {}</li>",
            f.status.as_str(),
            html_escape(&f.check),
            html_escape(&f.advice)
        ));
    }
    if items.is_empty() {
        items.push_str("<li class=\"pass\">every check passed</li>");
    }
    format!(
        "<section class=\"{status}\"><h2>{} <small>{} · {status}</small></h2><div class=\"row\">{cells}</div><ul>{items}</ul></section>\n",
        html_escape(name),
        html_escape(&r.input.display().to_string())
    )
}

/// A variant's figures: the headshot with its framing and matting, the face before and after,
/// the cutout; or a placeholder saying why it was not made.
fn variant_cells(r: &Report, v: &VariantReport) -> String {
    let vname = html_escape(&v.name);
    let name = &r.name;
    let Some(file) = &v.file else {
        return format!(
            "<figure class=\"refused\"><div>{vname}: not made</div><figcaption>{}</figcaption></figure>",
            html_escape(v.reason.as_deref().unwrap_or(""))
        );
    };
    let (f, t) = (&v.framing, &v.target);
    let n = |x: f64| json!(x).to_string();
    let matting = match &v.matting {
        Some(m) => format!(
            " · new background{} · edge halo ΔE {} · hair edge {} px",
            if v.filled_with_background == Some(true) {
                " (also beyond the photo)"
            } else {
                ""
            },
            json!(m.halo_delta_e),
            json!(m.hair_edge_width_px)
        ),
        None => String::new(),
    };
    let signed = match r.content_credentials.as_ref().map(|c| c.test_certificate) {
        Some(true) => " · signed content credentials (local test certificate)",
        Some(false) => " · signed content credentials",
        None => "",
    };
    let (class, fit) = if !v.in_tolerance {
        (
            " class=\"outside\"",
            "<b class=\"outside\">outside the guideline's tolerances</b> · ",
        )
    } else {
        ("", "")
    };
    let mut cells = format!(
        "<figure{class}><img src=\"{}\" alt=\"{vname} headshot of {}\"><figcaption>{vname} {}×{} · {fit}eye line {} (target {}) · eye–chin {} (target {}) · centre {} · roll {}°{matting}{signed}</figcaption></figure>",
        url_escape(file),
        html_escape(name),
        v.width, v.height, n(f.eye_line), n(t.eye_line), n(f.eye_to_chin), n(t.eye_to_chin), n(f.center_x), n(f.roll_after),
    );
    if let Some(crops) = &v.face_crops {
        cells.push_str(&verification_cell(v, crops, &vname));
    }
    if let Some(cut) = &v.cutout {
        cells.push_str(&format!(
            "<figure class=\"cutout\"><img src=\"{}\" alt=\"{vname} cutout of {}\"><figcaption>{vname} cutout (transparent PNG)</figcaption></figure>",
            url_escape(cut),
            html_escape(name),
        ));
    }
    cells
}

/// The face before and after editing at 100 %, with what verification measured in plain words.
fn verification_cell(v: &VariantReport, crops: &[String], vname: &str) -> String {
    let verification = v.verification.as_ref();
    let retouch = v.retouch.as_ref().map_or("", |r| r.delivered.as_str());
    let mut words = format!("{vname}: retouch <b>{}</b>", html_escape(retouch));
    for line in verification.map(|v| v.lines()).unwrap_or_default() {
        let text = html_escape(&line.text);
        if line.ok == Some(false) {
            words.push_str(&format!(" · <span class=\"warn\">{text}</span>"));
        } else {
            words.push_str(&format!(" · {text}"));
        }
    }
    for a in verification
        .and_then(|v| v.attempts.as_ref())
        .into_iter()
        .flatten()
    {
        let broken: Vec<String> = a.breaches.iter().map(|b| html_escape(&b.measure)).collect();
        if !broken.is_empty() {
            words.push_str(&format!(
                " · <span class=\"warn\">{} refused: {}</span>",
                html_escape(&a.level),
                broken.join(", ")
            ));
        }
    }
    let img = |i: usize, which: &str| {
        format!(
            "<img class=\"face\" src=\"{}\" alt=\"{vname} face {which}\">",
            url_escape(crops.get(i).map_or("", |c| c.as_str()))
        )
    };
    format!(
        "<figure class=\"faces\"><div>{}{}</div><figcaption>{words}</figcaption></figure>",
        img(0, "before"),
        img(1, "after")
    )
}
