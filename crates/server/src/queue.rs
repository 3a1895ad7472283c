//! The queue of work, behind a small trait: the workers claim a job (a photo to make, or a
//! headshot day to run), do it and finish it; a restarted server puts back what was being done.
//! [`Db`]'s SQLite tables are today's durable queue; a distributed queue implements the same
//! trait, and the workers do not care which one runs.

use crate::days::{Day, PersonFinished};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::{Db, Photo};
use crate::jetstream::{Delivery, JobQueue, JobRef};
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

    /// Says that `job` is still being made, every [`Queue::heartbeat_every`] while it is: a
    /// queue shared by several servers renews the job's lease, so that only a job whose maker
    /// died goes back in the queue. False when the job is no longer this worker's.
    fn heartbeat(&self, _job: &Job) -> Result<bool, QueueError> {
        Ok(true)
    }

    /// Whether the queue answers (the readiness probe): its database, and its broker if any.
    fn ready(&self) -> Result<(), QueueError> {
        self.depth().map(|_| ())
    }

    /// A job was queued on this server (a queue that carries jobs elsewhere sends it now).
    fn queued(&self) {}

    /// Whether [`Queue::claim`] itself waits a while for a job (a worker then asks again at
    /// once instead of waiting to be woken).
    fn waits(&self) -> bool {
        false
    }

    /// How far run `attempt` of day `id` has got, for servers of other processes to show
    /// (called at most every second while it runs).
    fn day_progress(&self, _id: i64, _attempt: i64, _stage: &str, _done: usize, _total: usize) {}

    /// How often a worker calls [`Queue::heartbeat`].
    fn heartbeat_every(&self) -> Duration {
        Duration::from_secs(10)
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

/// The queue in PostgreSQL's rows, shared by any number of servers and workers: claims skip
/// rows other claimers hold, and a job is leased: its worker renews the lease six times within
/// it, and a job whose lease ran out (its worker was killed) goes back in the queue at the next
/// claim of any worker. Its methods are called from worker threads (and blocking tasks), never from
/// the async runtime's own threads: they wait for the database on `runtime`.
pub struct PgQueue {
    pg: Arc<PgState>,
    runtime: tokio::runtime::Handle,
    lease: Duration,
    /// When leases were last looked at.
    swept: Mutex<Option<Instant>>,
}

impl PgQueue {
    pub fn new(pg: Arc<PgState>, runtime: tokio::runtime::Handle, lease: Duration) -> PgQueue {
        PgQueue {
            pg,
            runtime,
            lease: lease.max(Duration::from_secs(1)),
            swept: Mutex::new(None),
        }
    }
}

impl PgQueue {
    /// Puts back in the queue the jobs whose lease ran out, at most once per heartbeat; how many.
    fn sweep(&self) -> Result<usize, QueueError> {
        let due = {
            let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
            let due = swept.is_none_or(|t| t.elapsed() >= self.heartbeat_every());
            if due {
                *swept = Some(Instant::now());
            }
            due
        };
        if !due {
            return Ok(0);
        }
        let n = self.runtime.block_on(self.pg.requeue_stale(self.lease))?;
        if n > 0 {
            tracing::warn!(
                "{n} photos or headshot days were left by a worker that stopped: queued again"
            );
        }
        Ok(n)
    }
}

impl Queue for PgQueue {
    fn claim(&self) -> Result<Option<Job>, QueueError> {
        self.sweep()?;
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
        Ok(self.runtime.block_on(self.pg.requeue_stale(self.lease))?)
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

    fn heartbeat_every(&self) -> Duration {
        self.lease / 6
    }

    fn day_progress(&self, id: i64, attempt: i64, stage: &str, done: usize, total: usize) {
        let set = self
            .pg
            .set_day_progress(id, attempt, stage, done as i64, total as i64);
        if let Err(e) = self.runtime.block_on(set) {
            tracing::warn!("day {id}: cannot record its progress: {e}");
        }
    }

    fn photo_exists(&self, id: i64) -> Result<bool, QueueError> {
        Ok(self.runtime.block_on(self.pg.photo(id))?.is_some())
    }
}

/// The distributed queue: the state in PostgreSQL, the jobs carried to any worker on any
/// machine by a NATS JetStream stream ([`JobQueue`]).
///
/// - **Never lost.** A job is a queued row first (committed before the upload is answered);
///   each server's publisher puts queued rows on the stream, marking the attempt it published
///   (the rows are the stream's outbox). A retried publish is dropped by the stream as a
///   duplicate of the same attempt.
/// - **Exactly once, as people see it.** A delivery claims its row only if it is queued, or
///   being made by a worker whose lease ran out; a delivery that finds its row taken, finished
///   or gone is acknowledged and dropped. An outcome is recorded for the current attempt only,
///   and the job is acknowledged after it is recorded.
/// - **A worker that dies.** Its row's lease runs out and any server's next claim puts it back
///   in the queue; the publisher sends that new attempt, and the stream also delivers the old
///   message again once its ack deadline passes (whichever comes first claims it).
pub struct StreamQueue {
    /// The rows, their claims and leases.
    rows: PgQueue,
    jobs: Arc<JobQueue>,
    /// The deliveries of the jobs this process is making.
    held: Mutex<HashMap<(&'static str, i64), Delivery>>,
    /// Wakes the publisher.
    publish: Arc<tokio::sync::Notify>,
}

impl StreamQueue {
    /// Starts the publisher on the current runtime (call inside it).
    pub fn new(pg: Arc<PgState>, jobs: JobQueue, lease: Duration) -> StreamQueue {
        let jobs = Arc::new(jobs);
        let publish = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(publisher(pg.clone(), jobs.clone(), publish.clone()));
        StreamQueue {
            rows: PgQueue::new(pg, tokio::runtime::Handle::current(), lease),
            jobs,
            held: Mutex::new(HashMap::new()),
            publish,
        }
    }

    fn ack(&self, kind: &'static str, id: i64) {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(kind, id));
        if let Some(delivery) = held {
            if let Err(e) = self.rows.runtime.block_on(delivery.ack()) {
                // Delivered again later, it finds its row finished and is dropped then.
                tracing::warn!("{kind} {id}: {e}");
            }
        }
    }
}

/// Puts queued rows on the job stream: when woken (a job was queued here) and every second
/// (jobs queued by other servers that died before publishing, or put back after a lease ran out).
async fn publisher(pg: Arc<PgState>, jobs: Arc<JobQueue>, wake: Arc<tokio::sync::Notify>) {
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
        let pending = match pg.unpublished(500).await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::warn!("cannot read the jobs to publish: {e}");
                continue;
            }
        };
        for (kind, id, attempt) in pending {
            let job = JobRef {
                kind: kind.into(),
                id,
            };
            let published = match jobs.publish(&job, attempt).await {
                Ok(()) => pg
                    .mark_published(kind, id, attempt)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = published {
                tracing::warn!("cannot publish {kind} {id}: {e}");
                break;
            }
        }
    }
}

impl Queue for StreamQueue {
    fn claim(&self) -> Result<Option<Job>, QueueError> {
        if self.rows.sweep()? > 0 {
            self.publish.notify_one();
        }
        let (pg, runtime, lease) = (&self.rows.pg, &self.rows.runtime, self.rows.lease);
        let Some(delivery) = runtime.block_on(self.jobs.next(Duration::from_secs(1)))? else {
            return Ok(None);
        };
        let id = delivery.job.id;
        let (kind, job) = match delivery.job.kind.as_str() {
            "photo" => (
                "photo",
                runtime.block_on(pg.claim_photo(id, lease))?.map(Job::Photo),
            ),
            "day" => (
                "day",
                runtime
                    .block_on(pg.claim_day_by_id(id, lease))?
                    .map(Job::Day),
            ),
            other => {
                tracing::error!("a job of an unknown kind on the stream: {other} {id}");
                runtime.block_on(delivery.ack())?;
                return Ok(None);
            }
        };
        match job {
            Some(job) => {
                self.held
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert((kind, id), delivery);
                Ok(Some(job))
            }
            None => {
                // Finished, gone, or being made by a live worker: this delivery is spare.
                runtime.block_on(delivery.ack())?;
                Ok(None)
            }
        }
    }

    fn finish(&self, id: i64, attempt: i64, done: &Finished) -> Result<bool, QueueError> {
        let recorded = self.rows.finish(id, attempt, done)?;
        self.ack("photo", id);
        Ok(recorded)
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
        let recorded = self
            .rows
            .finish_day(id, attempt, state, reason, summary, people)?;
        self.ack("day", id);
        Ok(recorded)
    }

    fn depth(&self) -> Result<Vec<(&'static str, i64)>, QueueError> {
        self.rows.depth()
    }

    fn requeue(&self) -> Result<usize, QueueError> {
        self.rows.requeue()
    }

    fn heartbeat(&self, job: &Job) -> Result<bool, QueueError> {
        let mine = self.rows.heartbeat(job)?;
        let key = match job {
            Job::Photo(p) => ("photo", p.id),
            Job::Day(d) => ("day", d.id),
        };
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(delivery) = held.get(&key) {
            self.rows.runtime.block_on(delivery.progress())?;
        }
        Ok(mine)
    }

    fn heartbeat_every(&self) -> Duration {
        self.rows.heartbeat_every()
    }

    fn day_progress(&self, id: i64, attempt: i64, stage: &str, done: usize, total: usize) {
        self.rows.day_progress(id, attempt, stage, done, total)
    }

    fn queued(&self) {
        self.publish.notify_one();
    }

    fn waits(&self) -> bool {
        true
    }

    fn ready(&self) -> Result<(), QueueError> {
        self.rows.depth()?;
        self.rows
            .runtime
            .block_on(self.jobs.depth())
            .map_err(|e| format!("NATS: {e}"))?;
        Ok(())
    }

    fn photo_exists(&self, id: i64) -> Result<bool, QueueError> {
        self.rows.photo_exists(id)
    }
}
