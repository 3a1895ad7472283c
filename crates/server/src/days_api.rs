//! The HTTP API of headshot days ([`crate::days`]).
//!
//! Access rules: an admin creates days, uploads shoots, runs them, sees every roster person and
//! every frame, overrides a choice and exports. A member sees only the days they are on the
//! roster of (matched by their account's email), only their own entry there, and only the files
//! of their own frames; another person's entry or file answers 404, like one that does not exist.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use trueshot_session::Roster;
use utoipa::ToSchema;

use crate::api::{
    blocking, make_invite, normalise_email, send_file, storage_error, upload_name, Body,
};
use crate::auth::{self, Caller};
use crate::days::{
    admin_files, files_of, progress_status, Day, DayPerson, DaySummary, NewPerson, PersonResult,
};
use crate::db::Role;
use crate::views::ErrorBody;
use crate::{ApiError, App};

/// Largest upload to a day: a ZIP of a shoot (one frame alone is at most `--max-upload-mb`).
pub const MAX_SHOOT_UPLOAD: u64 = 4 * 1024 * 1024 * 1024;
/// Most files a day holds (frames and reference photos).
const MAX_FRAMES: usize = 20_000;
/// Most people on one roster.
const MAX_PEOPLE: usize = 5_000;
/// Frames offered to each person: 1 to this many.
const MAX_PICKS: u32 = 6;

// ---- views ----------------------------------------------------------------------------------

/// How far a run is.
#[derive(Serialize, ToSchema)]
pub struct DayProgress {
    /// `looking` (at every frame) or `making` (the offered frames' headshots).
    pub stage: String,
    pub done: usize,
    pub total: usize,
}

/// A headshot day. A member sees only their own entry in `people`, and no `summary`.
#[derive(Serialize, ToSchema)]
pub struct DayView {
    pub id: i64,
    pub name: String,
    /// `open` (no run yet), `queued`, `processing`, `ready` or `error`.
    pub state: String,
    /// Why the last run failed.
    pub reason: Option<String>,
    /// Frames offered to each person.
    pub picks: i64,
    pub created: String,
    pub updated: String,
    /// Admin only: who created it, the files uploaded so far, the roster's progress
    /// (`status` → how many people) and the run's findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<DaySummary>,
    /// The run in progress.
    pub progress: Option<DayProgress>,
    /// People on the roster the caller sees (all of them for an admin).
    pub roster: usize,
    /// The roster's people: the member's own entry; every person for an admin (none in the
    /// list of days, where `counts` says where they stand).
    pub people: Vec<DayPersonView>,
    /// Prefix of the day's files (`/api/days/ID/files/`): a name in an offer or frame follows it.
    pub files_url: String,
}

/// One roster person of a day.
#[derive(Serialize, ToSchema)]
pub struct DayPersonView {
    /// The roster id.
    pub person: String,
    pub name: String,
    pub team: Option<String>,
    pub email: Option<String>,
    /// Whether the email has an account on this server.
    pub has_account: bool,
    /// `waiting` (no run yet), `no_frames`, `unusable`, `review`, `failed`, `to_choose`,
    /// `chosen` or `retake`.
    pub status: String,
    pub result: Option<PersonResult>,
    /// The chosen frame, who chose it (the person, or an admin overriding) and when.
    pub choice: Option<String>,
    pub chosen_by: Option<String>,
    pub chosen_at: Option<String>,
    /// The person's request for a retake, with their comment.
    pub retake: Option<String>,
    pub retake_at: Option<String>,
}

impl DayPersonView {
    fn new(p: &DayPerson) -> DayPersonView {
        DayPersonView {
            person: p.person.clone(),
            name: p.name.clone(),
            team: p.team.clone(),
            email: p.email.clone(),
            has_account: p.user_id.is_some(),
            status: progress_status(p),
            result: p.result(),
            choice: p.choice.clone(),
            chosen_by: p.chosen_by.clone(),
            chosen_at: p.chosen_at.clone(),
            retake: p.retake.clone(),
            retake_at: p.retake_at.clone(),
        }
    }
}

/// A new day and the sign-in links of roster people who had no account.
#[derive(Serialize, ToSchema)]
pub struct CreatedDay {
    pub day: DayView,
    /// One per new account: send each person their link.
    pub invites: Vec<DayInvite>,
}

#[derive(Serialize, ToSchema)]
pub struct DayInvite {
    pub person: String,
    pub email: String,
    pub invite_url: String,
}

/// What an upload added to the day.
#[derive(Serialize, ToSchema)]
pub struct FramesAdded {
    /// Files stored, by their name in the day.
    pub added: Vec<String>,
    /// Files left out (not a photo, too large, already uploaded), with why.
    pub skipped: Vec<Skipped>,
    /// Files the day holds now.
    pub files: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

// ---- helpers --------------------------------------------------------------------------------

fn day_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found("headshot day"))
}

/// The day, if the caller may see it: any for an admin, a day with the member on its roster.
async fn visible_day(app: &App, caller: &Caller, id: &str) -> Result<Day, ApiError> {
    let id = day_id(id)?;
    let day = app
        .store
        .day(id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("headshot day"))?;
    if caller.is_admin() || !mine(app, caller, id).await?.is_empty() {
        Ok(day)
    } else {
        Err(ApiError::not_found("headshot day"))
    }
}

/// The caller's own entries on a day's roster.
async fn mine(app: &App, caller: &Caller, day: i64) -> Result<Vec<DayPerson>, ApiError> {
    app.store
        .day_people(day, Some(caller.user.id))
        .await
        .map_err(ApiError::internal)
}

fn shoot_dir(app: &App, id: i64) -> PathBuf {
    app.day_dir(id).join("shoot")
}

/// Files of a shoot folder (not a frame being written, whose name starts with a dot).
fn count_files(dir: &Path) -> usize {
    crate::days::shoot_files(dir).len()
}

/// A day as the caller may see it. `brief` (the list of days): an admin gets the roster's
/// counts without its people and findings, which a large day would make heavy.
async fn day_view(app: &App, caller: &Caller, day: &Day, brief: bool) -> Result<DayView, ApiError> {
    let admin = caller.is_admin();
    let people = app
        .store
        .day_people(day.id, (!admin).then_some(caller.user.id))
        .await
        .map_err(ApiError::internal)?;
    let mut people: Vec<DayPersonView> = people.iter().map(DayPersonView::new).collect();
    let roster = people.len();
    let here = app
        .day_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&day.id)
        .map(|&(stage, done, total)| DayProgress {
            stage: stage.into(),
            done,
            total,
        });
    // Run by a worker of another process: its progress is in the database.
    let progress = match here {
        Some(p) => Some(p),
        None if day.state == "processing" => app
            .store
            .day_progress(day.id)
            .await
            .map_err(ApiError::internal)?
            .map(|(stage, done, total)| DayProgress {
                stage,
                done: usize::try_from(done).unwrap_or(0),
                total: usize::try_from(total).unwrap_or(0),
            }),
        None => None,
    };
    let counts = admin.then(|| {
        let mut counts = BTreeMap::new();
        for p in &people {
            *counts.entry(p.status.clone()).or_insert(0) += 1;
        }
        counts
    });
    if admin && brief {
        people.clear();
    }
    Ok(DayView {
        id: day.id,
        name: day.name.clone(),
        state: day.state.clone(),
        reason: day.reason.clone(),
        picks: day.picks,
        created: day.created.clone(),
        updated: day.updated.clone(),
        created_by: admin.then(|| day.created_by.clone()),
        files: admin.then(|| count_files(&shoot_dir(app, day.id))),
        counts,
        summary: if admin && !brief {
            DaySummary::parse(day.summary.as_deref())
        } else {
            None
        },
        progress,
        roster,
        people,
        files_url: format!("/api/days/{}/files/", day.id),
    })
}

// ---- handlers -------------------------------------------------------------------------------

/// Headshot days, newest first: every day for an admin, the days a member is on the roster of.
#[utoipa::path(
    get, path = "/api/days", tag = "days",
    responses(
        (status = 200, description = "the days", body = Vec<DayView>),
        (status = 401, description = "not logged in", body = ErrorBody)
    )
)]
pub async fn list_days(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Vec<DayView>>, ApiError> {
    let days = app
        .store
        .days((!caller.is_admin()).then_some(caller.user.id))
        .await
        .map_err(ApiError::internal)?;
    let mut views = Vec::with_capacity(days.len());
    for d in &days {
        views.push(day_view(&app, &caller, d, true).await?);
    }
    Ok(Json(views))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDay {
    /// What the day is called ("Berlin office, 7 December").
    pub name: String,
    /// HR's roster as CSV text: `id` and `name` required; `email` (the person signs in with
    /// it to choose), `team` and `reference` (the file name of a photo of the person uploaded
    /// with the shoot) optional. A single client is a roster of one.
    pub roster: String,
    /// Frames offered to each person (1–6, default 3).
    pub picks: Option<u32>,
}

/// Creates a headshot day from a roster (admin). Roster people with an email get a member
/// account if they have none, with a sign-in link to send them.
#[utoipa::path(
    post, path = "/api/days", tag = "days", request_body = NewDay,
    responses(
        (status = 201, description = "created", body = CreatedDay),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 422, description = "the roster cannot be used: the line and the reason", body = ErrorBody)
    )
)]
pub async fn create_day(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<NewDay>,
) -> Result<(StatusCode, Json<CreatedDay>), ApiError> {
    caller.require_admin()?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "the day needs a name of at most 200 characters",
        ));
    }
    let picks = body.picks.unwrap_or(3);
    if !(1..=MAX_PICKS).contains(&picks) {
        return Err(ApiError::unprocessable(format!(
            "picks must be from 1 to {MAX_PICKS} (frames offered to each person)"
        )));
    }
    // References resolve in the day's own folder, which does not exist yet: any folder will do
    // to check the roster.
    let roster = Roster::parse_uploaded(body.roster.as_bytes(), "roster.csv", Path::new("shoot"))
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    if roster.people.len() > MAX_PEOPLE {
        return Err(ApiError::unprocessable(format!(
            "roster.csv has {} people: a day holds at most {MAX_PEOPLE}",
            roster.people.len()
        )));
    }
    let mut people = Vec::new();
    let mut invites = Vec::new();
    for p in &roster.people {
        let email = match &p.email {
            Some(e) => Some(normalise_email(e).map_err(|e| {
                ApiError::unprocessable(format!("roster.csv, line {}: {}", p.line, e.message))
            })?),
            None => None,
        };
        let user_id = match &email {
            Some(email) => {
                let known = app
                    .store
                    .user_by_email(email)
                    .await
                    .map_err(ApiError::internal)?;
                match known {
                    Some((user, _)) => Some(user.id),
                    None => match app
                        .store
                        .create_user(email, Role::Member, None)
                        .await
                        .map_err(ApiError::internal)?
                    {
                        Some(user) => {
                            invites.push(DayInvite {
                                person: p.id.clone(),
                                email: email.clone(),
                                invite_url: make_invite(&app.store, user.id).await?,
                            });
                            Some(user.id)
                        }
                        // Created a moment ago by the row above (the same email twice).
                        None => app
                            .store
                            .user_by_email(email)
                            .await
                            .map_err(ApiError::internal)?
                            .map(|(u, _)| u.id),
                    },
                }
            }
            None => None,
        };
        people.push(NewPerson {
            person: p.id.clone(),
            line: i64::try_from(p.line).unwrap_or(i64::MAX),
            name: p.name.clone(),
            team: p.team.clone(),
            email,
            user_id,
        });
    }
    let id = app
        .store
        .create_day(
            name,
            &body.roster,
            i64::from(picks),
            &caller.user.email,
            &people,
        )
        .await
        .map_err(ApiError::internal)?;
    std::fs::create_dir_all(shoot_dir(&app, id)).map_err(storage_error)?;
    tracing::info!(
        "{} created headshot day {id} with {} people ({} invited)",
        caller.user.email,
        people.len(),
        invites.len()
    );
    let day = app
        .store
        .day(id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the day was just stored"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDay {
            day: day_view(&app, &caller, &day, false).await?,
            invites,
        }),
    ))
}

/// One headshot day: for an admin every roster person, the run's progress and findings; for a
/// member their own entry, with the frames offered to them.
#[utoipa::path(
    get, path = "/api/days/{id}", tag = "days",
    params(("id" = i64, Path, description = "The day's id")),
    responses(
        (status = 200, description = "the day", body = DayView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "no such day, or not yours", body = ErrorBody)
    )
)]
pub async fn get_day(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<DayView>, ApiError> {
    let day = visible_day(&app, &caller, &id).await?;
    Ok(Json(day_view(&app, &caller, &day, false).await?))
}

/// Adds frames to a day (admin): one photo, or a ZIP of many (folders inside are flattened;
/// files that are not photos are listed as skipped). Roster reference photos are uploaded the
/// same way, under the file name the roster gives. A file already uploaded is skipped.
#[utoipa::path(
    post, path = "/api/days/{id}/frames", tag = "days",
    params(
        ("id" = i64, Path, description = "The day's id"),
        ("X-Filename" = Option<String>, Header, description = "The file's name")
    ),
    request_body(content(("image/*"), ("application/zip"), ("application/octet-stream")), description = "A photo, or a ZIP of photos"),
    responses(
        (status = 200, description = "what was added and skipped", body = FramesAdded),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such day", body = ErrorBody),
        (status = 413, description = "larger than allowed", body = ErrorBody),
        (status = 422, description = "not a photo or a ZIP, or an unreadable ZIP", body = ErrorBody),
        (status = 507, description = "no room on the server: try again later", body = ErrorBody)
    )
)]
pub async fn add_frames(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<FramesAdded>, ApiError> {
    caller.require_admin()?;
    let day = visible_day(&app, &caller, &id).await?;
    let name = upload_name(&headers).unwrap_or_else(|| "frame".into());
    let incoming_dir = app.data.join("days").join(".incoming");
    std::fs::create_dir_all(&incoming_dir).map_err(storage_error)?;
    let incoming = incoming_dir.join(auth::secret()?);
    // Streamed to the disk: a shoot's ZIP never sits in memory.
    let stored = stream_to_file(body, &incoming).await;
    let result = match stored {
        Ok(0) => Err(ApiError::unprocessable(
            "the upload is empty: send a photo's or a ZIP file's bytes as the request body",
        )),
        Ok(_) => {
            let app2 = app.clone();
            let path = incoming.clone();
            blocking(move || add_file(&app2, day.id, &path, &name)).await
        }
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&incoming);
    let added = result?;
    app.metrics.upload("frame", true, added.added.len() as u64);
    let refused = added
        .skipped
        .iter()
        .filter(|s| s.reason != "already uploaded")
        .count();
    app.metrics.upload("frame", false, refused as u64);
    tracing::info!(
        "{} added {} files to headshot day {} ({} skipped)",
        caller.user.email,
        added.added.len(),
        day.id,
        added.skipped.len()
    );
    Ok(Json(added))
}

/// Writes a request body to `path`, at most [`MAX_SHOOT_UPLOAD`] bytes; its length.
async fn stream_to_file(body: axum::body::Body, path: &Path) -> Result<u64, ApiError> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await.map_err(storage_error)?;
    let mut stream = body.into_data_stream();
    let mut n: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes =
            chunk.map_err(|e| ApiError::bad(format!("cannot read the upload: {e}")))?;
        n += chunk.len() as u64;
        if n > MAX_SHOOT_UPLOAD {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the upload is larger than the {} GB allowed: send the shoot in several ZIP files",
                    MAX_SHOOT_UPLOAD >> 30
                ),
            ));
        }
        file.write_all(&chunk).await.map_err(storage_error)?;
    }
    file.sync_all().await.map_err(storage_error)?;
    Ok(n)
}

/// Stores an uploaded file (a photo, or each photo of a ZIP) in the day's shoot folder.
fn add_file(app: &App, day: i64, path: &Path, name: &str) -> Result<FramesAdded, ApiError> {
    let shoot = shoot_dir(app, day);
    std::fs::create_dir_all(&shoot).map_err(storage_error)?;
    let max = app.config.max_upload_bytes as u64;
    let mut added = FramesAdded {
        added: Vec::new(),
        skipped: Vec::new(),
        files: count_files(&shoot),
    };
    let mut file = std::fs::File::open(path).map_err(storage_error)?;
    let mut head = [0u8; 4];
    let is_zip = file.read_exact(&mut head).is_ok() && head == *b"PK\x03\x04";
    if is_zip {
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(storage_error)?,
        ))
        .map_err(|e| ApiError::unprocessable(format!("{name}: not a readable ZIP file: {e}")))?;
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    added.skipped.push(Skipped {
                        name: format!("{name}, entry {}", i + 1),
                        reason: format!("unreadable: {e}"),
                    });
                    continue;
                }
            };
            if entry.is_dir() {
                continue;
            }
            let full = entry.name().to_string();
            // Folders are flattened; a Mac's resource forks and hidden files are not frames.
            let base = full.rsplit(['/', '\\']).next().unwrap_or("").to_string();
            if base.is_empty() || base.starts_with('.') || full.starts_with("__MACOSX") {
                continue;
            }
            if entry.size() > max {
                added.skipped.push(Skipped {
                    name: full,
                    reason: format!("larger than the {} MB allowed for one frame", max >> 20),
                });
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            if let Err(e) = (&mut entry).take(max + 1).read_to_end(&mut bytes) {
                added.skipped.push(Skipped {
                    name: full,
                    reason: format!("cannot unpack it: {e}"),
                });
                continue;
            }
            if bytes.len() as u64 > max {
                added.skipped.push(Skipped {
                    name: full,
                    reason: format!("larger than the {} MB allowed for one frame", max >> 20),
                });
                continue;
            }
            store_frame(&shoot, &base, &bytes, &mut added)?;
        }
    } else {
        let size = file.metadata().map_err(storage_error)?.len();
        if size > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "{name}: a single frame may be at most {} MB (send many frames as a ZIP file)",
                    max >> 20
                ),
            ));
        }
        let bytes = std::fs::read(path).map_err(storage_error)?;
        let before = added.skipped.len();
        store_frame(&shoot, name, &bytes, &mut added)?;
        if added.added.is_empty() && added.skipped.len() > before {
            if let Some(s) = added.skipped.pop() {
                if !s.reason.starts_with("already uploaded") {
                    return Err(ApiError::unprocessable(format!("{}: {}", s.name, s.reason)));
                }
                added.skipped.push(s);
            }
        }
    }
    Ok(added)
}

/// Stores one frame under a name of its own in the shoot folder: a photo's bytes only (checked
/// by their first bytes; a damaged photo is kept and listed by the run), never twice.
fn store_frame(
    shoot: &Path,
    name: &str,
    bytes: &[u8],
    added: &mut FramesAdded,
) -> Result<(), ApiError> {
    if let Err(e) = trueshot_codec::sniff(bytes, Path::new(name)) {
        added.skipped.push(Skipped {
            name: name.into(),
            reason: e.to_string(),
        });
        return Ok(());
    }
    let name = plain_name(name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut k = 1;
    let target = loop {
        let candidate = if k == 1 {
            name.clone()
        } else {
            format!("{stem}-{k}{ext}")
        };
        let path = shoot.join(&candidate);
        match std::fs::read(&path) {
            Ok(existing) if existing == bytes => {
                added.skipped.push(Skipped {
                    name: candidate,
                    reason: "already uploaded".into(),
                });
                return Ok(());
            }
            Ok(_) => k += 1,
            Err(_) => break (candidate, path),
        }
    };
    if added.files >= MAX_FRAMES {
        return Err(ApiError::unprocessable(format!(
            "the day already holds {MAX_FRAMES} files: start another day for more"
        )));
    }
    // Written whole and flushed under a hidden name, then renamed: a frame is there entirely or
    // not at all.
    let temp = shoot.join(format!(".{}.part", auth::secret()?));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&temp, &target.1)) {
        let _ = std::fs::remove_file(&temp);
        return Err(storage_error(e));
    }
    std::fs::File::open(shoot)
        .and_then(|d| d.sync_all())
        .map_err(storage_error)?;
    added.added.push(target.0);
    added.files += 1;
    Ok(())
}

/// A file name that is safe in the shoot folder and kept as written when it can be (a roster's
/// reference names it): no folder, no leading dot, no control characters, at most 200
/// characters.
fn plain_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == ':' { '_' } else { c })
        .take(200)
        .collect();
    let clean = clean.trim_start_matches('.').trim().to_string();
    if clean.is_empty() {
        "frame".into()
    } else {
        clean
    }
}

/// Runs the day (admin): every frame uploaded so far is looked at again; headshots already made
/// with the same guideline are kept.
#[utoipa::path(
    post, path = "/api/days/{id}/process", tag = "days",
    params(("id" = i64, Path, description = "The day's id")),
    responses(
        (status = 202, description = "queued", body = DayView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such day", body = ErrorBody),
        (status = 409, description = "already queued or running", body = ErrorBody),
        (status = 422, description = "no frames uploaded yet", body = ErrorBody)
    )
)]
pub async fn process_day(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<(StatusCode, Json<DayView>), ApiError> {
    caller.require_admin()?;
    let day = visible_day(&app, &caller, &id).await?;
    if count_files(&shoot_dir(&app, day.id)) == 0 {
        return Err(ApiError::unprocessable(
            "no frames have been uploaded to this day yet",
        ));
    }
    if !app
        .store
        .queue_day(day.id)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::conflict(format!(
            "this day is already {}",
            day.state
        )));
    }
    app.notify();
    let day = visible_day(&app, &caller, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(day_view(&app, &caller, &day, false).await?),
    ))
}

/// Deletes a day with every frame, headshot and choice of it (admin); not while it is being
/// sorted. The accounts made for its roster stay.
#[utoipa::path(
    delete, path = "/api/days/{id}", tag = "days",
    params(("id" = i64, Path, description = "The day's id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such day", body = ErrorBody),
        (status = 409, description = "being sorted: try again when it is done", body = ErrorBody)
    )
)]
pub async fn delete_day(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let day = visible_day(&app, &caller, &id).await?;
    if !app
        .store
        .delete_day(day.id)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::conflict(
            "this day is being sorted: delete it when the sort is done",
        ));
    }
    let dir = app.day_dir(day.id);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::error!("cannot delete {}: {e}", dir.display());
        }
    }
    tracing::info!("{} deleted headshot day {}", caller.user.email, day.id);
    Ok(StatusCode::NO_CONTENT)
}

/// The roster person, if the caller may act for them: the person themself, or an admin.
async fn visible_person(
    app: &App,
    caller: &Caller,
    day: &str,
    person: &str,
) -> Result<(Day, DayPerson), ApiError> {
    let day = visible_day(app, caller, day).await?;
    let people = app
        .store
        .day_people(day.id, (!caller.is_admin()).then_some(caller.user.id))
        .await
        .map_err(ApiError::internal)?;
    let p = people
        .into_iter()
        .find(|p| p.person == person)
        .ok_or_else(|| ApiError::not_found("person"))?;
    Ok((day, p))
}

#[derive(Deserialize, ToSchema)]
pub struct ChoiceBody {
    /// The chosen frame's name (one of the person's offers).
    pub frame: String,
}

/// Chooses the frame whose headshots are the person's: by the person, or by an admin (an
/// override, recorded as such). A retake request is withdrawn.
#[utoipa::path(
    post, path = "/api/days/{id}/people/{person}/choice", tag = "days",
    params(("id" = i64, Path, description = "The day's id"), ("person" = String, Path, description = "The roster id")),
    request_body = ChoiceBody,
    responses(
        (status = 200, description = "chosen", body = DayPersonView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "a missing CSRF token", body = ErrorBody),
        (status = 404, description = "no such day or person, or not yours", body = ErrorBody),
        (status = 422, description = "not a frame offered to the person", body = ErrorBody)
    )
)]
pub async fn choose(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, person)): axum::extract::Path<(String, String)>,
    Body(body): Body<ChoiceBody>,
) -> Result<Json<DayPersonView>, ApiError> {
    let (day, p) = visible_person(&app, &caller, &id, &person).await?;
    let offered = p
        .result()
        .is_some_and(|r| r.offers.iter().any(|o| o.frame == body.frame));
    if !offered {
        return Err(ApiError::unprocessable(format!(
            "{} is not one of the frames offered to {}",
            body.frame, p.person
        )));
    }
    let by = if p.user_id == Some(caller.user.id) {
        caller.user.email.clone()
    } else {
        format!("{} (admin)", caller.user.email)
    };
    app.store
        .choose(day.id, &p.person, &body.frame, &by)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(
        "day {}: {} chose {} for {}",
        day.id,
        by,
        body.frame,
        p.person
    );
    let (_, p) = visible_person(&app, &caller, &id, &person).await?;
    Ok(Json(DayPersonView::new(&p)))
}

#[derive(Deserialize, ToSchema)]
pub struct RetakeBody {
    /// What to do differently ("my eyes are closed in all of them").
    #[serde(default)]
    pub comment: String,
}

/// Asks for a retake: none of the offered frames will do (a choice made is withdrawn).
#[utoipa::path(
    post, path = "/api/days/{id}/people/{person}/retake", tag = "days",
    params(("id" = i64, Path, description = "The day's id"), ("person" = String, Path, description = "The roster id")),
    request_body = RetakeBody,
    responses(
        (status = 200, description = "asked", body = DayPersonView),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "a missing CSRF token", body = ErrorBody),
        (status = 404, description = "no such day or person, or not yours", body = ErrorBody)
    )
)]
pub async fn retake(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, person)): axum::extract::Path<(String, String)>,
    Body(body): Body<RetakeBody>,
) -> Result<Json<DayPersonView>, ApiError> {
    let (day, p) = visible_person(&app, &caller, &id, &person).await?;
    let comment: String = body
        .comment
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(1000)
        .collect();
    app.store
        .ask_retake(day.id, &p.person, comment.trim())
        .await
        .map_err(ApiError::internal)?;
    tracing::info!("day {}: retake asked for {}", day.id, p.person);
    let (_, p) = visible_person(&app, &caller, &id, &person).await?;
    Ok(Json(DayPersonView::new(&p)))
}

/// A file of a day: a headshot, its "before", a report or a frame's thumbnail. A member gets
/// only those of their own frames; an admin any the day's people or findings name.
#[utoipa::path(
    get, path = "/api/days/{id}/files/{file}", tag = "days",
    params(("id" = i64, Path, description = "The day's id"), ("file" = String, Path, description = "A file an offer or frame names")),
    responses(
        (status = 200, description = "the file's bytes", content_type = "image/*"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 404, description = "no such thing, or not yours", body = ErrorBody)
    )
)]
pub async fn day_file(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    let day = visible_day(&app, &caller, &id).await?;
    let people = app
        .store
        .day_people(day.id, (!caller.is_admin()).then_some(caller.user.id))
        .await
        .map_err(ApiError::internal)?;
    let results: Vec<PersonResult> = people.iter().filter_map(DayPerson::result).collect();
    let summary = if caller.is_admin() {
        DaySummary::parse(day.summary.as_deref())
    } else {
        None
    };
    // Only files the results name: no path from the request reaches the file system.
    let listed = results
        .iter()
        .flat_map(files_of)
        .chain(summary.iter().flat_map(admin_files))
        .any(|f| f == file);
    if !listed {
        return Err(ApiError::not_found("file"));
    }
    let name = file.rsplit('/').next().unwrap_or(&file).to_string();
    send_file(app.day_dir(day.id).join("out").join(&file), name).await
}

/// The chosen headshots of a day (admin): `<id>.<variant>.jpg` per person with their report
/// (content credentials intact), and `day.csv` with everyone's status, choice and who made it.
#[utoipa::path(
    get, path = "/api/days/{id}/export.zip", tag = "days",
    params(("id" = i64, Path, description = "The day's id")),
    responses(
        (status = 200, description = "a ZIP file", content_type = "application/zip"),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "not allowed (an admin only, or a missing CSRF token)", body = ErrorBody),
        (status = 404, description = "no such day", body = ErrorBody)
    )
)]
pub async fn export_day(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let day = visible_day(&app, &caller, &id).await?;
    let app2 = app.clone();
    let day_id = day.id;
    let people = app
        .store
        .day_people(day_id, None)
        .await
        .map_err(ApiError::internal)?;
    let file = blocking(move || {
        crate::export::to_temp_file(&app2, |out| {
            crate::export::day_zip(&app2.day_dir(day_id).join("out"), &people, out)
        })
    })
    .await?;
    Ok(crate::export::zip_response(
        file,
        &format!("headshot-day-{}.zip", day.id),
    ))
}
