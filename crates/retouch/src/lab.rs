//! CIELAB planes of a picture window.

use image::RgbImage;
use trueshot_pixels::color::{lab, linear_table};
use trueshot_pixels::Plane;

use crate::masks::Window;

/// L*, a*, b* planes (D65) of a window of `image`.
pub fn lab_planes(image: &RgbImage, win: Window) -> [Plane; 3] {
    let t = linear_table();
    let mut out = [win.plane(0.0), win.plane(0.0), win.plane(0.0)];
    for y in 0..win.height {
        for x in 0..win.width {
            let p = image.get_pixel((win.x0 + x) as u32, (win.y0 + y) as u32).0;
            let c = lab([t[p[0] as usize], t[p[1] as usize], t[p[2] as usize]]);
            let i = y * win.width + x;
            out[0].data[i] = c[0];
            out[1].data[i] = c[1];
            out[2].data[i] = c[2];
        }
    }
    out
}
