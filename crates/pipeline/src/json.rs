//! Numbers as reports give them: rounded to 0.1 ([`r1`]: pixels, milliseconds, degrees) or to
//! 0.001 ([`r3`]: fractions and measures).

/// Rounded to 0.1.
pub fn r1(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

/// Rounded to 0.001.
pub fn r3(v: f32) -> f64 {
    (f64::from(v) * 1000.0).round() / 1000.0
}

/// A point as `[x, y]`, rounded to 0.1.
pub fn pt(p: trueshot_geom::Point) -> [f64; 2] {
    [r1(p.x), r1(p.y)]
}
