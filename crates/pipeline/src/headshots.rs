//! One photo's headshots, in named steps: decode and perceive, assess, tone, plan each variant (a
//! framing or a refusal), matte, then for each variant made: cut out, retouch and verify,
//! composite, encode and sign; finally the print sheets and the report's verdict.

use std::collections::BTreeMap;

use image::RgbImage;
use trueshot_assess::{assess, overall, Finding};
use trueshot_codec::{decode_bytes, encode, encode_rgba_png, Limits, OutputFormat};
use trueshot_frame::{crop_findings, plan, render_all, sheet, Plan};
use trueshot_guide::{Format, Guideline, Status, Variant};
use trueshot_provenance::{sha256_hex, Source};
use trueshot_vision::{Face, Matte, PerceiveOptions, PhotoView, Scene};

use crate::credentials::{self, Facts, Output};
use crate::json::{r1, r3};
use crate::report::{
    self, Attempt, BackgroundReport, ContentCredentials, FaceReport, PhotoStatus, Report,
    RetouchReport, SheetReport, TeamFraming, ToneReport, VariantReport, VariantStatus,
    Verification, WallContinued,
};
use crate::{Artifact, Engine, Error, Input, Outcome, Recipe};

/// What one photo's steps share and build up.
struct Work<'a> {
    engine: &'a Engine,
    recipe: &'a Recipe,
    guide: &'a Guideline,
    /// The photo as messages name it.
    name: String,
    /// Base name of the outputs.
    base: &'a str,
    source: Source,
    report: &'a mut Report,
    artifacts: &'a mut Vec<Artifact>,
    findings: Vec<Finding>,
    variants: Vec<VariantReport>,
    outputs: Vec<String>,
    /// The headshots made, by variant name (the print sheets are made of them).
    made: BTreeMap<String, Made<'a>>,
    tone: trueshot_retouch::Tone,
}

/// One headshot made, with the facts its credentials state.
struct Made<'a> {
    at: usize,
    variant: &'a Variant,
    plan: Plan,
    requested: trueshot_retouch::Level,
    delivered: trueshot_retouch::Level,
    applied: trueshot_retouch::Applied,
    walls: Vec<(trueshot_matte::Wall, f32, u64)>,
    rim: Option<trueshot_matte::RimSummary>,
    image: RgbImage,
}

/// A variant whose framing was accepted: its index among the report's variants and its plan.
struct Accepted<'g> {
    at: usize,
    variant: &'g Variant,
    plan: Plan,
}

/// The photo, perceived, and what every variant's steps read.
struct Seen<'p> {
    view: PhotoView,
    image: &'p RgbImage,
    scene: Scene,
    face: Face,
    replace: bool,
    cut_out: bool,
    matte: Option<Matte>,
    walls: Vec<trueshot_matte::Wall>,
}

pub(crate) fn make(
    engine: &Engine,
    recipe: &Recipe,
    input: &Input,
    out: &mut Outcome,
) -> Result<(), Error> {
    let guide = &recipe.loaded.guide;
    let name = input.path.display().to_string();
    let input_sha256 = sha256_hex(input.bytes);
    out.report.input_sha256 = Some(input_sha256.clone());
    // A photo that declares it was made by generative AI is not a real photograph.
    let ai = trueshot_provenance::screen(input.bytes);
    let photo = decode_bytes(input.bytes, input.path, &Limits::default())?;
    let image = &photo.image;
    let view = PhotoView::new(image).map_err(Error::vision(&name))?;
    let scene = engine
        .perception
        .perceive(
            &view,
            &PerceiveOptions {
                // The top of the hair: ID photos measure head height with it, portraits keep it
                // in the frame (or crop no more of it than the guideline allows).
                crown: true,
                ..PerceiveOptions::default()
            },
        )
        .map_err(Error::vision(&name))?;
    let mut findings = assess(&view, &scene, guide);
    trueshot_frame::judge_room(&mut findings, &scene, guide);
    let (tone, tone_report) = tone(recipe, &view, &scene);
    let mut work = Work {
        engine,
        recipe,
        guide,
        name,
        base: input.name,
        source: credentials::original_source(input.path, input.bytes, &input_sha256),
        report: &mut out.report,
        artifacts: &mut out.artifacts,
        findings,
        variants: Vec::new(),
        outputs: Vec::new(),
        made: BTreeMap::new(),
        tone,
    };
    let ai_refusal = work.screen(ai.as_ref());
    let mut notes = photo.notes.clone();
    let report = &mut *work.report;
    report.tone = Some(tone_report);
    report.width = Some(image.width());
    report.height = Some(image.height());
    report.faces = Some(scene.faces.len());
    report.background = Some(BackgroundReport {
        mode: guide.background.mode.as_str().into(),
        ..BackgroundReport::default()
    });
    report.content_credentials = Some(ContentCredentials {
        signed: true,
        test_certificate: matches!(
            engine.signing.credentials.origin,
            trueshot_provenance::Origin::Test { .. }
        ),
    });
    // from the analysis copy perception already made, not from the full photo again
    work.thumbnail(view.analysis())?;
    match scene.faces.first().cloned() {
        Some(face) => work.headshots(view, image, scene, face, ai_refusal)?,
        None => notes.push("no face: no headshot can be made".into()),
    }
    let sheets = work.sheets()?;
    work.finish(notes, sheets);
    Ok(())
}

/// Exposure and white balance from the scene (faces excluded), or toward the team's median; and
/// the report's `tone`.
fn tone(recipe: &Recipe, view: &PhotoView, scene: &Scene) -> (trueshot_retouch::Tone, ToneReport) {
    let faces: Vec<trueshot_geom::Rect> = scene
        .faces
        .iter()
        .map(|f| f.bbox.scaled(view.scale))
        .collect();
    let stats = trueshot_retouch::scene_stats(view.analysis(), &faces);
    let fh = scene.faces.first().and_then(|f| {
        trueshot_retouch::face_highlight(view.analysis(), &f.bbox.scaled(view.scale))
    });
    let tone = match &recipe.team {
        Some(team) => trueshot_retouch::team_correction(&stats, &team.target, fh),
        None => trueshot_retouch::correction(&stats, fh),
    };
    let report = ToneReport {
        source: tone_source(recipe).into(),
        gains: tone.gains.map(r3),
        exposure_ev: r3(tone.exposure_ev),
        neutral_fraction: r3(stats.neutral_fraction),
        scene_highlight: r3(stats.highlight),
        scene_median: r3(stats.median),
    };
    (tone, report)
}

fn tone_source(recipe: &Recipe) -> &'static str {
    if recipe.team.is_some() {
        "team median"
    } else {
        "scene"
    }
}

impl<'a> Work<'a> {
    /// An AI-made input: a finding, and the refusal of every variant when the guideline refuses
    /// such photos.
    fn screen(&mut self, ai: Option<&trueshot_provenance::AiDeclaration>) -> Option<String> {
        let ai = ai?;
        let refuse = self.guide.provenance.ai_inputs == trueshot_guide::AiInputs::Refuse;
        self.findings.insert(0, credentials::ai_finding(ai, refuse));
        self.report.ai_declaration = Some(ai.into());
        refuse.then(|| ai.describe())
    }

    /// A small upright copy of the original for the contact sheet.
    fn thumbnail(&mut self, image: &RgbImage) -> Result<(), Error> {
        let long = image.width().max(image.height()) as f32;
        let k = (480.0 / long).min(1.0);
        let (w, h) = (
            ((image.width() as f32 * k).round() as u32).max(1),
            ((image.height() as f32 * k).round() as u32).max(1),
        );
        let thumb = trueshot_vision::resize(image, w, h).map_err(Error::vision(&self.name))?;
        let bytes = encode(&thumb, OutputFormat::Jpeg { quality: 82 }, 72)?;
        self.put(format!("thumbs/{}.jpg", self.base), bytes);
        Ok(())
    }

    fn put(&mut self, name: String, bytes: Vec<u8>) {
        self.artifacts.push(Artifact { name, bytes });
    }

    /// Plans, mattes and makes every variant of the photo's main face.
    fn headshots(
        &mut self,
        view: PhotoView,
        image: &RgbImage,
        scene: Scene,
        face: Face,
        ai_refusal: Option<String>,
    ) -> Result<(), Error> {
        let guide = self.guide;
        self.report.main_face = Some(FaceReport::from(&face));
        let (photo_w, photo_h) = (image.width(), image.height());
        let replace = guide.background.mode.replaces();
        // Matting runs once, on the part of the photo the headshots show. It runs before the
        // framing is chosen: where the person reaches an edge of the photo, no framing may show
        // canvas beyond it (the body continues there). With the photo's own background kept,
        // the matte is needed only to see whether a plain wall may be continued where a target
        // framing lacks canvas.
        let targets: Vec<Plan> = guide
            .variant
            .iter()
            .map(|v| plan(&face, photo_w, photo_h, v, &guide.framing))
            .collect();
        let need_matte =
            replace || guide.background.cutout || targets.iter().any(|p| p.missing.any());
        let outs: Vec<_> = targets
            .iter()
            .map(|p| (p.to_output, p.width, p.height))
            .collect();
        let matte = match trueshot_matte::region(&outs, photo_w, photo_h) {
            Some(rect) if ai_refusal.is_none() && need_matte => {
                Some(self.run_matting(&view, rect, &face)?)
            }
            _ => None,
        };
        // Kept background: the edges along which the photo shows a plain wall.
        let walls: Vec<trueshot_matte::Wall> = match (&matte, replace) {
            (Some(m), false) => trueshot_matte::Edge::ALL
                .iter()
                .filter_map(|&e| trueshot_matte::plain_wall(image, m, e))
                .collect(),
            _ => Vec::new(),
        };
        let closed = closed_sides(replace, matte.as_ref(), &walls, photo_w, photo_h);
        let background = self.report.background.get_or_insert_default();
        background.closed_sides = Some(closed.into());
        if !walls.is_empty() {
            background.plain_walls = Some(walls.iter().map(Into::into).collect());
        }
        let mut seen = Seen {
            view,
            image,
            scene,
            face,
            replace,
            cut_out: replace || guide.background.cutout,
            matte,
            walls,
        };
        let accepted = self.plan_variants(&seen, &targets, closed, ai_refusal);
        self.rematte(&mut seen, &accepted)?;
        // All accepted variants are resampled together (one linear-light conversion).
        let plans: Vec<&Plan> = accepted.iter().map(|a| &a.plan).collect();
        let images = render_all(image, &plans)?;
        if images.is_empty() {
            return Ok(());
        }
        // The original's identity and age, measured once on the photo itself.
        let verifier = trueshot_retouch::Verifier {
            nets: &self.engine.face_nets,
        };
        let original = verifier
            .original(&seen.view, &seen.face)
            .map_err(Error::vision(&self.name))?;
        for (a, before) in accepted.into_iter().zip(images) {
            self.variant(&seen, &original, a, before)?;
        }
        Ok(())
    }

    /// Runs the matting net on `rect` of the photo and cleans its alpha into the subject's seed
    /// (the piece holding the main face's nose tip); records the time and region in the report.
    fn run_matting(
        &mut self,
        view: &PhotoView,
        rect: [f32; 4],
        face: &Face,
    ) -> Result<Matte, Error> {
        let matting = &self.engine.matting;
        matting.prepare(rect).map_err(Error::vision(&self.name))?;
        let t = std::time::Instant::now();
        let m = matting
            .matte(view, rect)
            .map_err(Error::vision(&self.name))?;
        let nose = face.point(trueshot_vision::mesh::NOSE_TIP);
        let m = trueshot_matte::seed(&m, Some(nose));
        let background = self.report.background.get_or_insert_default();
        let ms = t.elapsed().as_secs_f32() * 1e3 + background.matting_ms.unwrap_or(0.0) as f32;
        background.matting_ms = Some(r1(ms));
        background.matte_region = Some(rect.map(r1));
        background.matting_runtime = Some(matting.runtime().as_str().into());
        Ok(m)
    }

    /// The chosen framings may show a part of the photo the first matte did not cover (or much
    /// less of it, at a coarser scale than a matte of their own would have): matte again where
    /// the headshots are cut out (with the background kept the matte only found walls).
    fn rematte(&mut self, seen: &mut Seen, accepted: &[Accepted]) -> Result<(), Error> {
        let Some(m) = seen.matte.as_ref().filter(|_| seen.cut_out) else {
            return Ok(());
        };
        let outs: Vec<_> = accepted
            .iter()
            .map(|a| (a.plan.to_output, a.plan.width, a.plan.height))
            .collect();
        let (w, h) = (seen.image.width(), seen.image.height());
        if let Some(rect) = trueshot_matte::region(&outs, w, h).filter(|r| !covers_well(m, *r)) {
            seen.matte = Some(self.run_matting(&seen.view, rect, &seen.face)?);
        }
        Ok(())
    }

    /// Each variant's framing, or why it cannot be made; the report's variant entries in the
    /// guideline's order, and the framing findings of those that are made.
    fn plan_variants(
        &mut self,
        seen: &Seen,
        targets: &[Plan],
        closed: trueshot_frame::Sides,
        ai_refusal: Option<String>,
    ) -> Vec<Accepted<'a>> {
        let guide = self.guide;
        let (face, body) = (&seen.face, seen.scene.body.as_ref());
        let (photo_w, photo_h) = (seen.image.width(), seen.image.height());
        let team_framing = |k: usize| {
            self.recipe
                .team
                .as_ref()
                .and_then(|t| t.framing.get(k).copied().flatten())
        };
        let failed_check = self
            .findings
            .iter()
            .find(|f| f.status == Status::Fail)
            .cloned();
        let mut accepted = Vec::new();
        for (k, (variant, nominal)) in guide.variant.iter().zip(targets).enumerate() {
            let planned = trueshot_frame::best_plan(
                face,
                body,
                photo_w,
                photo_h,
                variant,
                &guide.framing,
                closed,
                !guide.framing.refuse_on_fail,
                team_framing(k),
            );
            let shown = planned.as_ref().unwrap_or(nominal);
            let mut entry = VariantReport::planned(variant, shown);
            // The team's shared head size and eye line, aimed at where the photo allows.
            entry.team = team_framing(k).map(|shared| TeamFraming {
                eye_to_chin: r3(shared.eye_to_chin),
                eye_line: r3(shared.eye_line),
            });
            let refusal = match &planned {
                Err(r) => Some(ai_refusal_of(variant, &ai_refusal).unwrap_or(r.message(variant))),
                Ok(p) => ai_refusal_of(variant, &ai_refusal)
                    .or_else(|| refusal(guide, variant, p, failed_check.as_ref())),
            };
            let plan = match (refusal, planned) {
                (None, Ok(plan)) => plan,
                (reason, _) => {
                    entry.status = VariantStatus::Rejected;
                    entry.reason = Some(reason.unwrap_or_default());
                    self.variants.push(entry);
                    continue;
                }
            };
            // Reported for the headshots that are made.
            self.findings
                .extend(crop_findings(&plan, face, body, &guide.framing));
            if !plan.in_tolerance {
                self.findings.push(framing_finding(
                    variant,
                    &plan,
                    closed.mask(nominal.missing),
                ));
            }
            if plan.scale > 1.5 {
                self.findings.push(Finding {
                    check: "output_upscale",
                    status: Status::Warn,
                    value: Some(plan.scale),
                    advice: format!(
                        "the {} output enlarges the photo {:.1}×, so it will look soft: use a photo taken closer or with more pixels",
                        variant.name, plan.scale
                    ),
                });
            }
            if plan.missing.any() && seen.replace {
                // Canvas beyond the photo, on sides the person does not reach: new background.
                entry.filled_with_background = Some(true);
            }
            entry.status = VariantStatus::Written;
            accepted.push(Accepted {
                at: self.variants.len(),
                variant,
                plan,
            });
            self.variants.push(entry);
        }
        accepted
    }

    /// Makes one variant's headshot from `before` (the photo in the variant's frame): cut out,
    /// tone, retouch and verify, composite, then the encoded and signed outputs.
    fn variant(
        &mut self,
        seen: &Seen,
        original: &trueshot_retouch::Original,
        a: Accepted<'a>,
        mut before: RgbImage,
    ) -> Result<(), Error> {
        let (variant, plan, at) = (a.variant, &a.plan, a.at);
        let mut walls = Vec::new();
        if !seen.replace && plan.missing.any() {
            // Kept background: canvas beyond the photo only over a plain wall, continued.
            walls = continue_walls(&mut before, plan, &seen.walls);
            self.variants[at].wall_continued = Some(walls_report(&walls));
        }
        // One global tone curve; the pixel measures compare against it, so that they measure the
        // retouch alone (the nets compare with the untouched original).
        let toned = self.tone.apply(&before);
        let mut cut = Cut::new(self.recipe, seen, plan, &before, &toned);
        let mut edited = self.retouch_and_verify(seen, original, plan, &toned, &cut)?;
        let rim = edited.rim.take();
        let retouched = std::mem::take(&mut edited.retouched);
        let headshot = match cut.cutout.as_mut() {
            Some(c) => {
                c.image = retouched;
                // The edge's foreground colours get the rim-light edit the headshot got (the
                // cutout shows the same person).
                if let Some(rim) = &rim {
                    c.tone_rim(rim);
                }
                match (&cut.backdrop, cut.painted.take()) {
                    (Some(backdrop), Some(painted)) => {
                        let t = std::time::Instant::now();
                        let (composite, bg) = c.composite_painted(backdrop, painted);
                        let eye_row =
                            (plan.achieved.eye_line * plan.height as f32).max(0.0) as usize;
                        let q = c.quality(&composite, &bg, eye_row);
                        let ms = cut.ms + t.elapsed().as_secs_f32() * 1e3;
                        self.variants[at].matting =
                            Some(matting_report(&q, c.defringed, rim.as_ref(), ms));
                        composite
                    }
                    _ => c.image.clone(),
                }
            }
            None => retouched,
        };
        self.variants[at].retouch = Some(RetouchReport {
            requested: edited.requested.as_str().into(),
            delivered: edited.level.as_str().into(),
            retouch: (&edited.applied).into(),
        });
        self.record_verification(at, variant, &edited);
        self.face_crops(variant, &before, &headshot, &edited.landmarks, at)?;
        let made = Made {
            at,
            variant,
            plan: a.plan,
            requested: edited.requested,
            delivered: edited.level,
            applied: edited.applied,
            walls,
            rim: rim
                .filter(|_| self.variants[at].matting.is_some())
                .map(|r| r.summary()),
            image: headshot,
        };
        if let (Some(c), true) = (&cut.cutout, self.guide.background.cutout) {
            let file = format!("{}.{}.cutout.png", self.base, variant.name);
            let bytes = encode_rgba_png(&c.rgba(), variant.dpi)?;
            let bytes = self.signed(&bytes, &file, Format::Png, &made, None, Output::Cutout)?;
            self.variants[at].cutout = Some(file.clone());
            self.output(file, bytes);
        }
        let file = format!(
            "{}.{}.{}",
            self.base,
            variant.name,
            variant.format.extension()
        );
        let bytes = encode(
            &made.image,
            output_format(variant.format, variant.quality),
            variant.dpi,
        )?;
        let background = self.recipe.background_source.as_ref();
        let bytes = self.signed(
            &bytes,
            &file,
            variant.format,
            &made,
            background,
            Output::Headshot,
        )?;
        self.variants[at].file = Some(file.clone());
        self.output(file, bytes);
        self.made.insert(variant.name.clone(), made);
        Ok(())
    }

    /// An output file: stored and listed in the report.
    fn output(&mut self, file: String, bytes: Vec<u8>) {
        self.outputs.push(file.clone());
        self.put(file, bytes);
    }

    /// Signs content credentials (and XMP) into an encoded output.
    fn signed(
        &self,
        bytes: &[u8],
        file: &str,
        format: Format,
        made: &Made<'a>,
        background: Option<&Source>,
        output: Output,
    ) -> Result<Vec<u8>, Error> {
        let facts = Facts {
            variant: made.variant,
            plan: &made.plan,
            tone: &self.tone,
            tone_source: tone_source(self.recipe),
            requested: made.requested,
            delivered: made.delivered,
            applied: &made.applied,
            walls: &made.walls,
            rim: made.rim,
            report: self.report,
            entry: &self.variants[made.at],
        };
        let claim = credentials::claim(
            file,
            format,
            &self.source,
            background,
            self.guide,
            &facts,
            output,
        );
        trueshot_provenance::sign(bytes, &claim, self.engine.signing.signer.as_ref()).map_err(
            |source| Error::Sign {
                title: file.to_string(),
                source,
            },
        )
    }
}

/// The person cut out of one headshot's frame, the new backdrop painted once, and the old
/// background's rim light toned toward it (an edit of the person's edge, so it is verified with
/// the retouch).
struct Cut<'r> {
    cutout: Option<trueshot_matte::Cutout>,
    backdrop: Option<trueshot_matte::Backdrop<'r>>,
    painted: Option<[trueshot_matte::Plane; 3]>,
    /// The rim-light edit at full strength, when it tones any pixel.
    rim: Option<trueshot_matte::RimLight>,
    /// Milliseconds spent so far on the cutout (the report's `compose_ms` adds compositing).
    ms: f32,
}

impl<'r> Cut<'r> {
    fn new(
        recipe: &'r Recipe,
        seen: &Seen,
        plan: &Plan,
        before: &RgbImage,
        toned: &RgbImage,
    ) -> Cut<'r> {
        let t = std::time::Instant::now();
        let (w, h) = (seen.image.width(), seen.image.height());
        let cutout = seen
            .matte
            .as_ref()
            .filter(|_| seen.cut_out)
            .map(|m| trueshot_matte::Cutout::new(before.clone(), m, &plan.to_output, w, h));
        let backdrop = seen.replace.then(|| recipe.backdrop(plan));
        let painted = cutout
            .as_ref()
            .zip(backdrop.as_ref())
            .map(|(c, b)| b.paint(c));
        let rim = cutout.as_ref().zip(painted.as_ref()).map(|(c, bg)| {
            c.rim_light(
                toned,
                bg,
                &trueshot_matte::RimFace::of(&seen.face, &plan.to_output),
            )
        });
        Cut {
            cutout,
            backdrop,
            painted,
            rim: rim.filter(|r| r.summary().toned_px > 0),
            ms: t.elapsed().as_secs_f32() * 1e3,
        }
    }
}

/// Which share of the rim-light edit a verification attempt tries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RimTry {
    Full,
    /// Without it, once, to see whether it caused a breach.
    Without,
    Half,
    Off,
}

impl RimTry {
    fn as_str(self) -> &'static str {
        match self {
            RimTry::Full => "full",
            RimTry::Half => "half",
            RimTry::Without | RimTry::Off => "none",
        }
    }
}

/// The delivered retouch of one headshot and how verification judged it.
struct Edited {
    retouched: RgbImage,
    applied: trueshot_retouch::Applied,
    requested: trueshot_retouch::Level,
    level: trueshot_retouch::Level,
    rim: Option<trueshot_matte::RimLight>,
    verdict: (trueshot_retouch::Measures, Vec<trueshot_retouch::Breach>),
    attempts: Vec<Attempt>,
    landmarks: trueshot_retouch::Landmarks,
}

impl<'a> Work<'a> {
    /// Retouch, verify; a result that breaks a bound is made again with less retouching, finally
    /// with none. A breach with the rim-light edit is measured again without it: if that passes,
    /// the edit caused it and half of it is tried (then none); if not, the edit stays and the
    /// retouch is weakened as always.
    fn retouch_and_verify(
        &self,
        seen: &Seen,
        original: &trueshot_retouch::Original,
        plan: &Plan,
        toned: &RgbImage,
        cut: &Cut,
    ) -> Result<Edited, Error> {
        let lm = trueshot_retouch::Landmarks::from_face(&seen.face, &plan.to_output);
        let verifier = trueshot_retouch::Verifier {
            nets: &self.engine.face_nets,
        };

        let bounds = &self.guide.verify;
        let requested = self.guide.retouch.level;
        let (mut level, mut strength) = (requested, self.recipe.retouch_strength);
        let half = cut.rim.as_ref().map(|r| r.scaled(0.5));
        let rim_of = |t: RimTry| match t {
            RimTry::Full => cut.rim.as_ref(),
            RimTry::Half => half.as_ref(),
            RimTry::Without | RimTry::Off => None,
        };
        let mut rim_try = RimTry::Full;
        let mut attempts = Vec::new();
        loop {
            let params = trueshot_retouch::Params::scaled(level, strength);
            let (mut retouched, applied) = trueshot_retouch::retouch(toned, &lm, &params);
            if let Some(rim) = rim_of(rim_try) {
                rim.apply(&mut retouched);
            }
            // Verification compares the person before and after editing, both in front of the
            // photo's own background: a new background changes no pixel of the person (alpha 1
            // is copied exactly, tested) but would sway the nets' view of the face.
            let alpha = cut.cutout.as_ref().map(|c| &c.alpha);
            let m = verifier
                .measure(
                    original,
                    &seen.face,
                    &plan.to_output,
                    toned,
                    &retouched,
                    alpha,
                )
                .map_err(Error::vision(&self.name))?;
            let breaches = m.breaches(bounds);
            attempts.push(Attempt {
                level: level.as_str().into(),
                strength: r3(strength),
                retouch: (&applied).into(),
                measures: (&m).into(),
                breaches: breaches.iter().map(Into::into).collect(),
                rim_light: rim_of(rim_try).map(|_| rim_try.as_str().into()),
            });
            let breached = !breaches.is_empty();
            if cut.rim.is_some() {
                match (rim_try, breached) {
                    (RimTry::Full, true) => {
                        rim_try = RimTry::Without;
                        continue;
                    }
                    (RimTry::Without, false) => {
                        rim_try = RimTry::Half;
                        continue;
                    }
                    (RimTry::Half, true) => {
                        rim_try = RimTry::Off;
                        continue;
                    }
                    (RimTry::Without, true) => {
                        rim_try = if level.weaker().is_some() {
                            RimTry::Full
                        } else {
                            RimTry::Off
                        };
                    }
                    _ => {}
                }
            }
            match level.weaker() {
                Some(weaker) if breached => {
                    level = weaker;
                    strength = 1.0;
                }
                _ => {
                    return Ok(Edited {
                        retouched,
                        applied,
                        requested,
                        level,
                        rim: rim_of(rim_try).cloned(),
                        verdict: (m, breaches),
                        attempts,
                        landmarks: lm,
                    })
                }
            }
        }
    }
}

impl<'a> Work<'a> {
    /// The verification of the delivered headshot in its report entry; a warning when even no
    /// retouch breaks a bound.
    fn record_verification(&mut self, at: usize, variant: &Variant, edited: &Edited) {
        let (m, breaches) = &edited.verdict;
        let passed = breaches.is_empty();
        if !passed {
            self.findings.push(Finding {
                check: "verification",
                status: Status::Warn,
                value: breaches.first().map(|b| b.value),
                advice: format!(
                    "the {} headshot is outside the guideline's verification bounds even without retouching (what changed is the framing or the tone): {}. Look at it before using it",
                    variant.name,
                    breaches
                        .iter()
                        .map(|b| b.words(m.drift_feature))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
        self.variants[at].verification = Some(Verification {
            status: if passed { "passed" } else { "failed" }.into(),
            measures: m.into(),
            bounds: (&self.guide.verify).into(),
            breaches: breaches.iter().map(Into::into).collect(),
            attempts: (edited.attempts.len() > 1).then(|| edited.attempts.clone()),
        });
    }

    /// Before/after crops of the face at 100 % (the contact sheet shows them side by side), and
    /// with [`Recipe::before_frames`] the whole "before" frame.
    fn face_crops(
        &mut self,
        variant: &Variant,
        before: &RgbImage,
        after: &RgbImage,
        lm: &trueshot_retouch::Landmarks,
        at: usize,
    ) -> Result<(), Error> {
        let (w, h) = (before.width() as usize, before.height() as usize);
        if let Some(b) = lm.face_box(0.1, w, h) {
            for (img, which) in [(before, "before"), (after, "after")] {
                let crop = image::imageops::crop_imm(
                    img,
                    b[0] as u32,
                    b[1] as u32,
                    (b[2] - b[0]) as u32,
                    (b[3] - b[1]) as u32,
                )
                .to_image();
                let bytes = encode(&crop, OutputFormat::Jpeg { quality: 92 }, 72)?;
                let file = format!("thumbs/{}.{}.face-{which}.jpg", self.base, variant.name);
                self.put(file, bytes);
            }
        }
        self.variants[at].face_crops = Some(vec![
            format!("thumbs/{}.{}.face-before.jpg", self.base, variant.name),
            format!("thumbs/{}.{}.face-after.jpg", self.base, variant.name),
        ]);
        if self.recipe.before_frames {
            let file = format!("thumbs/{}.{}.before.jpg", self.base, variant.name);
            let bytes = encode(before, OutputFormat::Jpeg { quality: 88 }, 72)?;
            self.put(file.clone(), bytes);
            self.variants[at].before = Some(file);
        }
        Ok(())
    }

    /// The guideline's print sheets, each of a headshot made.
    fn sheets(&mut self) -> Result<Vec<SheetReport>, Error> {
        let mut sheets = Vec::new();
        for s in &self.guide.sheet {
            let Some(made) = self.made.get(&s.of) else {
                continue;
            };
            let variant = made.variant;
            let (nx, ny, _, _) = s.copies(variant);
            let page = sheet(&made.image, variant, s);
            let file = format!("{}.{}.{}", self.base, s.name, s.format.extension());
            let bytes = encode(&page, output_format(s.format, s.quality), variant.dpi)?;
            let output = Output::Sheet {
                copies: u64::from(nx * ny),
                of: &s.of,
            };
            let background = self.recipe.background_source.as_ref();
            let bytes = self.signed(&bytes, &file, s.format, made, background, output)?;
            sheets.push(SheetReport {
                name: s.name.clone(),
                file: file.clone(),
                copies: nx * ny,
            });
            self.output(file, bytes);
        }
        Ok(sheets)
    }

    /// The photo's verdict: done when every variant was made, partial, or rejected.
    fn finish(&mut self, notes: Vec<String>, sheets: Vec<SheetReport>) {
        let written = self
            .variants
            .iter()
            .filter(|v| v.status == VariantStatus::Written)
            .count();
        let report = &mut *self.report;
        report.status = Some(if written > 0 && written == self.variants.len() {
            PhotoStatus::Done
        } else if written > 0 {
            PhotoStatus::Partial
        } else {
            PhotoStatus::Rejected
        });
        report.worst = Some(overall(&self.findings));
        report.findings = Some(self.findings.iter().map(Into::into).collect());
        report.notes = Some(notes);
        report.variants = Some(std::mem::take(&mut self.variants));
        report.sheets = Some(sheets);
        report.outputs = std::mem::take(&mut self.outputs);
        report.thumbnail = Some(format!("thumbs/{}.jpg", self.base));
    }
}

/// The refusal of a variant when the photo declares it was made by generative AI (and the
/// guideline refuses those).
fn ai_refusal_of(variant: &Variant, ai_refusal: &Option<String>) -> Option<String> {
    ai_refusal.as_ref().map(|why| {
        format!(
            "{} cannot be made: {why}; trueshot makes headshots from real photographs only",
            variant.name
        )
    })
}

/// Why a variant with a framing within its limits is still not made: a failed check when the
/// guideline refuses those, or an ID photo out of its ranges.
fn refusal(
    guide: &Guideline,
    variant: &Variant,
    plan: &Plan,
    failed_check: Option<&Finding>,
) -> Option<String> {
    if let (true, Some(f)) = (guide.framing.refuse_on_fail, failed_check) {
        return Some(format!(
            "{} cannot be made: {} ({})",
            variant.name, f.advice, f.check
        ));
    }
    let achieved = &plan.achieved;
    let in_ranges = variant
        .head_height
        .is_some_and(|b| b.contains(achieved.head_height))
        && variant
            .eye_from_bottom
            .is_some_and(|b| b.contains(achieved.eye_from_bottom));
    (variant.is_id_photo() && !in_ranges).then(|| format!("{}: the head size and eye height cannot both meet the ID-photo rules for this photo: take it with the head straight and more room around it", variant.name))
}

/// The report's `matting` of a composited headshot.
fn matting_report(
    q: &trueshot_matte::Quality,
    defringed: usize,
    rim: Option<&trueshot_matte::RimLight>,
    ms: f32,
) -> report::Matting {
    report::Matting {
        halo_delta_e: q.halo_delta_e.map(r3),
        far_delta_e_mean: q.far_delta_e_mean.map(r3),
        far_delta_e_max: q.far_delta_e_max.map(r3),
        hair_edge_width_px: q.hair_edge_width_px.map(r3),
        partial_alpha_fraction: r3(q.partial_alpha_fraction),
        person_fraction: r3(q.person_fraction),
        defringed_edge_px: defringed,
        rim_light: rim.map(|r| r.summary().into()),
        compose_ms: r1(ms),
    }
}

/// Paints the canvas a kept-background headshot shows beyond the photo with the plain wall of
/// each edge (its colour field and grain); the walls continued, each with its depth and the
/// pixels painted.
fn continue_walls(
    before: &mut RgbImage,
    plan: &Plan,
    walls: &[trueshot_matte::Wall],
) -> Vec<(trueshot_matte::Wall, f32, u64)> {
    use trueshot_matte::Edge;
    let m = plan.missing;
    let mut done = Vec::new();
    for w in walls {
        let depth = match w.edge {
            Edge::Top => m.top,
            Edge::Bottom => m.bottom,
            Edge::Left => m.left,
            Edge::Right => m.right,
        };
        if depth > 0.0 {
            let pixels = w.paint_beyond(before, &plan.to_output);
            done.push((w.clone(), depth, pixels));
        }
    }
    done
}

/// The report's `wall_continued`.
fn walls_report(walls: &[(trueshot_matte::Wall, f32, u64)]) -> Vec<WallContinued> {
    walls
        .iter()
        .map(|(w, depth, pixels)| WallContinued {
            edge: w.edge.as_str().into(),
            depth: r3(*depth),
            pixels: *pixels,
            field_delta_e_mean: r3(w.field_delta_e_mean),
            field_delta_e_max: r3(w.field_delta_e_max),
            grain_l: r3(w.grain_l),
        })
        .collect()
}

/// The sides of the photo no framing may cross: the sides the person reaches (more than 1 % of
/// the matte's border along that edge is person), the sides the matte does not reach (nothing is
/// known there), and with the photo's own background kept every side but a plain wall's (nothing
/// else may be invented); all of them without a matte.
fn closed_sides(
    replace: bool,
    matte: Option<&trueshot_vision::Matte>,
    walls: &[trueshot_matte::Wall],
    photo_w: u32,
    photo_h: u32,
) -> trueshot_frame::Sides {
    let Some(m) = matte else {
        return trueshot_frame::Sides::ALL;
    };
    let person = trueshot_matte::person_at_edges(m, photo_w, photo_h);
    let tl = m.to_photo.apply(trueshot_geom::Point::new(0.0, 0.0));
    let br = m
        .to_photo
        .apply(trueshot_geom::Point::new(m.width as f32, m.height as f32));
    let reached = [
        tl.y < 1.0,
        br.y > photo_h as f32 - 1.0,
        tl.x < 1.0,
        br.x > photo_w as f32 - 1.0,
    ];
    use trueshot_matte::Edge;
    let edge = [Edge::Top, Edge::Bottom, Edge::Left, Edge::Right];
    // With the photo's own background kept, only a plain wall may be continued.
    let wall = |i: usize| replace || walls.iter().any(|w| w.edge == edge[i]);
    let closed = |i: usize| !reached[i] || person[i] > 0.01 || !wall(i);
    trueshot_frame::Sides {
        top: closed(0),
        bottom: closed(1),
        left: closed(2),
        right: closed(3),
    }
}

/// Whether a matte made for one region serves a headshot region `rect`: it covers it, and the
/// region is not so much smaller that a matte of its own would be much finer.
fn covers_well(m: &trueshot_vision::Matte, rect: [f32; 4]) -> bool {
    let tl = m.to_photo.apply(trueshot_geom::Point::new(0.0, 0.0));
    let br = m
        .to_photo
        .apply(trueshot_geom::Point::new(m.width as f32, m.height as f32));
    let inside = rect[0] >= tl.x - 1.0
        && rect[1] >= tl.y - 1.0
        && rect[2] <= br.x + 1.0
        && rect[3] <= br.y + 1.0;
    let area = |w: f32, h: f32| (w * h).max(1.0);
    inside && area(rect[2] - rect[0], rect[3] - rect[1]) >= 0.5 * area(br.x - tl.x, br.y - tl.y)
}

/// The finding for a headshot delivered outside its tolerances: how far, and what to do for a
/// retake (`lacking`: what the target framing would need beyond the photo's closed sides).
fn framing_finding(
    variant: &trueshot_guide::Variant,
    plan: &trueshot_frame::Plan,
    lacking: trueshot_frame::Missing,
) -> Finding {
    let (t, a) = (&plan.target, &plan.achieved);
    let tol = variant.tolerance();
    let mut off = Vec::new();
    if (a.eye_to_chin - t.eye_to_chin).abs() > tol.eye_to_chin + 1e-3 {
        off.push(format!(
            "head size (eye to chin) {:.2} of the height for {:.2} ± {:.2}",
            a.eye_to_chin, t.eye_to_chin, tol.eye_to_chin
        ));
    }
    if (a.eye_line - t.eye_line).abs() > tol.eye_line + 1e-3 {
        off.push(format!(
            "eye line {:.2} for {:.2} ± {:.2}",
            a.eye_line, t.eye_line, tol.eye_line
        ));
    }
    if (a.center_x - t.center_x).abs() > tol.center_x + 1e-3 {
        off.push(format!(
            "centre {:.2} for {:.2} ± {:.2}",
            a.center_x, t.center_x, tol.center_x
        ));
    }
    if a.roll_after.abs() > 0.5 {
        off.push(format!(
            "eyes left tilted {:.1}°: levelling them fully would need room the photo lacks",
            a.roll_after.abs()
        ));
    }
    if a.crown_crop > tol.crown_crop + 1e-3 {
        off.push(format!(
            "{:.0} % of the head above the top edge (at most {:.0} %)",
            100.0 * a.crown_crop,
            100.0 * tol.crown_crop
        ));
    }
    let retake = if lacking.any() {
        lacking.advice()
    } else {
        "leave more room around you: step back from the camera"
    };
    let worst = [
        (a.eye_to_chin - t.eye_to_chin).abs() / tol.eye_to_chin.max(1e-3),
        (a.eye_line - t.eye_line).abs() / tol.eye_line.max(1e-3),
        (a.center_x - t.center_x).abs() / tol.center_x.max(1e-3),
    ]
    .into_iter()
    .fold(0.0f32, f32::max);
    Finding {
        check: "framing",
        status: Status::Warn,
        value: Some(worst),
        advice: format!(
            "the {} headshot is framed as closely to the guideline as this photo allows, outside its tolerances ({}): {retake}",
            variant.name,
            off.join(", ")
        ),
    }
}

fn output_format(format: Format, quality: u32) -> OutputFormat {
    match format {
        Format::Jpeg => OutputFormat::Jpeg {
            quality: quality.clamp(1, 100) as u8,
        },
        Format::Png => OutputFormat::Png,
        Format::Webp => OutputFormat::WebpLossless,
    }
}
