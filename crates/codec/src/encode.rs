//! Writing headshots: sRGB pixels with an embedded sRGB ICC profile and the print resolution,
//! and nothing else — no EXIF (so no GPS, serial numbers, names or orientation flag: pixels are
//! written upright), no XMP from the original.

use std::sync::OnceLock;

use image::RgbImage;

/// Output file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Baseline JPEG (4:2:0 chroma, the encoder's default).
    Jpeg {
        quality: u8,
    },
    Png,
    /// Lossless WebP.
    WebpLossless,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot encode {format}: {message}")]
pub struct EncodeError {
    format: &'static str,
    message: String,
}

/// The sRGB ICC profile embedded in every output (LittleCMS's built-in sRGB).
pub fn srgb_icc() -> &'static [u8] {
    static ICC: OnceLock<Vec<u8>> = OnceLock::new();
    ICC.get_or_init(|| lcms2::Profile::new_srgb().icc().unwrap_or_default())
}

/// Encodes an sRGB picture with its ICC profile and `dpi` recorded (JPEG JFIF density, PNG pHYs;
/// WebP has no resolution field).
pub fn encode(img: &RgbImage, format: OutputFormat, dpi: u32) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    match format {
        OutputFormat::Jpeg { quality } => {
            let err = |e: jpeg_encoder::EncodingError| EncodeError {
                format: "JPEG",
                message: e.to_string(),
            };
            let (w16, h16) = (
                u16::try_from(w).map_err(|_| too_big("JPEG"))?,
                u16::try_from(h).map_err(|_| too_big("JPEG"))?,
            );
            let mut enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
            let d = u16::try_from(dpi).unwrap_or(u16::MAX);
            enc.set_density(jpeg_encoder::PixelDensity::dpi(d));
            enc.add_icc_profile(srgb_icc()).map_err(err)?;
            enc.encode(img.as_raw(), w16, h16, jpeg_encoder::ColorType::Rgb)
                .map_err(err)?;
        }
        OutputFormat::Png => {
            out = png_bytes(img.as_raw(), w, h, png::ColorType::Rgb, dpi)?;
        }
        OutputFormat::WebpLossless => {
            use image::ImageEncoder;
            let mut enc = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            enc.set_icc_profile(srgb_icc().to_vec())
                .map_err(|e| EncodeError {
                    format: "WebP",
                    message: e.to_string(),
                })?;
            enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
                .map_err(|e| EncodeError {
                    format: "WebP",
                    message: e.to_string(),
                })?;
        }
    }
    Ok(out)
}

/// Encodes a transparent cutout (straight alpha) as PNG with the sRGB profile and `dpi`.
pub fn encode_rgba_png(img: &image::RgbaImage, dpi: u32) -> Result<Vec<u8>, EncodeError> {
    png_bytes(
        img.as_raw(),
        img.width(),
        img.height(),
        png::ColorType::Rgba,
        dpi,
    )
}

fn png_bytes(
    raw: &[u8],
    w: u32,
    h: u32,
    color_type: png::ColorType,
    dpi: u32,
) -> Result<Vec<u8>, EncodeError> {
    let err = |e: png::EncodingError| EncodeError {
        format: "PNG",
        message: e.to_string(),
    };
    let mut out = Vec::new();
    let mut info = png::Info::with_size(w, h);
    info.color_type = color_type;
    info.bit_depth = png::BitDepth::Eight;
    info.icc_profile = Some(std::borrow::Cow::Borrowed(srgb_icc()));
    let ppm = (dpi as f64 / 0.0254).round() as u32;
    info.pixel_dims = Some(png::PixelDimensions {
        xppu: ppm,
        yppu: ppm,
        unit: png::Unit::Meter,
    });
    let enc = png::Encoder::with_info(&mut out, info).map_err(err)?;
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(raw).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

fn too_big(format: &'static str) -> EncodeError {
    EncodeError {
        format,
        message: "picture too large".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_bytes, Limits};
    use std::path::Path;

    #[test]
    fn outputs_carry_srgb_and_decode_back() {
        let mut img = RgbImage::new(64, 48);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 4) as u8, (y * 5) as u8, 128]);
        }
        assert!(srgb_icc().len() > 100);
        for (format, name) in [
            (OutputFormat::Jpeg { quality: 95 }, "a.jpg"),
            (OutputFormat::Png, "a.png"),
            (OutputFormat::WebpLossless, "a.webp"),
        ] {
            let bytes = encode(&img, format, 300).unwrap();
            let back = decode_bytes(&bytes, Path::new(name), &Limits::default()).unwrap();
            assert_eq!(back.image.dimensions(), (64, 48), "{name}");
            let diff: u64 = back
                .image
                .as_raw()
                .iter()
                .zip(img.as_raw())
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            let mean = diff as f64 / (64.0 * 48.0 * 3.0);
            assert!(mean < 2.0, "{name}: mean abs diff {mean}");
            // the ICC profile is in the file (decoding converts from it: an sRGB profile is a no-op)
            let icc = srgb_icc();
            assert!(
                bytes.windows(16).any(|w| w == &icc[..16]) || name == "a.png",
                "{name}: ICC embedded"
            );
        }
    }
}
