#!/usr/bin/env node
// Background removal with @imgly/background-removal-node 1.4.5 (installed by setup.sh beside this
// file), timed, for the side-by-side comparison with `trueshot process`.
//
// Usage: node tools/compare/imgly.mjs [--model small|medium] [--imgly-png] [--upright] [--alpha] PHOTO... --out DIR
//
// Loads the package once, then calls its documented `removeBackground(url, config)` on every
// photo at full resolution (the photo file as given; imgly itself decodes it with sharp, resizes
// to 1024x1024 for its network and scales the alpha back up), writes DIR/imgly/<stem>.png (RGBA
// PNG: the photo's colours with imgly's alpha; stems repeat as <stem>-2, <stem>-3... as trueshot
// names them) and prints one JSON object on stdout.
//
// Output encoding: by default imgly is asked for its documented raw export
// (`output.format = "image/x-rgba8"`) and the RGBA pixels are written as a lossless 8-bit RGBA PNG
// with the same sharp that imgly installed. With --imgly-png imgly's own PNG export
// (`output.format = "image/png"`) is written as it comes; note that it passes `quality` (default
// 0.8 -> 80) to sharp's PNG encoder, which makes it a quantised 256-colour palette PNG (dithered
// skin, alpha in a few dozen steps), so it is not the default for judging edges.
//
// --upright: the photo is first made upright (its EXIF orientation applied, as trueshot does, with
// sharp's rotate()), converted to sRGB with an alpha channel and handed to imgly as its documented
// raw input (`image/x-rgba8;width=W;height=H`), so the cutout is in the upright photo's pixels (and
// grey photos work); without it imgly decodes the file itself and ignores EXIF orientation.
// --alpha: write only imgly's alpha, as an 8-bit grey PNG (scripts/eval's second opinion).
//
// JSON fields:
//   model_load_s   first call's set-up: reading the ONNX model and creating the onnxruntime
//                  session (measured on a 64x64 warm-up image, up to the start of its inference)
//   warmup_s       the whole warm-up call (model load + one inference at 1024x1024), not counted
//   photos[]       per photo: seconds (removeBackground + PNG encoding + writing), inference_s (imgly's
//                  resize + network + alpha upscale, from its progress callback), width, height
//   photos_s       sum of the per-photo seconds
//   total_s        model_load_s + photos_s: imgly's background removal of the batch, loaded once
//   wall_s         this process from start to end (Node start-up, import, warm-up included)
// Exit 0 when every photo produced a cutout, 1 otherwise (the failed photo has an "error").
//
// The package is looked up in $TRUESHOT_IMGLY_DIR, else ${TRUESHOT_CACHE:-$HOME/.cache/trueshot}/imgly.
import { mkdir, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const PKG = "@imgly/background-removal-node";
const WANT_VERSION = "1.4.5";

function usage(msg) {
  if (msg) console.error(`imgly.mjs: ${msg}`);
  console.error("usage: node tools/compare/imgly.mjs [--model small|medium] [--imgly-png] [--upright] [--alpha] PHOTO... --out DIR");
  process.exit(2);
}

const args = process.argv.slice(2);
const photos = [];
let outDir = null;
let model = "medium";
let imglyPng = false;
let upright = false;
let alphaOnly = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--out") outDir = args[++i];
  else if (a === "--model") model = args[++i];
  else if (a === "--imgly-png") imglyPng = true;
  else if (a === "--upright") upright = true;
  else if (a === "--alpha") alphaOnly = true;
  else if (a === "-h" || a === "--help") usage();
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else photos.push(a);
}
if (!outDir) usage("--out DIR is required");
if (photos.length === 0) usage("no photos");
if (!["small", "medium"].includes(model)) usage(`--model must be small or medium, not ${model}`);
if (alphaOnly && imglyPng) usage("--alpha and --imgly-png exclude each other");
for (const p of photos) if (!existsSync(p)) usage(`no such photo: ${p}`);

const cache = process.env.TRUESHOT_CACHE || path.join(os.homedir(), ".cache", "trueshot");
const installDir = process.env.TRUESHOT_IMGLY_DIR || path.join(cache, "imgly");
const pkgDir = path.join(installDir, "node_modules", PKG);
if (!existsSync(path.join(pkgDir, "package.json"))) {
  console.error(`imgly.mjs: ${PKG} is not installed in ${installDir}; run tools/compare/setup.sh`);
  process.exit(2);
}
const pkgJson = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
if (pkgJson.version !== WANT_VERSION) {
  console.error(`imgly.mjs: ${installDir} holds ${PKG} ${pkgJson.version}, want ${WANT_VERSION}; run tools/compare/setup.sh`);
  process.exit(2);
}

const tImport0 = performance.now();
// The package's ESM entry (its "exports" import condition); its own imports (sharp,
// onnxruntime-node, ...) resolve from the install directory's node_modules.
const { removeBackground } = await import(pathToFileURL(path.join(pkgDir, "dist", "index.mjs")).href);
const sharp = createRequire(path.join(installDir, "package.json"))("sharp");
const importS = (performance.now() - tImport0) / 1000;

// imgly's result as PNG bytes: its own PNG as it is, or its raw RGBA (the Blob's type carries
// width and height: "image/x-rgba8;width=W;height=H") encoded losslessly.
async function toPng(blob) {
  const bytes = Buffer.from(await blob.arrayBuffer());
  if (imglyPng) return bytes;
  const params = Object.fromEntries(blob.type.split(";").slice(1).map((kv) => kv.trim().split("=")));
  const width = Number(params.width), height = Number(params.height);
  if (!(width > 0 && height > 0 && bytes.length === width * height * 4)) {
    throw new Error(`unexpected imgly output ${blob.type} of ${bytes.length} bytes`);
  }
  if (alphaOnly) {
    const a = Buffer.alloc(width * height);
    for (let i = 0; i < a.length; i++) a[i] = bytes[4 * i + 3];
    return sharp(a, { raw: { width, height, channels: 1 } }).toColourspace("b-w").png({ compressionLevel: 6, palette: false }).toBuffer();
  }
  return sharp(bytes, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 6, palette: false }).toBuffer();
}

// The photo as imgly's input: its file URL (imgly decodes it), or with --upright the upright sRGB
// RGBA pixels as a raw Blob.
async function input(photo) {
  if (!upright) return pathToFileURL(path.resolve(photo));
  const { data, info } = await sharp(photo).rotate().toColourspace("srgb").ensureAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`${photo}: decoded to ${info.channels} channels, not 4`);
  return new Blob([data], { type: `image/x-rgba8;width=${info.width};height=${info.height}` });
}

// Progress events tell where imgly's inference starts and ends inside one call.
let marks = {};
const onProgress = (key, current, total) => {
  if (key === "compute:inference") marks[current === 0 ? "inferStart" : "inferEnd"] = performance.now();
};
// One config object for every call: imgly memoizes its model session by JSON.stringify(config)
// (the progress function is not part of that key), so the warm-up's session serves every photo.
const config = {
  // The package's default publicPath is node_modules/... under the *current directory*; point it
  // at the installed package's dist/ (model chunks + resources.json) instead.
  publicPath: pathToFileURL(path.join(pkgDir, "dist")).href + "/",
  model,
  output: imglyPng ? { format: "image/png", quality: 0.8 } : { format: "image/x-rgba8" },
  progress: onProgress,
};

// Warm-up: a 64x64 grey image in imgly's raw RGBA input format (no decoder involved), so the
// time to its inference start is the model load alone.
const W = 64;
const warmBlob = new Blob([new Uint8Array(W * W * 4).fill(128)], { type: `image/x-rgba8;width=${W};height=${W}` });
marks = {};
const tw0 = performance.now();
await toPng(await removeBackground(warmBlob, config));
const warmupS = (performance.now() - tw0) / 1000;
const modelLoadS = ((marks.inferStart ?? tw0) - tw0) / 1000;

await mkdir(path.join(outDir, "imgly"), { recursive: true });
const seen = new Map();
const results = [];
let failed = 0;
for (const photo of photos) {
  let stem = path.parse(photo).name;
  const n = (seen.get(stem) ?? 0) + 1;
  seen.set(stem, n);
  if (n > 1) stem = `${stem}-${n}`;
  const out = path.join(outDir, "imgly", `${stem}.png`);
  marks = {};
  const t0 = performance.now();
  try {
    // A file:// URL: imgly reads the file and decodes it with sharp, as for any path it is given
    // (with --upright: the upright pixels, decoded here by the same sharp).
    const blob = await removeBackground(await input(photo), config);
    const png = await toPng(blob);
    await writeFile(out, png);
    const seconds = (performance.now() - t0) / 1000;
    // Width and height from the PNG's IHDR chunk.
    const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
    const inferenceS = marks.inferStart && marks.inferEnd ? (marks.inferEnd - marks.inferStart) / 1000 : null;
    results.push({ photo, stem, file: out, seconds: round(seconds), inference_s: round(inferenceS), width, height });
    console.error(`imgly: ${photo} -> ${out} ${seconds.toFixed(2)} s`);
  } catch (e) {
    failed++;
    results.push({ photo, stem, file: null, seconds: round((performance.now() - t0) / 1000), error: String(e?.message ?? e) });
    console.error(`imgly: ${photo}: ${e?.message ?? e}`);
  }
}

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(path.join(installDir, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}
function round(x) {
  return x == null ? null : Math.round(x * 1000) / 1000;
}
const photosS = results.reduce((s, r) => s + r.seconds, 0);
console.log(JSON.stringify({
  tool: `${PKG}@${pkgJson.version}`,
  runtime: {
    node: process.version,
    sharp: versionOf("sharp"),
    onnxruntime_node: versionOf("onnxruntime-node"),
    cpus: os.cpus().length,
  },
  model,
  output: imglyPng ? "imgly image/png (quality 0.8: palette PNG)"
    : alphaOnly ? "imgly image/x-rgba8, its alpha written as lossless grey PNG" : "imgly image/x-rgba8, written as lossless RGBA PNG",
  upright,
  import_s: round(importS),
  model_load_s: round(modelLoadS),
  warmup_s: round(warmupS),
  photos: results,
  photos_s: round(photosS),
  total_s: round(modelLoadS + photosS),
  wall_s: round(performance.now() / 1000),
}, null, 2));
process.exit(failed ? 1 : 0);
