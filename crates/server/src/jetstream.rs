//! The distributed job queue: a NATS JetStream work-queue stream that carries which job to do
//! (a photo or a headshot day, by id) from any server replica to any worker.
//!
//! - **Durable**: the stream is stored in files and replicated (R3 in a 3-node cluster); a
//!   publish returns once the cluster has stored the job.
//! - **At least once**: a worker acknowledges a job only after its outcome is recorded. A
//!   worker that dies (or stalls longer than the ack deadline without sending progress) has its
//!   job delivered again to another worker. Recording an outcome is idempotent on the database's
//!   side (it names the attempt), so a job delivered twice is recorded once.
//! - **Bounded**: a job that keeps failing is delivered at most `max_deliver` times, then moved to
//!   the dead-letter stream with the reason, and taken off the queue. The bound is kept here, not
//!   by the server's own `max_deliver` (which would strand the job if the move failed): a job
//!   delivered more often than that (its workers died each time) is moved on delivery.
//! - **No duplicates on resubmission**: a publish carries `Nats-Msg-Id` (`kind-id-generation`),
//!   so a server that retries a publish after a lost answer does not queue the job twice.

use std::time::Duration;

use async_nats::jetstream::consumer::pull::Config as PullConfig;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::{Config as StreamConfig, RetentionPolicy, StorageType};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::queue::QueueError;

/// The stream of jobs to do, its subjects, the workers' consumer, and the dead letters.
pub const JOBS_STREAM: &str = "TRUESHOT_JOBS";
pub const DEAD_STREAM: &str = "TRUESHOT_DEAD";
const CONSUMER: &str = "workers";

/// How the queue is set up.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// Copies of each stream (3 in a 3-node cluster; at most the number of nodes).
    pub replicas: usize,
    /// A job not acknowledged, and without progress, for this long is delivered again.
    pub ack_wait: Duration,
    /// Deliveries of a job before it goes to the dead letters.
    pub max_deliver: i64,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            replicas: 3,
            ack_wait: Duration::from_secs(60),
            max_deliver: 5,
        }
    }
}

/// Which job: a photo or a headshot day, by its id in the database.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobRef {
    /// `photo` or `day`.
    pub kind: String,
    pub id: i64,
}

/// A job delivered to this worker. Acknowledge it once its outcome is recorded; send progress
/// while a long job runs; give it back when it failed.
pub struct Delivery {
    pub job: JobRef,
    /// Deliveries so far, this one included.
    pub delivered: i64,
    message: async_nats::jetstream::Message,
}

/// The queue on a NATS cluster.
pub struct JobQueue {
    js: async_nats::jetstream::Context,
    consumer: PullConsumer,
    config: JobConfig,
}

fn err(what: &str, e: impl std::fmt::Display) -> QueueError {
    format!("{what}: {e}").into()
}

impl JobQueue {
    /// Connects to the cluster (`nats://host:port` URLs; the client moves to another node when
    /// one goes away) and creates the streams and the consumer if they do not exist.
    pub async fn connect(urls: &[String], config: JobConfig) -> Result<JobQueue, QueueError> {
        let client = async_nats::ConnectOptions::new()
            .name("trueshot")
            .retry_on_initial_connect()
            .connect(urls)
            .await
            .map_err(|e| err("cannot connect to NATS", e))?;
        let js = async_nats::jetstream::new(client);
        let jobs = js
            .get_or_create_stream(StreamConfig {
                name: JOBS_STREAM.into(),
                subjects: vec!["trueshot.jobs.*".into()],
                retention: RetentionPolicy::WorkQueue,
                storage: StorageType::File,
                num_replicas: config.replicas,
                duplicate_window: Duration::from_secs(120),
                ..StreamConfig::default()
            })
            .await
            .map_err(|e| err("cannot create the job stream", e))?;
        js.get_or_create_stream(StreamConfig {
            name: DEAD_STREAM.into(),
            subjects: vec!["trueshot.dead.*".into()],
            retention: RetentionPolicy::Limits,
            storage: StorageType::File,
            num_replicas: config.replicas,
            duplicate_window: Duration::from_secs(120),
            ..StreamConfig::default()
        })
        .await
        .map_err(|e| err("cannot create the dead-letter stream", e))?;
        let consumer: PullConsumer = jobs
            .get_or_create_consumer(
                CONSUMER,
                PullConfig {
                    durable_name: Some(CONSUMER.into()),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: config.ack_wait,
                    // Unlimited on the server: `next` and `failed` keep the bound.
                    max_deliver: -1,
                    ..PullConfig::default()
                },
            )
            .await
            .map_err(|e| err("cannot create the workers' consumer", e))?;
        Ok(JobQueue {
            js,
            consumer,
            config,
        })
    }

    /// Queues a job; returns once the cluster has stored it. `generation` tells a new request
    /// for the same job (a redo) from a retry of this one, which is dropped as a duplicate.
    pub async fn publish(&self, job: &JobRef, generation: i64) -> Result<(), QueueError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("{}-{}-{generation}", job.kind, job.id).as_str(),
        );
        let payload = serde_json::to_vec(job).map_err(|e| err("job", e))?;
        self.js
            .publish_with_headers(
                format!("trueshot.jobs.{}", job.kind),
                headers,
                payload.into(),
            )
            .await
            .map_err(|e| err("cannot queue the job", e))?
            .await
            .map_err(|e| err("the cluster did not store the job", e))?;
        Ok(())
    }

    /// The next job, waiting at most `wait`; `None` when there was none.
    pub async fn next(&self, wait: Duration) -> Result<Option<Delivery>, QueueError> {
        let mut batch = self
            .consumer
            .fetch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| err("cannot fetch a job", e))?;
        let Some(message) = batch.next().await else {
            return Ok(None);
        };
        let message = message.map_err(|e| err("cannot fetch a job", e))?;
        let delivered = message.info().map_err(|e| err("job", e))?.delivered;
        let job = match serde_json::from_slice::<JobRef>(&message.payload) {
            Ok(job) => job,
            Err(e) => {
                // Not a job of ours: set aside with why, never delivered again.
                let reason = format!("not a job: {e}");
                self.bury(&message, &reason).await?;
                return Err(err("a message on the job stream", reason));
            }
        };
        if delivered > self.config.max_deliver {
            // Every worker that took it stopped without an outcome (it may be what stops them).
            let reason = format!(
                "delivered {delivered} times and never finished: the workers stopped each time"
            );
            tracing::error!("{} {}: {reason}", job.kind, job.id);
            self.bury(&message, &reason).await?;
            return Ok(None);
        }
        Ok(Some(Delivery {
            job,
            delivered,
            message,
        }))
    }

    /// Jobs on the queue, waiting or being worked on (the metrics' queue depth). Read from the
    /// stream's leader, which has every job whose publish was answered.
    pub async fn depth(&self) -> Result<u64, QueueError> {
        self.messages(JOBS_STREAM).await
    }

    /// Jobs in the dead letters.
    pub async fn dead(&self) -> Result<u64, QueueError> {
        self.messages(DEAD_STREAM).await
    }

    async fn messages(&self, stream: &str) -> Result<u64, QueueError> {
        let info = self
            .js
            .get_stream(stream)
            .await
            .map_err(|e| err("cannot read the queue", e))?
            .get_info()
            .await
            .map_err(|e| err("cannot read the queue", e))?;
        Ok(info.state.messages)
    }

    async fn bury(
        &self,
        message: &async_nats::jetstream::Message,
        reason: &str,
    ) -> Result<(), QueueError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Trueshot-Reason", reason);
        // Moved once even if the job comes again because its removal below was lost.
        let sequence = message.info().map_or(0, |i| i.stream_sequence);
        headers.insert("Nats-Msg-Id", format!("dead-{sequence}").as_str());
        let kind = message.subject.split('.').next_back().unwrap_or("unknown");
        self.js
            .publish_with_headers(
                format!("trueshot.dead.{kind}"),
                headers,
                message.payload.clone(),
            )
            .await
            .map_err(|e| err("cannot move a job to the dead letters", e))?
            .await
            .map_err(|e| err("cannot move a job to the dead letters", e))?;
        message
            .ack_with(AckKind::Term)
            .await
            .map_err(|e| err("cannot take the job off the queue", e))
    }

    /// Gives back a job whose attempt failed: delivered again after `delay`, or, after
    /// `max_deliver` deliveries, moved to the dead letters with `reason`.
    pub async fn failed(
        &self,
        delivery: Delivery,
        reason: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        if delivery.delivered >= self.config.max_deliver {
            tracing::error!(
                "{} {} failed {} times: moved to the dead letters ({reason})",
                delivery.job.kind,
                delivery.job.id,
                delivery.delivered
            );
            let buried = self.bury(&delivery.message, reason).await;
            if buried.is_err() {
                // The move failed (a node going away): the job comes once more, and `next`
                // moves it then.
                let _ = delivery.message.ack_with(AckKind::Nak(Some(delay))).await;
            }
            buried
        } else {
            delivery
                .message
                .ack_with(AckKind::Nak(Some(delay)))
                .await
                .map_err(|e| err("cannot give the job back", e))
        }
    }
}

impl Delivery {
    /// The job is done and its outcome recorded: it leaves the queue (the server confirms).
    pub async fn ack(self) -> Result<(), QueueError> {
        self.message
            .double_ack()
            .await
            .map_err(|e| err("cannot acknowledge the job", e))
    }

    /// The job is still being worked on: its ack deadline starts again.
    pub async fn progress(&self) -> Result<(), QueueError> {
        self.message
            .ack_with(AckKind::Progress)
            .await
            .map_err(|e| err("cannot report progress", e))
    }
}
