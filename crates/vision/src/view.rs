//! The analysis copy of a photo: a downscaled version with a box-filtered pyramid, from which
//! model inputs are sampled.
//!
//! Perception never needs all 12 megapixels: detection sees 128 or 192 pixels, landmark models
//! see a face at 192 pixels. Working from a copy whose long side is at most
//! [`ANALYSIS_LONG_SIDE`] keeps everything after decoding cheap, and sampling each crop from the
//! pyramid level that is at most 2× larger than the crop keeps crops free of aliasing (plain
//! bilinear sampling from a much larger image skips pixels, which shows up as jittery landmarks).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use trueshot_geom::{Affine, Point};

use crate::VisionError;

/// The long side of the analysis copy, in pixels.
pub const ANALYSIS_LONG_SIDE: u32 = 1600;

/// A photo prepared for analysis.
pub struct PhotoView {
    /// Width and height of the full upright photo.
    pub width: u32,
    pub height: u32,
    /// Analysis pixels per photo pixel (≤ 1).
    pub scale: f32,
    /// Level 0 is the analysis copy; each further level halves it.
    levels: Vec<RgbImage>,
}

impl PhotoView {
    pub fn new(photo: &RgbImage) -> Result<PhotoView, VisionError> {
        PhotoView::with_full_size(photo, photo.width(), photo.height())
    }

    /// A view of a photo whose full size is `full_w × full_h` but which was decoded smaller
    /// (JPEG shrink-on-load): results are still given in full-size pixels.
    pub fn with_full_size(
        photo: &RgbImage,
        full_w: u32,
        full_h: u32,
    ) -> Result<PhotoView, VisionError> {
        let (w, h) = photo.dimensions();
        if w == 0 || h == 0 || full_w == 0 || full_h == 0 {
            return Err(VisionError::Internal("empty picture".into()));
        }
        let long = w.max(h);
        let base = if long > ANALYSIS_LONG_SIDE {
            let s = ANALYSIS_LONG_SIDE as f32 / long as f32;
            let dw = ((w as f32 * s).round() as u32).max(1);
            let dh = ((h as f32 * s).round() as u32).max(1);
            // Exact 2×2 averages down to less than twice the target first (cheap, and the
            // resampling filter's cost grows with the source), then one area-weighted step.
            let mut halved: Option<RgbImage> = None;
            loop {
                let src = halved.as_ref().unwrap_or(photo);
                if src.width() < 2 * dw || src.height() < 2 * dh {
                    break resize_with(src, dw, dh, FilterType::Box)?;
                }
                halved = Some(halve(src));
            }
        } else {
            photo.clone()
        };
        // Horizontal scale for both axes: the two differ by under half a pixel over the width.
        let scale = base.width() as f32 / full_w as f32;
        let mut levels = vec![base];
        while let Some(last) = levels.last() {
            if last.width().min(last.height()) < 64 {
                break;
            }
            let next = halve(last);
            levels.push(next);
        }
        Ok(PhotoView {
            width: full_w,
            height: full_h,
            scale,
            levels,
        })
    }

    /// The analysis copy (pyramid level 0).
    pub fn analysis(&self) -> &RgbImage {
        &self.levels[0]
    }

    /// Map from analysis pixels to photo pixels.
    pub fn to_photo(&self) -> Affine {
        Affine::scale_translate(1.0 / self.scale, 1.0 / self.scale, 0.0, 0.0)
    }

    /// Samples an `out_w × out_h` NHWC tensor whose pixel `(u, v)` shows the analysis image at
    /// `tensor_to_analysis(u, v)`, with values mapped from 0..255 to `lo..hi`; outside the picture
    /// the tensor holds zeros (MediaPipe's `BORDER_ZERO`).
    pub fn sample(
        &self,
        tensor_to_analysis: &Affine,
        out_w: usize,
        out_h: usize,
        lo: f32,
        hi: f32,
    ) -> Vec<f32> {
        // Pick the level whose pixels are at most twice as small as a tensor pixel.
        let step = tensor_to_analysis.scale().max(1e-6);
        let mut level = 0usize;
        while level + 1 < self.levels.len() && step >= (2u32 << level) as f32 {
            level += 1;
        }
        let k = 1.0 / (1u32 << level) as f32;
        let m = Affine::scale_translate(k, k, 0.0, 0.0).then_after(tensor_to_analysis);
        sample_bilinear(&self.levels[level], &m, out_w, out_h, lo, hi)
    }

    /// A letterboxed `side × side` tensor of the whole picture (aspect kept, centred, zero
    /// padding), and the map from tensor pixels to analysis pixels.
    pub fn letterbox(
        &self,
        side: usize,
        lo: f32,
        hi: f32,
    ) -> Result<(Vec<f32>, Affine), VisionError> {
        let img = self.analysis();
        let (w, h) = (img.width() as f32, img.height() as f32);
        let s = side as f32 / w.max(h);
        let dw = ((w * s).round() as u32).clamp(1, side as u32);
        let dh = ((h * s).round() as u32).clamp(1, side as u32);
        // From the smallest pyramid level still at least twice the size (the same picture,
        // a fraction of the filter's work).
        let level = self
            .levels
            .iter()
            .rev()
            .find(|l| l.width() >= 2 * dw && l.height() >= 2 * dh)
            .unwrap_or(img);
        let small = resize(level, dw, dh)?;
        let ox = (side as u32 - dw) / 2;
        let oy = (side as u32 - dh) / 2;
        let mut out = vec![0.0f32; side * side * 3];
        let k = (hi - lo) / 255.0;
        // Padding is the value 0 *after* normalisation, as MediaPipe's zero border.
        for (y, row) in small.rows().enumerate() {
            for (x, p) in row.enumerate() {
                let i = ((y + oy as usize) * side + x + ox as usize) * 3;
                out[i] = f32::from(p[0]) * k + lo;
                out[i + 1] = f32::from(p[1]) * k + lo;
                out[i + 2] = f32::from(p[2]) * k + lo;
            }
        }
        let sx = w / dw as f32;
        let sy = h / dh as f32;
        Ok((
            out,
            Affine::scale_translate(sx, sy, -(ox as f32) * sx, -(oy as f32) * sy),
        ))
    }
}

/// Resizes with a bilinear convolution whose support widens with the scale factor, i.e. proper
/// area-weighted downscaling (fast_image_resize, SIMD).
pub fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage, VisionError> {
    resize_with(src, w, h, FilterType::Bilinear)
}

fn resize_with(
    src: &RgbImage,
    w: u32,
    h: u32,
    filter: FilterType,
) -> Result<RgbImage, VisionError> {
    let err = |e: String| VisionError::Internal(format!("resize: {e}"));
    let src_view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3)
        .map_err(|e| err(e.to_string()))?;
    let mut dst = Image::new(w, h, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src_view,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)),
        )
        .map_err(|e| err(e.to_string()))?;
    RgbImage::from_raw(w, h, dst.into_vec()).ok_or_else(|| err("buffer size".into()))
}

fn halve(src: &RgbImage) -> RgbImage {
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let (w, h) = ((sw / 2).max(1), (sh / 2).max(1));
    let raw = src.as_raw();
    let stride = sw * 3;
    let mut out = vec![0u8; w * h * 3];
    for (y, row) in out.chunks_exact_mut(w * 3).enumerate() {
        let r0 = &raw[2 * y * stride..][..stride];
        let r1 = &raw[(2 * y + 1).min(sh - 1) * stride..][..stride];
        if sw == 1 {
            for c in 0..3 {
                row[c] = (u16::from(r0[c]) + u16::from(r1[c])).div_ceil(2) as u8;
            }
            continue;
        }
        // Whole 2×2 blocks only (an odd last column is dropped, as the width halves down).
        for ((o, a), b) in row
            .chunks_exact_mut(3)
            .zip(r0.chunks_exact(6))
            .zip(r1.chunks_exact(6))
        {
            for c in 0..3 {
                let s =
                    u16::from(a[c]) + u16::from(a[c + 3]) + u16::from(b[c]) + u16::from(b[c + 3]);
                o[c] = ((s + 2) / 4) as u8;
            }
        }
    }
    RgbImage::from_raw(w as u32, h as u32, out).expect("size matches")
}

fn sample_bilinear(
    img: &RgbImage,
    m: &Affine,
    out_w: usize,
    out_h: usize,
    lo: f32,
    hi: f32,
) -> Vec<f32> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let k = (hi - lo) / 255.0;
    let mut out = vec![0.0f32; out_w * out_h * 3];
    let px = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= w || y >= h {
            // outside: the zero border is applied after normalisation
            (0.0 - lo) / k
        } else {
            f32::from(raw[((y * w + x) * 3) as usize + c])
        }
    };
    // floor without a libm call (baseline x86-64 has no rounding instruction)
    let floor = |v: f32| {
        let t = v as i64;
        if (t as f32) > v {
            t - 1
        } else {
            t
        }
    };
    let row = img.width() as usize * 3;
    for v in 0..out_h {
        for u in 0..out_w {
            let p = m.apply(Point::new(u as f32 + 0.5, v as f32 + 0.5));
            let (sx, sy) = (p.x - 0.5, p.y - 0.5);
            if !(sx.is_finite() && sy.is_finite()) {
                continue;
            }
            let (x0, y0) = (floor(sx), floor(sy));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let o = (v * out_w + u) * 3;
            if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
                continue; // entirely outside: stays 0
            }
            if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                // all four taps inside: the same arithmetic without per-tap checks
                let i = (y0 * w + x0) as usize * 3;
                let (t, b) = (&raw[i..i + 6], &raw[i + row..i + row + 6]);
                for c in 0..3 {
                    let top = f32::from(t[c]) * (1.0 - fx) + f32::from(t[c + 3]) * fx;
                    let bottom = f32::from(b[c]) * (1.0 - fx) + f32::from(b[c + 3]) * fx;
                    out[o + c] = (top * (1.0 - fy) + bottom * fy) * k + lo;
                }
                continue;
            }
            for c in 0..3 {
                let top = px(x0, y0, c) * (1.0 - fx) + px(x0 + 1, y0, c) * fx;
                let bottom = px(x0, y0 + 1, c) * (1.0 - fx) + px(x0 + 1, y0 + 1, c) * fx;
                out[o + c] = (top * (1.0 - fy) + bottom * fy) * k + lo;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sampling_reproduces_pixels() {
        let img = RgbImage::from_fn(8, 6, |x, y| image::Rgb([(x * 30) as u8, (y * 40) as u8, 7]));
        let view = PhotoView::new(&img).unwrap();
        let t = view.sample(&Affine::IDENTITY, 8, 6, 0.0, 255.0);
        assert!((t[(2 * 8 + 3) * 3] - 90.0).abs() < 1e-3);
        assert!((t[(2 * 8 + 3) * 3 + 1] - 80.0).abs() < 1e-3);
    }

    #[test]
    fn outside_the_picture_is_zero_after_normalisation() {
        let img = RgbImage::from_pixel(4, 4, image::Rgb([255, 255, 255]));
        let view = PhotoView::new(&img).unwrap();
        let t = view.sample(
            &Affine::scale_translate(1.0, 1.0, 100.0, 100.0),
            2,
            2,
            -1.0,
            1.0,
        );
        assert!(t.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn letterbox_maps_back_to_the_picture() {
        let img = RgbImage::from_pixel(200, 100, image::Rgb([10, 20, 30]));
        let view = PhotoView::new(&img).unwrap();
        let (_, m) = view.letterbox(128, -1.0, 1.0).unwrap();
        let top_left = m.apply(Point::new(0.0, 32.0));
        assert!(
            top_left.distance(Point::new(0.0, 0.0)) < 1e-3,
            "{top_left:?}"
        );
        let bottom_right = m.apply(Point::new(128.0, 96.0));
        assert!(
            bottom_right.distance(Point::new(200.0, 100.0)) < 1e-3,
            "{bottom_right:?}"
        );
    }
}
