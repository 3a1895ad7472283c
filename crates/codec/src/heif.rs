//! HEIC/HEIF and AVIF through libheif.
//!
//! libheif applies the container's own rotation and mirroring (`irot`/`imir`), which is what
//! makes an iPhone photo upright; the EXIF orientation inside a HEIF file only repeats it and is
//! not applied a second time. Dimensions are checked from the image handle before decoding.

use std::path::Path;

use image::RgbImage;
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

use crate::{finish, CodecError, DecodedPhoto, Limits, SourceFormat};

pub(crate) fn decode(
    bytes: &[u8],
    path: &Path,
    limits: &Limits,
    format: SourceFormat,
) -> Result<DecodedPhoto, CodecError> {
    let corrupt = |e: libheif_rs::HeifError| CodecError::Corrupt {
        path: path.to_path_buf(),
        format: format.name(),
        reason: e.message.clone(),
    };
    let ctx = HeifContext::read_from_bytes(bytes).map_err(corrupt)?;
    let handle = ctx.primary_image_handle().map_err(corrupt)?;
    let (w, h) = (handle.width(), handle.height());
    crate::check_dimensions(w, h, path, format, limits)?;
    let mut notes = Vec::new();
    if ctx.image_ids().len() > 1 {
        notes.push("the file holds several images; the primary one was used".to_string());
    }
    if handle.luma_bits_per_pixel() > 8 {
        notes.push(format!(
            "{}-bit samples were reduced to 8 bits",
            handle.luma_bits_per_pixel()
        ));
    }
    let alpha = handle.has_alpha_channel();
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let decoded = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(corrupt)?;
    let planes = decoded.planes();
    let plane = planes.interleaved.ok_or_else(|| CodecError::Corrupt {
        path: path.to_path_buf(),
        format: format.name(),
        reason: "libheif returned no interleaved plane".into(),
    })?;
    let channels = if alpha { 4 } else { 3 };
    let (pw, ph) = (plane.width as usize, plane.height as usize);
    let mut rgb = RgbImage::new(plane.width, plane.height);
    let out: &mut [u8] = rgb.as_mut();
    for y in 0..ph {
        let row = &plane.data[y * plane.stride..y * plane.stride + pw * channels];
        for (x, px) in row.chunks_exact(channels).enumerate() {
            let o = (y * pw + x) * 3;
            if alpha {
                let a = u32::from(px[3]);
                for c in 0..3 {
                    out[o + c] = ((u32::from(px[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
                }
            } else {
                out[o..o + 3].copy_from_slice(&px[..3]);
            }
        }
    }
    if alpha {
        notes.push("transparent areas were flattened onto white".to_string());
    }
    let icc = handle.color_profile_raw().map(|p| p.data);
    // libheif has already applied the container's rotation: no EXIF orientation on top.
    finish(
        rgb,
        icc.as_deref(),
        false,
        image::metadata::Orientation::NoTransforms,
        format,
        (w, h),
        notes,
        path,
    )
}
