//! The service's state behind one type: the embedded SQLite file ([`Db`], `trueshot serve
//! --data`) or PostgreSQL ([`PgState`], the distributed mode). Handlers call [`Store`]'s
//! methods and do not care which one runs; both have the same methods with the same meaning,
//! and a test runs one scenario against both and compares every answer.

use std::sync::Arc;

use crate::days::{Day, DayPerson, NewPerson, PersonFinished};
use crate::db::{AddError, Db, Photo, Role, User};
use crate::pg::PgState;

/// Where the state is kept.
#[derive(Clone)]
pub enum Store {
    /// One SQLite file under `--data` (one server).
    Embedded(Arc<Db>),
    /// A PostgreSQL database shared by any number of servers and workers.
    Postgres(Arc<PgState>),
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
}

/// Declares each method once: the same name and arguments on both stores.
macro_rules! methods {
    ($( $(#[doc = $doc:literal])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Store {
            $(
                $(#[doc = $doc])*
                pub async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StoreError> {
                    Ok(match self {
                        Store::Embedded(db) => db.$name($($arg),*)?,
                        Store::Postgres(pg) => pg.$name($($arg),*).await?,
                    })
                }
            )*
        }
    };
}

methods! {
    /// Creates an account; `None` when the email (in any case) is taken.
    fn create_user(&self, email: &str, role: Role, password: Option<&str>) -> Option<User>;
    /// The account and its password hash (None while the invite is not accepted).
    fn user_by_email(&self, email: &str) -> Option<(User, Option<String>)>;
    /// Every account by email: the account, when it was created, how many photos, whether it
    /// has a password.
    fn users(&self) -> Vec<(User, String, i64, bool)>;
    fn set_password(&self, user: i64, hash: &str) -> ();
    /// A new invite for an account; earlier links of the same account stop working.
    fn create_invite(&self, token_sha256: &str, user: i64, expires: i64) -> ();
    fn user(&self, id: i64) -> Option<User>;
    /// Removes an account with its photos' rows, sessions, tokens and invites: the ids of its
    /// photos (whose files the caller deletes), `None` when there is no such account.
    fn delete_user(&self, id: i64) -> Option<Vec<i64>>;
    fn invite(&self, token_sha256: &str) -> Option<User>;
    /// Sets an invited account's password and uses the invite up; older sessions and tokens end.
    fn accept_invite(&self, token_sha256: &str, hash: &str) -> Option<User>;
    fn create_session(&self, token_sha256: &str, user: i64, csrf: &str, expires: i64) -> ();
    fn session(&self, token_sha256: &str) -> Option<(User, String)>;
    fn delete_session(&self, token_sha256: &str) -> ();
    fn create_api_token(&self, token_sha256: &str, user: i64, name: &str) -> ();
    /// An account's API tokens: id, name, created.
    fn api_tokens(&self, user: i64) -> Vec<(i64, String, String)>;
    /// Revokes one of an account's API tokens; false if it has no such token.
    fn revoke_api_token(&self, user: i64, id: i64) -> bool;
    fn api_token(&self, token_sha256: &str) -> Option<User>;
    /// The guideline's TOML text, when and by whom it was last set.
    fn guideline(&self) -> Option<(String, String, Option<String>)>;
    fn set_guideline(&self, toml: &str, by: Option<&str>) -> ();
    /// Puts photos left in `processing` by a stopped server back in the queue (one being made
    /// at the third stop in a row is set aside); how many.
    fn requeue_interrupted(&self) -> usize;
    /// Takes the oldest queued photo for processing, counting the attempt.
    fn claim_next(&self) -> Option<Photo>;
    /// Records the outcome of attempt `attempt`; false if the photo is gone or no longer in
    /// that attempt.
    fn finish(&self, id: i64, attempt: i64, state: &str, reason: Option<&str>, advice: &str, report: &str) -> bool;
    fn photo(&self, id: i64) -> Option<Photo>;
    /// Photos newest first: one owner's, or everyone's.
    fn photos(&self, owner: Option<i64>) -> Vec<Photo>;
    /// The member's decision: `accepted` (ready, not yet reviewed) or `discarded`.
    fn decide(&self, id: i64, decision: &str) -> bool;
    /// The admin's review of a ready headshot the member has not discarded.
    fn review(&self, id: i64, review: &str, comment: &str, by: &str) -> bool;
    /// Queues a processed photo again (its review cleared).
    fn redo(&self, id: i64) -> bool;
    /// Queues again every photo made with another guideline than `sha256`; how many.
    fn redo_outdated(&self, sha256: &str) -> usize;
    /// Creates a headshot day with its roster people; its id.
    fn create_day(&self, name: &str, roster: &str, picks: i64, by: &str, people: &[NewPerson]) -> i64;
    fn day(&self, id: i64) -> Option<Day>;
    /// Days newest first: every day, or those with `user` on the roster.
    fn days(&self, user: Option<i64>) -> Vec<Day>;
    /// A day's roster people in the roster's order: all of them, or `user`'s own.
    fn day_people(&self, day: i64, user: Option<i64>) -> Vec<DayPerson>;
    /// Queues a day for a run unless it is already queued or running.
    fn queue_day(&self, id: i64) -> bool;
    /// Takes the oldest queued day, counting the run.
    fn claim_day(&self) -> Option<Day>;
    /// Records the outcome of run `attempt` of a day; false if it is no longer that run.
    fn finish_day(&self, id: i64, attempt: i64, state: &str, reason: Option<&str>, summary: Option<&str>, people: &[PersonFinished]) -> bool;
    /// Days left running by a stopped server go back in the queue; how many.
    fn requeue_days(&self) -> usize;
    /// Deletes a day's rows unless it is queued or running.
    fn delete_day(&self, id: i64) -> bool;
    /// Records a person's choice (theirs or an admin's); a retake request goes.
    fn choose(&self, day: i64, person: &str, frame: &str, by: &str) -> bool;
    /// Records a person's request for a retake; a choice made goes.
    fn ask_retake(&self, day: i64, person: &str, comment: &str) -> bool;
    /// Queued photos and days.
    fn depth(&self) -> Vec<(&'static str, i64)>;
}

impl Store {
    /// Records an upload whose bytes are already stored and flushed: the row is inserted and
    /// `place(id)` (on a blocking thread) puts the bytes in the photo's place; the row is
    /// committed only if that succeeded.
    pub async fn add_photo(
        &self,
        owner: i64,
        name: &str,
        ext: &str,
        place: impl FnOnce(i64) -> std::io::Result<()> + Send + 'static,
    ) -> Result<i64, AddError> {
        match self {
            Store::Embedded(db) => {
                let (db, name, ext) = (db.clone(), name.to_string(), ext.to_string());
                tokio::task::spawn_blocking(move || db.add_photo(owner, &name, &ext, place))
                    .await
                    .map_err(|e| AddError::Io(std::io::Error::other(e)))?
            }
            Store::Postgres(pg) => pg.add_photo(owner, name, ext, place).await,
        }
    }

    /// How far a day's run has got on a worker of another process (PostgreSQL only: the
    /// embedded store's workers are this server's, whose progress is in memory).
    pub async fn day_progress(&self, id: i64) -> Result<Option<(String, i64, i64)>, StoreError> {
        match self {
            Store::Embedded(_) => Ok(None),
            Store::Postgres(pg) => Ok(pg.day_progress(id).await?),
        }
    }

    /// The embedded database, when that is the store (`trueshot users`, tests).
    pub fn embedded(&self) -> Option<&Db> {
        match self {
            Store::Embedded(db) => Some(db),
            Store::Postgres(_) => None,
        }
    }
}
