//! RabbitMQ through lapin on tokio: the production bus (design.md 6).
//!
//! Topology and retry queues are in `declare`, the connection and its reconnect loop in
//! `link`, the header conventions in `codec`. Retry sends a copy of the message (confirmed) to
//! the queue's delay queue for that delay and then acks the original; parking does the same
//! through the dead-letter exchange, so the reason travels as a header. A crash between the
//! confirm and the ack leaves both copies, which is at-least-once delivery: consumers skip a
//! `message_id` they already applied.

mod codec;
mod declare;
mod link;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::acker::Acker;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties};

use self::link::{Link, Session};
use crate::error::{BusError, BusResult};
use crate::message::{Consumer, Delivery, Message, ParkedMessage, Settle, Settlements};
use crate::topology::{Topology, parking_queue};
use crate::{BoxConsumer, Bus};

/// Pause before resubscribing when a consumer failed on a connection that is still up, so a
/// persistent channel error does not spin.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_millis(200);

/// The RabbitMQ [`Bus`].
pub struct AmqpBus {
    link: Arc<Link>,
}

impl AmqpBus {
    /// Connects, declares `topology` and starts the reconnect supervisor.
    pub async fn connect(url: &str, topology: Topology) -> BusResult<Self> {
        Ok(AmqpBus {
            link: Link::start(url, topology).await?,
        })
    }

    fn check_queue(&self, queue: &str) -> BusResult<()> {
        match self.link.topology().queue(queue) {
            Some(_) => Ok(()),
            None => Err(BusError::UnknownQueue {
                queue: queue.to_owned(),
            }),
        }
    }
}

impl Drop for AmqpBus {
    fn drop(&mut self) {
        // Without this the supervisor would keep the connection up for nobody.
        if !self.link.is_closed() {
            let link = Arc::clone(&self.link);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { link.close().await });
            }
        }
    }
}

#[async_trait]
impl Bus for AmqpBus {
    #[tracing::instrument(skip_all, fields(message_id = %message.message_id, routing_key = %message.routing_key))]
    async fn publish(&self, message: &Message) -> BusResult<()> {
        message.check_headers()?;
        let exchange = &self.link.topology().exchange;
        self.link
            .publish_confirmed(exchange, &message.routing_key, message, &[], false)
            .await
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> BusResult<BoxConsumer> {
        self.check_queue(queue)?;
        let mut consumer = AmqpConsumer {
            link: Arc::clone(&self.link),
            queue: queue.to_owned(),
            prefetch: prefetch.max(1),
            active: None,
            failed_generation: None,
        };
        // Subscribe now when connected, so a missing queue or a refused channel is reported
        // here; during an outage the consumer subscribes once the connection is back.
        match self.link.session() {
            Ok(session) => consumer.active = Some(consumer.subscribe(session).await?),
            Err(BusError::Unavailable { .. }) => {}
            Err(error) => return Err(error),
        }
        Ok(Box::new(consumer))
    }

    async fn parked(&self, queue: &str, limit: usize) -> BusResult<Vec<ParkedMessage>> {
        self.check_queue(queue)?;
        let session = self.link.session()?;
        // Peek: basic.get without ack, then close the channel, which returns them all.
        let channel = session.connection.create_channel().await?;
        let parking = parking_queue(queue);
        let mut parked = Vec::new();
        while parked.len() < limit {
            let Some(got) = channel
                .basic_get(&parking, BasicGetOptions { no_ack: false })
                .await?
            else {
                break;
            };
            let decoded = codec::decode(&got.delivery);
            parked.push(ParkedMessage {
                message: decoded.message,
                reason: decoded.reason.unwrap_or_default(),
                attempts: decoded.parked_attempts,
            });
        }
        channel.close(200, "parked messages read").await?;
        Ok(parked)
    }

    fn durable(&self) -> bool {
        true
    }

    fn settlements(&self) -> Option<Settlements> {
        None
    }

    async fn check(&self) -> BusResult<()> {
        self.link.session().map(|_| ())
    }

    async fn close(&self) {
        self.link.close().await;
    }
}

/// A subscription on one channel of one session.
struct Active {
    generation: u64,
    /// Kept so the channel (and its deliveries' ackers) stays open while subscribed.
    _channel: Channel,
    stream: lapin::Consumer,
}

struct AmqpConsumer {
    link: Arc<Link>,
    queue: String,
    prefetch: u16,
    active: Option<Active>,
    /// The session generation whose subscription just failed.
    failed_generation: Option<u64>,
}

impl AmqpConsumer {
    async fn subscribe(&self, session: Arc<Session>) -> BusResult<Active> {
        let channel = session.connection.create_channel().await?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await?;
        let stream = channel
            .basic_consume(
                &self.queue,
                "",
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok(Active {
            generation: session.generation,
            _channel: channel,
            stream,
        })
    }
}

#[async_trait]
impl Consumer for AmqpConsumer {
    async fn next(&mut self) -> Option<BusResult<Delivery>> {
        let mut closed = self.link.closed();
        loop {
            if self.link.is_closed() {
                return None;
            }
            let Some(active) = self.active.as_mut() else {
                let failed = self.failed_generation.take();
                let session = self.link.wait_session(failed).await?;
                if failed == Some(session.generation) {
                    tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
                }
                match self.subscribe(Arc::clone(&session)).await {
                    Ok(active) => {
                        tracing::info!(queue = %self.queue, "consumer resubscribed");
                        self.active = Some(active);
                    }
                    Err(error) => {
                        tracing::warn!(queue = %self.queue, error = %error, "resubscribe failed");
                        self.failed_generation = Some(session.generation);
                    }
                }
                continue;
            };
            let item = tokio::select! {
                item = active.stream.next() => item,
                _ = closed.wait_for(|c| *c) => return None,
            };
            match item {
                Some(Ok(delivery)) => {
                    let decoded = codec::decode(&delivery);
                    let attempt = decoded.previous_deliveries.saturating_add(1);
                    let settle = AmqpSettle {
                        link: Arc::clone(&self.link),
                        queue: self.queue.clone(),
                        acker: Some(delivery.acker),
                    };
                    return Some(Ok(Delivery::new(
                        decoded.message,
                        attempt,
                        Box::new(settle),
                        self.link.topology().retry,
                    )));
                }
                Some(Err(error)) => {
                    tracing::warn!(queue = %self.queue, error = %error, "consumer interrupted, resubscribing");
                    self.failed_generation = Some(active.generation);
                    self.active = None;
                }
                None => {
                    tracing::warn!(queue = %self.queue, "consumer cancelled, resubscribing");
                    self.failed_generation = Some(active.generation);
                    self.active = None;
                }
            }
        }
    }
}

struct AmqpSettle {
    link: Arc<Link>,
    queue: String,
    /// Present while the delivery is unsettled; a drop nacks it back to the queue.
    acker: Option<Acker>,
}

impl AmqpSettle {
    async fn ack_original(&mut self) -> BusResult<()> {
        if let Some(acker) = self.acker.take() {
            acker.ack(BasicAckOptions::default()).await?;
        }
        Ok(())
    }

    fn bookkeeping(message: &Message, attempts: u32) -> Vec<(&'static str, AMQPValue)> {
        vec![
            (codec::ATTEMPTS_HEADER, AMQPValue::LongUInt(attempts)),
            (
                codec::ROUTING_KEY_HEADER,
                AMQPValue::LongString(message.routing_key.as_str().into()),
            ),
        ]
    }
}

#[async_trait]
impl Settle for AmqpSettle {
    async fn ack(mut self: Box<Self>) -> BusResult<()> {
        self.ack_original().await
    }

    async fn redeliver_after(
        mut self: Box<Self>,
        message: &Message,
        attempts: u32,
        delay: Duration,
    ) -> BusResult<()> {
        let delay_queue = declare::delay_queue(&self.queue, delay);
        let headers = Self::bookkeeping(message, attempts);
        // The default exchange routes by queue name, straight into the delay queue.
        self.link
            .publish_confirmed("", &delay_queue, message, &headers, true)
            .await?;
        self.ack_original().await
    }

    async fn park(
        mut self: Box<Self>,
        message: &Message,
        reason: &str,
        attempts: u32,
    ) -> BusResult<()> {
        let mut headers = Self::bookkeeping(message, attempts);
        headers.push((codec::REASON_HEADER, AMQPValue::LongString(reason.into())));
        let dlx = self.link.topology().dead_letter_exchange.clone();
        self.link
            .publish_confirmed(&dlx, &self.queue, message, &headers, true)
            .await?;
        self.ack_original().await
    }
}

impl Drop for AmqpSettle {
    fn drop(&mut self) {
        // Dropped unsettled: return the message now rather than when the channel closes.
        let Some(acker) = self.acker.take() else {
            return;
        };
        // Outside a runtime the nack cannot be sent; the channel's close returns it instead.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let requeue = BasicNackOptions {
                multiple: false,
                requeue: true,
            };
            if let Err(error) = acker.nack(requeue).await {
                tracing::debug!(error = %error, "nack of dropped delivery failed");
            }
        });
    }
}

/// Deletes the queues and exchanges of `topology` from the broker at `url` (tests, ops).
/// Messages in them are lost.
pub async fn delete_topology(url: &str, topology: &Topology) -> BusResult<()> {
    let properties = ConnectionProperties::default()
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current());
    let connection = Connection::connect(url, properties).await?;
    let channel = connection.create_channel().await?;
    declare::delete(&channel, topology).await?;
    connection.close(200, "topology deleted").await?;
    Ok(())
}
