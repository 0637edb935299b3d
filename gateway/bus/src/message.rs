//! Messages, deliveries and how a consumer settles them (ack, retry, dead-letter).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::{BusError, BusResult};
use crate::topology::RetryPolicy;

/// A document on the bus. `message_id` is the idempotency key (design.md 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Idempotency key: consumers ignore a message id they already applied.
    pub message_id: String,
    /// `<doc type>.<partner>`, matched against the queues' topic bindings.
    pub routing_key: String,
    /// Doc type, partner, schema version and the like; names starting with `x-` are reserved.
    pub headers: BTreeMap<String, String>,
    /// The document bytes.
    pub payload: Vec<u8>,
}

impl Message {
    /// Fails when a header name uses the `x-` prefix the bus and the broker keep for themselves.
    pub(crate) fn check_headers(&self) -> BusResult<()> {
        match self.headers.keys().find(|name| is_reserved_header(name)) {
            Some(name) => Err(BusError::ReservedHeader { name: name.clone() }),
            None => Ok(()),
        }
    }
}

/// Header names the bus and the broker use for their own bookkeeping.
pub(crate) fn is_reserved_header(name: &str) -> bool {
    name.len() >= 2 && name[..2].eq_ignore_ascii_case("x-")
}

/// A message dead-lettered from a queue, kept in its parking queue for ops and replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedMessage {
    /// The message as it was published.
    pub message: Message,
    /// Why it was parked (the consumer's reason, or the broker's).
    pub reason: String,
    /// How many deliveries it had before it was parked.
    pub attempts: u32,
}

/// What [`Delivery::retry`] did with the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The message comes back to the queue after `delay`.
    Retried {
        /// How long until the next delivery.
        delay: Duration,
    },
    /// The message had its last attempt and was moved to the parking queue.
    DeadLettered,
}

/// The backend's side of a delivery: how to settle it. Dropping an unsettled one makes the
/// message available again (redelivery).
#[async_trait]
pub(crate) trait Settle: Send {
    /// The message is done; remove it.
    async fn ack(self: Box<Self>) -> BusResult<()>;
    /// Deliver the message again after `delay`; `attempts` deliveries have happened so far.
    async fn redeliver_after(
        self: Box<Self>,
        message: &Message,
        attempts: u32,
        delay: Duration,
    ) -> BusResult<()>;
    /// Move the message to the parking queue with `reason`.
    async fn park(self: Box<Self>, message: &Message, reason: &str, attempts: u32)
    -> BusResult<()>;
}

/// One delivery of a message to a consumer. Settle it with [`Delivery::ack`],
/// [`Delivery::retry`] or [`Delivery::dead_letter`]; dropping it unsettled redelivers it.
pub struct Delivery {
    /// The message delivered.
    pub message: Message,
    /// Which delivery of this message this is: 1 = first; counts retries and redeliveries
    /// after a dropped delivery or a lost connection.
    pub attempt: u32,
    settle: Box<dyn Settle>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("message", &self.message)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub(crate) fn new(
        message: Message,
        attempt: u32,
        settle: Box<dyn Settle>,
        retry: RetryPolicy,
    ) -> Self {
        Delivery {
            message,
            attempt,
            settle,
            retry,
        }
    }

    /// Acknowledge: the message is processed (after the consumer's DB commit) and removed.
    #[tracing::instrument(skip_all, fields(message_id = %self.message.message_id, routing_key = %self.message.routing_key))]
    pub async fn ack(self) -> BusResult<()> {
        self.settle.ack().await
    }

    /// Redeliver later with growing delay (`first_delay * factor^(attempt-1)`, capped at
    /// `max_delay`); after `max_attempts` deliveries, dead-letter to the parking queue instead.
    #[tracing::instrument(skip_all, fields(message_id = %self.message.message_id, routing_key = %self.message.routing_key, attempt = self.attempt))]
    pub async fn retry(self, reason: &str) -> BusResult<Disposition> {
        if self.attempt >= self.retry.max_attempts {
            tracing::warn!(reason, "retries exhausted, parking message");
            self.settle
                .park(&self.message, reason, self.attempt)
                .await?;
            return Ok(Disposition::DeadLettered);
        }
        let delay = self.retry.delay_after(self.attempt);
        tracing::info!(
            reason,
            delay_ms = delay.as_millis() as u64,
            "retrying message"
        );
        self.settle
            .redeliver_after(&self.message, self.attempt, delay)
            .await?;
        Ok(Disposition::Retried { delay })
    }

    /// Dead-letter now (a permanent failure); the reason is kept with the parked message.
    #[tracing::instrument(skip_all, fields(message_id = %self.message.message_id, routing_key = %self.message.routing_key, attempt = self.attempt))]
    pub async fn dead_letter(self, reason: &str) -> BusResult<()> {
        tracing::warn!(reason, "dead-lettering message");
        self.settle.park(&self.message, reason, self.attempt).await
    }
}

/// A stream of deliveries from one queue.
#[async_trait]
pub trait Consumer: Send {
    /// The next delivery; waits while the queue is empty or `prefetch` deliveries are
    /// unsettled. `None` once the bus is closed.
    async fn next(&mut self) -> Option<BusResult<Delivery>>;
}

/// The message ids a bus that is not durable reports settled (see
/// [`Bus::settlements`](crate::Bus::settlements)), in the order they were settled.
#[derive(Debug)]
pub struct Settlements(pub(crate) mpsc::UnboundedReceiver<String>);

impl Settlements {
    /// The next settled message id; `None` once the bus closed and every id was taken.
    pub async fn next(&mut self) -> Option<String> {
        self.0.recv().await
    }

    /// Waits for at least one settled id and appends up to `limit` of those waiting to
    /// `into`; returns how many, 0 once the bus closed and every id was taken.
    pub async fn next_batch(&mut self, into: &mut Vec<String>, limit: usize) -> usize {
        self.0.recv_many(into, limit.max(1)).await
    }
}
