//! Which of a person's frames makes the best headshot.
//!
//! A frame is **unusable** when the headshot could not be honest or good whatever is done to it:
//! the eyes are closed, the face is blurred, someone else is close beside the person, or a
//! variant of the guideline cannot be framed from it (the person reaches a closed side, or the
//! face is too small). The usable frames are ranked by what a photographer looks at, each
//! relative to the person's best frame: sharpness at the eyes, how open the eyes are, the
//! expression the guideline asks for, a frontal head, the light on the face, and how well every
//! variant fits within its tolerances; each warning of the guideline's checks costs a little.
//!
//! Near-duplicates of a burst (frames taken within two seconds, or next to each other when the
//! camera wrote no time, whose faces correlate above 0.95) are grouped, so that the picks offered
//! for proofing are different pictures.

use serde::Serialize;
use trueshot_guide::Status;

use crate::shoot::{similarity, FaceLook, Fit};

/// Checks that make a frame unusable when they fail.
const HARD: [&str; 8] = [
    "right_eye_open",
    "left_eye_open",
    "sharpness",
    "face_count",
    "face_size",
    "room_above_head",
    "room_below_chin",
    "room_at_sides",
];

/// Weights of the ranking's parts (they sum to 1).
const WEIGHTS: [(&str, f32); 6] = [
    ("sharp at the eyes", 0.30),
    ("eyes open", 0.20),
    ("expression", 0.15),
    ("head pose", 0.15),
    ("light on the face", 0.10),
    ("framing", 0.10),
];

/// A frame with less than this share of the detail at the eyes of the person's sharpest frame
/// is soft: missed focus or motion blur that the guideline's own sharpness check, which judges the
/// whole face at headshot size, may still let through.
const SOFT: f32 = 0.5;

/// What each warning of the guideline's checks costs.
const WARNING: f32 = 0.03;

/// One frame's place among the person's frames.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    /// Index of the frame in the shoot (capture order).
    pub frame: usize,
    /// 0–1; higher is better. Unusable frames score 0.
    pub score: f32,
    /// The parts of the score (0–1 each, relative to the person's best frame), by name.
    pub parts: Vec<(&'static str, f32)>,
    /// Why the frame cannot be used, in the checks' own advice; empty when it can.
    pub unusable: Vec<String>,
    /// The burst the frame belongs to (frames of one burst share it).
    pub burst: usize,
}

/// A frame to rank: its index in the shoot, its face, and the seconds since the person's
/// previous frame (when both have a capture time).
pub struct Candidate<'a> {
    pub frame: usize,
    pub face: &'a FaceLook,
    pub seconds_after_previous: Option<f64>,
}

/// Ranks one person's frames (in capture order), best first.
pub fn rank(candidates: &[Candidate]) -> Vec<Ranked> {
    let best = |f: &dyn Fn(&FaceLook) -> f32| {
        candidates
            .iter()
            .map(|c| f(c.face))
            .fold(0.0f32, f32::max)
            .max(1e-6)
    };
    let sharp_max = best(&|f| f.eye_sharpness);
    let open = |f: &FaceLook| {
        f.value("right_eye_open")
            .unwrap_or(0.0)
            .min(f.value("left_eye_open").unwrap_or(0.0))
    };
    let open_max = best(&open);

    // Bursts: consecutive near-duplicates.
    let mut bursts = Vec::with_capacity(candidates.len());
    let mut burst = 0;
    for (k, c) in candidates.iter().enumerate() {
        if k > 0 {
            let prev = &candidates[k - 1];
            let close_in_time = c.seconds_after_previous.is_none_or(|s| s <= 2.0);
            let alike = similarity(&c.face.signature, &prev.face.signature) > 0.95;
            if !(close_in_time && alike) {
                burst += 1;
            }
        }
        bursts.push(burst);
    }

    let mut ranked: Vec<Ranked> = candidates
        .iter()
        .zip(bursts)
        .map(|(c, burst)| {
            let f = c.face;
            let mut unusable: Vec<String> = HARD
                .iter()
                .filter_map(|&check| f.finding(check))
                .filter(|x| x.status == Status::Fail)
                .map(|x| x.advice.clone())
                .collect();
            let sharp = f.eye_sharpness / sharp_max;
            if sharp < SOFT && unusable.is_empty() {
                unusable.push(format!(
                    "soft at the eyes: {:.0} % of the detail of the person's sharpest frame",
                    100.0 * sharp
                ));
            }
            for (variant, fit) in &f.fits {
                if *fit == Fit::No && unusable.is_empty() {
                    unusable.push(format!("the {variant} headshot cannot be framed from it"));
                }
            }
            let status_part = |checks: &[&str]| {
                checks
                    .iter()
                    .map(|c| match f.status(c) {
                        Status::Pass => 1.0,
                        Status::Warn => 0.5,
                        Status::Fail => 0.0,
                    })
                    .fold(1.0f32, f32::min)
            };
            let pose = {
                // Degrees off frontal, each against 20°.
                let off = ["head_yaw", "head_pitch", "head_roll"]
                    .iter()
                    .map(|c| (f.value(c).unwrap_or(0.0).abs() / 20.0).min(1.0))
                    .sum::<f32>()
                    / 3.0;
                (1.0 - off) * status_part(&["head_yaw", "head_pitch", "head_roll"])
            };
            let framing = if f.fits.is_empty() {
                1.0
            } else {
                f.fits
                    .iter()
                    .map(|(_, fit)| match fit {
                        Fit::InTolerance => 1.0,
                        Fit::WithinLimits => 0.5,
                        Fit::No => 0.0,
                    })
                    .sum::<f32>()
                    / f.fits.len() as f32
            };
            let parts = vec![
                (WEIGHTS[0].0, sharp.min(1.0)),
                (WEIGHTS[1].0, (open(f) / open_max).min(1.0)),
                (WEIGHTS[2].0, status_part(&["mouth_open", "smile"])),
                (WEIGHTS[3].0, pose),
                (
                    WEIGHTS[4].0,
                    status_part(&["face_exposure", "face_clipping", "light_balance"]),
                ),
                (WEIGHTS[5].0, framing),
            ];
            let warnings = f
                .findings
                .iter()
                .filter(|x| x.status == Status::Warn)
                .count() as f32;
            let score = if unusable.is_empty() {
                let s: f32 = parts
                    .iter()
                    .zip(WEIGHTS)
                    .map(|((_, v), (_, w))| v * w)
                    .sum();
                (s - WARNING * warnings).max(0.001)
            } else {
                0.0
            };
            Ranked {
                frame: c.frame,
                score,
                parts,
                unusable,
                burst,
            }
        })
        .collect();
    // Best first; among equals the earlier frame.
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.frame.cmp(&b.frame)));
    ranked
}

/// The `n` frames to offer, best first: the best of each burst before a second of any burst.
pub fn picks(ranked: &[Ranked], n: usize) -> Vec<usize> {
    let usable: Vec<&Ranked> = ranked.iter().filter(|r| r.unusable.is_empty()).collect();
    let mut out: Vec<usize> = Vec::new();
    let mut bursts_used = std::collections::HashSet::new();
    for r in &usable {
        if out.len() < n && bursts_used.insert(r.burst) {
            out.push(r.frame);
        }
    }
    for r in &usable {
        if out.len() < n && !out.contains(&r.frame) {
            out.push(r.frame);
        }
    }
    out
}

/// Why the best frame won: the parts where it leads the best usable frame of another burst (or,
/// when there is none, the next frame) most, in words.
pub fn why_best(best: &Ranked, ranked: &[Ranked]) -> String {
    let usable = || {
        ranked
            .iter()
            .filter(|r| r.frame != best.frame && r.unusable.is_empty())
    };
    let next = usable()
        .find(|r| r.burst != best.burst)
        .or_else(|| usable().next());
    let Some(next) = next else {
        return "the only usable frame".into();
    };
    let mut leads: Vec<(&str, f32)> = best
        .parts
        .iter()
        .zip(&next.parts)
        .zip(WEIGHTS)
        .map(|(((name, a), (_, b)), (_, w))| (*name, (a - b) * w))
        .filter(|(_, gain)| *gain > 0.002)
        .collect();
    leads.sort_by(|a, b| b.1.total_cmp(&a.1));
    if leads.is_empty() {
        return format!(
            "scored {:.2} against {:.2} (fewer warnings)",
            best.score, next.score
        );
    }
    let names: Vec<&str> = leads.iter().take(3).map(|(n, _)| *n).collect();
    format!(
        "better than the runner-up in {} (score {:.2} against {:.2})",
        names.join(", "),
        best.score,
        next.score
    )
}
