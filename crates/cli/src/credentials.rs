//! Content credentials for `process` outputs: who signs, and what each output's credentials say
//! (built from the same facts as the photo's report), plus the screening of AI-made inputs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use trueshot_assess::Finding;
use trueshot_guide::{BackgroundMode, Guideline, Status};
use trueshot_provenance::{Claim, Credentials, Edit, Format, Source, XmpFields};

#[derive(Args, Clone, Default)]
pub struct SignArgs {
    /// Certificate chain (PEM, signer first) that signs the content credentials
    /// [default: $TRUESHOT_SIGN_CERT, else a local test certificate created on first use]
    #[arg(long, value_name = "PEM", requires = "sign_key")]
    pub sign_cert: Option<PathBuf>,
    /// Private key (PEM) of --sign-cert [default: $TRUESHOT_SIGN_KEY]
    #[arg(long, value_name = "PEM", requires = "sign_cert")]
    pub sign_key: Option<PathBuf>,
}

/// The signer of a run and a sentence saying who it is.
pub struct Signing {
    pub signer: c2pa::BoxedSigner,
    pub credentials: Credentials,
}

impl SignArgs {
    pub fn load(&self) -> Result<Signing> {
        let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
        let credentials = match (
            self.sign_cert.clone().or_else(|| env("TRUESHOT_SIGN_CERT")),
            self.sign_key.clone().or_else(|| env("TRUESHOT_SIGN_KEY")),
        ) {
            (Some(cert), Some(key)) => Credentials::from_files(&cert, &key)?,
            (None, None) => Credentials::test(&trueshot_provenance::default_test_dir())?,
            _ => anyhow::bail!(
                "a signing certificate needs its key and the other way round: set both --sign-cert and --sign-key (or TRUESHOT_SIGN_CERT and TRUESHOT_SIGN_KEY)"
            ),
        };
        let signer = credentials
            .signer()
            .context("cannot sign content credentials")?;
        Ok(Signing {
            signer,
            credentials,
        })
    }
}

/// The original photo as the credentials name it: file name only, format, hash.
pub fn original_source(path: &std::path::Path, bytes: &[u8], sha256: &str) -> Source {
    Source {
        title: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        format: trueshot_provenance::sniff(bytes)
            .map_or("application/octet-stream", |f| f.mime())
            .into(),
        sha256: sha256.into(),
    }
}

/// The background picture placed behind the person: the office photo itself (by hash), or a
/// description of the colour or gradient trueshot rendered. `None` when the background is kept.
pub fn background_source(guide: &Guideline, photo: Option<&Source>) -> Option<Source> {
    let b = &guide.background;
    // the guideline's own spelling of a colour (white when unset, as the compositor does)
    let hex = |c: Option<trueshot_guide::Color>| {
        c.unwrap_or(trueshot_guide::Color([255, 255, 255]))
            .to_string()
            .to_ascii_lowercase()
    };
    let rendered = |title: String| Source {
        sha256: trueshot_provenance::sha256_hex(title.as_bytes()),
        title,
        format: "application/octet-stream".into(),
    };
    match b.mode {
        BackgroundMode::Keep | BackgroundMode::Blur => None,
        BackgroundMode::Color => Some(rendered(format!(
            "solid colour {} rendered by trueshot",
            hex(b.color)
        ))),
        BackgroundMode::Gradient => Some(rendered(format!(
            "{} gradient {} to {} rendered by trueshot",
            b.gradient.as_str(),
            hex(b.color),
            hex(b.color2)
        ))),
        BackgroundMode::Image => photo.cloned(),
    }
}

/// What one output is.
pub enum Output<'a> {
    Headshot,
    Cutout,
    Sheet { copies: u64, of: &'a str },
}

/// The credentials of one output, from the photo's report and the variant's entry in it.
#[allow(clippy::too_many_arguments)]
pub fn claim(
    file: &str,
    format: trueshot_guide::Format,
    original: &Source,
    background: Option<&Source>,
    guide: &Guideline,
    report: &Value,
    entry: &Value,
    output: Output,
) -> Claim {
    let mut edits = vec![
        Edit::Cropped(format!(
            "levelled by {:.1}° and cropped to the {} guideline's {} framing (eye line at {:.3} of the height)",
            entry["levelled_deg"].as_f64().unwrap_or(0.0),
            guide.name,
            entry["name"].as_str().unwrap_or(""),
            entry["framing"]["eye_line"].as_f64().unwrap_or(0.0),
        )),
        Edit::Resized(format!(
            "resampled {:.2}× in linear light to {}×{} px",
            entry["upscale"].as_f64().unwrap_or(1.0),
            entry["width"],
            entry["height"]
        )),
    ];
    let tone = &report["tone"];
    let gains: Vec<f64> = tone["gains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    if gains.iter().any(|g| (g - 1.0).abs() > 1e-3) {
        edits.push(Edit::ColorAdjusted(format!(
            "one global exposure and white-balance curve from the {} (linear gains R {:.3} G {:.3} B {:.3}, {:+.2} EV); skin is never pushed toward a target colour",
            tone["source"].as_str().unwrap_or("scene"),
            gains.first().unwrap_or(&1.0),
            gains.get(1).unwrap_or(&1.0),
            gains.get(2).unwrap_or(&1.0),
            tone["exposure_ev"].as_f64().unwrap_or(0.0)
        )));
    }
    let retouch = &entry["retouch"];
    let delivered = retouch["delivered"].as_str().unwrap_or("none");
    if delivered != "none" {
        let refused = if retouch["requested"] != retouch["delivered"] {
            format!(
                " ({} was requested and refused by verification)",
                retouch["requested"].as_str().unwrap_or("")
            )
        } else {
            String::new()
        };
        edits.push(Edit::Edited(format!(
            "retouch level {delivered}{refused}: frequency separation inside skin and eye masks from the face mesh — blotchy colour evened, shine reduced on {:.1} % and small red blemishes faded on {:.2} % of the skin, redness of the eye whites and under the eyes reduced; moles, freckles, scars and wrinkles kept; no warping",
            retouch["retouch"]["shine_fraction"].as_f64().unwrap_or(0.0) * 100.0,
            retouch["retouch"]["blemish_fraction"].as_f64().unwrap_or(0.0) * 100.0,
        )));
    }
    for w in entry["wall_continued"].as_array().into_iter().flatten() {
        // An edit of the background, never of the person: the plain wall behind them, measured
        // in the photo, continued where the frame reaches beyond the photo.
        edits.push(Edit::Edited(format!(
            "background edited: the plain wall behind the person continued beyond the photo's {} edge ({:.1} % of the frame; its own smooth colour and grain, measured in the photo within ΔE {:.2}; no pixel of the person)",
            w["edge"].as_str().unwrap_or(""),
            100.0 * w["depth"].as_f64().unwrap_or(0.0),
            w["field_delta_e_max"].as_f64().unwrap_or(0.0),
        )));
    }
    let rim = &entry["matting"]["rim_light"];
    if rim["toned_px"].as_u64().unwrap_or(0) > 0 {
        // An edit of the person's edge: the old background's rim light toned toward the new
        // backdrop, bounded to the edge band and verified with the retouch.
        edits.push(Edit::Edited(format!(
            "rim light of the old background toned toward the new backdrop: {} pixels within {:.0} px of the outline and the jaw line, lightness lowered by {:.1} L* on average (at most {:.1}); the person's own colour, never darker",
            rim["toned_px"],
            rim["band_px"].as_f64().unwrap_or(0.0),
            rim["mean_delta_l"].as_f64().unwrap_or(0.0),
            rim["max_delta_l"].as_f64().unwrap_or(0.0),
        )));
    }
    let mode = guide.background.mode;
    let composite = match output {
        Output::Cutout => {
            edits.push(Edit::Edited(
                "background removed: transparent cutout of the person (portrait matting)".into(),
            ));
            false
        }
        _ if mode == BackgroundMode::Blur => {
            edits.push(Edit::Edited(
                "the photo's own background blurred behind the person, like a fast lens".into(),
            ));
            true
        }
        _ => match background {
            Some(bg) => {
                edits.push(Edit::BackgroundPlaced {
                    description: format!(
                        "the person (portrait matting) composited in linear light over a new background: {}",
                        bg.title
                    ),
                    component: bg.clone(),
                });
                true
            }
            None => false,
        },
    };
    if let Output::Sheet { copies, of } = output {
        edits.push(Edit::Edited(format!(
            "{copies} copies of the {of} headshot arranged on a print sheet with cut marks"
        )));
    }
    let p = &guide.provenance;
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Claim {
        title: file.to_string(),
        format: match format {
            trueshot_guide::Format::Jpeg => Format::Jpeg,
            trueshot_guide::Format::Png => Format::Png,
            trueshot_guide::Format::Webp => Format::Webp,
        },
        original: original.clone(),
        edits,
        xmp: XmpFields {
            // a real capture: composited with a new background, or edited by algorithm (never a
            // generative source type)
            digital_source_type: if composite {
                "compositeCapture"
            } else {
                "algorithmicallyEnhanced"
            }
            .into(),
            creator: nonempty(&p.creator),
            copyright: nonempty(&p.copyright),
            instance_id: format!(
                "xmp.iid:{}",
                &trueshot_provenance::sha256_hex(
                    format!("{}{file}{}", original.sha256, report["settings_sha256"]).as_bytes()
                )[..32]
            ),
            description: Some(format!(
                "Headshot made by trueshot from the real photograph {}",
                original.title
            )),
        },
        assertion: json!({
            // name and hash only: the guideline's path on this machine stays here
            "guideline": { "name": report["guideline"]["name"], "sha256": report["guideline"]["sha256"] },
            "settings_sha256": report["settings_sha256"],
            "variant": entry["name"],
            "framing": entry["framing"],
            "framing_target": entry["target"],
            "framing_in_tolerance": entry["in_tolerance"],
            "wall_continued": entry["wall_continued"],
            "tone": report["tone"],
            "background": { "mode": mode.as_str(), "matting": entry["matting"] },
            "retouch": { "requested": retouch["requested"], "delivered": retouch["delivered"] },
            "verification": {
                "status": entry["verification"]["status"],
                "measures": entry["verification"]["measures"],
                "bounds": entry["verification"]["bounds"],
                "breaches": entry["verification"]["breaches"],
            },
        }),
    }
}

/// The finding for a photo that declares it was made by generative AI.
pub fn ai_finding(ai: &trueshot_provenance::AiDeclaration, refuse: bool) -> Finding {
    Finding {
        check: "ai_generated",
        status: if refuse { Status::Fail } else { Status::Warn },
        value: None,
        advice: format!(
            "{}: use a real photograph of the person{}",
            ai.describe(),
            if refuse {
                ""
            } else {
                " (the guideline only flags this)"
            }
        ),
    }
}
