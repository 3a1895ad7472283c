//! The headshot guideline: what a company asks of its headshots, as data.
//!
//! A guideline fixes the framing of the output (size, eye line, eye-to-chin distance, centring)
//! and the limits of every check `trueshot check` makes. Built-in presets are TOML files compiled
//! into the binary (`presets/`); a company's own file has the same shape. The same guideline
//! always gives the same result for the same photo.

use serde::{Deserialize, Serialize};

/// A complete guideline.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guideline {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub framing: Framing,
    pub checks: Checks,
}

/// Where the face goes in the output.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framing {
    pub width: u32,
    pub height: u32,
    /// Eye line, as a fraction of the output height from the top.
    pub eye_line: f32,
    /// Eye midpoint to chin, as a fraction of the output height.
    pub eye_to_chin: f32,
    /// Horizontal position of the eye midpoint, as a fraction of the width.
    pub center_x: f32,
}

/// One limit: values beyond `warn` warn, beyond `fail` fail. `most = true` means the value may be
/// at most this much (pose angles, clipping); `most = false` means at least (sharpness, room).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub most: bool,
    pub warn: f32,
    pub fail: f32,
}

/// Pass, warn or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
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

/// What facial expression the guideline asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expression {
    /// Any natural expression.
    Any,
    /// Neutral, mouth closed (ID photos).
    Neutral,
    /// A smile is expected.
    Smile,
}

/// The limits of every check.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    pub yaw_deg: Limit,
    pub pitch_deg: Limit,
    pub roll_deg: Limit,
    /// Eyelid opening over eye width.
    pub eye_open: Limit,
    /// Lip opening over mouth width.
    pub mouth_open: Limit,
    pub sharpness: Limit,
    /// 95th percentile of the face's lightness (CIE L*, 0–100).
    pub face_highlights: Limit,
    /// Fraction of face pixels with two or more channels clipped.
    pub face_clipped: Limit,
    /// Difference between the two sides of the face, in stops.
    pub light_balance_stops: Limit,
    /// Pixels between the iris centres.
    pub eye_distance_px: Limit,
    /// How much the photo must be enlarged to fill the output.
    pub upscale: Limit,
    /// Room available over room needed (1 = just enough).
    pub room_above: Limit,
    pub room_below: Limit,
    pub room_sides: Limit,
    /// Fraction of the background showing strong edges.
    pub background_clutter: Limit,
    pub distant_face_ratio: f32,
    pub expression: Expression,
}

/// Why a guideline could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuideError {
    #[error("no built-in guideline is called \"{0}\" (built in: {list})", list = PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "))]
    UnknownPreset(String),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

const PRESETS: &[(&str, &str)] = &[("corporate", include_str!("presets/corporate.toml"))];

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
        if PRESETS.iter().any(|p| p.0 == name_or_path) {
            return Guideline::preset(name_or_path);
        }
        let path = std::path::Path::new(name_or_path);
        if !path.exists() && !name_or_path.contains(['/', '.']) {
            return Err(GuideError::UnknownPreset(name_or_path.into()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| GuideError::Io {
            path: name_or_path.into(),
            source,
        })?;
        Guideline::parse(&text, name_or_path)
    }
    pub fn parse(text: &str, path: &str) -> Result<Guideline, GuideError> {
        let g: Guideline = toml::from_str(text).map_err(|e| GuideError::Invalid {
            path: path.into(),
            message: e.to_string(),
        })?;
        g.validate().map_err(|message| GuideError::Invalid {
            path: path.into(),
            message,
        })?;
        Ok(g)
    }
    fn validate(&self) -> Result<(), String> {
        let f = &self.framing;
        if f.width == 0 || f.height == 0 || f.width > 20_000 || f.height > 20_000 {
            return Err(format!(
                "framing: output size {}×{} is outside 1–20000 pixels",
                f.width, f.height
            ));
        }
        if !(0.05..=0.95).contains(&f.eye_line)
            || !(0.02..=0.9).contains(&f.eye_to_chin)
            || f.eye_line + f.eye_to_chin >= 1.0
        {
            return Err(
                "framing: eye_line and eye_to_chin must place the chin inside the picture".into(),
            );
        }
        if !(0.0..=1.0).contains(&f.center_x) {
            return Err("framing: center_x must be between 0 and 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse() {
        let g = Guideline::default_preset();
        assert_eq!(g.framing.eye_line, 0.38);
        assert_eq!(g.framing.eye_to_chin, 0.21);
    }

    #[test]
    fn limits_judge_both_directions() {
        let at_most = Limit {
            most: true,
            warn: 8.0,
            fail: 15.0,
        };
        assert_eq!(at_most.judge(3.0), Status::Pass);
        assert_eq!(at_most.judge(9.0), Status::Warn);
        assert_eq!(at_most.judge(16.0), Status::Fail);
        let at_least = Limit {
            most: false,
            warn: 90.0,
            fail: 60.0,
        };
        assert_eq!(at_least.judge(100.0), Status::Pass);
        assert_eq!(at_least.judge(70.0), Status::Warn);
        assert_eq!(at_least.judge(f32::NAN), Status::Fail);
    }

    #[test]
    fn a_bad_guideline_names_the_problem_with_its_line() {
        let text = include_str!("presets/corporate.toml")
            .replace("eye_line = 0.38", "eye_line = \"high\"");
        let err = Guideline::parse(&text, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mine.toml") && err.contains("line"), "{err}");
    }
}
