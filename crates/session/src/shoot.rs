//! A shoot's frames: read in capture order, and each looked at once, quickly.
//!
//! A frame is decoded at reduced size (JPEG DCT scaling to about 1600 px on the long side), its
//! shoot cards are read, and its main face is checked against the guideline as `trueshot check`
//! does, with the identity descriptor, the sharpness at the eyes, which variants its framing
//! yields and a small levelled face crop for telling bursts apart. Headshots are made only later,
//! for the picks.

use std::path::{Path, PathBuf};

use image::RgbImage;
use serde::Serialize;
use trueshot_assess::Finding;
use trueshot_codec::{decode_bytes_reduced, CaptureTime, Limits};
use trueshot_guide::{Guideline, Status};
use trueshot_pipeline::Engine;
use trueshot_vision::{Face, FacePoints, PhotoView, Scene, ANALYSIS_LONG_SIDE};

use crate::qr::find_cards_with;

/// One frame of the shoot, before it is looked at.
#[derive(Clone, Debug)]
pub struct Frame {
    pub path: PathBuf,
    /// A name unique in the shoot (the file's stem made safe, `-2`, `-3`… for repeats): it names
    /// the frame's thumbnail and is how the session report refers to it.
    pub name: String,
    pub time: Option<CaptureTime>,
    /// The camera's file number (the digits at the end of the file's stem, `IMG_0042` → 42).
    pub sequence: Option<u64>,
}

/// A frame file's capture time, read from the head of the file (EXIF sits near the start).
pub fn capture_time_of(path: &Path) -> Option<CaptureTime> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(256 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    trueshot_codec::capture_time(&head)
}

impl Frame {
    /// The frames of a shoot in capture order: by EXIF capture time, then the camera's file
    /// number, then the file name (frames without a time after those with one). `read_time` gives
    /// a file's capture time (the CLI reads the head of each file).
    pub fn in_order(
        paths: &[PathBuf],
        read_time: impl Fn(&Path) -> Option<CaptureTime>,
    ) -> Vec<Frame> {
        let mut frames: Vec<Frame> = paths
            .iter()
            .map(|path| {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let digits: String = stem
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                Frame {
                    path: path.clone(),
                    name: String::new(),
                    time: read_time(path),
                    sequence: digits.parse().ok(),
                }
            })
            .collect();
        frames.sort_by(|a, b| {
            (a.time.is_none(), &a.time, a.sequence, &a.path).cmp(&(
                b.time.is_none(),
                &b.time,
                b.sequence,
                &b.path,
            ))
        });
        let paths: Vec<PathBuf> = frames.iter().map(|f| f.path.clone()).collect();
        for (f, name) in frames
            .iter_mut()
            .zip(trueshot_pipeline::unique_stems(&paths, "frame"))
        {
            f.name = name;
        }
        frames
    }
}

/// How a variant of the guideline could be framed from a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Not at all: the person reaches a closed side, or the face is too small.
    No,
    /// Within the variant's limits, not its tolerances: delivered with a framing finding.
    WithinLimits,
    InTolerance,
}

/// What one look at a frame found.
#[derive(Clone, Debug, Default)]
pub struct Look {
    /// Ids on the shoot cards in the frame.
    pub cards: Vec<String>,
    /// The main face, when there is one.
    pub face: Option<FaceLook>,
    /// Why the frame could not be read.
    pub error: Option<String>,
    /// A small JPEG of the frame for the contact sheet.
    pub thumb: Option<Vec<u8>>,
}

/// The main face of a frame, as ranking and identity need it.
#[derive(Clone, Debug)]
pub struct FaceLook {
    /// The guideline's checks of the frame (`trueshot check`'s findings).
    pub findings: Vec<Finding>,
    /// Sharpness at the eyes ([`trueshot_assess::eye_sharpness`]).
    pub eye_sharpness: f32,
    /// Each variant of the guideline and how it could be framed.
    pub fits: Vec<(String, Fit)>,
    /// The identity descriptor (128 values, dlib's scale). Kept in memory only.
    pub descriptor: Vec<f32>,
    /// A 24×24 levelled crop of the face, zero mean and unit variance: near-duplicates of a
    /// burst correlate above 0.95.
    pub signature: Vec<f32>,
    /// Head size: eye distance in pixels of the full-size frame.
    pub eye_distance: f32,
}

impl FaceLook {
    pub fn finding(&self, check: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }
    pub fn value(&self, check: &str) -> Option<f32> {
        self.finding(check).and_then(|f| f.value)
    }
    pub fn status(&self, check: &str) -> Status {
        self.finding(check).map_or(Status::Pass, |f| f.status)
    }
}

/// Side of the burst signature.
const SIGNATURE: usize = 24;

/// Looks at one frame's bytes (`path` names it in messages). Never panics on bad input: a frame
/// that cannot be read gives a look with its error.
pub fn look(engine: &Engine, guide: &Guideline, bytes: &[u8], path: &Path) -> Look {
    match look_inner(engine, guide, bytes, path) {
        Ok(look) => look,
        Err(e) => Look {
            error: Some(e.to_string()),
            ..Look::default()
        },
    }
}

fn look_inner(
    engine: &Engine,
    guide: &Guideline,
    bytes: &[u8],
    path: &Path,
) -> Result<Look, trueshot_pipeline::Error> {
    let start = std::time::Instant::now();
    let lap = |step: &str| {
        tracing::debug!(frame = %path.display(), step, ms = start.elapsed().as_secs_f64() * 1e3);
    };
    let photo = decode_bytes_reduced(bytes, path, &Limits::default(), ANALYSIS_LONG_SIDE)?;
    lap("decoded");
    let (full_w, full_h) = photo.full_size();
    let name = path.display().to_string();
    let vision = |source| trueshot_pipeline::Error::Vision {
        name: name.clone(),
        source,
    };
    let view = PhotoView::with_full_size(&photo.image, full_w, full_h).map_err(&vision)?;
    lap("analysis copy");
    let cards = find_cards_with(view.analysis(), &photo.image)
        .into_iter()
        .map(|c| c.id)
        .collect();
    lap("cards");
    let thumb = thumbnail(view.analysis());
    lap("thumbnail");
    let report = trueshot_pipeline::check::judge_view(
        &view,
        photo.notes,
        None,
        path,
        engine.perception(),
        guide,
        false,
    )?;
    lap("checked");
    let face = match report.faces.first() {
        Some(main) => {
            let points = FacePoints::of(main);
            let descriptor = engine
                .face_nets()
                .descriptor(&view, &points)
                .map_err(&vision)?;
            let scene = Scene {
                width: report.width,
                height: report.height,
                faces: report.faces.clone(),
                body: report.body.clone(),
            };
            Some(FaceLook {
                eye_sharpness: trueshot_assess::eye_sharpness(&view, main),
                fits: fits(&scene, guide),
                descriptor,
                signature: signature(&view, main),
                eye_distance: main.eye_distance(),
                findings: report.findings,
            })
        }
        None => None,
    };
    lap("identity, eyes, fits");
    Ok(Look {
        cards,
        face,
        error: None,
        thumb,
    })
}

/// How each variant of the guideline could be framed, judged by the planner `process` uses, with
/// the closed sides estimated from the head and shoulders (as `check` does).
pub fn fits(scene: &Scene, guide: &Guideline) -> Vec<(String, Fit)> {
    let Some(face) = scene.faces.first() else {
        return guide
            .variant
            .iter()
            .map(|v| (v.name.clone(), Fit::No))
            .collect();
    };
    let body = scene.body.as_ref();
    let closed = trueshot_frame::Sides::likely(
        face,
        body,
        scene.width,
        scene.height,
        guide.background.mode.replaces(),
    );
    guide
        .variant
        .iter()
        .map(|v| {
            let fit = match trueshot_frame::best_plan(
                face,
                body,
                scene.width,
                scene.height,
                v,
                &guide.framing,
                closed,
                !guide.framing.refuse_on_fail,
                None,
            ) {
                Ok(p) if p.in_tolerance => Fit::InTolerance,
                Ok(_) => Fit::WithinLimits,
                Err(_) => Fit::No,
            };
            (v.name.clone(), fit)
        })
        .collect()
}

/// The face levelled and sampled to 24×24 grey, zero mean and unit variance.
fn signature(view: &PhotoView, face: &Face) -> Vec<f32> {
    let side = face.bbox.w.max(face.bbox.h) * view.scale;
    let center = face.bbox.center().scaled(view.scale);
    let grey = trueshot_assess::levelled_grey(view, face, center, side, SIGNATURE);
    let n = grey.len() as f32;
    let mean = grey.iter().sum::<f32>() / n;
    let sd = (grey.iter().map(|g| (g - mean) * (g - mean)).sum::<f32>() / n)
        .sqrt()
        .max(1e-4);
    grey.iter().map(|g| (g - mean) / sd).collect()
}

/// Correlation of two burst signatures (1: the same picture).
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / a.len() as f32
}

/// A 320-px JPEG of the frame (no metadata).
fn thumbnail(image: &RgbImage) -> Option<Vec<u8>> {
    let long = image.width().max(image.height()) as f32;
    let k = (320.0 / long).min(1.0);
    let (w, h) = (
        ((image.width() as f32 * k).round() as u32).max(1),
        ((image.height() as f32 * k).round() as u32).max(1),
    );
    let small = trueshot_vision::resize(image, w, h).ok()?;
    trueshot_codec::encode(
        &small,
        trueshot_codec::OutputFormat::Jpeg { quality: 80 },
        72,
    )
    .ok()
}
