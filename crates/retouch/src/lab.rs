//! CIELAB planes of a picture window and the way back to 8-bit sRGB.

use image::RgbImage;
use trueshot_matte::color::{lab, linear_table, to_srgb_u8};
use trueshot_matte::Plane;

use crate::masks::Window;

/// L*, a*, b* planes (D65) of a window of `image`.
pub fn lab_planes(image: &RgbImage, win: Window) -> [Plane; 3] {
    let t = linear_table();
    let mut out = [win.plane(0.0), win.plane(0.0), win.plane(0.0)];
    for y in 0..win.height {
        for x in 0..win.width {
            let p = image.get_pixel((win.x0 + x) as u32, (win.y0 + y) as u32).0;
            let c = lab([t[p[0] as usize], t[p[1] as usize], t[p[2] as usize]]);
            let i = y * win.width + x;
            out[0].data[i] = c[0];
            out[1].data[i] = c[1];
            out[2].data[i] = c[2];
        }
    }
    out
}

/// Linear sRGB of a CIELAB colour (D65), unclipped.
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
pub fn lab_to_srgb(c: [f32; 3]) -> [u8; 3] {
    lab_to_linear(c).map(to_srgb_u8)
}

/// CIELAB of an 8-bit sRGB pixel.
pub fn pixel_lab(p: [u8; 3]) -> [f32; 3] {
    let t = linear_table();
    lab([t[p[0] as usize], t[p[1] as usize], t[p[2] as usize]])
}

#[cfg(test)]
mod tests {
    use super::*;

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
