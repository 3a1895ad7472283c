//! The guideline check of one photo (`trueshot check`, the web page's upload check and its live
//! camera guidance): decode the analysis copy, perceive, judge every check of the guideline.

use std::path::Path;

use trueshot_assess::{assess, overall, Finding};
use trueshot_codec::{decode_bytes_reduced, Limits};
use trueshot_guide::{Guideline, Status};
use trueshot_vision::{Face, PerceiveOptions, Perception, PhotoView, ANALYSIS_LONG_SIDE};

use crate::Error;

/// What the check found: the photo's size, its faces (main subject first), the main subject's
/// body, every finding and the worst status.
pub struct Report {
    pub width: u32,
    pub height: u32,
    pub faces: Vec<Face>,
    pub body: Option<trueshot_vision::Body>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
    pub worst: Status,
}

/// Checks a photo held in memory (`name` is only for messages). `live`: a video frame of the
/// person in front of the camera (the web page's live guidance), where distant faces are not
/// searched for and every millisecond counts.
pub fn check_bytes(
    bytes: &[u8],
    name: &Path,
    perception: &Perception,
    guide: &Guideline,
    limits: &Limits,
    live: bool,
) -> Result<Report, Error> {
    // The bytes are also screened for a declaration that generative AI made the photo.
    let photo = decode_bytes_reduced(bytes, name, limits, ANALYSIS_LONG_SIDE)?;
    judge(
        photo,
        trueshot_provenance::screen(bytes),
        name,
        perception,
        guide,
        live,
    )
}

/// Checks a photo already decoded (`ai`: what its bytes declare about generative AI).
pub fn judge(
    photo: trueshot_codec::DecodedPhoto,
    ai: Option<trueshot_provenance::AiDeclaration>,
    path: &Path,
    perception: &Perception,
    guide: &Guideline,
    live: bool,
) -> Result<Report, Error> {
    let (full_w, full_h) = photo.full_size();
    let view = PhotoView::with_full_size(&photo.image, full_w, full_h)
        .map_err(Error::vision(&path.display().to_string()))?;
    judge_view(&view, photo.notes, ai, path, perception, guide, live)
}

/// Checks a photo whose analysis copy is made (`notes`: what decoding it did).
pub fn judge_view(
    view: &PhotoView,
    notes: Vec<String>,
    ai: Option<trueshot_provenance::AiDeclaration>,
    path: &Path,
    perception: &Perception,
    guide: &Guideline,
    live: bool,
) -> Result<Report, Error> {
    let scene = perception
        .perceive(
            view,
            &PerceiveOptions {
                // The top of the hair: the framing planner keeps it in the frame.
                crown: true,
                far_faces: !live,
                ..PerceiveOptions::default()
            },
        )
        .map_err(Error::vision(&path.display().to_string()))?;
    let mut findings = assess(view, &scene, guide);
    // Room around the head is judged by the framing planner, as `process` will frame the photo.
    trueshot_frame::judge_room(&mut findings, &scene, guide);
    if let Some(ai) = &ai {
        findings.insert(
            0,
            crate::credentials::ai_finding(
                ai,
                guide.provenance.ai_inputs == trueshot_guide::AiInputs::Refuse,
            ),
        );
    }
    let worst = overall(&findings);
    let mut notes = notes;
    if scene.faces.len() > 1 {
        notes.push(
            "several faces: the largest, most central one is taken as the main subject".into(),
        );
    }
    Ok(Report {
        width: scene.width,
        height: scene.height,
        faces: scene.faces,
        body: scene.body,
        findings,
        notes,
        worst,
    })
}
