//! Geometry shared by every trueshot stage: points, boxes, rotated regions of interest and the
//! affine maps between an image and a model's input tensor.
//!
//! All coordinates are pixels of the *upright* image (EXIF orientation applied) with the origin at
//! the top-left corner of the top-left pixel, x to the right and y down. A pixel's centre is at
//! `(i + 0.5, j + 0.5)`. Angles are radians, positive clockwise as seen on screen (y points down),
//! which is the convention MediaPipe's region-of-interest calculators use; keeping it lets the
//! crop maths be checked against MediaPipe's own graphs line by line.

use serde::{Deserialize, Serialize};

/// A point in image pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) * 0.5, (self.y + other.y) * 0.5)
    }
    pub fn scaled(self, s: f32) -> Point {
        Point::new(self.x * s, self.y * s)
    }
    pub fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}

/// An axis-aligned box in pixels: top-left corner, width and height.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }
    /// The smallest box holding every point; `None` for an empty iterator.
    pub fn bounding(points: impl IntoIterator<Item = Point>) -> Option<Rect> {
        let mut it = points.into_iter();
        let first = it.next()?;
        let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
        for p in it {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        Some(Rect::new(x0, y0, x1 - x0, y1 - y0))
    }
    pub fn center(&self) -> Point {
        Point::new(self.x + self.w * 0.5, self.y + self.h * 0.5)
    }
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// Intersection over union, 0 when the boxes do not overlap.
    pub fn iou(&self, other: &Rect) -> f32 {
        let ix = (self.right().min(other.right()) - self.x.max(other.x)).max(0.0);
        let iy = (self.bottom().min(other.bottom()) - self.y.max(other.y)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
    /// The part of this box inside `0..width × 0..height`.
    pub fn clamped(&self, width: f32, height: f32) -> Rect {
        let x0 = self.x.clamp(0.0, width);
        let y0 = self.y.clamp(0.0, height);
        let x1 = self.right().clamp(0.0, width);
        let y1 = self.bottom().clamp(0.0, height);
        Rect::new(x0, y0, x1 - x0, y1 - y0)
    }
    pub fn scaled(&self, s: f32) -> Rect {
        Rect::new(self.x * s, self.y * s, self.w * s, self.h * s)
    }
}

/// A 2-D affine map `p' = [a b; d e] p + [c; f]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
    pub e: f32,
    pub f: f32,
}

impl Affine {
    pub const IDENTITY: Affine = Affine {
        a: 1.0,
        b: 0.0,
        c: 0.0,
        d: 0.0,
        e: 1.0,
        f: 0.0,
    };

    pub fn scale_translate(sx: f32, sy: f32, tx: f32, ty: f32) -> Affine {
        Affine {
            a: sx,
            b: 0.0,
            c: tx,
            d: 0.0,
            e: sy,
            f: ty,
        }
    }
    pub fn apply(&self, p: Point) -> Point {
        Point::new(
            self.a * p.x + self.b * p.y + self.c,
            self.d * p.x + self.e * p.y + self.f,
        )
    }
    /// Applies only the linear part (for direction vectors and lengths).
    pub fn apply_vector(&self, v: Point) -> Point {
        Point::new(self.a * v.x + self.b * v.y, self.d * v.x + self.e * v.y)
    }
    /// `self ∘ other`: first `other`, then `self`.
    pub fn then_after(&self, other: &Affine) -> Affine {
        Affine {
            a: self.a * other.a + self.b * other.d,
            b: self.a * other.b + self.b * other.e,
            c: self.a * other.c + self.b * other.f + self.c,
            d: self.d * other.a + self.e * other.d,
            e: self.d * other.b + self.e * other.e,
            f: self.d * other.c + self.e * other.f + self.f,
        }
    }
    /// The inverse map; `None` when the map is singular.
    pub fn inverse(&self) -> Option<Affine> {
        let det = self.a * self.e - self.b * self.d;
        if det.abs() < 1e-12 || !det.is_finite() {
            return None;
        }
        let (a, b, d, e) = (self.e / det, -self.b / det, -self.d / det, self.a / det);
        Some(Affine {
            a,
            b,
            c: -(a * self.c + b * self.f),
            d,
            e,
            f: -(d * self.c + e * self.f),
        })
    }
    /// The mean linear scale factor (square root of the determinant's magnitude).
    pub fn scale(&self) -> f32 {
        (self.a * self.e - self.b * self.d).abs().sqrt()
    }
}

/// A rotated rectangle: the region of interest a landmark model looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RotatedRect {
    pub center: Point,
    pub width: f32,
    pub height: f32,
    /// Clockwise on screen, radians.
    pub rotation: f32,
}

impl RotatedRect {
    /// The map from a `out_w × out_h` tensor's pixel coordinates to image coordinates, such that
    /// the tensor shows exactly this rectangle upright. With `flip_x` the tensor is mirrored
    /// left-right (MediaPipe's iris model sees the subject's left eye mirrored).
    pub fn tensor_to_image(&self, out_w: f32, out_h: f32, flip_x: bool) -> Affine {
        let (s, c) = self.rotation.sin_cos();
        let sx = self.width / out_w * if flip_x { -1.0 } else { 1.0 };
        let sy = self.height / out_h;
        // u = (px - out_w/2)·sx, v = (py - out_h/2)·sy; image = center + R·(u, v)
        let a = c * sx;
        let b = -s * sy;
        let d = s * sx;
        let e = c * sy;
        let c0 = self.center.x - a * out_w * 0.5 - b * out_h * 0.5;
        let f0 = self.center.y - d * out_w * 0.5 - e * out_h * 0.5;
        Affine {
            a,
            b,
            c: c0,
            d,
            e,
            f: f0,
        }
    }

    /// Scales width and height, then makes the rectangle square on its longer side (MediaPipe's
    /// `RectTransformationCalculator` with `square_long: true`, in pixels).
    pub fn scaled_square_long(&self, scale: f32) -> RotatedRect {
        let side = self.width.max(self.height) * scale;
        RotatedRect {
            width: side,
            height: side,
            ..*self
        }
    }
    /// Moves the centre along the rectangle's own axes, as fractions of its size.
    pub fn shifted(&self, fx: f32, fy: f32) -> RotatedRect {
        let (s, c) = self.rotation.sin_cos();
        let u = fx * self.width;
        let v = fy * self.height;
        let center = Point::new(self.center.x + c * u - s * v, self.center.y + s * u + c * v);
        RotatedRect { center, ..*self }
    }
}

/// Wraps an angle to `(-π, π]`.
pub fn normalize_radians(a: f32) -> f32 {
    let two_pi = std::f32::consts::TAU;
    let mut r = a % two_pi;
    if r > std::f32::consts::PI {
        r -= two_pi;
    } else if r <= -std::f32::consts::PI {
        r += two_pi;
    }
    r
}

/// The rotation (clockwise, radians) that makes the line `from → to` horizontal pointing right:
/// MediaPipe's `DetectionsToRectsCalculator` with `target_angle = 0`.
pub fn rotation_to_level(from: Point, to: Point) -> f32 {
    normalize_radians(-(-(to.y - from.y)).atan2(to.x - from.x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point) -> bool {
        a.distance(b) < 1e-3
    }

    #[test]
    fn tensor_map_covers_the_rectangle_corners() {
        let r = RotatedRect {
            center: Point::new(100.0, 50.0),
            width: 40.0,
            height: 20.0,
            rotation: 0.0,
        };
        let m = r.tensor_to_image(4.0, 2.0, false);
        assert!(close(m.apply(Point::new(0.0, 0.0)), Point::new(80.0, 40.0)));
        assert!(close(
            m.apply(Point::new(4.0, 2.0)),
            Point::new(120.0, 60.0)
        ));
        let flipped = r.tensor_to_image(4.0, 2.0, true);
        assert!(close(
            flipped.apply(Point::new(0.0, 0.0)),
            Point::new(120.0, 40.0)
        ));
    }

    #[test]
    fn clockwise_rotation_turns_the_x_axis_downwards() {
        let r = RotatedRect {
            center: Point::new(0.0, 0.0),
            width: 2.0,
            height: 2.0,
            rotation: std::f32::consts::FRAC_PI_2,
        };
        let m = r.tensor_to_image(2.0, 2.0, false);
        // the tensor's right-hand edge centre lands below the centre on screen
        assert!(close(m.apply(Point::new(2.0, 1.0)), Point::new(0.0, 1.0)));
    }

    #[test]
    fn rotation_to_level_undoes_a_tilted_eye_line() {
        // image-right eye lower than image-left eye: the face is turned clockwise on screen
        let rot = rotation_to_level(Point::new(0.0, 0.0), Point::new(10.0, 10.0));
        assert!((rot - std::f32::consts::FRAC_PI_4).abs() < 1e-5);
        let r = RotatedRect {
            center: Point::new(5.0, 5.0),
            width: 10.0,
            height: 10.0,
            rotation: rot,
        };
        let m = r.tensor_to_image(10.0, 10.0, false);
        // the tensor's horizontal axis follows the tilted eye line
        let v = m.apply_vector(Point::new(1.0, 0.0));
        assert!((v.x - v.y).abs() < 1e-4 && v.x > 0.0);
    }

    #[test]
    fn inverse_round_trips() {
        let r = RotatedRect {
            center: Point::new(30.0, -7.0),
            width: 13.0,
            height: 9.0,
            rotation: 0.7,
        };
        let m = r.tensor_to_image(64.0, 64.0, true);
        let inv = m.inverse().unwrap();
        let p = Point::new(12.5, 40.25);
        assert!(close(inv.apply(m.apply(p)), p));
        assert!(close(m.then_after(&inv).apply(p), p));
    }

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        let a = Rect::new(0.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.iou(&Rect::new(20.0, 0.0, 5.0, 5.0)), 0.0);
    }
}

/// The similarity map (rotation, uniform scale, translation) that best carries the points
/// `from` onto `to` in the least-squares sense; `None` with fewer than two distinct points.
pub fn similarity_fit(from: &[Point], to: &[Point]) -> Option<Affine> {
    let n = from.len().min(to.len());
    if n < 2 {
        return None;
    }
    let k = n as f32;
    let (mut fx, mut fy, mut tx, mut ty) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        fx += from[i].x;
        fy += from[i].y;
        tx += to[i].x;
        ty += to[i].y;
    }
    let (fx, fy, tx, ty) = (fx / k, fy / k, tx / k, ty / k);
    // to − t̄ ≈ [a −b; b a] (from − f̄)
    let (mut sxx, mut sa, mut sb) = (0.0f32, 0.0f32, 0.0f32);
    for i in 0..n {
        let (px, py) = (from[i].x - fx, from[i].y - fy);
        let (qx, qy) = (to[i].x - tx, to[i].y - ty);
        sxx += px * px + py * py;
        sa += px * qx + py * qy;
        sb += px * qy - py * qx;
    }
    if sxx < 1e-9 {
        return None;
    }
    let (a, b) = (sa / sxx, sb / sxx);
    Some(Affine {
        a,
        b: -b,
        c: tx - (a * fx - b * fy),
        d: b,
        e: a,
        f: ty - (b * fx + a * fy),
    })
}

#[cfg(test)]
mod similarity_tests {
    use super::*;

    #[test]
    fn similarity_fit_recovers_a_rotation_scale_and_shift() {
        let (c, s) = (0.3f32.cos() * 1.7, 0.3f32.sin() * 1.7);
        let m = Affine {
            a: c,
            b: -s,
            c: 12.0,
            d: s,
            e: c,
            f: -4.0,
        };
        let from = [
            Point::new(0.0, 0.0),
            Point::new(10.0, 0.0),
            Point::new(3.0, 8.0),
        ];
        let to: Vec<Point> = from.iter().map(|p| m.apply(*p)).collect();
        let fit = similarity_fit(&from, &to).unwrap();
        for p in from {
            assert!(fit.apply(p).distance(m.apply(p)) < 1e-3);
        }
    }
}
