//! The queue of work, behind a small trait: the workers claim a job (a photo to make, or a
//! headshot day to run), do it and finish it; a restarted server puts back what was being done.
//! [`Db`]'s SQLite tables are today's durable queue; a distributed queue implements the same
//! trait, and the workers do not care which one runs.

use crate::days::{Day, PersonFinished};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::{Db, Photo};
use crate::pg::{PgState, QueueTable};

/// A piece of work for a worker.
pub enum Job {
    Photo(Photo),
    Day(Day),
}

/// Why the queue could not answer (its database or broker is unreachable, say).
pub type QueueError = Box<dyn std::error::Error + Send + Sync>;

/// The outcome of one attempt at a photo.
pub struct Finished<'a> {
    /// `ready`, `refused` or `error`.
    pub state: &'a str,
    /// Why no headshot was made, in one sentence for the person.
    pub reason: Option<&'a str>,
    /// What to change for a better photo (a JSON array of sentences).
    pub advice: &'a str,
    /// The photo's report (JSON).
    pub report: &'a str,
}

pub trait Queue: Send + Sync {
    /// Takes the oldest queued photo for processing (its attempt counted), or else the oldest
    /// queued headshot day, if any. Photos first: a person is waiting for theirs.
    fn claim(&self) -> Result<Option<Job>, QueueError>;

    /// Records the outcome of attempt `attempt` at photo `id`. Finishing twice is harmless: it is
    /// false (nothing recorded) when the photo is gone or no longer in that attempt.
    fn finish(&self, id: i64, attempt: i64, done: &Finished) -> Result<bool, QueueError>;

    /// Records the outcome of run `attempt` of day `id` (`summary` and `people` when it ran);
    /// false when the day is no longer in that run.
    fn finish_day(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        summary: Option<&str>,
        people: &[PersonFinished],
    ) -> Result<bool, QueueError>;

    /// Jobs waiting, by kind (`photo`, `day`): the metrics' queue depth, and the readiness
    /// probe's proof that the queue answers.
    fn depth(&self) -> Result<Vec<(&'static str, i64)>, QueueError>;

    /// Puts the photos and days that were being made when the server stopped back in the queue
    /// (except one that stopped it three times in a row); how many.
    fn requeue(&self) -> Result<usize, QueueError>;

    /// Says that `job` is still being made, every [`HEARTBEAT`] while it is: a queue shared by
    /// several servers renews the job's lease, so that only a job whose maker died goes back in
    /// the queue. False when the job is no longer this worker's.
    fn heartbeat(&self, _job: &Job) -> Result<bool, QueueError> {
        Ok(true)
    }

    /// Whether photo `id` still exists (an outcome not recorded may be of a photo deleted
    /// meanwhile, whose files the worker then removes).
    fn photo_exists(&self, id: i64) -> Result<bool, QueueError>;
}

impl Queue for Db {
    fn claim(&self) -> Result<Option<Job>, QueueError> {
        if let Some(p) = self.claim_next()? {
            return Ok(Some(Job::Photo(p)));
        }
        Ok(self.claim_day()?.map(Job::Day))
    }

    fn finish_day(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        summary: Option<&str>,
        people: &[PersonFinished],
    ) -> Result<bool, QueueError> {
        Ok(Db::finish_day(
            self, id, attempt, state, reason, summary, people,
        )?)
    }

    fn finish(&self, id: i64, attempt: i64, done: &Finished) -> Result<bool, QueueError> {
        Ok(Db::finish(
            self,
            id,
            attempt,
            done.state,
            done.reason,
            done.advice,
            done.report,
        )?)
    }

    fn depth(&self) -> Result<Vec<(&'static str, i64)>, QueueError> {
        Ok(Db::depth(self)?)
    }

    fn requeue(&self) -> Result<usize, QueueError> {
        Ok(self.requeue_interrupted()? + self.requeue_days()?)
    }

    fn photo_exists(&self, id: i64) -> Result<bool, QueueError> {
        Ok(self.photo(id)?.is_some())
    }
}

/// How often a worker says it is still making its job.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// How long a job's maker may go without a heartbeat before the job is given to another worker:
/// six heartbeats, so a busy machine does not lose its jobs.
pub const LEASE: Duration = Duration::from_secs(60);

/// The queue in PostgreSQL's rows, shared by any number of servers: claims skip rows other
/// claimers hold, and a job is leased: its worker renews the lease every [`HEARTBEAT`], and a
/// job whose lease ran out (its server was killed) goes back in the queue at the next claim
/// of any server. Its methods are called from worker threads (and blocking tasks), never from
/// the async runtime's own threads: they wait for the database on `runtime`.
pub struct PgQueue {
    pg: Arc<PgState>,
    runtime: tokio::runtime::Handle,
    /// When leases were last looked at.
    swept: Mutex<Option<Instant>>,
}

impl PgQueue {
    pub fn new(pg: Arc<PgState>, runtime: tokio::runtime::Handle) -> PgQueue {
        PgQueue {
            pg,
            runtime,
            swept: Mutex::new(None),
        }
    }
}

impl Queue for PgQueue {
    fn claim(&self) -> Result<Option<Job>, QueueError> {
        let sweep = {
            let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
            let due = swept.is_none_or(|t| t.elapsed() >= HEARTBEAT);
            if due {
                *swept = Some(Instant::now());
            }
            due
        };
        if sweep {
            let n = self.runtime.block_on(self.pg.requeue_stale(LEASE))?;
            if n > 0 {
                tracing::warn!(
                    "{n} photos or headshot days were left by a server that stopped: queued again"
                );
            }
        }
        self.runtime.block_on(async {
            if let Some(p) = self.pg.claim_next().await? {
                return Ok(Some(Job::Photo(p)));
            }
            Ok(self.pg.claim_day().await?.map(Job::Day))
        })
    }

    fn finish(&self, id: i64, attempt: i64, done: &Finished) -> Result<bool, QueueError> {
        Ok(self.runtime.block_on(self.pg.finish(
            id,
            attempt,
            done.state,
            done.reason,
            done.advice,
            done.report,
        ))?)
    }

    fn finish_day(
        &self,
        id: i64,
        attempt: i64,
        state: &str,
        reason: Option<&str>,
        summary: Option<&str>,
        people: &[PersonFinished],
    ) -> Result<bool, QueueError> {
        Ok(self.runtime.block_on(
            self.pg
                .finish_day(id, attempt, state, reason, summary, people),
        )?)
    }

    fn depth(&self) -> Result<Vec<(&'static str, i64)>, QueueError> {
        Ok(self.runtime.block_on(self.pg.depth())?)
    }

    /// Only jobs whose lease ran out: other servers may be making the rest.
    fn requeue(&self) -> Result<usize, QueueError> {
        Ok(self.runtime.block_on(self.pg.requeue_stale(LEASE))?)
    }

    fn heartbeat(&self, job: &Job) -> Result<bool, QueueError> {
        let (table, id, attempt) = match job {
            Job::Photo(p) => (QueueTable::Photos, p.id, p.attempts),
            Job::Day(d) => (QueueTable::Days, d.id, d.attempts),
        };
        Ok(self
            .runtime
            .block_on(self.pg.heartbeat(table, id, attempt))?)
    }

    fn photo_exists(&self, id: i64) -> Result<bool, QueueError> {
        Ok(self.runtime.block_on(self.pg.photo(id))?.is_some())
    }
}
