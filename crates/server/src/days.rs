//! Headshot days on the server: an admin creates a day from HR's roster, uploads the shoot
//! (frames one by one or in ZIP files), and the queue runs [`trueshot_session::run`] on it. Each
//! roster person then sees their best frames as finished headshots, chooses one or asks for a
//! retake; the admin follows the roster's progress, overrides a choice and exports.
//!
//! Layout under `--data`: `days/ID/shoot/` (the uploaded frames and reference photos, never
//! modified), `days/ID/out/` (the session folder: picks, proofs, thumbnails, `session.*`),
//! `days/.incoming/` (uploads being stored).
//!
//! The database keeps, per roster person, what the page needs ([`PersonResult`]: status, the
//! frames offered with their headshot files, the rejected frames with why). Access follows
//! from it: a member sees the files of their own offers and frames, nothing else.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{claim_oldest, requeue, Db, NOW};
use crate::App;

/// A headshot day.
#[derive(Clone, Debug)]
pub struct Day {
    pub id: i64,
    pub name: String,
    /// The roster as uploaded (CSV).
    pub roster: String,
    /// Frames offered per person.
    pub picks: i64,
    /// `open` (frames being uploaded), `queued`, `processing`, `ready` or `error`.
    pub state: String,
    pub reason: Option<String>,
    /// The last run's [`DaySummary`] (JSON).
    pub summary: Option<String>,
    pub attempts: i64,
    pub created_by: String,
    pub created: String,
    pub updated: String,
}

/// One roster person of a day, and where they are.
#[derive(Clone, Debug)]
pub struct DayPerson {
    pub person: String,
    pub line: i64,
    pub name: String,
    pub team: Option<String>,
    pub email: Option<String>,
    pub user_id: Option<i64>,
    /// The last run's [`PersonResult`] (JSON).
    pub result: Option<String>,
    /// The chosen frame's name.
    pub choice: Option<String>,
    pub chosen_by: Option<String>,
    pub chosen_at: Option<String>,
    /// The person's request for a retake (their comment).
    pub retake: Option<String>,
    pub retake_at: Option<String>,
}

impl DayPerson {
    pub fn result(&self) -> Option<PersonResult> {
        self.result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }
}

/// A frame offered to a person: its headshots are made.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Offer {
    /// The frame's name in the shoot.
    pub frame: String,
    /// Its thumbnail (a file of the day).
    pub thumb: String,
    /// Rank score, 0–1, relative to the person's best frame.
    pub score: f32,
    /// Why it was offered (for the best: why it beat the runner-up).
    pub why: String,
    /// The headshot of each variant, with its "before" (the original in the same framing).
    pub headshots: Vec<OfferHeadshot>,
    /// Its report (a file of the day).
    pub report: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct OfferHeadshot {
    pub variant: String,
    pub width: u32,
    pub height: u32,
    pub file: String,
    pub before: Option<String>,
}

/// A frame and what is to be said about it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct FrameSeen {
    pub frame: String,
    pub thumb: String,
    pub reason: String,
}

/// What the last run found for one person.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct PersonResult {
    /// `done`, `no_frames`, `unusable`, `review` or `failed`.
    pub status: String,
    /// What is wrong when not done.
    pub why: Option<String>,
    /// The frames offered, best first.
    pub offers: Vec<Offer>,
    /// Usable frames not offered.
    pub runners_up: usize,
    /// Frames that cannot be used, with why.
    pub rejected: Vec<FrameSeen>,
    /// A note on the reference photo when it could not be used.
    pub reference: Option<String>,
}

/// A group of frames of someone not on the roster.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Walkin {
    /// `unknown-N`.
    pub id: String,
    pub frames: usize,
    pub offers: Vec<Offer>,
}

/// What the last run found for the whole day.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct DaySummary {
    /// Frames looked at.
    pub frames: usize,
    /// Frames showing a shoot card.
    pub cards: usize,
    /// Frames given to nobody, for the admin to look at.
    pub review: Vec<FrameSeen>,
    /// Files that are not readable photos.
    pub unreadable: Vec<FrameSeen>,
    /// People not on the roster.
    pub walkins: Vec<Walkin>,
    /// Seconds the run took.
    pub seconds: f64,
    /// The guideline the headshots were made with.
    pub guideline_sha256: String,
}

impl DaySummary {
    pub fn parse(text: Option<&str>) -> Option<DaySummary> {
        text.and_then(|t| serde_json::from_str(t).ok())
    }
}

/// A roster person as the day is created.
pub struct NewPerson {
    pub person: String,
    pub line: i64,
    pub name: String,
    pub team: Option<String>,
    pub email: Option<String>,
    pub user_id: Option<i64>,
}

/// One person's outcome of a run.
pub struct PersonFinished {
    pub person: String,
    /// [`PersonResult`] as JSON.
    pub result: String,
    /// The frames offered: a choice of any other frame is cleared.
    pub offered: Vec<String>,
}

const DAY_COLUMNS: &str =
    "id, name, roster, picks, state, reason, summary, attempts, created_by, created, updated";

fn day_row(r: &rusqlite::Row) -> rusqlite::Result<Day> {
    Ok(Day {
        id: r.get(0)?,
        name: r.get(1)?,
        roster: r.get(2)?,
        picks: r.get(3)?,
        state: r.get(4)?,
        reason: r.get(5)?,
        summary: r.get(6)?,
        attempts: r.get(7)?,
        created_by: r.get(8)?,
        created: r.get(9)?,
        updated: r.get(10)?,
    })
}

const PERSON_COLUMNS: &str = "person, line, name, team, email, user_id, result, choice, \
    chosen_by, chosen_at, retake, retake_at";

fn person_row(r: &rusqlite::Row) -> rusqlite::Result<DayPerson> {
    Ok(DayPerson {
        person: r.get(0)?,
        line: r.get(1)?,
        name: r.get(2)?,
        team: r.get(3)?,
        email: r.get(4)?,
        user_id: r.get(5)?,
        result: r.get(6)?,
        choice: r.get(7)?,
        chosen_by: r.get(8)?,
        chosen_at: r.get(9)?,
        retake: r.get(10)?,
        retake_at: r.get(11)?,
    })
}

impl Db {
    /// Creates a day with its roster people; returns its id.
    pub fn create_day(
        &self,
        name: &str,
        roster: &str,
        picks: i64,
        by: &str,
        people: &[NewPerson],
    ) -> rusqlite::Result<i64> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO days (name, roster, picks, state, created_by) VALUES (?1, ?2, ?3, 'open', ?4)",
            params![name, roster, picks, by],
        )?;
        let id = tx.last_insert_rowid();
        for p in people {
            tx.execute(
                "INSERT INTO day_people (day_id, person, line, name, team, email, user_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, p.person, p.line, p.name, p.team, p.email, p.user_id],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    pub fn day(&self, id: i64) -> rusqlite::Result<Option<Day>> {
        self.lock()
            .query_row(
                &format!("SELECT {DAY_COLUMNS} FROM days WHERE id = ?1"),
                [id],
                day_row,
            )
            .optional()
    }

    /// Days newest first: every day, or those with `user` on the roster.
    pub fn days(&self, user: Option<i64>) -> rusqlite::Result<Vec<Day>> {
        let c = self.lock();
        let mut st = c.prepare(&format!(
            "SELECT {DAY_COLUMNS} FROM days WHERE ?1 IS NULL OR id IN \
             (SELECT day_id FROM day_people WHERE user_id = ?1) ORDER BY id DESC"
        ))?;
        let rows = st.query_map([user], day_row)?;
        rows.collect()
    }

    /// A day's roster people in the roster's order: all of them, or `user`'s own.
    pub fn day_people(&self, day: i64, user: Option<i64>) -> rusqlite::Result<Vec<DayPerson>> {
        let c = self.lock();
        let mut st = c.prepare(&format!(
            "SELECT {PERSON_COLUMNS} FROM day_people WHERE day_id = ?1 \
             AND (?2 IS NULL OR user_id = ?2) ORDER BY line"
        ))?;
        let rows = st.query_map(params![day, user], person_row)?;
        rows.collect()
    }

    /// Queues a day for a run unless it is already queued or running.
    pub fn queue_day(&self, id: i64) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            &format!(
                "UPDATE days SET state = 'queued', updated = {NOW} \
                 WHERE id = ?1 AND state NOT IN ('queued', 'processing')"
            ),
            [id],
        )?;
        Ok(n == 1)
    }

    /// Takes the oldest queued day, if any.
    pub fn claim_day(&self) -> rusqlite::Result<Option<Day>> {
        let c = self.lock();
        match claim_oldest(&c, "days")? {
            Some(id) => c
                .query_row(
                    &format!("SELECT {DAY_COLUMNS} FROM days WHERE id = ?1"),
                    [id],
                    day_row,
                )
                .optional(),
            None => Ok(None),
        }
    }

    /// Records the outcome of run `attempt` of day `id`; false if it is no longer that run.
    /// A person's choice of a frame no longer offered is cleared.
    pub fn finish_day(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        summary: Option<&str>,
        people: &[PersonFinished],
    ) -> rusqlite::Result<bool> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let n = tx.execute(
            &format!(
                "UPDATE days SET state = ?2, reason = ?3, summary = coalesce(?4, summary), \
                 completions = completions + 1, updated = {NOW} \
                 WHERE id = ?1 AND state = 'processing' AND attempts = ?5"
            ),
            params![id, state, reason, summary, attempt],
        )?;
        if n != 1 {
            return Ok(false);
        }
        for p in people {
            let Some((choice, old)): Option<(Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT choice, result FROM day_people WHERE day_id = ?1 AND person = ?2",
                    params![id, p.person],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
            else {
                continue;
            };
            let (keep, same_offers) = carried_over(choice, old.as_deref(), &p.offered);
            tx.execute(
                "UPDATE day_people SET result = ?3, \
                 choice = CASE WHEN ?4 THEN choice END, \
                 chosen_by = CASE WHEN ?4 THEN chosen_by END, \
                 chosen_at = CASE WHEN ?4 THEN chosen_at END, \
                 retake = CASE WHEN ?5 THEN retake END, \
                 retake_at = CASE WHEN ?5 THEN retake_at END \
                 WHERE day_id = ?1 AND person = ?2",
                params![id, p.person, p.result, keep, same_offers],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Days a killed server was running go back in the queue (a day that stopped it three
    /// times in a row is set aside); how many.
    pub fn requeue_days(&self) -> rusqlite::Result<usize> {
        requeue(&self.lock(), "days", "day")
    }

    /// Deletes a day's rows unless it is being run; false when there is no such day or it is
    /// queued or running (the caller then deletes nothing).
    pub fn delete_day(&self, id: i64) -> rusqlite::Result<bool> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM days WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if !matches!(state.as_deref(), Some("open" | "ready" | "error")) {
            return Ok(false);
        }
        tx.execute("DELETE FROM day_people WHERE day_id = ?1", [id])?;
        tx.execute("DELETE FROM days WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(true)
    }

    /// Records a person's choice (by them, or an admin's override); any retake request goes.
    pub fn choose(&self, day: i64, person: &str, frame: &str, by: &str) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            &format!(
                "UPDATE day_people SET choice = ?3, chosen_by = ?4, chosen_at = {NOW}, \
                 retake = NULL, retake_at = NULL WHERE day_id = ?1 AND person = ?2"
            ),
            params![day, person, frame, by],
        )?;
        Ok(n == 1)
    }

    /// Records a person's request for a retake (a choice made goes).
    pub fn ask_retake(&self, day: i64, person: &str, comment: &str) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            &format!(
                "UPDATE day_people SET retake = ?3, retake_at = {NOW}, choice = NULL, \
                 chosen_by = NULL, chosen_at = NULL WHERE day_id = ?1 AND person = ?2"
            ),
            params![day, person, comment],
        )?;
        Ok(n == 1)
    }
}

/// What a new run keeps of a person's say: their choice while its frame is still offered, and
/// their retake request while the same frames are offered (new frames, after a retake say, ask
/// them to choose again). `old` is the last run's [`PersonResult`] (JSON).
pub(crate) fn carried_over(
    choice: Option<String>,
    old: Option<&str>,
    offered: &[String],
) -> (bool, bool) {
    let keep = choice.is_some_and(|c| offered.contains(&c));
    let before: std::collections::BTreeSet<String> = old
        .and_then(|r| serde_json::from_str::<PersonResult>(r).ok())
        .map(|r| r.offers.into_iter().map(|o| o.frame).collect())
        .unwrap_or_default();
    let same_offers = before == offered.iter().cloned().collect();
    (keep, same_offers)
}

/// Where a person stands, in one word for the roster's progress: `waiting` (no run yet),
/// the run's status when not done (`no_frames`, `unusable`, `review`, `failed`), then
/// `retake` (asked for one), `chosen` or `to_choose`.
pub fn progress_status(p: &DayPerson) -> String {
    match p.result() {
        None => "waiting".into(),
        Some(r) if r.status != "done" => r.status,
        Some(_) if p.retake.is_some() => "retake".into(),
        Some(_) if p.choice.is_some() => "chosen".into(),
        Some(_) => "to_choose".into(),
    }
}

/// Files of a day's folder a person's result names.
pub fn files_of(result: &PersonResult) -> Vec<&str> {
    let mut files: Vec<&str> = Vec::new();
    for o in &result.offers {
        files.extend(offer_files(o));
    }
    files.extend(result.rejected.iter().map(|f| f.thumb.as_str()));
    files
}

fn offer_files(o: &Offer) -> impl Iterator<Item = &str> {
    [o.thumb.as_str(), o.report.as_str()].into_iter().chain(
        o.headshots
            .iter()
            .flat_map(|h| std::iter::once(h.file.as_str()).chain(h.before.as_deref())),
    )
}

/// Files of the day's folder only the admin sees: frames in review, unreadable files, walk-ins.
pub fn admin_files(summary: &DaySummary) -> Vec<&str> {
    let mut files: Vec<&str> = Vec::new();
    files.extend(summary.review.iter().map(|f| f.thumb.as_str()));
    for w in &summary.walkins {
        for o in &w.offers {
            files.extend(offer_files(o));
        }
    }
    files
}

// ---- running a day --------------------------------------------------------------------------

/// The files of a shoot folder, by name: frames and reference photos (not one being written,
/// whose temporary name starts with a dot).
pub fn shoot_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs a claimed day through the session and records the outcome: `ready` or `error`, and
/// whether an error was the machine's fault.
pub fn process(app: &App, day: &Day) -> (&'static str, bool) {
    let _span = tracing::info_span!("day", id = day.id).entered();
    let started = std::time::Instant::now();
    let dir = app.day_dir(day.id);
    let out = dir.join("out");
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(app, day, &dir.join("shoot"), &out)
    }));
    app.day_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&day.id);
    let outcome = match made {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::error!("day {}: a stage panicked", day.id);
            Err(crate::worker::MACHINE_FAULT_DAY.to_string())
        }
    };
    let machine = outcome
        .as_ref()
        .is_err_and(|e| e == crate::worker::MACHINE_FAULT_DAY);
    if let Err(e) = crate::worker::sync_tree(&out) {
        tracing::warn!("cannot flush {}: {e}", out.display());
    }
    let recorded = match &outcome {
        Ok((summary, people)) => {
            let text = serde_json::to_string(summary).unwrap_or_default();
            app.queue
                .finish_day(day.id, day.attempts, "ready", None, Some(&text), people)
        }
        Err(reason) => app
            .queue
            .finish_day(day.id, day.attempts, "error", Some(reason), None, &[]),
    };
    match recorded {
        Ok(true) => tracing::info!(
            "day {} {} in {:.1} s",
            day.id,
            if outcome.is_ok() { "ready" } else { "failed" },
            started.elapsed().as_secs_f32()
        ),
        Ok(false) => tracing::warn!("day {} was no longer being processed", day.id),
        Err(e) => tracing::error!("cannot record day {}: {e}", day.id),
    }
    (if outcome.is_ok() { "ready" } else { "error" }, machine)
}

/// The session on the day's folder: every frame looked at, the picks made.
fn run(
    app: &App,
    day: &Day,
    shoot: &std::path::Path,
    out: &std::path::Path,
) -> Result<(DaySummary, Vec<PersonFinished>), String> {
    use trueshot_session::{Options, Roster, Shoot, Stage};
    // Checked when the day was created; a reference names a file of the shoot folder.
    let roster = Roster::parse_uploaded(day.roster.as_bytes(), "roster.csv", shoot)
        .map_err(|e| e.to_string())?;
    let references: Vec<&std::path::Path> = roster
        .people
        .iter()
        .filter_map(|p| p.reference.as_deref())
        .collect();
    let paths: Vec<std::path::PathBuf> = shoot_files(shoot)
        .into_iter()
        .filter(|p| !references.contains(&p.as_path()))
        .collect();
    if paths.is_empty() {
        return Err("no frames have been uploaded to this day yet".into());
    }
    let frames = trueshot_session::Frame::in_order(&paths, trueshot_session::capture_time_of);
    let guide = app.guide();
    let recipe = guide
        .recipe
        .as_ref()
        .map_err(|e| format!("the guideline cannot be applied: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| {
        tracing::error!("cannot create {}: {e}", out.display());
        crate::worker::MACHINE_FAULT_DAY.to_string()
    })?;
    // Shared with other servers through the queue at most every second (and at each stage's
    // start and end).
    let shared: std::sync::Mutex<Option<(&'static str, std::time::Instant)>> =
        std::sync::Mutex::new(None);
    let progress = |stage: Stage, done: usize, total: usize| {
        let stage = match stage {
            Stage::Looking => "looking",
            Stage::Making => "making",
        };
        app.day_progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(day.id, (stage, done, total));
        let due = {
            let mut last = shared.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|(s, t)| {
                s != stage || t.elapsed().as_secs() >= 1 || done == total || done == 0
            });
            if due {
                *last = Some((stage, std::time::Instant::now()));
            }
            due
        };
        if due {
            app.queue
                .day_progress(day.id, day.attempts, stage, done, total);
        }
    };
    let started = std::time::Instant::now();
    let report = trueshot_session::run(
        &app.engine,
        recipe,
        &Shoot {
            roster: &roster,
            roster_name: "roster.csv",
            frames: &frames,
            out,
        },
        &Options {
            picks: usize::try_from(day.picks).unwrap_or(1).max(1),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            force: false,
        },
        &progress,
    )
    .map_err(|e| {
        tracing::error!("day {}: {e}", day.id);
        crate::worker::MACHINE_FAULT_DAY.to_string()
    })?;
    let people = report
        .people
        .iter()
        .map(|p| {
            let result = person_result(p, out);
            PersonFinished {
                person: p.id.clone(),
                offered: result.offers.iter().map(|o| o.frame.clone()).collect(),
                result: serde_json::to_string(&result).unwrap_or_default(),
            }
        })
        .collect();
    let seen = |n: &trueshot_session::day::FrameNote| FrameSeen {
        frame: n.frame.name.clone(),
        thumb: n.frame.thumb.clone(),
        reason: n.reason.clone(),
    };
    let summary = DaySummary {
        frames: report.frames,
        cards: report.cards.len(),
        review: report.review.iter().map(seen).collect(),
        unreadable: report.unreadable.iter().map(seen).collect(),
        walkins: report
            .unknown
            .iter()
            .map(|u| Walkin {
                id: u.id.clone(),
                frames: u.picks.len() + u.runners_up.len() + u.rejected.len(),
                offers: person_result(u, out).offers,
            })
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
        guideline_sha256: report.guideline.sha256.clone(),
    };
    Ok((summary, people))
}

/// A person's outcome as the page shows it: the offered frames with each variant's headshot and
/// "before" (read from the pick's report), the rejected frames with why.
fn person_result(p: &trueshot_session::day::PersonReport, out: &std::path::Path) -> PersonResult {
    let offers = p
        .picks
        .iter()
        .filter_map(|pick| {
            // The report's files are named relative to its own folder.
            let folder = pick
                .report
                .rsplit_once('/')
                .map(|(f, _)| format!("{f}/"))
                .unwrap_or_default();
            let report = std::fs::read_to_string(out.join(&pick.report))
                .ok()
                .and_then(|t| trueshot_pipeline::Report::parse(&t))?;
            let headshots: Vec<OfferHeadshot> = report
                .variants()
                .iter()
                .filter_map(|v| {
                    Some(OfferHeadshot {
                        variant: v.name.clone(),
                        width: v.width,
                        height: v.height,
                        file: format!("{folder}{}", v.file.as_deref()?),
                        before: v.before.as_deref().map(|b| format!("{folder}{b}")),
                    })
                })
                .collect();
            (!headshots.is_empty()).then(|| Offer {
                frame: pick.frame.name.clone(),
                thumb: pick.frame.thumb.clone(),
                score: pick.score,
                why: pick.why.clone(),
                headshots,
                report: pick.report.clone(),
            })
        })
        .collect();
    PersonResult {
        status: serde_json::to_value(p.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        why: p.why.clone(),
        offers,
        runners_up: p.runners_up.len(),
        rejected: p
            .rejected
            .iter()
            .map(|n| FrameSeen {
                frame: n.frame.name.clone(),
                thumb: n.frame.thumb.clone(),
                reason: n.reason.clone(),
            })
            .collect(),
        reference: p.reference.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(person: &str, frames: &[&str]) -> PersonFinished {
        let result = PersonResult {
            status: "done".into(),
            offers: frames
                .iter()
                .map(|f| Offer {
                    frame: f.to_string(),
                    ..Offer::default()
                })
                .collect(),
            ..PersonResult::default()
        };
        PersonFinished {
            person: person.into(),
            result: serde_json::to_string(&result).unwrap(),
            offered: frames.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Runs the day once more (claim and finish) with `people`'s outcomes.
    fn rerun(db: &Db, id: i64, people: &[PersonFinished]) {
        db.queue_day(id).unwrap();
        let day = db.claim_day().unwrap().unwrap();
        assert!(db
            .finish_day(id, day.attempts, "ready", None, Some("{}"), people)
            .unwrap());
        // A second finish of the same run records nothing.
        assert!(!db
            .finish_day(id, day.attempts, "ready", None, Some("{}"), people)
            .unwrap());
    }

    #[test]
    fn a_new_sort_keeps_choices_and_retakes_only_while_the_offers_stand() {
        let dir = std::env::temp_dir().join(format!("trueshot-days-db-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open(&dir.join("t.db")).unwrap();
        let person = |p: &str| NewPerson {
            person: p.into(),
            line: 2,
            name: p.into(),
            team: None,
            email: None,
            user_id: None,
        };
        let id = db
            .create_day(
                "d",
                "id,name\n",
                2,
                "admin",
                &[person("ann"), person("bob")],
            )
            .unwrap();
        rerun(
            &db,
            id,
            &[
                finished("ann", &["a1", "a2"]),
                finished("bob", &["b1", "b2"]),
            ],
        );
        assert!(db.choose(id, "ann", "a2", "ann@x").unwrap());
        assert!(db.ask_retake(id, "bob", "eyes closed").unwrap());
        let get = |p: &str| {
            db.day_people(id, None)
                .unwrap()
                .into_iter()
                .find(|x| x.person == p)
                .unwrap()
        };
        assert_eq!(progress_status(&get("ann")), "chosen");
        assert_eq!(progress_status(&get("bob")), "retake");
        // The same offers (in another order): the choice and the retake request stand.
        rerun(
            &db,
            id,
            &[
                finished("ann", &["a1", "a2"]),
                finished("bob", &["b2", "b1"]),
            ],
        );
        assert_eq!(get("ann").choice.as_deref(), Some("a2"));
        assert_eq!(get("bob").retake.as_deref(), Some("eyes closed"));
        // New frames of Bob after his retake, and Ann's chosen frame no longer offered: both
        // are asked to choose again.
        rerun(
            &db,
            id,
            &[
                finished("ann", &["a1", "a3"]),
                finished("bob", &["b3", "b1"]),
            ],
        );
        assert_eq!(progress_status(&get("ann")), "to_choose");
        assert_eq!(get("ann").chosen_by, None);
        assert_eq!(progress_status(&get("bob")), "to_choose");
        assert!(db.delete_day(id).unwrap());
        assert!(db.day(id).unwrap().is_none());
        assert!(db.day_people(id, None).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
