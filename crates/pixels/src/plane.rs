//! Single-channel float planes and the filters that matting, retouching and verification are
//! built from: a normalised box mean (O(1) per pixel whatever the radius), a three-box
//! approximation of a Gaussian, block averaging and bilinear enlargement.

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
    ///
    /// Both passes keep running window sums in `f32`, summed afresh every [`ANCHOR`] pixels or
    /// more so that rounding cannot drift (the means are within a few units of the float's last
    /// place of an exact sum). The horizontal pass runs eight rows side by side
    /// ([`RowMeans`]) into a ring of rows that the vertical pass, a whole row at a time, reads.
    pub fn box_mean(&self, r: usize) -> Plane {
        let (w, h) = (self.width, self.height);
        if r == 0 || w == 0 || h == 0 {
            return self.clone();
        }
        let period = ANCHOR.max(4 * (2 * r + 1));
        let mut rows = RowMeans::new(&self.data, w, h, r, period);
        let mut out = vec![0.0f32; w * h];
        let mut sums = vec![0.0f32; w];
        for (y, dst) in out.chunks_exact_mut(w).enumerate() {
            let (lo, hi) = (y.saturating_sub(r), (y + r + 1).min(h));
            rows.ready_to(hi);
            if y % period == 0 {
                sums.fill(0.0);
                for yy in lo..hi {
                    for (s, &v) in sums.iter_mut().zip(rows.row(yy)) {
                        *s += v;
                    }
                }
            } else {
                match (y + r < h, y > r) {
                    (true, true) => {
                        let (add, sub) = (rows.row(y + r), rows.row(y - r - 1));
                        for ((s, &a), &b) in sums.iter_mut().zip(add).zip(sub) {
                            *s += a - b;
                        }
                    }
                    (true, false) => {
                        for (s, &a) in sums.iter_mut().zip(rows.row(y + r)) {
                            *s += a;
                        }
                    }
                    (false, true) => {
                        for (s, &b) in sums.iter_mut().zip(rows.row(y - r - 1)) {
                            *s -= b;
                        }
                    }
                    (false, false) => {}
                }
            }
            let inv = 1.0 / (hi - lo) as f32;
            for (o, &s) in dst.iter_mut().zip(&sums) {
                *o = s * inv;
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
        let mut out = Plane::new(width, height, 0.0);
        for (y, row) in out.data.chunks_exact_mut(width).enumerate() {
            grid.row(self, y, row);
        }
        out
    }
}

/// Pixels between fresh sums of a running box sum.
const ANCHOR: usize = 128;

/// Rows the horizontal pass of [`Plane::box_mean`] handles side by side.
const LANES: usize = 8;

/// The horizontal box means (radius `r`, cut at the row's ends) of a plane's rows, made eight
/// rows at a time and kept in a ring just deep enough for the vertical window.
///
/// The eight rows are interleaved into one zero-padded buffer of `[f32; 8]` columns, so each
/// step of the running sums is two vector operations and the loop has no edge cases.
struct RowMeans<'a> {
    data: &'a [f32],
    w: usize,
    h: usize,
    r: usize,
    period: usize,
    inv: Vec<f32>,
    pad: Vec<[f32; LANES]>,
    acc: Vec<[f32; LANES]>,
    ring: Vec<f32>,
    slots: usize,
    done: usize,
}

impl<'a> RowMeans<'a> {
    fn new(data: &'a [f32], w: usize, h: usize, r: usize, period: usize) -> RowMeans<'a> {
        // The vertical pass reads rows y − r − 1 ..= y + r; a batch runs up to LANES − 1 ahead.
        let slots = (2 * r + 2 + LANES).min(h.next_multiple_of(LANES));
        RowMeans {
            data,
            w,
            h,
            r,
            period,
            inv: (0..w)
                .map(|x| 1.0 / ((x + r + 1).min(w) - x.saturating_sub(r)) as f32)
                .collect(),
            pad: vec![[0.0; LANES]; w + 2 * r + 1],
            acc: vec![[0.0; LANES]; w],
            ring: vec![0.0; slots * w],
            slots,
            done: 0,
        }
    }

    /// The horizontal means of row `y` (made by an earlier [`RowMeans::ready_to`]).
    fn row(&self, y: usize) -> &[f32] {
        let k = y % self.slots;
        &self.ring[k * self.w..(k + 1) * self.w]
    }

    /// Makes the rows before `end`.
    fn ready_to(&mut self, end: usize) {
        while self.done < end.min(self.h) {
            self.batch(self.done);
            self.done += LANES;
        }
    }

    /// Rows `y0 .. y0 + LANES` (those that exist) into the ring.
    fn batch(&mut self, y0: usize) {
        let (w, r) = (self.w, self.r);
        let lanes = (self.h - y0).min(LANES);
        for k in 0..LANES {
            let cols = &mut self.pad[r + 1..r + 1 + w];
            match self.data.get((y0 + k) * w..(y0 + k + 1) * w) {
                Some(src) if k < lanes => {
                    for (c, &v) in cols.iter_mut().zip(src) {
                        c[k] = v;
                    }
                }
                _ => cols.iter_mut().for_each(|c| c[k] = 0.0),
            }
        }
        // The window of x is pad[x + 1 ..= x + 2r + 1].
        let mut x = 0;
        while x < w {
            let end = (x + self.period).min(w);
            let mut s = [0.0f32; LANES];
            for v in &self.pad[x + 1..x + 2 * r + 2] {
                for k in 0..LANES {
                    s[k] += v[k];
                }
            }
            self.acc[x] = s.map(|v| v * self.inv[x]);
            let adds = &self.pad[x + 2 * r + 2..end + 2 * r + 1];
            let subs = &self.pad[x + 1..end];
            for ((o, a), (b, &inv)) in self.acc[x + 1..end]
                .iter_mut()
                .zip(adds)
                .zip(subs.iter().zip(&self.inv[x + 1..end]))
            {
                for k in 0..LANES {
                    s[k] += a[k] - b[k];
                }
                *o = s.map(|v| v * inv);
            }
            x = end;
        }
        for k in 0..lanes {
            let slot = (y0 + k) % self.slots;
            let dst = &mut self.ring[slot * w..(slot + 1) * w];
            for (d, a) in dst.iter_mut().zip(&self.acc) {
                *d = a[k];
            }
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

    /// The values of full-size row `y` of `p` (a shrunk plane), [`Enlarger::at`] for each `x`.
    pub fn row(&self, p: &Plane, y: usize, out: &mut [f32]) {
        let (y0, y1, fy) = self.ys[y];
        let r0 = &p.data[y0 as usize * self.stride..(y0 as usize + 1) * self.stride];
        let r1 = &p.data[y1 as usize * self.stride..(y1 as usize + 1) * self.stride];
        for (o, &(x0, x1, fx)) in out.iter_mut().zip(&self.xs) {
            let (x0, x1) = (x0 as usize, x1 as usize);
            let top = r0[x0] + (r0[x1] - r0[x0]) * fx;
            let bottom = r1[x0] + (r1[x1] - r1[x0]) * fx;
            *o = top + (bottom - top) * fy;
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

    /// Planes taller and wider than the ring of rows and the fresh-sum period, with radii
    /// from 1 to more than the plane: every mean is that of an exact (f64) sum, to float rounding.
    #[test]
    fn box_mean_of_a_large_plane_does_not_drift() {
        let (w, h) = (301, 517);
        let p = Plane::from_fn(w, h, |x, y| {
            ((x * 31 + y * 17) % 97) as f32 / 97.0
                + if (x / 50 + y / 70) % 2 == 0 {
                    10.0
                } else {
                    0.0
                }
        });
        // Integral image in f64.
        let mut sat = vec![0.0f64; (w + 1) * (h + 1)];
        for y in 0..h {
            for x in 0..w {
                sat[(y + 1) * (w + 1) + x + 1] = f64::from(p.data[y * w + x])
                    + sat[y * (w + 1) + x + 1]
                    + sat[(y + 1) * (w + 1) + x]
                    - sat[y * (w + 1) + x];
            }
        }
        for r in [1, 3, 40, 400] {
            let m = p.box_mean(r);
            let mut worst = 0.0f64;
            for y in 0..h {
                for x in 0..w {
                    let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                    let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
                    let s =
                        sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0]
                            + sat[y0 * (w + 1) + x0];
                    let want = s / ((x1 - x0) * (y1 - y0)) as f64;
                    worst = worst.max((f64::from(m.data[y * w + x]) - want).abs());
                }
            }
            // Within a few units of the last place of the largest value (about 11).
            assert!(worst < 5e-5, "radius {r}: off by {worst}");
        }
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
