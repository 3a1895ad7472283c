//! The service's state in PostgreSQL, for the distributed mode (any number of server replicas and
//! workers on one database). First part: the schema with its migrations (`migrations/`, run in
//! order on start, each once, recorded by sqlx in `_sqlx_migrations`; a database migrated by a
//! newer trueshot is refused) and the rows of the photo queue. The rest of the state (accounts,
//! sessions, days) follows the embedded SQLite's [`crate::db::Db`] method for method.
//!
//! Exactly once, as people see it: a job may be delivered twice (by the job stream after a
//! worker died), so claiming a photo counts an attempt, and an outcome is recorded only for the
//! attempt that is current; a worker that lost its claim records nothing.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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

    /// A new account; `None` when the email (in any case) already has one.
    pub async fn create_user(
        &self,
        email: &str,
        role: &str,
        password: Option<&str>,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO users (email, role, password) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(role)
        .bind(password)
        .fetch_optional(&self.pool)
        .await
    }

    /// A queued photo of `owner`; its id.
    pub async fn add_photo(&self, owner: i64, name: &str, ext: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO photos (owner_id, name, ext, state) VALUES ($1, $2, $3, 'queued') RETURNING id",
        )
        .bind(owner)
        .bind(name)
        .bind(ext)
        .fetch_one(&self.pool)
        .await
    }

    /// Claims the photo a job names, counting the attempt: it must be queued, or be processing
    /// by a worker that is gone (its job was delivered again). The attempt number, or `None`
    /// when the photo is finished or gone.
    pub async fn claim_photo(&self, id: i64) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "UPDATE photos SET state = 'processing', attempts = attempts + 1, updated = now() \
             WHERE id = $1 AND state IN ('queued', 'processing') RETURNING attempts",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Claims the oldest queued photo, skipping rows other claimers hold: (id, attempt).
    pub async fn claim_next(&self) -> Result<Option<(i64, i64)>, sqlx::Error> {
        let row = sqlx::query(
            "UPDATE photos SET state = 'processing', attempts = attempts + 1, updated = now() \
             WHERE id = (SELECT id FROM photos WHERE state = 'queued' ORDER BY id \
                         LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, attempts",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Records the outcome of attempt `attempt`; false (nothing recorded) when the photo is gone
    /// or another attempt has claimed it since.
    pub async fn finish(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        report: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE photos SET state = $3, reason = $4, report = $5, \
             completions = completions + 1, updated = now() \
             WHERE id = $1 AND state = 'processing' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(state)
        .bind(reason)
        .bind(report)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A photo's state, attempts and completions.
    pub async fn photo_state(&self, id: i64) -> Result<Option<(String, i64, i64)>, sqlx::Error> {
        let row = sqlx::query("SELECT state, attempts, completions FROM photos WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .transpose()
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
