//! Framing: from the landmarks to a headshot that meets a guideline variant.
//!
//! [`plan`] levels the eyes (rotation about the eye midpoint, within the guideline's limit),
//! scales so that the eye-to-chin distance (or, for ID photos, the crown-to-chin head height)
//! has the guideline's size, and places the eye midpoint on the guideline's eye line and centre.
//! It reports what the photo lacks (canvas beyond its edges) and where the bottom edge would cut
//! through a joint or a hand. [`render`] resamples the photo through the plan in linear light;
//! [`sheet`] lays copies out on a print sheet.
//!
//! Pure geometry and resampling: no network, no pixels are invented. A plan that needs canvas
//! the photo does not have is refused by the caller unless the background is replaced.

mod planner;
mod render;
mod sheet;
mod warp;

pub use planner::{best_plan, fits, judge_room, Refusal, Shared, Sides};
pub use render::{render, render_all, RenderError};
pub use sheet::sheet;

use serde::Serialize;
use trueshot_assess::Finding;
use trueshot_geom::{Affine, Point};
use trueshot_guide::{Framing, Status, Target, Tolerance, Variant};
use trueshot_vision::{joint, Body, Face};

/// How far the output reaches beyond the photo on each side, as fractions of the output's
/// height (top, bottom) or width (left, right). Zero when the photo covers the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Missing {
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

impl Missing {
    pub fn any(&self) -> bool {
        self.top > 0.0 || self.bottom > 0.0 || self.left > 0.0 || self.right > 0.0
    }
    /// Advice for the side that lacks the most.
    pub fn advice(&self) -> &'static str {
        let worst = [self.top, self.bottom, self.left, self.right]
            .into_iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |w| w.0);
        match worst {
            0 => "leave more room above your head: tilt the camera up a little or step back",
            1 => "show more of your shoulders: step back from the camera or lower it to chest height",
            2 => "stand nearer the middle of the picture: you are too close to its left edge, or step back",
            _ => "stand nearer the middle of the picture: you are too close to its right edge, or step back",
        }
    }
}

/// The framing achieved in the output, measured by mapping the landmarks through the plan.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Achieved {
    /// Eye midpoint height from the top, fraction of the output height.
    pub eye_line: f32,
    /// Eye midpoint to chin, fraction of the output height.
    pub eye_to_chin: f32,
    /// Eye midpoint, fraction of the output width.
    pub center_x: f32,
    /// Angle of the eye line in the output, degrees (clockwise positive).
    pub roll_after: f32,
    /// Crown to chin, fraction of the output height (vertical extent).
    pub head_height: f32,
    /// Eye line from the bottom, fraction of the output height.
    pub eye_from_bottom: f32,
    /// Share of the head's height (crown to chin) above the top edge; 0 when the crown is inside.
    pub crown_crop: f32,
}

/// How one variant is cut from one photo.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub variant: String,
    pub width: u32,
    pub height: u32,
    pub target: Target,
    /// Maps photo pixels (upright) to output pixels.
    #[serde(skip)]
    pub to_output: Affine,
    /// Output pixels per photo pixel: above 1 the photo is enlarged.
    pub scale: f32,
    /// Rotation applied to level the eyes, degrees (clockwise positive).
    pub levelled_deg: f32,
    pub missing: Missing,
    pub achieved: Achieved,
    /// Portrait variants planned by [`best_plan`]: the tolerances the framing was judged by.
    pub tolerance: Option<Tolerance>,
    /// Whether the achieved framing is within the tolerances (exact plans: always).
    pub in_tolerance: bool,
}

impl Plan {
    /// The source-to-output map as `[a, b, c, d, e, f]`: `x' = a x + b y + c`, `y' = d x + e y + f`.
    pub fn affine_array(&self) -> [f32; 6] {
        let m = self.to_output;
        [m.a, m.b, m.c, m.d, m.e, m.f]
    }
}

/// Plans one variant for the main face of a `photo_w`×`photo_h` photo.
pub fn plan(face: &Face, photo_w: u32, photo_h: u32, variant: &Variant, framing: &Framing) -> Plan {
    let (w, h) = (variant.width as f32, variant.height as f32);
    let eye_mid = face.eye_midpoint();
    let eye_to_chin = trueshot_assess::eye_to_chin(face).max(1.0);
    let target = variant.target(eye_to_chin, face.eye_to_crown());
    // Level the eyes, but never rotate by more than the guideline allows.
    let limit = framing.max_level_deg.to_radians();
    let theta = face.eye_angle().clamp(-limit, limit);
    let s = target.eye_to_chin * h / eye_to_chin;
    let (cos, sin) = (theta.cos(), theta.sin());
    let (cx, cy) = (target.center_x * w, target.eye_line * h);
    // out = c_out + s R(-θ) (src - c_src)
    let (a, b, d, e) = (s * cos, s * sin, -s * sin, s * cos);
    let to_output = Affine {
        a,
        b,
        c: cx - (a * eye_mid.x + b * eye_mid.y),
        d,
        e,
        f: cy - (d * eye_mid.x + e * eye_mid.y),
    };
    let missing = missing(&to_output, photo_w, photo_h, variant.width, variant.height);
    let achieved = achieved(face, &to_output, w, h);
    Plan {
        variant: variant.name.clone(),
        width: variant.width,
        height: variant.height,
        target,
        to_output,
        scale: s,
        levelled_deg: theta.to_degrees(),
        missing,
        achieved,
        tolerance: None,
        in_tolerance: true,
    }
}

fn achieved(face: &Face, m: &Affine, w: f32, h: f32) -> Achieved {
    let r = m.apply(face.right_eye.iris_center);
    let l = m.apply(face.left_eye.iris_center);
    let mid = r.midpoint(l);
    let chin = m.apply(face.chin);
    let crown = m.apply(face.crown());
    Achieved {
        eye_line: mid.y / h,
        eye_to_chin: mid.distance(chin) / h,
        center_x: mid.x / w,
        roll_after: (l.y - r.y).atan2(l.x - r.x).to_degrees(),
        head_height: (chin.y - crown.y) / h,
        eye_from_bottom: 1.0 - mid.y / h,
        crown_crop: if crown.y < 0.0 && chin.y > crown.y {
            (-crown.y / (chin.y - crown.y)).min(1.0)
        } else {
            0.0
        },
    }
}

/// How far the output reaches beyond the photo on each side (tolerance: half a photo pixel).
fn missing(to_output: &Affine, photo_w: u32, photo_h: u32, out_w: u32, out_h: u32) -> Missing {
    let Some(to_photo) = to_output.inverse() else {
        return Missing {
            top: 1.0,
            bottom: 1.0,
            left: 1.0,
            right: 1.0,
        };
    };
    let (pw, ph) = (photo_w as f32 + 0.5, photo_h as f32 + 0.5);
    let (w, h) = (out_w as f32, out_h as f32);
    // Sample the output; a sample beyond the photo's top edge counts for the output's top (the
    // levelling rotation is at most 45°), and the side's depth is how far inward it reaches.
    let mut m = Missing::default();
    const N: usize = 96;
    for j in 0..=N {
        let y = 0.5 + (h - 1.0) * j as f32 / N as f32;
        for i in 0..=N {
            let x = 0.5 + (w - 1.0) * i as f32 / N as f32;
            let p = to_photo.apply(Point::new(x, y));
            if p.y < -0.5 {
                m.top = m.top.max((y + 0.5) / h);
            }
            if p.y > ph {
                m.bottom = m.bottom.max((h - y + 0.5) / h);
            }
            if p.x < -0.5 {
                m.left = m.left.max((x + 0.5) / w);
            }
            if p.x > pw {
                m.right = m.right.max((w - x + 0.5) / w);
            }
        }
    }
    m
}

/// Where the crop would cut the person badly: the bottom edge across the chin, an elbow or a
/// wrist, or a hand cut by any edge. The framing itself is fixed by the guideline, so these are
/// reported for the photographer, not silently "fixed" by changing the head size.
pub fn crop_findings(
    plan: &Plan,
    face: &Face,
    body: Option<&Body>,
    framing: &Framing,
) -> Vec<Finding> {
    let (w, h) = (plan.width as f32, plan.height as f32);
    let m = &plan.to_output;
    let clearance = framing.joint_clearance * h;
    let mut cuts: Vec<&'static str> = Vec::new();
    let chin = m.apply(face.chin);
    if (chin.y - h).abs() < clearance.max(1.0) || chin.y > h {
        cuts.push("the chin");
    }
    let mut hands: Vec<&'static str> = Vec::new();
    if let Some(body) = body {
        let seen = |i: usize| {
            let j = body.joints[i];
            (j.visibility > 0.5 && j.presence > 0.5).then(|| m.apply(j.point))
        };
        for (i, name) in [
            (joint::LEFT_ELBOW, "the left elbow"),
            (joint::RIGHT_ELBOW, "the right elbow"),
            (joint::LEFT_WRIST, "the left wrist"),
            (joint::RIGHT_WRIST, "the right wrist"),
        ] {
            if let Some(p) = seen(i) {
                if (0.0..=w).contains(&p.x) && (p.y - h).abs() < clearance {
                    cuts.push(name);
                }
            }
        }
        for (wrist, index, name) in [
            (joint::LEFT_WRIST, joint::LEFT_INDEX, "left"),
            (joint::RIGHT_WRIST, joint::RIGHT_INDEX, "right"),
        ] {
            let points: Vec<Point> = [wrist, index].into_iter().filter_map(seen).collect();
            if points.len() < 2 {
                continue;
            }
            let inside = |p: &Point| (0.0..w).contains(&p.x) && (0.0..h).contains(&p.y);
            let n_in = points.iter().filter(|p| inside(p)).count();
            if n_in > 0 && n_in < points.len() {
                hands.push(name);
            }
        }
    }
    let mut out = Vec::new();
    out.push(Finding {
        check: "crop_at_joint",
        status: if cuts.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        },
        value: Some(cuts.len() as f32),
        advice: if cuts.is_empty() {
            String::new()
        } else {
            format!(
                "the {} output's bottom edge falls on {}: keep arms lower or further from the body, or use a guideline with another head size",
                plan.variant,
                cuts.join(", ")
            )
        },
    });
    out.push(Finding {
        check: "hand_at_edge",
        status: if hands.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        },
        value: Some(hands.len() as f32),
        advice: if hands.is_empty() {
            String::new()
        } else {
            format!(
                "the {} hand is cut by the edge of the {} output: lower it out of the frame or bring it fully in",
                hands.join(" and "),
                plan.variant
            )
        },
    });
    out
}
