//! End to end, as a distributor sees it: an 867 dropped into the partner's inbox until its
//! lines are a validated batch in the database (pickup, raw copy, parse, validate, map,
//! outbox, bus, engine, store), on embedded defaults (SQLite, in-process bus) and on
//! PostgreSQL + RabbitMQ. Baseline in the same run: translating the same bytes in memory
//! (parse, validate, map; no I/O), the least any gateway must do with the file. GOOD
//! DRUG's `claim_trigger` is Daily (chargeback-rules 8.1): each file's report joins the
//! day's Open batch and its lines are validated when the day is cut, so once the report is
//! recorded the iteration cuts the day (`server::cut::cut` through today, as `chargegate
//! batches cut --through <today>` would) and the timing ends when the cut has committed the
//! validated lines (Review and Claim: no claim yet).
//!
//! ```text
//! cargo bench -p server --bench e2e_867                 # embedded and servers
//! CHARGEGATE_BENCH_EMBEDDED_ONLY=1 cargo bench -p server --bench e2e_867
//! BENCH_LINES=20000 cargo bench -p server --bench e2e_867
//! ```
//!
//! Each iteration drops a new 867 (its own report number and invoices, so nothing is a
//! duplicate) of `BENCH_LINES` lines (default 5,000) against ACME's sample contract, applied
//! once at start. Throughput is reported in elements = lines.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use support::{Running, Setup, repo};
use tokio::runtime::Runtime;

fn lines() -> usize {
    std::env::var("BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

/// An 867 from GOOD DRUG with `n` lines on ACME's contract, unique per `run`.
fn sales_867(run: u32, n: usize) -> Vec<u8> {
    let mut body = String::new();
    let mut segments = 0usize;
    let mut seg = |s: String| {
        body.push_str(&s);
        body.push_str("~\n");
        segments += 1;
    };
    seg("ST*867*0001".into());
    seg(format!("BPT*00*BENCH-{run:06}*20261201*SS"));
    seg("DTM*090*20261101".into());
    seg("DTM*091*20261130".into());
    seg("N1*DS*GOOD DRUG DISTRIBUTORS*1*987654321".into());
    seg("N1*MF*ACME PHARMACEUTICALS INC*1*123456789".into());
    let customers = [
        ("RIVERSIDE COMMUNITY HOSPITAL", "11", "AR1234563"),
        ("LAKESIDE CLINIC PHARMACY", "21", "1A2B3C4D5"),
    ];
    let items = [("12345010001", "12.50"), ("12345020101", "30.00")];
    let per_group = 50;
    let mut quantity = 0usize;
    for group in 0..n.div_ceil(per_group) {
        let (name, qualifier, id) = customers[group % customers.len()];
        seg("PTD*SS***CT*SPA-2026-0042".into());
        seg(format!("N1*ST*{name}*{qualifier}*{id}"));
        for line in 0..per_group.min(n - group * per_group) {
            let (ndc, price) = items[line % items.len()];
            let q = 1 + line % 5;
            quantity += q;
            seg(format!("QTY*39*{q}*CA"));
            seg(format!("LIN**N4*{ndc}"));
            seg(format!("UIT*CA*{price}"));
            seg(format!("REF*IV*B{run:06}G{group:05}L{line:03}"));
            seg("DTM*003*20261105".into());
        }
    }
    seg(format!("CTT*{n}*{quantity}"));
    let se = format!("SE*{}*0001~\n", segments + 1);
    let icn = 600_000 + run;
    format!(
        "ISA*00*          *00*          *ZZ*GOODDRUG       *ZZ*ACMEPHARMA     *261201*0615*U*00401*{icn:09}*0*P*>~\nGS*PT*GOODDRUG*ACMEPHARMA*20261201*0615*{icn}*X*004010~\n{body}{se}GE*1*{icn}~\nIEA*1*{icn:09}~\n"
    )
    .into_bytes()
}

/// A gateway with ACME's contract applied, so the lines validate against it.
fn start(rt: &Runtime, database: Option<String>, bus: Option<(String, String)>) -> Running {
    let running = support::start(
        rt,
        Setup {
            database,
            bus,
            ..Setup::default()
        },
    );
    let contract = std::fs::read(repo().join("samples/845_4010_contract.x12")).expect("sample");
    running.drop_into("acmepharma", "845.x12", &contract);
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut reader = running.shared.store.reader().await.expect("reader");
            if reader
                .all_contract_versions()
                .await
                .is_ok_and(|v| !v.is_empty())
            {
                break;
            }
            assert!(Instant::now() < deadline, "the contract was not applied");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    running
}

/// Drops one 867, waits until its report is recorded and cuts the day: its lines validated.
fn one_file(rt: &Runtime, running: &Running, run: u32, n: usize) -> Duration {
    let file = sales_867(run, n);
    let report = format!("BENCH-{run:06}");
    let started = Instant::now();
    running.drop_into("gooddrug", &format!("bench-{run}.x12"), &file);
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let mut reader = running.shared.store.reader().await.expect("reader");
            // GOOD DRUG's trigger is Daily (chargeback-rules 8.1): the report joins the
            // day's batch, whose lines the cut validates.
            if let Some(to) = reader
                .report_batch("gooddrug", &report)
                .await
                .expect("query")
            {
                let lines = to.line_count as usize;
                assert_eq!(lines, n, "report {report} has {lines} lines");
                drop(reader);
                let now = chrono::Utc::now();
                let cut = server::cut::cut(
                    &running.shared,
                    now.date_naive(),
                    Some("gooddrug"),
                    &apply::Context::at(now, "bench"),
                )
                .await
                .expect("cut");
                assert_eq!(cut.len(), 1, "the day's batch is cut");
                assert_eq!(cut[0].lines, n, "every line validated");
                break;
            }
            assert!(Instant::now() < deadline, "no batch for report {report}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let n = lines();
    let rt = Runtime::new().expect("runtime");
    let counter = AtomicU32::new(1);
    let mut group = c.benchmark_group("e2e_867");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(n as u64));

    let profiles =
        partner_maps::ProfileSet::load_dir(repo().join("partner-maps/profiles")).expect("profiles");
    let sample = sales_867(0, n);
    group.bench_function("baseline_translate_in_memory", |b| {
        b.iter(|| {
            let docs: usize = partner_maps::translate::translate_with(
                sample.as_slice(),
                "bench.x12",
                partner_maps::translate::PartnerLookup::Sender(&profiles),
                partner_maps::translate::TranslateOptions::default(),
            )
            .map(|o| o.documents().len())
            .sum();
            assert_eq!(docs, 1);
            docs
        })
    });

    let embedded = start(&rt, None, None);
    group.bench_function("embedded_sqlite_memory_bus", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| one_file(&rt, &embedded, counter.fetch_add(1, Ordering::Relaxed), n))
                .sum()
        })
    });
    embedded.stop(&rt);

    if std::env::var_os("CHARGEGATE_BENCH_EMBEDDED_ONLY").is_none() {
        let run = std::process::id();
        let servers = start(
            &rt,
            Some(format!(
                "postgres://postgres@127.0.0.1:5432/cg_bench_e2e_{run}"
            )),
            Some((
                "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
                format!("cgbench.{run}"),
            )),
        );
        group.bench_function("postgres_rabbitmq", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| one_file(&rt, &servers, counter.fetch_add(1, Ordering::Relaxed), n))
                    .sum()
            })
        });
        servers.stop(&rt);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
