//! The queue of photos to make, behind a small trait: the workers claim a photo, make it and
//! finish it; a restarted server puts back what was being made. [`Db`]'s SQLite table is today's
//! durable queue; a distributed queue implements the same trait, and the workers do not care
//! which one runs.

use crate::db::{Db, Photo};

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
    /// Takes the oldest queued photo for processing (its attempt counted), if any.
    fn claim(&self) -> Result<Option<Photo>, QueueError>;

    /// Records the outcome of attempt `attempt` at photo `id`. Finishing twice is harmless: it is
    /// false (nothing recorded) when the photo is gone or no longer in that attempt.
    fn finish(&self, id: i64, attempt: i64, done: &Finished) -> Result<bool, QueueError>;

    /// Puts the photos that were being made when the server stopped back in the queue (except
    /// one that stopped it three times in a row); how many.
    fn requeue(&self) -> Result<usize, QueueError>;
}

impl Queue for Db {
    fn claim(&self) -> Result<Option<Photo>, QueueError> {
        Ok(self.claim_next()?)
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

    fn requeue(&self) -> Result<usize, QueueError> {
        Ok(self.requeue_interrupted()?)
    }
}
