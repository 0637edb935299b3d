//! Exactly once across a stop on the embedded defaults (SQLite + the in-process bus), with
//! real parts: the repository's profiles and samples, the gateway's ingest, relay, engine
//! consumers and outbound sender, its drop folders.
//!
//! The crash point is made deterministic: a first run receives ACME's 845 and GOOD DRUG's
//! 844s with the engine consumers running but not the outbound sender, relays every
//! acknowledgment and 849 to the in-process bus and has one 849 taken by a sender that never
//! settles it, then stops. A second run on the same data must send each 997 and each 849
//! once; a third run sends nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use server::Gateway;
use server::engine_worker::ENGINE_QUEUES;
use server::ingest::Channel;
use server::settings::Settings;
use store::{Direction, Step, TransactionFilter, TxState};
use tokio_util::sync::CancellationToken;

/// GOOD DRUG's claims, each its own interchange and debit memo.
const CLAIMS: u32 = 6;
/// The first claim's ISA13/GS06.
const FIRST_ICN: u32 = 7001;
/// Upper bound for anything that should happen; generous because the machine is shared.
const PATIENCE: Duration = Duration::from_secs(90);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn settings(dir: &Path) -> Settings {
    let d = dir.display();
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}/data\"\ndrop_root = \"{d}/drop\"\n\
         profiles = \"{}\"\n[database]\nurl = \"sqlite://{d}/chargegate.db\"\n[bus]\n\
         url = \"memory://\"\n[identity]\nkey = \"{d}/key.pem\"\ncertificate = \"{d}/cert.pem\"\n\
         [engine]\nbusiness_day = \"2026-12-01\"\n[workers]\nretry_ms = 100\nscan_ms = 200\n",
        repo().join("partner-maps/profiles").display()
    );
    let path = dir.join("chargegate.toml");
    std::fs::write(&path, config).unwrap();
    Settings::load_with_env(Some(&path), Vec::new()).unwrap()
}

/// The sample 844 as claim `n`: ISA13/GS06 `n`, debit memo `GDD-CB-RESTART-n`, its
/// invoices suffixed so each claim is new.
fn claim(n: u32) -> Vec<u8> {
    let mut x12 = std::fs::read_to_string(repo().join("samples/844_4010_claim.x12")).unwrap();
    for (from, to) in [
        ("*000005001*".to_owned(), format!("*{n:09}*")),
        ("IEA*1*000005001".to_owned(), format!("IEA*1*{n:09}")),
        ("*1405*5001*".to_owned(), format!("*1405*{n}*")),
        ("GE*1*5001".to_owned(), format!("GE*1*{n}")),
        (
            "GDD-CB-20261115-0001".to_owned(),
            format!("GDD-CB-RESTART-{n}"),
        ),
    ] {
        assert!(x12.contains(&from), "{from} in the sample");
        x12 = x12.replace(&from, &to);
    }
    for invoice in ["INV0098123", "INV0098177", "INV0098301", "INV0097002"] {
        x12 = x12.replace(invoice, &format!("{invoice}R{n}"));
    }
    x12.into_bytes()
}

/// What a partner's outbox holds: per acknowledged group (AK1 02) the acknowledgments, per
/// debit memo (BRC 04) the 849s, and the names of files in it.
#[derive(Debug, Default)]
struct Outbox {
    acks: BTreeMap<String, usize>,
    answers: BTreeMap<String, usize>,
    names: Vec<String>,
}

fn outbox(dir: &Path) -> Outbox {
    let mut seen = Outbox::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return seen;
    };
    for entry in entries {
        let entry = entry.unwrap();
        seen.names
            .push(entry.file_name().to_string_lossy().into_owned());
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for segment in text.split('~').map(str::trim) {
            let elements: Vec<&str> = segment.split('*').collect();
            match elements.as_slice() {
                ["AK1", _, group, ..] => *seen.acks.entry((*group).to_owned()).or_default() += 1,
                ["BRC", _, _, _, memo, ..] => {
                    *seen.answers.entry((*memo).to_owned()).or_default() += 1
                }
                _ => {}
            }
        }
    }
    seen.names.sort();
    seen
}

/// Each of `keys` once and nothing else.
fn once_each(counts: &BTreeMap<String, usize>, keys: impl IntoIterator<Item = String>) -> bool {
    let want: BTreeMap<String, usize> = keys.into_iter().map(|k| (k, 1)).collect();
    *counts == want
}

fn claim_groups() -> impl Iterator<Item = String> {
    (FIRST_ICN..FIRST_ICN + CLAIMS).map(|n| n.to_string())
}

fn claim_memos() -> impl Iterator<Item = String> {
    (FIRST_ICN..FIRST_ICN + CLAIMS).map(|n| format!("GDD-CB-RESTART-{n}"))
}

/// Polls `done` every 100 ms until it holds, for at most [`PATIENCE`].
async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: not within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many inbound sets of `partner` the engine applied.
async fn applied(store: &dyn store::Store, partner: &str) -> usize {
    let filter = TransactionFilter {
        partner: Some(partner.to_owned()),
        direction: Some(Direction::Inbound),
        step: Some(Step::Engine),
        state: Some(TxState::Done),
        limit: Some(1_000),
        ..Default::default()
    };
    store.list_transactions(&filter).await.unwrap().len()
}

/// The first run, up to the crash point: everything relayed to the in-process bus, the
/// engine done, nothing sent, one 849 in the hands of a sender that never settles it.
async fn run_until_the_crash_point(settings: Settings) {
    let gateway = Gateway::open(settings).await.unwrap();
    let shared = gateway.shared.clone();
    let ingest = gateway.ingest.clone();
    let store = shared.store.clone();
    let settling = server::relay::start_settling(store.clone(), &*shared.bus)
        .await
        .unwrap()
        .expect("the in-process bus reports settlements");
    let stop = CancellationToken::new();
    let mut workers = tokio::task::JoinSet::new();
    for queue in ENGINE_QUEUES {
        workers.spawn(server::engine_worker::run(
            shared.clone(),
            (*queue).to_owned(),
            stop.clone(),
        ));
    }
    let relay = async || {
        server::relay::relay_once(&*store, &*shared.bus)
            .await
            .unwrap()
    };

    let contract = std::fs::read(repo().join("samples/845_4010_contract.x12")).unwrap();
    let receipt = ingest
        .receive_bytes("acmepharma", Channel::Sftp, Some("845.x12"), contract)
        .await
        .unwrap();
    ingest.process(receipt.transaction).await.unwrap();
    wait_for("ACME's contract applied", async || {
        relay().await;
        applied(&*store, "acmepharma").await == 1
    })
    .await;
    for n in claim_groups() {
        let n: u32 = n.parse().unwrap();
        let receipt = ingest
            .receive_bytes(
                "gooddrug",
                Channel::Sftp,
                Some(&format!("844_{n}.x12")),
                claim(n),
            )
            .await
            .unwrap();
        let processed = ingest.process(receipt.transaction).await.unwrap();
        assert_eq!(processed.sets_done, 1, "{processed:?}");
    }
    wait_for("GOOD DRUG's claims adjudicated", async || {
        relay().await;
        applied(&*store, "gooddrug").await == CLAIMS as usize
    })
    .await;
    // The 849s the engine wrote meanwhile.
    relay().await;
    assert!(store.pending_outbox(10).await.unwrap().is_empty());

    // A sender takes one message and dies with it.
    let mut sender = shared
        .bus
        .consume(&shared.queue("outbound.send"), 1)
        .await
        .unwrap();
    let in_hand = tokio::time::timeout(PATIENCE, sender.next())
        .await
        .expect("a message for the sender")
        .unwrap()
        .unwrap();
    let drops = &shared.settings.paths.drop_root;
    for partner in ["acmepharma", "gooddrug"] {
        let sent = outbox(&drops.join(partner).join("outbox"));
        assert!(sent.names.is_empty(), "nothing sent yet: {sent:?}");
    }

    stop.cancel();
    while workers.join_next().await.is_some() {}
    shared.bus.close().await;
    settling.await.unwrap();
    drop(in_hand);
    store.close().await;
}

/// Runs a whole gateway until `done` holds, then stops it as SIGTERM does.
async fn serve_until(settings: Settings, what: &str, done: impl AsyncFnMut() -> bool) {
    let gateway = Gateway::open(settings).await.unwrap();
    let listener = gateway.bind().await.unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(gateway.serve(listener, stop.clone()));
    wait_for(what, done).await;
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgments_and_849s_on_the_in_process_bus_at_a_stop_are_sent_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drop");
    let (acme, good) = (
        drops.join("acmepharma/outbox"),
        drops.join("gooddrug/outbox"),
    );

    run_until_the_crash_point(settings(dir.path())).await;

    // Started again on the same data: what the first run's bus held is published again.
    let all_sent = async || {
        let (acme, good) = (outbox(&acme), outbox(&good));
        acme.acks.contains_key("101")
            && claim_groups().all(|g| good.acks.contains_key(&g))
            && claim_memos().all(|m| good.answers.contains_key(&m))
    };
    serve_until(settings(dir.path()), "every 997 and 849 sent", all_sent).await;
    let check = || {
        let (acme, good) = (outbox(&acme), outbox(&good));
        assert!(once_each(&acme.acks, ["101".to_owned()]), "{acme:?}");
        assert!(acme.answers.is_empty(), "{acme:?}");
        assert_eq!(acme.names.len(), 1, "{acme:?}");
        assert!(once_each(&good.acks, claim_groups()), "{good:?}");
        assert!(once_each(&good.answers, claim_memos()), "{good:?}");
        assert_eq!(good.names.len(), 2 * CLAIMS as usize, "{good:?}");
        assert!(good.names.iter().all(|n| !n.ends_with(".part")), "{good:?}");
        (acme.names, good.names)
    };
    let first = check();

    // Every message was settled by its consumer: a third start has nothing to publish again,
    // and sends nothing more.
    {
        let gateway = Gateway::open(settings(dir.path())).await.unwrap();
        assert_eq!(gateway.shared.store.requeue_unsettled().await.unwrap(), 0);
        gateway.shared.store.close().await;
    }
    let settled_for_a_while = {
        let start = tokio::time::Instant::now();
        async move || start.elapsed() > Duration::from_secs(2)
    };
    serve_until(settings(dir.path()), "a quiet run", settled_for_a_while).await;
    assert_eq!(check(), first);
}

/// The narrower window: the engine committed a document, and the process stopped before the
/// set's transaction was marked done (and before the delivery was acked). At the next start
/// the message comes again; the engine skips it (applied once) and the transaction records
/// its engine step done instead of resting at `outbox` as if the engine never ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_applied_just_before_a_stop_is_recorded_done_when_its_message_comes_again() {
    let dir = tempfile::tempdir().unwrap();
    let set = {
        let gateway = Gateway::open(settings(dir.path())).await.unwrap();
        let shared = gateway.shared.clone();
        let contract = std::fs::read(repo().join("samples/845_4010_contract.x12")).unwrap();
        let receipt = gateway
            .ingest
            .receive_bytes("acmepharma", Channel::Sftp, Some("845.x12"), contract)
            .await
            .unwrap();
        gateway.ingest.process(receipt.transaction).await.unwrap();
        let pending = shared.store.pending_outbox(10).await.unwrap();
        let message = pending
            .iter()
            .find(|r| r.message.routing_key == "contract.acmepharma")
            .expect("the contract's message");
        let headers = &message.message.headers;
        let set: uuid::Uuid = headers["transaction"].as_str().unwrap().parse().unwrap();
        let key = headers["idempotency_key"].as_str().unwrap();
        let doc: schemas::Document = serde_json::from_slice(&message.message.payload).unwrap();
        // What the engine consumer does first, and then the process stops.
        let applied = apply::apply_document(
            &*shared.store,
            &shared.partners().unwrap(),
            "engine.contracts",
            key,
            &doc,
            &shared.context("system"),
        )
        .await
        .unwrap();
        assert!(matches!(applied, apply::Applied::Applied(_)));
        let tx = shared.store.get_transaction(set).await.unwrap().unwrap();
        assert_eq!((tx.step, tx.state), (Step::Outbox, TxState::Done));
        shared.store.close().await;
        set
    };
    let store = {
        let gateway = Gateway::open(settings(dir.path())).await.unwrap();
        gateway.shared.store.clone()
    };
    serve_until(
        settings(dir.path()),
        "the set's engine step recorded",
        async || {
            let tx = store.get_transaction(set).await.unwrap().unwrap();
            (tx.step, tx.state) == (Step::Engine, TxState::Done)
        },
    )
    .await;
    // Applied once: the 845's contract has one version.
    let mut read = store.reader().await.unwrap();
    assert_eq!(read.contract_version_count().await.unwrap(), 1);
    drop(read);
    store.close().await;
}
