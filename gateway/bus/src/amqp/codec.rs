//! Message <-> AMQP properties, and the headers the bus keeps for itself.
//!
//! Attempts are counted across both ways a message comes back: `x-cg-attempts` is written by
//! the bus when it sends a message to a delay queue (deliveries so far), and quorum queues add
//! `x-delivery-count` when a delivery was returned unsettled (dropped, nack, channel or
//! connection closed). The attempt of a delivery is the sum plus one.

use std::collections::BTreeMap;

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, ShortString};

use crate::message::{Message, is_reserved_header};

/// Deliveries a message had before it entered the queue it is delivered from.
pub(crate) const ATTEMPTS_HEADER: &str = "x-cg-attempts";
/// Why a message was parked.
pub(crate) const REASON_HEADER: &str = "x-cg-reason";
/// Added by quorum queues on redelivery of a returned message.
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";
/// Added by RabbitMQ when it dead-letters a message itself (e.g. the delivery limit).
const FIRST_DEATH_REASON_HEADER: &str = "x-first-death-reason";

/// AMQP delivery mode for messages that survive a broker restart.
const PERSISTENT: u8 = 2;

/// Properties for publishing `message`, persistent, with the bus's own headers added.
pub(crate) fn properties(message: &Message, extra: &[(&str, AMQPValue)]) -> BasicProperties {
    let mut headers = FieldTable::default();
    for (name, value) in &message.headers {
        headers.insert(
            ShortString::from(name.as_str()),
            AMQPValue::LongString(value.as_str().into()),
        );
    }
    for (name, value) in extra {
        headers.insert(ShortString::from(*name), value.clone());
    }
    BasicProperties::default()
        .with_message_id(ShortString::from(message.message_id.as_str()))
        .with_delivery_mode(PERSISTENT)
        .with_headers(headers)
}

/// What a received AMQP message carries, decoded.
pub(crate) struct Decoded {
    pub message: Message,
    /// Deliveries before this one.
    pub previous_deliveries: u32,
    /// The parking reason, when the message was parked.
    pub reason: Option<String>,
    /// Deliveries recorded when the message was parked (not counting peeks of the parking
    /// queue, which bump the broker's delivery count).
    pub parked_attempts: u32,
}

/// Decodes a delivery from `queue`'s routing: the routing key is the original one for
/// messages published to the exchange; for messages that went through a delay or parking
/// queue it is kept in the message, because AMQP rewrites it on the way.
pub(crate) fn decode(delivery: &lapin::message::Delivery) -> Decoded {
    let properties = &delivery.properties;
    let table = properties.headers().clone().unwrap_or_default();
    let mut headers = BTreeMap::new();
    let mut attempts = 0;
    let mut delivery_count = 0;
    let mut reason = None;
    let mut death_reason = None;
    let mut routing_key = delivery.routing_key.to_string();
    for (name, value) in table.inner() {
        let name = name.as_str();
        match name {
            ATTEMPTS_HEADER => attempts = as_u32(value).unwrap_or(0),
            DELIVERY_COUNT_HEADER => delivery_count = as_u32(value).unwrap_or(0),
            REASON_HEADER => reason = as_string(value),
            ROUTING_KEY_HEADER => {
                if let Some(key) = as_string(value) {
                    routing_key = key;
                }
            }
            FIRST_DEATH_REASON_HEADER => death_reason = as_string(value),
            _ if is_reserved_header(name) => {}
            _ => {
                if let Some(text) = as_string(value) {
                    headers.insert(name.to_owned(), text);
                }
            }
        }
    }
    // A quorum queue that does not report counts still flags a redelivery.
    if delivery_count == 0 && delivery.redelivered {
        delivery_count = 1;
    }
    let reason = reason.or_else(|| death_reason.map(|r| format!("dead-lettered by broker: {r}")));
    Decoded {
        message: Message {
            message_id: properties
                .message_id()
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default(),
            routing_key,
            headers,
            payload: delivery.data.clone(),
        },
        previous_deliveries: attempts.saturating_add(delivery_count),
        reason,
        parked_attempts: attempts,
    }
}

/// The original routing key of a message sent on to a delay or parking queue.
pub(crate) const ROUTING_KEY_HEADER: &str = "x-cg-routing-key";

fn as_u32(value: &AMQPValue) -> Option<u32> {
    let wide: i128 = match value {
        AMQPValue::ShortShortInt(v) => (*v).into(),
        AMQPValue::ShortShortUInt(v) => (*v).into(),
        AMQPValue::ShortInt(v) => (*v).into(),
        AMQPValue::ShortUInt(v) => (*v).into(),
        AMQPValue::LongInt(v) => (*v).into(),
        AMQPValue::LongUInt(v) => (*v).into(),
        AMQPValue::LongLongInt(v) => (*v).into(),
        _ => return None,
    };
    u32::try_from(wide).ok()
}

fn as_string(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_properties_are_persistent_with_id_and_headers() {
        let message = Message {
            message_id: "sha256:ab/0001".to_owned(),
            routing_key: "claim.acme".to_owned(),
            headers: BTreeMap::from([("partner".to_owned(), "acme".to_owned())]),
            payload: Vec::new(),
        };
        let properties = properties(&message, &[(ATTEMPTS_HEADER, AMQPValue::LongUInt(2))]);
        assert_eq!(*properties.delivery_mode(), Some(PERSISTENT));
        assert_eq!(
            properties.message_id().as_ref().map(|id| id.as_str()),
            Some("sha256:ab/0001")
        );
        let headers = properties.headers().clone().unwrap_or_default();
        assert_eq!(
            headers
                .inner()
                .get("partner")
                .and_then(as_string)
                .as_deref(),
            Some("acme")
        );
        assert_eq!(
            headers.inner().get(ATTEMPTS_HEADER).and_then(as_u32),
            Some(2)
        );
    }
}
