//! The one error type of the bus, shared by both backends.

/// What went wrong talking to the bus.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus URL has a scheme this crate does not know (only `memory://` and `amqp://`).
    #[error("unsupported bus url scheme: {url}")]
    UnsupportedUrl {
        /// The URL as given, credentials removed.
        url: String,
    },
    /// The queue is not part of the declared topology.
    #[error("unknown queue {queue}")]
    UnknownQueue {
        /// The queue name asked for.
        queue: String,
    },
    /// A header name uses the `x-` prefix, which the bus and the broker reserve for themselves.
    #[error("header {name} uses the reserved x- prefix")]
    ReservedHeader {
        /// The offending header name.
        name: String,
    },
    /// The broker is not reachable right now (connection lost, reconnect under way).
    #[error("bus unavailable: {reason}")]
    Unavailable {
        /// Why, in a few words.
        reason: String,
    },
    /// The broker refused a message (publisher confirm came back as a nack).
    #[error("broker did not confirm message {message_id}")]
    NotConfirmed {
        /// The message's id.
        message_id: String,
    },
    /// The broker returned a message the bus sent to one of its own queues (a delay or parking
    /// queue is missing), so it was not stored anywhere.
    #[error("broker returned message {message_id}: no queue for {routing_key}")]
    Unroutable {
        /// The message's id.
        message_id: String,
        /// The routing key nothing was bound to.
        routing_key: String,
    },
    /// The bus was closed with [`crate::Bus::close`].
    #[error("bus closed")]
    Closed,
    /// A protocol or I/O error from the RabbitMQ client.
    #[error("amqp: {0}")]
    Amqp(#[from] lapin::Error),
}

/// Result of a bus operation.
pub type BusResult<T> = Result<T, BusError>;
