//! Resampling a photo through a plan, in linear light.
//!
//! Downscaling first shrinks the region the output needs to the output's scale with a Lanczos-3
//! convolution (fast_image_resize, area-correct antialiasing), then a Catmull-Rom bicubic
//! resampler applies the rotation and the sub-pixel placement. Both steps work on linear-light
//! 16-bit values, so dark hair against a light wall does not darken or fringe as it does when
//! sRGB values are averaged. An unrotated plan is done in one Lanczos step.

use std::sync::OnceLock;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use trueshot_geom::Point;

use crate::Plan;

#[derive(Debug, thiserror::Error)]
#[error("resampling failed: {0}")]
pub struct RenderError(String);

fn to_linear() -> &'static [u16; 256] {
    static LUT: OnceLock<[u16; 256]> = OnceLock::new();
    LUT.get_or_init(|| {
        let mut t = [0u16; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let c = i as f64 / 255.0;
            let l = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
            *v = (l * 65535.0).round() as u16;
        }
        t
    })
}

fn to_srgb() -> &'static [u8] {
    static LUT: OnceLock<Vec<u8>> = OnceLock::new();
    LUT.get_or_init(|| {
        (0..=65535u32)
            .map(|i| {
                let l = f64::from(i) / 65535.0;
                let c = if l <= 0.0031308 {
                    l * 12.92
                } else {
                    1.055 * l.powf(1.0 / 2.4) - 0.055
                };
                (c * 255.0).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    })
}

/// A linear-light 16-bit copy of a rectangle of the photo, as fast_image_resize bytes.
fn linear_region(src: &RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> Vec<u8> {
    let lut = to_linear();
    let stride = src.width() as usize * 3;
    let raw = src.as_raw();
    let mut out = Vec::with_capacity(w as usize * h as usize * 6);
    for y in y0..y0 + h {
        let row = &raw[y as usize * stride + x0 as usize * 3..][..w as usize * 3];
        for &v in row {
            out.extend_from_slice(&lut[v as usize].to_ne_bytes());
        }
    }
    out
}

fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect()
}

/// Renders the plan's output from the upright photo. Output pixels beyond the photo's edge (the
/// caller decides whether that is allowed) repeat the nearest edge pixel.
pub fn render(src: &RgbImage, plan: &Plan) -> Result<RgbImage, RenderError> {
    let (out_w, out_h) = (plan.width, plan.height);
    let to_photo = plan
        .to_output
        .inverse()
        .ok_or_else(|| RenderError("singular framing".into()))?;
    let (pw, ph) = (src.width(), src.height());
    // The photo region the output covers, with a margin for the filters.
    let corners = [
        (0.0, 0.0),
        (out_w as f32, 0.0),
        (0.0, out_h as f32),
        (out_w as f32, out_h as f32),
    ]
    .map(|(x, y)| to_photo.apply(Point::new(x, y)));
    let margin = 4.0 / plan.scale.min(1.0);
    let clampf = |v: f32, hi: u32| v.clamp(0.0, hi as f32);
    let x0 = clampf(corners.iter().map(|p| p.x).fold(f32::MAX, f32::min) - margin, pw).floor() as u32;
    let y0 = clampf(corners.iter().map(|p| p.y).fold(f32::MAX, f32::min) - margin, ph).floor() as u32;
    let x1 = clampf(corners.iter().map(|p| p.x).fold(f32::MIN, f32::max) + margin, pw).ceil() as u32;
    let y1 = clampf(corners.iter().map(|p| p.y).fold(f32::MIN, f32::max) + margin, ph).ceil() as u32;
    let x0 = x0.min(pw - 1);
    let y0 = y0.min(ph - 1);
    let (rw, rh) = ((x1.max(x0 + 1)) - x0, (y1.max(y0 + 1)) - y0);
    let err = |e: String| RenderError(e);
    let linear = linear_region(src, x0, y0, rw, rh);
    let region = ImageRef::new(rw, rh, &linear, PixelType::U16x3).map_err(|e| err(e.to_string()))?;
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));

    let level = plan.levelled_deg.abs() < 0.01 && !plan.missing.any();
    if level {
        // No rotation, nothing beyond the photo: one Lanczos step from the exact source window.
        let left = f64::from(to_photo.c) - f64::from(x0);
        let top = f64::from(to_photo.f) - f64::from(y0);
        let (cw, ch) = (
            f64::from(out_w) * f64::from(to_photo.a),
            f64::from(out_h) * f64::from(to_photo.e),
        );
        let mut dst = Image::new(out_w, out_h, PixelType::U16x3);
        Resizer::new()
            .resize(&region, &mut dst, &lanczos.crop(left, top, cw, ch))
            .map_err(|e| err(e.to_string()))?;
        return Ok(to_rgb8(&u16s(dst.buffer()), out_w, out_h));
    }

    // Step 1: bring the region to the output's scale (never enlarge here).
    let s = plan.scale.min(1.0);
    let (iw, ih) = (
        ((rw as f32 * s).round() as u32).max(1),
        ((rh as f32 * s).round() as u32).max(1),
    );
    let inter = if (iw, ih) == (rw, rh) {
        u16s(&linear)
    } else {
        let mut dst = Image::new(iw, ih, PixelType::U16x3);
        Resizer::new()
            .resize(&region, &mut dst, &lanczos)
            .map_err(|e| err(e.to_string()))?;
        u16s(dst.buffer())
    };
    let (sx, sy) = (iw as f32 / rw as f32, ih as f32 / rh as f32);

    // Step 2: bicubic through the rotation, pixel centres at +0.5.
    let mut out = vec![0u16; out_w as usize * out_h as usize * 3];
    let (iwi, ihi) = (iw as i64, ih as i64);
    for oy in 0..out_h as usize {
        let row = &mut out[oy * out_w as usize * 3..][..out_w as usize * 3];
        for ox in 0..out_w as usize {
            let p = to_photo.apply(Point::new(ox as f32 + 0.5, oy as f32 + 0.5));
            let u = (p.x - x0 as f32) * sx - 0.5;
            let v = (p.y - y0 as f32) * sy - 0.5;
            let (fu, fv) = (u.floor(), v.floor());
            let wx = catmull_rom(u - fu);
            let wy = catmull_rom(v - fv);
            let (bu, bv) = (fu as i64 - 1, fv as i64 - 1);
            let mut acc = [0.0f32; 3];
            for (j, wyj) in wy.iter().enumerate() {
                let yy = (bv + j as i64).clamp(0, ihi - 1) as usize;
                let line = &inter[yy * iw as usize * 3..][..iw as usize * 3];
                let mut racc = [0.0f32; 3];
                for (i, wxi) in wx.iter().enumerate() {
                    let xx = (bu + i as i64).clamp(0, iwi - 1) as usize * 3;
                    racc[0] += wxi * f32::from(line[xx]);
                    racc[1] += wxi * f32::from(line[xx + 1]);
                    racc[2] += wxi * f32::from(line[xx + 2]);
                }
                for c in 0..3 {
                    acc[c] += wyj * racc[c];
                }
            }
            for c in 0..3 {
                row[ox * 3 + c] = acc[c].round().clamp(0.0, 65535.0) as u16;
            }
        }
    }
    Ok(to_rgb8(&out, out_w, out_h))
}

fn catmull_rom(t: f32) -> [f32; 4] {
    let t2 = t * t;
    let t3 = t2 * t;
    [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]
}

fn to_rgb8(linear: &[u16], w: u32, h: u32) -> RgbImage {
    let lut = to_srgb();
    let bytes: Vec<u8> = linear.iter().map(|&v| lut[v as usize]).collect();
    RgbImage::from_raw(w, h, bytes).expect("buffer matches the size")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_light_round_trips_every_level() {
        let (lin, srgb) = (to_linear(), to_srgb());
        for i in 0..256 {
            assert_eq!(srgb[lin[i] as usize] as usize, i);
        }
    }

    #[test]
    fn catmull_rom_weights_sum_to_one_and_interpolate() {
        for t in [0.0f32, 0.25, 0.5, 0.9] {
            let w = catmull_rom(t);
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert_eq!(catmull_rom(0.0), [0.0, 1.0, 0.0, 0.0]);
    }
}
