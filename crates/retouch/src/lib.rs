//! Subtle retouching of a headshot's face and the pixel measures that prove it did no more.
//!
//! - [`retouch::retouch`]: frequency-separated edits confined to skin and eye masks derived from
//!   the face mesh (blotches, shine, small red blemishes, red eye whites and under-eyes), at the
//!   guideline's level.
//! - [`measure::pixel_measures`]: texture kept, eye-white lightness, skin colour shift (lightness
//!   and hue/chroma apart) and clothing change between a headshot before and after editing.
//!
//! The identity, apparent-age and landmark-drift measures need the nets in `trueshot-vision`;
//! the binary combines all of them and enforces the guideline's bounds.

pub mod lab;
pub mod landmarks;
pub mod masks;
pub mod measure;
pub mod retouch;
pub mod tone;
pub mod track;
pub mod verify;

pub use landmarks::Landmarks;
pub use measure::{pixel_measures, PixelMeasures};
pub use retouch::{retouch, Applied, Level, Params};
pub use tone::{
    correction, face_highlight, scene_stats, team_correction, team_target, SceneStats, Tone,
};
pub use verify::{Bounds, Breach, Check, Measures, Original, Sense, Verifier, CHECKS};
