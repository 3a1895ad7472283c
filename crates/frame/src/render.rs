//! Resampling a photo through a plan, in linear light.
//!
//! Downscaling first shrinks the region the output needs to the output's scale with a Catmull-Rom
//! convolution whose support widens with the reduction (fast_image_resize, antialiased), then a Catmull-Rom bicubic
//! resampler applies the rotation and the sub-pixel placement. Both steps work on linear-light
//! 16-bit values, so dark hair against a light wall does not darken or fringe as it does when
//! sRGB values are averaged. An unrotated plan is done in one step. The photo region that all
//! variants share is converted to linear light once.

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
    let row_bytes = w as usize * 6;
    let mut out = vec![0u8; row_bytes * h as usize];
    for (y, dst) in (y0..y0 + h).zip(out.chunks_exact_mut(row_bytes)) {
        let row = &raw[y as usize * stride + x0 as usize * 3..][..w as usize * 3];
        for (&v, d) in row.iter().zip(dst.chunks_exact_mut(2)) {
            d.copy_from_slice(&lut[v as usize].to_ne_bytes());
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
    Ok(render_all(src, &[plan])?.remove(0))
}

/// The photo rectangle a plan reads, with a margin for the filters: `(x0, y0, x1, y1)`.
fn region(plan: &Plan, pw: u32, ph: u32) -> Option<(u32, u32, u32, u32)> {
    let to_photo = plan.to_output.inverse()?;
    let corners = [
        (0.0, 0.0),
        (plan.width as f32, 0.0),
        (0.0, plan.height as f32),
        (plan.width as f32, plan.height as f32),
    ]
    .map(|(x, y)| to_photo.apply(Point::new(x, y)));
    let margin = 4.0 / plan.scale.min(1.0);
    let lo = |f: fn(&Point) -> f32, hi: u32| {
        (corners.iter().map(f).fold(f32::MAX, f32::min) - margin).clamp(0.0, (hi - 1) as f32) as u32
    };
    let up = |f: fn(&Point) -> f32, hi: u32| {
        (corners.iter().map(f).fold(f32::MIN, f32::max) + margin)
            .ceil()
            .clamp(1.0, hi as f32) as u32
    };
    let (x0, y0) = (lo(|p| p.x, pw), lo(|p| p.y, ph));
    let (x1, y1) = (up(|p| p.x, pw).max(x0 + 1), up(|p| p.y, ph).max(y0 + 1));
    Some((x0, y0, x1, y1))
}

/// Renders several plans of one photo, converting the photo region they share to linear light
/// once.
pub fn render_all(src: &RgbImage, plans: &[&Plan]) -> Result<Vec<RgbImage>, RenderError> {
    let (pw, ph) = (src.width(), src.height());
    let regions: Vec<(u32, u32, u32, u32)> = plans
        .iter()
        .map(|p| region(p, pw, ph).ok_or_else(|| RenderError("singular framing".into())))
        .collect::<Result<_, _>>()?;
    let Some(union) = regions
        .iter()
        .copied()
        .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
    else {
        return Ok(Vec::new());
    };
    let (uw, uh) = (union.2 - union.0, union.3 - union.1);
    let linear = linear_region(src, union.0, union.1, uw, uh);
    let shared =
        ImageRef::new(uw, uh, &linear, PixelType::U16x3).map_err(|e| RenderError(e.to_string()))?;
    plans
        .iter()
        .zip(&regions)
        .map(|(plan, r)| render_one(plan, &shared, &linear, union, *r))
        .collect()
}

fn render_one(
    plan: &Plan,
    shared: &ImageRef,
    linear: &[u8],
    union: (u32, u32, u32, u32),
    r: (u32, u32, u32, u32),
) -> Result<RgbImage, RenderError> {
    let err = |e: String| RenderError(e);
    let (out_w, out_h) = (plan.width, plan.height);
    let to_photo = plan
        .to_output
        .inverse()
        .ok_or_else(|| err("singular framing".into()))?;
    // Antialiased downscaling: Catmull-Rom whose support widens with the reduction (the filter
    // Pillow calls BICUBIC), SIMD in fast_image_resize.
    let filter = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let (rx, ry) = (r.0 - union.0, r.1 - union.1);
    let (rw, rh) = (r.2 - r.0, r.3 - r.1);

    if plan.levelled_deg.abs() < 0.01 && !plan.missing.any() {
        // No rotation, nothing beyond the photo: one step from the exact source window.
        let left = f64::from(to_photo.c) - f64::from(union.0);
        let top = f64::from(to_photo.f) - f64::from(union.1);
        let (cw, ch) = (
            f64::from(out_w) * f64::from(to_photo.a),
            f64::from(out_h) * f64::from(to_photo.e),
        );
        let mut dst = Image::new(out_w, out_h, PixelType::U16x3);
        Resizer::new()
            .resize(shared, &mut dst, &filter.crop(left, top, cw, ch))
            .map_err(|e| err(e.to_string()))?;
        return Ok(to_rgb8(&u16s(dst.buffer()), out_w, out_h));
    }

    // Step 1: bring the region to the output's scale (never enlarge here).
    let s = plan.scale.min(1.0);
    let (iw, ih) = (
        ((rw as f32 * s).round() as u32).max(1),
        ((rh as f32 * s).round() as u32).max(1),
    );
    let inter16: Vec<u16> = if (iw, ih) == (rw, rh) {
        // the region itself, cut from the shared linear copy
        let uw = (union.2 - union.0) as usize;
        let all = u16s(linear);
        let mut v = Vec::with_capacity(rw as usize * rh as usize * 3);
        for y in ry as usize..(ry + rh) as usize {
            v.extend_from_slice(&all[(y * uw + rx as usize) * 3..][..rw as usize * 3]);
        }
        v
    } else {
        let mut dst = Image::new(iw, ih, PixelType::U16x3);
        let crop = filter.crop(f64::from(rx), f64::from(ry), f64::from(rw), f64::from(rh));
        Resizer::new()
            .resize(shared, &mut dst, &crop)
            .map_err(|e| err(e.to_string()))?;
        u16s(dst.buffer())
    };
    // Four f32 lanes per pixel (RGB + padding): each tap below is one vector multiply-add.
    let inter: Vec<[f32; 4]> = inter16
        .chunks_exact(3)
        .map(|p| [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), 0.0])
        .collect();
    drop(inter16);
    let (sx, sy) = (iw as f32 / rw as f32, ih as f32 / rh as f32);

    // Step 2: Catmull-Rom bicubic through the rotation. Intermediate coordinates of output
    // pixel centres are affine in (ox, oy): stepped, not recomputed.
    let (x0, y0) = (r.0 as f32, r.1 as f32);
    let (ua, ub) = (to_photo.a * sx, to_photo.b * sx);
    let uc = (to_photo.a * 0.5 + to_photo.b * 0.5 + to_photo.c - x0) * sx - 0.5;
    let (va, vb) = (to_photo.d * sy, to_photo.e * sy);
    let vc = (to_photo.d * 0.5 + to_photo.e * 0.5 + to_photo.f - y0) * sy - 0.5;
    let (iwu, ihu) = (iw as usize, ih as usize);
    let mut out = vec![0u16; out_w as usize * out_h as usize * 3];
    for (oy, row) in out.chunks_exact_mut(out_w as usize * 3).enumerate() {
        let mut u = ub * oy as f32 + uc;
        let mut v = vb * oy as f32 + vc;
        for px in row.chunks_exact_mut(3) {
            // floor without a libm call (x86-64's baseline has no rounding instruction)
            let (fu, fv) = (floor(u), floor(v));
            let wx = catmull_rom(u - fu);
            let wy = catmull_rom(v - fv);
            let (bx, by) = (fu as isize - 1, fv as isize - 1);
            let mut acc = [0.0f32; 4];
            if bx >= 0 && by >= 0 && (bx as usize) + 3 < iwu && (by as usize) + 3 < ihu {
                let base = by as usize * iwu + bx as usize;
                for (j, wyj) in wy.iter().enumerate() {
                    let t: &[[f32; 4]; 4] = inter[base + j * iwu..][..4]
                        .try_into()
                        .expect("four pixels");
                    let mut line = [0.0f32; 4];
                    for (tap, w) in t.iter().zip(wx) {
                        for c in 0..4 {
                            line[c] += w * tap[c];
                        }
                    }
                    for c in 0..4 {
                        acc[c] += wyj * line[c];
                    }
                }
            } else {
                // near the edge: repeat the edge pixels
                for (j, wyj) in wy.iter().enumerate() {
                    let yy = (by + j as isize).clamp(0, ihu as isize - 1) as usize;
                    for (i, wxi) in wx.iter().enumerate() {
                        let xx = (bx + i as isize).clamp(0, iwu as isize - 1) as usize;
                        let tap = &inter[yy * iwu + xx];
                        for c in 0..4 {
                            acc[c] += wyj * wxi * tap[c];
                        }
                    }
                }
            }
            for c in 0..3 {
                // `as` saturates: negative lobes clamp to 0, overshoot to 65535
                px[c] = (acc[c] + 0.5) as u16;
            }
            u += ua;
            v += va;
        }
    }
    Ok(to_rgb8(&out, out_w, out_h))
}

#[inline]
fn floor(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

#[inline]
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
