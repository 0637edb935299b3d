//! The roster CSV (a good file and each located error) and applying rosters.

use super::*;
use crate::rules::tests::date;

const HEADER: &str = "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,activation_date,deactivation_date,tier\n";

fn parse(body: &str) -> Result<(PartyKey, Vec<RosterRow>), RosterCsvError> {
    parse_roster("GPO77", format!("{HEADER}{body}").as_bytes())
}

fn err(body: &str) -> String {
    match parse(body) {
        Err(e) => e.to_string(),
        Ok(rows) => panic!("parsed: {rows:?}"),
    }
}

#[test]
fn a_good_roster_reads_every_row() {
    let (gpo, rows) = parse(
        "91,GPO77,11,AR1234563,RIVERSIDE COMMUNITY HOSPITAL,2026-11-01,,A\n\
         91,gpo-77,21,1A2B3C4D5,\"LAKESIDE CLINIC, PHARMACY\",2026-10-01,2026-12-31,\n\
         91,GPO77,UL,0614141000012,,,,B\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gpo, PartyKey::new("91", "GPO77"));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].customer, PartyKey::new("11", "AR1234563"));
    assert_eq!(rows[0].start, Some(date("2026-11-01")));
    assert_eq!((rows[0].end, rows[0].tier.as_deref()), (None, Some("A")));
    assert_eq!(
        rows[1].customer_name.as_deref(),
        Some("LAKESIDE CLINIC, PHARMACY")
    );
    assert_eq!(rows[1].end, Some(date("2026-12-31")));
    assert_eq!((rows[2].row, rows[2].start, rows[2].end), (4, None, None));
    // Columns in another order read the same.
    let reordered = "tier,gpo_id,gpo_id_qualifier,customer_id,customer_id_qualifier,customer_name,deactivation_date,activation_date\n\
                     A,GPO77,91,AR1234563,11,RIVERSIDE,,2026-11-01\n";
    let (_, again) = parse_roster("GPO77", reordered.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again[0].customer, rows[0].customer);
    assert_eq!(
        (again[0].start, again[0].tier.clone()),
        (rows[0].start, rows[0].tier.clone())
    );
}

#[test]
fn each_bad_cell_is_located() {
    let good = "91,GPO77,11,AR1234563,RIVERSIDE,2026-11-01,,A\n";
    let cases = [
        (
            parse_roster("GPO77", "gpo_id_qualifier,gpo_id\n91,GPO77\n".as_bytes())
                .map(|_| ())
                .map_err(|e| e.to_string()),
            "row 1, column customer_id_qualifier: column missing",
        ),
        (
            parse_roster("GPO77", format!("{},extra\n", HEADER.trim_end()).as_bytes())
                .map(|_| ())
                .map_err(|e| e.to_string()),
            "row 1, column extra: unknown column",
        ),
        (
            Err(err(&format!("{good}91,GPO77,,H1,,,,\n"))),
            "row 3, column customer_id_qualifier: required",
        ),
        (
            Err(err(&format!("{good}91,GPO77,21,,,,,\n"))),
            "row 3, column customer_id: required",
        ),
        (
            Err(err(",GPO77,21,H1,,,,\n")),
            "row 2, column gpo_id_qualifier: required",
        ),
        (
            Err(err(&format!("{good}91,GPO12,21,H1,,,,\n"))),
            "row 3, column gpo_id: 'GPO12' is not the GPO of this roster (GPO77)",
        ),
        (
            Err(err(&format!("{good}92,GPO77,21,H1,,,,\n"))),
            "row 3, column gpo_id_qualifier: '92' differs from the first row's",
        ),
        (
            Err(err(&format!("{good}91,GPO77,21,H1,,11/01/2026,,\n"))),
            "row 3, column activation_date: '11/01/2026' is not a date (YYYY-MM-DD)",
        ),
        (
            Err(err(&format!("{good}91,GPO77,21,H1,,,2026-02-30,\n"))),
            "row 3, column deactivation_date: '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            Err(err(&format!(
                "{good}91,GPO77,21,H1,,2026-11-01,2026-10-31,\n"
            ))),
            "row 3, column deactivation_date: before the activation date",
        ),
        (
            Err(err(&format!("{good}{good}"))),
            "row 3, column customer_id: customer listed twice (first on row 2)",
        ),
        (
            Err(err(&format!("{good}91,GPO77,21,H1\n"))),
            "row 3, column *: 4 fields where the header has 8",
        ),
        (
            parse_roster("GPO77", HEADER.as_bytes())
                .map(|_| ())
                .map_err(|e| e.to_string()),
            "the roster has no member rows",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, Err(want.to_owned()));
    }
    let mut bytes = format!("{HEADER}{good}").into_bytes();
    bytes.extend_from_slice(b"91,GPO77,21,H1,\xff\xfe,,,\n");
    assert_eq!(
        parse_roster("GPO77", &bytes[..])
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err("row 3, column customer_name: not UTF-8".to_owned())
    );
}

fn member(id: &str, start: &str) -> Membership {
    Membership {
        gpo: PartyKey::new("91", "GPO77"),
        customer: PartyKey::new("21", id),
        start: Some(date(start)),
        end: None,
        tier: None,
        roster: Some("R1".into()),
    }
}

#[test]
fn a_delta_adds_and_changes_and_deactivates_nobody() {
    let mut list: Vec<Membership> = (0..4)
        .map(|i| member(&format!("H{i}"), "2026-01-01"))
        .collect();
    let mut changed = member("H1", "2026-01-01");
    changed.end = Some(date("2026-12-31"));
    changed.tier = Some("B".into());
    let added = member("H9", "2026-12-01");
    let out = apply_roster(
        &mut list,
        &[changed, added],
        RosterMode::Delta,
        date("2026-11-15"),
        false,
    );
    assert_eq!(
        out,
        Ok(RosterApplied {
            added: 1,
            updated: 1,
            deactivated: 0,
            retroactive_from: None,
        })
    );
    assert_eq!(list.len(), 5);
    assert_eq!(list[1].end, Some(date("2026-12-31")));
    assert_eq!(list[1].tier.as_deref(), Some("B"));
    assert!(
        list.iter()
            .filter(|m| m.customer.id != "H1")
            .all(|m| m.end.is_none())
    );
}

#[test]
fn past_dates_make_a_roster_retroactive() {
    let today = date("2026-11-15");
    let mut list = vec![member("H0", "2026-01-01")];
    // A member added as of November 1st, applied on the 15th.
    let out = apply_roster(
        &mut list,
        &[member("H1", "2026-11-01")],
        RosterMode::Delta,
        today,
        false,
    );
    assert_eq!(
        out.map(|o| o.retroactive_from),
        Ok(Some(date("2026-11-01")))
    );
    // A deactivation moved into the past: retroactive from the day after the new end.
    let mut ended = member("H0", "2026-01-01");
    ended.end = Some(date("2026-11-20"));
    let _ = apply_roster(&mut list, &[ended.clone()], RosterMode::Delta, today, false);
    ended.end = Some(date("2026-11-09"));
    let out = apply_roster(
        &mut list,
        &[ended],
        RosterMode::Delta,
        date("2026-11-12"),
        false,
    );
    assert_eq!(
        out.map(|o| o.retroactive_from),
        Ok(Some(date("2026-11-10")))
    );
}

#[test]
fn a_snapshot_deactivates_the_missing_within_5_percent() {
    let mut list: Vec<Membership> = (0..40)
        .map(|i| member(&format!("H{i:02}"), "2026-01-01"))
        .collect();
    let today = date("2026-11-15");
    // 2 of 40 (5 %) leave: applied.
    let keep: Vec<Membership> = list[2..].to_vec();
    let out = apply_roster(&mut list, &keep, RosterMode::Snapshot, today, false);
    assert_eq!(out.map(|o| o.deactivated), Ok(2));
    assert_eq!(list[0].end, Some(today));
    // The next day, 2 of the 38 left (5.3 %): held, nothing changed; approved: applied.
    let before = list.clone();
    let keep: Vec<Membership> = list[4..].to_vec();
    assert_eq!(
        apply_roster(
            &mut list,
            &keep,
            RosterMode::Snapshot,
            date("2026-11-16"),
            false
        ),
        Err(RosterError::NeedsApproval {
            deactivating: 2,
            members: 38
        })
    );
    assert_eq!(list, before);
    let out = apply_roster(
        &mut list,
        &keep,
        RosterMode::Snapshot,
        date("2026-11-16"),
        true,
    );
    assert_eq!(out.map(|o| o.deactivated), Ok(2));
}
