//! RabbitMQ only: when the bus moves a message to one of its own queues and that queue is gone
//! (deleted by hand), the move is refused by the broker (mandatory publish) instead of the
//! message being dropped, `retry` reports it, and the message stays in its work queue.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bus::{BusError, Message, RetryPolicy, Topology};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_into_a_missing_delay_queue_fails_and_keeps_the_message() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let topology = Topology {
        retry: RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_millis(50),
            factor: 2,
            max_delay: Duration::from_millis(100),
        },
        ..Topology::chargegate().with_prefix(&format!("test-lost-{}-{nanos}", std::process::id()))
    };
    let queue = topology.queues[0].name.clone(); // engine.contracts
    let bus = bus::connect(URL, topology.clone())
        .await
        .unwrap_or_else(|e| panic!("cannot reach RabbitMQ ({e}); scripts/test.sh starts it"));
    let deleted = tokio::process::Command::new("rabbitmqctl")
        .args(["delete_queue", &format!("{queue}.retry.50ms")])
        .output()
        .await
        .expect("rabbitmqctl is installed (it comes with rabbitmq-server)");
    assert!(deleted.status.success(), "rabbitmqctl delete_queue failed");

    let mut consumer = bus.consume(&queue, 1).await.unwrap();
    let sent = Message {
        message_id: "m".to_owned(),
        routing_key: "contract.acme".to_owned(),
        headers: BTreeMap::new(),
        payload: b"{}".to_vec(),
    };
    bus.publish(&sent).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let refused = first.retry("transient").await;
    assert!(
        matches!(refused, Err(BusError::Unroutable { .. })),
        "{refused:?}"
    );
    let again = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(again.message, sent);
    assert_eq!(again.attempt, 2);
    again.ack().await.unwrap();

    bus.close().await;
    // Declaring again restores the deleted queue, so the whole topology can be deleted.
    let restore = bus::connect(URL, topology.clone()).await.unwrap();
    restore.close().await;
    bus::delete_topology(URL, &topology).await.unwrap();
}
