//! Publish + consume + ack round trips, one message at a time (what a worker chain does per
//! document), on the in-process bus (the in-run baseline) and on RabbitMQ. Each iteration
//! publishes `BATCH` messages (each confirmed before the next), then consumes and acks them,
//! reported as messages/s. A 1 KiB payload with the three design headers.
//!
//! `cargo bench -p bus --bench round_trip`. RabbitMQ is taken from `CHARGEGATE_TEST_AMQP_URL`
//! (default `amqp://guest:guest@127.0.0.1:5672/%2f`); the benchmark's prefixed topology is
//! deleted afterwards. Without a broker the benchmark stops with a message saying so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, Consumer, Message, Topology};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

const BATCH: usize = 100;

fn message(i: usize) -> Message {
    Message {
        message_id: format!("bench-{i}"),
        routing_key: "claim.acme".to_owned(),
        headers: BTreeMap::from([
            ("doc_type".to_owned(), "claim".to_owned()),
            ("partner".to_owned(), "acme".to_owned()),
            ("schema_version".to_owned(), "1".to_owned()),
        ]),
        payload: vec![b'x'; 1024],
    }
}

async fn round_trips(bus: &Arc<dyn Bus>, consumer: &mut Box<dyn Consumer>) {
    for i in 0..BATCH {
        bus.publish(&message(i)).await.unwrap();
    }
    for _ in 0..BATCH {
        let delivery = consumer.next().await.unwrap().unwrap();
        delivery.ack().await.unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let amqp_url = std::env::var("CHARGEGATE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let topology = Topology::chargegate().with_prefix(&format!("bench-{}", std::process::id()));
    let queue = topology.queues[2].name.clone(); // engine.claims

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for (name, url) in [("memory", "memory://"), ("amqp", amqp_url.as_str())] {
        let (bus, mut consumer) = runtime.block_on(async {
            let bus = bus::connect(url, topology.clone())
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {name} bus: {e}"));
            let consumer = bus.consume(&queue, 50).await.unwrap();
            (bus, consumer)
        });
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(round_trips(&bus, &mut consumer)));
        });
        runtime.block_on(bus.close());
    }
    group.finish();
    runtime
        .block_on(bus::delete_topology(&amqp_url, &topology))
        .unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
