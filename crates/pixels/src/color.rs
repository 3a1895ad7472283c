//! sRGB ↔ linear light, CIELAB (D65) and the CIEDE2000 colour difference: the pixel maths every
//! stage shares (perception's measures, framing's resampling, matting, tone, retouch and
//! verification), in one place.

use std::sync::OnceLock;

use num_traits::Float;

/// Linear value of each 8-bit sRGB code.
pub fn to_linear_u8(v: u8) -> f32 {
    linear_table()[v as usize]
}

/// The table behind [`to_linear_u8`], for loops that look up many pixels.
pub fn linear_table() -> &'static [f32; 256] {
    static T: OnceLock<[f32; 256]> = OnceLock::new();
    T.get_or_init(|| std::array::from_fn(|i| srgb_to_linear(i as f32 / 255.0)))
}

/// The sRGB curve, code value (0..1) to linear light, in the precision of `T` (`f32` for pixels,
/// `f64` where 16-bit tables are made from it).
pub fn srgb_to_linear<T: Float>(c: T) -> T {
    if c <= lit(0.04045) {
        c / lit(12.92)
    } else {
        ((c + lit(0.055)) / lit(1.055)).powf(lit(2.4))
    }
}

/// Linear light to the sRGB code value (0..1), clamped to 0..1 first.
pub fn linear_to_srgb<T: Float>(c: T) -> T {
    // as `f32::clamp` (a NaN stays a NaN)
    let c = if c < T::zero() {
        T::zero()
    } else if c > T::one() {
        T::one()
    } else {
        c
    };
    if c <= lit(0.003_130_8) {
        c * lit(12.92)
    } else {
        lit::<T>(1.055) * c.powf(T::one() / lit(2.4)) - lit(0.055)
    }
}

/// A constant of the curve in `T`.
fn lit<T: Float>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::nan)
}

const STEPS: usize = 1 << 14;

/// The table behind [`encode_255`], for loops that encode many pixels.
pub fn encode_table() -> &'static [f32] {
    static T: OnceLock<Vec<f32>> = OnceLock::new();
    T.get_or_init(|| {
        (0..=STEPS)
            .map(|i| linear_to_srgb(i as f32 / STEPS as f32) * 255.0)
            .collect()
    })
}

/// sRGB value × 255 (not rounded) of a linear value, from a 16 384-entry table with linear
/// interpolation (error below 0.01 of a code).
pub fn encode_255(c: f32) -> f32 {
    encode_with(encode_table(), c)
}

/// [`encode_255`] with its table (from [`encode_table`]) already at hand.
#[inline]
pub fn encode_with(t: &[f32], c: f32) -> f32 {
    let x = c.clamp(0.0, 1.0) * STEPS as f32;
    let i = (x as usize).min(STEPS - 1);
    let f = x - i as f32;
    t[i] + (t[i + 1] - t[i]) * f
}

/// 8-bit sRGB code of a linear value.
pub fn to_srgb_u8(c: f32) -> u8 {
    (encode_255(c) + 0.5) as u8
}

/// Cube root of a positive, normal `t`: an exponent-third first guess refined by two Halley
/// steps (cubic convergence: a few per cent, then about 1e-5, then the float's own rounding).
/// Several times faster than `f32::cbrt`, which dominated Lab conversions in profiles.
#[inline]
pub fn cbrt(t: f32) -> f32 {
    let mut x = f32::from_bits(t.to_bits() / 3 + 0x2a51_37a0);
    for _ in 0..2 {
        let x3 = x * x * x;
        x *= (x3 + 2.0 * t) / (2.0 * x3 + t);
    }
    x
}

/// CIE L* (0–100) of a linear luminance (0–1).
#[inline]
pub fn lightness(y: f32) -> f32 {
    if y > 216.0 / 24389.0 {
        116.0 * y.cbrt() - 16.0
    } else {
        y * 24389.0 / 27.0
    }
}

/// CIELAB (D65 white) of a linear sRGB colour.
#[inline]
pub fn lab(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb;
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = 0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b;
    let f = |t: f32| {
        if t > 216.0 / 24389.0 {
            cbrt(t)
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.950_47), f(y), f(z / 1.088_83));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Linear sRGB of a CIELAB colour (D65), unclipped.
#[inline]
pub fn lab_to_linear(c: [f32; 3]) -> [f32; 3] {
    let fy = (c[0] + 16.0) / 116.0;
    let fx = fy + c[1] / 500.0;
    let fz = fy - c[2] / 200.0;
    let inv = |f: f32| {
        let f3 = f * f * f;
        if f3 > 216.0 / 24389.0 {
            f3
        } else {
            (116.0 * f - 16.0) * 27.0 / 24389.0
        }
    };
    let x = inv(fx) * 0.950_47;
    let y = if c[0] > 8.0 {
        fy * fy * fy
    } else {
        c[0] * 27.0 / 24389.0
    };
    let z = inv(fz) * 1.088_83;
    [
        3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
        -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z,
        0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z,
    ]
}

/// 8-bit sRGB of a CIELAB colour.
#[inline]
pub fn lab_to_srgb(c: [f32; 3]) -> [u8; 3] {
    lab_to_linear(c).map(to_srgb_u8)
}

/// CIELAB of an 8-bit sRGB pixel.
#[inline]
pub fn pixel_lab(p: [u8; 3]) -> [f32; 3] {
    let t = linear_table();
    lab([t[p[0] as usize], t[p[1] as usize], t[p[2] as usize]])
}

/// CIEDE2000 difference between two CIELAB colours.
pub fn delta_e2000(l1: [f32; 3], l2: [f32; 3]) -> f32 {
    let ([l1, a1, b1], [l2, a2, b2]) = (l1.map(f64::from), l2.map(f64::from));
    let c1 = (a1 * a1 + b1 * b1).sqrt();
    let c2 = (a2 * a2 + b2 * b2).sqrt();
    let cm = (c1 + c2) / 2.0;
    let g = 0.5 * (1.0 - (cm.powi(7) / (cm.powi(7) + 25f64.powi(7))).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = ((a1p * a1p + b1 * b1).sqrt(), (a2p * a2p + b2 * b2).sqrt());
    let hue = |b: f64, a: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            b.atan2(a).to_degrees().rem_euclid(360.0)
        }
    };
    let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
    let dl = l2 - l1;
    let dc = c2p - c1p;
    let dh = if c1p * c2p == 0.0 {
        0.0
    } else if (h2p - h1p).abs() <= 180.0 {
        h2p - h1p
    } else if h2p - h1p > 180.0 {
        h2p - h1p - 360.0
    } else {
        h2p - h1p + 360.0
    };
    let dhh = 2.0 * (c1p * c2p).sqrt() * (dh.to_radians() / 2.0).sin();
    let lm = (l1 + l2) / 2.0;
    let cmp = (c1p + c2p) / 2.0;
    let hm = if c1p * c2p == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * (hm - 30.0).to_radians().cos()
        + 0.24 * (2.0 * hm).to_radians().cos()
        + 0.32 * (3.0 * hm + 6.0).to_radians().cos()
        - 0.20 * (4.0 * hm - 63.0).to_radians().cos();
    let d_theta = 30.0 * (-((hm - 275.0) / 25.0).powi(2)).exp();
    let rc = 2.0 * (cmp.powi(7) / (cmp.powi(7) + 25f64.powi(7))).sqrt();
    let sl = 1.0 + 0.015 * (lm - 50.0).powi(2) / (20.0 + (lm - 50.0).powi(2)).sqrt();
    let sc = 1.0 + 0.045 * cmp;
    let sh = 1.0 + 0.015 * cmp * t;
    let rt = -(2.0 * d_theta).to_radians().sin() * rc;
    let v =
        (dl / sl).powi(2) + (dc / sc).powi(2) + (dhh / sh).powi(2) + rt * (dc / sc) * (dhh / sh);
    v.max(0.0).sqrt() as f32
}

#[cfg(test)]
mod cbrt_tests {
    #[test]
    fn fast_cube_root_is_exact_to_the_float() {
        let mut t = 216.0f32 / 24389.0;
        while t < 4.0 {
            let (fast, exact) = (super::cbrt(t), t.cbrt());
            assert!(
                (fast - exact).abs() <= 2.0 * f32::EPSILON * exact,
                "{t}: {fast} vs {exact}"
            );
            t *= 1.0001;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciede2000_matches_sharma_reference_pairs() {
        // Pairs 1, 7 and 17 of Sharma, Wu and Dalal's test data.
        let cases = [
            ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
            ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
            ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
        ];
        for (a, b, want) in cases {
            assert!((delta_e2000(a, b) - want).abs() < 1e-3, "{a:?} {b:?}");
        }
    }

    #[test]
    fn srgb_round_trip_is_exact_for_every_code() {
        for v in 0..=255u8 {
            assert_eq!(to_srgb_u8(to_linear_u8(v)), v);
        }
        assert!((lab([1.0, 1.0, 1.0])[0] - 100.0).abs() < 0.01);
    }

    #[test]
    fn lab_round_trip_is_exact_to_the_code() {
        for r in (0..=255u8).step_by(15) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(51) {
                    let back = lab_to_srgb(pixel_lab([r, g, b]));
                    for (x, y) in back.iter().zip([r, g, b]) {
                        assert!(x.abs_diff(y) <= 1, "{r} {g} {b} → {back:?}");
                    }
                }
            }
        }
    }
}
