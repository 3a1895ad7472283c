//! Content credentials of every output: who signs, and what each output's credentials say (built
//! from the same facts as the photo's report), plus the screening of AI-made inputs.

use std::path::Path;

use serde_json::json;
use trueshot_assess::Finding;
use trueshot_guide::{BackgroundMode, Guideline, Status};
use trueshot_provenance::{Claim, Credentials, Edit, Format, Source, XmpFields};

use crate::json::{r1, r3};
use crate::report::{Report, VariantReport};
use crate::Error;

/// The signer of a run and a sentence saying who it is.
pub struct Signing {
    pub signer: c2pa::BoxedSigner,
    pub credentials: Credentials,
}

impl Signing {
    /// Signs with a certificate chain (PEM, signer first) and its private key.
    pub fn from_files(certificate: &Path, key: &Path) -> Result<Signing, Error> {
        Signing::with(Credentials::from_files(certificate, key))
    }

    /// Signs with the local test certificate, created on first use (outputs say it is not
    /// trusted).
    pub fn test() -> Result<Signing, Error> {
        Signing::with(Credentials::test(&trueshot_provenance::default_test_dir()))
    }

    fn with(
        credentials: Result<Credentials, trueshot_provenance::Error>,
    ) -> Result<Signing, Error> {
        let credentials = credentials.map_err(|e| Error::Signer(e.to_string()))?;
        let signer = credentials
            .signer()
            .map_err(|e| Error::Signer(format!("cannot sign content credentials: {e}")))?;
        Ok(Signing {
            signer,
            credentials,
        })
    }
}

/// The original photo as the credentials name it: file name only, format, hash.
pub fn original_source(path: &Path, bytes: &[u8], sha256: &str) -> Source {
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

/// The facts of one made headshot that its credentials state, typed: the edits are written from
/// these values (never read back from the report), and the report's entries are copied into the
/// assertion as they are.
pub struct Facts<'a> {
    pub variant: &'a trueshot_guide::Variant,
    pub plan: &'a trueshot_frame::Plan,
    pub tone: &'a trueshot_retouch::Tone,
    /// "scene" or "team median".
    pub tone_source: &'a str,
    pub requested: trueshot_retouch::Level,
    pub delivered: trueshot_retouch::Level,
    pub applied: &'a trueshot_retouch::Applied,
    /// The plain walls continued beyond the photo, with how deep (share of the frame) and the
    /// pixels painted.
    pub walls: &'a [(trueshot_matte::Wall, f32, u64)],
    pub rim: Option<trueshot_matte::RimSummary>,
    /// The photo's report and the variant's entry in it.
    pub report: &'a Report,
    pub entry: &'a VariantReport,
}

/// The credentials of one output.
pub fn claim(
    file: &str,
    format: trueshot_guide::Format,
    original: &Source,
    background: Option<&Source>,
    guide: &Guideline,
    facts: &Facts,
    output: Output,
) -> Claim {
    let (entry, report) = (facts.entry, facts.report);
    let mut edits = photo_edits(guide, facts);
    let retouch = entry.retouch.as_ref();
    let verification = entry.verification.as_ref();
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
                    // the hash in quotes, as the first versions wrote it
                    format!("{}{file}{}", original.sha256, json!(report.settings_sha256))
                        .as_bytes()
                )[..32]
            ),
            description: Some(format!(
                "Headshot made by trueshot from the real photograph {}",
                original.title
            )),
        },
        assertion: json!({
            // name and hash only: the guideline's path on this machine stays here
            "guideline": { "name": report.guideline.name, "sha256": report.guideline.sha256 },
            "settings_sha256": report.settings_sha256,
            "variant": entry.name,
            "framing": entry.framing,
            "framing_target": entry.target,
            "framing_in_tolerance": entry.in_tolerance,
            "wall_continued": entry.wall_continued,
            "tone": report.tone,
            "background": { "mode": mode.as_str(), "matting": entry.matting },
            "retouch": {
                "requested": retouch.map(|r| &r.requested),
                "delivered": retouch.map(|r| &r.delivered),
            },
            "verification": {
                "status": verification.map(|v| &v.status),
                "measures": verification.map(|v| &v.measures),
                "bounds": verification.map(|v| &v.bounds),
                "breaches": verification.map(|v| &v.breaches),
            },
        }),
    }
}

/// The edits made to the photo for one headshot, in order: crop, resample, tone, retouch, walls
/// continued, rim light toned.
fn photo_edits(guide: &Guideline, facts: &Facts) -> Vec<Edit> {
    let plan = facts.plan;
    let mut edits = vec![
        Edit::Cropped(format!(
            "levelled by {:.1}° and cropped to the {} guideline's {} framing (eye line at {:.3} of the height)",
            r3(plan.levelled_deg),
            guide.name,
            facts.variant.name,
            r3(plan.achieved.eye_line),
        )),
        Edit::Resized(format!(
            "resampled {:.2}× in linear light to {}×{} px",
            r3(plan.scale),
            facts.variant.width,
            facts.variant.height
        )),
    ];
    let (tone, gains) = (facts.tone, facts.tone.gains.map(r3));
    if gains.iter().any(|g| (g - 1.0).abs() > 1e-3) {
        edits.push(Edit::ColorAdjusted(format!(
            "one global exposure and white-balance curve from the {} (linear gains R {:.3} G {:.3} B {:.3}, {:+.2} EV); skin is never pushed toward a target colour",
            facts.tone_source,
            gains[0],
            gains[1],
            gains[2],
            r3(tone.exposure_ev)
        )));
    }
    if facts.delivered != trueshot_retouch::Level::None {
        let refused = if facts.requested != facts.delivered {
            format!(
                " ({} was requested and refused by verification)",
                facts.requested.as_str()
            )
        } else {
            String::new()
        };
        edits.push(Edit::Edited(format!(
            "retouch level {}{refused}: frequency separation inside skin and eye masks from the face mesh — blotchy colour evened, shine reduced on {:.1} % and small red blemishes faded on {:.2} % of the skin, redness of the eye whites and under the eyes reduced; moles, freckles, scars and wrinkles kept; no warping",
            facts.delivered.as_str(),
            r3(facts.applied.shine_fraction) * 100.0,
            r3(facts.applied.blemish_fraction) * 100.0,
        )));
    }
    for (w, depth, _) in facts.walls {
        // An edit of the background, never of the person: the plain wall behind them, measured
        // in the photo, continued where the frame reaches beyond the photo.
        edits.push(Edit::Edited(format!(
            "background edited: the plain wall behind the person continued beyond the photo's {} edge ({:.1} % of the frame; its own smooth colour and grain, measured in the photo within ΔE {:.2}; no pixel of the person)",
            w.edge.as_str(),
            100.0 * r3(*depth),
            r3(w.field_delta_e_max),
        )));
    }
    if let Some(rim) = facts.rim.filter(|r| r.toned_px > 0) {
        // An edit of the person's edge: the old background's rim light toned toward the new
        // backdrop, bounded to the edge band and verified with the retouch.
        edits.push(Edit::Edited(format!(
            "rim light of the old background toned toward the new backdrop: {} pixels within {:.0} px of the outline and the jaw line, lightness lowered by {:.1} L* on average (at most {:.1}); the person's own colour, never darker",
            rim.toned_px,
            r1(rim.band_px),
            r3(rim.mean_delta_l),
            r3(rim.max_delta_l),
        )));
    }
    edits
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
