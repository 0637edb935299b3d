//! Message bus between the gateway's steps (design.md 6): RabbitMQ through lapin in production,
//! an in-process bus on embedded defaults, one trait and one contract test suite
//! (`tests/contract.rs`) that both pass.
//!
//! [`connect`] picks the backend from the URL and declares the [`Topology`]. Publishing resolves
//! only once the message is safe (broker confirm, or in the in-process queues); consumers
//! settle each [`Delivery`] with `ack`, `retry` (growing delay, then parking) or
//! `dead_letter`, and an unsettled delivery comes back. The in-process bus is not
//! [`durable`](Bus::durable): what it holds dies with the process, so it reports each message
//! once its consumers settled it ([`Bus::settlements`]) and its publisher keeps its own copy
//! until then.

mod amqp;
mod error;
mod memory;
mod message;
mod topology;

use std::sync::Arc;

use async_trait::async_trait;

pub use amqp::{AmqpBus, delete_topology};
pub use error::{BusError, BusResult};
pub use memory::MemoryBus;
pub use message::{Consumer, Delivery, Disposition, Message, ParkedMessage, Settlements};
pub use topology::{QueueSpec, RetryPolicy, Topology, parking_queue, topic_matches};

/// A consumer as handed out by [`Bus::consume`].
pub type BoxConsumer = Box<dyn Consumer>;

/// Publish to the exchange, consume from queues, inspect parked messages.
#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes to the topic exchange; resolves only when the broker confirmed the message
    /// (publisher confirms; persistent). An unrouted routing key is confirmed and goes nowhere.
    async fn publish(&self, message: &Message) -> BusResult<()>;
    /// Consumes `queue` with at most `prefetch` unsettled deliveries at a time. During a
    /// RabbitMQ outage the consumer is still handed out and subscribes once reconnected.
    async fn consume(&self, queue: &str, prefetch: u16) -> BusResult<BoxConsumer>;
    /// Messages dead-lettered from `queue` (its parking queue), oldest first, for ops and
    /// replay; they stay parked.
    async fn parked(&self, queue: &str, limit: usize) -> BusResult<Vec<ParkedMessage>>;
    /// Whether a message outlives this process once `publish` returned: true for RabbitMQ
    /// (persistent messages, durable queues, publisher confirms). The in-process bus holds
    /// messages in memory only, so a publisher must keep its own copy (the outbox row) until
    /// [`Bus::settlements`] names the message, and publish again, after a restart, whatever
    /// was never named.
    fn durable(&self) -> bool;
    /// On a bus that is not [`durable`](Bus::durable): the id of each message published from
    /// now on, once every queue it was routed to has settled it — acked (after its consumer
    /// committed) or parked (its consumer gave up and recorded why) — and at once for a message
    /// no queue is bound for. A retried or dropped delivery is not settled. The stream ends
    /// when the bus closes. `None` on a durable bus, whose confirm already makes a message
    /// safe.
    fn settlements(&self) -> Option<Settlements>;
    /// Liveness of the connection, for `/readyz`.
    async fn check(&self) -> BusResult<()>;
    /// Stops the bus: consumers end, publishing fails.
    async fn close(&self);
}

/// `memory://` gives the in-process bus; `amqp://…` connects to RabbitMQ, declares the
/// topology (idempotent) and keeps the connection up with reconnect and backoff.
pub async fn connect(url: &str, topology: Topology) -> BusResult<Arc<dyn Bus>> {
    if url.starts_with("memory:") {
        return Ok(Arc::new(MemoryBus::new(topology)));
    }
    if url.starts_with("amqp://") || url.starts_with("amqps://") {
        return Ok(Arc::new(AmqpBus::connect(url, topology).await?));
    }
    Err(BusError::UnsupportedUrl { url: redact(url) })
}

/// The URL without its user information, fit for an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_credentials_only() {
        assert_eq!(
            redact("kafka://user:secret@host:9092"),
            "kafka://***@host:9092"
        );
        assert_eq!(redact("nats://host"), "nats://host");
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused_without_leaking_the_password() {
        let error = connect("kafka://user:secret@host", Topology::chargegate())
            .await
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unsupported bus url scheme: kafka://***@host")
        );
    }
}
