//! `trueshot check`: is this photo good enough for the guideline, and if not, what to change.
//!
//! [`assess`] turns perception's [`Scene`] and the analysis pixels into [`Finding`]s, one per
//! check, each with a value, a status against the guideline's limits and one line of advice a
//! non-photographer can act on. The set follows ISO/IEC 29794-5 (OFIQ) in spirit: head pose,
//! eyes open, mouth, sharpness, exposure and clipping of the face, left/right light balance,
//! resolution, face size, room around the head, number of faces, background clutter.
//!
//! Fairness: no check compares skin with a target colour. Exposure is judged from the face's
//! highlights and clipping, which sit high on every skin tone when the light is good, never from
//! the mean skin lightness, which would tell people with dark skin that their photo is too dark.

mod measure;

use serde::Serialize;
use trueshot_geom::Point;
use trueshot_guide::{Expression, Guideline, Status};
use trueshot_vision::{mesh, Face, PhotoView, Scene};

pub use measure::{eye_sharpness, levelled_grey, Luma};

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    /// The measured value (units in [`check_unit`]); `None` when it could not be measured.
    pub value: Option<f32>,
    /// What to do; empty when the check passes.
    pub advice: String,
}

/// The unit of each check's value, for people reading the report.
pub fn check_unit(check: &str) -> &'static str {
    match check {
        "face_count" | "main_subject" => "faces",
        "head_yaw" | "head_pitch" | "head_roll" => "degrees",
        "right_eye_open" | "left_eye_open" => "lid opening / eye width",
        "mouth_open" => "lip opening / mouth width",
        "smile" => "mouth-corner lift / mouth width",
        "sharpness" => "edge energy (0–100)",
        "face_exposure" => "L* of the face's highlights",
        "face_clipping" => "fraction of face pixels burnt out",
        "light_balance" => "stops",
        "eye_distance" => "pixels",
        "face_size" => "enlargement needed",
        "room_above_head" | "room_below_chin" | "room_at_sides" => "available / needed",
        "background_clutter" => "fraction of background",
        "framing" => "largest deviation / its tolerance",
        _ => "",
    }
}

/// The findings of one photo as they are judged; advice is kept only where something is to be
/// done.
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, check: &'static str, status: Status, value: Option<f32>, advice: &str) {
        let advice = if status == Status::Pass {
            String::new()
        } else {
            advice.to_string()
        };
        self.0.push(Finding {
            check,
            status,
            value,
            advice,
        });
    }
}

/// All checks for one photo. The main subject is the scene's first face (largest, most central).
pub fn assess(view: &PhotoView, scene: &Scene, guide: &Guideline) -> Vec<Finding> {
    let c = &guide.checks;
    let mut out = Findings(Vec::new());
    let Some(main) = scene.faces.first() else {
        out.push("face_count", Status::Fail, Some(0.0), "no face was found: use a photo in which your face is clearly visible, facing the camera");
        return out.0;
    };
    faces(&mut out, scene, main, c);
    pose(&mut out, main, c);
    eyes_and_mouth(&mut out, main, c);
    light(&mut out, view, main, c);
    size_and_room(&mut out, view, scene, main, guide);
    out.0
}

/// How many faces, and which one is the subject.
fn faces(out: &mut Findings, scene: &Scene, main: &Face, c: &trueshot_guide::Checks) {
    let n = scene.faces.len();
    let near_others = scene.faces[1..]
        .iter()
        .filter(|f| f.bbox.w >= main.bbox.w * c.distant_face_ratio)
        .count();
    let count_status = if near_others > 0 {
        Status::Fail
    } else if n > 1 {
        Status::Warn
    } else {
        Status::Pass
    };
    let count_advice = if near_others > 0 {
        "only one person should be in the photo: take it alone or crop the others out (the largest, most central face was checked)"
    } else {
        "someone else is visible in the background: take the photo where no one else is in view"
    };
    out.push("face_count", count_status, Some(n as f32), count_advice);
    if n > 1 {
        let c = main.bbox.center();
        let advice = format!(
            "{n} faces: the headshot is made of the largest, most central one (centred at {:.0}, {:.0})",
            c.x, c.y
        );
        out.push("main_subject", Status::Warn, Some(n as f32), &advice);
    }
}

/// Head pose: (check, value, limit, advice when positive, advice when negative).
fn pose(out: &mut Findings, main: &Face, c: &trueshot_guide::Checks) {
    let pose = main.pose;
    for (check, value, limit, positive, negative) in [
        (
            "head_yaw",
            pose.yaw,
            c.yaw_deg,
            "turn your head slightly to your right, so that your nose points at the camera",
            "turn your head slightly to your left, so that your nose points at the camera",
        ),
        (
            "head_pitch",
            pose.pitch,
            c.pitch_deg,
            "lower your chin a little: you are looking up",
            "raise your chin a little: you are looking down",
        ),
        (
            "head_roll",
            pose.roll,
            c.roll_deg,
            "straighten your head: it tilts toward your left shoulder",
            "straighten your head: it tilts toward your right shoulder",
        ),
    ] {
        let advice = if value > 0.0 { positive } else { negative };
        out.push(check, limit.judge(value.abs()), Some(value), advice);
    }
}

/// Eyes open, mouth, expression.
fn eyes_and_mouth(out: &mut Findings, main: &Face, c: &trueshot_guide::Checks) {
    for (check, upper, lower, outer, inner) in [
        (
            "right_eye_open",
            mesh::RIGHT_EYE_UPPER_LID,
            mesh::RIGHT_EYE_LOWER_LID,
            mesh::RIGHT_EYE_OUTER,
            mesh::RIGHT_EYE_INNER,
        ),
        (
            "left_eye_open",
            mesh::LEFT_EYE_UPPER_LID,
            mesh::LEFT_EYE_LOWER_LID,
            mesh::LEFT_EYE_OUTER,
            mesh::LEFT_EYE_INNER,
        ),
    ] {
        let openness = main.point(upper).distance(main.point(lower))
            / main.point(outer).distance(main.point(inner)).max(1.0);
        out.push(
            check,
            c.eye_open.judge(openness),
            Some(openness),
            "keep both eyes open and look into the camera (take a few shots in case you blink)",
        );
    }
    let (mouth_open, smile) = mouth(main);
    let expect_neutral = c.expression == Expression::Neutral;
    let mouth_status = if expect_neutral {
        c.mouth_open
            .judge(mouth_open)
            .max(if mouth_open > c.mouth_open.warn * 0.5 {
                Status::Warn
            } else {
                Status::Pass
            })
    } else {
        c.mouth_open.judge(mouth_open)
    };
    out.push(
        "mouth_open",
        mouth_status,
        Some(mouth_open),
        if expect_neutral {
            "close your mouth: this guideline asks for a neutral expression"
        } else {
            "close your mouth a little: a relaxed smile works best"
        },
    );
    let smile_status = match c.expression {
        Expression::Neutral if smile > 0.12 => Status::Fail,
        Expression::Smile if smile < 0.02 => Status::Warn,
        _ => Status::Pass,
    };
    out.push(
        "smile",
        smile_status,
        Some(smile),
        if c.expression == Expression::Neutral {
            "keep a neutral expression: this guideline does not allow smiling"
        } else {
            "a natural smile is expected: think of something pleasant"
        },
    );
}

/// The face's pixels: sharpness, exposure, clipping, light balance.
fn light(out: &mut Findings, view: &PhotoView, main: &Face, c: &trueshot_guide::Checks) {
    let px = measure::FacePixels::collect(view, main);
    let sharp = measure::sharpness(view, main);
    out.push(
        "sharpness",
        c.sharpness.judge(sharp),
        Some(sharp),
        "the face is blurred: hold the camera steady, focus on the eyes, and use more light",
    );
    match px.as_ref() {
        Some(px) => {
            let hi = px.highlight_lightness();
            let exposure_status = c.face_highlights.judge(hi);
            out.push(
                "face_exposure",
                exposure_status,
                Some(hi),
                "move closer to a window or turn on a light: your face is underexposed",
            );
            let clipped = px.clipped_fraction();
            out.push("face_clipping", c.face_clipped.judge(clipped), Some(clipped), "your face is overexposed (parts are pure white): move away from direct sun or the flash, or turn the light down");
            let balance = px.side_balance_stops(main, view);
            out.push("light_balance", c.light_balance_stops.judge(balance.abs()), Some(balance), "one side of your face is in shadow: turn toward the light (a window) so both cheeks are lit evenly");
        }
        None => out.push(
            "face_exposure",
            Status::Fail,
            None,
            "the face could not be measured: make sure your whole face is in the photo",
        ),
    }
}

/// Resolution, the face's size for the primary variant, the room around the head for its framing
/// (eye line, eye-to-chin, aspect ratio) and the background.
fn size_and_room(
    out: &mut Findings,
    view: &PhotoView,
    scene: &Scene,
    main: &Face,
    guide: &Guideline,
) {
    let c = &guide.checks;
    let eye_distance = main.eye_distance();
    out.push(
        "eye_distance",
        c.eye_distance_px.judge(eye_distance),
        Some(eye_distance),
        "the face has too few pixels: move closer to the camera or use a higher-resolution photo",
    );
    let variant = guide.primary();
    let (out_w, out_h) = (variant.width as f32, variant.height as f32);
    let eye_mid = main.eye_midpoint();
    let eye_to_chin = eye_to_chin(main);
    let f = variant.target(eye_to_chin, main.eye_to_crown());
    let needed_eye_to_chin = f.eye_to_chin * out_h;
    let upscale = needed_eye_to_chin / eye_to_chin.max(1.0);
    out.push("face_size", c.upscale.judge(upscale), Some(upscale), "your face is small in this photo: move closer to the camera (or zoom in) so the headshot stays sharp");

    // Room around the head for the guideline's framing (eye line, eye-to-chin, aspect ratio).
    let crop_h = eye_to_chin / f.eye_to_chin;
    let crop_w = crop_h * out_w / out_h;
    let above = eye_mid.y / (f.eye_line * crop_h);
    let below = (scene.height as f32 - eye_mid.y) / ((1.0 - f.eye_line) * crop_h);
    let left_room = eye_mid.x / (f.center_x * crop_w);
    let right_room = (scene.width as f32 - eye_mid.x) / ((1.0 - f.center_x) * crop_w);
    out.push(
        "room_above_head",
        c.room_above.judge(above),
        Some(above),
        "leave more room above your head: tilt the camera up a little or step back",
    );
    out.push(
        "room_below_chin",
        c.room_below.judge(below),
        Some(below),
        "show more of your shoulders: step back from the camera or lower it to chest height",
    );
    let sides = left_room.min(right_room);
    let sides_advice = if left_room < right_room {
        "stand nearer the middle of the picture: you are too close to its left edge, or step back"
    } else {
        "stand nearer the middle of the picture: you are too close to its right edge, or step back"
    };
    out.push(
        "room_at_sides",
        c.room_sides.judge(sides),
        Some(sides),
        sides_advice,
    );

    // Background
    if let Some(clutter) =
        measure::background_clutter(view, scene, main, crop_w, crop_h, f.eye_line, f.center_x)
    {
        out.push("background_clutter", c.background_clutter.judge(clutter), Some(clutter), "the background is busy: a plain wall behind you gives the cleanest result, even when the background is replaced");
    }
}

/// Lip opening over mouth width, and the lift of the mouth corners over the lip centre (in the
/// face's own frame, so head roll does not count as a smile).
fn mouth(face: &Face) -> (f32, f32) {
    let right = face.point(mesh::MOUTH_RIGHT);
    let left = face.point(mesh::MOUTH_LEFT);
    let width = right.distance(left).max(1.0);
    let upper = face.point(mesh::UPPER_LIP_INNER);
    let lower = face.point(mesh::LOWER_LIP_INNER);
    let open = upper.distance(lower) / width;
    // face "down" direction: perpendicular to the eye line
    let eye = Point::new(
        face.left_eye.iris_center.x - face.right_eye.iris_center.x,
        face.left_eye.iris_center.y - face.right_eye.iris_center.y,
    );
    let len = eye.x.hypot(eye.y).max(1e-6);
    let down = Point::new(-eye.y / len, eye.x / len);
    let centre = upper.midpoint(lower);
    let corners = right.midpoint(left);
    let lift = ((centre.x - corners.x) * down.x + (centre.y - corners.y) * down.y) / width;
    (open, lift)
}

/// Eye midpoint to chin, in photo pixels.
pub fn eye_to_chin(face: &Face) -> f32 {
    face.eye_midpoint().distance(face.chin)
}

/// The worst status among findings (pass when there are none).
pub fn overall(findings: &[Finding]) -> Status {
    findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Pass)
}
