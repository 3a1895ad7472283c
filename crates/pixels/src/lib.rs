//! The pixel maths every stage shares, in one place: colour ([`color`]: the sRGB curve, linear
//! tables, CIELAB both ways, CIEDE2000) and single-channel float planes with their filters and
//! resampling ([`plane`]: box mean, Gaussian-like blur, block averaging, bilinear enlargement).

pub mod color;
pub mod plane;

pub use plane::{Enlarger, Plane};
