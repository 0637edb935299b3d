//! Declares the topology on RabbitMQ (idempotent), and removes it again (tests, ops).
//!
//! Per consumer queue `Q`:
//! - `Q`: durable quorum queue bound to the topic exchange by its patterns; when the broker
//!   dead-letters (delivery limit) it goes to the DLX with routing key `Q`.
//! - `Q.parked`: durable classic queue bound to the DLX with key `Q`. Classic, not quorum:
//!   `parked()` peeks by getting messages and returning them, which counts as a delivery in a
//!   quorum queue, and RabbitMQ 4's default quorum delivery limit would then drop them.
//! - `Q.retry.<ms>ms`, one per distinct delay of the retry policy: durable classic queue with
//!   that message TTL, dead-lettering to the default exchange with key `Q`, i.e. straight back
//!   into `Q` (not through the topic exchange, so other consumers do not see the retry). One
//!   queue per delay, rather than per-message expiration on one queue, because RabbitMQ only
//!   expires messages at the head of a queue: a long delay would hold up a short one behind it.
//!   Naming the queue by its delay lets a changed policy declare new queues instead of
//!   clashing with the arguments of existing ones.

use std::time::Duration;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

use crate::error::BusResult;
use crate::topology::{Topology, parking_queue};

/// Deliveries after which a quorum queue itself parks a message that keeps coming back
/// unsettled (a consumer that crashes on it), so a poison message cannot loop forever.
pub(crate) const DELIVERY_LIMIT: i64 = 20;

/// The delay queue of `queue` for `delay`.
pub(crate) fn delay_queue(queue: &str, delay: Duration) -> String {
    format!("{queue}.retry.{}ms", delay.as_millis())
}

fn table(entries: &[(&str, AMQPValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (name, value) in entries {
        table.insert(ShortString::from(*name), value.clone());
    }
    table
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.into())
}

const DURABLE: QueueDeclareOptions = QueueDeclareOptions {
    passive: false,
    durable: true,
    exclusive: false,
    auto_delete: false,
    nowait: false,
};

/// Declares exchanges, queues and bindings; safe to repeat with the same topology.
pub(crate) async fn declare(channel: &Channel, topology: &Topology) -> BusResult<()> {
    let exchange_options = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for exchange in [&topology.exchange, &topology.dead_letter_exchange] {
        channel
            .exchange_declare(
                exchange,
                ExchangeKind::Topic,
                exchange_options,
                FieldTable::default(),
            )
            .await?;
    }
    let quorum = text("quorum");
    for spec in &topology.queues {
        let work_args = table(&[
            ("x-queue-type", quorum.clone()),
            (
                "x-dead-letter-exchange",
                text(&topology.dead_letter_exchange),
            ),
            ("x-dead-letter-routing-key", text(&spec.name)),
            ("x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT)),
        ]);
        channel
            .queue_declare(&spec.name, DURABLE, work_args)
            .await?;
        for pattern in &spec.bindings {
            channel
                .queue_bind(
                    &spec.name,
                    &topology.exchange,
                    pattern,
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        let parked = parking_queue(&spec.name);
        channel
            .queue_declare(
                &parked,
                DURABLE,
                table(&[("x-queue-type", text("classic"))]),
            )
            .await?;
        channel
            .queue_bind(
                &parked,
                &topology.dead_letter_exchange,
                &spec.name,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        for delay in topology.retry.delays() {
            let ttl = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            let args = table(&[
                ("x-message-ttl", AMQPValue::LongLongInt(ttl)),
                ("x-dead-letter-exchange", text("")),
                ("x-dead-letter-routing-key", text(&spec.name)),
            ]);
            channel
                .queue_declare(&delay_queue(&spec.name, delay), DURABLE, args)
                .await?;
        }
    }
    Ok(())
}

/// Deletes every queue and exchange of `topology` (messages included).
pub(crate) async fn delete(channel: &Channel, topology: &Topology) -> BusResult<()> {
    for spec in &topology.queues {
        let mut names = vec![spec.name.clone(), parking_queue(&spec.name)];
        names.extend(
            topology
                .retry
                .delays()
                .into_iter()
                .map(|delay| delay_queue(&spec.name, delay)),
        );
        for name in names {
            channel
                .queue_delete(&name, QueueDeleteOptions::default())
                .await?;
        }
    }
    for exchange in [&topology.exchange, &topology.dead_letter_exchange] {
        channel
            .exchange_delete(exchange, ExchangeDeleteOptions::default())
            .await?;
    }
    Ok(())
}
