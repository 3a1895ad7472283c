#!/usr/bin/env node
// The second opinion on trueshot's matte, for scripts/eval/run (second_opinion.py): per headshot,
// imgly's alpha of the whole upright photo mapped into the headshot's frame and compared with
// trueshot's own alpha (its transparent cutout). Not run by CI.
//
// Input (stdin, JSON): {"params": {"band_px": 12, "flag": 0.02, "crop": 400}, "crops_dir": DIR,
//   "jobs": [{"key", "cutout", "headshot", "imgly", "photo_w", "photo_h", "m": [a,b,c,d,e,f],
//             "eye_line", "upscale", "crop_name"}]}
// Output (stdout, JSON): one result per job, in order:
//   {"key", "width", "height", "radius_px", "valid",            pixels within the photo
//    "whole": share, "outline": share, "hair": share,           |alpha_t - alpha_i| > 0.5
//    "n_outline", "n_hair",                                     pixels in each band
//    "outline_trueshot_more", "outline_imgly_more",             the outline band's disagreement split
//    "crop": {"file", "x", "y", "w", "h", "pixels"}}            only when outline > flag
//   or {"key", "error"}.
//
// Geometry: `m` maps photo pixels (upright, continuous coordinates: pixel i spans [i, i+1)) to
// output pixels, x' = a x + b y + c, y' = d x + e y + f. Output pixel (u, v) reads the photo at
// m^-1(u + 1/2, v + 1/2), bilinearly between pixel centres (edge pixels repeat within the photo);
// an output pixel whose point falls outside [0, W] x [0, H] is beyond the photo: imgly's alpha there
// is 0, and the pixel counts in no statistic. trueshot's alpha is the cutout's alpha channel.
//
// Bands: the contour is where trueshot's alpha crosses 0.5 (pixels on either side of a
// 4-neighbour step across 128/255, both within the photo); the outline band is every pixel within
// radius = band_px * max(1, upscale) output pixels of it (exact Euclidean distance transform). The
// hair band is the part of the outline band above the eye line (pixel centre above eye_line *
// height), where both nets are least sure; "outline" is the rest of the band, below the eye line.
//
// Crops (outline share > flag): the crop x crop window (smaller frames: the whole side) holding the
// most outline-band disagreement, at 100 %, as one PNG of four panels left to right: trueshot's
// headshot, trueshot's alpha, imgly's alpha (dark blue beyond the photo), and the difference
// (red: trueshot keeps what imgly drops; blue: imgly keeps what trueshot drops; the strength is
// |difference|; over the dimmed headshot; the outline band's edge in grey, the eye line in yellow).
//
// sharp is the one tools/compare/setup.sh installed with imgly
// (${TRUESHOT_IMGLY_DIR:-${TRUESHOT_CACHE:-~/.cache/trueshot}/imgly}).
// SPDX-License-Identifier: GPL-3.0-or-later
import { readFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const cache = process.env.TRUESHOT_CACHE || path.join(os.homedir(), ".cache", "trueshot");
const installDir = process.env.TRUESHOT_IMGLY_DIR || path.join(cache, "imgly");
const sharp = createRequire(path.join(installDir, "package.json"))("sharp");
sharp.concurrency(1);

const req = JSON.parse(readFileSync(0, "utf8"));
const P = { band_px: 12, flag: 0.02, crop: 400, ...(req.params || {}) };
const INF = 1e10; // beyond any squared distance in a frame (sides up to 20000 px), exact in float64

async function channel(file, want, ch) {
  const { data, info } = await sharp(file).ensureAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`${file}: ${info.channels} channels`);
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[4 * i + ch];
  if (want && (info.width !== want[0] || info.height !== want[1])) {
    throw new Error(`${path.basename(file)} is ${info.width}x${info.height}, expected ${want[0]}x${want[1]}`);
  }
  return { a: out, w: info.width, h: info.height };
}

// Squared Euclidean distance transform (Felzenszwalb and Huttenlocher, "Distance transforms of
// sampled functions", 2012), in place, of f (0 at the sites, INF elsewhere) on a w x h grid.
function edt(f, w, h) {
  const n = Math.max(w, h);
  const d = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1), g = new Float64Array(n);
  const pass = (len, get, set) => {
    for (let q = 0; q < len; q++) g[q] = get(q);
    let k = 0;
    v[0] = 0; z[0] = -Infinity; z[1] = Infinity;
    for (let q = 1; q < len; q++) {
      let s = ((g[q] + q * q) - (g[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      while (s <= z[k]) {
        k--;
        s = ((g[q] + q * q) - (g[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      }
      k++; v[k] = q; z[k] = s; z[k + 1] = Infinity;
    }
    k = 0;
    for (let q = 0; q < len; q++) {
      while (z[k + 1] < q) k++;
      const p = v[k];
      d[q] = (q - p) * (q - p) + g[p];
    }
    for (let q = 0; q < len; q++) set(q, d[q]);
  };
  for (let x = 0; x < w; x++) pass(h, (y) => f[y * w + x], (y, val) => { f[y * w + x] = val; });
  for (let y = 0; y < h; y++) pass(w, (x) => f[y * w + x], (x, val) => { f[y * w + x] = val; });
}

async function compare(job) {
  const [a, b, c, d, e, f] = job.m;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error("source_to_output is not invertible");
  const cut = await channel(job.cutout, null, 3);
  const { w: W, h: H } = cut;
  const at = cut.a;
  const img = await channel(job.imgly, [job.photo_w, job.photo_h], 0);
  const pw = img.w, ph = img.h, ia = img.a;
  // imgly's alpha in the headshot frame (0..255, float), and which pixels are within the photo.
  const ai = new Float32Array(W * H);
  const valid = new Uint8Array(W * H);
  const inv = [e / det, -b / det, (b * f - e * c) / det, -d / det, a / det, (d * c - a * f) / det];
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const X = inv[0] * (u + 0.5) + inv[1] * (v + 0.5) + inv[2];
      const Y = inv[3] * (u + 0.5) + inv[4] * (v + 0.5) + inv[5];
      if (!(X >= 0 && X <= pw && Y >= 0 && Y <= ph)) continue;
      const i = v * W + u;
      valid[i] = 1;
      const sx = Math.min(Math.max(X - 0.5, 0), pw - 1), sy = Math.min(Math.max(Y - 0.5, 0), ph - 1);
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, pw - 1), y1 = Math.min(y0 + 1, ph - 1);
      const fx = sx - x0, fy = sy - y0;
      const top = ia[y0 * pw + x0] * (1 - fx) + ia[y0 * pw + x1] * fx;
      const bot = ia[y1 * pw + x0] * (1 - fx) + ia[y1 * pw + x1] * fx;
      ai[i] = top * (1 - fy) + bot * fy;
    }
  }
  // trueshot's 0.5 contour and the band around it.
  const dist = new Float64Array(W * H).fill(INF);
  let sites = 0;
  const fg = (i) => at[i] >= 128;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (!valid[i]) continue;
      if (x + 1 < W && valid[i + 1] && fg(i) !== fg(i + 1)) { dist[i] = 0; dist[i + 1] = 0; sites++; }
      if (y + 1 < H && valid[i + W] && fg(i) !== fg(i + W)) { dist[i] = 0; dist[i + W] = 0; sites++; }
    }
  }
  if (sites) edt(dist, W, H);
  const radius = P.band_px * Math.max(1, job.upscale || 1);
  const r2 = radius * radius;
  const eyeY = (job.eye_line ?? 0) * H;
  let nValid = 0, dValid = 0, nOut = 0, dOut = 0, nHair = 0, dHair = 0, tMore = 0, iMore = 0;
  const disOut = new Uint8Array(W * H); // outline-band disagreement (for the crop)
  const band = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const hair = y + 0.5 < eyeY;
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (!valid[i]) continue;
      const diff = at[i] - ai[i];
      const dis = Math.abs(diff) > 127.5;
      nValid++; dValid += dis;
      if (dist[i] > r2) continue;
      band[i] = 1;
      if (hair) { nHair++; dHair += dis; } else {
        nOut++; dOut += dis;
        if (dis) { disOut[i] = 1; if (diff > 0) tMore++; else iMore++; }
      }
    }
  }
  const share = (k, n) => (n ? k / n : null);
  const res = {
    key: job.key, width: W, height: H, radius_px: Math.round(radius * 10) / 10, valid: nValid,
    whole: share(dValid, nValid), outline: share(dOut, nOut), hair: share(dHair, nHair),
    n_outline: nOut, n_hair: nHair,
    outline_trueshot_more: share(tMore, nOut), outline_imgly_more: share(iMore, nOut),
  };
  if (res.outline !== null && res.outline > P.flag && job.crop_name && req.crops_dir) {
    res.crop = await crop(job, W, H, at, ai, valid, band, disOut, eyeY);
  }
  return res;
}

async function crop(job, W, H, at, ai, valid, band, disOut, eyeY) {
  const cw = Math.min(P.crop, W), ch = Math.min(P.crop, H);
  // Integral image of the outline-band disagreement; the window holding the most of it.
  const S = new Int32Array((W + 1) * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += disOut[y * W + x];
      S[(y + 1) * (W + 1) + x + 1] = S[y * (W + 1) + x + 1] + row;
    }
  }
  const sum = (x, y) => S[(y + ch) * (W + 1) + x + cw] - S[y * (W + 1) + x + cw] - S[(y + ch) * (W + 1) + x] + S[y * (W + 1) + x];
  let best = -1, bx = 0, by = 0;
  const step = 4;
  for (let y = 0; y <= H - ch; y += step) {
    for (let x = 0; x <= W - cw; x += step) {
      const s = sum(x, y);
      if (s > best) { best = s; bx = x; by = y; }
    }
  }
  const shot = await sharp(job.headshot).removeAlpha().toColourspace("srgb")
    .extract({ left: bx, top: by, width: cw, height: ch }).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (shot.info.channels !== 3) throw new Error(`headshot crop has ${shot.info.channels} channels`);
  const rgb = shot.data;
  const gap = 8, OW = 4 * cw + 3 * gap;
  const out = Buffer.alloc(OW * ch * 3, 255);
  const put = (panel, x, y, r, g, b) => {
    const o = (y * OW + panel * (cw + gap) + x) * 3;
    out[o] = r; out[o + 1] = g; out[o + 2] = b;
  };
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = (by + y) * W + bx + x, j = (y * cw + x) * 3;
      const [r, g, b] = [rgb[j], rgb[j + 1], rgb[j + 2]];
      put(0, x, y, r, g, b);
      put(1, x, y, at[i], at[i], at[i]);
      if (valid[i]) { const q = Math.round(ai[i]); put(2, x, y, q, q, q); } else put(2, x, y, 0, 0, 80);
      // difference over the dimmed headshot
      const lum = 0.25 * (0.2126 * r + 0.7152 * g + 0.0722 * b);
      let px = [lum, lum, lum];
      if (!valid[i]) px = [0, 0, 80];
      else {
        const diff = (at[i] - ai[i]) / 255, k = Math.min(1, Math.abs(diff) * 1.5);
        const col = diff > 0 ? [255, 40, 40] : [40, 140, 255];
        px = px.map((p, n) => p * (1 - k) + col[n] * k);
        const edge = band[i] && ((x > 0 && !band[i - 1]) || (x + 1 < cw && !band[i + 1])
          || (y > 0 && !band[i - W]) || (y + 1 < ch && !band[i + W]));
        if (edge) px = [150, 150, 150];
      }
      if (Math.abs(by + y + 0.5 - eyeY) < 0.5 && (x >> 3) % 2 === 0) px = [255, 220, 0];
      put(3, x, y, Math.round(px[0]), Math.round(px[1]), Math.round(px[2]));
    }
  }
  mkdirSync(req.crops_dir, { recursive: true });
  const file = path.join(req.crops_dir, job.crop_name);
  await sharp(out, { raw: { width: OW, height: ch, channels: 3 } }).png({ compressionLevel: 6 }).toFile(file);
  return { file, x: bx, y: by, w: cw, h: ch, pixels: best };
}

const results = [];
for (const job of req.jobs) {
  try {
    results.push(await compare(job));
  } catch (err) {
    results.push({ key: job.key, error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(results));
