//! Shoot cards found in a photo: the QR codes that say [`crate::cards::CARD_PREFIX`] and an id.
//!
//! A card may be tilted, small or partly shadowed. The photo is searched at about 1600 px on its
//! long side (area-averaged, which also smooths sensor noise), then at 800 px (a card so close
//! that its modules are large), each also with its light evened (a shadow across the card). A
//! code found but not read is read again in a crop of the full-size photo around it: as it is,
//! with its light evened, and enlarged (a small code).

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

/// Every shoot card in the photo, each once.
pub fn find_cards(photo: &RgbImage) -> Vec<FoundCard> {
    let grey = image::imageops::grayscale(photo);
    let mut found: Vec<FoundCard> = Vec::new();
    for long_side in [1600u32, 800] {
        let (w, h) = grey.dimensions();
        let scale = (long_side as f32 / w.max(h) as f32).min(1.0);
        let small = if scale < 1.0 {
            let (sw, sh) = (
                ((w as f32 * scale).round() as u32).max(1),
                ((h as f32 * scale).round() as u32).max(1),
            );
            image::imageops::resize(&grey, sw, sh, FilterType::Triangle)
        } else {
            grey.clone()
        };
        // A shadow across the card: the photo divided by its local mean as well, so that the
        // code's modules are told apart by their neighbours, not by one threshold per row.
        let mut codes = read(&small);
        if codes.iter().all(|(_, c)| c.is_none()) {
            codes.extend(read(&flattened(&small)));
        }
        for (corners, content) in codes {
            let corners = corners.map(|(x, y)| (x / scale, y / scale));
            let content = content.or_else(|| read_in_crop(&grey, &corners));
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
