//! §9 export and corrected import on the sample batch, and the dispute case table D1–D6.

use super::*;
use crate::caps::CapLedger;
use crate::contracts::ContractBook;
use crate::duplicates::LineHistory;
use crate::rules::tests::{date, sample_claim, sample_contract};

struct World {
    book: ContractBook,
    history: LineHistory,
    caps: CapLedger,
}

impl World {
    fn new() -> Self {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        Self {
            book,
            history: LineHistory::new(),
            caps: CapLedger::new(),
        }
    }

    fn ledgers(&mut self) -> Ledgers<'_> {
        Ledgers {
            book: &self.book,
            history: &mut self.history,
            caps: &mut self.caps,
        }
    }
}

fn header(id: &str) -> BatchHeader {
    BatchHeader {
        number: format!("N-{id}"),
        name: "acme november".into(),
        claim_date: date("2026-11-30"),
        ..crate::rules::tests::sample_header(id)
    }
}

fn sample_batch(world: &mut World) -> Batch {
    let sales = sample_claim().lines.iter().map(SaleLine::from).collect();
    let (mut batch, _) = Batch::open(
        header("B1"),
        &EngineSettings::default(),
        sales,
        &Actor::System,
        date("2026-11-30"),
    );
    if let Err(e) = batch.process(&mut world.ledgers(), date("2026-11-30")) {
        panic!("{e}");
    }
    batch
}

fn exported(batch: &Batch) -> String {
    let mut out = Vec::new();
    if let Err(e) = export(batch, &EngineSettings::default(), &mut out) {
        panic!("{e}");
    }
    String::from_utf8(out).unwrap_or_default()
}

#[test]
fn export_has_exactly_the_section_9_columns() {
    let mut world = World::new();
    let batch = sample_batch(&mut world);
    let csv = exported(&batch);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        "N-B1,3,acme november,GDD-CB-20261115-0001,987654321,123456789,amount_disputed,CONTRACT_PRICE_MISMATCH,contract price incorrect,CONTRACT_PRICE_MISMATCH;AMOUNT_MISMATCH,06,,65.00,48.25,100.50,,SPA-2026-0042,RIVERSIDE COMMUNITY HOSPITAL,11,AR1234563,INV0098177,,2026-11-07,,N4,12345030005,6,CA,65.00,45.00,120.00,"
    );
    assert!(rows[2].starts_with("N-B1,6,acme november,GDD-CB-20261115-0001,987654321,123456789,eligibility_disputed,CONTRACT_NOT_STARTED,"));
    assert_eq!(
        export_file_name(&batch, date("2026-12-01")),
        "N-B1-disputes-20261201.csv"
    );
    // A corrected batch's number holds `/`: the name is still one file's.
    let mut corrected = batch.clone();
    corrected.header.number = "N-B1/corrected-2".into();
    assert_eq!(
        export_file_name(&corrected, date("2026-12-01")),
        "N-B1_corrected-2-disputes-20261201.csv"
    );
}

/// A corrected file: line 3 at the contract price, line 6 with the right invoice date.
fn corrected(csv: &str) -> String {
    let mut out = Vec::new();
    for (i, line) in csv.lines().enumerate() {
        let fixed = match i {
            1 => line.replace(",65.00,45.00,120.00,", ",65.00,48.25,100.50,agreed"),
            3 => line.replace(",2026-10-20,", ",2026-11-20,"),
            _ => line.to_owned(),
        };
        if i != 2 {
            out.push(fixed);
        }
    }
    out.join("\n")
}

#[test]
fn corrected_import_makes_a_linked_batch_and_resubmits_originals_l16() {
    let mut world = World::new();
    let mut source = sample_batch(&mut world);
    let csv = corrected(&exported(&source));
    let imported = import_corrections(
        &mut source,
        csv.as_bytes(),
        header("B2"),
        &mut world.ledgers(),
        date("2026-11-30"),
    );
    let (batch, outcome) = match imported {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(batch.header.kind, BatchKind::CorrectedCsv);
    assert_eq!(batch.header.corrects_batch_id.as_deref(), Some("B1"));
    let new: Vec<String> = batch
        .lines
        .iter()
        .map(|l| {
            format!(
                "{}<-{}:{}",
                l.sale.line,
                l.sale.corrects.as_ref().map_or("", |c| c.line.as_str()),
                status_name(&l.status)
            )
        })
        .collect();
    assert_eq!(new, ["1<-3:claimed", "2<-6:claimed"]);
    assert_eq!(
        outcome.claim.map(|c| c.amount.to_string()).as_deref(),
        Some("106.75")
    );
    let old: Vec<String> = source
        .lines
        .iter()
        .map(|l| format!("{}:{}", l.sale.line, status_name(&l.status)))
        .collect();
    assert_eq!(
        old,
        [
            "1:accepted",
            "2:accepted",
            "3:rejected",
            "4:accepted",
            "5:eligibility_disputed",
            "6:rejected"
        ]
    );
    assert_eq!(
        source.lines[2].reject_reason,
        Some(RejectReason::Resubmitted)
    );
    assert_eq!(source.status, BatchStatus::AwaitingReview);
    assert_eq!(batch.lines[0].comment.as_deref(), Some("agreed"));
}

#[test]
fn a_bad_file_fails_whole_with_its_location() {
    let mut world = World::new();
    let mut source = sample_batch(&mut world);
    let csv = exported(&source);
    let cases = [
        (
            csv.replacen(",3,acme november,", ",9,acme november,", 1),
            "row 2, column source_line_id: unknown line of the source batch",
        ),
        (
            csv.replacen(
                ",987654321,123456789,amount_disputed",
                ",987654321,999,amount_disputed",
                1,
            ),
            "row 2, column supplier_id: does not match the source batch (123456789)",
        ),
        (
            csv.replacen(",6,CA,65.00", ",six,CA,65.00", 1),
            "row 2, column quantity: not a plain decimal",
        ),
        (
            csv.replacen(",2026-10-20,", ",20.10.2026,", 1),
            "row 4, column invoice_date: not an ISO date (YYYY-MM-DD)",
        ),
        (
            // No ISO date, though chrono's `%Y-%m-%d` alone takes it: the export never writes
            // it, and rosters and price lists refuse it too.
            csv.replacen(",2026-10-20,", ",2026-10-2,", 1),
            "row 4, column invoice_date: not an ISO date (YYYY-MM-DD)",
        ),
    ];
    for (bad, expected) in cases {
        let before = source.clone();
        let result = import_corrections(
            &mut source,
            bad.as_bytes(),
            header("B2"),
            &mut world.ledgers(),
            date("2026-11-30"),
        );
        assert_eq!(
            result.map(|_| ()).map_err(|e| e.to_string()),
            Err(expected.to_owned())
        );
        assert_eq!(source, before, "the source batch is untouched");
    }
}

#[test]
fn dispute_cases_d1_to_d6() {
    let settings = EngineSettings::default();
    let user = Actor::user("ann");
    let today = date("2026-11-20");
    let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
    let open = |amount: &str, already: &str| {
        DisputeCase::open(
            "D-1".into(),
            "GDD-CB-20261115-0001".into(),
            vec!["5".into()],
            d(amount),
            "item was on contract".into(),
            "ann".into(),
            d(already),
            d("6.00"),
            &settings,
            &user,
            today,
        )
    };
    assert_eq!(
        open("6.01", "0").map(|_| ()),
        Err(CaseError::ExceedsUnpaid { unpaid: d("6.00") })
    );
    assert_eq!(
        open("4.00", "3.00").map(|_| ()),
        Err(CaseError::ExceedsUnpaid { unpaid: d("6.00") })
    );
    let (mut case, event) = match open("6.00", "0") {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        (event.event.as_str(), case.due),
        ("D1 open", date("2027-02-18"))
    );
    let step = |r: Result<AuditEvent, CaseError>| {
        r.map(|e| format!("{} -> {}", e.event, e.to))
            .unwrap_or_else(|e| format!("error: {e}"))
    };
    assert_eq!(
        step(case.start_review(&user, today)),
        "error: case D-1 is open; D3 review is not allowed"
    );
    assert_eq!(step(case.submit(&user, today)), "D2 submit -> submitted");
    assert_eq!(
        step(case.start_review(&Actor::Partner("acme".into()), today)),
        "D3 review -> under_review"
    );
    assert_eq!(
        step(case.expire(date("2027-02-18"))),
        "error: case is due 2027-02-18"
    );
    let mut expiring = case.clone();
    assert_eq!(
        step(expiring.expire(date("2027-02-19"))),
        "D6 expire -> expired"
    );
    let mut withdrawn = case.clone();
    assert_eq!(
        step(withdrawn.withdraw(&user, today)),
        "D5 withdraw -> withdrawn"
    );
    // The recovery fits the decision: all when won, some when partially won.
    assert_eq!(
        step(case.clone().decide(Decision::Won, d("3.00"), &user, today)),
        format!(
            "error: a case of {} won recovers all of it, not 3.00",
            case.amount
        )
    );
    assert_eq!(
        step(case.decide(Decision::PartiallyWon, d("3.00"), &user, today)),
        "D4 decide -> partially_won"
    );
    assert_eq!(
        step(case.withdraw(&user, today)),
        "error: case D-1 is partially_won; D5 withdraw is not allowed"
    );
}
