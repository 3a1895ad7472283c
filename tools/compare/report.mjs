#!/usr/bin/env node
// Writes DIR/report.json and DIR/index.html for tools/compare/side_by_side.sh (which passes the
// wall-clock times it measured) from DIR/imgly.json (tools/compare/imgly.mjs) and trueshot's
// DIR/trueshot/<name>.report.json files; prints a short summary. Plain Node, no packages.
//
// Usage: node report.mjs --out DIR --imgly-wall S --trueshot-wall S --trueshot-exit CODE
//                        --trueshot-bin PATH --guide FILE --loadavg "A B C" PHOTO...
import { readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const opts = {};
const photos = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith("--")) opts[argv[i].slice(2)] = argv[++i];
  else photos.push(argv[i]);
}
const dir = opts.out;
if (!dir) throw new Error("report.mjs: --out DIR is required");
const num = (s) => (s == null || s === "" || Number.isNaN(Number(s)) ? null : Number(s));
const r3 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const readJson = (f) => JSON.parse(readFileSync(f, "utf8"));

const imgly = readJson(path.join(dir, "imgly.json"));
const tsDir = path.join(dir, "trueshot");

// trueshot's reports, by input path (absolute, as side_by_side.sh passes them) and by name.
const tsReports = new Map();
if (existsSync(tsDir)) {
  for (const f of readdirSync(tsDir)) {
    if (!f.endsWith(".report.json")) continue;
    try {
      const r = readJson(path.join(tsDir, f));
      tsReports.set(path.resolve(r.input ?? ""), r);
      tsReports.set(`name:${r.name}`, r);
    } catch {
      /* a half-written report is reported as missing */
    }
  }
}

// Per-photo timing in a trueshot report, if a future version writes one.
function tsSeconds(rep) {
  if (!rep) return null;
  for (const k of ["seconds", "elapsed_s", "wall_s"]) if (typeof rep[k] === "number") return rep[k];
  if (rep.timing && typeof rep.timing === "object") {
    for (const k of ["seconds", "total_s", "wall_s"]) if (typeof rep.timing[k] === "number") return rep.timing[k];
    if (typeof rep.timing.total_ms === "number") return rep.timing.total_ms / 1000;
  }
  return null;
}

// trueshot's cutouts: <name>.<variant>.cutout.png, from the report's outputs or by variant name.
function tsCutouts(rep, name) {
  const found = [];
  const add = (variant, file) => {
    if (!found.some((c) => c.file === file) && existsSync(path.join(tsDir, file))) found.push({ variant, file });
  };
  for (const f of rep?.outputs ?? []) {
    if (typeof f === "string" && f.endsWith(".cutout.png")) add(f.slice(name.length + 1, -".cutout.png".length), f);
  }
  const variants = (rep?.variants ?? []).map((v) => v.name);
  for (const v of variants.length ? variants : ["badge"]) add(v, `${name}.${v}.cutout.png`);
  return found;
}

const rows = photos.map((photo, i) => {
  const im = imgly.photos.find((p) => path.resolve(p.photo) === path.resolve(photo)) ?? imgly.photos[i];
  const stem = im?.stem ?? path.parse(photo).name;
  const rep = tsReports.get(path.resolve(photo)) ?? tsReports.get(`name:${stem}`);
  const name = rep?.name ?? stem;
  const written = (rep?.variants ?? []).filter((v) => v.status === "written");
  const rejected = (rep?.variants ?? []).filter((v) => v.status !== "written");
  return {
    photo,
    stem,
    imgly: im
      ? { file: im.file ? path.relative(dir, im.file) : null, seconds: im.seconds, inference_s: im.inference_s, width: im.width, height: im.height, error: im.error }
      : null,
    trueshot: {
      report: rep ? `trueshot/${name}.report.json` : null,
      status: rep?.status ?? "no report",
      seconds: r3(tsSeconds(rep)),
      headshots: written.map((v) => ({ variant: v.name, file: `trueshot/${v.file}`, width: v.width, height: v.height })),
      refused: rejected.map((v) => ({ variant: v.name, reason: v.reason ?? v.status })),
      cutouts: tsCutouts(rep, name).map((c) => ({ variant: c.variant, file: `trueshot/${c.file}` })),
      background: rep?.background ?? null,
      thumbnail: rep?.thumbnail && existsSync(path.join(tsDir, rep.thumbnail)) ? `trueshot/${rep.thumbnail}` : null,
    },
  };
});

const tsWall = num(opts["trueshot-wall"]);
const imglyProcWall = num(opts["imgly-wall"]);
const cutoutCount = rows.reduce((n, r) => n + r.trueshot.cutouts.length, 0);
const firstRep = [...tsReports.values()][0];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const warnings = [
  ...(cutoutCount === 0
    ? ["trueshot wrote no cutout: its time does not include matting (not built yet, or every headshot was refused)"]
    : []),
  ...(Number(String(opts.loadavg ?? "0").split(" ")[0]) > 0.5
    ? [`the machine was busy before the run (load average ${opts.loadavg}): times are noisy`]
    : []),
];
const report = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, loadavg_before: opts.loadavg ?? null },
  photos: rows,
  imgly: {
    tool: imgly.tool,
    runtime: imgly.runtime,
    model: imgly.model,
    output: imgly.output,
    model_load_s: imgly.model_load_s,
    warmup_s: imgly.warmup_s,
    photos_s: imgly.photos_s,
    total_s: imgly.total_s,
    node_wall_s: imgly.wall_s,
    process_wall_s: imglyProcWall,
  },
  trueshot: {
    bin: opts["trueshot-bin"] ?? null,
    version: firstRep?.trueshot_version ?? null,
    guide: opts.guide ? path.relative(repoRoot, opts.guide) : null,
    command: "process PHOTO... --out DIR/trueshot --guide tools/compare/cutout.toml --force --jobs 1",
    wall_s: tsWall,
    exit_code: num(opts["trueshot-exit"]),
    headshots: rows.reduce((n, r) => n + r.trueshot.headshots.length, 0),
    cutouts: cutoutCount,
  },
  ratio: r3(tsWall / imgly.total_s),
  ratio_definition:
    "trueshot's whole `process` run (wall clock: start-up, model load, every photo, every file) " +
    "over imgly's background removal of the same photos (model load + removeBackground per photo, " +
    "including PNG encoding and writing). Below 1: trueshot is faster.",
  ratio_vs_imgly_removal_only: r3(tsWall / imgly.photos_s),
  ratio_vs_imgly_process_wall: r3(tsWall / imglyProcWall),
  caveats: [
    ...warnings,
    "imgly's onnxruntime uses every core; trueshot ran with --jobs 1 (one photo at a time, its own threads inside)",
    "imgly's per-photo times are after a warm-up inference (not counted); its process wall time includes it",
  ],
};
writeFileSync(path.join(dir, "report.json"), JSON.stringify(report, null, 2) + "\n");

// ---- index.html ----
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const url = (p) => p.split(path.sep).map(encodeURIComponent).join("/");
const fmt = (x, d = 2) => (x == null ? "–" : Number(x).toFixed(d));

function tile(label, file, bg, note) {
  const body = file
    ? `<div class="pic ${bg}"><a href="${url(file)}"><img src="${url(file)}" alt="${esc(label)}"></a></div>`
    : `<div class="pic none">${esc(note ?? "no cutout")}</div>`;
  return `<figure>${body}<figcaption>${esc(label)}</figcaption></figure>`;
}

const sections = rows.map((r) => {
  const orig = r.trueshot.thumbnail ?? path.relative(dir, path.resolve(r.photo));
  const tsCut = r.trueshot.cutouts[0]?.file ?? null;
  const tsNote = r.trueshot.headshots.length
    ? "no cutout"
    : `no cutout (${r.trueshot.refused.map((v) => `${v.variant} refused`).join(", ") || r.trueshot.status})`;
  const head = r.trueshot.headshots[0];
  const imTime = r.imgly?.seconds != null ? `${fmt(r.imgly.seconds)} s` : "failed";
  const tsTime = r.trueshot.seconds != null ? ` · trueshot ${fmt(r.trueshot.seconds)} s` : "";
  const refused = r.trueshot.refused.map((v) => `<p class="note">trueshot ${esc(v.variant)}: ${esc(v.reason)}</p>`).join("");
  const bgNote = r.trueshot.background?.note ? `<p class="note">trueshot background: ${esc(r.trueshot.background.note)}</p>` : "";
  return `<section>
<h2>${esc(r.stem)} <span>${esc(r.photo)} · ${r.imgly?.width ?? "?"}×${r.imgly?.height ?? "?"} · imgly ${imTime}${tsTime}</span></h2>
<div class="row">
${tile("original", orig, "plain")}
${tile("imgly · checkerboard", r.imgly?.file, "checker", r.imgly?.error ? `imgly failed: ${r.imgly.error}` : undefined)}
${tile("imgly · #2b5797", r.imgly?.file, "blue", r.imgly?.error ? "imgly failed" : undefined)}
${tile(`trueshot ${r.trueshot.cutouts[0]?.variant ?? ""} cutout · checkerboard`, tsCut, "checker", tsNote)}
${tile(`trueshot ${r.trueshot.cutouts[0]?.variant ?? ""} cutout · #2b5797`, tsCut, "blue", tsNote)}
${tile(`trueshot ${head?.variant ?? ""} headshot as written`, head?.file, "plain", "no headshot")}
</div>${refused}${bgNote}
</section>`;
});

const im = report.imgly;
const ts = report.trueshot;
const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>trueshot vs imgly: cutouts side by side</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
.times { font-size: 1.05em; margin: .2em 0; }
.times b { font-size: 1.15em; }
.caveat { color: #8a4b00; margin: .1em 0; }
h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
h2 span { font-weight: normal; color: #666; }
.row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #555; text-align: center; }
.pic { height: 280px; display: flex; align-items: center; justify-content: center; border: 1px solid #ccc; }
.pic img { height: 280px; width: auto; display: block; }
.plain { background: #fff; }
.blue { background: #2b5797; }
.checker {
  background-color: #fff;
  background-image: linear-gradient(45deg, #c8c8c8 25%, transparent 25%), linear-gradient(-45deg, #c8c8c8 25%, transparent 25%),
    linear-gradient(45deg, transparent 75%, #c8c8c8 75%), linear-gradient(-45deg, transparent 75%, #c8c8c8 75%);
  background-size: 16px 16px; background-position: 0 0, 0 8px, 8px -8px, -8px 0;
}
.none { width: 224px; color: #888; background: #f4f4f4; text-align: center; padding: 0 1em; box-sizing: border-box; }
.note { color: #666; font-size: 12px; margin: .3em 0 0; }
</style></head><body>
<h1>Cutouts side by side: ${esc(im.tool)} and trueshot</h1>
<p class="times">trueshot <code>process</code> (framing + matting + compositing, ${esc(ts.guide ?? "cutout.toml")}, --jobs 1): <b>${fmt(ts.wall_s)} s</b>
 · imgly background removal (${esc(im.model)} model): <b>${fmt(im.total_s)} s</b> = model load ${fmt(im.model_load_s)} s + ${rows.length} photo(s) ${fmt(im.photos_s)} s
 · <b>ratio trueshot / imgly = ${fmt(report.ratio)}</b>
 (vs imgly's removal alone ${fmt(report.ratio_vs_imgly_removal_only)}; vs imgly's whole node process, ${fmt(im.process_wall_s)} s with warm-up, ${fmt(report.ratio_vs_imgly_process_wall)})</p>
${report.caveats.map((c) => `<p class="${warnings.includes(c) ? "caveat" : "note"}">${esc(c)}</p>`).join("\n")}
<p class="note">${esc(report.when)} · ${report.machine.cpus} CPUs (${esc(report.machine.cpu ?? "")}) · trueshot ${esc(ts.version ?? "?")} (exit ${ts.exit_code}) · imgly output: ${esc(im.output ?? "")}
 · files: <a href="report.json">report.json</a>, <a href="imgly.json">imgly.json</a>, <a href="trueshot/index.html">trueshot's contact sheet</a>, <a href="trueshot.log">trueshot.log</a></p>
${sections.join("\n")}
</body></html>
`;
writeFileSync(path.join(dir, "index.html"), html);

console.log(`imgly    ${im.tool} (${im.model}): model load ${fmt(im.model_load_s)} s + photos ${fmt(im.photos_s)} s = ${fmt(im.total_s)} s (node process ${fmt(im.process_wall_s)} s with warm-up)`);
for (const r of rows) console.log(`  ${r.stem.padEnd(24)} imgly ${r.imgly?.seconds != null ? fmt(r.imgly.seconds) + " s" : "failed"}  trueshot ${r.trueshot.cutouts.length ? "cutout" : "no cutout"}${r.trueshot.seconds != null ? " " + fmt(r.trueshot.seconds) + " s" : ""}`);
console.log(`trueshot process: ${fmt(ts.wall_s)} s wall (exit ${ts.exit_code}), ${ts.headshots} headshot(s), ${ts.cutouts} cutout(s)`);
console.log(`ratio trueshot / imgly: ${fmt(report.ratio)} (below 1: trueshot is faster)`);
for (const c of warnings) console.log(`note: ${c}`);
console.log(`page: ${path.join(dir, "index.html")}`);
