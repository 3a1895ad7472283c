//! The service's durable state: one SQLite file under `--data` (accounts, sessions, the
//! guideline, photos and their processing state). Photos' bytes live in folders next to it.
//!
//! Processing state is a column of `photos`, so the queue survives a crash: a worker claims a
//! photo by moving it from `queued` to `processing` in one statement, and finishing it moves it
//! on (and counts `completions`) only if it is still `processing`. At start-up photos left in
//! `processing` by a killed server go back to `queued`: every accepted upload is finished, and
//! none is finished twice. Ids are never reused (`AUTOINCREMENT`), and finishing also names the
//! attempt it finishes, so a worker still busy with a photo whose owner was removed cannot write
//! its result into anyone else's row or folder.

use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    password TEXT,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS invites (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS guideline (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    toml TEXT NOT NULL,
    updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    ext TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'processing', 'ready', 'refused', 'error')),
    decision TEXT CHECK (decision IN ('accepted', 'discarded')),
    review TEXT CHECK (review IN ('approved', 'rejected')),
    review_comment TEXT,
    review_by TEXT,
    review_at TEXT,
    reason TEXT,
    advice TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS photos_state ON photos (state, id);
CREATE INDEX IF NOT EXISTS photos_owner ON photos (owner_id, id);
CREATE TABLE IF NOT EXISTS days (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    roster TEXT NOT NULL,
    picks INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'queued', 'processing', 'ready', 'error')),
    reason TEXT,
    summary TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS days_state ON days (state, id);
CREATE TABLE IF NOT EXISTS day_people (
    day_id INTEGER NOT NULL REFERENCES days(id),
    person TEXT NOT NULL,
    line INTEGER NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    email TEXT,
    user_id INTEGER REFERENCES users(id),
    result TEXT,
    choice TEXT,
    chosen_by TEXT,
    chosen_at TEXT,
    retake TEXT,
    retake_at TEXT,
    PRIMARY KEY (day_id, person)
);
CREATE INDEX IF NOT EXISTS day_people_user ON day_people (user_id);
";

pub(crate) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// Puts processed, not discarded photos back in the queue with their review cleared (followed by
/// a condition on which photos).
const REDO: &str = "UPDATE photos SET state = 'queued', review = NULL, review_comment = NULL, \
    review_by = NULL, review_at = NULL, updated = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
    WHERE state IN ('ready', 'refused', 'error') AND (decision IS NULL OR decision = 'accepted')";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Member
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

/// One uploaded photo and where it is in its life.
#[derive(Clone, Debug)]
pub struct Photo {
    pub id: i64,
    pub owner: User,
    pub name: String,
    pub ext: String,
    pub state: String,
    pub decision: Option<String>,
    pub review: Option<String>,
    pub review_comment: Option<String>,
    pub review_by: Option<String>,
    pub review_at: Option<String>,
    pub reason: Option<String>,
    pub advice: String,
    pub report: Option<String>,
    pub attempts: i64,
    pub completions: i64,
    pub created: String,
    pub updated: String,
}

impl Photo {
    /// The one status a person sees: processing first, then the member's and the admin's say.
    pub fn status(&self) -> &str {
        match self.state.as_str() {
            "queued" | "processing" => &self.state,
            _ if self.decision.as_deref() == Some("discarded") => "discarded",
            "refused" | "error" => &self.state,
            _ => match (&self.review, &self.decision) {
                (Some(r), _) => r,
                (None, Some(d)) => d,
                (None, None) => "ready",
            },
        }
    }
}

const PHOTO_COLUMNS: &str =
    "p.id, p.owner_id, u.email, u.role, p.name, p.ext, p.state, p.decision, \
    p.review, p.review_comment, p.review_by, p.review_at, p.reason, p.advice, p.report, \
    p.attempts, p.completions, p.created, p.updated";

fn photo_row(r: &rusqlite::Row) -> rusqlite::Result<Photo> {
    Ok(Photo {
        id: r.get(0)?,
        owner: User {
            id: r.get(1)?,
            email: r.get(2)?,
            role: Role::parse(&r.get::<_, String>(3)?),
        },
        name: r.get(4)?,
        ext: r.get(5)?,
        state: r.get(6)?,
        decision: r.get(7)?,
        review: r.get(8)?,
        review_comment: r.get(9)?,
        review_by: r.get(10)?,
        review_at: r.get(11)?,
        reason: r.get(12)?,
        advice: r.get(13)?,
        report: r.get(14)?,
        attempts: r.get(15)?,
        completions: r.get(16)?,
        created: r.get(17)?,
        updated: r.get(18)?,
    })
}

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?),
    })
}

/// Seconds since 1970, for expiry times.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The database: one connection behind a mutex. Every statement is short (well under a
/// millisecond on this size of data); password hashing and image work happen outside the lock.
pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &std::path::Path) -> rusqlite::Result<Db> {
        let conn = Connection::open(path)?;
        // WAL: readers do not block the writer and `trueshot users add` works while the server
        // runs; FULL: an upload acknowledged with 202 survives a power cut, not only a crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are atomic).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- accounts --------------------------------------------------------------------------

    /// Creates an account; `None` when the email is taken.
    pub fn create_user(
        &self,
        email: &str,
        role: Role,
        password: Option<&str>,
    ) -> rusqlite::Result<Option<User>> {
        let c = self.lock();
        let n = c.execute(
            "INSERT INTO users (email, role, password) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![email, role.as_str(), password],
        )?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(User {
            id: c.last_insert_rowid(),
            email: email.to_string(),
            role,
        }))
    }

    /// The account and its password hash (None while the invite is not accepted).
    pub fn user_by_email(&self, email: &str) -> rusqlite::Result<Option<(User, Option<String>)>> {
        self.lock()
            .query_row(
                "SELECT id, email, role, password FROM users WHERE email = ?1",
                [email],
                |r| Ok((user_row(r)?, r.get(3)?)),
            )
            .optional()
    }

    pub fn users(&self) -> rusqlite::Result<Vec<(User, String, i64, bool)>> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT u.id, u.email, u.role, u.created, \
             (SELECT count(*) FROM photos p WHERE p.owner_id = u.id), u.password IS NOT NULL \
             FROM users u ORDER BY u.email",
        )?;
        let rows = st.query_map([], |r| Ok((user_row(r)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
        rows.collect()
    }

    pub fn set_password(&self, user: i64, hash: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "UPDATE users SET password = ?2 WHERE id = ?1",
            params![user, hash],
        )?;
        Ok(())
    }

    /// A new invite for an account; earlier links of the same account stop working.
    pub fn create_invite(
        &self,
        token_sha256: &str,
        user: i64,
        expires: i64,
    ) -> rusqlite::Result<()> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        tx.execute("DELETE FROM invites WHERE user_id = ?1", [user])?;
        tx.execute(
            "INSERT INTO invites (token_sha256, user_id, expires) VALUES (?1, ?2, ?3)",
            params![token_sha256, user, expires],
        )?;
        tx.commit()
    }

    pub fn user(&self, id: i64) -> rusqlite::Result<Option<User>> {
        self.lock()
            .query_row(
                "SELECT id, email, role FROM users WHERE id = ?1",
                [id],
                user_row,
            )
            .optional()
    }

    /// Removes an account with everything it has: its photos' rows, sessions, API tokens and
    /// invites. Returns the ids of its photos, whose folders the caller deletes; `None` when
    /// there is no such account.
    pub fn delete_user(&self, id: i64) -> rusqlite::Result<Option<Vec<i64>>> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let photos: Vec<i64> = {
            let mut st = tx.prepare("SELECT id FROM photos WHERE owner_id = ?1 ORDER BY id")?;
            let rows = st.query_map([id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        // Their place on a headshot day's roster stays (HR's list), without the account.
        tx.execute(
            "UPDATE day_people SET user_id = NULL WHERE user_id = ?1",
            [id],
        )?;
        for table in [
            "photos WHERE owner_id",
            "sessions WHERE user_id",
            "api_tokens WHERE user_id",
            "invites WHERE user_id",
        ] {
            tx.execute(&format!("DELETE FROM {table} = ?1"), [id])?;
        }
        let n = tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok((n == 1).then_some(photos))
    }

    pub fn invite(&self, token_sha256: &str) -> rusqlite::Result<Option<User>> {
        self.lock()
            .query_row(
                "SELECT u.id, u.email, u.role FROM invites i JOIN users u ON u.id = i.user_id \
                 WHERE i.token_sha256 = ?1 AND i.expires > ?2",
                params![token_sha256, unix_now()],
                user_row,
            )
            .optional()
    }

    /// Sets the password of an invited account and uses the invite up, in one transaction.
    pub fn accept_invite(&self, token_sha256: &str, hash: &str) -> rusqlite::Result<Option<User>> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let user = tx
            .query_row(
                "SELECT u.id, u.email, u.role FROM invites i JOIN users u ON u.id = i.user_id \
                 WHERE i.token_sha256 = ?1 AND i.expires > ?2",
                params![token_sha256, unix_now()],
                user_row,
            )
            .optional()?;
        if let Some(u) = &user {
            tx.execute(
                "UPDATE users SET password = ?2 WHERE id = ?1",
                params![u.id, hash],
            )?;
            tx.execute("DELETE FROM invites WHERE user_id = ?1", params![u.id])?;
            // A new password (an invite also resets a forgotten one) ends every older session
            // and API token: whoever had the account before the reset is out.
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![u.id])?;
            tx.execute("DELETE FROM api_tokens WHERE user_id = ?1", params![u.id])?;
        }
        tx.commit()?;
        Ok(user)
    }

    pub fn create_session(
        &self,
        token_sha256: &str,
        user: i64,
        csrf: &str,
        expires: i64,
    ) -> rusqlite::Result<()> {
        let c = self.lock();
        c.execute(
            "DELETE FROM sessions WHERE expires <= ?1",
            params![unix_now()],
        )?;
        c.execute(
            "INSERT INTO sessions (token_sha256, user_id, csrf, expires) VALUES (?1, ?2, ?3, ?4)",
            params![token_sha256, user, csrf, expires],
        )?;
        Ok(())
    }

    pub fn session(&self, token_sha256: &str) -> rusqlite::Result<Option<(User, String)>> {
        self.lock()
            .query_row(
                "SELECT u.id, u.email, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_sha256 = ?1 AND s.expires > ?2",
                params![token_sha256, unix_now()],
                |r| Ok((user_row(r)?, r.get(3)?)),
            )
            .optional()
    }

    pub fn delete_session(&self, token_sha256: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            [token_sha256],
        )?;
        Ok(())
    }

    pub fn create_api_token(
        &self,
        token_sha256: &str,
        user: i64,
        name: &str,
    ) -> rusqlite::Result<()> {
        self.lock().execute(
            "INSERT INTO api_tokens (token_sha256, user_id, name) VALUES (?1, ?2, ?3)",
            params![token_sha256, user, name],
        )?;
        Ok(())
    }

    /// An account's API tokens: id, name, created.
    pub fn api_tokens(&self, user: i64) -> rusqlite::Result<Vec<(i64, String, String)>> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT rowid, name, created FROM api_tokens WHERE user_id = ?1 ORDER BY rowid",
        )?;
        let rows = st.query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    /// Revokes one of an account's API tokens; false if it has no such token.
    pub fn revoke_api_token(&self, user: i64, id: i64) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            "DELETE FROM api_tokens WHERE rowid = ?1 AND user_id = ?2",
            params![id, user],
        )?;
        Ok(n == 1)
    }

    pub fn api_token(&self, token_sha256: &str) -> rusqlite::Result<Option<User>> {
        self.lock()
            .query_row(
                "SELECT u.id, u.email, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_sha256 = ?1",
                [token_sha256],
                user_row,
            )
            .optional()
    }

    // ---- guideline -------------------------------------------------------------------------

    /// The guideline's TOML text, when and by whom it was last set.
    pub fn guideline(&self) -> rusqlite::Result<Option<(String, String, Option<String>)>> {
        self.lock()
            .query_row(
                "SELECT toml, updated, updated_by FROM guideline WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
    }

    pub fn set_guideline(&self, toml: &str, by: Option<&str>) -> rusqlite::Result<()> {
        self.lock().execute(
            &format!(
                "INSERT INTO guideline (id, toml, updated_by) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET toml = ?1, updated_by = ?2, updated = {NOW}"
            ),
            params![toml, by],
        )?;
        Ok(())
    }

    // ---- photos ----------------------------------------------------------------------------

    /// Records an upload whose bytes are already written and flushed (`incoming`): inside one
    /// short transaction the row is inserted and `place(id)` renames the file into the photo's
    /// folder, so the row exists only if the file does, and no large write happens under the
    /// database lock.
    pub fn add_photo(
        &self,
        owner: i64,
        name: &str,
        ext: &str,
        place: impl FnOnce(i64) -> std::io::Result<()>,
    ) -> Result<i64, AddError> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO photos (owner_id, name, ext, state) VALUES (?1, ?2, ?3, 'queued')",
            params![owner, name, ext],
        )?;
        let id = tx.last_insert_rowid();
        place(id).map_err(AddError::Io)?;
        tx.commit()?;
        Ok(id)
    }

    /// Queued photos and days (the metrics' queue depth).
    pub fn depth(&self) -> rusqlite::Result<Vec<(&'static str, i64)>> {
        let c = self.lock();
        let count = |table: &str| -> rusqlite::Result<i64> {
            c.query_row(
                &format!("SELECT count(*) FROM {table} WHERE state = 'queued'"),
                [],
                |r| r.get(0),
            )
        };
        Ok(vec![("photo", count("photos")?), ("day", count("days")?)])
    }

    /// Puts photos a killed server was working on back in the queue, except those it was
    /// working on at three crashes in a row: such a photo (one that exhausts the memory, say)
    /// would otherwise bring every restart down again.
    pub fn requeue_interrupted(&self) -> rusqlite::Result<usize> {
        requeue(&self.lock(), "photos", "photo")
    }

    /// Takes the oldest queued photo for processing, if any.
    pub fn claim_next(&self) -> rusqlite::Result<Option<Photo>> {
        let c = self.lock();
        match claim_oldest(&c, "photos")? {
            Some(id) => photo_by_id(&c, id),
            None => Ok(None),
        }
    }

    /// Records the outcome of the claim numbered `attempt`; false if the photo is gone or no
    /// longer in that attempt.
    pub fn finish(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        advice: &str,
        report: &str,
    ) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            &format!(
                "UPDATE photos SET state = ?2, reason = ?3, advice = ?4, report = ?5, \
                 completions = completions + 1, updated = {NOW} \
                 WHERE id = ?1 AND state = 'processing' AND attempts = ?6"
            ),
            params![id, state, reason, advice, report, attempt],
        )?;
        Ok(n == 1)
    }

    pub fn photo(&self, id: i64) -> rusqlite::Result<Option<Photo>> {
        photo_by_id(&self.lock(), id)
    }

    /// Photos newest first: one owner's, or everyone's.
    pub fn photos(&self, owner: Option<i64>) -> rusqlite::Result<Vec<Photo>> {
        let c = self.lock();
        let mut st = c.prepare(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id \
             WHERE ?1 IS NULL OR p.owner_id = ?1 ORDER BY p.id DESC"
        ))?;
        let rows = st.query_map([owner], photo_row)?;
        rows.collect()
    }

    /// The member's decision on a headshot: `accepted` only when it is ready and not yet
    /// reviewed; `discarded` (a retake) any time before the admin's review.
    pub fn decide(&self, id: i64, decision: &str) -> rusqlite::Result<bool> {
        let condition = if decision == "accepted" {
            "state = 'ready' AND decision IS NULL AND review IS NULL"
        } else {
            "state NOT IN ('queued', 'processing') AND review IS NULL"
        };
        let n = self.lock().execute(
            &format!(
                "UPDATE photos SET decision = ?2, updated = {NOW} WHERE id = ?1 AND {condition}"
            ),
            params![id, decision],
        )?;
        Ok(n == 1)
    }

    /// The admin's review of a ready headshot the member has not discarded.
    pub fn review(&self, id: i64, review: &str, comment: &str, by: &str) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            &format!(
                "UPDATE photos SET review = ?2, review_comment = ?3, review_by = ?4, review_at = {NOW}, \
                 updated = {NOW} WHERE id = ?1 AND state = 'ready' \
                 AND (decision IS NULL OR decision = 'accepted')"
            ),
            params![id, review, comment, by],
        )?;
        Ok(n == 1)
    }

    /// Queues a processed photo again, as the admin's redo after a guideline change. The review
    /// is cleared (new headshots need approving again); the member's acceptance stays. Not for
    /// discarded photos, whose files are gone.
    pub fn redo(&self, id: i64) -> rusqlite::Result<bool> {
        let n = self.lock().execute(&format!("{REDO} AND id = ?1"), [id])?;
        Ok(n == 1)
    }

    /// Queues again every photo last made with a guideline other than the one whose SHA-256
    /// is `sha256`; returns how many.
    pub fn redo_outdated(&self, sha256: &str) -> rusqlite::Result<usize> {
        self.lock().execute(
            &format!("{REDO} AND coalesce(json_extract(report, '$.guideline.sha256'), '') != ?1"),
            [sha256],
        )
    }
}

/// Takes the oldest queued row of a queue table (`photos` or `days`) for processing, counting
/// the attempt; its id.
pub(crate) fn claim_oldest(c: &Connection, table: &str) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        &format!(
            "UPDATE {table} SET state = 'processing', attempts = attempts + 1, updated = {NOW} \
             WHERE id = (SELECT id FROM {table} WHERE state = 'queued' ORDER BY id LIMIT 1) \
             RETURNING id"
        ),
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Puts the rows of a queue table left in `processing` by a killed server back in the queue,
/// except those it was working on at three crashes in a row (set aside as errors, naming the
/// `what`); how many.
pub(crate) fn requeue(c: &Connection, table: &str, what: &str) -> rusqlite::Result<usize> {
    c.execute(
        &format!(
            "UPDATE {table} SET state = 'error', \
             reason = 'processing this {what} stopped the server three times', \
             updated = {NOW} WHERE state = 'processing' AND attempts >= 3"
        ),
        [],
    )?;
    c.execute(
        &format!("UPDATE {table} SET state = 'queued', updated = {NOW} WHERE state = 'processing'"),
        [],
    )
}

fn photo_by_id(c: &Connection, id: i64) -> rusqlite::Result<Option<Photo>> {
    c.query_row(
        &format!("SELECT {PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id WHERE p.id = ?1"),
        [id],
        photo_row,
    )
    .optional()
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Pg(sqlx::Error),
    #[error("cannot store the photo: {0}")]
    Io(std::io::Error),
}
