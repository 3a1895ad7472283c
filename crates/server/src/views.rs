//! What the API answers, as types: the handlers build them and the OpenAPI document
//! (`/api/openapi.json`) is generated from them and from the handlers' annotations, so the
//! document cannot drift from the router ([`crate::api::router`] builds both from one table).

use serde::Serialize;
use serde_json::Value;
use trueshot_pipeline::report::{
    Bounds, Breach, CheckLine, ContentCredentials, FaceReport, FindingReport, Framing, Measures,
    Placement, Window,
};
use trueshot_pipeline::Report;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::db::{Photo, Role, User};

/// The API's description: its conventions, said once for every operation.
const DESCRIPTION: &str = "Real photos in, guideline-compliant headshots out, with every edit signed and measured. \
Errors are JSON {\"error\": message}; 4xx is the client's fault, 5xx the server's (no internals). \
Cookie sessions must send X-CSRF-Token on every request that is not GET; API tokens (Authorization: Bearer) need none. \
A member sees only their own photos: another member's photo answers 404. \
Failed logins are limited per client address (behind --trusted-proxy: the last X-Forwarded-For address) and per account; every login attempt counts until it succeeds. \
Request bodies are at most 1 MB except photos (POST /api/photos, POST /api/check: --max-upload-mb); a live check frame is at most 16 megapixels. \
A request body that sends nothing for 30 s is dropped, and a request is answered within 5 minutes (408 after).";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "trueshot",
        description = DESCRIPTION,
        license(name = "GPL-3.0-or-later", identifier = "GPL-3.0-or-later")
    ),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
    paths(crate::api::photo_file, crate::days_api::day_file),
    tags(
        (name = "accounts", description = "Logging in, invites, API tokens and accounts"),
        (name = "guideline", description = "The company's headshot guideline"),
        (name = "photos", description = "Uploads, headshots, reviews and the live check"),
        (name = "days", description = "Headshot days: a roster, a shoot, each person's best frames, their choice"),
        (name = "operations", description = "Metrics for monitoring (also /healthz and /readyz, which need no sign-in)"),
    )
)]
pub struct ApiDoc;

/// The two ways to call the API: the page's session cookie, or an API token for scripts.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error: a plain sentence.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// A logged-in account and the CSRF token its session must send on every request that is not
/// GET (`null` for API tokens).
#[derive(Serialize, ToSchema)]
pub struct Session {
    pub user: User,
    pub csrf: Option<String>,
}

/// The account an invite link is for.
#[derive(Serialize, ToSchema)]
pub struct InviteFor {
    pub email: String,
    pub role: Role,
}

/// A new API token: the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
    pub name: String,
}

/// One of your API tokens (never its secret).
#[derive(Serialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub created: String,
}

/// An account as an admin sees it.
#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created: String,
    /// Photos uploaded.
    pub photos: i64,
    /// Whether a password is set (an invite was accepted).
    pub active: bool,
}

/// An account and the link its owner opens to set a password.
#[derive(Serialize, ToSchema)]
pub struct Invited {
    pub user: User,
    pub invite_url: String,
}

/// A guideline number as written (0.38, not 0.3799999952316284): the shortest decimal that
/// reads back as the same `f32`.
fn as_written(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// One output picture of the guideline.
#[derive(Serialize, ToSchema)]
pub struct VariantView {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// File extension: jpg, png or webp.
    pub format: String,
    pub eye_line: Option<f64>,
    pub eye_to_chin: Option<f64>,
    pub center_x: f64,
    pub eye_line_tolerance: Option<f64>,
    pub eye_to_chin_tolerance: Option<f64>,
    pub crown_crop: Option<f64>,
}

impl VariantView {
    pub fn list(guide: &trueshot_guide::Guideline) -> Vec<VariantView> {
        guide
            .variant
            .iter()
            .map(|v| VariantView {
                name: v.name.clone(),
                width: v.width,
                height: v.height,
                format: v.format.extension().into(),
                eye_line: v.eye_line.map(as_written),
                eye_to_chin: v.eye_to_chin.map(as_written),
                center_x: as_written(v.center_x),
                eye_line_tolerance: v.eye_line.map(|_| as_written(v.eye_line_tolerance)),
                eye_to_chin_tolerance: v.eye_to_chin.map(|_| as_written(v.eye_to_chin_tolerance)),
                crown_crop: v.eye_line.map(|_| as_written(v.crown_crop)),
            })
            .collect()
    }
}

/// The guideline in force.
#[derive(Serialize, ToSchema)]
pub struct GuidelineView {
    pub name: String,
    pub toml: String,
    pub sha256: String,
    pub updated: String,
    pub updated_by: Option<String>,
    pub variants: Vec<VariantView>,
}

impl From<&crate::CurrentGuide> for GuidelineView {
    fn from(g: &crate::CurrentGuide) -> Self {
        GuidelineView {
            name: g.loaded.guide.name.clone(),
            toml: g.toml.clone(),
            sha256: g.loaded.sha256.clone(),
            updated: g.updated.clone(),
            updated_by: g.updated_by.clone(),
            variants: VariantView::list(&g.loaded.guide),
        }
    }
}

/// A guideline that would be accepted.
#[derive(Serialize, ToSchema)]
pub struct Validated {
    pub ok: bool,
    pub name: String,
    pub variants: Vec<VariantView>,
}

/// Photos queued again for the guideline in force.
#[derive(Serialize, ToSchema)]
pub struct Requeued {
    pub queued: usize,
    pub sha256: String,
}

/// Where the guideline's first variant wants the face, as fractions of the picture.
#[derive(Serialize, ToSchema)]
pub struct CheckTarget {
    pub eye_line: Option<f64>,
    pub eye_to_chin: Option<f64>,
    pub center_x: f64,
    /// Width over height.
    pub aspect: f64,
}

/// The live check of one frame.
#[derive(Serialize, ToSchema)]
pub struct CheckView {
    pub width: u32,
    pub height: u32,
    /// pass, warn or fail.
    #[schema(value_type = String)]
    pub status: trueshot_guide::Status,
    pub faces: usize,
    /// The main face: its box, landmarks, pose and measures.
    #[schema(value_type = Option<Object>)]
    pub face: Option<FaceReport>,
    /// What to fix, most important first.
    pub advice: Vec<String>,
    /// Every check of the guideline with its value, limit and advice.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<FindingReport>,
    pub target: CheckTarget,
}

impl CheckTarget {
    pub fn of(v: &trueshot_guide::Variant) -> CheckTarget {
        CheckTarget {
            eye_line: v.eye_line.map(as_written),
            eye_to_chin: v.eye_to_chin.map(as_written),
            center_x: as_written(v.center_x),
            aspect: f64::from(v.width) / f64::from(v.height.max(1)),
        }
    }
}

/// Who uploaded a photo.
#[derive(Serialize, ToSchema)]
pub struct Owner {
    pub id: i64,
    pub email: String,
}

/// An admin's review of a photo.
#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    /// approved or rejected.
    pub decision: String,
    pub comment: Option<String>,
    pub by: Option<String>,
    pub at: Option<String>,
}

/// How a headshot measured against the original, each check in plain words.
#[derive(Serialize, ToSchema)]
pub struct HeadshotVerification {
    /// passed or failed.
    pub status: String,
    /// One number per check (keyed as the guideline's `[verify]`), and what explains them.
    #[schema(value_type = Object)]
    pub measures: Measures,
    /// The guideline's bound of each check.
    #[schema(value_type = Object)]
    pub bounds: Bounds,
    #[schema(value_type = Vec<Object>)]
    pub breaches: Vec<Breach>,
    /// Every check as people read it: `ok` is null when it was not measured.
    pub checks: Vec<CheckLine>,
}

/// The retouch asked for and the one delivered (weaker when a stronger one broke a bound).
#[derive(Serialize, ToSchema)]
pub struct RetouchView {
    pub requested: Option<String>,
    pub delivered: Option<String>,
}

/// One headshot of a photo.
#[derive(Serialize, ToSchema)]
pub struct Headshot {
    pub variant: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub url: String,
    /// The original in the same frame, for a before/after slider.
    pub before_url: Option<String>,
    pub verification: Option<HeadshotVerification>,
    pub retouch: RetouchView,
    /// Achieved eye_line, eye_to_chin, center_x (fractions of the headshot), roll_after,
    /// crown_crop.
    #[schema(value_type = Object)]
    pub framing: Framing,
    /// The guideline's eye_line, eye_to_chin, center_x.
    #[schema(value_type = Object)]
    pub target: Placement,
    /// How far from the target each quantity may be (portrait variants).
    #[schema(value_type = Option<Object>)]
    pub tolerance: Option<Window>,
    /// false: framed as closely to the guideline as the photo allows, outside its tolerances
    /// (flagged with advice).
    pub in_tolerance: bool,
}

/// A photo and its headshots.
#[derive(Serialize, ToSchema)]
pub struct PhotoView {
    pub id: i64,
    pub name: String,
    pub owner: Owner,
    /// queued, processing, ready, accepted, approved, rejected, refused, error or discarded.
    pub status: String,
    /// Why no headshot was made (refused or error), in one sentence.
    pub reason: Option<String>,
    /// What to fix, most important first.
    pub advice: Vec<String>,
    pub review: Option<ReviewView>,
    pub created: String,
    pub updated: String,
    pub original_url: String,
    pub thumbnail_url: Option<String>,
    pub headshots: Vec<Headshot>,
    /// Every check of the guideline with its value, limit and advice.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<FindingReport>,
    /// Whether the headshots are signed, and with which certificate.
    #[schema(value_type = Option<Object>)]
    pub content_credentials: Option<ContentCredentials>,
    /// The guideline the headshots were made with (compare with GET /api/guideline).
    pub guideline_sha256: Option<String>,
    /// Only from GET /api/photos/{id}: the whole processing report.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
}

impl PhotoView {
    /// A photo as the API shows it (`full`: with its report, the server's folders left out).
    pub fn new(p: &Photo, full: bool) -> PhotoView {
        let report = p
            .report
            .as_deref()
            .and_then(Report::parse)
            .unwrap_or_default();
        let base = format!("/api/photos/{}", p.id);
        let url = |f: &Option<String>| f.as_ref().map(|f| format!("{base}/files/{f}"));
        let headshots = report
            .variants()
            .iter()
            .filter_map(|v| {
                let file = v.file.as_ref()?;
                Some((v, format!("{base}/files/{file}")))
            })
            .map(|(v, file_url)| Headshot {
                variant: v.name.clone(),
                width: v.width,
                height: v.height,
                format: v.format.clone(),
                url: file_url,
                before_url: url(&v.before),
                verification: v.verification.as_ref().map(|ver| HeadshotVerification {
                    status: ver.status.clone(),
                    measures: ver.measures.clone(),
                    bounds: ver.bounds.clone(),
                    breaches: ver.breaches.clone(),
                    checks: ver.lines(),
                }),
                retouch: RetouchView {
                    requested: v.retouch.as_ref().map(|r| r.requested.clone()),
                    delivered: v.retouch.as_ref().map(|r| r.delivered.clone()),
                },
                framing: v.framing.clone(),
                target: v.target.clone(),
                tolerance: v.tolerance.clone(),
                in_tolerance: v.in_tolerance,
            })
            .collect();
        PhotoView {
            id: p.id,
            name: p.name.clone(),
            owner: Owner {
                id: p.owner.id,
                email: p.owner.email.clone(),
            },
            status: p.status().into(),
            reason: p.reason.clone(),
            advice: serde_json::from_str(&p.advice).unwrap_or_default(),
            review: p.review.as_ref().map(|r| ReviewView {
                decision: r.clone(),
                comment: p.review_comment.clone(),
                by: p.review_by.clone(),
                at: p.review_at.clone(),
            }),
            created: p.created.clone(),
            updated: p.updated.clone(),
            original_url: format!("{base}/original"),
            thumbnail_url: url(&report.thumbnail),
            headshots,
            findings: report.findings.clone().unwrap_or_default(),
            content_credentials: report.content_credentials.clone(),
            guideline_sha256: Some(report.guideline.sha256.clone()).filter(|s| !s.is_empty()),
            report: if full {
                p.report.as_deref().map(public_report)
            } else {
                None
            },
        }
    }
}

/// The report as the person may see it: the server's folders are not in it (its error is
/// already the sentence the person reads, see [`crate::worker`]).
fn public_report(report: &str) -> Value {
    let mut r: Value = serde_json::from_str(report).unwrap_or(Value::Null);
    if let Some(obj) = r.as_object_mut() {
        obj.remove("input");
    }
    r
}
