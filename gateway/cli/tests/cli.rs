//! Black-box tests of the built `chargegate` binary: exit codes, stdout/stderr split, and the
//! sample story through translate, adjudicate and render.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chargegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(args)
        .current_dir(root())
        .env_remove("CHARGEGATE__PATHS__PROFILES")
        .output()
        .expect("runs the binary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn validate_exit_codes_follow_the_input() {
    let ok = chargegate(&["validate", "samples/844_4010_claim.x12"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("valid: 1 interchanges, 1 groups, 1 sets"));

    let bad = chargegate(&["validate", "samples/bad_isa_len_se_count.x12"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains(
            "samples/bad_isa_len_se_count.x12: interchange 000005001: ISA is not fixed width"
        ),
        "{}",
        stderr(&bad)
    );

    let missing = chargegate(&["validate", "samples/does-not-exist.x12"]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = chargegate(&["validate"]);
    assert_eq!(usage.status.code(), Some(2));
    // A profile directory named but not there is an environment error, not "no profile".
    let no_profiles = chargegate(&[
        "validate",
        "--profiles",
        "no/such/dir",
        "samples/844_4010_claim.x12",
    ]);
    assert_eq!(
        no_profiles.status.code(),
        Some(2),
        "{}",
        stderr(&no_profiles)
    );
    assert!(stderr(&no_profiles).contains("no profile directory at no/such/dir"));
}

#[test]
fn validate_json_report_is_machine_readable() {
    let o = chargegate(&[
        "validate",
        "--json",
        "--lenient",
        "samples/bad_isa_len_se_count.x12",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json on stdout");
    let file = &v["files"][0];
    assert_eq!(file["valid"], false);
    let se01 = file["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["ack"] == "AK502 4")
        .expect("SE01 finding");
    assert_eq!(se01["location"]["set"], "0001");
    assert_eq!(se01["location"]["group"], "5001");
}

#[test]
fn ack_answers_the_bad_sample_with_ta1_and_997() {
    let o = chargegate(&[
        "ack",
        "--lenient",
        "--date",
        "20261123",
        "--time",
        "1200",
        "samples/bad_isa_len_se_count.x12",
    ]);
    assert_eq!(o.status.code(), Some(1), "input invalid, ack still printed");
    let out = stdout(&o);
    assert!(out.contains("TA1*000005001*261115*1405*E*022~"), "{out}");
    assert!(out.contains("AK5*R*4~"), "{out}");
    assert!(out.contains("AK9*R*1*1*0~"), "{out}");
}

#[test]
fn ack_999_of_a_4010_group_says_it_is_a_997() {
    // The 999 is 005010 only: a 004010 group asked for one gets the 997 the gateway sends
    // it, and stderr says so, naming the group.
    let ack_999 = |file: &str| {
        chargegate(&[
            "ack", "--kind", "999", "--date", "20261201", "--time", "1200", file,
        ])
    };
    let o = ack_999("samples/844_4010_claim.x12");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("ST*997*"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("note: interchange ")
            && err.contains("group 5001 (GS06) is version 004010: a 999 acknowledges 005010 groups only (005010X231); it gets a 997"),
        "{err}"
    );
    // A 005010 group gets its 999 and no note.
    let o = ack_999("samples/844_5010_ship_and_debit.x12");
    assert!(stdout(&o).contains("ST*999*"), "{}", stdout(&o));
    assert!(!stderr(&o).contains("gets a 997"), "{}", stderr(&o));
}

#[test]
fn ack_rejects_a_set_that_does_not_map_as_the_gateway_does() {
    // Valid X12, but GOOD DRUG's profile reads quantities from QTY01 39 only: the set cannot
    // be mapped, and the 997 the gateway sends says so (AK5 R 5), not "accepted".
    let dir = tempdir("ack-unmapped");
    let sales = std::fs::read_to_string(root().join("samples/867_4010_sales.x12")).expect("sample");
    let path = dir.join("867-qty76.x12");
    std::fs::write(&path, sales.replacen("QTY*39*", "QTY*76*", 1)).expect("written");
    let o = chargegate(&[
        "ack",
        "--date",
        "20261201",
        "--time",
        "1200",
        path.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("AK5*R*5~") && out.contains("AK9*R*1*1*0~"),
        "{out}"
    );
    assert!(out.contains("AK3*QTY*"), "{out}");
    assert!(stderr(&o).contains("QTY01"), "{}", stderr(&o));
}

#[test]
fn control_numbers_past_nine_digits_are_a_usage_error() {
    for args in [
        &["ack", "--icn", "1000000000", "samples/844_4010_claim.x12"][..],
        &["ack", "--gcn", "0", "samples/844_4010_claim.x12"][..],
    ] {
        let o = chargegate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("1 to 999999999"), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
    }
    // The last number of the range is still one.
    let o = chargegate(&[
        "ack",
        "--icn",
        "999999999",
        "--gcn",
        "999999999",
        "samples/844_4010_claim.x12",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("*999999999*0*P*"), "{}", stdout(&o));
}

#[test]
fn translate_prints_one_document_per_set() {
    let o = chargegate(&["translate", "samples/844_4010_claim.x12"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let doc: serde_json::Value = serde_json::from_str(lines[0]).expect("json line");
    assert_eq!(doc["schema"], "chargegate.claim/1");
    assert_eq!(doc["debit_memo"], "GDD-CB-20261115-0001");
    assert_eq!(doc["total_claimed"], "255.25");
    assert_eq!(doc["lines"].as_array().map(Vec::len), Some(6));
    assert!(stderr(&o).contains("partner gooddrug"));
}

#[test]
fn translate_prints_a_received_acknowledgment_as_its_document() {
    let o = chargegate(&["translate", "samples/997_4010_ack_844.x12"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let doc: serde_json::Value = serde_json::from_str(text.trim()).expect("one json line");
    assert_eq!(doc["schema"], "chargegate.acknowledgment/1", "{doc}");
    assert_eq!(doc["kind"], "997", "{doc}");
}

#[test]
fn translate_prints_no_document_of_an_interchange_its_ta1_rejects() {
    let dir = tempdir("rejected-interchange");
    let claim = std::fs::read_to_string(root().join("samples/844_4010_claim.x12")).expect("sample");
    let iea = &claim[claim.find("IEA*").expect("an IEA")..];
    let broken = claim.replace(iea.trim_end(), "IEA*1*999999999~");
    assert_ne!(broken, claim);
    let path = dir.join("bad-iea.x12");
    std::fs::write(&path, broken).expect("written");
    let o = chargegate(&["translate", path.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "no claim of a rejected interchange");
    let said = stderr(&o);
    assert!(
        said.contains("set 0001, segment 1 (ST): not processed: its interchange is rejected")
            && said.contains("[TA105 001]"),
        "{said}"
    );
}

#[test]
fn adjudicate_reproduces_the_sample_849() {
    let o = chargegate(&[
        "adjudicate",
        "samples/844_4010_claim.x12",
        "--contracts",
        "samples/845_4010_contract.x12",
        "--today",
        "2026-11-20",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["total_claimed"], "255.25");
    assert_eq!(v["total_approved"], "223.50");
    let line = |n: usize| &v["lines"][n - 1];
    assert_eq!(line(3)["status"], "amount_disputed");
    assert_eq!(line(3)["reason"], "CONTRACT_PRICE_MISMATCH");
    assert_eq!(line(3)["x12_code"], "06");
    assert_eq!(line(3)["approved_amount"], "100.50");
    assert_eq!(line(5)["x12_code"], "03");
    assert_eq!(line(6)["reason"], "CONTRACT_NOT_STARTED");
    assert_eq!(line(6)["follow_up"], "C");
}

#[test]
fn adjudicate_says_when_a_claims_summary_is_not_the_sum_of_its_lines() {
    let dir = tempdir("summary-total");
    let claim = std::fs::read_to_string(root().join("samples/844_4010_claim.x12")).expect("sample");
    let off = claim.replace("CTT*6*26~\nAMT*CC*255.25~", "CTT*6*26~\nAMT*CC*999.99~");
    assert_ne!(off, claim, "the sample's summary moved");
    let path = dir.join("off-total.x12");
    std::fs::write(&path, off).expect("written");
    let o = chargegate(&[
        "adjudicate",
        path.to_str().expect("utf-8 path"),
        "--contracts",
        "samples/845_4010_contract.x12",
        "--today",
        "2026-11-20",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(
        v["total_claimed"], "255.25",
        "the lines are what is adjudicated"
    );
    assert_eq!(v["stated_total"], "999.99");
    assert_eq!(v["total_approved"], "223.50");
    assert!(
        stderr(&o).contains(
            "warning: debit memo GDD-CB-20261115-0001: its summary total 999.99 is not the sum of its lines (255.25)"
        ),
        "{}",
        stderr(&o)
    );
}

/// A CTP-level N1 loop names the only parties its price is for: the sample 845 with
/// amoxicillin at 12.00 for Riverside alone prices claim line 1 (Riverside, claimed at 12.50)
/// at 12.00, while line 4 (Lakeside, the same item) keeps the price for every party.
#[test]
fn adjudicate_prices_a_line_at_the_price_for_its_named_customer() {
    let dir = tempdir("named-price");
    let contract =
        std::fs::read_to_string(root().join("samples/845_4010_contract.x12")).expect("sample");
    let named = contract
        .replace(
            "CTP**CON*12.50*1*CA~",
            "CTP**CON*12.50*1*CA~\nCTP**CON*12.00*1*CA~\nN1*EB*RIVERSIDE COMMUNITY HOSPITAL*11*AR1234563~",
        )
        .replace("SE*48*0001~", "SE*50*0001~");
    assert_ne!(named, contract, "the sample's price moved");
    let path = dir.join("named-price.x12");
    std::fs::write(&path, named).expect("written");
    let o = chargegate(&[
        "adjudicate",
        "samples/844_4010_claim.x12",
        "--contracts",
        path.to_str().expect("utf-8 path"),
        "--today",
        "2026-11-20",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let line = |n: usize| &v["lines"][n - 1];
    assert_eq!(line(1)["reason"], "CONTRACT_PRICE_MISMATCH", "{v}");
    assert_eq!(line(1)["calculated_amount"], "67.50", "{v}");
    assert_eq!(line(4)["status"], "accepted", "{v}");
    assert_eq!(line(4)["approved_amount"], "12.50", "{v}");
}

/// The sample 844 without its lines' UIT*WH, line 2 claiming 60.00 instead of 48.00, and
/// the sample 845 without its CTP*WHL: nothing in the documents states a WAC.
fn without_stated_wac(dir: &Path) -> (String, String) {
    let contract =
        std::fs::read_to_string(root().join("samples/845_4010_contract.x12")).expect("sample");
    let no_whl: String = contract
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("CTP**WHL*"))
        .collect::<String>()
        .replace("SE*48*0001~", "SE*45*0001~");
    let claim = std::fs::read_to_string(root().join("samples/844_4010_claim.x12")).expect("sample");
    let no_wh: String = claim
        .split_inclusive('\n')
        .filter(|l| !(l.starts_with("UIT*") && l.ends_with("*WH~\n")))
        .collect::<String>()
        .replace("AMT*CC*48.00~", "AMT*CC*60.00~")
        .replace("AMT*CC*255.25~", "AMT*CC*267.25~")
        .replace("SE*64*0001~", "SE*58*0001~");
    assert!(
        !no_whl.contains("WHL") && !no_wh.contains("*WH~"),
        "the samples moved"
    );
    let contract = dir.join("845-no-whl.x12");
    let claim = dir.join("844-no-wh.x12");
    std::fs::write(&contract, no_whl).expect("written");
    std::fs::write(&claim, no_wh).expect("written");
    (
        contract.to_str().expect("utf-8").to_owned(),
        claim.to_str().expect("utf-8").to_owned(),
    )
}

/// ACME's WAC list: the sample 845's WACs, per CA, from 2026-01-01, open-ended.
const WAC_LIST: &str = "\
item,price,uom,start,end,basis
12345-0100-01,18.75,CA,2026-01-01,,WAC
12345020101,42.00,CA,2026-01-01,,
12345030005,65.00,CA,2026-01-01,,
";

fn adjudicate_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["adjudicate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--today", "2026-11-20", "--json"]);
    let o = chargegate(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("json")
}

/// chargeback-rules 4.1 with the reference price from a price list: an 844 whose lines state
/// no WAC against an 845 that states none has no amount to check (its lines are taken at what
/// they claim); with `--prices` each line is checked against (WAC − contract) × quantity: line
/// 2's 60.00 for 48.00 is Amount Disputed `AMOUNT_MISMATCH` (33) and paid 48.00, line 3's
/// contract price 45.00 against 48.25 is `CONTRACT_PRICE_MISMATCH` (06) at 100.50, lines 1
/// and 4 are accepted as claimed.
#[test]
fn adjudicate_checks_amounts_against_a_reference_price_list() {
    let dir = tempdir("price-list");
    let (contract, claim) = without_stated_wac(&dir);
    let unpriced = adjudicate_json(&[&claim, "--contracts", &contract]);
    let line = |v: &serde_json::Value, n: usize| v["lines"][n - 1].clone();
    assert_eq!(line(&unpriced, 2)["status"], "accepted", "{unpriced}");
    assert_eq!(
        line(&unpriced, 2)["calculated_amount"],
        serde_json::Value::Null
    );

    let list = dir.join("acme-wac.csv");
    std::fs::write(&list, WAC_LIST).expect("written");
    let list = list.to_str().expect("utf-8");
    let v = adjudicate_json(&[&claim, "--contracts", &contract, "--prices", list]);
    assert_eq!(line(&v, 1)["status"], "accepted", "{v}");
    assert_eq!(line(&v, 1)["calculated_amount"], "62.50");
    assert_eq!(line(&v, 1)["approved_amount"], "62.50");
    assert_eq!(line(&v, 2)["status"], "amount_disputed", "{v}");
    assert_eq!(line(&v, 2)["reason"], "AMOUNT_MISMATCH");
    assert_eq!(line(&v, 2)["x12_code"], "33");
    assert_eq!(line(&v, 2)["calculated_amount"], "48.00");
    assert_eq!(line(&v, 2)["approved_amount"], "48.00");
    assert_eq!(line(&v, 3)["reason"], "CONTRACT_PRICE_MISMATCH");
    assert_eq!(line(&v, 3)["approved_amount"], "100.50");
    assert_eq!(line(&v, 4)["approved_amount"], "12.50");
    assert_eq!(v["total_claimed"], "267.25");
    assert_eq!(v["total_approved"], "223.50");
}

/// The contract's own WAC wins over a price list (chargeback-rules 4.1): the sample 845
/// states 18.75 for amoxicillin, so a list saying 20.00 changes nothing.
#[test]
fn adjudicate_keeps_the_contracts_wac_over_a_price_list() {
    let dir = tempdir("price-list-loses");
    let list = dir.join("higher.csv");
    std::fs::write(
        &list,
        "item,price,uom,start\n12345010001,20.00,CA,2026-01-01\n",
    )
    .expect("written");
    let v = adjudicate_json(&[
        "samples/844_4010_claim.x12",
        "--contracts",
        "samples/845_4010_contract.x12",
        "--prices",
        list.to_str().expect("utf-8"),
    ]);
    assert_eq!(v["lines"][0]["status"], "accepted", "{v}");
    assert_eq!(v["lines"][0]["calculated_amount"], "62.50");
    assert_eq!(v["total_approved"], "223.50");
}

/// ACME's WAC list with two items priced per EA (12 EA a CA): 1.5625 × 12 = 18.75 and
/// 3.50 × 12 = 42.00 per CA; the third stays per CA.
const WAC_LIST_PER_EA: &str = "\
item,price,uom,start,end,basis
12345-0100-01,1.5625,EA,2026-01-01,,WAC
12345020101,3.50,EA,2026-01-01,,
12345030005,65.00,CA,2026-01-01,,
";

/// chargeback-rules 4.1 `ref(d)` per contract unit from a list per EA: the 845 prices per CA,
/// so without a conversion the EA rows price nothing (lines 1, 2 and 4 are taken at what they
/// claim); with `--uom-factor EA:CA=1/12` they are 18.75 and 42.00 per CA, and every line
/// comes out as with a list per CA: 62.50, 48.00 for a claimed 60.00 (`AMOUNT_MISMATCH`),
/// line 3 from its CA row, 12.50.
#[test]
fn adjudicate_prices_a_case_contract_from_a_list_per_each() {
    let dir = tempdir("price-list-each");
    let (contract, claim) = without_stated_wac(&dir);
    let list = dir.join("acme-wac-each.csv");
    std::fs::write(&list, WAC_LIST_PER_EA).expect("written");
    let list = list.to_str().expect("utf-8");
    let line = |v: &serde_json::Value, n: usize| v["lines"][n - 1].clone();

    let unconverted = adjudicate_json(&[&claim, "--contracts", &contract, "--prices", list]);
    assert_eq!(line(&unconverted, 1)["status"], "accepted", "{unconverted}");
    assert_eq!(
        line(&unconverted, 1)["calculated_amount"],
        serde_json::Value::Null
    );
    assert_eq!(line(&unconverted, 2)["status"], "accepted", "{unconverted}");
    assert_eq!(line(&unconverted, 3)["approved_amount"], "100.50");

    let v = adjudicate_json(&[
        &claim,
        "--contracts",
        &contract,
        "--prices",
        list,
        "--uom-factor",
        "EA:CA=1/12",
    ]);
    assert_eq!(line(&v, 1)["status"], "accepted", "{v}");
    assert_eq!(line(&v, 1)["calculated_amount"], "62.50");
    assert_eq!(line(&v, 1)["approved_amount"], "62.50");
    assert_eq!(line(&v, 2)["status"], "amount_disputed", "{v}");
    assert_eq!(line(&v, 2)["reason"], "AMOUNT_MISMATCH");
    assert_eq!(line(&v, 2)["calculated_amount"], "48.00");
    assert_eq!(line(&v, 2)["approved_amount"], "48.00");
    assert_eq!(line(&v, 3)["reason"], "CONTRACT_PRICE_MISMATCH");
    assert_eq!(line(&v, 3)["approved_amount"], "100.50");
    assert_eq!(line(&v, 4)["calculated_amount"], "12.50");
    assert_eq!(line(&v, 4)["approved_amount"], "12.50");
    assert_eq!(v["total_claimed"], "267.25");
    assert_eq!(v["total_approved"], "223.50");

    // The same case written the other way, CA:EA=12, converts by its inverse: same answer.
    let back = adjudicate_json(&[
        &claim,
        "--contracts",
        &contract,
        "--prices",
        list,
        "--uom-factor",
        "CA:EA=12",
    ]);
    assert_eq!(back["lines"], v["lines"], "{back}");
    assert_eq!(back["total_approved"], "223.50");

    // A factor that is not FROM:TO=NUM/DEN is a usage error naming it and saying why; the
    // factor is read as a profile's is (a whole number allowed, no sign).
    for (flag, why) in [
        (
            "EA:CA=1/0",
            "\"EA:CA=1/0\": the denominator must not be zero",
        ),
        ("EA:CA=+1/12", "\"EA:CA=+1/12\": expected an exact factor"),
        ("EA-CA=1/12", "\"EA-CA=1/12\" is not FROM:TO=NUM/DEN"),
    ] {
        let o = chargegate(&[
            "adjudicate",
            &claim,
            "--contracts",
            &contract,
            "--uom-factor",
            flag,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(why), "{flag}: {}", stderr(&o));
    }
}

/// A price list with bad rows is refused whole, every fault located (exit 1).
#[test]
fn adjudicate_refuses_a_bad_price_list_naming_every_fault() {
    let dir = tempdir("price-list-bad");
    let (contract, claim) = without_stated_wac(&dir);
    let list = dir.join("bad.csv");
    std::fs::write(
        &list,
        "item,price,uom,start\n12345010001,18.75,CA,2026-01-01\n12345020101,42.0000001,CA,2026-01-01\n12345030005,65.00,CA,01/01/2026\n",
    )
    .expect("written");
    let list = list.to_str().expect("utf-8");
    let o = chargegate(&[
        "adjudicate",
        &claim,
        "--contracts",
        &contract,
        "--prices",
        list,
        "--today",
        "2026-11-20",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let said = stderr(&o);
    assert!(
        said.contains(&format!(
            "{list}: row 3, column price: \"42.0000001\" has 7 decimal places; at most 6\n"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{list}: row 4, column start: \"01/01/2026\" is not a date (YYYY-MM-DD)\n"
        )),
        "{said}"
    );
}

#[test]
fn adjudicated_849_renders_to_valid_x12_for_the_distributor() {
    let dir = tempdir("render");
    let o = chargegate(&[
        "adjudicate",
        "samples/844_4010_claim.x12",
        "--contracts",
        "samples/845_4010_contract.x12",
        "--today",
        "2026-11-20",
        "--render-849",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = dir.join("849.json");
    std::fs::write(&doc, &o.stdout).expect("write doc");
    let r = chargegate(&[
        "render",
        doc.to_str().expect("utf-8"),
        "--partner",
        "gooddrug",
        "--date",
        "2026-11-20",
        "--time",
        "10:00",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let x12 = stdout(&r);
    assert!(
        x12.contains("BRC*00*20261120*DB*GDD-CB-20261115-0001~"),
        "{x12}"
    );
    assert!(x12.contains("AAA*N**06*N~"), "{x12}");
    let file = dir.join("849.x12");
    std::fs::write(&file, &r.stdout).expect("write x12");
    let v = chargegate(&["validate", file.to_str().expect("utf-8")]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
}

#[test]
fn onboarding_drafts_and_checks_a_profile_without_code() {
    let dir = tempdir("onboard");
    let out = dir.join("profiles");
    let o = chargegate(&[
        "partner",
        "new",
        "--from",
        "samples/844_5010_ship_and_debit.x12",
        "--id",
        "newvolta",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let profile = out.join("newvolta.toml");
    assert_eq!(stdout(&o).trim(), profile.display().to_string());
    let c = chargegate(&["partner", "check", profile.to_str().expect("utf-8")]);
    assert_eq!(c.status.code(), Some(0), "{}{}", stdout(&c), stderr(&c));
    assert!(stdout(&c).contains("ELX-SD-7781203"), "{}", stdout(&c));

    // A typo in the profile is named with file, line and key.
    let text = std::fs::read_to_string(&profile).expect("read profile");
    std::fs::write(
        &profile,
        text.replacen("[x12]", "[x12]\nisa_qualfier = \"ZZ\"", 1),
    )
    .expect("write");
    let bad = chargegate(&["partner", "check", profile.to_str().expect("utf-8")]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("newvolta.toml:"), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("isa_qualfier"), "{}", stderr(&bad));

    // Unit conversions are reported with the item as the engine reads it, and the way back
    // the engine derives when no entry for the same item states it.
    let conversions = "\n[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\n\
                       factor = \"1/12\"\nitem = \"12345-0100-01\"\n\n\
                       [[rules.uom_conversions]]\nfrom = \"CA\"\nto = \"EA\"\nfactor = \"12\"\n";
    // The `uom conversion` lines `partner check` prints for the profile with `extra`.
    let reported = |extra: &str| -> Vec<String> {
        std::fs::write(&profile, format!("{text}{extra}")).expect("write");
        let c = chargegate(&["partner", "check", profile.to_str().expect("utf-8")]);
        assert_eq!(c.status.code(), Some(0), "{}{}", stdout(&c), stderr(&c));
        stdout(&c)
            .lines()
            .filter(|l| l.starts_with("uom conversion"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        reported(conversions),
        [
            "uom conversion 1: EA -> CA 1/12, item 12345-0100-01 (read as NDC:12345010001); \
             CA -> EA 12/1 by its inverse",
            "uom conversion 2: CA -> EA 12/1, every item; EA -> CA 1/12 by its inverse",
        ]
    );
    // A way back stated for the same item is not derived.
    let both = conversions.replace(
        "factor = \"12\"\n",
        "factor = \"12\"\nitem = \"12345-0100-01\"\n",
    );
    assert_eq!(
        reported(&both),
        [
            "uom conversion 1: EA -> CA 1/12, item 12345-0100-01 (read as NDC:12345010001)",
            "uom conversion 2: CA -> EA 12/1, item 12345-0100-01 (read as NDC:12345010001)",
        ]
    );
    // One the engine cannot read (a ten-digit NDC without its qualifier) fails the check,
    // naming the profile and the entry.
    std::fs::write(
        &profile,
        format!(
            "{text}{}",
            conversions.replace("12345-0100-01", "1234501000")
        ),
    )
    .expect("write");
    let bad = chargegate(&["partner", "check", profile.to_str().expect("utf-8")]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(
        stderr(&bad).contains(
            "profile newvolta: [[rules.uom_conversions]] entry 1 (EA -> CA 1/12, item \
             1234501000): item \"1234501000\" is ten digits"
        ),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn onboarding_copies_only_the_partners_samples_and_refuses_a_second_profile_of_a_sender() {
    let dir = tempdir("onboard-twice");
    let out = dir.join("profiles");
    let out_arg = out.to_str().expect("utf-8").to_owned();
    let new = |id: &str, from: &[&str]| {
        let mut args = vec!["partner", "new", "--from"];
        args.extend(from);
        args.extend(["--id", id, "--out", &out_arg]);
        chargegate(&args)
    };
    // GOOD DRUG's claim comes from another sender: skipped, and not copied beside the draft.
    let o = new(
        "first",
        &[
            "samples/844_5010_ship_and_debit.x12",
            "samples/844_4010_claim.x12",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("skipped 844_4010_claim.x12"),
        "{}",
        stderr(&o)
    );
    let copied: Vec<_> = std::fs::read_dir(out.join("first/samples"))
        .expect("samples copied")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(copied, ["844_5010_ship_and_debit.x12"]);
    let first = out.join("first.toml");
    let c = chargegate(&["partner", "check", first.to_str().expect("utf-8")]);
    assert_eq!(c.status.code(), Some(0), "{}{}", stdout(&c), stderr(&c));

    // A second profile of the same ISA sender would stop the directory from loading.
    let again = new("second", &["samples/844_5010_ship_and_debit.x12"]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("is already profile \"first\""),
        "{}",
        stderr(&again)
    );
    assert!(!out.join("second.toml").exists());
    assert!(!out.join("second").exists());
}

#[test]
fn demo_runs_the_sample_story() {
    let dir = tempdir("demo");
    let o = chargegate(&["demo", "--out", dir.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // Through a running gateway: the contract acknowledged, the 867 validated, the claim
    // paid and reconciled, GOOD DRUG's own claim answered with the sample's totals, the
    // broken file refused with a TA1.
    for expected in [
        "AK9*A*1*1*1",
        "its lines went into batch gooddrug/123456789/",
        "is awaiting_review (GOOD DRUG's profile says Review and Claim)",
        "1 disputed line(s) exported for correction:",
        "claimed 123.00, approved 123.00",
        "AMT*CC*255.25 (claimed), AMT*TT*223.50 (approved)",
        "TA1*000005001*261115*1405*R*022",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let outbox = dir.join("drop/gooddrug/outbox");
    assert!(outbox.read_dir().expect("outbox").count() >= 4);
    let exported = std::fs::read_dir(&dir)
        .expect("demo dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().contains("-disputes-"))
        .expect("the dispute CSV");
    let csv = std::fs::read_to_string(exported.path()).expect("csv");
    assert!(
        csv.starts_with("source_batch_number,source_line_id,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chargegate-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    assert!(Path::new(&dir).is_dir());
    dir
}

#[test]
fn translate_lenient_reads_a_mis_padded_isa_as_ack_does() {
    let dir = tempdir("translate-lenient");
    let sales = std::fs::read_to_string(root().join("samples/867_4010_sales.x12")).expect("sample");
    let short = sales.replacen("*ZZ*GOODDRUG       *", "*ZZ*GOODDRUG      *", 1);
    assert_ne!(short, sales, "the sample's ISA06 moved");
    let path = dir.join("867-short-isa.x12");
    std::fs::write(&path, short).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let strict = chargegate(&["translate", path]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    assert!(stdout(&strict).is_empty(), "{}", stdout(&strict));
    let lenient = chargegate(&["translate", "--lenient", path]);
    assert!(
        stdout(&lenient).contains("\"schema\":\"chargegate.sales_report/1\""),
        "{}",
        stderr(&lenient)
    );
}

#[test]
fn render_of_no_document_is_an_error_not_an_empty_interchange() {
    let dir = tempdir("render-empty");
    let path = dir.join("none.json");
    std::fs::write(&path, "\n").expect("write");
    let o = chargegate(&[
        "render",
        path.to_str().expect("utf-8 path"),
        "--partner",
        "gooddrug",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("no document to render"),
        "{}",
        stderr(&o)
    );
}

/// The printing commands, on a valid file and an invalid one, with the exit status each has.
const PRINTING: [(&[&str], i32); 10] = [
    (&["parse", "--segments", "samples/867_4010_sales.x12"], 0),
    (&["parse", "--json", "samples/867_4010_sales.x12"], 0),
    (&["translate", "samples/867_4010_sales.x12"], 0),
    (&["validate", "samples/867_4010_sales.x12"], 0),
    (&["ack", "samples/867_4010_sales.x12"], 0),
    (
        &["parse", "--segments", "samples/bad_isa_len_se_count.x12"],
        1,
    ),
    (&["validate", "samples/bad_isa_len_se_count.x12"], 1),
    (
        &["validate", "--json", "samples/bad_isa_len_se_count.x12"],
        1,
    ),
    (&["ack", "samples/bad_isa_len_se_count.x12"], 1),
    // Prints no document (none maps), so nothing fails to be written.
    (&["translate", "samples/bad_isa_len_se_count.x12"], 1),
];

/// Runs the binary with `stdout` as its standard output.
fn chargegate_into(args: &[&str], stdout: impl Into<std::process::Stdio>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(args)
        .current_dir(root())
        .env_remove("CHARGEGATE__PATHS__PROFILES")
        .env("RUST_BACKTRACE", "1")
        .stdout(stdout)
        .output()
        .expect("runs the binary")
}

/// A reader that went away (`validate bad.x12 | true`, `parse | head -1`) is no error: the
/// command prints nothing more and says nothing (no "failed printing to stdout" panic, no
/// backtrace), and exits with the status it would have had: 1 for an invalid file, not 0.
#[test]
fn a_closed_reader_keeps_the_exit_status_and_says_nothing() {
    for (args, status) in PRINTING {
        // The reader is closed before the command starts: its first write fails (EPIPE).
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let done = chargegate_into(args, writer);
        let stderr = stderr(&done);
        assert!(
            !stderr.contains("panicked")
                && !stderr.contains("Broken pipe")
                && !stderr.contains("chargegate:"),
            "{args:?}: {stderr}"
        );
        assert_eq!(done.status.code(), Some(status), "{args:?}: {stderr}");
    }
}

/// Output that cannot be written (a full disk: /dev/full, ENOSPC) is an environment error:
/// said on stderr, exit 2, whether the file was valid or not; a command with nothing to print
/// keeps its status.
#[test]
fn output_that_cannot_be_written_is_an_error() {
    for (args, status) in PRINTING {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let done = chargegate_into(args, full);
        let stderr = stderr(&done);
        let (expected, said) = match args {
            ["translate", "samples/bad_isa_len_se_count.x12"] => (status, false),
            _ => (2, true),
        };
        assert_eq!(done.status.code(), Some(expected), "{args:?}: {stderr}");
        assert_eq!(
            stderr.contains("chargegate: cannot write to stdout: No space left on device"),
            said,
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// A closed stdout (`>&-`) is given /dev/null by the Rust runtime before `main`, so it reads
/// as `>/dev/null`: the output is discarded and the status is the command's (README, "The
/// command line").
#[test]
fn a_closed_stdout_descriptor_reads_as_dev_null() {
    for (args, status) in PRINTING {
        let done = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" >&-"#)
            .arg(env!("CARGO_BIN_EXE_chargegate"))
            .args(args)
            .current_dir(root())
            .env_remove("CHARGEGATE__PATHS__PROFILES")
            .output()
            .expect("runs the binary");
        let stderr = stderr(&done);
        assert_eq!(done.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(!stderr.contains("chargegate:"), "{args:?}: {stderr}");
    }
}
