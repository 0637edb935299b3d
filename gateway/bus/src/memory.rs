//! The in-process bus: the embedded default (design.md 9), with RabbitMQ's semantics for one
//! process — topic routing, per-queue FIFO, prefetch, delayed retry, parking, redelivery of a
//! dropped delivery. Messages live in memory only: they do not survive a restart, so the bus
//! is not [`durable`](Bus::durable) and reports each message once every queue it went to has
//! acked or parked it ([`Bus::settlements`]). The outbox (in the database) keeps every message
//! until then, and the relay publishes again, at start, each one a stopped process left
//! unsettled.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::error::{BusError, BusResult};
use crate::message::{Consumer, Delivery, Message, ParkedMessage, Settle, Settlements};
use crate::topology::Topology;
use crate::{BoxConsumer, Bus};

/// A message waiting in a queue and how many deliveries it has had.
struct Envelope {
    message: Message,
    deliveries: u32,
}

#[derive(Default)]
struct Queue {
    ready: VecDeque<Envelope>,
    parked: Vec<ParkedMessage>,
}

/// Which messages still have copies in queues or in consumers' hands, and who is told when a
/// message has none left.
#[derive(Default)]
struct Settling {
    /// Per message id: copies routed to a queue and neither acked nor parked yet.
    open: HashMap<String, usize>,
    /// The subscribers of [`Bus::settlements`].
    listeners: Vec<mpsc::UnboundedSender<String>>,
}

impl Settling {
    /// `copies` more copies of `id` were queued.
    fn opened(&mut self, id: &str, copies: usize) {
        *self.open.entry(id.to_owned()).or_default() += copies;
    }

    /// One copy of `id` was acked or parked; the last one settles the message.
    fn settle_copy(&mut self, id: &str) {
        let Some(left) = self.open.get_mut(id) else {
            return;
        };
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.open.remove(id);
            self.announce(id);
        }
    }

    /// Tells every live subscriber that `id` is settled.
    fn announce(&mut self, id: &str) {
        self.listeners
            .retain(|listener| listener.send(id.to_owned()).is_ok());
    }
}

struct Shared {
    topology: Topology,
    queues: Mutex<HashMap<String, Queue>>,
    /// Woken whenever a message becomes ready in any queue; waiters re-check their own queue.
    ready: Notify,
    closed: watch::Sender<bool>,
    settling: Mutex<Settling>,
}

impl Shared {
    fn queues(&self) -> MutexGuard<'_, HashMap<String, Queue>> {
        // A panic while holding the lock cannot leave a queue half-updated (each update is one
        // push or pop), so the data behind a poisoned lock is still consistent.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn settling(&self) -> MutexGuard<'_, Settling> {
        // Each update is one count or one send: consistent behind a poisoned lock too.
        self.settling.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    fn push(&self, queue: &str, envelope: Envelope, front: bool) {
        if let Some(q) = self.queues().get_mut(queue) {
            if front {
                q.ready.push_front(envelope);
            } else {
                q.ready.push_back(envelope);
            }
        }
        self.ready.notify_waiters();
    }
}

/// The in-process [`Bus`].
pub struct MemoryBus {
    shared: Arc<Shared>,
}

impl MemoryBus {
    /// A bus with the queues of `topology`, all empty.
    pub fn new(topology: Topology) -> Self {
        let queues = topology
            .queues
            .iter()
            .map(|q| (q.name.clone(), Queue::default()))
            .collect();
        let (closed, _) = watch::channel(false);
        MemoryBus {
            shared: Arc::new(Shared {
                topology,
                queues: Mutex::new(queues),
                ready: Notify::new(),
                closed,
                settling: Mutex::new(Settling::default()),
            }),
        }
    }

    fn check_queue(&self, queue: &str) -> BusResult<()> {
        match self.shared.topology.queue(queue) {
            Some(_) => Ok(()),
            None => Err(BusError::UnknownQueue {
                queue: queue.to_owned(),
            }),
        }
    }
}

#[async_trait]
impl Bus for MemoryBus {
    #[tracing::instrument(skip_all, fields(message_id = %message.message_id, routing_key = %message.routing_key))]
    async fn publish(&self, message: &Message) -> BusResult<()> {
        if self.shared.is_closed() {
            return Err(BusError::Closed);
        }
        message.check_headers()?;
        let targets: Vec<String> = self
            .shared
            .topology
            .route(&message.routing_key)
            .map(|q| q.name.clone())
            .collect();
        if targets.is_empty() {
            tracing::debug!("no queue bound for routing key, message dropped");
            // Like RabbitMQ's confirm of an unroutable message: nothing is left to wait for.
            self.shared.settling().announce(&message.message_id);
            return Ok(());
        }
        // Counted before any copy is queued, so an ack cannot come before its count.
        self.shared
            .settling()
            .opened(&message.message_id, targets.len());
        {
            let mut queues = self.shared.queues();
            for name in &targets {
                if let Some(q) = queues.get_mut(name) {
                    q.ready.push_back(Envelope {
                        message: message.clone(),
                        deliveries: 0,
                    });
                }
            }
        }
        self.shared.ready.notify_waiters();
        Ok(())
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> BusResult<BoxConsumer> {
        if self.shared.is_closed() {
            return Err(BusError::Closed);
        }
        self.check_queue(queue)?;
        Ok(Box::new(MemoryConsumer {
            shared: Arc::clone(&self.shared),
            queue: queue.to_owned(),
            slots: Arc::new(Semaphore::new(usize::from(prefetch.max(1)))),
            closed: self.shared.closed.subscribe(),
        }))
    }

    async fn parked(&self, queue: &str, limit: usize) -> BusResult<Vec<ParkedMessage>> {
        self.check_queue(queue)?;
        let queues = self.shared.queues();
        Ok(queues
            .get(queue)
            .map(|q| q.parked.iter().take(limit).cloned().collect())
            .unwrap_or_default())
    }

    fn durable(&self) -> bool {
        false
    }

    fn settlements(&self) -> Option<Settlements> {
        let (tx, rx) = mpsc::unbounded_channel();
        if !self.shared.is_closed() {
            self.shared.settling().listeners.push(tx);
        }
        // On a closed bus the sender is dropped here: the stream ends at once.
        Some(Settlements(rx))
    }

    async fn check(&self) -> BusResult<()> {
        if self.shared.is_closed() {
            return Err(BusError::Closed);
        }
        Ok(())
    }

    async fn close(&self) {
        self.shared.closed.send_replace(true);
        self.shared.ready.notify_waiters();
        // Messages still queued or in consumers' hands are never settled: their publisher
        // sends them again after a restart. Dropping the senders ends the streams.
        self.shared.settling().listeners.clear();
    }
}

struct MemoryConsumer {
    shared: Arc<Shared>,
    queue: String,
    /// One permit per unsettled delivery: `prefetch` bounds what is in flight.
    slots: Arc<Semaphore>,
    closed: watch::Receiver<bool>,
}

impl MemoryConsumer {
    /// Waits for a ready message and takes it, or returns `None` when the bus closes.
    async fn take(&mut self) -> Option<Envelope> {
        loop {
            let ready = self.shared.ready.notified();
            tokio::pin!(ready);
            // Register interest before looking, so a publish between the look and the wait
            // still wakes us.
            ready.as_mut().enable();
            if self.shared.is_closed() {
                return None;
            }
            if let Some(envelope) = self
                .shared
                .queues()
                .get_mut(&self.queue)
                .and_then(|q| q.ready.pop_front())
            {
                return Some(envelope);
            }
            ready.await;
        }
    }
}

#[async_trait]
impl Consumer for MemoryConsumer {
    async fn next(&mut self) -> Option<BusResult<Delivery>> {
        let permit = tokio::select! {
            permit = Arc::clone(&self.slots).acquire_owned() => permit.ok()?,
            _ = self.closed.wait_for(|closed| *closed) => return None,
        };
        let mut envelope = self.take().await?;
        envelope.deliveries += 1;
        let attempt = envelope.deliveries;
        let settle = MemorySettle {
            shared: Arc::clone(&self.shared),
            queue: self.queue.clone(),
            unsettled: Some(Envelope {
                message: envelope.message.clone(),
                deliveries: attempt,
            }),
            _permit: permit,
        };
        Some(Ok(Delivery::new(
            envelope.message,
            attempt,
            Box::new(settle),
            self.shared.topology.retry,
        )))
    }
}

struct MemorySettle {
    shared: Arc<Shared>,
    queue: String,
    /// The message while it is neither acked nor retried nor parked; put back on drop.
    unsettled: Option<Envelope>,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl Settle for MemorySettle {
    async fn ack(mut self: Box<Self>) -> BusResult<()> {
        if let Some(envelope) = self.unsettled.take() {
            self.shared
                .settling()
                .settle_copy(&envelope.message.message_id);
        }
        Ok(())
    }

    async fn redeliver_after(
        mut self: Box<Self>,
        message: &Message,
        attempts: u32,
        delay: Duration,
    ) -> BusResult<()> {
        self.unsettled = None;
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        let queue = self.queue.clone();
        let envelope = Envelope {
            message: message.clone(),
            deliveries: attempts,
        };
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // A closed and dropped bus has nobody to deliver to.
            if let Some(shared) = shared.upgrade() {
                shared.push(&queue, envelope, false);
            }
        });
        Ok(())
    }

    async fn park(
        mut self: Box<Self>,
        message: &Message,
        reason: &str,
        attempts: u32,
    ) -> BusResult<()> {
        self.unsettled = None;
        if let Some(q) = self.shared.queues().get_mut(&self.queue) {
            q.parked.push(ParkedMessage {
                message: message.clone(),
                reason: reason.to_owned(),
                attempts,
            });
        }
        // Parked: its consumer gave up and recorded why (a failed transaction, replayed from
        // the database), so nothing is owed on this message any more.
        self.shared.settling().settle_copy(&message.message_id);
        Ok(())
    }
}

impl Drop for MemorySettle {
    fn drop(&mut self) {
        // Dropped without a decision (e.g. the worker panicked): like a closed AMQP channel,
        // the message goes back to the head of its queue for redelivery.
        if let Some(envelope) = self.unsettled.take() {
            tracing::debug!(
                queue = %self.queue,
                message_id = %envelope.message.message_id,
                "delivery dropped unsettled, requeueing"
            );
            self.shared.push(&self.queue, envelope, true);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::topology::{QueueSpec, RetryPolicy};

    fn message(id: &str, routing_key: &str) -> Message {
        Message {
            message_id: id.to_owned(),
            routing_key: routing_key.to_owned(),
            headers: Default::default(),
            payload: id.as_bytes().to_vec(),
        }
    }

    /// Two queues bound to `claim.*`, one to `contract.*`; retries after 10 ms.
    fn bus() -> MemoryBus {
        let queue = |name: &str, binding: &str| QueueSpec {
            name: name.to_owned(),
            bindings: vec![binding.to_owned()],
        };
        MemoryBus::new(Topology {
            exchange: "x".to_owned(),
            dead_letter_exchange: "dlx".to_owned(),
            queues: vec![
                queue("a", "claim.*"),
                queue("b", "claim.*"),
                queue("c", "contract.*"),
            ],
            retry: RetryPolicy {
                max_attempts: 3,
                first_delay: Duration::from_millis(10),
                factor: 1,
                max_delay: Duration::from_millis(10),
            },
        })
    }

    async fn next(consumer: &mut BoxConsumer) -> Delivery {
        tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("a delivery")
            .expect("open")
            .expect("no error")
    }

    /// Nothing settled is waiting in the stream.
    fn nothing_settled(settled: &mut Settlements) {
        assert!(matches!(
            settled.0.try_recv(),
            Err(mpsc::error::TryRecvError::Empty)
        ));
    }

    #[tokio::test]
    async fn a_message_is_settled_once_every_queue_it_went_to_acked_or_parked_it() {
        let bus = bus();
        assert!(!bus.durable());
        let mut settled = bus
            .settlements()
            .expect("the in-process bus reports settlements");
        let (mut a, mut b, mut c) = (
            bus.consume("a", 1).await.unwrap(),
            bus.consume("b", 1).await.unwrap(),
            bus.consume("c", 1).await.unwrap(),
        );

        // No queue is bound for it: settled as it is published.
        bus.publish(&message("unrouted", "invoice.acme"))
            .await
            .unwrap();
        assert_eq!(settled.next().await.as_deref(), Some("unrouted"));

        // Two copies: acked in one queue, parked in the other.
        bus.publish(&message("two", "claim.acme")).await.unwrap();
        next(&mut a).await.ack().await.unwrap();
        nothing_settled(&mut settled);
        next(&mut b).await.dead_letter("bad").await.unwrap();
        assert_eq!(settled.next().await.as_deref(), Some("two"));

        // A retried or dropped delivery is not settled; its later ack is.
        bus.publish(&message("flaky", "contract.acme"))
            .await
            .unwrap();
        next(&mut c).await.retry("busy").await.unwrap();
        nothing_settled(&mut settled);
        drop(next(&mut c).await);
        nothing_settled(&mut settled);
        let third = next(&mut c).await;
        assert_eq!(third.attempt, 3);
        third.ack().await.unwrap();
        assert_eq!(settled.next().await.as_deref(), Some("flaky"));

        // Left in a queue when the bus closes: never settled, and the stream ends.
        bus.publish(&message("left", "contract.acme"))
            .await
            .unwrap();
        bus.close().await;
        assert_eq!(settled.next().await, None);
        assert!(
            bus.settlements()
                .is_some_and(|mut s| s.0.try_recv().is_err())
        );
    }
}
