//! Skin, eye and clothing regions of a face, rasterised from the landmarks into a window of the
//! picture. Masks are `0..1` planes over the window; edges are feathered so that no edit ever
//! shows a seam.

use trueshot_geom::Point;
use trueshot_pixels::Plane;
use trueshot_vision::mesh;

use crate::landmarks::{Landmarks, FOREHEAD, LEFT_BROW, LEFT_EYE, LIPS, RIGHT_BROW, RIGHT_EYE};

/// A rectangle of the picture `[x0, y0)` of `width × height` pixels that masks and planes cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub x0: usize,
    pub y0: usize,
    pub width: usize,
    pub height: usize,
}

impl Window {
    pub fn from_box(b: [usize; 4]) -> Window {
        Window {
            x0: b[0],
            y0: b[1],
            width: b[2] - b[0],
            height: b[3] - b[1],
        }
    }

    /// A picture point in window coordinates.
    pub fn local(&self, p: Point) -> Point {
        Point::new(p.x - self.x0 as f32, p.y - self.y0 as f32)
    }

    pub fn plane(&self, value: f32) -> Plane {
        Plane::new(self.width, self.height, value)
    }
}

/// Fills a polygon (even-odd rule, pixel centres) with 1 in `plane`.
pub fn fill_polygon(plane: &mut Plane, poly: &[Point]) {
    if poly.len() < 3 {
        return;
    }
    let (w, h) = (plane.width, plane.height);
    let mut xs = Vec::new();
    for y in 0..h {
        let yc = y as f32 + 0.5;
        xs.clear();
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            if (a.y <= yc) != (b.y <= yc) {
                xs.push(a.x + (yc - a.y) / (b.y - a.y) * (b.x - a.x));
            }
        }
        xs.sort_by(f32::total_cmp);
        for pair in xs.chunks_exact(2) {
            let from = (pair[0] - 0.5).ceil().max(0.0) as usize;
            let to = ((pair[1] - 0.5).floor() + 1.0).clamp(0.0, w as f32) as usize;
            for x in from..to.max(from) {
                plane.data[y * w + x] = 1.0;
            }
        }
    }
}

/// Fills a disc with 1.
pub fn fill_disc(plane: &mut Plane, c: Point, r: f32) {
    let (w, h) = (plane.width as f32, plane.height as f32);
    let y0 = (c.y - r).floor().max(0.0) as usize;
    let y1 = (c.y + r).ceil().clamp(0.0, h) as usize;
    let x0 = (c.x - r).floor().max(0.0) as usize;
    let x1 = (c.x + r).ceil().clamp(0.0, w) as usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = (x as f32 + 0.5 - c.x, y as f32 + 0.5 - c.y);
            if dx * dx + dy * dy <= r * r {
                plane.data[y * plane.width + x] = 1.0;
            }
        }
    }
}

/// A polygon pushed outwards from its centroid by `d` pixels (a cheap dilation for convex-ish
/// shapes such as eyes and lips).
fn grown(poly: &[Point], d: f32) -> Vec<Point> {
    let n = poly.len().max(1) as f32;
    let c = Point::new(
        poly.iter().map(|p| p.x).sum::<f32>() / n,
        poly.iter().map(|p| p.y).sum::<f32>() / n,
    );
    poly.iter()
        .map(|p| {
            let (dx, dy) = (p.x - c.x, p.y - c.y);
            let len = dx.hypot(dy).max(1e-3);
            Point::new(p.x + dx / len * d, p.y + dy / len * d)
        })
        .collect()
}

/// The regions retouching and verification work in, over one window.
pub struct Masks {
    pub window: Window,
    /// Skin of the face (outline minus eyes, brows and lips), hard `0/1`.
    pub skin: Plane,
    /// The skin mask feathered: how much of an edit is applied.
    pub skin_soft: Plane,
    /// Cheeks and forehead: where skin texture is measured (hard).
    pub texture: Plane,
    /// The whites of both eyes (hard).
    pub sclera: Plane,
    /// Below both lower lids, feathered.
    pub under_eye: Plane,
}

impl Masks {
    pub fn new(lm: &Landmarks, window: Window) -> Masks {
        Self::build(lm, window, true)
    }

    /// The hard masks only (`skin_soft` and `under_eye` are left unfeathered): what the
    /// measures need.
    pub fn hard(lm: &Landmarks, window: Window) -> Masks {
        Self::build(lm, window, false)
    }

    fn build(lm: &Landmarks, window: Window, feathered: bool) -> Masks {
        let d = lm.eye_distance();
        let local = |idx: &[usize]| -> Vec<Point> {
            idx.iter().map(|&i| window.local(lm.point(i))).collect()
        };
        // The outline is pulled in a little: edits stop short of the jaw and cheek line, so the
        // face's silhouette (which the eye reads as its shape) is never touched.
        let mut skin = window.plane(0.0);
        fill_polygon(&mut skin, &grown(&local(&mesh::FACE_OVAL), -0.05 * d));
        let mut holes = window.plane(0.0);
        for (idx, grow) in [
            (&RIGHT_EYE[..], 0.06),
            (&LEFT_EYE[..], 0.06),
            (&RIGHT_BROW[..], 0.05),
            (&LEFT_BROW[..], 0.05),
            (&LIPS[..], 0.04),
        ] {
            fill_polygon(&mut holes, &grown(&local(idx), grow * d));
        }
        // Nostrils: the dark openings either side of the nose tip.
        for i in [64usize, 294] {
            let c = window.local(lm.point(i).midpoint(lm.point(mesh::NOSE_TIP)));
            fill_disc(&mut holes, c, 0.07 * d);
        }
        let skin = skin.zip(&holes, |s, h| if h > 0.5 { 0.0 } else { s });
        // Feathered inwards: the soft mask reaches 1 only a little inside the hard one.
        let skin_soft = if feathered {
            smooth(&skin, 0.02 * d).zip(&skin, |s, hard| (s * hard).clamp(0.0, 1.0))
        } else {
            skin.clone()
        };

        let mut texture = window.plane(0.0);
        for (c, r) in [
            (lm.point(mesh::RIGHT_CHEEK), 0.17),
            (lm.point(mesh::LEFT_CHEEK), 0.17),
            (lm.point(FOREHEAD), 0.15),
        ] {
            fill_disc(&mut texture, window.local(c), r * d);
        }
        let texture = texture.zip(&skin, |t, s| if s > 0.5 { t } else { 0.0 });

        let mut sclera = window.plane(0.0);
        fill_polygon(&mut sclera, &local(&RIGHT_EYE));
        fill_polygon(&mut sclera, &local(&LEFT_EYE));
        let mut iris = window.plane(0.0);
        for k in 0..2 {
            fill_disc(
                &mut iris,
                window.local(lm.iris[k]),
                lm.iris_radius[k] * 1.15,
            );
        }
        let sclera = sclera.zip(&iris, |s, i| if i > 0.5 { 0.0 } else { s });

        // Under the eyes: from the lower lid down about a fifth of the eye distance.
        let mut under = window.plane(0.0);
        for eye in [&RIGHT_EYE[..9], &LEFT_EYE[..9]] {
            let lid = local(eye);
            let mut poly: Vec<Point> = lid
                .iter()
                .map(|p| Point::new(p.x, p.y + 0.03 * d))
                .collect();
            poly.extend(lid.iter().rev().map(|p| Point::new(p.x, p.y + 0.2 * d)));
            fill_polygon(&mut under, &poly);
        }
        let under_eye = if feathered {
            smooth(&under, 0.03 * d).zip(&skin, |u, s| u * s)
        } else {
            under
        };
        Masks {
            window,
            skin,
            skin_soft,
            texture,
            sclera,
            under_eye,
        }
    }
}

/// A Gaussian-like blur of a mask, on a copy shrunk by up to 4× when the blur is wide enough
/// to hide it (feathering needs no more).
pub fn smooth(p: &Plane, sigma: f32) -> Plane {
    let k = ((sigma / 2.0) as usize).clamp(1, 4);
    p.shrink(k)
        .gaussian_like(sigma / k as f32)
        .enlarge(k, p.width, p.height)
}

/// Gaussian-like blur restricted to the pixels where a mask is > 0 (normalised convolution),
/// so that hair, brows and background never bleed into a skin average. The mask's own blur is
/// made once per radius and shared by every plane blurred with it; wide blurs run on a copy
/// shrunk by up to 4× (they hold no detail that would be lost).
pub struct MaskedBlur<'a> {
    mask: &'a Plane,
    sigma: f32,
    shrink: usize,
    den: Plane,
}

impl<'a> MaskedBlur<'a> {
    pub fn new(mask: &'a Plane, sigma: f32) -> MaskedBlur<'a> {
        let shrink = ((sigma / 3.0) as usize).clamp(1, 4);
        let den = mask.shrink(shrink).gaussian_like(sigma / shrink as f32);
        MaskedBlur {
            mask,
            sigma,
            shrink,
            den,
        }
    }

    pub fn blur(&self, x: &Plane) -> Plane {
        let s = self.shrink;
        let num = x
            .zip(self.mask, |a, b| a * b)
            .shrink(s)
            .gaussian_like(self.sigma / s as f32);
        let small = num.zip(&self.den, |n, d| if d > 1e-4 { n / d } else { 0.0 });
        small.enlarge(s, x.width, x.height)
    }
}
