//! Edge-aware refinement of a coarse alpha at output resolution: the colour guided filter of
//! He, Sun and Tang (2010), in its fast form (He and Sun 2015: linear coefficients computed on a
//! copy shrunk by `s`, enlarged, applied to the full-resolution guide).
//!
//! Within each window the refined alpha is a linear function of the headshot's colour, fitted
//! to the coarse alpha. Where the coarse alpha is constant (deep inside the person, far in the
//! background) the fit is that constant; across the edge the fit follows the colour edges of
//! the picture, so hair strands get their own soft alpha instead of the net's blurred outline.
//! Fed a hard mask (see [`crate::seed`]) it places the transition on the picture's own edge.
//!
//! Only pixels near the mask's edge need the fit: [`Coefficients::alpha_at`] answers the others
//! with the mask's constant value without touching the coefficients.

use trueshot_pixels::plane::{Enlarger, Plane};

/// Guided-filter settings, in output pixels.
#[derive(Clone, Copy, Debug)]
pub struct GuidedFilter {
    /// Window radius at full resolution.
    pub radius: usize,
    /// Regularisation (guide in 0..1 sRGB values): larger keeps the coarse alpha, smaller
    /// follows the picture's edges more closely.
    pub eps: f32,
    /// Shrink factor for computing the coefficients.
    pub shrink: usize,
}

impl GuidedFilter {
    /// Settings for an output whose long side is `long` pixels and whose coarse alpha was
    /// enlarged `upscale` times from the net's matte.
    pub fn for_output(long: usize, upscale: f32) -> GuidedFilter {
        // The mask's edge sits within a matte pixel or two of the true edge; the window must
        // reach across that.
        let radius = ((2.0 * upscale.max(1.0)).round() as usize).clamp(4, (long / 60).max(4));
        GuidedFilter {
            radius,
            eps: 1e-4,
            // The coefficients vary smoothly: computing them at half size (or less) changes the
            // result by far less than a code value and costs a quarter.
            shrink: (radius / 2).clamp(2, 4),
        }
    }

    /// Fits the coefficients on the guide and the coarse alpha, both already shrunk by
    /// `self.shrink` (block means). `width × height` is the full output size.
    pub fn fit(
        &self,
        guide: &[Plane; 3],
        coarse: &Plane,
        width: usize,
        height: usize,
    ) -> Coefficients {
        let s = self.shrink.max(1);
        let r = (self.radius / s).max(1);
        let gi = guide;
        let p = coarse;
        let mean = |x: &Plane| x.box_mean(r);
        let mi: Vec<Plane> = gi.iter().map(mean).collect();
        let mp = mean(p);
        let centred = |m: Plane, a: &Plane, b: &Plane| Plane {
            data: m
                .data
                .iter()
                .zip(&a.data)
                .zip(&b.data)
                .map(|((&ab, &ma), &mb)| ab - ma * mb)
                .collect(),
            ..m
        };
        // Covariance of guide and alpha, and of the guide with itself (6 distinct entries).
        let cov_ip: Vec<Plane> = (0..3)
            .map(|c| centred(mean(&gi[c].zip(p, |a, b| a * b)), &mi[c], &mp))
            .collect();
        let var =
            |a: usize, b: usize| centred(mean(&gi[a].zip(&gi[b], |x, y| x * y)), &mi[a], &mi[b]);
        let (rr, rg, rb, gg, gb, bb) = (
            var(0, 0),
            var(0, 1),
            var(0, 2),
            var(1, 1),
            var(1, 2),
            var(2, 2),
        );
        let n = p.data.len();
        let mut a = [vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
        let mut b = vec![0.0f32; n];
        for i in 0..n {
            // Solve (Σ + εI) a = cov(I, p) by the adjugate of the symmetric 3×3 matrix.
            let (s00, s01, s02) = (rr.data[i] + self.eps, rg.data[i], rb.data[i]);
            let (s11, s12, s22) = (gg.data[i] + self.eps, gb.data[i], bb.data[i] + self.eps);
            let c00 = s11 * s22 - s12 * s12;
            let c01 = s02 * s12 - s01 * s22;
            let c02 = s01 * s12 - s02 * s11;
            let c11 = s00 * s22 - s02 * s02;
            let c12 = s01 * s02 - s00 * s12;
            let c22 = s00 * s11 - s01 * s01;
            let det = s00 * c00 + s01 * c01 + s02 * c02;
            let inv = if det.abs() > 1e-20 { 1.0 / det } else { 0.0 };
            let (v0, v1, v2) = (cov_ip[0].data[i], cov_ip[1].data[i], cov_ip[2].data[i]);
            let a0 = (c00 * v0 + c01 * v1 + c02 * v2) * inv;
            let a1 = (c01 * v0 + c11 * v1 + c12 * v2) * inv;
            let a2 = (c02 * v0 + c12 * v1 + c22 * v2) * inv;
            a[0][i] = a0;
            a[1][i] = a1;
            a[2][i] = a2;
            b[i] = mp.data[i] - a0 * mi[0].data[i] - a1 * mi[1].data[i] - a2 * mi[2].data[i];
        }
        let low = |v: Vec<f32>| {
            Plane {
                width: p.width,
                height: p.height,
                data: v,
            }
            .box_mean(r)
        };
        let [a0, a1, a2] = a;
        // Every coefficient window of a pixel lies within 2r of it: where the mask is constant
        // over that reach, the result is that constant. A block whose 3×3 neighbourhood of
        // blocks all see a constant mask takes it without any lookup.
        let reach = p.box_mean(2 * r + 1);
        let (lw, lh) = (p.width, p.height);
        let kind = |v: f32| -> i8 {
            if v <= 1e-6 {
                0
            } else if v >= 1.0 - 1e-6 {
                1
            } else {
                -1
            }
        };
        let kinds: Vec<i8> = reach.data.iter().map(|&v| kind(v)).collect();
        let mut fixed = vec![-1i8; lw * lh];
        for y in 0..lh {
            for x in 0..lw {
                let k = kinds[y * lw + x];
                if k < 0 {
                    continue;
                }
                let same = (y.saturating_sub(1)..=(y + 1).min(lh - 1)).all(|yy| {
                    kinds[yy * lw + x.saturating_sub(1)..=yy * lw + (x + 1).min(lw - 1)]
                        .iter()
                        .all(|&kk| kk == k)
                });
                if same {
                    fixed[y * lw + x] = k;
                }
            }
        }
        Coefficients {
            a: [low(a0), low(a1), low(a2)],
            b: low(b),
            reach,
            fixed,
            shrink: s,
            stride: lw,
            grid: Enlarger::new(s, lw, lh, width, height),
        }
    }
}

/// The guided filter's fitted coefficients, at the shrunk size.
pub struct Coefficients {
    a: [Plane; 3],
    b: Plane,
    reach: Plane,
    /// Per block: 0 or 1 when every pixel of the block takes that value, −1 otherwise.
    fixed: Vec<i8>,
    shrink: usize,
    stride: usize,
    grid: Enlarger,
}

impl Coefficients {
    /// For full-size row `y`, per block of the shrunk row: 0 or 1 when every pixel of the block
    /// takes that alpha whatever its colour, −1 when it must be computed
    /// ([`Coefficients::alpha_at`]). Pixel `x` is in block `x / shrink`.
    pub fn fixed_row(&self, y: usize) -> &[i8] {
        let start = (y / self.shrink) * self.stride;
        &self.fixed[start..start + self.stride]
    }

    /// The refined alpha of full-size pixel `(x, y)` whose sRGB colour (0..1) is `rgb`.
    #[inline]
    pub fn alpha_at(&self, x: usize, y: usize, rgb: [f32; 3]) -> f32 {
        let near = self.grid.at(&self.reach, x, y);
        if near <= 1e-6 {
            return 0.0;
        }
        if near >= 1.0 - 1e-6 {
            return 1.0;
        }
        self.grid.at(&self.a[0], x, y) * rgb[0]
            + self.grid.at(&self.a[1], x, y) * rgb[1]
            + self.grid.at(&self.a[2], x, y) * rgb[2]
            + self.grid.at(&self.b, x, y)
    }
}
