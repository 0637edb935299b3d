//! The connection to RabbitMQ and its supervisor: reconnect with backoff when it drops.
//!
//! A [`Session`] is one live connection with its confirm-mode publishing channel. The
//! supervisor task publishes the current session in a `watch` channel, waits until the session
//! is lost (the connection's error callback, or a periodic status check), withdraws it and
//! opens a new one with exponential backoff. While no session is up, publishing fails with
//! `Unavailable` (nothing unconfirmed counts as sent) and consumers wait, then resubscribe.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::AMQPValue;
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::sync::{Notify, watch};

use super::codec;
use super::declare;
use crate::error::{BusError, BusResult};
use crate::message::Message;
use crate::topology::Topology;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the supervisor double-checks the connection status, in case a close did not
/// reach the error callback.
const STATUS_POLL: Duration = Duration::from_millis(500);

/// One live connection to the broker.
pub(crate) struct Session {
    pub connection: Connection,
    /// Confirm-mode channel shared by all publishers of this session.
    pub publisher: Channel,
    /// Increases with every reconnect, so a consumer can tell a new session from the one that
    /// just failed it.
    pub generation: u64,
    lost: Arc<Notify>,
}

impl Session {
    pub fn is_up(&self) -> bool {
        self.connection.status().connected() && self.publisher.status().connected()
    }

    /// Asks the supervisor to replace this session (e.g. its publishing channel broke).
    pub fn mark_lost(&self) {
        self.lost.notify_one();
    }
}

/// The shared handle on the current session.
pub(crate) struct Link {
    url: String,
    topology: Topology,
    current: watch::Sender<Option<Arc<Session>>>,
    closed: watch::Sender<bool>,
    generations: AtomicU64,
}

impl Link {
    /// Connects and declares the topology once (so a wrong URL or a down broker fails here,
    /// loudly), then starts the supervisor that keeps the connection up.
    pub async fn start(url: &str, topology: Topology) -> BusResult<Arc<Link>> {
        let (current, _) = watch::channel(None);
        let (closed, _) = watch::channel(false);
        let link = Arc::new(Link {
            url: url.to_owned(),
            topology,
            current,
            closed,
            generations: AtomicU64::new(0),
        });
        // Published before returning, so the caller can consume and publish at once.
        let first = Arc::new(link.open().await?);
        link.current.send_replace(Some(Arc::clone(&first)));
        tokio::spawn(supervise(Arc::clone(&link), first));
        Ok(link)
    }

    async fn open(&self) -> BusResult<Session> {
        let properties = ConnectionProperties::default()
            .with_executor(tokio_executor_trait::Tokio::current())
            .with_reactor(tokio_reactor_trait::Tokio::current())
            // Named after the exchange, so operators (and the reconnect test) can tell the
            // connections of one topology apart in `rabbitmqctl list_connections`.
            .with_connection_name(format!("chargegate {}", self.topology.exchange).into());
        let connection = Connection::connect(&self.url, properties).await?;
        let lost = Arc::new(Notify::new());
        let on_error = Arc::clone(&lost);
        let mut events = Box::pin(connection.events_listener());
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let lapin::Event::Error(error) = event {
                    tracing::warn!(error = %error, "amqp connection error");
                    on_error.notify_one();
                }
            }
        });
        let publisher = connection.create_channel().await?;
        declare::declare(&publisher, &self.topology).await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Session {
            connection,
            publisher,
            generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
            lost,
        })
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// The live session, or why there is none.
    pub fn session(&self) -> BusResult<Arc<Session>> {
        if self.is_closed() {
            return Err(BusError::Closed);
        }
        match self.current.borrow().as_ref() {
            Some(session) if session.is_up() => Ok(Arc::clone(session)),
            Some(_) => Err(BusError::Unavailable {
                reason: "connection lost, reconnecting".to_owned(),
            }),
            None => Err(BusError::Unavailable {
                reason: "not connected, reconnecting".to_owned(),
            }),
        }
    }

    /// Waits for a session other than the `failed` generation (or the same one if it is still
    /// up); `None` once the bus is closed.
    pub async fn wait_session(&self, failed: Option<u64>) -> Option<Arc<Session>> {
        let mut current = self.current.subscribe();
        let mut closed = self.closed();
        loop {
            if self.is_closed() {
                return None;
            }
            let candidate = current.borrow_and_update().clone();
            match candidate {
                Some(session) if Some(session.generation) != failed || session.is_up() => {
                    return Some(session);
                }
                _ => {}
            }
            tokio::select! {
                changed = current.changed() => changed.ok()?,
                _ = closed.wait_for(|c| *c) => return None,
            }
        }
    }

    /// Publishes and waits for the broker's confirm; only then is the message sent. With
    /// `mandatory`, a message no queue takes is an error instead of being dropped: the bus uses
    /// it when moving a message to its own delay or parking queue, where dropping would lose it.
    pub async fn publish_confirmed(
        &self,
        exchange: &str,
        routing_key: &str,
        message: &Message,
        extra_headers: &[(&str, AMQPValue)],
        mandatory: bool,
    ) -> BusResult<()> {
        let session = self.session()?;
        let properties = codec::properties(message, extra_headers);
        let result = async {
            session
                .publisher
                .basic_publish(
                    exchange,
                    routing_key,
                    BasicPublishOptions {
                        mandatory,
                        immediate: false,
                    },
                    &message.payload,
                    properties,
                )
                .await?
                .await
        }
        .await;
        match result {
            Ok(confirmation) if confirmation.is_ack() => match confirmation.take_message() {
                None => Ok(()),
                Some(_returned) => Err(BusError::Unroutable {
                    message_id: message.message_id.clone(),
                    routing_key: routing_key.to_owned(),
                }),
            },
            Ok(_) => Err(BusError::NotConfirmed {
                message_id: message.message_id.clone(),
            }),
            Err(error) => {
                if !session.is_up() {
                    session.mark_lost();
                }
                Err(error.into())
            }
        }
    }

    /// Stops the supervisor and closes the connection.
    pub async fn close(&self) {
        self.closed.send_replace(true);
        let session = self.current.send_replace(None);
        let Some(session) = session else { return };
        if let Err(error) = session.connection.close(200, "bus closed").await {
            tracing::debug!(error = %error, "closing amqp connection");
        }
    }
}

/// Keeps a session up until the link is closed.
async fn supervise(link: Arc<Link>, first: Arc<Session>) {
    let mut next = Some(first);
    let mut backoff = FIRST_BACKOFF;
    let mut closed = link.closed();
    loop {
        if let Some(session) = next.take() {
            tracing::info!(generation = session.generation, "amqp connected");
            link.current.send_replace(Some(Arc::clone(&session)));
            loop {
                tokio::select! {
                    _ = session.lost.notified() => break,
                    _ = closed.wait_for(|c| *c) => return,
                    _ = tokio::time::sleep(STATUS_POLL) => {
                        if !session.is_up() {
                            break;
                        }
                    }
                }
            }
            link.current.send_replace(None);
            tracing::warn!(
                generation = session.generation,
                "amqp connection lost, reconnecting"
            );
        }
        if link.is_closed() {
            return;
        }
        match link.open().await {
            Ok(session) => {
                next = Some(Arc::new(session));
                backoff = FIRST_BACKOFF;
            }
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    retry_in_ms = backoff.as_millis() as u64,
                    "amqp reconnect failed"
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = closed.wait_for(|c| *c) => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
