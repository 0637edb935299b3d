//! One contract suite for every `Bus`: each case is a generic async fn over a `Harness`, run
//! against the in-process bus (`memory_*` tests) and the real RabbitMQ at
//! `amqp://guest:guest@127.0.0.1:5672/%2f` (`amqp_*` tests), each with its own name prefix so
//! tests run in parallel on one broker. RabbitMQ must be running (`scripts/test.sh` starts
//! it); if it is not, the `amqp_*` tests fail with a message saying so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bus::{Bus, Delivery, Disposition, Message, RetryPolicy, Topology};

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// Upper bound for anything that should happen; generous because the machine is shared.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long we watch for something that must not happen (no redelivery, prefetch bound).
const QUIET: Duration = Duration::from_millis(400);

/// A bus under test with its prefixed topology.
struct Harness {
    bus: Arc<dyn Bus>,
    topology: Topology,
    url: String,
}

impl Harness {
    async fn new(url: &str, name: &str) -> Harness {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let prefix = format!(
            "test-{name}-{}-{nanos}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let topology = Topology {
            retry: RetryPolicy {
                max_attempts: 3,
                first_delay: Duration::from_millis(50),
                factor: 4,
                max_delay: Duration::from_millis(1000),
            },
            ..Topology::chargegate().with_prefix(&prefix)
        };
        let bus = bus::connect(url, topology.clone())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to the bus at {url}: {e}. RabbitMQ must be running on \
                 127.0.0.1:5672 with guest/guest (scripts/test.sh starts it)"
                )
            });
        Harness {
            bus,
            topology,
            url: url.to_owned(),
        }
    }

    /// The prefixed name of a design queue, e.g. `q("engine.claims")`.
    fn q(&self, name: &str) -> String {
        self.topology
            .queues
            .iter()
            .map(|q| q.name.clone())
            .find(|q| q.ends_with(&format!(".{name}")))
            .unwrap()
    }

    async fn teardown(self) {
        self.bus.close().await;
        if self.url.starts_with("amqp") {
            bus::delete_topology(&self.url, &self.topology)
                .await
                .expect("delete test topology");
        }
    }
}

fn message(id: &str, routing_key: &str) -> Message {
    let mut headers = BTreeMap::new();
    headers.insert("doc_type".to_owned(), "claim".to_owned());
    headers.insert("partner".to_owned(), "acme".to_owned());
    headers.insert("schema_version".to_owned(), "1".to_owned());
    Message {
        message_id: id.to_owned(),
        routing_key: routing_key.to_owned(),
        headers,
        payload: format!("{{\"id\":\"{id}\",\"bytes\":\"\u{0}\u{ff}\"}}").into_bytes(),
    }
}

async fn next(consumer: &mut Box<dyn bus::Consumer>) -> Delivery {
    tokio::time::timeout(PATIENCE, consumer.next())
        .await
        .expect("a delivery within the time limit")
        .expect("consumer still open")
        .expect("delivery without error")
}

/// Asserts nothing arrives for a while.
async fn assert_quiet(consumer: &mut Box<dyn bus::Consumer>) {
    if let Ok(got) = tokio::time::timeout(QUIET, consumer.next()).await {
        let got = got.map(|d| d.map(|d| d.message.message_id));
        panic!("expected no delivery, got {got:?}");
    }
}

// ---- cases -------------------------------------------------------------------------------

async fn routes_by_topic(h: Harness) {
    let mut claims = h.bus.consume(&h.q("engine.claims"), 10).await.unwrap();
    let mut responses = h.bus.consume(&h.q("engine.responses"), 10).await.unwrap();
    let mut outbound = h.bus.consume(&h.q("outbound.send"), 10).await.unwrap();
    for (id, key) in [
        ("unrouted", "invoice.acme"),
        ("too-deep", "claim.acme.extra"), // `*` is one word only
        ("c1", "claim.acme"),
        ("r1", "claim_response.acme"),
        ("a1", "acknowledgment.acme"),
        ("o0", "outbound"), // `#` matches zero words
        ("o2", "outbound.as2.acme"),
    ] {
        h.bus.publish(&message(id, key)).await.unwrap();
    }
    let c = next(&mut claims).await;
    assert_eq!(c.message.message_id, "c1");
    c.ack().await.unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        let d = next(&mut responses).await;
        got.push(d.message.message_id.clone());
        d.ack().await.unwrap();
    }
    assert_eq!(got, ["r1", "a1"]);
    let mut got = Vec::new();
    for _ in 0..2 {
        let d = next(&mut outbound).await;
        got.push(d.message.message_id.clone());
        d.ack().await.unwrap();
    }
    assert_eq!(got, ["o0", "o2"]);
    assert_quiet(&mut claims).await;
    assert_quiet(&mut responses).await;
    h.teardown().await;
}

async fn preserves_id_headers_and_payload(h: Harness) {
    let mut claims = h.bus.consume(&h.q("engine.claims"), 1).await.unwrap();
    let sent = message("sha256:abc/000000123", "claim.acme");
    h.bus.publish(&sent).await.unwrap();
    let d = next(&mut claims).await;
    assert_eq!(d.message, sent);
    assert_eq!(d.attempt, 1);
    d.ack().await.unwrap();
    h.teardown().await;
}

async fn ack_removes_and_queue_is_fifo(h: Harness) {
    let queue = h.q("engine.contracts");
    let mut consumer = h.bus.consume(&queue, 10).await.unwrap();
    for i in 0..5 {
        h.bus
            .publish(&message(&format!("m{i}"), "contract.acme"))
            .await
            .unwrap();
    }
    for i in 0..5 {
        let d = next(&mut consumer).await;
        assert_eq!(d.message.message_id, format!("m{i}"));
        d.ack().await.unwrap();
    }
    drop(consumer);
    // A fresh consumer sees nothing: acked messages are gone, not merely delivered.
    let mut again = h.bus.consume(&queue, 10).await.unwrap();
    assert_quiet(&mut again).await;
    h.teardown().await;
}

async fn dropped_delivery_is_redelivered(h: Harness) {
    let mut consumer = h.bus.consume(&h.q("engine.sales"), 1).await.unwrap();
    h.bus
        .publish(&message("dropped", "sales_report.acme"))
        .await
        .unwrap();
    let first = next(&mut consumer).await;
    assert_eq!(first.attempt, 1);
    drop(first); // no ack, no retry: a worker that crashed
    let again = next(&mut consumer).await;
    assert_eq!(again.message.message_id, "dropped");
    assert_eq!(again.attempt, 2);
    again.ack().await.unwrap();
    assert_quiet(&mut consumer).await;
    h.teardown().await;
}

async fn retry_redelivers_with_growing_delay_then_parks(h: Harness) {
    let queue = h.q("engine.claims");
    let mut consumer = h.bus.consume(&queue, 1).await.unwrap();
    h.bus
        .publish(&message("flaky", "claim.acme"))
        .await
        .unwrap();
    let d1 = next(&mut consumer).await;
    assert_eq!(d1.attempt, 1);
    let started = tokio::time::Instant::now();
    let first = d1.retry("database busy").await.unwrap();
    assert_eq!(
        first,
        Disposition::Retried {
            delay: Duration::from_millis(50)
        }
    );
    let d2 = next(&mut consumer).await;
    assert_eq!(d2.attempt, 2);
    assert_eq!(d2.message, message("flaky", "claim.acme"));
    // The broker (or timer) held it back at least the delay it announced.
    assert!(started.elapsed() >= Duration::from_millis(50));
    let started = tokio::time::Instant::now();
    let second = d2.retry("database busy").await.unwrap();
    assert_eq!(
        second,
        Disposition::Retried {
            delay: Duration::from_millis(200)
        }
    );
    let d3 = next(&mut consumer).await;
    assert_eq!(d3.attempt, 3);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // max_attempts = 3: the third failure parks it.
    assert_eq!(
        d3.retry("database still busy").await.unwrap(),
        Disposition::DeadLettered
    );
    assert_quiet(&mut consumer).await;
    let parked = h.bus.parked(&queue, 10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].message, message("flaky", "claim.acme"));
    assert_eq!(parked[0].reason, "database still busy");
    assert_eq!(parked[0].attempts, 3);
    // Reading parked messages does not consume them.
    assert_eq!(h.bus.parked(&queue, 10).await.unwrap(), parked);
    h.teardown().await;
}

async fn dead_letter_parks_immediately(h: Harness) {
    let queue = h.q("engine.responses");
    let mut consumer = h.bus.consume(&queue, 1).await.unwrap();
    h.bus
        .publish(&message("bad", "claim_response.acme"))
        .await
        .unwrap();
    h.bus
        .publish(&message("good", "claim_response.acme"))
        .await
        .unwrap();
    let d = next(&mut consumer).await;
    assert_eq!(d.message.message_id, "bad");
    d.dead_letter("schema violation: missing BAA05")
        .await
        .unwrap();
    let d = next(&mut consumer).await;
    assert_eq!(d.message.message_id, "good");
    d.ack().await.unwrap();
    assert_quiet(&mut consumer).await;
    let parked = h.bus.parked(&queue, 10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].message, message("bad", "claim_response.acme"));
    assert_eq!(parked[0].reason, "schema violation: missing BAA05");
    assert_eq!(parked[0].attempts, 1);
    // Other queues' parking stays empty.
    assert!(
        h.bus
            .parked(&h.q("engine.claims"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    h.teardown().await;
}

async fn publish_confirms_before_returning(h: Harness) {
    let queue = h.q("outbound.send");
    // Publish before anyone consumes: once publish returned, the message is in the queue.
    for i in 0..20 {
        h.bus
            .publish(&message(&format!("p{i}"), "outbound.sftp.acme"))
            .await
            .unwrap();
    }
    h.bus.check().await.unwrap();
    let mut consumer = h.bus.consume(&queue, 20).await.unwrap();
    for i in 0..20 {
        let d = next(&mut consumer).await;
        assert_eq!(d.message.message_id, format!("p{i}"));
        d.ack().await.unwrap();
    }
    // Reserved header names are refused rather than silently mixed with the bus's own.
    let mut reserved = message("r", "outbound.x");
    reserved
        .headers
        .insert("x-attempts".to_owned(), "9".to_owned());
    assert!(matches!(
        h.bus.publish(&reserved).await,
        Err(bus::BusError::ReservedHeader { .. })
    ));
    h.teardown().await;
}

async fn prefetch_bounds_in_flight(h: Harness) {
    let mut consumer = h.bus.consume(&h.q("engine.contracts"), 2).await.unwrap();
    for i in 0..4 {
        h.bus
            .publish(&message(&format!("f{i}"), "contract.acme"))
            .await
            .unwrap();
    }
    let a = next(&mut consumer).await;
    let b = next(&mut consumer).await;
    assert_eq!(
        (a.message.message_id.as_str(), b.message.message_id.as_str()),
        ("f0", "f1")
    );
    assert_quiet(&mut consumer).await; // two unsettled = prefetch
    a.ack().await.unwrap();
    let c = next(&mut consumer).await;
    assert_eq!(c.message.message_id, "f2");
    b.ack().await.unwrap();
    c.ack().await.unwrap();
    let d = next(&mut consumer).await;
    assert_eq!(d.message.message_id, "f3");
    d.ack().await.unwrap();
    h.teardown().await;
}

async fn unknown_queue_is_an_error(h: Harness) {
    assert!(matches!(
        h.bus.consume("no.such.queue", 1).await,
        Err(bus::BusError::UnknownQueue { .. })
    ));
    assert!(matches!(
        h.bus.parked("no.such.queue", 1).await,
        Err(bus::BusError::UnknownQueue { .. })
    ));
    h.teardown().await;
}

async fn close_ends_consumers_and_publishing(h: Harness) {
    let mut consumer = h.bus.consume(&h.q("engine.claims"), 1).await.unwrap();
    h.bus.close().await;
    let ended = tokio::time::timeout(PATIENCE, consumer.next())
        .await
        .expect("consumer ends after close");
    assert!(ended.is_none());
    assert!(h.bus.publish(&message("late", "claim.acme")).await.is_err());
    assert!(h.bus.check().await.is_err());
    h.teardown().await;
}

/// What a publisher needs to lose nothing when the bus stops with a message in a consumer's
/// hands: a durable bus (RabbitMQ) delivers it again over a new connection, and only it; a bus
/// that is not durable (in-process) names in its settlements the message that was acked and
/// never the one left unsettled, so its publisher knows to publish that one again.
async fn a_message_unsettled_when_the_bus_stops_is_delivered_again_or_never_reported_settled(
    h: Harness,
) {
    let queue = h.q("engine.claims");
    let mut settled = h.bus.settlements();
    assert_eq!(settled.is_none(), h.bus.durable());
    let mut consumer = h.bus.consume(&queue, 1).await.unwrap();
    h.bus.publish(&message("done", "claim.acme")).await.unwrap();
    h.bus
        .publish(&message("in-flight", "claim.acme"))
        .await
        .unwrap();
    let done = next(&mut consumer).await;
    assert_eq!(done.message.message_id, "done");
    done.ack().await.unwrap();
    let in_flight = next(&mut consumer).await;
    assert_eq!(in_flight.message.message_id, "in-flight");
    if let Some(settled) = &mut settled {
        let first = tokio::time::timeout(PATIENCE, settled.next()).await;
        assert_eq!(first.unwrap().as_deref(), Some("done"));
    }
    // The process stops with "in-flight" neither acked nor retried.
    h.bus.close().await;
    drop(in_flight);
    drop(consumer);
    match settled {
        Some(mut settled) => {
            let rest = tokio::time::timeout(PATIENCE, settled.next()).await;
            assert_eq!(rest.unwrap(), None, "the stream ends without naming it");
        }
        None => {
            let again = bus::connect(&h.url, h.topology.clone()).await.unwrap();
            let mut consumer = again.consume(&queue, 1).await.unwrap();
            let d = next(&mut consumer).await;
            assert_eq!(d.message, message("in-flight", "claim.acme"));
            assert_eq!(d.attempt, 2);
            d.ack().await.unwrap();
            assert_quiet(&mut consumer).await;
            again.close().await;
        }
    }
    h.teardown().await;
}

// ---- one test per case and backend ---------------------------------------------------------

fn run<F, Fut>(url: &'static str, name: &'static str, case: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let harness = Harness::new(url, name).await;
        tokio::time::timeout(Duration::from_secs(60), case(harness))
            .await
            .expect("contract case finished within 60 s");
    });
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $case() { super::run("memory://", stringify!($case), super::$case) })*
        }
        mod amqp {
            $(#[test] fn $case() { super::run(super::AMQP_URL, stringify!($case), super::$case) })*
        }
    };
}

contract!(
    routes_by_topic,
    preserves_id_headers_and_payload,
    ack_removes_and_queue_is_fifo,
    dropped_delivery_is_redelivered,
    retry_redelivers_with_growing_delay_then_parks,
    dead_letter_parks_immediately,
    publish_confirms_before_returning,
    prefetch_bounds_in_flight,
    unknown_queue_is_an_error,
    close_ends_consumers_and_publishing,
    a_message_unsettled_when_the_bus_stops_is_delivered_again_or_never_reported_settled,
);
