//! Where did each landmark go? Block matching between a picture and its edited version.
//!
//! Both pictures share one frame, so an edit that only changes colour leaves every landmark
//! where it was, and any warp (bigger eyes, a slimmer jaw) moves the landmarks inside it. Each
//! landmark's patch of the original is searched for in the result (zero-mean sum of squared
//! differences, so a global tone change does not count), with a parabola through the best
//! match for sub-pixel precision (about a tenth of a pixel). This measures movement far more
//! finely than finding the landmarks again with a net, which smooths small changes of a
//! feature's size away.

use image::RgbImage;
use trueshot_geom::Point;
use trueshot_pixels::Plane;

/// Luma planes of a window of both pictures, shrunk so that the eye distance is at most
/// about 160 pixels (finer detail adds cost, not precision).
pub struct Tracker {
    before: Plane,
    after: Plane,
    /// Picture pixel of the planes' origin, and picture pixels per plane pixel.
    origin: Point,
    step: f32,
    patch: i32,
    search: i32,
}

fn luma(img: &RgbImage, b: [usize; 4]) -> Plane {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    Plane::from_fn(w, h, |x, y| {
        let p = img.get_pixel((b[0] + x) as u32, (b[1] + y) as u32).0;
        0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
    })
}

impl Tracker {
    /// Over the box `b` (`[x0, y0, x1, y1)` picture pixels) of a face whose eyes are `eye_distance`
    /// apart.
    pub fn new(before: &RgbImage, after: &RgbImage, b: [usize; 4], eye_distance: f32) -> Tracker {
        let s = ((eye_distance / 160.0).ceil() as usize).max(1);
        let d = eye_distance / s as f32;
        Tracker {
            before: luma(before, b).shrink(s),
            after: luma(after, b).shrink(s),
            origin: Point::new(b[0] as f32, b[1] as f32),
            step: s as f32,
            patch: ((0.05 * d).round() as i32).max(4),
            search: ((0.04 * d).round() as i32).max(3),
        }
    }

    /// The movement of picture point `p` from the original to the result, in picture pixels.
    /// A point whose best match lies at the edge of the search moved at least that far; it is
    /// reported as that far (enough to break any sensible bound). `None` when the patch does
    /// not fit in the window.
    pub fn movement(&self, p: Point) -> Option<Point> {
        let (cx, cy) = (
            ((p.x - self.origin.x) / self.step - 0.5).round() as i32,
            ((p.y - self.origin.y) / self.step - 0.5).round() as i32,
        );
        let (r, s) = (self.patch, self.search);
        let (w, h) = (self.before.width as i32, self.before.height as i32);
        if cx - r - s < 0 || cy - r - s < 0 || cx + r + s >= w || cy + r + s >= h {
            return None;
        }
        let at = |pl: &Plane, x: i32, y: i32| pl.data[(y * w + x) as usize];
        let n = ((2 * r + 1) * (2 * r + 1)) as f32;
        let mut mean_a = 0.0;
        for y in cy - r..=cy + r {
            for x in cx - r..=cx + r {
                mean_a += at(&self.before, x, y);
            }
        }
        mean_a /= n;
        let side = (2 * s + 1) as usize;
        let mut cost = vec![0.0f32; side * side];
        for dy in -s..=s {
            for dx in -s..=s {
                let mut mean_b = 0.0;
                for y in cy - r..=cy + r {
                    for x in cx - r..=cx + r {
                        mean_b += at(&self.after, x + dx, y + dy);
                    }
                }
                mean_b /= n;
                let mut c = 0.0;
                for y in cy - r..=cy + r {
                    for x in cx - r..=cx + r {
                        let e = (at(&self.before, x, y) - mean_a)
                            - (at(&self.after, x + dx, y + dy) - mean_b);
                        c += e * e;
                    }
                }
                cost[((dy + s) as usize) * side + (dx + s) as usize] = c;
            }
        }
        let (best, _) = cost.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1))?;
        let (bx, by) = ((best % side) as i32 - s, (best / side) as i32 - s);
        let c = |dx: i32, dy: i32| cost[((dy + s) as usize) * side + (dx + s) as usize];
        let sub = |m: f32, z: f32, p: f32| {
            let den = m - 2.0 * z + p;
            if den > 1e-6 {
                (0.5 * (m - p) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        };
        let fx = if bx.abs() < s {
            sub(c(bx - 1, by), c(bx, by), c(bx + 1, by))
        } else {
            0.0
        };
        let fy = if by.abs() < s {
            sub(c(bx, by - 1), c(bx, by), c(bx, by + 1))
        } else {
            0.0
        };
        Some(Point::new(
            (bx as f32 + fx) * self.step,
            (by as f32 + fy) * self.step,
        ))
    }
}
