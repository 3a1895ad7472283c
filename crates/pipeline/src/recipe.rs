//! A prepared recipe: the guideline as overridden (background, team, test strength), and what
//! every photo made with it shares, made once: the decoded background photo at each variant's
//! size, what the credentials name as the background, the settings'
//! fingerprint and, for a team, the batch's median scene and shared framing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use image::RgbImage;
use trueshot_codec::{decode_bytes, Limits};
use trueshot_guide::{BackgroundMode, GradientShape, Loaded};
use trueshot_matte::Backdrop;
use trueshot_provenance::{sha256_hex, Source};

use crate::team::Team;
use crate::Error;

/// Changes to a guideline for one run (the command line's `--background`, `--team` and the
/// test-only `--retouch-strength`). Each is folded into the guideline's hash, so a rerun with
/// other overrides redoes the photos.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// keep, #RRGGBB, gradient:#RRGGBB,#RRGGBB[,radial], image:PATH[,BLUR_PX] or blur[:BLUR_PX].
    pub background: Option<String>,
    /// Tone and frame every photo toward the batch (also `team = true` in the guideline).
    pub team: bool,
    /// Test only: multiplies the retouch strength (0 to 20; above 1 is more than any level
    /// allows, to prove that verification refuses it).
    pub retouch_strength: Option<f32>,
}

impl Overrides {
    /// Applies the overrides to a loaded guideline.
    pub fn apply(&self, loaded: &mut Loaded) -> Result<(), Error> {
        if let Some(spec) = &self.background {
            override_background(loaded, spec)?;
        }
        if self.team {
            loaded.guide.retouch.team = true;
            loaded.sha256 = sha256_hex(format!("{}\n--team", loaded.sha256).as_bytes());
        }
        if let Some(x) = self.retouch_strength {
            if !(0.0..=20.0).contains(&x) {
                return Err(Error::Recipe(format!(
                    "--retouch-strength {x}: expected 0 to 20"
                )));
            }
            loaded.sha256 =
                sha256_hex(format!("{}\n--retouch-strength {x}", loaded.sha256).as_bytes());
        }
        Ok(())
    }
}

/// A guideline prepared for making headshots (see the module's documentation).
pub struct Recipe {
    pub loaded: Loaded,
    /// Test-only multiplier of the retouch strength (1 = the guideline's level).
    pub retouch_strength: f32,
    /// Also make each variant's "before" (the original in the same frame, no retouch, its own
    /// background) as `thumbs/NAME.VARIANT.before.jpg`, for a before/after slider.
    pub before_frames: bool,
    pub(crate) settings_sha256: String,
    /// What the credentials name as the new background.
    pub(crate) background_source: Option<Source>,
    backdrop_photo: Option<RgbImage>,
    backdrop_planes: BTreeMap<(usize, usize), [trueshot_matte::Plane; 3]>,
    pub(crate) team: Option<Team>,
}

impl Recipe {
    /// Prepares a guideline (overrides already applied): reads and decodes its background photo
    /// once, at each variant's size.
    pub fn new(loaded: Loaded, overrides: &Overrides) -> Result<Recipe, Error> {
        let (backdrop_photo, backdrop_source) = match load_backdrop_photo(&loaded)? {
            Some((photo, source)) => (Some(photo), Some(source)),
            None => (None, None),
        };
        let backdrop_planes = match &backdrop_photo {
            Some(photo) => backdrop_planes(&loaded, photo),
            None => BTreeMap::new(),
        };
        Ok(Recipe {
            settings_sha256: settings_sha256(&loaded),
            background_source: crate::credentials::background_source(
                &loaded.guide,
                backdrop_source.as_ref(),
            ),
            backdrop_photo,
            backdrop_planes,
            retouch_strength: overrides.retouch_strength.unwrap_or(1.0),
            before_frames: false,
            team: None,
            loaded,
        })
    }

    /// Tones and frames every photo toward a team's shared look (see [`Team::measure`]). The
    /// team's target is part of what makes a photo done: the same photo in another batch is
    /// redone.
    pub fn with_team(mut self, team: Team) -> Recipe {
        self.loaded.sha256 = sha256_hex(
            format!(
                "{}\nteam target {:?} {:?}",
                self.loaded.sha256, team.target, team.framing
            )
            .as_bytes(),
        );
        self.team = Some(team);
        self
    }

    /// Hash of the guideline as applied: every setting, defaults included (a new setting with a
    /// default changes it even when the file does not change).
    pub fn settings_sha256(&self) -> &str {
        &self.settings_sha256
    }

    /// The backdrop of one headshot, from the guideline's background section.
    pub(crate) fn backdrop(&self, plan: &trueshot_frame::Plan) -> Backdrop<'_> {
        let b = &self.loaded.guide.background;
        let c = |c: Option<trueshot_guide::Color>| c.map_or([255, 255, 255], |c| c.0);
        match (b.mode, &self.backdrop_photo) {
            (BackgroundMode::Gradient, _) => Backdrop::Gradient {
                from: c(b.color),
                to: c(b.color2),
                radial: b.gradient == GradientShape::Radial,
                center: (plan.target.center_x, plan.target.eye_line),
            },
            (BackgroundMode::Image, Some(photo)) => Backdrop::Image {
                photo,
                blur_px: b.blur_px,
                prepared: self
                    .backdrop_planes
                    .get(&(plan.width as usize, plan.height as usize)),
            },
            (BackgroundMode::Blur, _) => Backdrop::Blur { blur_px: b.blur_px },
            _ => Backdrop::Color(c(b.color)),
        }
    }
}

/// Hash of the guideline as `process` applies it: every setting, defaults included (a new
/// setting with a default changes it even when the file does not change).
fn settings_sha256(loaded: &Loaded) -> String {
    sha256_hex(loaded.guide.to_toml().as_bytes())
}

/// Applies `--background SPEC` to the guideline, and folds it into the guideline's hash (so a
/// rerun with another background redoes the photos).
fn override_background(loaded: &mut Loaded, spec: &str) -> Result<(), Error> {
    use trueshot_guide::Color;
    let bad = || {
        Error::Recipe(format!(
            "--background {spec}: expected keep, #RRGGBB, gradient:#RRGGBB,#RRGGBB[,radial], image:PATH[,BLUR_PX] or blur[:BLUR_PX]"
        ))
    };
    let b = &mut loaded.guide.background;
    let number = |s: &str| {
        s.trim()
            .parse::<f32>()
            .ok()
            .filter(|v| (0.0..=200.0).contains(v))
    };
    if spec == "keep" {
        b.mode = BackgroundMode::Keep;
    } else if let Some(color) = Color::parse(spec) {
        b.mode = BackgroundMode::Color;
        b.color = Some(color);
    } else if let Some(rest) = spec.strip_prefix("gradient:") {
        let parts: Vec<&str> = rest.split(',').collect();
        let (Some(a), Some(z)) = (
            parts.first().and_then(|p| Color::parse(p.trim())),
            parts.get(1).and_then(|p| Color::parse(p.trim())),
        ) else {
            return Err(bad());
        };
        b.mode = BackgroundMode::Gradient;
        b.color = Some(a);
        b.color2 = Some(z);
        b.gradient = match parts.get(2).map(|s| s.trim()) {
            None | Some("linear") => GradientShape::Linear,
            Some("radial") => GradientShape::Radial,
            Some(_) => return Err(bad()),
        };
    } else if let Some(rest) = spec.strip_prefix("image:") {
        let (path, blur) = match rest.rsplit_once(',') {
            Some((p, n)) if number(n).is_some() => (p, number(n)),
            _ => (rest, None),
        };
        b.mode = BackgroundMode::Image;
        // Relative to the current folder, like the other command-line paths.
        b.image = Some(
            std::path::absolute(path)
                .unwrap_or_else(|_| PathBuf::from(path))
                .display()
                .to_string(),
        );
        b.blur_px = blur.unwrap_or(b.blur_px);
    } else if spec == "blur" || spec.starts_with("blur:") {
        b.mode = BackgroundMode::Blur;
        if let Some(n) = spec.strip_prefix("blur:") {
            b.blur_px = number(n).ok_or_else(bad)?;
        }
    } else {
        return Err(bad());
    }
    loaded.sha256 = sha256_hex(format!("{}\n--background {spec}", loaded.sha256).as_bytes());
    Ok(())
}

/// Decodes the guideline's background photo once for the batch (mode image).
fn load_backdrop_photo(loaded: &Loaded) -> Result<Option<(RgbImage, Source)>, Error> {
    let b = &loaded.guide.background;
    if b.mode != BackgroundMode::Image {
        return Ok(None);
    }
    let Some(name) = &b.image else {
        return Err(Error::Recipe(
            "background mode \"image\" needs image = \"path\"".into(),
        ));
    };
    let path = match &loaded.base_dir {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    };
    let failed = |reason: String| Error::BackgroundImage {
        path: path.clone(),
        reason,
    };
    let bytes = std::fs::read(&path).map_err(|e| failed(format!("cannot read: {e}")))?;
    let photo =
        decode_bytes(&bytes, &path, &Limits::default()).map_err(|e| failed(e.to_string()))?;
    let source = crate::credentials::original_source(&path, &bytes, &sha256_hex(&bytes));
    Ok(Some((photo.image, source)))
}

/// The background photo at each variant's size (scaled to cover, blurred as the guideline says),
/// made once for all the photos that share the guideline.
fn backdrop_planes(
    loaded: &Loaded,
    photo: &RgbImage,
) -> BTreeMap<(usize, usize), [trueshot_matte::Plane; 3]> {
    loaded
        .guide
        .variant
        .iter()
        .map(|v| {
            let (w, h) = (v.width as usize, v.height as usize);
            let blur = loaded.guide.background.blur_px;
            ((w, h), trueshot_matte::photo_backdrop(photo, w, h, blur))
        })
        .collect()
}
