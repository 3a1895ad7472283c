//! The headshot guideline: what a company asks of its headshots, as data.
//!
//! A guideline fixes the output variants (size, format, framing), how much head roll may be
//! levelled, the background and retouch settings and the limits of every check. Built-in
//! presets are TOML files compiled into the binary (`presets/`); a company's own file has the
//! same shape. Every parameter is declared once below ([`section!`], [`choice!`]); the reader,
//! its line-and-column messages, the JSON schema and `trueshot guide show` come from those
//! declarations. The same guideline always gives the same result for the same photo.

pub mod schema;

use schema::{Param, Spec, Validate};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use toml::de::DeValue;
use toml::Spanned;

section! {
    /// A complete headshot guideline.
    pub struct Guideline {
        /// Short name, shown in reports.
        name: String,
        /// What the guideline is for.
        description: String = String::new(),
        /// Output pictures made from every photo (at least one).
        variant: Vec<Variant>,
        /// Print sheets: several copies of one variant with cut marks.
        sheet: Vec<Sheet>,
        /// Levelling and cropping rules shared by all variants.
        framing: Framing,
        /// What goes behind the person (used when backgrounds are replaced).
        background: Background,
        /// How much retouching is allowed.
        retouch: Retouch,
        /// Bounds every headshot is verified against after editing.
        verify: Verify,
        /// Content credentials, creator and copyright; AI-made inputs.
        provenance: Provenance,
        /// Limits of every check.
        checks: Checks,
    }
}

section! {
    /// One output picture. Portrait framing sets `eye_line` and `eye_to_chin`; ID-photo framing
    /// sets `head_height` and `eye_from_bottom` instead.
    pub struct Variant {
        /// File-name suffix: `<photo>.<name>.<ext>`.
        name: String,
        /// Width in pixels.
        width: u32 [Spec::Range(16.0, 20000.0)],
        /// Height in pixels.
        height: u32 [Spec::Range(16.0, 20000.0)],
        /// File format.
        format: Format = Format::Jpeg,
        /// JPEG quality (WebP is written lossless).
        quality: u32 [Spec::Range(1.0, 100.0)] = 90,
        /// Print resolution recorded in the file, in dots per inch.
        dpi: u32 [Spec::Range(1.0, 2400.0)] = 300,
        /// Eye line (iris-centre midpoint), as a fraction of the height from the top.
        eye_line: Option<f32> [Spec::Range(0.05, 0.95)],
        /// Eye midpoint to chin, as a fraction of the height.
        eye_to_chin: Option<f32> [Spec::Range(0.02, 0.9)],
        /// ID photos: crown-to-chin head height, as a [lowest, highest] fraction of the height.
        head_height: Option<Band> [Spec::Range(0.1, 0.95)],
        /// ID photos: eye line measured from the bottom, as a [lowest, highest] fraction of the height.
        eye_from_bottom: Option<Band> [Spec::Range(0.05, 0.95)],
        /// Horizontal position of the eye midpoint, as a fraction of the width.
        center_x: f32 [Spec::Range(0.0, 1.0)] = 0.5,
        /// Portrait variants: how far (±, fraction of the height) the eye line may sit from
        /// `eye_line` and still meet the guideline. The framing nearest the target inside every
        /// tolerance that the photo allows is chosen.
        eye_line_tolerance: f32 [Spec::Range(0.0, 0.3)] = 0.04,
        /// Portrait variants: how far (±, fraction of the height) eye-to-chin, the head size, may
        /// be from `eye_to_chin` and still meet the guideline.
        eye_to_chin_tolerance: f32 [Spec::Range(0.0, 0.3)] = 0.03,
        /// Portrait variants: how far (±, fraction of the width) the eye midpoint may be from
        /// `center_x` and still meet the guideline.
        center_x_tolerance: f32 [Spec::Range(0.0, 0.3)] = 0.03,
        /// Portrait variants: share of the head's height (crown to chin) that may lie above the top
        /// edge, for tight crops; 0 keeps the whole head in the picture.
        crown_crop: f32 [Spec::Range(0.0, 0.4)] = 0.0,
        /// Portrait variants: beyond this distance (±) from `eye_line` the picture is no longer
        /// this variant. Between the tolerance and this limit a headshot is delivered and flagged
        /// (unless the framing section says `refuse_on_fail`); beyond it, refused.
        eye_line_limit: f32 [Spec::Range(0.0, 0.5)] = 0.10,
        /// Portrait variants: beyond this distance (±) from `eye_to_chin` the picture is no longer
        /// this variant (a face that fills the frame, or a head lost in it).
        eye_to_chin_limit: f32 [Spec::Range(0.0, 0.5)] = 0.15,
        /// Portrait variants: beyond this distance (±) from `center_x` the picture is no longer
        /// this variant.
        center_x_limit: f32 [Spec::Range(0.0, 0.5)] = 0.12,
    }
}

section! {
    /// A print sheet: as many copies of a variant as fit, with cut marks.
    pub struct Sheet {
        /// File-name suffix.
        name: String,
        /// The variant printed on the sheet (its size in inches is its pixels over its dpi).
        of: String,
        /// Sheet width in inches.
        width_in: f32 [Spec::Range(1.0, 40.0)],
        /// Sheet height in inches.
        height_in: f32 [Spec::Range(1.0, 40.0)],
        /// Smallest margin around the copies, in inches.
        margin_in: f32 [Spec::Range(0.0, 2.0)] = 0.1,
        /// Smallest gap between copies, in inches.
        gutter_in: f32 [Spec::Range(0.0, 2.0)] = 0.1,
        /// Draw cut marks at the corners of every copy.
        cut_marks: bool = true,
        /// File format.
        format: Format = Format::Jpeg,
        /// JPEG quality.
        quality: u32 [Spec::Range(1.0, 100.0)] = 95,
    }
}

section! {
    /// Levelling and cropping rules.
    pub struct Framing {
        /// Largest head roll (tilt) that is levelled, in degrees; more is levelled only this far.
        max_level_deg: f32 [Spec::Range(0.0, 45.0)] = 10.0,
        /// The bottom edge keeps at least this distance (fraction of the output height) from the
        /// chin, the elbows and the wrists.
        joint_clearance: f32 [Spec::Range(0.0, 0.2)] = 0.03,
        /// Make no output when a check fails (ID photos); otherwise outputs are made and the
        /// failed checks reported.
        refuse_on_fail: bool = false,
        /// Make no output that would enlarge the photo more than this (more than 1.5× warns).
        max_upscale: f32 [Spec::Range(1.0, 16.0)] = 4.0,
    }
}

section! {
    /// What goes behind the person.
    pub struct Background {
        /// keep, color, gradient, image or blur.
        mode: BackgroundMode = BackgroundMode::Keep,
        /// Solid colour, or the gradient's first colour, as "#RRGGBB".
        color: Option<Color>,
        /// The gradient's second colour.
        color2: Option<Color>,
        /// Gradient shape.
        gradient: GradientShape = GradientShape::Linear,
        /// Background photo (mode = "image"), relative to the guideline file.
        image: Option<String>,
        /// Blur, about its radius in output pixels: of the background photo (mode "image"), or of
        /// the photo's own background (mode "blur"; 0 there means 2 % of the output's long side).
        blur_px: f32 [Spec::Range(0.0, 200.0)] = 0.0,
        /// Also write a transparent PNG cutout.
        cutout: bool = false,
    }
}

section! {
    /// How much retouching is allowed.
    pub struct Retouch {
        /// none, subtle or natural.
        level: RetouchLevel = RetouchLevel::Subtle,
        /// Even exposure and white balance across a batch.
        team: bool = false,
    }
}

section! {
    /// Bounds every headshot is verified against, between the original photo (resampled into
    /// the headshot's frame) and the delivered result. A result that breaks one is not
    /// delivered: it is made again with less retouching, finally with none.
    pub struct Verify {
        /// Identity descriptor distance (dlib's scale; the same person is below 0.6).
        identity_distance: f32 [Spec::Range(0.0, 2.0)] = 0.2,
        /// Largest movement of a facial feature (eye, brow, nose, mouth, jaw outline), as a
        /// fraction of the distance between the iris centres.
        landmark_drift: f32 [Spec::Range(0.0, 0.5)] = 0.01,
        /// Skin texture kept: high-frequency energy of cheeks and forehead, result over
        /// original (at least).
        texture_kept: f32 [Spec::Range(0.0, 1.0)] = 0.85,
        /// Rise of the eye whites' lightness, CIE L*.
        eye_white_l_rise: f32 [Spec::Range(0.0, 100.0)] = 3.0,
        /// Shift of the skin's mean hue and chroma, CIEDE2000 with lightness held equal.
        skin_hue_chroma_delta_e: f32 [Spec::Range(0.0, 100.0)] = 2.0,
        /// Shift of the skin's mean lightness, CIE L* (either way).
        skin_lightness_shift: f32 [Spec::Range(0.0, 100.0)] = 2.0,
        /// Change of apparent age, years (either way).
        age_change_years: f32 [Spec::Range(0.0, 50.0)] = 2.0,
        /// Mean colour change of the clothing beyond the global tone correction, CIEDE2000.
        clothing_delta_e: f32 [Spec::Range(0.0, 100.0)] = 1.0,
    }
}

section! {
    /// What every output says about itself: signed C2PA content credentials (the original as
    /// parent, every edit, the verification measures) and XMP with IPTC's digital source type,
    /// plus this creator and copyright. Photos that declare they were made by generative AI (IPTC
    /// digital source type `trainedAlgorithmicMedia` or `compositeWithTrainedAlgorithmicMedia`, in
    /// XMP or C2PA) are refused, or only flagged.
    pub struct Provenance {
        /// Creator written into every output (XMP dc:creator): the photographer or the team.
        creator: String = String::new(),
        /// Copyright notice written into every output (XMP dc:rights).
        copyright: String = String::new(),
        /// refuse or flag photos that declare they were made by generative AI.
        ai_inputs: AiInputs = AiInputs::Refuse,
    }
}

section! {
    /// Limits of every check. For `most` limits a value above `warn` warns and above `fail`
    /// fails; for the others, below.
    pub struct Checks {
        /// Head turn left/right, degrees.
        yaw_deg: Limit,
        /// Head tilt up/down, degrees.
        pitch_deg: Limit,
        /// Head tilt toward a shoulder, degrees (before levelling).
        roll_deg: Limit,
        /// Eyelid opening over eye width.
        eye_open: Limit,
        /// Lip opening over mouth width.
        mouth_open: Limit,
        /// Edge energy of the face (0–100).
        sharpness: Limit,
        /// 95th percentile of the face's lightness (CIE L*, 0–100).
        face_highlights: Limit,
        /// Fraction of face pixels with two or more channels clipped.
        face_clipped: Limit,
        /// Difference between the two sides of the face, in stops.
        light_balance_stops: Limit,
        /// Pixels between the iris centres.
        eye_distance_px: Limit,
        /// How much the photo must be enlarged for the first variant.
        upscale: Limit,
        /// Room above the head: available over needed for the first variant's target (1 = just
        /// enough). Reported as measured; pass, warn or fail come from the framing planner (every
        /// variant within its tolerances, one only outside them, one impossible), so these limits
        /// are kept only for older guideline files.
        room_above: Limit,
        /// Room below the chin: available over needed.
        room_below: Limit,
        /// Room at the sides: available over needed.
        room_sides: Limit,
        /// Fraction of the background showing strong edges.
        background_clutter: Limit,
        /// Other faces narrower than this fraction of the main face are people in the distance
        /// and only warn.
        distant_face_ratio: f32 [Spec::Range(0.0, 1.0)] = 0.35,
        /// any, neutral or smile.
        expression: Expression = Expression::Any,
    }
}

choice! {
    /// Output file format.
    pub enum Format { Jpeg = "jpeg", Png = "png", Webp = "webp" }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }
}

choice! {
    /// What facial expression the guideline asks for.
    pub enum Expression {
        /// Any natural expression.
        Any = "any",
        /// Neutral, mouth closed (ID photos).
        Neutral = "neutral",
        /// A smile is expected.
        Smile = "smile",
    }
}

choice! {
    /// Background replacement mode.
    pub enum BackgroundMode { Keep = "keep", Color = "color", Gradient = "gradient", Image = "image", Blur = "blur" }
}

choice! {
    /// Gradient shape.
    pub enum GradientShape { Linear = "linear", Radial = "radial" }
}

choice! {
    /// What to do with a photo that declares it was made by generative AI.
    pub enum AiInputs { Refuse = "refuse", Flag = "flag" }
}

choice! {
    /// Retouch level.
    pub enum RetouchLevel { None = "none", Subtle = "subtle", Natural = "natural" }
}

impl RetouchLevel {
    /// The next weaker level: what verification falls back to when a result breaks a bound.
    pub fn weaker(self) -> Option<RetouchLevel> {
        match self {
            RetouchLevel::Natural => Some(RetouchLevel::Subtle),
            RetouchLevel::Subtle => Some(RetouchLevel::None),
            RetouchLevel::None => None,
        }
    }
}

impl Default for Verify {
    /// The bounds of a guideline whose `[verify]` section is left out.
    fn default() -> Self {
        <Verify as Param>::missing().unwrap_or_else(|| unreachable!("every bound has a default"))
    }
}

impl BackgroundMode {
    /// Whether the photo's own background is replaced (so canvas beyond the photo may be filled).
    pub fn replaces(self) -> bool {
        !matches!(self, BackgroundMode::Keep)
    }
}

/// Pass, warn or fail.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One limit: `{ most = true, warn = 8.0, fail = 15.0 }`. `most = true`: the value may be at most
/// this much (pose angles, clipping); `most = false`: at least (sharpness, room).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    pub most: bool,
    pub warn: f32,
    pub fail: f32,
}

impl Limit {
    pub fn judge(&self, value: f32) -> Status {
        if !value.is_finite() {
            return Status::Fail;
        }
        let beyond = |limit: f32| {
            if self.most {
                value > limit
            } else {
                value < limit
            }
        };
        if beyond(self.fail) {
            Status::Fail
        } else if beyond(self.warn) {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

impl Param for Limit {
    fn read(v: &Spanned<DeValue>, _: Spec, key: &str, cx: &schema::Cx) -> Result<Self, GuideError> {
        let t = schema::table(v, &["most", "warn", "fail"], key, cx)?;
        let get = |k: &str| {
            t.get(k)
                .ok_or_else(|| cx.err(v.span().start, key, format!("`{k}` is missing")))
        };
        let most = bool::read(get("most")?, Spec::None, &schema::join(key, "most"), cx)?;
        let warn = f32::read(get("warn")?, Spec::None, &schema::join(key, "warn"), cx)?;
        let fail = f32::read(get("fail")?, Spec::None, &schema::join(key, "fail"), cx)?;
        let ordered = if most { warn <= fail } else { warn >= fail };
        if !ordered {
            return Err(cx.err(
                v.span().start,
                key,
                if most {
                    "`warn` must not be above `fail` for a `most` limit"
                } else {
                    "`warn` must not be below `fail` for an `at least` limit"
                },
            ));
        }
        Ok(Limit { most, warn, fail })
    }
    fn schema(_: Spec) -> Value {
        json!({"type": "object", "properties": {"most": {"type": "boolean"}, "warn": {"type": "number"}, "fail": {"type": "number"}}, "required": ["most", "warn", "fail"], "additionalProperties": false})
    }
    fn literal(&self) -> Option<String> {
        Some(format!(
            "{{ most = {}, warn = {:?}, fail = {:?} }}",
            self.most, self.warn, self.fail
        ))
    }
}

/// A range `[lowest, highest]` of fractions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Band {
    pub lo: f32,
    pub hi: f32,
}

impl Band {
    pub fn mid(&self) -> f32 {
        0.5 * (self.lo + self.hi)
    }
    pub fn contains(&self, x: f32) -> bool {
        (self.lo..=self.hi).contains(&x)
    }
}

impl Param for Band {
    fn read(
        v: &Spanned<DeValue>,
        spec: Spec,
        key: &str,
        cx: &schema::Cx,
    ) -> Result<Self, GuideError> {
        let items = v
            .get_ref()
            .as_array()
            .filter(|a| a.len() == 2)
            .ok_or_else(|| {
                cx.err(
                    v.span().start,
                    key,
                    "expected [lowest, highest], two numbers",
                )
            })?;
        let mut it = items.iter();
        let lo = f32::read(it.next().unwrap_or(v), spec, key, cx)?;
        let hi = f32::read(it.next().unwrap_or(v), spec, key, cx)?;
        if lo > hi {
            return Err(cx.err(v.span().start, key, "the lowest value is above the highest"));
        }
        Ok(Band { lo, hi })
    }
    fn schema(spec: Spec) -> Value {
        json!({"type": "array", "items": f32::schema(spec), "minItems": 2, "maxItems": 2})
    }
    fn literal(&self) -> Option<String> {
        Some(format!("[{:?}, {:?}]", self.lo, self.hi))
    }
}

/// An sRGB colour `"#RRGGBB"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color(pub [u8; 3]);

impl Color {
    pub fn parse(s: &str) -> Option<Color> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Color([byte(0)?, byte(2)?, byte(4)?]))
    }
}

impl std::fmt::Display for Color {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02X}{g:02X}{b:02X}")
    }
}

impl Param for Color {
    fn read(v: &Spanned<DeValue>, _: Spec, key: &str, cx: &schema::Cx) -> Result<Self, GuideError> {
        v.get_ref()
            .as_str()
            .and_then(Color::parse)
            .ok_or_else(|| cx.err(v.span().start, key, "expected a colour \"#RRGGBB\""))
    }
    fn schema(_: Spec) -> Value {
        json!({"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"})
    }
    fn literal(&self) -> Option<String> {
        Some(format!("\"{self}\""))
    }
}

impl Validate for Guideline {
    fn validate(&self, _: &str) -> Result<(), (&'static str, String)> {
        if self.variant.is_empty() {
            return Err(("variant", "at least one [[variant]] is needed".into()));
        }
        for (i, v) in self.variant.iter().enumerate() {
            if self.variant[..i].iter().any(|w| w.name == v.name) {
                return Err(("variant", format!("two variants are called \"{}\"", v.name)));
            }
        }
        for s in &self.sheet {
            let Some(v) = self.variant.iter().find(|v| v.name == s.of) else {
                return Err((
                    "sheet",
                    format!(
                        "sheet \"{}\" prints variant \"{}\", which is not declared",
                        s.name, s.of
                    ),
                ));
            };
            if s.copies(v).0 == 0 {
                return Err((
                    "sheet",
                    format!(
                        "not one copy of \"{}\" ({:.2}×{:.2} in) fits on sheet \"{}\"",
                        v.name,
                        v.width as f32 / v.dpi as f32,
                        v.height as f32 / v.dpi as f32,
                        s.name
                    ),
                ));
            }
            if self.variant.iter().any(|v| v.name == s.name) {
                return Err((
                    "sheet",
                    format!("sheet \"{}\" has a variant's name", s.name),
                ));
            }
        }
        Ok(())
    }
}

impl Validate for Variant {
    fn validate(&self, _: &str) -> Result<(), (&'static str, String)> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err((
                "name",
                "use letters, digits, '-' and '_' only (it becomes part of file names)".into(),
            ));
        }
        match (self.eye_line, self.eye_to_chin, self.head_height, self.eye_from_bottom) {
            (Some(line), Some(chin), None, None) => {
                if line + chin >= 0.98 {
                    return Err((
                        "eye_to_chin",
                        "eye_line + eye_to_chin must leave the chin inside the picture".into(),
                    ));
                }
                for (field, tolerance, limit) in [
                    ("eye_line_tolerance", self.eye_line_tolerance, self.eye_line_limit),
                    ("eye_to_chin_tolerance", self.eye_to_chin_tolerance, self.eye_to_chin_limit),
                    ("center_x_tolerance", self.center_x_tolerance, self.center_x_limit),
                ] {
                    if tolerance > limit {
                        return Err((
                            field,
                            format!(
                                "the tolerance ({tolerance}) is wider than its limit ({limit}): the limit is where the picture stops being this variant"
                            ),
                        ));
                    }
                }
                if chin - self.eye_to_chin_tolerance <= 0.0 {
                    return Err((
                        "eye_to_chin_tolerance",
                        "eye_to_chin minus its tolerance must stay above 0".into(),
                    ));
                }
                Ok(())
            }
            (None, None, Some(_), Some(_)) => Ok(()),
            _ => Err((
                "eye_line",
                "give either eye_line and eye_to_chin (portrait), or head_height and eye_from_bottom (ID photo)".into(),
            )),
        }
    }
}

impl Validate for Sheet {}
impl Validate for Framing {}
impl Validate for Retouch {}
impl Validate for Verify {}
impl Validate for Provenance {}
impl Validate for Checks {}

impl Validate for Background {
    fn validate(&self, _: &str) -> Result<(), (&'static str, String)> {
        match self.mode {
            BackgroundMode::Color if self.color.is_none() => {
                Err(("color", "mode \"color\" needs color = \"#RRGGBB\"".into()))
            }
            BackgroundMode::Gradient if self.color.is_none() || self.color2.is_none() => {
                Err(("color2", "mode \"gradient\" needs color and color2".into()))
            }
            BackgroundMode::Image if self.image.is_none() => {
                Err(("image", "mode \"image\" needs image = \"path\"".into()))
            }
            _ => Ok(()),
        }
    }
}

impl Sheet {
    /// Copies across and down, and the sheet's pixel size, at the variant's dpi.
    pub fn copies(&self, v: &Variant) -> (u32, u32, u32, u32) {
        let dpi = v.dpi as f32;
        let (w, h) = (v.width as f32 / dpi, v.height as f32 / dpi);
        let fit = |sheet: f32, item: f32| {
            ((sheet - 2.0 * self.margin_in + self.gutter_in) / (item + self.gutter_in))
                .floor()
                .max(0.0) as u32
        };
        let (nx, ny) = (fit(self.width_in, w), fit(self.height_in, h));
        let (nx, ny) = if nx == 0 || ny == 0 { (0, 0) } else { (nx, ny) };
        (
            nx,
            ny,
            (self.width_in * dpi).round() as u32,
            (self.height_in * dpi).round() as u32,
        )
    }
}

/// Where a variant puts the face, as fractions of the output.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Target {
    pub eye_line: f32,
    pub eye_to_chin: f32,
    pub center_x: f32,
}

/// How far from its target each framing quantity may be (±, fractions of the output): within
/// the tolerance a headshot meets the guideline; within the limit it is still this variant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tolerance {
    pub eye_line: f32,
    pub eye_to_chin: f32,
    pub center_x: f32,
    /// Share of the head's height that may lie above the top edge.
    pub crown_crop: f32,
}

impl Variant {
    pub fn is_id_photo(&self) -> bool {
        self.head_height.is_some()
    }
    /// The tolerances of a portrait variant's framing (ID photos have their ranges instead).
    pub fn tolerance(&self) -> Tolerance {
        Tolerance {
            eye_line: self.eye_line_tolerance,
            eye_to_chin: self.eye_to_chin_tolerance,
            center_x: self.center_x_tolerance,
            crown_crop: self.crown_crop,
        }
    }
    /// Where a portrait variant stops being itself: no headshot farther from the target than
    /// this is delivered. The crown may be cut a little more than the tolerance allows, never
    /// into the forehead.
    pub fn limit(&self) -> Tolerance {
        Tolerance {
            eye_line: self.eye_line_limit,
            eye_to_chin: self.eye_to_chin_limit,
            center_x: self.center_x_limit,
            crown_crop: (self.crown_crop + 0.1).min(0.25),
        }
    }
    /// The framing target for a face whose eye midpoint is `eye_to_chin` pixels from the chin
    /// and `eye_to_crown` pixels from the crown (top of the head).
    ///
    /// Portrait variants give their fixed fractions. ID variants aim at the middle of the
    /// head-height range and of the eye-height range, and move the eye line down within its
    /// range when the crown would otherwise come closer than 2 % to the top edge.
    pub fn target(&self, eye_to_chin: f32, eye_to_crown: f32) -> Target {
        if let (Some(line), Some(chin)) = (self.eye_line, self.eye_to_chin) {
            return Target {
                eye_line: line,
                eye_to_chin: chin,
                center_x: self.center_x,
            };
        }
        let head = self.head_height.map_or(0.6, |b| b.mid());
        let eyes = self.eye_from_bottom.unwrap_or(Band { lo: 0.5, hi: 0.7 });
        let head_px = (eye_to_chin + eye_to_crown).max(1.0);
        let crop_h = head_px / head;
        let crown_frac = eye_to_crown / crop_h;
        let mut eye_line = 1.0 - eyes.mid();
        eye_line = eye_line.max(crown_frac + 0.02).min(1.0 - eyes.lo);
        Target {
            eye_line,
            eye_to_chin: eye_to_chin / crop_h,
            center_x: self.center_x,
        }
    }
}

/// Why a guideline could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuideError {
    #[error("no built-in guideline is called \"{0}\" (built in: {list})", list = PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "))]
    UnknownPreset(String),
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The built-in guidelines: name and TOML text.
pub const PRESETS: &[(&str, &str)] = &[
    ("corporate", include_str!("presets/corporate.toml")),
    ("passport-us", include_str!("presets/passport-us.toml")),
    ("icao", include_str!("presets/icao.toml")),
];

/// A guideline with the text it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub guide: Guideline,
    /// SHA-256 of the TOML text (hex): outputs made with another text are redone.
    pub sha256: String,
    /// Where it came from: `built-in NAME` or the file path.
    pub source: String,
    /// Folder that relative paths in the guideline are resolved from.
    pub base_dir: Option<std::path::PathBuf>,
}

impl Guideline {
    /// The guideline used when none is named.
    pub fn default_preset() -> Guideline {
        Guideline::preset("corporate").expect("the corporate preset parses (unit test)")
    }
    pub fn preset(name: &str) -> Result<Guideline, GuideError> {
        let text = PRESETS
            .iter()
            .find(|p| p.0 == name)
            .ok_or_else(|| GuideError::UnknownPreset(name.into()))?
            .1;
        Guideline::parse(text, &format!("built-in {name}"))
    }
    /// A preset name or a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Guideline, GuideError> {
        Guideline::load_full(name_or_path).map(|l| l.guide)
    }
    /// A preset name or a path to a TOML file, with its hash and origin.
    pub fn load_full(name_or_path: &str) -> Result<Loaded, GuideError> {
        if let Some((name, text)) = PRESETS.iter().find(|p| p.0 == name_or_path) {
            return Ok(Loaded {
                guide: Guideline::parse(text, &format!("built-in {name}"))?,
                sha256: hex::encode(Sha256::digest(text.as_bytes())),
                source: format!("built-in {name}"),
                base_dir: None,
            });
        }
        let path = std::path::Path::new(name_or_path);
        if !path.exists() && !name_or_path.contains(['/', '.']) {
            return Err(GuideError::UnknownPreset(name_or_path.into()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| GuideError::Io {
            path: name_or_path.into(),
            source,
        })?;
        Ok(Loaded {
            guide: Guideline::parse(&text, name_or_path)?,
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            source: name_or_path.to_string(),
            base_dir: path.parent().map(|p| p.to_path_buf()),
        })
    }
    pub fn parse(text: &str, path: &str) -> Result<Guideline, GuideError> {
        schema::read_document(text, path)
    }
    /// The first variant: the one `check` judges the room around the head for.
    pub fn primary(&self) -> &Variant {
        &self.variant[0]
    }
    /// The guideline as commented TOML (every setting, with its documentation and range).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        self.write_tables("", &mut out);
        out
    }
    /// JSON schema of guideline files.
    pub fn json_schema() -> Value {
        let mut s = <Guideline as Param>::schema(Spec::None);
        s["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        s["title"] = json!("trueshot guideline");
        s
    }
}

#[cfg(test)]
mod tests;
