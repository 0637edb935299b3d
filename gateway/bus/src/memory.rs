//! The in-process bus: the embedded default (design.md 9), with RabbitMQ's semantics for one
//! process — topic routing, per-queue FIFO, prefetch, delayed retry, parking, redelivery of a
//! dropped delivery. Messages live in memory only: they do not survive a restart, which is why
//! the outbox (in the database) is the source of truth and is relayed again on start.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use crate::error::{BusError, BusResult};
use crate::message::{Consumer, Delivery, Message, ParkedMessage, Settle};
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

struct Shared {
    topology: Topology,
    queues: Mutex<HashMap<String, Queue>>,
    /// Woken whenever a message becomes ready in any queue; waiters re-check their own queue.
    ready: Notify,
    closed: watch::Sender<bool>,
}

impl Shared {
    fn queues(&self) -> MutexGuard<'_, HashMap<String, Queue>> {
        // A panic while holding the lock cannot leave a queue half-updated (each update is one
        // push or pop), so the data behind a poisoned lock is still consistent.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
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
        }
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

    async fn check(&self) -> BusResult<()> {
        if self.shared.is_closed() {
            return Err(BusError::Closed);
        }
        Ok(())
    }

    async fn close(&self) {
        self.shared.closed.send_replace(true);
        self.shared.ready.notify_waiters();
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
        self.unsettled = None;
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
