//! A headshot day from shoot to picks: every frame looked at once, given to its person, ranked,
//! and headshots made of the picks only.
//!
//! Picks are written as `process` writes photos (a [`FolderSink`], each file atomically, the
//! report last) and named by roster id: `<id>.<variant>.jpg` for the pick, and
//! `proofs/<id>.<k>.<variant>.jpg` for the k-th frame offered for proofing. Their content
//! credentials name the frame they were made from and nothing else: no other frame, no roster.
//! A rerun (or a session resumed after it was stopped) looks at the frames again, which is
//! quick, and skips every headshot already made from the same frame with the same guideline.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use trueshot_pipeline::{batch, Engine, FolderSink, Input, PhotoStatus, Recipe, Report, Sink};

use crate::assign::{assign, Sighting, Verdict};
use crate::rank::{picks, rank, why_best, Candidate, Ranked};
use crate::roster::Roster;
use crate::shoot::{look, Frame, Look};

/// How a session runs.
pub struct Options {
    /// Frames offered per person for proofing (the best is the pick).
    pub picks: usize,
    /// Frames looked at and headshots made at once.
    pub jobs: usize,
    /// Make the picks' headshots again even when they are complete.
    pub force: bool,
}

/// What the session is doing, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Looking at reference photos and frames.
    Looking,
    /// Making the picks' headshots.
    Making,
}

/// The session's report (`session.json`): every roster person and every frame.
#[derive(Debug, Serialize)]
pub struct SessionReport {
    pub trueshot_version: String,
    pub guideline: GuidelineRef,
    /// The roster file's name.
    pub roster: String,
    /// Frames in the shoot.
    pub frames: usize,
    /// How many roster people are done, have no frames, only unusable frames, frames only in
    /// review, or whose headshots failed.
    pub counts: Counts,
    /// Every roster person, in the roster's order.
    pub people: Vec<PersonReport>,
    /// People not on the roster (or not recognised), grouped by face: `unknown-1`, …
    pub unknown: Vec<PersonReport>,
    /// The frames that show a shoot card (`near`: whose card).
    pub cards: Vec<FrameNote>,
    /// Frames given to nobody, with why: a face that does not match its card's person, a frame
    /// between two people, a card not on the roster.
    pub review: Vec<FrameNote>,
    /// Frames that could not be read.
    pub unreadable: Vec<FrameNote>,
    /// Time spent: looking at frames and references, and making the picks' headshots.
    pub seconds: Seconds,
}

/// Where the session's time went.
#[derive(Debug, Default, Serialize)]
pub struct Seconds {
    pub looking: f64,
    /// Frames (and reference photos) looked at per second.
    pub frames_per_second: f64,
    pub making: f64,
}

#[derive(Debug, Serialize)]
pub struct GuidelineRef {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub done: usize,
    pub no_frames: usize,
    pub unusable: usize,
    pub review: usize,
    pub failed: usize,
}

/// Where a person stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// The pick's headshots are made.
    Done,
    /// No frame of the person was found.
    NoFrames,
    /// Frames were found, none usable (`why` says what is wrong with them).
    Unusable,
    /// Every frame after the person's card is listed for review.
    Review,
    /// Usable frames were found, but no headshot could be made of them.
    Failed,
}

/// One person: their status, the pick and why it won, the other frames.
#[derive(Debug, Serialize)]
pub struct PersonReport {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub status: PersonStatus,
    /// What is wrong when the person is not done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The frames whose headshots are made, best first: the pick, then the others offered for
    /// proofing.
    pub picks: Vec<Pick>,
    /// Usable frames not picked, best first.
    pub runners_up: Vec<FrameRank>,
    /// Frames of the person that cannot be used, with why.
    pub rejected: Vec<FrameNote>,
    /// A note on the reference photo when it could not be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A frame whose headshots are made.
#[derive(Debug, Serialize)]
pub struct Pick {
    pub frame: FrameRef,
    pub score: f32,
    pub burst: usize,
    /// Why it was chosen (for the first pick: why it beat the runner-up).
    pub why: String,
    /// Base name of its files (`<id>` or `proofs/<id>.<k>`).
    pub name: String,
    pub status: Option<PhotoStatus>,
    /// The headshots and the report, relative to the session folder.
    pub outputs: Vec<String>,
    pub report: String,
    /// Made in an earlier run and kept.
    pub kept: bool,
}

/// A ranked frame.
#[derive(Debug, Serialize)]
pub struct FrameRank {
    pub frame: FrameRef,
    pub score: f32,
    pub burst: usize,
    /// The parts of the score, each 0–1 relative to the person's best frame.
    pub parts: Vec<(&'static str, f32)>,
}

/// A frame and what is to be said about it.
#[derive(Debug, Serialize)]
pub struct FrameNote {
    pub frame: FrameRef,
    pub reason: String,
    /// Who it most resembles, when it is in review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<String>,
}

/// Which frame: its name in the session, its file, its capture time and its thumbnail.
#[derive(Clone, Debug, Serialize)]
pub struct FrameRef {
    /// Place in capture order, from 1.
    pub order: usize,
    pub name: String,
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The frame's thumbnail, relative to the session folder.
    pub thumb: String,
}

/// A shoot: who was to be photographed, the frames (in capture order, [`Frame::in_order`]), and
/// the session folder.
#[derive(Clone, Copy)]
pub struct Shoot<'a> {
    pub roster: &'a Roster,
    /// The roster file's name, for the report.
    pub roster_name: &'a str,
    pub frames: &'a [Frame],
    pub out: &'a Path,
}

/// Runs a session: looks at the shoot's frames, gives each to its roster person, ranks, and
/// makes the picks' headshots into the session folder with `recipe`.
/// `progress(stage, done, total)` is called as work finishes. `session.json`, `session.csv` and
/// `session.html` are written last.
pub fn run(
    engine: &Engine,
    recipe: &Recipe,
    shoot: &Shoot,
    options: &Options,
    progress: &(dyn Fn(Stage, usize, usize) + Sync),
) -> std::io::Result<SessionReport> {
    let Shoot {
        roster,
        roster_name,
        frames,
        out,
    } = *shoot;
    let sink = FolderSink::new(out)?;
    sink.sweep();
    let proofs = FolderSink::new(&out.join("proofs"))?;
    proofs.sweep();
    let guide = &recipe.loaded.guide;

    // Reference photos, then every frame: one look each.
    let references: Vec<&crate::roster::Person> = roster
        .people
        .iter()
        .filter(|p| p.reference.is_some())
        .collect();
    let total = references.len() + frames.len();
    let done = AtomicUsize::new(0);
    let tick = || {
        progress(
            Stage::Looking,
            done.fetch_add(1, Ordering::Relaxed) + 1,
            total,
        )
    };
    let started = std::time::Instant::now();
    let reference_looks: Vec<Look> = parallel(references.len(), options.jobs, |i| {
        let path = references[i].reference.as_deref().unwrap_or(Path::new(""));
        let l = match trueshot_pipeline::read_photo(path).map_err(|e| e.to_string()) {
            Ok(bytes) => look(engine, guide, &bytes, path),
            Err(e) => Look {
                error: Some(e),
                ..Look::default()
            },
        };
        tick();
        l
    });
    let looks: Vec<Look> = parallel(frames.len(), options.jobs, |i| {
        let frame = &frames[i];
        let mut l = match trueshot_pipeline::read_photo(&frame.path).map_err(|e| e.to_string()) {
            Ok(bytes) => look(engine, guide, &bytes, &frame.path),
            Err(e) => Look {
                error: Some(e),
                ..Look::default()
            },
        };
        if let Some(thumb) = l.thumb.take() {
            if let Err(e) = sink.put(&thumb_name(frame), &thumb) {
                tracing::warn!("{e}");
            }
        }
        tick();
        l
    });

    let looking = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();

    // Whose frame is whose.
    let mut reference_notes = std::collections::HashMap::new();
    let mut roster_faces: Vec<(String, Option<Vec<f32>>)> = Vec::new();
    for p in &roster.people {
        let descriptor = match references.iter().position(|r| r.id == p.id) {
            Some(k) => {
                let l = &reference_looks[k];
                match (&l.face, &l.error) {
                    (Some(f), _) => Some(f.descriptor.clone()),
                    (None, Some(e)) => {
                        reference_notes.insert(p.id.clone(), format!("not used: {e}"));
                        None
                    }
                    (None, None) => {
                        reference_notes
                            .insert(p.id.clone(), "not used: no face was found in it".into());
                        None
                    }
                }
            }
            None => None,
        };
        roster_faces.push((p.id.clone(), descriptor));
    }
    let sightings: Vec<Sighting> = looks
        .iter()
        .map(|l| Sighting {
            cards: &l.cards,
            face: l.face.as_ref().map(|f| f.descriptor.as_slice()),
        })
        .collect();
    let verdicts = assign(&sightings, &roster_faces);
    let frame_ref = |i: usize| FrameRef {
        order: i + 1,
        name: frames[i].name.clone(),
        file: frames[i].path.clone(),
        time: frames[i].time.as_ref().map(|t| t.local.clone()),
        thumb: thumb_name(&frames[i]),
    };

    // Each person's frames, ranked; roster people first, then unknown groups.
    let mut owners: Vec<Owner> = roster
        .people
        .iter()
        .map(|p| Owner::new(&p.id, &p.name, p.team.clone()))
        .collect();
    let mut review = Vec::new();
    let mut unreadable = Vec::new();
    let mut cards = Vec::new();
    for (i, v) in verdicts.iter().enumerate() {
        let owner_of = |owners: &mut Vec<Owner>, id: &str| -> usize {
            match owners.iter().position(|o| o.id == id) {
                Some(k) => k,
                None => {
                    owners.push(Owner::new(id, "", None));
                    owners.len() - 1
                }
            }
        };
        if let Some(e) = &looks[i].error {
            unreadable.push(FrameNote {
                frame: frame_ref(i),
                reason: e.clone(),
                near: None,
            });
            continue;
        }
        match v {
            Verdict::Card { id } => {
                let k = owner_of(&mut owners, id);
                owners[k].carded = true;
                cards.push(FrameNote {
                    frame: frame_ref(i),
                    reason: format!("shoot card of {id}"),
                    near: Some(id.clone()),
                });
            }
            Verdict::Person { id, .. } => {
                let k = owner_of(&mut owners, id);
                owners[k].frames.push(i);
            }
            Verdict::Unknown { group, .. } => {
                let k = owner_of(&mut owners, &format!("unknown-{group}"));
                owners[k].frames.push(i);
            }
            Verdict::Review { near, reason } => {
                if let Some(near) = near {
                    let k = owner_of(&mut owners, near);
                    owners[k].review += 1;
                }
                review.push(FrameNote {
                    frame: frame_ref(i),
                    reason: reason.clone(),
                    near: near.clone(),
                });
            }
            Verdict::NoFace { after_card } => match after_card {
                Some(id) => {
                    let k = owner_of(&mut owners, id);
                    owners[k].no_face.push(i);
                }
                None => review.push(FrameNote {
                    frame: frame_ref(i),
                    reason: "no face was found, and no shoot card before it".into(),
                    near: None,
                }),
            },
        }
    }

    let rankings: Vec<Vec<Ranked>> = owners
        .iter()
        .map(|o| {
            let candidates: Vec<Candidate> = o
                .frames
                .iter()
                .enumerate()
                .filter_map(|(k, &i)| {
                    let face = looks[i].face.as_ref()?;
                    let seconds_after_previous = k
                        .checked_sub(1)
                        .and_then(|p| {
                            Some((frames[o.frames[p]].time.as_ref()?, frames[i].time.as_ref()?))
                        })
                        .and_then(|(a, b)| a.seconds_until(b));
                    Some(Candidate {
                        frame: i,
                        face,
                        seconds_after_previous,
                    })
                })
                .collect();
            rank(&candidates)
        })
        .collect();

    // The picks' headshots: (owner, place among the picks, frame), each made once.
    let mut chosen: Vec<Vec<usize>> = rankings.iter().map(|r| picks(r, options.picks)).collect();
    let work: Vec<(usize, usize, usize)> = chosen
        .iter()
        .enumerate()
        .flat_map(|(o, frames)| frames.iter().enumerate().map(move |(k, &i)| (o, k, i)))
        .collect();
    let made_count = AtomicUsize::new(0);
    let make = |o: usize, k: usize, i: usize| -> (Report, bool) {
        let id = &owners[o].id;
        let (folder, dir, name) = if k == 0 {
            (&sink, out.to_path_buf(), id.clone())
        } else {
            (&proofs, out.join("proofs"), format!("{id}.{}", k + 1))
        };
        let path = &frames[i].path;
        match trueshot_pipeline::read_photo(path).map_err(|e| e.to_string()) {
            Ok(bytes) => match (!options.force)
                .then(|| batch::finished(&dir, &name, &bytes, recipe))
                .flatten()
            {
                Some(report) => (report, true),
                None => {
                    let mut outcome = engine.process(recipe, &Input::new(&bytes, path, &name));
                    folder.deliver(&mut outcome);
                    (outcome.report, false)
                }
            },
            Err(e) => {
                let mut report = Report {
                    name,
                    input: path.clone(),
                    ..Report::default()
                };
                report.status = Some(PhotoStatus::Error);
                report.error = Some(e);
                (report, false)
            }
        }
    };
    let made_list: Vec<(Report, bool)> = parallel(work.len(), options.jobs, |w| {
        let (o, k, i) = work[w];
        let result = make(o, k, i);
        progress(
            Stage::Making,
            made_count.fetch_add(1, Ordering::Relaxed) + 1,
            work.len(),
        );
        result
    });
    let mut made: Vec<Vec<(Report, bool)>> = owners.iter().map(|_| Vec::new()).collect();
    for ((o, _, _), result) in work.iter().zip(made_list) {
        made[*o].push(result);
    }
    // A pick that gave no headshot (a variant refused at full size that the quick look allowed,
    // an error) is replaced by the next usable frame, up to two more.
    let mut replaced: Vec<Option<String>> = owners.iter().map(|_| None).collect();
    for o in 0..owners.len() {
        let gave = |r: &Report| matches!(r.status, Some(PhotoStatus::Done | PhotoStatus::Partial));
        let Some((first, _)) = made[o].first() else {
            continue;
        };
        if gave(first) {
            continue;
        }
        let failed = chosen[o][0];
        let why = first
            .error
            .clone()
            .unwrap_or_else(|| "every variant was refused".into());
        let others: Vec<usize> = rankings[o]
            .iter()
            .filter(|r| r.unusable.is_empty() && !chosen[o].contains(&r.frame))
            .map(|r| r.frame)
            .take(2)
            .collect();
        for i in others {
            let result = make(o, 0, i);
            if gave(&result.0) {
                chosen[o][0] = i;
                made[o][0] = result;
                replaced[o] = Some(format!(
                    "the best-ranked frame, {}, gave no headshot ({why}); this is the next best",
                    frames[failed].name
                ));
                break;
            }
        }
    }

    let making = started.elapsed().as_secs_f64();

    // The report.
    let mut counts = Counts::default();
    let mut people = Vec::new();
    let mut unknown = Vec::new();
    for (o, owner) in owners.iter().enumerate() {
        let ranked = &rankings[o];
        let mut pick_reports = Vec::new();
        for (k, (&i, (report, kept))) in chosen[o].iter().zip(&made[o]).enumerate() {
            let kept = *kept;
            let r = ranked.iter().find(|r| r.frame == i);
            let dir = if k == 0 { "" } else { "proofs/" };
            pick_reports.push(Pick {
                frame: frame_ref(i),
                score: r.map_or(0.0, |r| r.score),
                burst: r.map_or(0, |r| r.burst),
                why: match (k, r) {
                    (0, _) if replaced[o].is_some() => replaced[o].clone().unwrap_or_default(),
                    (0, Some(r)) => why_best(r, ranked),
                    _ => format!("offered for proofing as choice {}", k + 1),
                },
                name: format!("{dir}{}", report.name),
                status: report.status,
                outputs: report.outputs.iter().map(|f| format!("{dir}{f}")).collect(),
                report: format!("{dir}{}.report.json", report.name),
                kept,
            });
        }
        let runners_up = ranked
            .iter()
            .filter(|r| r.unusable.is_empty() && !chosen[o].contains(&r.frame))
            .map(|r| FrameRank {
                frame: frame_ref(r.frame),
                score: r.score,
                burst: r.burst,
                parts: r.parts.clone(),
            })
            .collect();
        let mut rejected: Vec<FrameNote> = ranked
            .iter()
            .filter(|r| !r.unusable.is_empty())
            .map(|r| FrameNote {
                frame: frame_ref(r.frame),
                reason: r.unusable.join("; "),
                near: None,
            })
            .collect();
        rejected.extend(owner.no_face.iter().map(|&i| FrameNote {
            frame: frame_ref(i),
            reason: "no face was found".into(),
            near: None,
        }));
        rejected.sort_by_key(|n| n.frame.order);
        let made_ok = pick_reports
            .first()
            .is_some_and(|p| matches!(p.status, Some(PhotoStatus::Done | PhotoStatus::Partial)));
        let (status, why) = if made_ok {
            (PersonStatus::Done, None)
        } else if !pick_reports.is_empty() {
            let p = &pick_reports[0];
            (
                PersonStatus::Failed,
                Some(format!(
                    "no headshot could be made of the best frame, {}",
                    p.frame.name
                )),
            )
        } else if !rejected.is_empty() {
            (
                PersonStatus::Unusable,
                Some(format!(
                    "only unusable frames: {}",
                    common_reasons(&rejected)
                )),
            )
        } else if owner.review > 0 {
            (
                PersonStatus::Review,
                Some(format!(
                    "{} frame(s) after the card are listed for review",
                    owner.review
                )),
            )
        } else if owner.carded {
            (
                PersonStatus::NoFrames,
                Some("a shoot card, but no frames after it".into()),
            )
        } else {
            (PersonStatus::NoFrames, Some("no frames were found".into()))
        };
        let is_roster = roster.people.iter().any(|p| p.id == owner.id);
        if is_roster {
            match status {
                PersonStatus::Done => counts.done += 1,
                PersonStatus::NoFrames => counts.no_frames += 1,
                PersonStatus::Unusable => counts.unusable += 1,
                PersonStatus::Review => counts.review += 1,
                PersonStatus::Failed => counts.failed += 1,
            }
        }
        let report = PersonReport {
            id: owner.id.clone(),
            name: owner.name.clone(),
            team: owner.team.clone(),
            status,
            why,
            picks: pick_reports,
            runners_up,
            rejected,
            reference: reference_notes.get(&owner.id).cloned(),
        };
        if is_roster {
            people.push(report);
        } else {
            unknown.push(report);
        }
    }
    let report = SessionReport {
        trueshot_version: trueshot_pipeline::VERSION.into(),
        guideline: GuidelineRef {
            name: guide.name.clone(),
            sha256: recipe.loaded.sha256.clone(),
        },
        roster: roster_name.into(),
        frames: frames.len(),
        counts,
        people,
        unknown,
        cards,
        review,
        unreadable,
        seconds: Seconds {
            looking,
            frames_per_second: total as f64 / looking.max(1e-9),
            making,
        },
    };
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    sink.put("session.csv", &crate::sheet::csv(&report)?)?;
    sink.put("session.html", crate::sheet::html(&report).as_bytes())?;
    sink.put("session.json", text.as_bytes())?;
    Ok(report)
}

/// A person or an unknown group, and their frames.
struct Owner {
    id: String,
    name: String,
    team: Option<String>,
    /// Frames with a face given to them, in capture order.
    frames: Vec<usize>,
    /// Frames without a face after their card.
    no_face: Vec<usize>,
    /// Their card was seen.
    carded: bool,
    /// Frames in review that resemble them.
    review: usize,
}

impl Owner {
    fn new(id: &str, name: &str, team: Option<String>) -> Owner {
        Owner {
            id: id.into(),
            name: name.into(),
            team,
            frames: Vec::new(),
            no_face: Vec::new(),
            carded: false,
            review: 0,
        }
    }
}

/// The thumbnail's name in the session folder.
fn thumb_name(frame: &Frame) -> String {
    format!("frames/{}.jpg", frame.name)
}

/// The reasons most frames were rejected for, most frequent first.
fn common_reasons(rejected: &[FrameNote]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for n in rejected {
        for reason in n.reason.split("; ") {
            match counts.iter_mut().find(|(r, _)| r == reason) {
                Some((_, c)) => *c += 1,
                None => counts.push((reason.to_string(), 1)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .iter()
        .take(2)
        .map(|(r, c)| format!("{r} ({c} of {} frames)", rejected.len()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `f(0..n)` on `jobs` threads, results in order.
fn parallel<T: Send>(n: usize, jobs: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let workers = jobs.clamp(1, n.max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        mine.push((i, f(i)));
                    }
                    mine
                })
            })
            .collect();
        for h in handles {
            // A worker that panicked is a bug: the panic goes on to the caller.
            match h.join() {
                Ok(mine) => {
                    for (i, v) in mine {
                        results[i] = Some(v);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}
