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
use trueshot_pixels::color::{linear_to_srgb, srgb_to_linear};

use crate::Plan;

#[derive(Debug, thiserror::Error)]
#[error("resampling failed: {0}")]
pub struct RenderError(String);

fn to_linear() -> &'static [u16; 256] {
    static LUT: OnceLock<[u16; 256]> = OnceLock::new();
    LUT.get_or_init(|| {
        let mut t = [0u16; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let l = srgb_to_linear(i as f64 / 255.0);
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
                let c = linear_to_srgb(f64::from(i) / 65535.0);
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

/// Renders several plans of one photo. Unrotated plans that lie inside the photo take one
/// SIMD convolution from a linear-light copy of the region they share (made once); the others
/// go through the two-pass warp ([`crate::warp`]).
pub fn render_all(src: &RgbImage, plans: &[&Plan]) -> Result<Vec<RgbImage>, RenderError> {
    let (pw, ph) = (src.width(), src.height());
    let straight = |p: &Plan| p.levelled_deg.abs() < 0.01 && !p.missing.any();
    let regions: Vec<(u32, u32, u32, u32)> = plans
        .iter()
        .filter(|p| straight(p))
        .map(|p| region(p, pw, ph).ok_or_else(|| RenderError("singular framing".into())))
        .collect::<Result<_, _>>()?;
    let union = regions
        .iter()
        .copied()
        .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)));
    let linear = union.map(|u| linear_region(src, u.0, u.1, u.2 - u.0, u.3 - u.1));
    plans
        .iter()
        .map(|plan| match (straight(plan), union, &linear) {
            (true, Some(u), Some(lin)) => {
                let shared = ImageRef::new(u.2 - u.0, u.3 - u.1, lin, PixelType::U16x3)
                    .map_err(|e| RenderError(e.to_string()))?;
                render_straight(plan, &shared, u)
            }
            _ => {
                let out = crate::warp::warp(
                    src,
                    &plan.to_output,
                    plan.width,
                    plan.height,
                    to_linear_f32(),
                )
                .ok_or_else(|| RenderError("singular framing".into()))?;
                let lut = to_srgb();
                let mut bytes = vec![0u8; out.len() * 3];
                for (p, d) in out.iter().zip(bytes.chunks_exact_mut(3)) {
                    // `as` saturates: negative filter lobes clamp to 0, overshoot to 65535
                    d[0] = lut[(p[0] + 0.5) as u16 as usize];
                    d[1] = lut[(p[1] + 0.5) as u16 as usize];
                    d[2] = lut[(p[2] + 0.5) as u16 as usize];
                }
                RgbImage::from_raw(plan.width, plan.height, bytes)
                    .ok_or_else(|| RenderError("buffer size".into()))
            }
        })
        .collect()
}

/// An unrotated plan inside the photo: one convolution from the exact source window.
fn render_straight(
    plan: &Plan,
    shared: &ImageRef,
    union: (u32, u32, u32, u32),
) -> Result<RgbImage, RenderError> {
    let err = |e: String| RenderError(e);
    let (out_w, out_h) = (plan.width, plan.height);
    let to_photo = plan
        .to_output
        .inverse()
        .ok_or_else(|| err("singular framing".into()))?;
    // Catmull-Rom whose support widens with the reduction (the filter Pillow calls BICUBIC).
    let filter = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
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
    Ok(to_rgb8(&u16s(dst.buffer()), out_w, out_h))
}

fn to_linear_f32() -> &'static [f32; 256] {
    static LUT: OnceLock<[f32; 256]> = OnceLock::new();
    LUT.get_or_init(|| to_linear().map(f32::from))
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

    /// The two-pass warp and the single convolution agree on an unrotated plan, and a rotated
    /// plan keeps the picture's content where the map says.
    #[test]
    fn warp_matches_the_convolution_and_follows_the_map() {
        use trueshot_geom::Affine;
        // a real photo
        let src = image::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../photos/samples/obama.jpg"
        ))
        .unwrap()
        .into_rgb8();
        let s = 0.61f32;
        let m = Affine {
            a: s,
            b: 0.0,
            c: -40.3,
            d: 0.0,
            e: s,
            f: -25.7,
        };
        let plan = Plan {
            variant: "t".into(),
            width: 400,
            height: 500,
            target: trueshot_guide::Target {
                eye_line: 0.4,
                eye_to_chin: 0.3,
                center_x: 0.5,
            },
            to_output: m,
            scale: s,
            levelled_deg: 0.0,
            missing: crate::Missing::default(),
            achieved: crate::Achieved {
                eye_line: 0.0,
                eye_to_chin: 0.0,
                center_x: 0.0,
                roll_after: 0.0,
                head_height: 0.0,
                eye_from_bottom: 0.0,
                crown_crop: 0.0,
            },
            tolerance: None,
            in_tolerance: true,
        };
        let straight = render(&src, &plan).unwrap();
        let warped = crate::warp::warp(&src, &m, 400, 500, to_linear_f32()).unwrap();
        let lut = to_srgb();
        let mut diff = 0.0f64;
        for (p, q) in warped.iter().zip(straight.pixels()) {
            for c in 0..3 {
                diff += f64::from(lut[(p[c] + 0.5).clamp(0.0, 65535.0) as usize].abs_diff(q[c]));
            }
        }
        let mean = diff / (400.0 * 500.0 * 3.0);
        assert!(mean < 1.0, "mean abs diff {mean}");
        // rotated by 10° about a point: that point's pixel lands where the map puts it
        let (cos, sin) = (10f32.to_radians().cos(), 10f32.to_radians().sin());
        let (px, py) = (455.0f32, 400.0f32);
        let (a, b, d, e) = (s * cos, s * sin, -s * sin, s * cos);
        let rot = Affine {
            a,
            b,
            c: 200.0 - (a * px + b * py),
            d,
            e,
            f: 250.0 - (d * px + e * py),
        };
        let out = crate::warp::warp(&src, &rot, 400, 500, to_linear_f32()).unwrap();
        // mean colour of a 9×9 patch around the mapped point vs the photo's patch (scaled)
        let mean_out: f32 = (246..255)
            .flat_map(|y| (196..205).map(move |x| (x, y)))
            .map(|(x, y)| out[y * 400 + x][0])
            .sum::<f32>()
            / 81.0;
        let lin = to_linear_f32();
        let mean_src: f32 = (393..408)
            .flat_map(|y| (448..463).map(move |x| (x, y)))
            .map(|(x, y)| lin[src.get_pixel(x, y)[0] as usize])
            .sum::<f32>()
            / 225.0;
        assert!(
            (mean_out - mean_src).abs() < 0.08 * 65535.0,
            "{mean_out} vs {mean_src}"
        );
    }
}
