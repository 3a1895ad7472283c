//! The queue of work, behind a small trait: the workers claim a job (a photo to make, or a
//! headshot day to run), do it and finish it; a restarted server puts back what was being done.
//! [`Db`]'s SQLite tables are today's durable queue; a distributed queue implements the same
//! trait, and the workers do not care which one runs.

use crate::days::{Day, PersonFinished};
use crate::db::{Db, Photo};

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

    fn requeue(&self) -> Result<usize, QueueError> {
        Ok(self.requeue_interrupted()? + self.requeue_days()?)
    }
}
