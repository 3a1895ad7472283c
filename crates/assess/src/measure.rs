//! Pixel measures on the analysis copy: face lightness, clipping, side balance, sharpness and
//! background clutter.

use trueshot_geom::{Point, Rect, RotatedRect};
use trueshot_vision::{mesh, Face, PhotoView, Scene};

/// Lightness helpers: sRGB 8-bit → linear luminance and CIE L*.
pub struct Luma;

impl Luma {
    /// Linear-light luminance (0–1) of an sRGB pixel, Rec. 709 weights.
    pub fn linear(p: [u8; 3]) -> f32 {
        let lut = trueshot_pixels::color::linear_table();
        0.2126 * lut[p[0] as usize] + 0.7152 * lut[p[1] as usize] + 0.0722 * lut[p[2] as usize]
    }
    /// CIE L* (0–100) of a linear luminance.
    pub fn lightness(y: f32) -> f32 {
        trueshot_pixels::color::lightness(y)
    }
}

/// The face's pixels inside the mesh outline, from the analysis copy.
pub struct FacePixels {
    /// Linear luminance of each pixel.
    luma: Vec<f32>,
    clipped: usize,
}

/// The face outline in analysis pixels.
fn face_polygon(view: &PhotoView, face: &Face) -> Vec<Point> {
    mesh::FACE_OVAL
        .iter()
        .map(|&i| face.point(i).scaled(view.scale))
        .collect()
}

fn inside(poly: &[Point], p: Point) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            c = !c;
        }
        j = i;
    }
    c
}

impl FacePixels {
    pub fn collect(view: &PhotoView, face: &Face) -> Option<FacePixels> {
        let img = view.analysis();
        let poly = face_polygon(view, face);
        let bounds =
            Rect::bounding(poly.iter().copied())?.clamped(img.width() as f32, img.height() as f32);
        let mut luma = Vec::new();
        let mut clipped = 0;
        for y in bounds.y as u32..bounds.bottom().ceil() as u32 {
            for x in bounds.x as u32..bounds.right().ceil() as u32 {
                if x >= img.width()
                    || y >= img.height()
                    || !inside(&poly, Point::new(x as f32 + 0.5, y as f32 + 0.5))
                {
                    continue;
                }
                let p = img.get_pixel(x, y).0;
                // Two channels at the top: the red channel alone often sits near 255 on well-lit
                // light skin without any visible loss; two mean the tone has burnt out.
                if p.iter().filter(|&&c| c >= 250).count() >= 2 {
                    clipped += 1;
                }
                luma.push(Luma::linear(p));
            }
        }
        (luma.len() >= 50).then_some(FacePixels { luma, clipped })
    }

    /// L* of the 95th percentile of the face's luminance: where the light falls on forehead,
    /// nose and cheeks. High on every skin tone in good light, low only when the face is dark
    /// because of the light or the camera.
    pub fn highlight_lightness(&self) -> f32 {
        let mut v = self.luma.clone();
        let k = ((v.len() - 1) as f32 * 0.95) as usize;
        let (_, p95, _) = v.select_nth_unstable_by(k, f32::total_cmp);
        Luma::lightness(*p95)
    }

    pub fn clipped_fraction(&self) -> f32 {
        self.clipped as f32 / self.luma.len() as f32
    }

    /// log2 of the mean luminance of the subject's right cheek over the left cheek (positive:
    /// the right side is brighter).
    pub fn side_balance_stops(&self, face: &Face, view: &PhotoView) -> f32 {
        let img = view.analysis();
        let r = face.eye_distance() * view.scale * 0.18;
        let mean_around = |centres: &[usize]| -> f32 {
            let (mut sum, mut n) = (0.0f32, 0usize);
            for &i in centres {
                let c = face.point(i).scaled(view.scale);
                let (x0, y0) = ((c.x - r).max(0.0) as u32, (c.y - r).max(0.0) as u32);
                let (x1, y1) = (
                    ((c.x + r) as u32).min(img.width().saturating_sub(1)),
                    ((c.y + r) as u32).min(img.height().saturating_sub(1)),
                );
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        if Point::new(x as f32 + 0.5, y as f32 + 0.5).distance(c) <= r {
                            sum += Luma::linear(img.get_pixel(x, y).0);
                            n += 1;
                        }
                    }
                }
            }
            if n == 0 {
                f32::NAN
            } else {
                sum / n as f32
            }
        };
        // cheek centres and the temples/forehead sides above them
        let right = mean_around(&[mesh::RIGHT_CHEEK, 50, 117]);
        let left = mean_around(&[mesh::LEFT_CHEEK, 280, 346]);
        (right.max(1e-4) / left.max(1e-4)).log2()
    }
}

/// Edge energy of the face on a 160×160 levelled crop of the detector box: the RMS of the
/// Laplacian over the RMS contrast, ×100. Contrast-normalised, so a dark or low-contrast face is
/// not called blurred; measured at a fixed face size, so it says how sharp the face will look at
/// headshot size.
pub fn sharpness(view: &PhotoView, face: &Face) -> f32 {
    let side = face.bbox.w.max(face.bbox.h) * view.scale;
    edge_energy(view, face, face.bbox.center().scaled(view.scale), side, 160)
}

/// Edge energy (as [`sharpness`]) of both eyes, each on a levelled square of 0.6 eye distances
/// around the iris sampled at the analysis copy's own resolution (24–96 px): the lashes, lids and
/// iris edge, where focus shows first. Frames of one person at one distance compare by it; it is
/// not a guideline check.
pub fn eye_sharpness(view: &PhotoView, face: &Face) -> f32 {
    let side = 0.6 * face.eye_distance() * view.scale;
    let s = (side.round() as usize).clamp(24, 96);
    let each = [&face.right_eye, &face.left_eye]
        .map(|eye| edge_energy(view, face, eye.iris_center.scaled(view.scale), side, s));
    (each[0] + each[1]) / 2.0
}

/// The RMS of the Laplacian over the RMS contrast, ×100, of a square of `side` analysis pixels
/// at `center`, levelled on the face's eye line and sampled at `s`×`s`.
fn edge_energy(view: &PhotoView, face: &Face, center: Point, side: f32, s: usize) -> f32 {
    let grey = levelled_grey(view, face, center, side, s);
    let mean = grey.iter().sum::<f32>() / grey.len() as f32;
    let var = grey.iter().map(|g| (g - mean) * (g - mean)).sum::<f32>() / grey.len() as f32;
    let mut lap2 = 0.0f32;
    let mut n = 0usize;
    for y in 1..s - 1 {
        for x in 1..s - 1 {
            let c = grey[y * s + x];
            let l = grey[(y - 1) * s + x]
                + grey[(y + 1) * s + x]
                + grey[y * s + x - 1]
                + grey[y * s + x + 1]
                - 4.0 * c;
            lap2 += l * l;
            n += 1;
        }
    }
    100.0 * (lap2 / n as f32).sqrt() / (var.sqrt() + 0.02)
}

/// Grey values (0–1, Rec. 601 weights) of a square of `side` analysis pixels centred at `center`
/// (analysis pixels), levelled on the face's eye line and sampled at `s`×`s`, row by row.
pub fn levelled_grey(
    view: &PhotoView,
    face: &Face,
    center: Point,
    side: f32,
    s: usize,
) -> Vec<f32> {
    let roi = RotatedRect {
        center,
        width: side,
        height: side,
        rotation: trueshot_geom::rotation_to_level(
            face.right_eye.iris_center,
            face.left_eye.iris_center,
        ),
    };
    view.sample(
        &roi.tensor_to_image(s as f32, s as f32, false),
        s,
        s,
        0.0,
        1.0,
    )
    .chunks_exact(3)
    .map(|c| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])
    .collect()
}

/// Fraction of the background, within the region the guideline's crop would show, that carries
/// strong edges. The person is excluded with [`Silhouette`].
pub fn background_clutter(
    view: &PhotoView,
    scene: &Scene,
    face: &Face,
    crop_w: f32,
    crop_h: f32,
    eye_line: f32,
    center_x: f32,
) -> Option<f32> {
    const W: usize = 128;
    let eye = face.eye_midpoint();
    let crop = Rect::new(
        eye.x - center_x * crop_w,
        eye.y - eye_line * crop_h,
        crop_w,
        crop_h,
    )
    .clamped(scene.width as f32, scene.height as f32);
    if crop.w < 8.0 || crop.h < 8.0 {
        return None;
    }
    let h = ((W as f32 * crop.h / crop.w).round() as usize).clamp(8, 512);
    let sx = crop.w / W as f32;
    let sy = crop.h / h as f32;
    let to_analysis = trueshot_geom::Affine::scale_translate(
        sx * view.scale,
        sy * view.scale,
        crop.x * view.scale,
        crop.y * view.scale,
    );
    let t = view.sample(&to_analysis, W, h, 0.0, 1.0);
    let grey: Vec<f32> = t
        .chunks_exact(3)
        .map(|c| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])
        .collect();
    let silhouette = Silhouette::new(scene, face);
    let person = |p: Point| silhouette.contains(p);
    let (mut edges, mut total) = (0usize, 0usize);
    for y in 1..h - 1 {
        for x in 1..W - 1 {
            let p = Point::new(
                crop.x + (x as f32 + 0.5) * sx,
                crop.y + (y as f32 + 0.5) * sy,
            );
            // stay a few pixels away from the person's outline: its own edge is not clutter
            let margin = 3.0 * sx;
            if person(p)
                || person(Point::new(p.x - margin, p.y))
                || person(Point::new(p.x + margin, p.y))
                || person(Point::new(p.x, p.y - margin))
            {
                continue;
            }
            let gx = grey[y * W + x + 1] - grey[y * W + x - 1];
            let gy = grey[(y + 1) * W + x] - grey[(y - 1) * W + x];
            total += 1;
            if gx.hypot(gy) > 0.12 {
                edges += 1;
            }
        }
    }
    (total >= 100).then(|| edges as f32 / total as f32)
}

/// A rough outline of the main subject from the face and the body joints: the head (face box
/// widened for ears and hair) and the torso, widening from the neck to beyond the shoulders, down
/// to the bottom of the picture. Good enough to keep the person's own edges out of the clutter
/// measure; matting draws the real outline.
struct Silhouette {
    head: Rect,
    chin_y: f32,
    centre_x: f32,
    neck_half: f32,
    shoulder_y: f32,
    shoulder_half: f32,
}

impl Silhouette {
    fn new(scene: &Scene, face: &Face) -> Silhouette {
        let b = face.bbox;
        let head = Rect::new(b.x - 0.3 * b.w, b.y - 0.7 * b.h, 1.6 * b.w, 1.7 * b.h);
        let chin = face.chin;
        let shoulders = scene.body.as_ref().and_then(|body| {
            Some((
                body.joint(trueshot_vision::joint::RIGHT_SHOULDER)?,
                body.joint(trueshot_vision::joint::LEFT_SHOULDER)?,
            ))
        });
        let (shoulder_y, shoulder_half, centre_x) = match shoulders {
            Some((r, l)) => (
                (r.y + l.y) / 2.0,
                (l.x - r.x).abs() / 2.0 * 1.35,
                (r.x + l.x) / 2.0,
            ),
            // without joints: shoulders about one face height below the chin, 1.3 face widths
            // either side
            None => (chin.y + b.h, 1.3 * b.w, chin.x),
        };
        Silhouette {
            head,
            chin_y: chin.y,
            centre_x,
            neck_half: 0.35 * b.w,
            shoulder_y: shoulder_y.max(chin.y + 1.0),
            shoulder_half,
        }
    }

    fn contains(&self, p: Point) -> bool {
        let h = &self.head;
        if p.x >= h.x && p.x <= h.right() && p.y >= h.y && p.y <= h.bottom() {
            return true;
        }
        if p.y < self.chin_y {
            return false;
        }
        let t = ((p.y - self.chin_y) / (self.shoulder_y - self.chin_y)).clamp(0.0, 1.0);
        let half = self.neck_half + (self.shoulder_half - self.neck_half) * t;
        (p.x - self.centre_x).abs() <= half
    }
}
