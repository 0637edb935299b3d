//! Drop-folder costs, each against a baseline measured in the same run.
//!
//! ```text
//! cargo bench -p transport --bench drop
//! ```
//!
//! - `outbound/<size>`: `write_outbound` (write `.part`, fsync, link to the final name, unlink,
//!   fsync the folder) against `baseline_write_fsync` (create, write, fsync one file), for 4 KiB
//!   and 1 MiB. The ratio is the price of never showing a partial file.
//! - `pickup`: from `rename(x.part, x)` in an inbox to `DropWatcher::next` returning it, against
//!   `baseline_inotify`: the same rename to the raw `notify` event arriving on a channel.
//!
//! Files go to a temporary folder on the system temp filesystem; fsync figures depend on it.

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use notify::{RecursiveMode, Watcher};
use transport::drop::{DropRoot, DropWatcher};

fn outbound(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = DropRoot::new(tmp.path().join("drop"));
    let dirs = root.ensure_partner("acme").expect("partner folders");
    let mut group = c.benchmark_group("outbound");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for size in [4 << 10, 1 << 20] {
        let bytes = vec![b'x'; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_write_fsync", size),
            &bytes,
            |b, bytes| {
                let path = dirs.outbox.join("plain.x12");
                b.iter(|| {
                    let mut f = fs::File::create(&path).expect("create");
                    f.write_all(bytes).expect("write");
                    f.sync_all().expect("fsync");
                });
                fs::remove_file(&path).expect("remove");
            },
        );
        group.bench_with_input(
            BenchmarkId::new("write_outbound", size),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    let path = root
                        .write_outbound("acme", "x.x12", bytes)
                        .expect("write_outbound")
                        .path;
                    // Keeps the name free so every iteration takes the same path.
                    fs::remove_file(black_box(path)).expect("remove");
                });
            },
        );
    }
    group.finish();
}

fn pickup(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = DropRoot::new(tmp.path().join("drop"));
    let dirs = root.ensure_partner("acme").expect("partner folders");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("pickup");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let upload = |i: u64| {
        let part = dirs.inbox.join("x.edi.part");
        let done = dirs.inbox.join(format!("x{i}.edi"));
        fs::write(&part, b"ISA~").expect("write part");
        (part, done)
    };

    group.bench_function("baseline_inotify", |b| {
        let (tx, rx) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx).expect("watcher");
        watcher
            .watch(&dirs.inbox, RecursiveMode::NonRecursive)
            .expect("watch");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let (part, done) = upload(i);
                while rx.try_recv().is_ok() {}
                let start = Instant::now();
                fs::rename(&part, &done).expect("rename");
                loop {
                    let event = rx.recv().expect("event").expect("notify");
                    if event.paths.iter().any(|p| p == &done) {
                        break;
                    }
                }
                total += start.elapsed();
                fs::remove_file(&done).expect("remove");
            }
            total
        });
    });

    group.bench_function("drop_watcher", |b| {
        let mut watcher = DropWatcher::start(
            &root,
            &["acme".to_owned()],
            Duration::from_secs(3600),
            Duration::from_secs(3600),
        )
        .expect("watcher");
        // The first call scans; nothing is there yet.
        let first = runtime.block_on(async {
            tokio::time::timeout(Duration::from_millis(10), watcher.next()).await
        });
        assert!(first.is_err(), "empty inbox");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let (part, done) = upload(i);
                let start = Instant::now();
                fs::rename(&part, &done).expect("rename");
                let file = runtime.block_on(watcher.next()).expect("a file");
                total += start.elapsed();
                assert_eq!(file.path, done);
                fs::remove_file(&done).expect("remove");
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, outbound, pickup);
criterion_main!(benches);
