//! Print sheets: copies of an ID photo on photo paper, with cut marks.

use image::{Rgb, RgbImage};
use trueshot_guide::{Sheet, Variant};

/// Lays out as many copies of `photo` (rendered for `variant`) as fit on the sheet, centred,
/// with the sheet's gutter between them and thin black cut marks at every copy's corners,
/// drawn only in the white space so no mark touches a photo.
pub fn sheet(photo: &RgbImage, variant: &Variant, sheet: &Sheet) -> RgbImage {
    let (nx, ny, sw, sh) = sheet.copies(variant);
    let mut out = RgbImage::from_pixel(sw.max(1), sh.max(1), Rgb([255, 255, 255]));
    if nx == 0 || ny == 0 {
        return out;
    }
    let dpi = variant.dpi as f32;
    let gutter = (sheet.gutter_in * dpi).round() as u32;
    let (pw, ph) = (photo.width(), photo.height());
    let block_w = nx * pw + (nx - 1) * gutter;
    let block_h = ny * ph + (ny - 1) * gutter;
    let x0 = sw.saturating_sub(block_w) / 2;
    let y0 = sh.saturating_sub(block_h) / 2;
    // Cut marks: as long as the space allows, at most 0.12 in, 1/150 in thick (≥ 1 px).
    let space = (gutter / 2).min(x0).min(y0);
    let mark = ((0.12 * dpi) as u32).min(space.saturating_sub(1));
    let thick = ((dpi / 150.0).round() as u32).max(1);
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = (x0 + i * (pw + gutter), y0 + j * (ph + gutter));
            image::imageops::replace(&mut out, photo, i64::from(x), i64::from(y));
            if sheet.cut_marks && mark > 0 {
                for (cx, cy) in [(x, y), (x + pw, y), (x, y + ph), (x + pw, y + ph)] {
                    let left = cx == x;
                    let top = cy == y;
                    // horizontal mark outward from the corner, on the corner's row
                    let hx = if left { cx - mark - 1 } else { cx + 1 };
                    fill(&mut out, hx, cy.saturating_sub(thick / 2), mark, thick);
                    // vertical mark outward
                    let vy = if top { cy - mark - 1 } else { cy + 1 };
                    fill(&mut out, cx.saturating_sub(thick / 2), vy, thick, mark);
                }
            }
        }
    }
    out
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, Rgb([0, 0, 0]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trueshot_guide::Guideline;

    #[test]
    fn marks_never_touch_a_copy() {
        for name in ["passport-us", "icao"] {
            let g = Guideline::preset(name).unwrap();
            let v = g.primary();
            let photo = RgbImage::from_pixel(v.width, v.height, Rgb([200, 100, 50]));
            let s = sheet(&photo, v, &g.sheet[0]);
            let (nx, ny, sw, sh) = g.sheet[0].copies(v);
            assert_eq!((s.width(), s.height()), (sw, sh));
            let copies = s.pixels().filter(|p| p.0 == [200, 100, 50]).count() as u32;
            assert_eq!(
                copies,
                nx * ny * v.width * v.height,
                "{name}: every copy whole"
            );
            let black = s.pixels().filter(|p| p.0 == [0, 0, 0]).count();
            assert!(black > 0, "{name}: cut marks drawn");
        }
    }
}
