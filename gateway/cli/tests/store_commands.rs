//! Black-box tests of the commands that work on the configured store directly (no running
//! gateway): `roster upload` / `roster approve` (GPO rosters, chargeback-rules 2.2),
//! `prices load` / `prices list` (reference prices, 2.2 and 4.1),
//! `batches cut` (claim periods, 8.1) and `transactions --stuck` with `replay`, on a SQLite
//! database named by a `--config` file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory with a `chargegate.toml` pointing at a SQLite file in it, made by
/// `chargegate migrate` (the commands below work on an existing gateway's database and
/// create none).
fn configured(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("chargegate-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("chargegate.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[paths]\ndata = \"{}\"\nprofiles = \"{}\"\n",
            dir.join("cg.db").display(),
            dir.display(),
            root().join("partner-maps/profiles").display()
        ),
    )
    .expect("config");
    let (code, _, stderr) = out(&chargegate(&config, &["migrate"]));
    assert_eq!(code, Some(0), "{stderr}");
    (dir, config)
}

fn chargegate(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(args)
        .arg("--config")
        .arg(config)
        .current_dir(root())
        .env_remove("CHARGEGATE__DATABASE__URL")
        .env_remove("CHARGEGATE__PATHS__PROFILES")
        .output()
        .expect("runs the binary")
}

fn out(o: &Output) -> (Option<i32>, String, String) {
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const HEADER: &str = "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,activation_date,deactivation_date,tier\n";

fn write(dir: &Path, name: &str, rows: &[&str]) -> String {
    let path = dir.join(name);
    let mut csv = HEADER.to_owned();
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    std::fs::write(&path, csv).expect("csv");
    path.display().to_string()
}

/// A delta adds two members; a bad date is refused with its row and column (exit 1, nothing
/// written); a snapshot listing one of the two would deactivate half the roster: held (exit
/// 0, `pending_approval`), then approved by its id; approving it again is refused (exit 1).
#[test]
fn roster_upload_and_approve_from_the_command_line() {
    let (dir, config) = configured("roster");
    let delta = write(
        &dir,
        "delta.csv",
        &[
            "91,GPO77,21,5G6H7J8K9,HILLCREST MEDICAL CENTER,2026-11-01,,A",
            "91,GPO77,21,7K8L9M0N1,VALLEY CLINIC,2026-11-01,,B",
        ],
    );
    let (code, stdout, stderr) = out(&chargegate(
        &config,
        &[
            "roster", "upload", "--gpo", "GPO77", "--mode", "delta", &delta,
        ],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    let applied: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(applied["status"], "applied", "{stdout}");

    let bad = write(
        &dir,
        "bad.csv",
        &["91,GPO77,21,5G6H7J8K9,HILLCREST MEDICAL CENTER,2026-13-01,,A"],
    );
    let (code, stdout, stderr) = out(&chargegate(
        &config,
        &[
            "roster", "upload", "--gpo", "GPO77", "--mode", "delta", &bad,
        ],
    ));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("{bad}: row 2, column activation_date:")),
        "the error is located by row and column: {stderr}"
    );

    let snapshot = write(
        &dir,
        "snapshot.csv",
        &["91,GPO77,21,5G6H7J8K9,HILLCREST MEDICAL CENTER,2026-11-01,,A"],
    );
    let (code, stdout, stderr) = out(&chargegate(
        &config,
        &[
            "roster", "upload", "--gpo", "GPO77", "--mode", "snapshot", &snapshot,
        ],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    let held: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(held["status"], "pending_approval", "{stdout}");
    let id = held["id"].as_str().expect("id").to_owned();

    let (code, stdout, stderr) = out(&chargegate(
        &config,
        &["roster", "approve", "--gpo", "GPO77", &id],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    let approved: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(approved["status"], "applied", "{stdout}");
    let (code, _, stderr) = out(&chargegate(
        &config,
        &["roster", "approve", "--gpo", "GPO77", &id],
    ));
    assert_eq!(code, Some(1), "approving twice: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `prices load` loads ACME's WAC list into the store (exit 0, `loaded`), the same file again
/// changes nothing (`unchanged`), a list with two bad rows is refused naming both (exit 1,
/// nothing written), a later list supersedes the days it covers, and `prices list` shows the
/// prices in force on a day.
#[test]
fn prices_load_and_list_from_the_command_line() {
    let (dir, config) = configured("prices");
    let list = dir.join("acme-wac.csv");
    std::fs::write(
        &list,
        "item,price,uom,start,end\n12345-0100-01,18.75,CA,2026-01-01,2026-12-31\n12345020101,42.00,CA,2026-01-01,\n",
    )
    .expect("csv");
    let list = list.display().to_string();
    let load = |file: &str| {
        out(&chargegate(
            &config,
            &[
                "prices",
                "load",
                "--supplier",
                "123456789",
                "--actor",
                "ann",
                file,
            ],
        ))
    };
    let (code, stdout, stderr) = load(&list);
    assert_eq!(code, Some(0), "{stderr}");
    let loaded: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(loaded["status"], "loaded", "{stdout}");
    assert_eq!(loaded["loaded"]["added"], 2, "{stdout}");
    let (code, stdout, stderr) = load(&list);
    assert_eq!(code, Some(0), "{stderr}");
    let again: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(again["status"], "unchanged", "{stdout}");

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "item,price,uom,start\n12345010001,19.00,,2027-01-01\n12345020101,42.00,CA,2027-01-01\n12345020101,43.00,CA,2027-02-01\n",
    )
    .expect("csv");
    let bad = bad.display().to_string();
    let (code, stdout, stderr) = load(&bad);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("{bad}: row 2, column uom: required\n"))
            && stderr.contains(&format!(
                "{bad}: row 4, column start: \"2027-02-01\" overlaps row 3 (same item, uom and basis, 2027-01-01..open)\n"
            )),
        "every fault, located: {stderr}"
    );

    let later = dir.join("later.csv");
    std::fs::write(
        &later,
        "item,price,uom,start\n12345010001,19.10,CA,2026-07-01\n",
    )
    .expect("csv");
    let (code, stdout, stderr) = load(&later.display().to_string());
    assert_eq!(code, Some(0), "{stderr}");
    let later: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(later["loaded"]["superseded"], 1, "{stdout}");

    let listed = |date: &str| {
        let (code, stdout, stderr) = out(&chargegate(
            &config,
            &[
                "prices",
                "list",
                "--supplier",
                "123456789",
                "--item",
                "12345010001",
                "--date",
                date,
            ],
        ));
        assert_eq!(code, Some(0), "{stderr}");
        let page: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
        page["prices"]
            .as_array()
            .expect("prices")
            .iter()
            .map(|p| p["price"].as_str().expect("price").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("2026-03-01"), ["18.75"]);
    assert_eq!(listed("2027-03-01"), ["19.10"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `batches cut` on a store with nothing to cut says so and succeeds.
#[test]
fn batches_cut_with_nothing_due() {
    let (dir, config) = configured("cut");
    let (code, stdout, stderr) = out(&chargegate(
        &config,
        &["batches", "cut", "--through", "2026-12-01", "--json"],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("0 batch(es) cut through 2026-12-01"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `chargegate ARGS` run in `dir`, with no configuration file and no environment naming one.
fn unconfigured(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(args)
        .current_dir(dir)
        .env_remove("CHARGEGATE_CONFIG")
        .env_remove("CHARGEGATE__DATABASE__URL")
        .output()
        .expect("runs the binary")
}

/// Run where no gateway is (no `chargegate.toml`, no database), the commands that read or
/// change a gateway's state refuse, naming the database they looked for and how to point at
/// the right one, and create nothing: an operator is never shown a new, empty database as
/// "nothing failed". `migrate` creates it; then they run.
#[test]
fn commands_on_a_gateways_state_refuse_a_database_that_is_not_there() {
    let dir = std::env::temp_dir().join(format!("chargegate-nodb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("data/chargegate.db");
    let id = "01900000-0000-7000-8000-000000000000";
    for args in [
        &["transactions", "--failed"][..],
        &["transactions", "--json"],
        &["replay", id],
        &["dismiss", id, "--reason", "resent"],
        &["batches", "cut", "--through", "2026-12-01"],
        &["batches", "disputes", "gooddrug/GDD-867-202611"],
        &["roster", "approve", "--gpo", "GPO77", id],
        &["prices", "list", "--supplier", "123456789"],
    ] {
        let (code, stdout, stderr) = out(&unconfigured(&dir, args));
        assert_eq!(code, Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains(&format!("no database at {}", db.display()))
                && stderr.contains("--config")
                && stderr.contains("CHARGEGATE__DATABASE__URL"),
            "{args:?}: {stderr}"
        );
        assert!(
            !dir.join("data").exists(),
            "{args:?} created {}",
            db.display()
        );
    }
    let (code, _, stderr) = out(&unconfigured(&dir, &["migrate"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(db.is_file());
    let (code, stdout, stderr) = out(&unconfigured(&dir, &["transactions", "--failed"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("id "), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reader that goes away (`chargegate transactions | head -4`) ends the command quietly:
/// exit 0, no panic, no backtrace.
#[test]
fn a_closed_stdout_ends_transactions_quietly() {
    let (dir, config) = configured("pipe");
    for args in [&["transactions"][..], &["transactions", "--failed"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chargegate"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .env("RUST_BACKTRACE", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs the binary");
        // Closed before the command has opened its database, let alone printed.
        drop(child.stdout.take());
        let done = child.wait_with_output().expect("waits");
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `transactions --stuck` lists what is received or processing and has not moved for 15
/// minutes (`--stuck 0`: whatever is unfinished), and `replay` queues such an outbound file
/// for sending again, after which it is not stuck.
#[test]
fn stuck_transactions_are_listed_and_replayed_from_the_command_line() {
    use store::{Direction, NewTransaction, Step, Store, TxState};
    let (dir, config) = configured("stuck");
    // A 997 we wrote, kept as the gateway keeps what it sends: a resend reads it again.
    let ack = std::fs::read(root().join("samples/997_4010_ack_844.x12")).expect("sample 997");
    let raw = server::raw::RawStore::new(&dir)
        .put(&ack)
        .expect("raw copy");
    let outbound = |at| NewTransaction {
        raw_sha256: Some(raw.sha256.clone()),
        doc_type: Some("acknowledgment".into()),
        isa13: Some("000000192".into()),
        ..NewTransaction::new(
            uuid::Uuid::now_v7(),
            "gooddrug",
            Direction::Outbound,
            Step::Send,
            TxState::Received,
            at,
        )
    };
    let stuck = outbound(chrono::Utc::now() - chrono::Duration::hours(1));
    let fresh = outbound(chrono::Utc::now());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = store::SqliteStore::open(dir.join("cg.db"))
                .await
                .expect("open");
            store.migrate().await.expect("migrate");
            for row in [&stuck, &fresh] {
                store.insert_transaction(row).await.expect("insert");
            }
            store.close().await;
        });
    let listed = |args: &[&str]| -> Vec<String> {
        let (code, stdout, stderr) = out(&chargegate(&config, args));
        assert_eq!(code, Some(0), "{stderr}");
        stdout
            .lines()
            .map(|l| {
                let row: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                row["id"].as_str().expect("id").to_owned()
            })
            .collect()
    };
    assert_eq!(
        listed(&["transactions", "--stuck", "--json"]),
        [stuck.id.to_string()]
    );
    assert_eq!(
        listed(&["transactions", "--stuck", "0", "--json"]),
        [fresh.id.to_string(), stuck.id.to_string()]
    );
    let (code, _, stderr) = out(&chargegate(&config, &["replay", &stuck.id.to_string()]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("queued for sending again"), "{stderr}");
    assert!(listed(&["transactions", "--stuck", "--json"]).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A PostgreSQL database that cannot be reached is said at once, with its reason, and each
/// cause once: the pool alone waited 30 s to say "pool timed out", and anyhow's chain printed
/// every library message twice (`…: Connection refused (os error 111): Connection refused
/// (os error 111)`).
#[test]
fn an_unreachable_database_is_said_at_once_and_once() {
    let dir = std::env::temp_dir().join(format!("chargegate-store-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = dir.join("chargegate.toml");
    std::fs::write(
        &config,
        format!("[database]\nurl = \"postgres://postgres@127.0.0.1:{port}/chargegate\"\n"),
    )
    .expect("config");
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = out(&chargegate(&config, &["transactions", "--failed"]));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(
        stderr.starts_with(&format!(
            "chargegate: database postgres://***@127.0.0.1:{port}/chargegate: "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Connection refused").count(), 1, "{stderr}");
    assert!(!stderr.contains("pool timed out"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
