//! Differential test against an independent reader: the 005010 845s (acmepharma) and the
//! 005010 867 (caresupply) are also parsed with the `x12-types` crate, and every field both
//! read must agree with the normalized documents `translate` makes.
//!
//! `x12-types` reads `ST..SE` text with `*` and `~` (the `|` of the change 845 is converted
//! first). Its 005010 867 nests the QTY loop inside an SII loop (x12-chargeback.md §7, the
//! nesting conflict), while partners send `PTD .. N1 .. QTY` without SII, which the whole-set
//! parser refuses. So the 867 is read by x12-types loop by loop with its own loop grammars:
//! the heading with the summary, each PTD loop up to its first QTY, and each QTY loop.

use std::path::{Path, PathBuf};

use partner_maps::{ProfileSet, translate};
use schemas::Document;
use serde_json::Value;
use x12_types::util::Parser as _;
use x12_types::v005010::{_845, _867, _867LoopPtd, _867LoopQty};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

/// The sample's text with `*` as element separator and LF line ends.
fn sample(id: &str, name: &str) -> String {
    let text = std::fs::read_to_string(profiles_dir().join(id).join("samples").join(name))
        .expect("sample");
    let text = text.replace("\r\n", "\n");
    // The ISA says which element separator the file uses (byte 3).
    match text.as_bytes().get(3) {
        Some(b'*') | None => text,
        Some(&sep) => text.replace(sep as char, "*"),
    }
}

/// The segments of the first ST..SE, each without its terminator.
fn set_segments(x12: &str) -> Vec<String> {
    let segs: Vec<String> = x12
        .split('~')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let start = segs.iter().position(|s| s.starts_with("ST*")).expect("ST");
    let end = segs.iter().position(|s| s.starts_with("SE*")).expect("SE");
    segs[start..=end].to_vec()
}

/// Segments joined back into x12-types input.
fn text(segs: &[String]) -> String {
    segs.iter().map(|s| format!("{s}~\n")).collect()
}

fn documents(id: &str, name: &str) -> Vec<Document> {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles");
    let bytes = std::fs::read(profiles_dir().join(id).join("samples").join(name)).expect("sample");
    translate(&bytes[..], &"0".repeat(64), &set, None)
        .flat_map(|o| o.result.unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

/// Element `n` ("01", "02"...) of a parsed segment as text.
fn el<'a>(seg: &'a Value, n: &str) -> &'a str {
    seg.get(n).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_else(|_| panic!("decimal {s:?}"))
}

fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y%m%d").unwrap_or_else(|_| panic!("date {s:?}"))
}

fn check_845(name: &str) {
    let segs = set_segments(&sample("acmepharma", name));
    let input = text(&segs);
    let (rest, parsed) = _845::parse(&input).expect("x12-types reads the 845");
    assert!(rest.trim().is_empty(), "{name}: left over {rest:?}");
    let v = serde_json::to_value(&parsed).expect("json");
    let docs = documents("acmepharma", name);
    let cons = arr(&v, "loop_con");
    assert_eq!(cons.len(), docs.len(), "{name}: one contract per CON loop");
    for (con, doc) in cons.iter().zip(&docs) {
        let Document::Contract(c) = doc else {
            panic!("{name}: not a contract")
        };
        assert_eq!(el(&v["bpa"], "01"), c.action.code(), "{name}: BPA01");
        assert_eq!(date(el(&v["bpa"], "02")), c.date, "{name}: BPA02");
        assert_eq!(el(&v["bpa"], "04"), c.contract_id, "{name}: BPA04");
        assert_eq!(el(&con["con"], "02"), c.contract_id, "{name}: CON02");
        assert_eq!(el(&con["con"], "03"), c.status.code(), "{name}: CON03");

        let eligible: Vec<(&str, &str)> = arr(con, "loop_n1")
            .iter()
            .filter(|n| el(&n["n1"], "01") == "EB")
            .map(|n| (el(&n["n1"], "03"), el(&n["n1"], "04")))
            .collect();
        let ours: Vec<(&str, &str)> = c
            .eligible
            .iter()
            .map(|e| (e.party.qualifier.as_str(), e.party.id.as_str()))
            .collect();
        assert_eq!(eligible, ours, "{name}: eligible parties");
        let gpo = arr(con, "loop_n1")
            .iter()
            .find(|n| el(&n["n1"], "01") == "BG")
            .map(|n| el(&n["n1"], "04"));
        assert_eq!(gpo, c.gpo.as_ref().map(|g| g.id.as_str()), "{name}: GPO");

        let pads = arr(con, "loop_pad");
        assert_eq!(pads.len(), c.items.len(), "{name}: one item per PAD");
        for (pad, item) in pads.iter().zip(&c.items) {
            assert_eq!(el(&pad["pad"], "01"), item.line, "{name}: PAD01");
            let lin = &arr(pad, "loop_lin")[0]["lin"];
            assert_eq!(el(lin, "02"), item.item.qualifier, "{name}: LIN02");
            assert_eq!(el(lin, "03"), item.item.id, "{name}: LIN03");
            let others: Vec<(&str, &str)> = item
                .item
                .other_ids
                .iter()
                .map(|o| (o.qualifier.as_str(), o.id.as_str()))
                .collect();
            let theirs: Vec<(&str, &str)> = [("04", "05"), ("06", "07")]
                .iter()
                .map(|(q, i)| (el(lin, q), el(lin, i)))
                .filter(|(q, _)| !q.is_empty())
                .collect();
            assert_eq!(theirs, others, "{name}: further LIN ids");
            let price = |id: &str| {
                arr(pad, "loop_ctp")
                    .iter()
                    .find(|c| el(&c["ctp"], "02") == id)
                    .map(|c| dec(el(&c["ctp"], "03")))
            };
            assert_eq!(price("CON"), item.contract_price, "{name}: CTP**CON");
            assert_eq!(price("WHL"), item.wac, "{name}: CTP**WHL");
            let dtm = |q: &str| {
                arr(pad, "dtm")
                    .iter()
                    .find(|d| el(d, "01") == q)
                    .map(|d| date(el(d, "02")))
            };
            assert_eq!(dtm("131"), item.start, "{name}: DTM*131");
            assert_eq!(dtm("132"), item.end, "{name}: DTM*132");
        }
    }
}

#[test]
fn the_005010_original_845_reads_the_same_in_x12_types() {
    check_845("845_5010_contract.x12");
}

#[test]
fn the_005010_change_845_with_bar_separators_reads_the_same_in_x12_types() {
    check_845("845_5010_contract_change.x12");
}

#[test]
fn the_005010_867_reads_the_same_in_x12_types_loop_by_loop() {
    let segs = set_segments(&sample("caresupply", "867_5010_tracing.x12"));
    let is = |s: &String, id: &str| s.split('*').next() == Some(id);
    let first_ptd = segs.iter().position(|s| is(s, "PTD")).expect("a PTD");
    let ctt = segs.iter().position(|s| is(s, "CTT")).expect("CTT");

    // The heading and the summary, without the detail.
    let mut outer = segs[..first_ptd].to_vec();
    outer.extend_from_slice(&segs[ctt..]);
    let input = text(&outer);
    let (rest, heading) = _867::parse(&input).expect("x12-types reads the heading");
    assert!(rest.trim().is_empty(), "left over {rest:?}");
    let h = serde_json::to_value(&heading).expect("json");

    let docs = documents("caresupply", "867_5010_tracing.x12");
    let [Document::SalesReport(report)] = docs.as_slice() else {
        panic!("one sales report")
    };
    assert_eq!(el(&h["bpt"], "01"), report.action.code());
    assert_eq!(el(&h["bpt"], "02"), report.report_id);
    assert_eq!(date(el(&h["bpt"], "03")), report.date);
    let dtm = |q: &str| {
        arr(&h, "dtm")
            .iter()
            .find(|d| el(d, "01") == q)
            .map(|d| date(el(d, "02")))
    };
    assert_eq!(dtm("090"), Some(report.period_start));
    assert_eq!(dtm("091"), Some(report.period_end));
    let ctt_seg = &arr(&h, "loop_ctt")[0]["ctt"];
    assert_eq!(
        el(ctt_seg, "01").parse::<u32>().ok(),
        report.line_count,
        "CTT01"
    );
    assert_eq!(Some(dec(el(ctt_seg, "02"))), report.quantity_total, "CTT02");

    // Each PTD loop up to its first QTY, then each QTY loop.
    let mut lines = report.lines.iter();
    let mut at = first_ptd;
    let mut qty_loops = 0;
    while at < ctt {
        let end = segs[at + 1..ctt]
            .iter()
            .position(|s| is(s, "PTD"))
            .map_or(ctt, |i| at + 1 + i);
        let first_qty = segs[at..end]
            .iter()
            .position(|s| is(s, "QTY"))
            .map_or(end, |i| at + i);
        let input = text(&segs[at..first_qty]);
        let (rest, ptd) = _867LoopPtd::parse(&input).expect("x12-types reads the PTD");
        assert!(rest.trim().is_empty(), "left over {rest:?}");
        let p = serde_json::to_value(&ptd).expect("json");
        let mut q = first_qty;
        while q < end {
            let next = segs[q + 1..end]
                .iter()
                .position(|s| is(s, "QTY"))
                .map_or(end, |i| q + 1 + i);
            let input = text(&segs[q..next]);
            let (rest, qty) = _867LoopQty::parse(&input).expect("x12-types reads the QTY loop");
            assert!(rest.trim().is_empty(), "left over {rest:?}");
            let l = serde_json::to_value(&qty).expect("json");
            let ours = lines.next().expect("as many lines as QTY loops");
            qty_loops += 1;
            assert_eq!(el(&p["ptd"], "01"), ours.transfer_type, "PTD01");
            let contract = match el(&p["ptd"], "04") {
                "CT" => Some(el(&p["ptd"], "05")),
                _ => arr(&p, "ref")
                    .iter()
                    .find(|r| el(r, "01") == "CT")
                    .map(|r| el(r, "02")),
            };
            assert_eq!(contract, ours.contract_id.as_deref(), "contract");
            let st = arr(&p, "loop_n1")
                .iter()
                .find(|n| el(&n["n1"], "01") == "ST")
                .map(|n| (el(&n["n1"], "03"), el(&n["n1"], "04")));
            assert_eq!(
                st,
                ours.end_customer
                    .as_ref()
                    .map(|c| (c.qualifier.as_str(), c.id.as_str())),
                "end customer"
            );
            assert_eq!(dec(el(&l["qty"], "02")), ours.quantity, "QTY02");
            assert_eq!(el(&l["lin"], "02"), ours.item.qualifier, "LIN02");
            assert_eq!(el(&l["lin"], "03"), ours.item.id, "LIN03");
            assert_eq!(el(&l["lin"], "05"), ours.item.other_ids[0].id, "LIN05");
            let sell = arr(&l, "uit")
                .iter()
                .find(|u| el(u, "03") == "CT")
                .map(|u| dec(el(u, "02")));
            assert_eq!(sell, Some(ours.unit_price), "UIT*..*CT");
            let amount = arr(&l, "amt")
                .iter()
                .find(|a| el(a, "01") == "CC")
                .map(|a| dec(el(a, "02")));
            assert_eq!(amount, ours.amount, "AMT*CC");
            let invoice = arr(&l, "ref")
                .iter()
                .find(|r| el(r, "01") == "IV")
                .map(|r| el(r, "02"));
            assert_eq!(invoice, Some(ours.invoice.as_str()), "REF*IV");
            q = next;
        }
        at = end;
    }
    assert!(lines.next().is_none(), "as many QTY loops as lines");
    assert_eq!(qty_loops, 6);
}

#[test]
fn x12_types_refuses_the_867_as_a_whole_because_it_nests_qty_under_sii() {
    // Pins the reason for reading the 867 loop by loop; if x12-types changes its 867 layout,
    // this fails and the test above can parse the whole set.
    let segs = set_segments(&sample("caresupply", "867_5010_tracing.x12"));
    let input = text(&segs);
    let whole = _867::parse(&input);
    let read_all_lines = match &whole {
        Ok((rest, _)) => rest.trim().is_empty(),
        Err(_) => false,
    };
    assert!(!read_all_lines);
}
