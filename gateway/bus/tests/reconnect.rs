//! RabbitMQ only: the bus survives the broker connection going away. Two ways to lose it:
//! a TCP proxy between the bus and the broker that the test cuts and restores (so the outage
//! lasts as long as the test wants and publishing during it can be checked), and the broker
//! itself closing the connection (`rabbitmqctl close_connection`, only this test's connection,
//! found by its name, so parallel tests are untouched).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bus::{Bus, Delivery, Message, RetryPolicy, Topology};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

const BROKER: &str = "127.0.0.1:5672";
const PATIENCE: Duration = Duration::from_secs(15);

fn topology(name: &str) -> Topology {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Topology {
        retry: RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_millis(50),
            factor: 2,
            max_delay: Duration::from_millis(200),
        },
        ..Topology::chargegate().with_prefix(&format!("test-{name}-{}-{nanos}", std::process::id()))
    }
}

fn message(id: &str) -> Message {
    Message {
        message_id: id.to_owned(),
        routing_key: "claim.acme".to_owned(),
        headers: BTreeMap::from([("partner".to_owned(), "acme".to_owned())]),
        payload: id.as_bytes().to_vec(),
    }
}

async fn connect(url: &str, topology: &Topology) -> Arc<dyn Bus> {
    bus::connect(url, topology.clone())
        .await
        .unwrap_or_else(|e| {
            panic!("cannot reach RabbitMQ on {BROKER} ({e}); scripts/test.sh starts it")
        })
}

async fn next(consumer: &mut Box<dyn bus::Consumer>) -> Delivery {
    tokio::time::timeout(PATIENCE, consumer.next())
        .await
        .expect("a delivery within the time limit")
        .expect("consumer still open")
        .expect("delivery without error")
}

/// Polls `check()` until it gives the wanted answer.
async fn wait_until_ready(bus: &Arc<dyn Bus>, ready: bool) {
    tokio::time::timeout(PATIENCE, async {
        while bus.check().await.is_ok() != ready {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("bus readiness did not become {ready}"));
}

/// A TCP proxy to the broker that can be cut (all connections dropped, new ones refused).
struct Proxy {
    port: u16,
    up: Arc<Mutex<bool>>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(Mutex::new(true));
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let (up2, connections2) = (Arc::clone(&up), Arc::clone(&connections));
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !*up2.lock().unwrap() {
                    drop(client); // refused while the "broker" is away
                    continue;
                }
                connections2.lock().unwrap().spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(BROKER).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy {
            port,
            up,
            connections,
        }
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn cut(&self) {
        *self.up.lock().unwrap() = false;
        self.connections.lock().unwrap().abort_all();
    }

    fn restore(&self) {
        *self.up.lock().unwrap() = true;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_publishing_then_consumer_and_publisher_resume() {
    let topology = topology("outage");
    let queue = topology.queues[2].name.clone(); // engine.claims
    let proxy = Proxy::start().await;
    let bus = connect(&proxy.url(), &topology).await;
    let mut consumer = bus.consume(&queue, 5).await.unwrap();
    bus.publish(&message("before")).await.unwrap();
    let unsettled = next(&mut consumer).await;
    assert_eq!(unsettled.message.message_id, "before");

    proxy.cut();
    wait_until_ready(&bus, false).await;
    // Nothing unconfirmed counts as sent: publishing during the outage is an error.
    let during = bus.publish(&message("during")).await;
    assert!(
        matches!(during, Err(bus::BusError::Unavailable { .. })),
        "{during:?}"
    );
    // The delivery's channel is gone, so it cannot be acked: the broker will redeliver it.
    assert!(unsettled.ack().await.is_err());

    proxy.restore();
    wait_until_ready(&bus, true).await;
    bus.publish(&message("after")).await.unwrap();
    let again = next(&mut consumer).await;
    assert_eq!(again.message.message_id, "before");
    assert_eq!(again.attempt, 2);
    again.ack().await.unwrap();
    let after = next(&mut consumer).await;
    assert_eq!(after.message.message_id, "after");
    after.ack().await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(400), consumer.next())
            .await
            .is_err(),
        "the message refused during the outage must not appear"
    );

    bus.close().await;
    bus::delete_topology(&format!("amqp://guest:guest@{BROKER}/%2f"), &topology)
        .await
        .unwrap();
}

/// Closes this topology's connections from the broker side.
async fn broker_closes_connections_of(topology: &Topology) {
    let marker = format!("chargegate {}", topology.exchange);
    let listed = tokio::process::Command::new("rabbitmqctl")
        .args(["list_connections", "-q", "pid", "client_properties"])
        .output()
        .await
        .expect("rabbitmqctl is installed (it comes with rabbitmq-server)");
    assert!(
        listed.status.success(),
        "rabbitmqctl list_connections failed"
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    let pids: Vec<&str> = listed
        .lines()
        .filter(|line| line.contains(&marker))
        .filter_map(|line| line.split('\t').next())
        .collect();
    assert!(!pids.is_empty(), "no connection named {marker}:\n{listed}");
    for pid in pids {
        let closed = tokio::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "test: forced close"])
            .output()
            .await
            .unwrap();
        assert!(
            closed.status.success(),
            "rabbitmqctl close_connection {pid}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_resumes_after_broker_closes_the_connection() {
    let topology = topology("forced");
    let queue = topology.queues[2].name.clone(); // engine.claims
    let url = format!("amqp://guest:guest@{BROKER}/%2f");
    let bus = connect(&url, &topology).await;
    let mut consumer = bus.consume(&queue, 5).await.unwrap();
    bus.publish(&message("before")).await.unwrap();
    let unsettled = next(&mut consumer).await;

    broker_closes_connections_of(&topology).await;

    // The unacked delivery comes back on the new connection, counted as a second attempt.
    let again = next(&mut consumer).await;
    assert_eq!(again.message.message_id, "before");
    assert_eq!(again.attempt, 2);
    again.ack().await.unwrap();
    drop(unsettled);
    bus.publish(&message("after")).await.unwrap();
    let after = next(&mut consumer).await;
    assert_eq!(after.message.message_id, "after");
    after.ack().await.unwrap();

    bus.close().await;
    bus::delete_topology(&url, &topology).await.unwrap();
}
