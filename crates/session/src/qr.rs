//! Shoot cards found in a photo: the QR codes that say [`crate::cards::CARD_PREFIX`] and an id.
//!
//! A card may be tilted, small or partly shadowed. The photo is searched, until a card is read,
//! at 800 px on its long side (a card held close, and the cheapest search), then at about 1600 px
//! (area-averaged, which also smooths sensor noise) with its light evened (each pixel over its
//! local mean), so that a shadow across a small code does not hide half its modules; a photo
//! smaller than 1200 px is also searched as it is. A code found but not read is read again in a
//! crop of the full-size photo around it: as it is, with its light evened, and enlarged (a small
//! code). A frame without a card costs about 40 ms at 12 MP (already shrunk for perception).

use image::imageops::FilterType;
use image::{GrayImage, RgbImage};
use trueshot_pixels::Plane;

use crate::cards::CARD_PREFIX;

/// A card found in a photo.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundCard {
    /// The roster id the card says.
    pub id: String,
    /// The code's corners in the photo's pixels.
    pub corners: Corners,
}

/// The long side of the search.
const SEARCH: u32 = 1600;
/// Below this long side a photo is also searched as it is.
const SMALL: u32 = 1200;

/// Every shoot card in the photo, each once.
pub fn find_cards(photo: &RgbImage) -> Vec<FoundCard> {
    let (w, h) = photo.dimensions();
    let scale = (SEARCH as f32 / w.max(h) as f32).min(1.0);
    if scale >= 1.0 {
        return find_cards_with(photo, photo);
    }
    let (sw, sh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    match trueshot_vision::resize(photo, sw, sh) {
        Ok(small) => find_cards_with(&small, photo),
        Err(_) => find_cards_with(photo, photo),
    }
}

/// [`find_cards`] with the photo already shrunk to at most 1600 px on its long side (`search`,
/// such as perception's analysis copy); corners are in `photo`'s pixels.
pub fn find_cards_with(search: &RgbImage, photo: &RgbImage) -> Vec<FoundCard> {
    let small = image::imageops::grayscale(search);
    let scale = search.width() as f32 / photo.width().max(1) as f32;
    let half = shrunk(
        &small,
        (small.width() / 2).max(1),
        (small.height() / 2).max(1),
    );
    // The full-size photo in grey, made only when a code is seen but not read.
    let mut full: Option<GrayImage> = None;
    let mut found: Vec<FoundCard> = Vec::new();
    // Cheapest first: a close card at half size, then the light evened at full search size; in a
    // small photo also as it is (few pixels per module, which the evening can blur away).
    let tries: [(&dyn Fn() -> GrayImage, f32); 3] = [
        (&|| half.clone(), scale / 2.0),
        (&|| flattened(&small), scale),
        (&|| small.clone(), scale),
    ];
    let passes = if small.width().max(small.height()) < SMALL {
        3
    } else {
        2
    };
    for &(make, k) in &tries[..passes] {
        for (corners, content) in read(&make()) {
            let corners = corners.map(|(x, y)| (x / k, y / k));
            let content = content.or_else(|| {
                let grey = full.get_or_insert_with(|| image::imageops::grayscale(photo));
                read_in_crop(grey, &corners)
            });
            if let Some(id) = content.as_deref().and_then(|c| c.strip_prefix(CARD_PREFIX)) {
                if !found.iter().any(|f| f.id == id) {
                    found.push(FoundCard {
                        id: id.to_string(),
                        corners,
                    });
                }
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

/// The grey image area-averaged to `w`×`h` (fast_image_resize's bilinear convolution, SIMD:
/// a tenth of the time of `image`'s own filter on a 12 MP frame).
fn shrunk(grey: &GrayImage, w: u32, h: u32) -> GrayImage {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer};
    let fast = || -> Option<GrayImage> {
        let src = ImageRef::new(grey.width(), grey.height(), grey.as_raw(), PixelType::U8).ok()?;
        let mut dst = Image::new(w, h, PixelType::U8);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(
                    fast_image_resize::FilterType::Bilinear,
                )),
            )
            .ok()?;
        GrayImage::from_raw(w, h, dst.into_vec())
    };
    fast().unwrap_or_else(|| image::imageops::resize(grey, w, h, FilterType::Triangle))
}

/// A code's corners in an image's pixels.
type Corners = [(f32, f32); 4];

/// The QR codes of a grey image: corners, and the content when it could be read.
fn read(grey: &GrayImage) -> Vec<(Corners, Option<String>)> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        grey.get_pixel(x as u32, y as u32).0[0]
    });
    prepared
        .detect_grids()
        .into_iter()
        .map(|g| {
            let corners = g.bounds.map(|p| (p.x as f32, p.y as f32));
            (corners, g.decode().ok().map(|(_, content)| content))
        })
        .collect()
}

/// Reads a code again in a crop of the full-size photo around where it was seen.
fn read_in_crop(grey: &GrayImage, corners: &Corners) -> Option<String> {
    let (xs, ys): (Vec<f32>, Vec<f32>) = corners.iter().copied().unzip();
    let lo = |v: &[f32]| v.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = |v: &[f32]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let margin = 0.3 * (hi(&xs) - lo(&xs)).max(hi(&ys) - lo(&ys));
    let x0 = (lo(&xs) - margin).max(0.0) as u32;
    let y0 = (lo(&ys) - margin).max(0.0) as u32;
    let x1 = ((hi(&xs) + margin) as u32).min(grey.width());
    let y1 = ((hi(&ys) + margin) as u32).min(grey.height());
    if x1 <= x0 + 20 || y1 <= y0 + 20 {
        return None;
    }
    let crop = image::imageops::crop_imm(grey, x0, y0, x1 - x0, y1 - y0).to_image();
    let (cw, ch) = crop.dimensions();
    // As it is, with even light, then twice as large (a small code's modules a few pixels wide).
    let larger = || image::imageops::resize(&crop, 2 * cw, 2 * ch, FilterType::Triangle);
    let tries: [&dyn Fn() -> GrayImage; 3] = [&|| crop.clone(), &|| flattened(&crop), &|| {
        flattened(&larger())
    }];
    tries
        .iter()
        .find_map(|make| read(&make()).into_iter().find_map(|(_, content)| content))
}

/// The image over its local mean (a box about a hundred-and-sixtieth of its long side, a few of
/// a small code's modules): even light, whatever shadow lies across it.
fn flattened(grey: &GrayImage) -> GrayImage {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let plane = Plane {
        width: w,
        height: h,
        data: grey.as_raw().iter().map(|&v| f32::from(v)).collect(),
    };
    let mean = plane.box_mean((w.max(h) / 160).max(4));
    let data = plane
        .data
        .iter()
        .zip(&mean.data)
        .map(|(&v, &m)| (160.0 * v / m.max(8.0)).clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(grey.width(), grey.height(), data).unwrap_or_else(|| grey.clone())
}
