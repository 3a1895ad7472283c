//! The service's state in PostgreSQL, for the distributed mode (any number of server replicas and
//! workers on one database): the same tables and the same methods as the embedded SQLite's
//! [`crate::db::Db`] (the accounts, sessions, guideline, photos and headshot days), reached
//! through [`crate::store::Store`], so handlers do not care which one runs. The schema's
//! migrations (`migrations/`) run in order on start, each once, recorded by sqlx in
//! `_sqlx_migrations`; a database migrated by a newer trueshot is refused.
//!
//! Exactly once, as people see it: a job may be delivered twice (by the job stream after a
//! worker died), so claiming a photo counts an attempt, and an outcome is recorded only for the
//! attempt that is current; a worker that lost its claim records nothing.
//!
//! Times are kept as `timestamptz` and read as the embedded store writes them
//! (`2026-12-08T09:30:00Z`), so answers do not depend on the store.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use crate::days::{Day, DayPerson, NewPerson, PersonFinished};
use crate::db::{unix_now, AddError, Photo, Role, User};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A time column as text in UTC (`2026-12-08T09:30:00Z`).
macro_rules! iso {
    ($column:literal) => {
        concat!(
            "to_char(",
            $column,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        )
    };
}

/// A photo's columns with its owner's, read by [`photo_row`] (`p` the photo, `u` its owner).
macro_rules! photo_columns {
    () => {
        concat!(
            "p.id, p.owner_id, u.email, u.role, p.name, p.ext, p.state, p.decision, \
             p.review, p.review_comment, p.review_by, ",
            iso!("p.review_at"),
            ", p.reason, p.advice, p.report, p.attempts, p.completions, ",
            iso!("p.created"),
            ", ",
            iso!("p.updated")
        )
    };
}

/// A day's columns, read by [`day_row`].
macro_rules! day_columns {
    () => {
        concat!(
            "id, name, roster, picks, state, reason, summary, attempts, created_by, ",
            iso!("created"),
            ", ",
            iso!("updated")
        )
    };
}

/// A roster person's columns, read by [`person_row`].
macro_rules! person_columns {
    () => {
        concat!(
            "person, line, name, team, email, user_id, result, choice, chosen_by, ",
            iso!("chosen_at"),
            ", retake, ",
            iso!("retake_at")
        )
    };
}

/// Puts processed, not discarded photos back in the queue with their review cleared (followed by
/// a condition on which photos).
macro_rules! redo {
    ($condition:literal) => {
        concat!(
            "UPDATE photos SET state = 'queued', review = NULL, review_comment = NULL, \
             review_by = NULL, review_at = NULL, updated = now() \
             WHERE state IN ('ready', 'refused', 'error') \
             AND (decision IS NULL OR decision = 'accepted') AND ",
            $condition
        )
    };
}

/// Puts the rows of a queue table left in `processing` back in the queue, except those being
/// processed at the third stop in a row (set aside as errors).
macro_rules! requeue {
    ($table:literal, $what:literal) => {
        [
            concat!(
                "UPDATE ",
                $table,
                " SET state = 'error', reason = 'processing this ",
                $what,
                " stopped the server three times', updated = now() \
                 WHERE state = 'processing' AND attempts >= 3"
            ),
            concat!(
                "UPDATE ",
                $table,
                " SET state = 'queued', updated = now() WHERE state = 'processing'"
            ),
        ]
    };
}

fn role(text: &str) -> Role {
    if text == "admin" {
        Role::Admin
    } else {
        Role::Member
    }
}

/// A user from three columns starting at `at`: id, email, role.
fn user_at(r: &PgRow, at: usize) -> Result<User, sqlx::Error> {
    Ok(User {
        id: r.try_get(at)?,
        email: r.try_get(at + 1)?,
        role: role(r.try_get(at + 2)?),
    })
}

fn photo_row(r: &PgRow) -> Result<Photo, sqlx::Error> {
    Ok(Photo {
        id: r.try_get(0)?,
        owner: user_at(r, 1)?,
        name: r.try_get(4)?,
        ext: r.try_get(5)?,
        state: r.try_get(6)?,
        decision: r.try_get(7)?,
        review: r.try_get(8)?,
        review_comment: r.try_get(9)?,
        review_by: r.try_get(10)?,
        review_at: r.try_get(11)?,
        reason: r.try_get(12)?,
        advice: r.try_get(13)?,
        report: r.try_get(14)?,
        attempts: r.try_get(15)?,
        completions: r.try_get(16)?,
        created: r.try_get(17)?,
        updated: r.try_get(18)?,
    })
}

fn day_row(r: &PgRow) -> Result<Day, sqlx::Error> {
    Ok(Day {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        roster: r.try_get(2)?,
        picks: r.try_get(3)?,
        state: r.try_get(4)?,
        reason: r.try_get(5)?,
        summary: r.try_get(6)?,
        attempts: r.try_get(7)?,
        created_by: r.try_get(8)?,
        created: r.try_get(9)?,
        updated: r.try_get(10)?,
    })
}

fn person_row(r: &PgRow) -> Result<DayPerson, sqlx::Error> {
    Ok(DayPerson {
        person: r.try_get(0)?,
        line: r.try_get(1)?,
        name: r.try_get(2)?,
        team: r.try_get(3)?,
        email: r.try_get(4)?,
        user_id: r.try_get(5)?,
        result: r.try_get(6)?,
        choice: r.try_get(7)?,
        chosen_by: r.try_get(8)?,
        chosen_at: r.try_get(9)?,
        retake: r.try_get(10)?,
        retake_at: r.try_get(11)?,
    })
}

/// The two queue tables.
#[derive(Clone, Copy, Debug)]
pub enum QueueTable {
    Photos,
    Days,
}

/// The state on a PostgreSQL server, through a pool of connections.
pub struct PgState {
    pool: PgPool,
}

impl PgState {
    /// Connects with at most `connections` at once and brings the schema up to date.
    pub async fn connect(url: &str, connections: u32) -> Result<PgState, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgState { pool })
    }

    /// Versions of the migrations applied, in order.
    pub async fn migrations(&self) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await
    }

    // ---- accounts --------------------------------------------------------------------------

    /// Creates an account; `None` when the email (in any case) is taken.
    pub async fn create_user(
        &self,
        email: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<Option<User>, sqlx::Error> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO users (email, role, password) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(role.as_str())
        .bind(password)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(|id| User {
            id,
            email: email.to_string(),
            role,
        }))
    }

    /// The account and its password hash (None while the invite is not accepted).
    pub async fn user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, email, role, password FROM users WHERE lower(email) = lower($1)",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_at(&r, 0)?, r.try_get(3)?)))
            .transpose()
    }

    /// Every account by email: the account, when it was created, its photos, whether it has a
    /// password.
    pub async fn users(&self) -> Result<Vec<(User, String, i64, bool)>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT u.id, u.email, u.role, ",
            iso!("u.created"),
            ", (SELECT count(*) FROM photos p WHERE p.owner_id = u.id), u.password IS NOT NULL \
             FROM users u ORDER BY u.email"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((user_at(r, 0)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?)))
            .collect()
    }

    pub async fn set_password(&self, user: i64, hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password = $2 WHERE id = $1")
            .bind(user)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A new invite for an account; earlier links of the same account stop working.
    pub async fn create_invite(
        &self,
        token_sha256: &str,
        user: i64,
        expires: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM invites WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO invites (token_sha256, user_id, expires) VALUES ($1, $2, $3)")
            .bind(token_sha256)
            .bind(user)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query("SELECT id, email, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_at(&r, 0)).transpose()
    }

    /// Removes an account with everything it has (see [`crate::db::Db::delete_user`]); the ids
    /// of its photos, or `None` when there is no such account.
    pub async fn delete_user(&self, id: i64) -> Result<Option<Vec<i64>>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let photos: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM photos WHERE owner_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("UPDATE day_people SET user_id = NULL WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for statement in [
            "DELETE FROM photos WHERE owner_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM invites WHERE user_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        let n = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((n == 1).then_some(photos))
    }

    pub async fn invite(&self, token_sha256: &str) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role FROM invites i JOIN users u ON u.id = i.user_id \
             WHERE i.token_sha256 = $1 AND i.expires > $2",
        )
        .bind(token_sha256)
        .bind(unix_now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_at(&r, 0)).transpose()
    }

    /// Sets the password of an invited account and uses the invite up, in one transaction;
    /// every older session and API token of the account ends.
    pub async fn accept_invite(
        &self,
        token_sha256: &str,
        hash: &str,
    ) -> Result<Option<User>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role FROM invites i JOIN users u ON u.id = i.user_id \
             WHERE i.token_sha256 = $1 AND i.expires > $2 FOR UPDATE OF i",
        )
        .bind(token_sha256)
        .bind(unix_now())
        .fetch_optional(&mut *tx)
        .await?;
        let user = row.map(|r| user_at(&r, 0)).transpose()?;
        if let Some(u) = &user {
            sqlx::query("UPDATE users SET password = $2 WHERE id = $1")
                .bind(u.id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            for statement in [
                "DELETE FROM invites WHERE user_id = $1",
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM api_tokens WHERE user_id = $1",
            ] {
                sqlx::query(statement).bind(u.id).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(user)
    }

    pub async fn create_session(
        &self,
        token_sha256: &str,
        user: i64,
        csrf: &str,
        expires: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE expires <= $1")
            .bind(unix_now())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf, expires) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_sha256)
        .bind(user)
        .bind(csrf)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, token_sha256: &str) -> Result<Option<(User, String)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_sha256 = $1 AND s.expires > $2",
        )
        .bind(token_sha256)
        .bind(unix_now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_at(&r, 0)?, r.try_get(3)?)))
            .transpose()
    }

    pub async fn delete_session(&self, token_sha256: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        token_sha256: &str,
        user: i64,
        name: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO api_tokens (token_sha256, user_id, name) VALUES ($1, $2, $3)")
            .bind(token_sha256)
            .bind(user)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An account's API tokens: id, name, created.
    pub async fn api_tokens(&self, user: i64) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT id, name, ",
            iso!("created"),
            " FROM api_tokens WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Revokes one of an account's API tokens; false if it has no such token.
    pub async fn revoke_api_token(&self, user: i64, id: i64) -> Result<bool, sqlx::Error> {
        let n = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn api_token(&self, token_sha256: &str) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_at(&r, 0)).transpose()
    }

    // ---- guideline -------------------------------------------------------------------------

    /// The guideline's TOML text, when and by whom it was last set.
    pub async fn guideline(&self) -> Result<Option<(String, String, Option<String>)>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT toml, ",
            iso!("updated"),
            ", updated_by FROM guideline WHERE id = 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .transpose()
    }

    pub async fn set_guideline(&self, toml: &str, by: Option<&str>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO guideline (id, toml, updated_by) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET toml = $1, updated_by = $2, updated = now()",
        )
        .bind(toml)
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- photos ----------------------------------------------------------------------------

    /// Records an upload whose bytes are already stored (`place(id)` puts them in the photo's
    /// place) in one transaction: the row is committed only once `place` succeeded.
    pub async fn add_photo(
        &self,
        owner: i64,
        name: &str,
        ext: &str,
        place: impl FnOnce(i64) -> std::io::Result<()> + Send + 'static,
    ) -> Result<i64, AddError> {
        let mut tx = self.pool.begin().await.map_err(AddError::Pg)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO photos (owner_id, name, ext, state) VALUES ($1, $2, $3, 'queued') \
             RETURNING id",
        )
        .bind(owner)
        .bind(name)
        .bind(ext)
        .fetch_one(&mut *tx)
        .await
        .map_err(AddError::Pg)?;
        tokio::task::spawn_blocking(move || place(id))
            .await
            .map_err(|e| AddError::Io(std::io::Error::other(e)))?
            .map_err(AddError::Io)?;
        tx.commit().await.map_err(AddError::Pg)?;
        Ok(id)
    }

    /// Puts photos left in `processing` back in the queue (see
    /// [`crate::db::Db::requeue_interrupted`]); how many.
    pub async fn requeue_interrupted(&self) -> Result<usize, sqlx::Error> {
        self.requeue(requeue!("photos", "photo")).await
    }

    async fn requeue(&self, statements: [&'static str; 2]) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(statements[0]).execute(&mut *tx).await?;
        let n = sqlx::query(statements[1])
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n as usize)
    }

    /// Claims the oldest queued photo, counting the attempt and skipping rows other claimers
    /// hold (`FOR UPDATE SKIP LOCKED`: workers never share a photo).
    pub async fn claim_next(&self) -> Result<Option<Photo>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "WITH p AS (UPDATE photos SET state = 'processing', attempts = attempts + 1, \
             updated = now() WHERE id = (SELECT id FROM photos WHERE state = 'queued' ORDER BY id \
             LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *) \
             SELECT ",
            photo_columns!(),
            " FROM p JOIN users u ON u.id = p.owner_id"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| photo_row(&r)).transpose()
    }

    /// Claims the photo a job names, counting the attempt: it must be queued, or be processing
    /// by a worker whose lease ran out (its job was delivered again). The photo as claimed, or
    /// `None` when it is finished, gone, or being made by a live worker.
    pub async fn claim_photo(
        &self,
        id: i64,
        lease: Duration,
    ) -> Result<Option<Photo>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "WITH p AS (UPDATE photos SET state = 'processing', attempts = attempts + 1, \
             updated = now() WHERE id = $1 AND (state = 'queued' OR (state = 'processing' \
             AND updated < now() - make_interval(secs => $2))) RETURNING *) \
             SELECT ",
            photo_columns!(),
            " FROM p JOIN users u ON u.id = p.owner_id"
        ))
        .bind(id)
        .bind(lease.as_secs_f64())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| photo_row(&r)).transpose()
    }

    /// Claims the day a job names, as [`PgState::claim_photo`] does.
    pub async fn claim_day_by_id(
        &self,
        id: i64,
        lease: Duration,
    ) -> Result<Option<Day>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "WITH d AS (UPDATE days SET state = 'processing', attempts = attempts + 1, \
             progress_stage = NULL, updated = now() WHERE id = $1 AND (state = 'queued' OR (state = 'processing' \
             AND updated < now() - make_interval(secs => $2))) RETURNING *) SELECT ",
            day_columns!(),
            " FROM d"
        ))
        .bind(id)
        .bind(lease.as_secs_f64())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| day_row(&r)).transpose()
    }

    /// Records how far run `attempt` of a day has got (`looking` or `making`, done of total).
    pub async fn set_day_progress(
        &self,
        id: i64,
        attempt: i64,
        stage: &str,
        done: i64,
        total: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE days SET progress_stage = $3, progress_done = $4, progress_total = $5 \
             WHERE id = $1 AND state = 'processing' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(stage)
        .bind(done)
        .bind(total)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How far the day's current run has got, while it runs.
    pub async fn day_progress(&self, id: i64) -> Result<Option<(String, i64, i64)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT progress_stage, progress_done, progress_total FROM days \
             WHERE id = $1 AND state = 'processing' AND progress_stage IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .transpose()
    }

    /// Queued photos and days the job stream does not carry yet (their attempt not published,
    /// or published five minutes ago and still waiting), oldest first: (kind, id, attempt).
    pub async fn unpublished(
        &self,
        limit: i64,
    ) -> Result<Vec<(&'static str, i64, i64)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT kind, id, attempts FROM ( \
               SELECT 'photo' AS kind, id, attempts, updated FROM photos WHERE state = 'queued' \
               AND (published IS DISTINCT FROM attempts \
                    OR published_at < now() - interval '5 minutes') \
               UNION ALL \
               SELECT 'day', id, attempts, updated FROM days WHERE state = 'queued' \
               AND (published IS DISTINCT FROM attempts \
                    OR published_at < now() - interval '5 minutes') \
             ) q ORDER BY kind DESC, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.try_get(0)?;
                let kind = if kind == "day" { "day" } else { "photo" };
                Ok((kind, r.try_get(1)?, r.try_get(2)?))
            })
            .collect()
    }

    /// Records that attempt `attempt` of a queued photo or day is on the job stream.
    pub async fn mark_published(
        &self,
        kind: &str,
        id: i64,
        attempt: i64,
    ) -> Result<(), sqlx::Error> {
        let statement = if kind == "day" {
            "UPDATE days SET published = $2, published_at = now() WHERE id = $1"
        } else {
            "UPDATE photos SET published = $2, published_at = now() WHERE id = $1"
        };
        sqlx::query(statement)
            .bind(id)
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the outcome of attempt `attempt`; false (nothing recorded) when the photo is gone
    /// or another attempt has claimed it since.
    pub async fn finish(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        advice: &str,
        report: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE photos SET state = $3, reason = $4, advice = $5, report = $6, \
             completions = completions + 1, updated = now() \
             WHERE id = $1 AND state = 'processing' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(state)
        .bind(reason)
        .bind(advice)
        .bind(report)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn photo(&self, id: i64) -> Result<Option<Photo>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            photo_columns!(),
            " FROM photos p JOIN users u ON u.id = p.owner_id WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| photo_row(&r)).transpose()
    }

    /// Photos newest first: one owner's, or everyone's.
    pub async fn photos(&self, owner: Option<i64>) -> Result<Vec<Photo>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            photo_columns!(),
            " FROM photos p JOIN users u ON u.id = p.owner_id \
             WHERE $1::bigint IS NULL OR p.owner_id = $1 ORDER BY p.id DESC"
        ))
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(photo_row).collect()
    }

    /// The member's decision on a headshot (see [`crate::db::Db::decide`]).
    pub async fn decide(&self, id: i64, decision: &str) -> Result<bool, sqlx::Error> {
        let statement = if decision == "accepted" {
            "UPDATE photos SET decision = $2, updated = now() WHERE id = $1 \
             AND state = 'ready' AND decision IS NULL AND review IS NULL"
        } else {
            "UPDATE photos SET decision = $2, updated = now() WHERE id = $1 \
             AND state NOT IN ('queued', 'processing') AND review IS NULL"
        };
        let n = sqlx::query(statement)
            .bind(id)
            .bind(decision)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The admin's review of a ready headshot the member has not discarded.
    pub async fn review(
        &self,
        id: i64,
        review: &str,
        comment: &str,
        by: &str,
    ) -> Result<bool, sqlx::Error> {
        let n = sqlx::query(
            "UPDATE photos SET review = $2, review_comment = $3, review_by = $4, \
             review_at = now(), updated = now() WHERE id = $1 AND state = 'ready' \
             AND (decision IS NULL OR decision = 'accepted')",
        )
        .bind(id)
        .bind(review)
        .bind(comment)
        .bind(by)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Queues a processed photo again (see [`crate::db::Db::redo`]).
    pub async fn redo(&self, id: i64) -> Result<bool, sqlx::Error> {
        let n = sqlx::query(redo!("id = $1"))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Queues again every photo last made with a guideline other than the one whose SHA-256
    /// is `sha256`; how many.
    pub async fn redo_outdated(&self, sha256: &str) -> Result<usize, sqlx::Error> {
        let n = sqlx::query(redo!(
            "coalesce(report::jsonb #>> '{guideline,sha256}', '') != $1"
        ))
        .bind(sha256)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n as usize)
    }

    // ---- headshot days ---------------------------------------------------------------------

    /// Creates a day with its roster people; its id.
    pub async fn create_day(
        &self,
        name: &str,
        roster: &str,
        picks: i64,
        by: &str,
        people: &[NewPerson],
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO days (name, roster, picks, state, created_by) \
             VALUES ($1, $2, $3, 'open', $4) RETURNING id",
        )
        .bind(name)
        .bind(roster)
        .bind(picks)
        .bind(by)
        .fetch_one(&mut *tx)
        .await?;
        for p in people {
            sqlx::query(
                "INSERT INTO day_people (day_id, person, line, name, team, email, user_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&p.person)
            .bind(p.line)
            .bind(&p.name)
            .bind(&p.team)
            .bind(&p.email)
            .bind(p.user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn day(&self, id: i64) -> Result<Option<Day>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            day_columns!(),
            " FROM days WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| day_row(&r)).transpose()
    }

    /// Days newest first: every day, or those with `user` on the roster.
    pub async fn days(&self, user: Option<i64>) -> Result<Vec<Day>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            day_columns!(),
            " FROM days WHERE $1::bigint IS NULL OR id IN \
             (SELECT day_id FROM day_people WHERE user_id = $1) ORDER BY id DESC"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(day_row).collect()
    }

    /// A day's roster people in the roster's order: all of them, or `user`'s own.
    pub async fn day_people(
        &self,
        day: i64,
        user: Option<i64>,
    ) -> Result<Vec<DayPerson>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            person_columns!(),
            " FROM day_people WHERE day_id = $1 \
             AND ($2::bigint IS NULL OR user_id = $2) ORDER BY line"
        ))
        .bind(day)
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(person_row).collect()
    }

    /// Queues a day for a run unless it is already queued or running.
    pub async fn queue_day(&self, id: i64) -> Result<bool, sqlx::Error> {
        let n = sqlx::query(
            "UPDATE days SET state = 'queued', updated = now() \
             WHERE id = $1 AND state NOT IN ('queued', 'processing')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Claims the oldest queued day, skipping days other claimers hold.
    pub async fn claim_day(&self) -> Result<Option<Day>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "WITH d AS (UPDATE days SET state = 'processing', attempts = attempts + 1, \
             progress_stage = NULL, updated = now() WHERE id = (SELECT id FROM days WHERE state = 'queued' ORDER BY id \
             LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *) SELECT ",
            day_columns!(),
            " FROM d"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| day_row(&r)).transpose()
    }

    /// Records the outcome of run `attempt` of day `id` (see [`crate::db::Db::finish_day`]);
    /// false if it is no longer that run.
    pub async fn finish_day(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        summary: Option<&str>,
        people: &[PersonFinished],
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE days SET state = $2, reason = $3, summary = coalesce($4, summary), \
             completions = completions + 1, updated = now() \
             WHERE id = $1 AND state = 'processing' AND attempts = $5",
        )
        .bind(id)
        .bind(state)
        .bind(reason)
        .bind(summary)
        .bind(attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        for p in people {
            let Some(row) = sqlx::query(
                "SELECT choice, result FROM day_people WHERE day_id = $1 AND person = $2 \
                 FOR UPDATE",
            )
            .bind(id)
            .bind(&p.person)
            .fetch_optional(&mut *tx)
            .await?
            else {
                continue;
            };
            let choice: Option<String> = row.try_get(0)?;
            let old: Option<String> = row.try_get(1)?;
            let (keep, same_offers) = crate::days::carried_over(choice, old.as_deref(), &p.offered);
            sqlx::query(
                "UPDATE day_people SET result = $3, \
                 choice = CASE WHEN $4 THEN choice END, \
                 chosen_by = CASE WHEN $4 THEN chosen_by END, \
                 chosen_at = CASE WHEN $4 THEN chosen_at END, \
                 retake = CASE WHEN $5 THEN retake END, \
                 retake_at = CASE WHEN $5 THEN retake_at END \
                 WHERE day_id = $1 AND person = $2",
            )
            .bind(id)
            .bind(&p.person)
            .bind(&p.result)
            .bind(keep)
            .bind(same_offers)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Days left running go back in the queue (a day running at the third stop in a row is set
    /// aside); how many.
    pub async fn requeue_days(&self) -> Result<usize, sqlx::Error> {
        self.requeue(requeue!("days", "day")).await
    }

    /// Deletes a day's rows unless it is queued or running; false when there is no such day
    /// or it is (the caller then deletes nothing).
    pub async fn delete_day(&self, id: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM days WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if !matches!(state.as_deref(), Some("open" | "ready" | "error")) {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM day_people WHERE day_id = $1",
            "DELETE FROM days WHERE id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records a person's choice (by them, or an admin's override); any retake request goes.
    pub async fn choose(
        &self,
        day: i64,
        person: &str,
        frame: &str,
        by: &str,
    ) -> Result<bool, sqlx::Error> {
        let n = sqlx::query(
            "UPDATE day_people SET choice = $3, chosen_by = $4, chosen_at = now(), \
             retake = NULL, retake_at = NULL WHERE day_id = $1 AND person = $2",
        )
        .bind(day)
        .bind(person)
        .bind(frame)
        .bind(by)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records a person's request for a retake (a choice made goes).
    pub async fn ask_retake(
        &self,
        day: i64,
        person: &str,
        comment: &str,
    ) -> Result<bool, sqlx::Error> {
        let n = sqlx::query(
            "UPDATE day_people SET retake = $3, retake_at = now(), choice = NULL, \
             chosen_by = NULL, chosen_at = NULL WHERE day_id = $1 AND person = $2",
        )
        .bind(day)
        .bind(person)
        .bind(comment)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    // ---- the queue -------------------------------------------------------------------------

    /// Says that attempt `attempt` at a photo (`table` `photos`) or day (`days`) is still being
    /// made: its lease is renewed. False when it is no longer that attempt.
    pub async fn heartbeat(
        &self,
        table: QueueTable,
        id: i64,
        attempt: i64,
    ) -> Result<bool, sqlx::Error> {
        let statement = match table {
            QueueTable::Photos => {
                "UPDATE photos SET updated = now() \
                 WHERE id = $1 AND state = 'processing' AND attempts = $2"
            }
            QueueTable::Days => {
                "UPDATE days SET updated = now() \
                 WHERE id = $1 AND state = 'processing' AND attempts = $2"
            }
        };
        let n = sqlx::query(statement)
            .bind(id)
            .bind(attempt)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Puts back in the queue the photos and days whose maker has not renewed its lease for
    /// `lease` (its worker or server died); one that was being made at its third attempt is set
    /// aside as an error instead. Any replica may call this at any time: a live worker renews
    /// its lease well within it. How many went back.
    pub async fn requeue_stale(&self, lease: Duration) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for statement in [
            "UPDATE photos SET state = 'error', \
             reason = 'processing this photo stopped the server three times', updated = now() \
             WHERE state = 'processing' AND attempts >= 3 \
             AND updated < now() - make_interval(secs => $1)",
            "UPDATE days SET state = 'error', \
             reason = 'processing this day stopped the server three times', updated = now() \
             WHERE state = 'processing' AND attempts >= 3 \
             AND updated < now() - make_interval(secs => $1)",
        ] {
            sqlx::query(statement)
                .bind(lease.as_secs_f64())
                .execute(&mut *tx)
                .await?;
        }
        for statement in [
            "UPDATE photos SET state = 'queued', updated = now() \
             WHERE state = 'processing' AND updated < now() - make_interval(secs => $1)",
            "UPDATE days SET state = 'queued', updated = now() \
             WHERE state = 'processing' AND updated < now() - make_interval(secs => $1)",
        ] {
            n += sqlx::query(statement)
                .bind(lease.as_secs_f64())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(n as usize)
    }

    /// Queued photos and days (the metrics' queue depth).
    pub async fn depth(&self) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
        let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM photos WHERE state = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        let days: i64 = sqlx::query_scalar("SELECT count(*) FROM days WHERE state = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        Ok(vec![("photo", photos), ("day", days)])
    }
}
