//! The best honest framing of one variant: nearest the guideline's target within its
//! tolerances, never inventing any part of the person.
//!
//! A portrait framing has three free quantities, each a fraction of the output: the head size
//! (eye-to-chin `e`), the eye line `l` and the horizontal centre `c`; the levelling angle is fixed
//! by the eyes. Every rule a framing must keep is a half-plane in (`l`, `c`) once `e` is fixed:
//!
//! - a *closed* side of the photo (the background is kept, or the person reaches that edge) may not
//!   be crossed: the two output corners on that side map inside the photo;
//! - the chin stays `joint_clearance` above the bottom edge; at most `crown_crop` of the head's
//!   height lies above the top edge;
//! - each quantity stays inside its tolerance (or, for the fallback, its limit).
//!
//! For one `e` the nearest point of a convex polygon to the target (distance measured in units of
//! each quantity's tolerance) is the target itself, its projection on an edge, or a vertex; all
//! are tried, so within one head size the optimum is exact. The head sizes are searched on a fine
//! grid that includes the range's ends and the target. A framing that fits at head size `e` also
//! fits at every larger one (the output window is a scaling of itself about the eyes), so the grid
//! cannot miss an in-tolerance framing that exists: at worst it finds one a grid step larger.
//! Elbows and wrists on the bottom edge are avoided as long as some framing avoids them.

use serde::Serialize;
use trueshot_geom::{Affine, Point};
use trueshot_guide::{Framing, Tolerance, Variant};
use trueshot_vision::{joint, Body, Face};

use crate::{achieved, missing, Missing, Plan};

/// The sides of the photo that no framing may cross: beyond them the output would need canvas the
/// photo does not have, and either the photo's own background is kept or the person reaches that
/// edge (the body continues there).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sides {
    pub top: bool,
    pub bottom: bool,
    pub left: bool,
    pub right: bool,
}

impl Sides {
    /// Every side closed: the photo's own background is kept, so nothing beyond it may be shown.
    pub const ALL: Sides = Sides {
        top: true,
        bottom: true,
        left: true,
        right: true,
    };
    /// No side closed: canvas beyond the photo may become new background anywhere.
    pub const NONE: Sides = Sides {
        top: false,
        bottom: false,
        left: false,
        right: false,
    };
    /// `missing` with the open sides left out: what the photo lacks where it may not be extended.
    pub fn mask(&self, m: Missing) -> Missing {
        Missing {
            top: if self.top { m.top } else { 0.0 },
            bottom: if self.bottom { m.bottom } else { 0.0 },
            left: if self.left { m.left } else { 0.0 },
            right: if self.right { m.right } else { 0.0 },
        }
    }
}

/// A head size and eye line that a whole team shares (`--team`), fractions of the output.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Shared {
    pub eye_to_chin: f32,
    pub eye_line: f32,
}

/// Why no framing of a variant can be made from a photo.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Even the smallest head this variant allows would enlarge the photo more than the limit.
    TooSmall { upscale: f32, max_upscale: f32 },
    /// Every framing within the variant's limits needs canvas beyond a closed side, or cuts the
    /// head or chin; `missing` is what the target framing lacks on the closed sides.
    NoRoom { missing: Missing },
}

impl Refusal {
    /// One plain sentence for the person in the photo.
    pub fn message(&self, variant: &Variant) -> String {
        match self {
            Refusal::TooSmall {
                upscale,
                max_upscale,
            } => format!(
                "{} {}×{}: your face is too small in this photo: it would have to be enlarged {upscale:.1}× (at most {max_upscale:.1}× allowed): move closer to the camera or use a photo with more pixels",
                variant.name, variant.width, variant.height
            ),
            Refusal::NoRoom { missing } => format!(
                "{} {}×{} needs more of you than the photo shows, even framed as tightly as this headshot allows: {}",
                variant.name,
                variant.width,
                variant.height,
                if missing.any() {
                    missing.advice()
                } else {
                    "leave more room above your head: tilt the camera up a little or step back"
                }
            ),
        }
    }
}

/// Plans one portrait variant: the framing nearest the target within the tolerances that the
/// photo allows, else (`fallback`) the nearest within the variant's limits, else a refusal.
/// `shared`: a team's common head size and eye line, aimed at instead of the target where the
/// photo allows. ID-photo variants are planned exactly ([`crate::plan`]) and judged by their ranges.
#[allow(clippy::too_many_arguments)]
pub fn best_plan(
    face: &Face,
    body: Option<&Body>,
    photo_w: u32,
    photo_h: u32,
    variant: &Variant,
    framing: &Framing,
    closed: Sides,
    fallback: bool,
    shared: Option<Shared>,
) -> Result<Plan, Refusal> {
    let nominal = crate::plan(face, photo_w, photo_h, variant, framing);
    if variant.is_id_photo() {
        // ID photos: the exact plan; their head-height and eye-height ranges are judged by the caller.
        if nominal.scale > framing.max_upscale {
            return Err(Refusal::TooSmall {
                upscale: nominal.scale,
                max_upscale: framing.max_upscale,
            });
        }
        let blocked = closed.mask(nominal.missing);
        if blocked.any() {
            return Err(Refusal::NoRoom { missing: blocked });
        }
        return Ok(nominal);
    }
    let geo = Geometry::new(face, body, photo_w, photo_h, variant, framing, None);
    let target = nominal.target;
    let tol = variant.tolerance();
    let lim = variant.limit();
    // The smallest head allowed is already too much enlargement.
    let e_cap = framing.max_upscale * geo.eye_to_chin_px / geo.h;
    let smallest = target.eye_to_chin
        - if fallback {
            lim.eye_to_chin
        } else {
            tol.eye_to_chin
        };
    if e_cap < smallest {
        return Err(Refusal::TooSmall {
            upscale: smallest * geo.h / geo.eye_to_chin_px,
            max_upscale: framing.max_upscale,
        });
    }
    let aim = match shared {
        Some(s) => (s.eye_to_chin, s.eye_line, target.center_x),
        None => (target.eye_to_chin, target.eye_line, target.center_x),
    };
    let target3 = (target.eye_to_chin, target.eye_line, target.center_x);
    let mut passes = vec![(tol, true, true)];
    if fallback {
        passes.push((lim, true, false));
    }
    passes.push((tol, false, true));
    if fallback {
        passes.push((lim, false, false));
    }
    // The eyes are levelled as far as the guideline allows. Levelling turns the frame's corners
    // out toward the photo's edges; when no framing fits levelled, half the levelling and then
    // none are tried before refusing (a flagged headshot with the head as the camera saw it).
    let mut levels = vec![geo.theta];
    if fallback && geo.theta.abs() > 1e-3 {
        levels.extend([0.5 * geo.theta, 0.0]);
    }
    for (i, theta) in levels.into_iter().enumerate() {
        let geo = Geometry::new(face, body, photo_w, photo_h, variant, framing, Some(theta));
        for &(window, avoid_joints, in_tolerance) in &passes {
            if let Some((e, l, c)) =
                geo.search(target3, aim, &tol, &window, e_cap, closed, avoid_joints)
            {
                let mut plan = geo.plan(face, &nominal, e, l, c);
                plan.in_tolerance = i == 0 && in_tolerance && geo.within(&plan, target3, &tol);
                plan.tolerance = Some(tol);
                return Ok(plan);
            }
        }
    }
    // Nothing fits. If a larger enlargement would have let a framing fit, the face is too small
    // for this variant; otherwise the photo lacks room.
    let widest = if fallback { lim } else { tol };
    if let Some((e, _, _)) = geo.search(target3, aim, &tol, &widest, f32::INFINITY, closed, false) {
        return Err(Refusal::TooSmall {
            upscale: e * geo.h / geo.eye_to_chin_px,
            max_upscale: framing.max_upscale,
        });
    }
    Err(Refusal::NoRoom {
        missing: closed.mask(nominal.missing),
    })
}

/// Whether a framing at head size `e` and eye line `l` (with some centre inside the tolerance)
/// keeps every rule: what a team's shared framing is chosen from.
#[allow(clippy::too_many_arguments)]
pub fn fits(
    face: &Face,
    body: Option<&Body>,
    photo_w: u32,
    photo_h: u32,
    variant: &Variant,
    framing: &Framing,
    closed: Sides,
    shared: Shared,
) -> bool {
    let geo = Geometry::new(face, body, photo_w, photo_h, variant, framing, None);
    let nominal = variant.target(geo.eye_to_chin_px, face.eye_to_crown());
    let tol = variant.tolerance();
    if shared.eye_to_chin * geo.h / geo.eye_to_chin_px > framing.max_upscale {
        return false;
    }
    let window = Tolerance {
        eye_to_chin: 0.0,
        eye_line: 0.0,
        ..tol
    };
    let t = (shared.eye_to_chin, shared.eye_line, nominal.center_x);
    geo.search(t, t, &tol, &window, f32::INFINITY, closed, true)
        .is_some()
}

/// A line `a·l + b·c = k` of the (eye line, centre) plane; its half-plane is `a·l + b·c ≤ k`.
#[derive(Clone, Copy, Debug)]
struct Half {
    a: f32,
    b: f32,
    k: f32,
}

impl Half {
    fn holds(&self, l: f32, c: f32) -> bool {
        self.a * l + self.b * c <= self.k + 1e-6 * (1.0 + self.k.abs())
    }
}

/// A joint the bottom edge should not cut: its offset from the eye midpoint in the levelled frame.
struct JointAt {
    /// Across (output x direction) and down (output y direction), photo pixels.
    across: f32,
    down: f32,
}

/// The photo-side facts of one face, for one variant.
struct Geometry {
    eye: Point,
    cos: f32,
    sin: f32,
    theta: f32,
    eye_to_chin_px: f32,
    photo_w: f32,
    photo_h: f32,
    w: f32,
    h: f32,
    /// Crown and chin below the eye midpoint in the levelled frame (the crown's is negative).
    crown_down: f32,
    chin_down: f32,
    joint_clearance: f32,
    joints: Vec<JointAt>,
}

impl Geometry {
    fn new(
        face: &Face,
        body: Option<&Body>,
        photo_w: u32,
        photo_h: u32,
        variant: &Variant,
        framing: &Framing,
        theta: Option<f32>,
    ) -> Geometry {
        // The guideline's levelling unless another angle is asked for.
        let limit = framing.max_level_deg.to_radians();
        let theta = theta.unwrap_or_else(|| face.eye_angle().clamp(-limit, limit));
        let (cos, sin) = (theta.cos(), theta.sin());
        let eye = face.eye_midpoint();
        // In the levelled output frame: across = cos·dx + sin·dy, down = −sin·dx + cos·dy.
        let down = |p: Point| -sin * (p.x - eye.x) + cos * (p.y - eye.y);
        let across = |p: Point| cos * (p.x - eye.x) + sin * (p.y - eye.y);
        let mut joints = Vec::new();
        if let Some(body) = body {
            for i in [
                joint::LEFT_ELBOW,
                joint::RIGHT_ELBOW,
                joint::LEFT_WRIST,
                joint::RIGHT_WRIST,
            ] {
                let j = body.joints[i];
                if j.visibility > 0.5 && j.presence > 0.5 {
                    joints.push(JointAt {
                        across: across(j.point),
                        down: down(j.point),
                    });
                }
            }
        }
        Geometry {
            eye,
            cos,
            sin,
            theta,
            eye_to_chin_px: trueshot_assess::eye_to_chin(face).max(1.0),
            photo_w: photo_w as f32,
            photo_h: photo_h as f32,
            w: variant.width as f32,
            h: variant.height as f32,
            crown_down: down(face.crown()),
            chin_down: down(face.chin),
            joint_clearance: framing.joint_clearance,
            joints,
        }
    }

    /// The half-planes in (eye line, centre) that a framing at head size `e` must keep.
    fn halves(&self, e: f32, crown_crop: f32, closed: Sides) -> Vec<Half> {
        let s = e * self.h / self.eye_to_chin_px;
        let u = 1.0 / s;
        let (w, h, cos, sin) = (self.w, self.h, self.cos, self.sin);
        // Photo point of output (x, y): eye + u·R(θ)·((x, y) − (c·W, l·H)), so
        //   src.y = eye.y + u(sin·x + cos·y) − u·sin·W·c − u·cos·H·l
        //   src.x = eye.x + u(cos·x − sin·y) − u·cos·W·c + u·sin·H·l
        // A quarter pixel inside the photo, so the sampled check in `missing` finds nothing.
        let margin = 0.25;
        let (x0, x1, y0, y1) = (0.5, w - 0.5, 0.5, h - 0.5);
        let mut out = Vec::with_capacity(16);
        for x in [x0, x1] {
            if closed.top {
                // src.y ≥ −margin at the top corners
                out.push(Half {
                    a: u * cos * h,
                    b: u * sin * w,
                    k: self.eye.y + u * (sin * x + cos * y0) + margin,
                });
            }
            if closed.bottom {
                out.push(Half {
                    a: -u * cos * h,
                    b: -u * sin * w,
                    k: self.photo_h - margin - self.eye.y - u * (sin * x + cos * y1),
                });
            }
        }
        for y in [y0, y1] {
            if closed.left {
                // src.x ≥ −margin at the left corners
                out.push(Half {
                    a: -u * sin * h,
                    b: u * cos * w,
                    k: self.eye.x + u * (cos * x0 - sin * y) + margin,
                });
            }
            if closed.right {
                out.push(Half {
                    a: u * sin * h,
                    b: -u * cos * w,
                    k: self.photo_w - margin - self.eye.x - u * (cos * x1 - sin * y),
                });
            }
        }
        // Output y of a point `down` below the eyes: l·H + s·down.
        // Chin at least `joint_clearance` above the bottom edge.
        out.push(Half {
            a: h,
            b: 0.0,
            k: h * (1.0 - self.joint_clearance) - s * self.chin_down,
        });
        // Crown: y_crown ≥ −crop·(y_chin − y_crown).
        let head = (self.chin_down - self.crown_down).max(0.0);
        out.push(Half {
            a: -h,
            b: 0.0,
            k: s * (self.crown_down + crown_crop * head),
        });
        out
    }

    /// Whether an elbow or wrist lies within `joint_clearance` of the bottom edge, inside the width.
    fn cuts_joint(&self, e: f32, l: f32, c: f32) -> bool {
        let s = e * self.h / self.eye_to_chin_px;
        let band = self.joint_clearance * self.h;
        self.joints.iter().any(|j| {
            let x = c * self.w + s * j.across;
            let y = l * self.h + s * j.down;
            (0.0..=self.w).contains(&x) && (y - self.h).abs() < band
        })
    }

    /// The lines where a joint's distance from the bottom edge is exactly the clearance: the
    /// edges of the eye-line bands the search should try.
    fn joint_lines(&self, e: f32) -> Vec<Half> {
        let s = e * self.h / self.eye_to_chin_px;
        let band = self.joint_clearance * self.h;
        let mut out = Vec::new();
        for j in &self.joints {
            for edge in [self.h - band - 0.5, self.h + band + 0.5] {
                out.push(Half {
                    a: self.h,
                    b: 0.0,
                    k: edge - s * j.down,
                });
            }
        }
        out
    }

    /// The framing (e, l, c) nearest `aim` inside `window` around `target` (and the rules),
    /// distances in units of the tolerance; `None` when no framing keeps them.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        target: (f32, f32, f32),
        aim: (f32, f32, f32),
        tol: &Tolerance,
        window: &Tolerance,
        e_cap: f32,
        closed: Sides,
        avoid_joints: bool,
    ) -> Option<(f32, f32, f32)> {
        let (te, tl, tc) = target;
        // Tolerances of 0 still need a unit for distances.
        let unit = |t: f32| t.max(0.005);
        let (ue, ul, uc) = (
            unit(tol.eye_to_chin),
            unit(tol.eye_line),
            unit(tol.center_x),
        );
        let e_lo = (te - window.eye_to_chin).max(0.01);
        let e_hi = (te + window.eye_to_chin).min(e_cap);
        if e_hi < e_lo {
            return None;
        }
        let (l_lo, l_hi) = (
            (tl - window.eye_line).max(0.02),
            (tl + window.eye_line).min(0.98),
        );
        let (c_lo, c_hi) = (
            (tc - window.center_x).max(0.02),
            (tc + window.center_x).min(0.98),
        );
        const STEPS: usize = 96;
        let steps = if e_hi - e_lo > 1e-6 { STEPS } else { 0 };
        let mut sizes: Vec<f32> = (0..=steps)
            .map(|i| e_lo + (e_hi - e_lo) * i as f32 / STEPS as f32)
            .collect();
        if steps > 0 && (e_lo..=e_hi).contains(&aim.0) {
            sizes.push(aim.0);
        }
        // Nearest head sizes first: the head size's own term bounds the cost from below, so the
        // search ends once it alone exceeds the best cost found.
        sizes.sort_by(|a, b| (a - aim.0).abs().total_cmp(&(b - aim.0).abs()));
        let mut best: Option<(f32, (f32, f32, f32))> = None;
        for e in sizes {
            let de = (e - aim.0) / ue;
            if best.is_some_and(|b| de * de >= b.0) {
                break;
            }
            let mut halves = self.halves(e, window.crown_crop, closed);
            halves.extend([
                Half {
                    a: 1.0,
                    b: 0.0,
                    k: l_hi,
                },
                Half {
                    a: -1.0,
                    b: 0.0,
                    k: -l_lo,
                },
                Half {
                    a: 0.0,
                    b: 1.0,
                    k: c_hi,
                },
                Half {
                    a: 0.0,
                    b: -1.0,
                    k: -c_lo,
                },
            ]);
            let mut lines = halves.clone();
            if avoid_joints {
                lines.extend(self.joint_lines(e));
            }
            let cost =
                |l: f32, c: f32| de * de + ((l - aim.1) / ul).powi(2) + ((c - aim.2) / uc).powi(2);
            let mut consider = |l: f32, c: f32| {
                if !(l.is_finite() && c.is_finite() && halves.iter().all(|h| h.holds(l, c))) {
                    return;
                }
                if avoid_joints && self.cuts_joint(e, l, c) {
                    return;
                }
                let k = cost(l, c);
                if best.is_none_or(|b| k < b.0) {
                    best = Some((k, (e, l, c)));
                }
            };
            consider(aim.1, aim.2);
            // Projections of the aim onto each line, in tolerance units.
            for g in &lines {
                let (a, b) = (g.a * ul, g.b * uc);
                let n2 = a * a + b * b;
                if n2 < 1e-12 {
                    continue;
                }
                let t = (g.k - g.a * aim.1 - g.b * aim.2) / n2;
                consider(aim.1 + t * a * ul, aim.2 + t * b * uc);
            }
            // Vertices.
            for (i, g) in lines.iter().enumerate() {
                for q in &lines[i + 1..] {
                    let det = g.a * q.b - g.b * q.a;
                    if det.abs() < 1e-9 {
                        continue;
                    }
                    consider((g.k * q.b - g.b * q.k) / det, (g.a * q.k - g.k * q.a) / det);
                }
            }
        }
        best.map(|b| b.1)
    }

    /// The plan for head size `e`, eye line `l` and centre `c`.
    fn plan(&self, face: &Face, nominal: &Plan, e: f32, l: f32, c: f32) -> Plan {
        let s = e * self.h / self.eye_to_chin_px;
        let (a, b, d, ee) = (s * self.cos, s * self.sin, -s * self.sin, s * self.cos);
        let (cx, cy) = (c * self.w, l * self.h);
        let to_output = Affine {
            a,
            b,
            c: cx - (a * self.eye.x + b * self.eye.y),
            d,
            e: ee,
            f: cy - (d * self.eye.x + ee * self.eye.y),
        };
        let (pw, ph) = (self.photo_w as u32, self.photo_h as u32);
        let mut plan = nominal.clone();
        plan.missing = missing(&to_output, pw, ph, plan.width, plan.height);
        plan.achieved = achieved(face, &to_output, self.w, self.h);
        plan.to_output = to_output;
        plan.scale = s;
        plan.levelled_deg = self.theta.to_degrees();
        plan
    }

    /// Whether the plan's achieved framing is inside the tolerances (a hair of slack for rounding).
    fn within(&self, plan: &Plan, target: (f32, f32, f32), tol: &Tolerance) -> bool {
        let a = &plan.achieved;
        let slack = 1e-3;
        (a.eye_to_chin - target.0).abs() <= tol.eye_to_chin + slack
            && (a.eye_line - target.1).abs() <= tol.eye_line + slack
            && (a.center_x - target.2).abs() <= tol.center_x + slack
            && a.crown_crop <= tol.crown_crop + slack
    }
}

impl Sides {
    /// The sides a framing should not count on crossing before any matte is made (`check`, the
    /// live check, a team's first look): all of them with the photo's own background kept;
    /// otherwise the bottom (the body continues below a portrait), the top when the head is cut
    /// off, and a side the shoulders come near (every side, when the shoulders are not seen).
    pub fn likely(
        face: &Face,
        body: Option<&Body>,
        photo_w: u32,
        photo_h: u32,
        background_replaced: bool,
    ) -> Sides {
        if !background_replaced {
            return Sides::ALL;
        }
        let top = matches!(
            face.crown_source,
            Some(trueshot_vision::CrownSource::CutOff)
        ) || face.crown().y < 0.01 * photo_h as f32;
        let shoulders: Vec<f32> = body
            .iter()
            .flat_map(|b| {
                [
                    b.joints[joint::LEFT_SHOULDER],
                    b.joints[joint::RIGHT_SHOULDER],
                ]
            })
            .filter(|j| j.visibility > 0.5 && j.presence > 0.5)
            .map(|j| j.point.x)
            .collect();
        let (left, right) = match shoulders.as_slice() {
            [a, b] => {
                let span = (a - b).abs();
                let (lo, hi) = (a.min(*b) - 0.2 * span, a.max(*b) + 0.2 * span);
                (lo < 0.01 * photo_w as f32, hi > 0.99 * photo_w as f32)
            }
            _ => (true, true),
        };
        Sides {
            top,
            bottom: true,
            left,
            right,
        }
    }
}

/// Judges `check`'s room findings (`room_above_head`, `room_below_chin`, `room_at_sides`) by the
/// planner, so that the advice agrees with what `process` will make: pass when every variant can
/// be framed within its tolerances, warn when one can only be framed outside them (it is made and
/// flagged), fail when one cannot be made; the side the target framing lacks gets the status.
/// The values (room available over room needed for the first variant's target) stay as measured.
pub fn judge_room(
    findings: &mut [trueshot_assess::Finding],
    scene: &trueshot_vision::Scene,
    guide: &trueshot_guide::Guideline,
) {
    use trueshot_guide::Status;
    let Some(face) = scene.faces.first() else {
        return;
    };
    let body = scene.body.as_ref();
    let (w, h) = (scene.width, scene.height);
    let closed = Sides::likely(face, body, w, h, guide.background.mode.replaces());
    // Per side (top, bottom, sides): the worst status of a variant that lacks room there.
    let mut side = [Status::Pass; 3];
    for v in &guide.variant {
        let status = match best_plan(
            face,
            body,
            w,
            h,
            v,
            &guide.framing,
            closed,
            !guide.framing.refuse_on_fail,
            None,
        ) {
            Ok(p) if p.in_tolerance => continue,
            Ok(_) => Status::Warn,
            // A face too small is the `face_size` check's business.
            Err(Refusal::TooSmall { .. }) => continue,
            Err(Refusal::NoRoom { .. }) => Status::Fail,
        };
        let lacking = closed.mask(crate::plan(face, w, h, v, &guide.framing).missing);
        let mut any = false;
        for (i, m) in [lacking.top, lacking.bottom, lacking.left.max(lacking.right)]
            .into_iter()
            .enumerate()
        {
            if m > 0.0 {
                side[i] = side[i].max(status);
                any = true;
            }
        }
        if !any {
            // The head itself is the limit: too little room above it for the crown.
            side[0] = side[0].max(status);
        }
    }
    for f in findings.iter_mut() {
        let i = match f.check {
            "room_above_head" => 0,
            "room_below_chin" => 1,
            "room_at_sides" => 2,
            _ => continue,
        };
        f.status = side[i];
        if side[i] == Status::Pass {
            f.advice.clear();
        } else if f.advice.is_empty() {
            f.advice = match i {
                0 => "leave more room above your head: tilt the camera up a little or step back",
                1 => "show more of your shoulders: step back from the camera or lower it to chest height",
                _ => "stand nearer the middle of the picture, or step back",
            }
            .into();
        }
    }
}
