//! A team page: every photo of a batch toned toward the batch's median scene and framed with the
//! head size and eye line the most photos can share.

use std::path::Path;

use trueshot_codec::Limits;
use trueshot_vision::{PerceiveOptions, Perception, PhotoView};

/// What every photo of a team shares: the median scene its tone is brought to and, per variant,
/// the shared head size and eye line (`None` for ID variants or when no photo allows any).
#[derive(Clone, Debug)]
pub struct Team {
    pub target: trueshot_retouch::SceneStats,
    pub framing: Vec<Option<trueshot_frame::Shared>>,
}

impl Team {
    /// Looks at every photo of the batch (a reduced decode and the analysis copy only): its
    /// scene statistics and main face. Photos that cannot be read are left out here (they are
    /// reported when processed). `photos` gives each photo's bytes and the name for messages.
    pub fn measure<'a>(
        perception: &Perception,
        guide: &trueshot_guide::Guideline,
        photos: impl IntoIterator<Item = (Vec<u8>, &'a Path)>,
    ) -> Team {
        let (target, faces) = team_target(photos, perception);
        Team {
            target,
            framing: shared_framing(guide, &faces),
        }
    }
}

/// One photo of a `--team` batch as the first look at it sees it: the main face, the body and the
/// photo's size.
struct TeamFace {
    face: trueshot_vision::Face,
    body: Option<trueshot_vision::Body>,
    width: u32,
    height: u32,
}

/// `--team`: every photo's scene statistics (a reduced decode and the analysis copy only), their
/// median, and every photo's main face. Photos that cannot be read are left out here and
/// reported when processed.
fn team_target<'a>(
    photos: impl IntoIterator<Item = (Vec<u8>, &'a Path)>,
    perception: &Perception,
) -> (trueshot_retouch::SceneStats, Vec<TeamFace>) {
    let mut all = Vec::new();
    let mut faces = Vec::new();
    for (bytes, name) in photos {
        let Ok(photo) = trueshot_codec::decode_bytes_reduced(
            &bytes,
            name,
            &Limits::default(),
            trueshot_vision::ANALYSIS_LONG_SIDE,
        ) else {
            continue;
        };
        let (fw, fh) = photo.full_size();
        let Ok(view) = PhotoView::with_full_size(&photo.image, fw, fh) else {
            continue;
        };
        let Ok(scene) = perception.perceive(
            &view,
            &PerceiveOptions {
                crown: true,
                ..PerceiveOptions::default()
            },
        ) else {
            continue;
        };
        let rects: Vec<trueshot_geom::Rect> = scene
            .faces
            .iter()
            .map(|f| f.bbox.scaled(view.scale))
            .collect();
        all.push(trueshot_retouch::scene_stats(view.analysis(), &rects));
        if let Some(face) = scene.faces.into_iter().next() {
            faces.push(TeamFace {
                face,
                body: scene.body,
                width: fw,
                height: fh,
            });
        }
    }
    (trueshot_retouch::team_target(&all), faces)
}

/// `--team`: per portrait variant, the head size and eye line inside the tolerances that the most
/// photos of the batch can have (nearest the target among equals), so that a team page has equal
/// heads; `None` for ID variants or when no photo allows any.
fn shared_framing(
    guide: &trueshot_guide::Guideline,
    faces: &[TeamFace],
) -> Vec<Option<trueshot_frame::Shared>> {
    let replace = guide.background.mode.replaces();
    guide
        .variant
        .iter()
        .map(|v| {
            let (Some(te), Some(tl)) = (v.eye_to_chin, v.eye_line) else {
                return None;
            };
            let tol = v.tolerance();
            const N: usize = 12;
            let mut best: Option<(usize, f32, trueshot_frame::Shared)> = None;
            for i in 0..=N {
                for j in 0..=N {
                    let at = |t: f32, w: f32, k: usize| t - w + 2.0 * w * k as f32 / N as f32;
                    let shared = trueshot_frame::Shared {
                        eye_to_chin: at(te, tol.eye_to_chin, i),
                        eye_line: at(tl, tol.eye_line, j),
                    };
                    let n = faces
                        .iter()
                        .filter(|t| {
                            trueshot_frame::fits(
                                &t.face,
                                t.body.as_ref(),
                                t.width,
                                t.height,
                                v,
                                &guide.framing,
                                trueshot_frame::Sides::likely(
                                    &t.face,
                                    t.body.as_ref(),
                                    t.width,
                                    t.height,
                                    replace,
                                ),
                                shared,
                            )
                        })
                        .count();
                    let d = ((shared.eye_to_chin - te) / tol.eye_to_chin.max(1e-3)).powi(2)
                        + ((shared.eye_line - tl) / tol.eye_line.max(1e-3)).powi(2);
                    if n > 0 && best.is_none_or(|b| n > b.0 || (n == b.0 && d < b.1)) {
                        best = Some((n, d, shared));
                    }
                }
            }
            best.map(|b| b.2)
        })
        .collect()
}
