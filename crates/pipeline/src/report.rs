//! The typed report of one photo: what `<name>.report.json` holds, what the API serves and what
//! the content credentials copy. Serde-derived, so nothing is built up as loose JSON and read back:
//! a renamed field is a compile error, not a silent `0.0`.
//!
//! The JSON contract is kept: fields are declared in the order the report has always listed
//! them, numbers are rounded as before (`r1`: 0.1, `r3`: 0.001), and optional parts are left out
//! where they were left out. A measure that is not a finite number is `null`. Unrounded values
//! (the framing's `missing` and `source_to_output`, a plain wall's measures) are written as the
//! 64-bit value of the 32-bit number the stage computed, as they always were.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use trueshot_guide::Status;
use trueshot_retouch::CHECKS;

use crate::json::{pt as point, r1, r3};

/// One photo's report. Every field has a default when read, so a short report (a photo that
/// failed before anything was known of it) reads too.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub trueshot_version: String,
    /// Revision of what the pipeline makes of a photo ([`crate::PIPELINE`]).
    pub pipeline: u32,
    /// Hash of every setting of the guideline as applied.
    pub settings_sha256: String,
    /// The photo as the caller named it.
    pub input: PathBuf,
    /// Base name of the outputs.
    pub name: String,
    pub guideline: GuidelineRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_sha256: Option<String>,
    /// Where the photo says generative AI made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_declaration: Option<AiDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<ToneReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Faces found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<BackgroundReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_credentials: Option<ContentCredentials>,
    /// The main subject's face, in photo pixels of the upright photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_face: Option<FaceReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PhotoStatus>,
    /// Why the photo gave nothing (status `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The worst status of the findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<FindingReport>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    /// Every variant of the guideline, in its order: made or refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<Vec<VariantReport>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Vec<SheetReport>>,
    /// Every output file made, relative to the photo's output folder.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// A small copy of the original for the contact sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

impl Report {
    /// The variants of the report (none before they are planned).
    pub fn variants(&self) -> &[VariantReport] {
        self.variants.as_deref().unwrap_or_default()
    }

    pub fn findings(&self) -> &[FindingReport] {
        self.findings.as_deref().unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GuidelineRef {
    pub name: String,
    /// `built-in NAME`, a file path or the service's guideline.
    pub source: String,
    /// Hash of the guideline's text and of every override applied to it.
    pub sha256: String,
}

/// What a photo became.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoStatus {
    /// Every variant was made.
    Done,
    /// Some variants were made.
    Partial,
    /// No variant was made; each says why.
    Rejected,
    /// The photo could not be made at all (see `error`).
    Error,
}

impl Report {
    /// A report read back (from a file or a database); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Report> {
        serde_json::from_str(text).ok()
    }
}

impl PhotoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Done => "done",
            PhotoStatus::Partial => "partial",
            PhotoStatus::Rejected => "rejected",
            PhotoStatus::Error => "error",
        }
    }
}

/// Where a photo says generative AI made it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AiDeclaration {
    /// `XMP` or `C2PA`.
    pub declared_in: String,
    pub source_type: String,
    pub detail: Option<String>,
}

impl From<&trueshot_provenance::AiDeclaration> for AiDeclaration {
    fn from(a: &trueshot_provenance::AiDeclaration) -> Self {
        AiDeclaration {
            declared_in: a.declared_in.into(),
            source_type: a.source_type.clone(),
            detail: a.detail.clone(),
        }
    }
}

/// The one global tone curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToneReport {
    /// `scene` or `team median`.
    pub source: String,
    /// Linear gains R, G, B.
    pub gains: [f64; 3],
    pub exposure_ev: f64,
    pub neutral_fraction: f64,
    pub scene_highlight: f64,
    pub scene_median: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BackgroundReport {
    /// The guideline's mode: keep, color, gradient, image or blur.
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matting_ms: Option<f64>,
    /// The photo region the matting net ran on: x0, y0, x1, y1 in photo pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matte_region: Option<[f64; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matting_runtime: Option<String>,
    /// The sides of the photo no framing may cross.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_sides: Option<Sides>,
    /// Kept background: the edges along which the photo shows a plain wall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain_walls: Option<Vec<PlainWall>>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Sides {
    pub top: bool,
    pub bottom: bool,
    pub left: bool,
    pub right: bool,
}

impl From<trueshot_frame::Sides> for Sides {
    fn from(s: trueshot_frame::Sides) -> Self {
        Sides {
            top: s.top,
            bottom: s.bottom,
            left: s.left,
            right: s.right,
        }
    }
}

/// A plain wall along one edge of the photo, as measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlainWall {
    pub edge: String,
    pub field_delta_e_mean: f64,
    pub field_delta_e_max: f64,
    pub grain_l: f64,
}

impl From<&trueshot_matte::Wall> for PlainWall {
    fn from(w: &trueshot_matte::Wall) -> Self {
        PlainWall {
            edge: w.edge.as_str().into(),
            field_delta_e_mean: w.field_delta_e_mean.into(),
            field_delta_e_max: w.field_delta_e_max.into(),
            grain_l: w.grain_l.into(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContentCredentials {
    pub signed: bool,
    /// Signed with the local test certificate, which nobody trusts.
    pub test_certificate: bool,
}

/// A face as every report and the API give it (photo pixels of the upright photo): box, eyes,
/// chin, crown (and where it was found), head pose and the detector's score.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaceReport {
    /// x, y, width, height.
    pub bbox: [f64; 4],
    pub score: f64,
    pub eyes: Eyes,
    pub chin: [f64; 2],
    pub crown: [f64; 2],
    pub crown_from: String,
    pub pose: Pose,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Eyes {
    pub right: [f64; 2],
    pub left: [f64; 2],
}

/// Degrees.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pose {
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
}

impl From<&trueshot_vision::Face> for FaceReport {
    fn from(f: &trueshot_vision::Face) -> Self {
        FaceReport {
            bbox: [r1(f.bbox.x), r1(f.bbox.y), r1(f.bbox.w), r1(f.bbox.h)],
            score: r3(f.score),
            eyes: Eyes {
                right: point(f.right_eye.iris_center),
                left: point(f.left_eye.iris_center),
            },
            chin: point(f.chin),
            crown: point(f.crown()),
            crown_from: match f.crown_source {
                Some(trueshot_vision::CrownSource::Mask) => "person mask",
                Some(trueshot_vision::CrownSource::CutOff) => "cut off by the photo's top edge",
                _ => "estimated from the face mesh",
            }
            .into(),
            pose: Pose {
                yaw: r1(f.pose.yaw),
                pitch: r1(f.pose.pitch),
                roll: r1(f.pose.roll),
            },
        }
    }
}

/// One check of the guideline, or a finding of the framing and verification.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingReport {
    pub check: String,
    pub status: Status,
    pub value: Option<f64>,
    pub unit: String,
    /// What to change, in one sentence for the person in the photo.
    pub advice: String,
}

impl From<&trueshot_assess::Finding> for FindingReport {
    fn from(f: &trueshot_assess::Finding) -> Self {
        FindingReport {
            check: f.check.into(),
            status: f.status,
            value: f.value.map(r3),
            unit: trueshot_assess::check_unit(f.check).into(),
            advice: f.advice.clone(),
        }
    }
}

/// Whether a variant was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantStatus {
    Written,
    #[default]
    Rejected,
}

impl VariantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VariantStatus::Written => "written",
            VariantStatus::Rejected => "rejected",
        }
    }
}

/// One variant of the guideline for this photo: its framing, and either why it was not made or
/// how it was made (matting, retouch, verification) and its files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantReport {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    /// The guideline's target framing.
    pub target: Placement,
    /// The framing achieved (or, when refused, the nearest one the photo had).
    pub framing: Framing,
    /// Achieved minus target.
    pub deviation: Placement,
    pub in_tolerance: bool,
    pub levelled_deg: f64,
    /// Enlargement of the photo (above 1: the output has more pixels than the photo there).
    pub upscale: f64,
    /// How far the output reaches beyond the photo on each side.
    pub missing: Missing,
    /// The affine map from photo to output pixels: a, b, c, d, e, f.
    pub source_to_output: [f64; 6],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Window>,
    /// A team's shared head size and eye line, aimed at where the photo allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamFraming>,
    /// Canvas beyond the photo, on sides the person does not reach, shows new background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled_with_background: Option<bool>,
    pub status: VariantStatus,
    /// Why it was not made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_continued: Option<Vec<WallContinued>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matting: Option<Matting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retouch: Option<RetouchReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Before/after crops of the face at 100 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_crops: Option<Vec<String>>,
    /// The original in the same frame, not retouched, its own background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Eye line and eye-to-chin (fractions of the output's height) and the eyes' centre (of its
/// width).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Placement {
    pub eye_line: f64,
    pub eye_to_chin: f64,
    pub center_x: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Framing {
    pub eye_line: f64,
    pub eye_to_chin: f64,
    pub center_x: f64,
    /// Roll of the eye line left after levelling, degrees.
    pub roll_after: f64,
    /// Share of the head above the top edge.
    pub crown_crop: f64,
    /// ID photos: crown to chin, and the eyes above the bottom, as fractions of the height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_height: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_from_bottom: Option<f64>,
}

/// A tolerance or limit around the target (±).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Window {
    pub eye_line: f64,
    pub eye_to_chin: f64,
    pub center_x: f64,
    pub crown_crop: f64,
}

impl From<trueshot_guide::Tolerance> for Window {
    fn from(w: trueshot_guide::Tolerance) -> Self {
        Window {
            eye_line: r3(w.eye_line),
            eye_to_chin: r3(w.eye_to_chin),
            center_x: r3(w.center_x),
            crown_crop: r3(w.crown_crop),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Missing {
    pub top: f64,
    pub bottom: f64,
    pub left: f64,
    pub right: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TeamFraming {
    pub eye_to_chin: f64,
    pub eye_line: f64,
}

impl VariantReport {
    /// A variant's entry before it is made or refused: its size and format, the target, the
    /// tolerances, the framing `plan` achieves and how far it is from the target, and the map
    /// from photo to output.
    pub fn planned(variant: &trueshot_guide::Variant, plan: &trueshot_frame::Plan) -> Self {
        let (t, a) = (&plan.target, &plan.achieved);
        let id = variant.is_id_photo();
        let m = plan.missing;
        VariantReport {
            name: variant.name.clone(),
            width: variant.width,
            height: variant.height,
            format: variant.format.as_str().into(),
            target: Placement {
                eye_line: r3(t.eye_line),
                eye_to_chin: r3(t.eye_to_chin),
                center_x: r3(t.center_x),
            },
            framing: Framing {
                eye_line: r3(a.eye_line),
                eye_to_chin: r3(a.eye_to_chin),
                center_x: r3(a.center_x),
                roll_after: r3(a.roll_after),
                crown_crop: r3(a.crown_crop),
                head_height: id.then(|| r3(a.head_height)),
                eye_from_bottom: id.then(|| r3(a.eye_from_bottom)),
            },
            deviation: Placement {
                eye_line: r3(a.eye_line - t.eye_line),
                eye_to_chin: r3(a.eye_to_chin - t.eye_to_chin),
                center_x: r3(a.center_x - t.center_x),
            },
            in_tolerance: plan.in_tolerance,
            levelled_deg: r3(plan.levelled_deg),
            upscale: r3(plan.scale),
            missing: Missing {
                top: m.top.into(),
                bottom: m.bottom.into(),
                left: m.left.into(),
                right: m.right.into(),
            },
            source_to_output: plan.affine_array().map(f64::from),
            tolerance: (!id).then(|| variant.tolerance().into()),
            limit: (!id).then(|| variant.limit().into()),
            team: None,
            filled_with_background: None,
            status: VariantStatus::Rejected,
            reason: None,
            wall_continued: None,
            matting: None,
            retouch: None,
            verification: None,
            face_crops: None,
            before: None,
            cutout: None,
            file: None,
        }
    }
}

/// A plain wall continued beyond the photo (kept background).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WallContinued {
    pub edge: String,
    /// Share of the frame.
    pub depth: f64,
    pub pixels: u64,
    pub field_delta_e_mean: f64,
    pub field_delta_e_max: f64,
    pub grain_l: f64,
}

/// The matting of a headshot with a new background.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Matting {
    /// CIEDE2000 between the band just outside the edge and the new background there.
    pub halo_delta_e: Option<f64>,
    pub far_delta_e_mean: Option<f64>,
    pub far_delta_e_max: Option<f64>,
    pub hair_edge_width_px: Option<f64>,
    pub partial_alpha_fraction: f64,
    pub person_fraction: f64,
    pub defringed_edge_px: usize,
    pub rim_light: Option<RimLight>,
    pub compose_ms: f64,
}

/// The old background's rim light toned toward the new backdrop.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RimLight {
    pub toned_px: usize,
    pub mean_delta_l: f64,
    pub max_delta_l: f64,
    pub band_px: f64,
}

impl From<trueshot_matte::RimSummary> for RimLight {
    fn from(s: trueshot_matte::RimSummary) -> Self {
        RimLight {
            toned_px: s.toned_px,
            mean_delta_l: r3(s.mean_delta_l),
            max_delta_l: r3(s.max_delta_l),
            band_px: r1(s.band_px),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RetouchReport {
    pub requested: String,
    pub delivered: String,
    pub retouch: Applied,
}

/// What retouching did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Applied {
    pub blemish_fraction: f64,
    pub shine_fraction: f64,
    pub ms: f64,
}

impl From<&trueshot_retouch::Applied> for Applied {
    fn from(a: &trueshot_retouch::Applied) -> Self {
        Applied {
            blemish_fraction: r3(a.blemish_fraction),
            shine_fraction: r3(a.shine_fraction),
            ms: r1(a.ms),
        }
    }
}

/// How the delivered headshot measured against the original, and the bounds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verification {
    /// `passed` or `failed`.
    pub status: String,
    pub measures: Measures,
    pub bounds: Bounds,
    pub breaches: Vec<Breach>,
    /// Every attempt, when the first one broke a bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<Attempt>>,
}

/// One check of a headshot's verification as people read it (the contact sheet, the web page).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckLine {
    /// The check's key ([`trueshot_retouch::CHECKS`]).
    pub measure: &'static str,
    /// What it protects ("Same person").
    pub title: &'static str,
    /// Whether the measure keeps its bound; null when it was not measured.
    pub ok: Option<bool>,
    /// The measure against its bound in plain words.
    pub text: String,
}

impl Verification {
    /// Every check, in [`trueshot_retouch::CHECKS`]' order, as people read it.
    pub fn lines(&self) -> Vec<CheckLine> {
        CHECKS
            .iter()
            .map(|c| {
                let (ok, text) = match (self.measures.get(c.key), self.bounds.get(c.key)) {
                    (Some(value), Some(bound)) => (
                        Some(
                            c.sense.keeps(value, bound)
                                && !self.breaches.iter().any(|b| b.measure == c.key),
                        ),
                        (c.words)(value, bound, &self.measures.drift_feature),
                    ),
                    _ => (None, format!("{}: not measured", c.title)),
                };
                CheckLine {
                    measure: c.key,
                    title: c.title,
                    ok,
                    text,
                }
            })
            .collect()
    }
}

/// One retouch tried and measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    pub level: String,
    pub strength: f64,
    pub retouch: Applied,
    pub measures: Measures,
    pub breaches: Vec<Breach>,
    /// The share of the rim-light edit tried: `full`, `half` or none.
    pub rim_light: Option<String>,
}

/// A bound a result broke.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Breach {
    pub measure: String,
    pub value: Option<f64>,
    pub bound: f64,
}

impl From<&trueshot_retouch::Breach> for Breach {
    fn from(b: &trueshot_retouch::Breach) -> Self {
        Breach {
            measure: b.measure.into(),
            value: finite(b.value),
            bound: r3(b.bound),
        }
    }
}

/// A measure rounded, or `None` when it is not a finite number.
fn finite(v: f32) -> Option<f64> {
    v.is_finite().then(|| r3(v))
}

/// Every measure of a result against its original: first one per verification check, keyed and
/// ordered as [`trueshot_retouch::CHECKS`] (`null` when not a number), then what explains them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measures {
    #[serde(flatten)]
    pub checked: IndexMap<String, Option<f64>>,
    /// The feature that moved most.
    pub drift_feature: String,
    pub age_original: Option<f64>,
    pub age_result: Option<f64>,
    pub ms: f64,
}

impl Measures {
    /// The measure of a check, when it is a number.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.checked.get(key).copied().flatten()
    }
}

impl From<&trueshot_retouch::Measures> for Measures {
    fn from(m: &trueshot_retouch::Measures) -> Self {
        Measures {
            checked: CHECKS
                .iter()
                .map(|c| (c.key.to_string(), finite((c.measured)(m))))
                .collect(),
            drift_feature: m.drift_feature.into(),
            age_original: finite(m.age_original),
            age_result: finite(m.age_result),
            ms: r1(m.ms),
        }
    }
}

/// The verification bounds of the guideline, keyed and ordered as [`trueshot_retouch::CHECKS`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bounds(pub IndexMap<String, f64>);

impl Bounds {
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).copied()
    }
}

impl From<&trueshot_retouch::Bounds> for Bounds {
    fn from(b: &trueshot_retouch::Bounds) -> Self {
        Bounds(
            CHECKS
                .iter()
                .map(|c| (c.key.to_string(), r3((c.bound)(b))))
                .collect(),
        )
    }
}

/// A print sheet made of one variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SheetReport {
    pub name: String,
    pub file: String,
    pub copies: u32,
}
