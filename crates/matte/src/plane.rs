//! Single-channel float planes and the filters the matting stages are built from: a normalised
//! box mean (O(1) per pixel whatever the radius), a three-box approximation of a Gaussian, block
//! averaging and bilinear enlargement.

/// A `width × height` single-channel float image, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Plane {
    pub fn new(width: usize, height: usize, value: f32) -> Plane {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    pub fn from_fn(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Plane {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                data.push(f(x, y));
            }
        }
        Plane {
            width,
            height,
            data,
        }
    }

    /// `f(self[i], other[i])` for every pixel.
    pub fn zip(&self, other: &Plane, f: impl Fn(f32, f32) -> f32) -> Plane {
        debug_assert_eq!(self.data.len(), other.data.len());
        Plane {
            width: self.width,
            height: self.height,
            data: self
                .data
                .iter()
                .zip(&other.data)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        }
    }

    pub fn map(&self, f: impl Fn(f32) -> f32) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&a| f(a)).collect(),
        }
    }

    /// Mean over the `(2r+1)²` window around each pixel, the window cut at the image's edges
    /// (the mean is over the pixels that exist, so a constant image stays constant).
    pub fn box_mean(&self, r: usize) -> Plane {
        let (w, h) = (self.width, self.height);
        if r == 0 || w == 0 || h == 0 {
            return self.clone();
        }
        let mut tmp = vec![0.0f32; w * h];
        // Horizontal: prefix sums (f64, so that long rows do not drift), four rows interleaved
        // so that their additions overlap; each mean is then one difference of two prefixes.
        let mut prefix = vec![0.0f64; 4 * (w + 1)];
        let inner = 1.0 / (2 * r + 1) as f64;
        for y0 in (0..h).step_by(4) {
            let rows = (h - y0).min(4);
            let mut acc = [0.0f64; 4];
            for x in 0..w {
                for k in 0..rows {
                    acc[k] += f64::from(self.data[(y0 + k) * w + x]);
                    prefix[k * (w + 1) + x + 1] = acc[k];
                }
            }
            for k in 0..rows {
                let p = &prefix[k * (w + 1)..(k + 1) * (w + 1)];
                let out = &mut tmp[(y0 + k) * w..(y0 + k + 1) * w];
                for (x, o) in out.iter_mut().enumerate() {
                    let (lo, hi) = (x.saturating_sub(r), (x + r + 1).min(w));
                    let n = hi - lo;
                    let inv = if n == 2 * r + 1 {
                        inner
                    } else {
                        1.0 / n as f64
                    };
                    *o = ((p[hi] - p[lo]) * inv) as f32;
                }
            }
        }
        // Vertical: a running sum per column, updated a whole row at a time (cache friendly).
        let mut out = vec![0.0f32; w * h];
        let mut sums = vec![0.0f64; w];
        let mut count = 0usize;
        for y in 0..=r.min(h - 1) {
            for (s, &v) in sums.iter_mut().zip(&tmp[y * w..(y + 1) * w]) {
                *s += f64::from(v);
            }
            count += 1;
        }
        for y in 0..h {
            let inv = 1.0 / count as f64;
            for (o, &s) in out[y * w..(y + 1) * w].iter_mut().zip(&sums) {
                *o = (s * inv) as f32;
            }
            if y + r + 1 < h {
                let add = &tmp[(y + r + 1) * w..(y + r + 2) * w];
                for (s, &v) in sums.iter_mut().zip(add) {
                    *s += f64::from(v);
                }
                count += 1;
            }
            if y >= r {
                let sub = &tmp[(y - r) * w..(y - r + 1) * w];
                for (s, &v) in sums.iter_mut().zip(sub) {
                    *s -= f64::from(v);
                }
                count -= 1;
            }
        }
        Plane {
            width: w,
            height: h,
            data: out,
        }
    }

    /// Three box means in a row: close to a Gaussian of standard deviation `sigma`.
    pub fn gaussian_like(&self, sigma: f32) -> Plane {
        // Three boxes of width 2r+1 have variance 3·((2r+1)² − 1)/12 = r(r+1).
        let r = ((0.25 + sigma * sigma).sqrt() - 0.5).round().max(0.0) as usize;
        if r == 0 {
            return self.clone();
        }
        self.box_mean(r).box_mean(r).box_mean(r)
    }

    /// Averages of `s × s` blocks (the last row and column of blocks may be partial).
    pub fn shrink(&self, s: usize) -> Plane {
        if s <= 1 {
            return self.clone();
        }
        let (w, h) = (self.width.div_ceil(s), self.height.div_ceil(s));
        let mut sum = vec![0.0f32; w * h];
        let mut count = vec![0u32; w * h];
        let block_x: Vec<usize> = (0..self.width).map(|x| x / s).collect();
        for y in 0..self.height {
            let row = &self.data[y * self.width..(y + 1) * self.width];
            let base = (y / s) * w;
            for (&v, &bx) in row.iter().zip(&block_x) {
                sum[base + bx] += v;
                count[base + bx] += 1;
            }
        }
        Plane {
            width: w,
            height: h,
            data: sum
                .iter()
                .zip(&count)
                .map(|(&a, &n)| a / n.max(1) as f32)
                .collect(),
        }
    }

    /// Bilinear enlargement of a plane made by `shrink(s)` back to `width × height`, block
    /// centres aligned.
    pub fn enlarge(&self, s: usize, width: usize, height: usize) -> Plane {
        if s <= 1 {
            return self.clone();
        }
        let grid = Enlarger::new(s, self.width, self.height, width, height);
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                data.push(grid.at(self, x, y));
            }
        }
        Plane {
            width,
            height,
            data,
        }
    }
}

/// Bilinear lookup of full-size pixels in planes shrunk by `s` (block centres aligned), with the
/// per-column and per-row weights computed once.
pub struct Enlarger {
    xs: Vec<(u32, u32, f32)>,
    ys: Vec<(u32, u32, f32)>,
    stride: usize,
}

impl Enlarger {
    /// For planes of `sw × sh` made by `shrink(s)` from `width × height`.
    pub fn new(s: usize, sw: usize, sh: usize, width: usize, height: usize) -> Enlarger {
        let inv = 1.0 / s.max(1) as f32;
        let coord = |p: usize, n: usize| -> (u32, u32, f32) {
            let f = ((p as f32 + 0.5) * inv - 0.5).max(0.0);
            let i = (f as usize).min(n.max(1) - 1);
            let j = (i + 1).min(n.max(1) - 1);
            (i as u32, j as u32, (f - i as f32).min(1.0))
        };
        Enlarger {
            xs: (0..width).map(|x| coord(x, sw)).collect(),
            ys: (0..height).map(|y| coord(y, sh)).collect(),
            stride: sw,
        }
    }

    /// The value at full-size pixel `(x, y)` of `p` (a shrunk plane).
    #[inline]
    pub fn at(&self, p: &Plane, x: usize, y: usize) -> f32 {
        let (x0, x1, fx) = self.xs[x];
        let (y0, y1, fy) = self.ys[y];
        let (r0, r1) = (y0 as usize * self.stride, y1 as usize * self.stride);
        let d = &p.data;
        let top = d[r0 + x0 as usize] + (d[r0 + x1 as usize] - d[r0 + x0 as usize]) * fx;
        let bottom = d[r1 + x0 as usize] + (d[r1 + x1 as usize] - d[r1 + x0 as usize]) * fx;
        top + (bottom - top) * fy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_matches_a_direct_sum_at_edges_and_inside() {
        let p = Plane::from_fn(13, 9, |x, y| ((x * 7 + y * 3) % 11) as f32);
        let r = 2;
        let m = p.box_mean(r);
        for y in 0..9usize {
            for x in 0..13usize {
                let (mut s, mut n) = (0.0, 0);
                for yy in y.saturating_sub(r)..=(y + r).min(8) {
                    for xx in x.saturating_sub(r)..=(x + r).min(12) {
                        s += p.data[yy * 13 + xx];
                        n += 1;
                    }
                }
                assert!((m.data[y * 13 + x] - s / n as f32).abs() < 1e-4, "{x},{y}");
            }
        }
        // A radius larger than the image is the global mean.
        let g = p.box_mean(50);
        let mean = p.data.iter().sum::<f32>() / p.data.len() as f32;
        assert!(g.data.iter().all(|&v| (v - mean).abs() < 1e-4));
    }

    #[test]
    fn shrink_then_enlarge_keeps_a_smooth_ramp() {
        let p = Plane::from_fn(40, 30, |x, _| x as f32);
        let back = p.shrink(4).enlarge(4, 40, 30);
        for x in 4..36 {
            assert!((back.data[10 * 40 + x] - x as f32).abs() < 0.01, "{x}");
        }
    }
}
