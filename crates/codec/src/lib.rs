//! Reading photos: bytes in, an upright sRGB picture out, or a typed error that names the file.
//!
//! [`decode_file`] and [`decode_bytes`] accept JPEG (baseline, progressive, greyscale, CMYK/YCCK),
//! PNG (8/16-bit, alpha, palette), WebP and TIFF. The EXIF orientation is applied, so every later
//! stage works in the coordinates of the picture as a person sees it; an embedded ICC profile is
//! converted to sRGB with LittleCMS, because every measurement downstream (exposure, skin colour,
//! ΔE) assumes sRGB; alpha is flattened onto white; and anything that changed the picture on the
//! way in is recorded in [`DecodedPhoto::notes`].
//!
//! Size limits ([`Limits`]) are checked before anything large is allocated: the file size from
//! the file system, the pixel count from the format header. A decompression bomb or a
//! 30000×30000 PNG is refused after reading a few hundred bytes.
//!
//! HEIC/HEIF (what iPhones write) and AVIF are recognised by their `ftyp` brand and decoded with
//! libheif (built in, with the system's libde265, libaom and dav1d). GIF and other formats that
//! carry no photographs are refused as unsupported.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

/// Limits checked before decoding.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest picture accepted, in pixels (width × height from the header).
    pub max_pixels: u64,
    /// Largest width or height accepted.
    pub max_side: u32,
}

impl Default for Limits {
    /// 200 MB and 120 megapixels: a medium-format camera's JPEG passes, a bomb does not.
    fn default() -> Self {
        Limits {
            max_file_bytes: 200 * 1024 * 1024,
            max_pixels: 120_000_000,
            max_side: 20_000,
        }
    }
}

/// The container format a photo came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    WebP,
    Tiff,
    /// HEIC/HEIF (what iPhones write), decoded with libheif.
    Heic,
    /// AVIF, decoded with libheif.
    Avif,
}

impl SourceFormat {
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "JPEG",
            SourceFormat::Png => "PNG",
            SourceFormat::WebP => "WebP",
            SourceFormat::Tiff => "TIFF",
            SourceFormat::Heic => "HEIC",
            SourceFormat::Avif => "AVIF",
        }
    }
}

/// A decoded photo: upright, 8-bit sRGB.
#[derive(Clone, Debug)]
pub struct DecodedPhoto {
    pub image: RgbImage,
    pub format: SourceFormat,
    /// The EXIF orientation (1–8) that was applied; 1 when none was present.
    pub orientation: u8,
    /// Width and height as stored in the file, before orientation (and before any reduction
    /// by [`decode_file_reduced`]).
    pub stored_size: (u32, u32),
    /// The embedded colour profile's description when one was converted to sRGB.
    pub converted_from_profile: Option<String>,
    /// Plain-language notes on what was done to read the photo.
    pub notes: Vec<String>,
}

impl DecodedPhoto {
    /// Width and height of the full-size photo, upright.
    pub fn full_size(&self) -> (u32, u32) {
        let (w, h) = self.stored_size;
        if self.orientation >= 5 {
            (h, w)
        } else {
            (w, h)
        }
    }
}

/// Why a photo could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a photo trueshot can read ({what})")]
    UnknownFormat { path: PathBuf, what: String },
    #[error("{path}: {format} files are not supported{hint}")]
    Unsupported {
        path: PathBuf,
        format: String,
        hint: String,
    },
    #[error("{path}: the {format} data is damaged or cut short: {reason}")]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    #[error("{path}: too large: {reason}")]
    TooLarge { path: PathBuf, reason: String },
    #[error("{path}: the colour profile could not be applied: {reason}")]
    ColourProfile { path: PathBuf, reason: String },
}

impl CodecError {
    /// True when the photo itself is at fault (HTTP 4xx), false for faults of the machine.
    pub fn is_input_fault(&self) -> bool {
        !matches!(self, CodecError::Io { .. })
    }
    pub fn path(&self) -> &Path {
        match self {
            CodecError::Io { path, .. }
            | CodecError::Empty { path }
            | CodecError::UnknownFormat { path, .. }
            | CodecError::Unsupported { path, .. }
            | CodecError::Corrupt { path, .. }
            | CodecError::TooLarge { path, .. }
            | CodecError::ColourProfile { path, .. } => path,
        }
    }
}

/// Reads and decodes the file at `path`. The file is never written to.
pub fn decode_file(path: &Path, limits: &Limits) -> Result<DecodedPhoto, CodecError> {
    let io = |source| CodecError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(CodecError::UnknownFormat {
            path: path.to_path_buf(),
            what: "it is not a regular file".into(),
        });
    }
    if meta.len() > limits.max_file_bytes {
        return Err(CodecError::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "{} bytes, the limit is {}",
                meta.len(),
                limits.max_file_bytes
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    decode_bytes(&bytes, path, limits)
}

/// Decodes a photo held in memory; `path` is only used to name it in errors.
pub fn decode_bytes(
    bytes: &[u8],
    path: &Path,
    limits: &Limits,
) -> Result<DecodedPhoto, CodecError> {
    let path_buf = || path.to_path_buf();
    if bytes.is_empty() {
        return Err(CodecError::Empty { path: path_buf() });
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(CodecError::TooLarge {
            path: path_buf(),
            reason: format!(
                "{} bytes, the limit is {}",
                bytes.len(),
                limits.max_file_bytes
            ),
        });
    }
    let format = sniff(bytes, path)?;
    let image_format = match format {
        SourceFormat::Jpeg => ImageFormat::Jpeg,
        SourceFormat::Png => ImageFormat::Png,
        SourceFormat::WebP => ImageFormat::WebP,
        SourceFormat::Tiff => ImageFormat::Tiff,
        SourceFormat::Heic | SourceFormat::Avif => {
            return heif::decode(bytes, path, limits, format)
        }
    };
    let corrupt = |e: image::ImageError| classify(e, path, format);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut image_limits = image::Limits::default();
    // Width and height are checked below, from the header, with a message that names them; the
    // decoder keeps only its allocation cap.
    // The decoder's own allocation cap: the 8-bit RGBA frame of the largest allowed picture, plus
    // room for 16-bit intermediate buffers.
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;

    let (w, h) = decoder.dimensions();
    check_dimensions(w, h, path, format, limits)?;
    let mut notes = Vec::new();
    // Metadata is advisory: a damaged EXIF block or profile must not make a good picture unreadable.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let original_colour = decoder.original_color_type();
    if format == SourceFormat::Tiff || format == SourceFormat::WebP {
        // image decodes the first page / frame of multi-page TIFF and animated WebP files.
        if is_multi_frame(bytes, format) {
            notes.push("the file holds several frames; the first one was used".to_string());
        }
    }
    if format == SourceFormat::Png && is_animated_png(bytes) {
        notes.push("the file is an animated PNG; the first frame was used".to_string());
    }
    // zune-jpeg (through image) fills whatever a cut-short JPEG lacks with grey and succeeds.
    if format == SourceFormat::Jpeg && !jpeg_reaches_eoi(bytes) {
        return Err(CodecError::Corrupt {
            path: path_buf(),
            format: format.name(),
            reason: "the file ends too early (truncated?)".into(),
        });
    }
    let decoded = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    // image's JPEG decoder reports CMYK/YCCK JPEGs as RGB, so the frame header is asked directly.
    let cmyk = (format == SourceFormat::Jpeg && jpeg_component_count(bytes) == Some(4))
        || matches!(
            original_colour,
            image::ExtendedColorType::Cmyk8 | image::ExtendedColorType::Cmyk16
        );
    let (rgb, is_grey) = to_rgb8(decoded, cmyk, &mut notes);
    finish(
        rgb,
        icc.as_deref(),
        is_grey,
        orientation,
        format,
        (w, h),
        notes,
        path,
    )
}

/// Refuses a picture whose header gives no pixels or more than `limits` allow, before anything
/// is allocated for it.
pub(crate) fn check_dimensions(
    w: u32,
    h: u32,
    path: &Path,
    format: SourceFormat,
    limits: &Limits,
) -> Result<(), CodecError> {
    if w == 0 || h == 0 {
        return Err(CodecError::Corrupt {
            path: path.to_path_buf(),
            format: format.name(),
            reason: "the header says the picture has no pixels".into(),
        });
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels || w > limits.max_side || h > limits.max_side {
        return Err(CodecError::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "{w}×{h} pixels, the limit is {} megapixels and {} pixels a side",
                limits.max_pixels / 1_000_000,
                limits.max_side
            ),
        });
    }
    Ok(())
}

/// A decoded picture as 8-bit RGB, with a note for what was lost on the way (16-bit samples,
/// CMYK, transparency flattened onto white); and whether it is greyscale.
fn to_rgb8(decoded: DynamicImage, cmyk: bool, notes: &mut Vec<String>) -> (RgbImage, bool) {
    let has_alpha = decoded.color().has_alpha();
    let bit_depth_16 = matches!(
        decoded,
        DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
            | DynamicImage::ImageRgb32F(_)
            | DynamicImage::ImageRgba32F(_)
    );
    if bit_depth_16 {
        notes.push("16-bit samples were reduced to 8 bits".to_string());
    }
    if cmyk {
        notes.push("CMYK photo converted to RGB".to_string());
    }

    let is_grey = matches!(
        decoded,
        DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageLumaA16(_)
    );
    let rgb = if has_alpha {
        notes.push("transparent areas were flattened onto white".to_string());
        flatten_on_white(&decoded)
    } else {
        decoded.into_rgb8()
    };
    (rgb, is_grey)
}

/// What every decoder does once it has 8-bit RGB: the embedded colour profile to sRGB, then the
/// EXIF orientation, each with a note.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish(
    mut rgb: RgbImage,
    icc: Option<&[u8]>,
    is_grey: bool,
    orientation: image::metadata::Orientation,
    format: SourceFormat,
    stored_size: (u32, u32),
    mut notes: Vec<String>,
    path: &Path,
) -> Result<DecodedPhoto, CodecError> {
    let converted_from_profile = match icc {
        Some(profile) => apply_profile(&mut rgb, profile, is_grey, path)?,
        None => None,
    };
    if let Some(desc) = &converted_from_profile {
        notes.push(format!(
            "colours converted to sRGB from the embedded profile \"{desc}\""
        ));
    }
    let mut upright = DynamicImage::ImageRgb8(rgb);
    upright.apply_orientation(orientation);
    let orientation_code = orientation_exif(orientation);
    if orientation_code != 1 {
        notes.push(format!(
            "turned upright (EXIF orientation {orientation_code})"
        ));
    }
    Ok(DecodedPhoto {
        image: upright.into_rgb8(),
        format,
        orientation: orientation_code,
        stored_size,
        converted_from_profile,
        notes,
    })
}

/// Like [`decode_file`], but a JPEG may come out smaller: it is decoded at 1/2, 1/4 or 1/8 of its
/// size in the DCT domain (libjpeg's "shrink on load", which skips most of the inverse DCT) as long
/// as its long side stays at least `min_long_side`. For analysis (`trueshot check`) that never
/// needs 12 megapixels; [`DecodedPhoto::full_size`] still gives the full size. Other formats,
/// greyscale, CMYK and 16-bit JPEGs decode at full size.
pub fn decode_file_reduced(
    path: &Path,
    limits: &Limits,
    min_long_side: u32,
) -> Result<DecodedPhoto, CodecError> {
    let io = |source| CodecError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() && meta.len() <= limits.max_file_bytes {
        let bytes = std::fs::read(path).map_err(io)?;
        return decode_bytes_reduced(&bytes, path, limits, min_long_side);
    }
    decode_file(path, limits)
}

/// [`decode_file_reduced`] for bytes in memory.
pub fn decode_bytes_reduced(
    bytes: &[u8],
    path: &Path,
    limits: &Limits,
    min_long_side: u32,
) -> Result<DecodedPhoto, CodecError> {
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || !jpeg_reaches_eoi(bytes) {
        return decode_bytes(bytes, path, limits);
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let Some(info) = decoder.read_info().ok().and_then(|_| decoder.info()) else {
        return decode_bytes(bytes, path, limits);
    };
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let long = w.max(h);
    let factor = [8u32, 4, 2]
        .into_iter()
        .find(|f| long / f >= min_long_side)
        .unwrap_or(1);
    let limits_ok = w > 0
        && h > 0
        && u64::from(w) * u64::from(h) <= limits.max_pixels
        && long <= limits.max_side;
    if factor == 1 || info.pixel_format != jpeg_decoder::PixelFormat::RGB24 || !limits_ok {
        // full decode: also where the limits are reported with the usual messages
        return decode_bytes(bytes, path, limits);
    }
    let corrupt = |e: jpeg_decoder::Error| CodecError::Corrupt {
        path: path.to_path_buf(),
        format: "JPEG",
        reason: e.to_string(),
    };
    let (dw, dh) = decoder
        .scale(w.div_ceil(factor) as u16, h.div_ceil(factor) as u16)
        .map_err(corrupt)?;
    let pixels = decoder.decode().map_err(corrupt)?;
    let rgb = RgbImage::from_raw(u32::from(dw), u32::from(dh), pixels).ok_or_else(|| {
        CodecError::Corrupt {
            path: path.to_path_buf(),
            format: "JPEG",
            reason: "fewer pixels than the header promises".into(),
        }
    })?;
    let orientation = decoder
        .exif_data()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile();
    finish(
        rgb,
        icc.as_deref(),
        false,
        orientation,
        SourceFormat::Jpeg,
        (w, h),
        Vec::new(),
        path,
    )
}

/// The photo format of a file from its first bytes, or why it is not a photo trueshot reads
/// (naming the file). Never from the file name: a text file named `.jpg` must be reported as
/// what it is.
pub fn sniff(bytes: &[u8], path: &Path) -> Result<SourceFormat, CodecError> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(SourceFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::WebP);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Ok(SourceFormat::Tiff);
    }
    let unsupported = |format: &str, hint: &str| CodecError::Unsupported {
        path: path.to_path_buf(),
        format: format.into(),
        hint: hint.into(),
    };
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Err(unsupported("GIF", ": GIF holds at most 256 colours and is not used for photographs; export the photo as JPEG or PNG"));
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = String::from_utf8_lossy(&bytes[8..12]).to_string();
        match brand.as_str() {
            "avif" | "avis" => return Ok(SourceFormat::Avif),
            "heic" | "heix" | "hevc" | "hevx" | "mif1" | "msf1" | "heim" | "heis" => {
                return Ok(SourceFormat::Heic)
            }
            _ => {}
        }
    }
    if starts(b"BM") {
        return Err(unsupported("BMP", ": export the photo as JPEG or PNG"));
    }
    let what = if bytes.len() < 8 {
        format!("only {} bytes long", bytes.len())
    } else if bytes
        .iter()
        .take(512)
        .all(|b| b.is_ascii() && (!b.is_ascii_control() || b.is_ascii_whitespace()))
    {
        "it is a text file".to_string()
    } else {
        "its first bytes match no known image format".to_string()
    };
    Err(CodecError::UnknownFormat {
        path: path.to_path_buf(),
        what,
    })
}

fn classify(e: image::ImageError, path: &Path, format: SourceFormat) -> CodecError {
    match e {
        image::ImageError::Limits(l) => CodecError::TooLarge {
            path: path.to_path_buf(),
            reason: l.to_string(),
        },
        image::ImageError::Unsupported(u) => CodecError::Unsupported {
            path: path.to_path_buf(),
            format: format.name().into(),
            hint: format!(" in this variant ({u})"),
        },
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            CodecError::Corrupt {
                path: path.to_path_buf(),
                format: format.name(),
                reason: "the file ends too early (truncated?)".into(),
            }
        }
        other => CodecError::Corrupt {
            path: path.to_path_buf(),
            format: format.name(),
            reason: other.to_string(),
        },
    }
}

mod capture;
mod encode;
mod heif;

pub use capture::{capture_time, CaptureTime};
pub use encode::{encode, encode_rgba_png, srgb_icc, EncodeError, OutputFormat};

fn flatten_on_white(img: &DynamicImage) -> RgbImage {
    let rgba = img.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            dst[c] = ((u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// Converts the pixels to sRGB from an embedded profile. Returns the profile's description when a
/// conversion happened, `None` when the profile already is sRGB or does not describe these pixels.
fn apply_profile(
    rgb: &mut RgbImage,
    icc: &[u8],
    is_grey: bool,
    path: &Path,
) -> Result<Option<String>, CodecError> {
    use lcms2::{ColorSpaceSignature, InfoType, Intent, Locale, PixelFormat, Profile, Transform};
    let profile = match Profile::new_icc(icc) {
        Ok(p) => p,
        // A broken profile is common in the wild; sRGB is the best guess for such files.
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring unreadable ICC profile: {e}");
            return Ok(None);
        }
    };
    let description = profile
        .info(InfoType::Description, Locale::none())
        .unwrap_or_else(|| "unnamed".into());
    let lower = description.to_ascii_lowercase();
    if lower.contains("srgb") || lower.contains("iec61966-2.1") || lower.contains("iec 61966-2-1") {
        return Ok(None);
    }
    let srgb = Profile::new_srgb();
    let err = |e: lcms2::Error| CodecError::ColourProfile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    match profile.color_space() {
        ColorSpaceSignature::RgbData if !is_grey => {
            let t: Transform<[u8; 3], [u8; 3]> = Transform::new(
                &profile,
                PixelFormat::RGB_8,
                &srgb,
                PixelFormat::RGB_8,
                Intent::Perceptual,
            )
            .map_err(err)?;
            let buf: &mut [u8] = rgb.as_mut();
            let pixels: &mut [[u8; 3]] = as_rgb_pixels(buf);
            t.transform_in_place(pixels);
            Ok(Some(description))
        }
        ColorSpaceSignature::GrayData if is_grey => {
            let t: Transform<u8, [u8; 3]> = Transform::new(
                &profile,
                PixelFormat::GRAY_8,
                &srgb,
                PixelFormat::RGB_8,
                Intent::Perceptual,
            )
            .map_err(err)?;
            let grey: Vec<u8> = rgb.pixels().map(|p| p[0]).collect();
            let buf: &mut [u8] = rgb.as_mut();
            t.transform_pixels(&grey, as_rgb_pixels(buf));
            Ok(Some(description))
        }
        // e.g. a CMYK profile on a JPEG that the decoder has already turned into RGB: the profile
        // no longer describes these pixels.
        _ => Ok(None),
    }
}

fn as_rgb_pixels(buf: &mut [u8]) -> &mut [[u8; 3]] {
    let (chunks, rest) = buf.as_chunks_mut::<3>();
    debug_assert!(rest.is_empty());
    chunks
}

fn orientation_exif(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// Walks a JPEG's markers from SOI and calls `visit(marker, segment)` for each one that has a
/// length (the segment excludes the length bytes and may be cut short at the end of the data);
/// `visit` returns false to stop. Returns true when an EOI marker is reached. Segments are
/// skipped by their length (so an EOI inside an EXIF thumbnail does not count) and entropy-coded
/// data is scanned for the next marker (its 0xFF bytes are stuffed as FF 00).
fn walk_jpeg(b: &[u8], mut visit: impl FnMut(u8, &[u8]) -> bool) -> bool {
    let mut pos = 2;
    loop {
        match b
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
        {
            Some(i) => pos += i,
            None => return false,
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = b.get(pos) else {
            return false;
        };
        pos += 1;
        match marker {
            0xD9 => return true,
            // stuffed byte, TEM and restart markers: no length follows
            0x00 | 0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = b.get(pos..pos + 2) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]])).max(2);
                let segment = &b[(pos + 2).min(b.len())..(pos + len).min(b.len())];
                if !visit(marker, segment) {
                    return false;
                }
                pos += len;
            }
        }
    }
}

/// True when the JPEG's marker structure reaches an EOI marker, i.e. the file is not cut short.
fn jpeg_reaches_eoi(b: &[u8]) -> bool {
    walk_jpeg(b, |_, _| true)
}

/// The number of colour components in the JPEG's first frame header (SOF0–SOF15, which share
/// codes with DHT, JPG and DAC): 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK.
fn jpeg_component_count(b: &[u8]) -> Option<u8> {
    let mut count = None;
    walk_jpeg(b, |marker, segment| {
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            count = segment.get(5).copied();
            return false;
        }
        true
    });
    count
}

fn is_animated_png(bytes: &[u8]) -> bool {
    // An `acTL` chunk before the first `IDAT` marks an APNG.
    let mut pos = 8usize;
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let kind = &bytes[pos + 4..pos + 8];
        if kind == b"acTL" {
            return true;
        }
        if kind == b"IDAT" {
            return false;
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    false
}

fn is_multi_frame(bytes: &[u8], format: SourceFormat) -> bool {
    match format {
        SourceFormat::WebP => bytes.windows(4).take(4096).any(|w| w == b"ANIM"),
        SourceFormat::Tiff => tiff_has_second_ifd(bytes),
        _ => false,
    }
}

fn tiff_has_second_ifd(b: &[u8]) -> bool {
    let le = b.starts_with(b"II");
    let u16_at = |o: usize| {
        b.get(o..o + 2).map(|s| {
            if le {
                u16::from_le_bytes([s[0], s[1]])
            } else {
                u16::from_be_bytes([s[0], s[1]])
            }
        })
    };
    let u32_at = |o: usize| {
        b.get(o..o + 4).map(|s| {
            if le {
                u32::from_le_bytes([s[0], s[1], s[2], s[3]])
            } else {
                u32::from_be_bytes([s[0], s[1], s[2], s[3]])
            }
        })
    };
    let Some(first) = u32_at(4) else { return false };
    let Some(count) = u16_at(first as usize) else {
        return false;
    };
    let next_at = first as usize + 2 + usize::from(count) * 12;
    matches!(u32_at(next_at), Some(n) if n != 0)
}

/// SHA-256 of bytes, lowercase hex: how reports, credentials and the model cache name a file's
/// content.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_named_jpg_is_reported_as_text() {
        let err = decode_bytes(
            b"hello, this is not a photo\n",
            Path::new("x.jpg"),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("text file"), "{err}");
        assert!(err.to_string().starts_with("x.jpg:"), "{err}");
    }

    #[test]
    fn empty_input_is_reported() {
        let err = decode_bytes(b"", Path::new("empty.png"), &Limits::default()).unwrap_err();
        assert!(matches!(err, CodecError::Empty { .. }));
    }

    #[test]
    fn truncated_header_never_panics() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0";
        let err = decode_bytes(png, Path::new("t.png"), &Limits::default()).unwrap_err();
        assert!(err.is_input_fault());
    }
}
