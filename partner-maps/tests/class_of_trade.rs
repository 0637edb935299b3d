//! A customer's class of trade, where a partner states it (`dialect.class_of_trade_ref`): on
//! an 844 line or its end customer's N1 loop, on an 867 line or its transfer's end customer,
//! on an 845 eligible party. It becomes the documents' `class_of_trade`, which picks the price
//! of an item the 845 prices per class (CTP01); it is not kept as an id of the party.

use partner_maps::render::{Identity, render_to_bytes};
use partner_maps::{Profile, ProfileSet, translate};
use schemas::Document;

mod common;

const SHA: &str = "5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a";

/// Harbor RX (a distributor) and Zenith (a supplier), both stating classes in `REF*ZZ`.
fn profile(id: &str, class_ref: Option<&str>) -> Profile {
    let (name, role, qualifier, isa, gs) = match id {
        "harborrx" => (
            "HARBOR RX WHOLESALE",
            "distributor",
            "08",
            "6112390000",
            "HARBORRXAP",
        ),
        _ => (
            "ZENITH BIOLOGICS INC",
            "supplier",
            "01",
            "555666777",
            "ZENITHBIO",
        ),
    };
    let class = class_ref.map_or(String::new(), |q| format!("class_of_trade_ref = \"{q}\"\n"));
    let text = format!(
        r#"
version = 1
id = "{id}"
name = "{name}"
role = "{role}"

[x12]
isa_qualifier = "{qualifier}"
isa_id = "{isa}"
gs_id = "{gs}"
version = "005010"
allowed_sets = ["844", "845", "849", "867"]

[x12.delimiters]
line_ending = "none"

[dialect]
contract_ref = "CON02"
contract_ref_alternates = ["PTD05", "REF:CT"]
ctp_reference = ["WHL", "CAT"]
customer_id_priority = ["11", "21", "UL", "PI"]
product_id_priority = ["UP", "MG"]
ndc_normalize = false
eligibility_date = "003"
quantity_qualifier = ["39", "76"]
{class}"#
    );
    Profile::from_toml_str(&text, &format!("{id}.toml")).expect("profile loads")
}

fn interchange(profile: &Profile, gs01: &str, body: &str) -> String {
    format!(
        "ISA*00*          *00*          *{:2}*{:15}*ZZ*CHARGEGATE     *261125*1530*^*00501*000009001*0*P*>~\
GS*{gs01}*{}*CHARGEGATE*20261125*1530*91*X*005010~{body}GE*1*91~IEA*1*000009001~",
        profile.x12.isa_qualifier, profile.x12.isa_id, profile.x12.gs_id
    )
}

/// One set: ST, the segments, SE with their count.
fn set(segments: &[&str]) -> String {
    let body: String = segments.iter().map(|s| format!("{s}~")).collect();
    format!(
        "ST*{}*0001~{body}SE*{}*0001~",
        st01(segments),
        segments.len() + 2
    )
}

fn st01(segments: &[&str]) -> &'static str {
    match &segments[0][..3] {
        "BAA" => "844",
        "BPA" => "845",
        _ => "867",
    }
}

fn translated(profile: &Profile, x12: &str) -> Vec<Document> {
    let set = ProfileSet::from_profiles([profile.clone()]).expect("one profile");
    let outcomes: Vec<_> = translate(x12.as_bytes(), SHA, &set, Some(&profile.id)).collect();
    assert_eq!(outcomes.len(), 1);
    match &outcomes[0].result {
        Ok(docs) => docs.clone(),
        Err(e) => panic!("{e}\n{x12}"),
    }
}

/// HRX-DM-000782: 1000 syringes for Northside, `pad_ref` on the line, `n1_ref` on Northside.
fn harbor_844(pad_ref: Option<&str>, n1_ref: Option<&str>) -> Vec<String> {
    let mut s: Vec<String> = [
        "BAA*00*DR*20261125*DB*HRX-DM-000782",
        "N1*DS*HARBOR RX WHOLESALE*1*111222333",
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "CON*CT*ZEN-2026-200*VA",
        "N1*ST*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
    ]
    .map(str::to_owned)
    .to_vec();
    s.extend(n1_ref.map(str::to_owned));
    s.extend(
        [
            "PAD*1*CS",
            "LIN**UP*312345000035",
            "UIT*EA*3.10*WH",
            "UIT*EA*2.3575*CT",
            "QTY*39*1000*EA",
            "AMT*CC*742.50",
            "REF*IV*HRX-INV-56010",
        ]
        .map(str::to_owned),
    );
    s.extend(pad_ref.map(str::to_owned));
    s.extend(["DTM*003*20261115", "CTT*1*1000", "AMT*CC*742.50"].map(str::to_owned));
    s
}

fn claim(profile: &Profile, segments: &[String]) -> schemas::Claim {
    let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match translated(profile, &interchange(profile, "CF", &set(&refs))).remove(0) {
        Document::Claim(c) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_844_line_states_its_class_on_the_line_or_on_its_end_customer() {
    let harbor = profile("harborrx", Some("ZZ"));
    let line = |pad: Option<&str>, n1: Option<&str>| {
        let c = claim(&harbor, &harbor_844(pad, n1));
        let l = &c.lines[0];
        let refs: Vec<String> = l
            .end_customer
            .refs
            .iter()
            .map(|r| format!("{}={}", r.qualifier, r.id))
            .collect();
        format!("{:?} {refs:?}", l.class_of_trade)
    };
    assert_eq!(line(None, None), "None []");
    assert_eq!(line(Some("REF*ZZ*HS"), None), "Some(\"HS\") []");
    // On the N1 loop it is the customer's class, not one of its ids.
    assert_eq!(line(None, Some("REF*ZZ*PH")), "Some(\"PH\") []");
    // The line's own class wins over its customer's.
    assert_eq!(
        line(Some("REF*ZZ*HS"), Some("REF*ZZ*PH")),
        "Some(\"HS\") []"
    );
    // A blank class is none. (REF02 of spaces is no REF02, X12.6: REF03 keeps the REF's
    // R0203 note satisfied.)
    assert_eq!(line(Some("REF*ZZ* *NOT STATED"), None), "None []");

    // A profile that names no class REF keeps a REF*ZZ on the customer as the party's.
    let plain = profile("harborrx", None);
    let c = claim(&plain, &harbor_844(Some("REF*ZZ*HS"), Some("REF*ZZ*PH")));
    assert_eq!(c.lines[0].class_of_trade, None);
    assert_eq!(c.lines[0].end_customer.refs.len(), 1);
    assert_eq!(c.lines[0].end_customer.refs[0].id, "PH");
}

#[test]
fn an_867_line_states_its_class_in_its_qty_loop_or_on_its_transfers_customer() {
    let harbor = profile("harborrx", Some("ZZ"));
    let segments = [
        "BPT*00*HRX-867-202611*20261130*SS",
        "DTM*090*20261101",
        "DTM*091*20261130",
        "N1*DS*HARBOR RX WHOLESALE*1*111222333",
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "PTD*SS***CT*ZEN-2026-200",
        "N1*ST*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "REF*ZZ*PH",
        "QTY*39*1000*EA",
        "LIN**UP*312345000035",
        "UIT*EA*2.3575*CT",
        "REF*IV*HRX-INV-56010",
        "DTM*003*20261115",
        "QTY*39*10*EA",
        "LIN**UP*312345000035",
        "UIT*EA*2.3575*CT",
        "REF*IV*HRX-INV-56011",
        "REF*ZZ*HS",
        "DTM*003*20261116",
        "CTT*2*1010",
    ];
    let x12 = interchange(&harbor, "PT", &set(&segments));
    let Document::SalesReport(r) = translated(&harbor, &x12).remove(0) else {
        panic!("a sales report")
    };
    let classes: Vec<Option<&str>> = r
        .lines
        .iter()
        .map(|l| l.class_of_trade.as_deref())
        .collect();
    assert_eq!(classes, [Some("PH"), Some("HS")]);
    let customer = r.lines[0].end_customer.as_deref().expect("customer");
    assert!(customer.refs.is_empty(), "{customer:?}");

    // And back: rendered, the class goes on each line (in the QTY loop) and reads the same.
    let doc = Document::SalesReport(r.clone());
    let bytes = render_to_bytes(
        &[doc],
        &harbor,
        &Identity::new("ZZ", "CHARGEGATE"),
        &common::envelope(7),
    )
    .expect("renders");
    let text = String::from_utf8(bytes).expect("ascii");
    assert!(text.contains("REF*IV*HRX-INV-56010~REF*ZZ*PH~"), "{text}");
    let Document::SalesReport(back) = translated(&harbor, &text).remove(0) else {
        panic!("a sales report")
    };
    assert_eq!(back.lines, r.lines);
}

#[test]
fn an_844_with_classes_survives_render_then_translate() {
    let harbor = profile("harborrx", Some("ZZ"));
    let c = claim(&harbor, &harbor_844(None, Some("REF*ZZ*PH")));
    let bytes = render_to_bytes(
        &[Document::Claim(c.clone())],
        &harbor,
        &Identity::new("ZZ", "CHARGEGATE"),
        &common::envelope(7),
    )
    .expect("renders");
    let text = String::from_utf8(bytes).expect("ascii");
    assert!(text.contains("REF*IV*HRX-INV-56010~REF*ZZ*PH~"), "{text}");
    let Document::Claim(back) = translated(&harbor, &text).remove(0) else {
        panic!("a claim")
    };
    assert_eq!(back.lines, c.lines);
}

#[test]
fn an_845_states_an_eligible_partys_class() {
    let zenith = profile("zenith", Some("ZZ"));
    let segments = [
        "BPA*00*20261015*CT*ZEN-2026-200",
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "N1*DS*HARBOR RX WHOLESALE*1*111222333",
        "CON*CT*ZEN-2026-200*OC",
        "DTM*092*20261101",
        "DTM*093*20271031",
        "N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "REF*ZZ*PH",
        "N1*EB*MERCY GENERAL HOSPITAL*11*BM1234563",
        "REF*ZZ*HS",
        "N1*EB*ST LUKE CLINIC*21*7H8J9K0L1",
        "PAD*1**AI",
        "LIN*1*UP*312345000035*MG*ZB-SYR-10",
        "CTP*HS*CON*2.3575*1*EA",
        "CTP*HS*CAT*3.10*1*EA",
        "CTP*PH*CON*2.60*1*EA",
        "CTP*PH*CAT*3.10*1*EA",
        "CTT*1",
    ];
    let c = contract_of(&zenith, &segments);
    let eligible: Vec<String> = c
        .eligible
        .iter()
        .map(|e| {
            format!(
                "{} {:?} refs={}",
                e.party.id,
                e.class_of_trade,
                e.party.refs.len()
            )
        })
        .collect();
    assert_eq!(
        eligible,
        [
            "340BNS0091 Some(\"PH\") refs=0",
            "BM1234563 Some(\"HS\") refs=0",
            "7H8J9K0L1 None refs=0",
        ]
    );
    let prices: Vec<String> = c
        .items
        .iter()
        .map(|i| format!("{:?} {:?} {:?}", i.class_of_trade, i.contract_price, i.wac))
        .collect();
    assert_eq!(
        prices,
        [
            "Some(\"HS\") Some(2.3575) Some(3.10)",
            "Some(\"PH\") Some(2.60) Some(3.10)",
        ]
    );
    // Rendered back, the classes go on the N1*EB loops.
    let (text, back) = rendered_back(&zenith, &c);
    assert!(
        text.contains("N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091~REF*ZZ*PH~"),
        "{text}"
    );
    assert_eq!(back.eligible, c.eligible);
}

#[test]
fn a_class_ref_that_is_an_invoice_or_an_id_ref_is_refused() {
    for q in ["IV", "OI", "DH", "HI", "TD"] {
        let text = format!(
            "version = 1\nid = \"x\"\nname = \"X\"\nrole = \"distributor\"\n[x12]\nisa_qualifier = \"ZZ\"\nisa_id = \"XPARTNER\"\nversion = \"004010\"\n[dialect]\nclass_of_trade_ref = \"{q}\"\n"
        );
        let e = Profile::from_toml_str(&text, "x.toml").expect_err(q);
        assert!(e.to_string().contains("class_of_trade_ref"), "{q}: {e}");
    }
}

/// Zenith's 845 of one contract with two eligible parties and one item, priced by `ctp`
/// (its CTP loops).
fn zenith_item<'a>(ctp: &[&'a str]) -> Vec<&'a str> {
    let mut segments = vec![
        "BPA*00*20261015*CT*ZEN-2026-200",
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "N1*DS*HARBOR RX WHOLESALE*1*111222333",
        "CON*CT*ZEN-2026-200*OC",
        "DTM*092*20261101",
        "DTM*093*20271031",
        "N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "N1*EB*MERCY GENERAL HOSPITAL*11*BM1234563",
        "PAD*1**AI",
        "LIN*1*UP*312345000035*MG*ZB-SYR-10",
    ];
    segments.extend_from_slice(ctp);
    segments.push("CTT*1");
    segments
}

/// Each item entry of `c` as "contract price, WAC, ids of the parties it is for".
fn prices_for_parties(c: &schemas::Contract) -> Vec<String> {
    c.items
        .iter()
        .map(|i| {
            let parties: Vec<&str> = i.parties.iter().map(|p| p.id.as_str()).collect();
            format!("{:?} {:?} {parties:?}", i.contract_price, i.wac)
        })
        .collect()
}

/// A CTP loop's N1 loops name the only parties its price is for (x12-chargeback §4): the
/// item keeps one entry per price, the named one with its parties, identified as eligible
/// parties are; rendered back, they go under their CTP again.
#[test]
fn a_ctp_level_n1_loop_names_the_parties_its_price_is_for() {
    let zenith = profile("zenith", None);
    let segments = zenith_item(&[
        "CTP**CON*2.3575*1*EA",
        "CTP**CON*2.10*1*EA",
        "N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "CTP**CAT*3.10*1*EA",
    ]);
    let c = contract_of(&zenith, &segments);
    let prices = prices_for_parties(&c);
    assert_eq!(
        prices,
        [
            "Some(2.3575) Some(3.10) []",
            "Some(2.10) None [\"340BNS0091\"]",
        ]
    );
    let (text, back) = rendered_back(&zenith, &c);
    assert!(
        text.contains("CTP**CON*2.10*1*EA~N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091~"),
        "{text}"
    );
    assert_eq!(back.items, c.items);
}

/// An item's own N1 loops (PAD level, after its LIN) name the only parties it is for, as a
/// CTP loop's do for one price: its prices are for Northside only. They were dropped, and
/// the item was priced for every eligible party.
#[test]
fn a_pad_level_n1_loop_names_the_parties_the_item_is_for() {
    let zenith = profile("zenith", None);
    let segments = zenith_item(&[
        "N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "CTP**CON*2.10*1*EA",
        "CTP**CAT*3.10*1*EA",
    ]);
    let c = contract_of(&zenith, &segments);
    assert_eq!(
        prices_for_parties(&c),
        ["Some(2.10) Some(3.10) [\"340BNS0091\"]"]
    );
    let (_, back) = rendered_back(&zenith, &c);
    assert_eq!(back.items, c.items);
    // An N1 that is no eligible entity (here the supplier's) restricts nothing.
    let segments = zenith_item(&[
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "CTP**CON*2.10*1*EA",
        "CTP**CAT*3.10*1*EA",
    ]);
    let c = contract_of(&zenith, &segments);
    assert_eq!(prices_for_parties(&c), ["Some(2.10) Some(3.10) []"]);
}

/// A WAC quoted per EA beside a contract price per CA is a row of its own with no contract
/// price, and the 845 is refused: the error says which price is alone and why, where it said
/// there was no CTP*CON at all, and the partner looked for one it had sent.
#[test]
fn a_wac_in_another_unit_than_the_contract_price_is_refused_saying_so() {
    let zenith = profile("zenith", None);
    let segments = zenith_item(&["CTP**CON*2.10*1*CA", "CTP**CAT*3.10*1*EA"]);
    let x12 = interchange(&zenith, "PA", &set(&segments));
    let profiles = ProfileSet::from_profiles([zenith.clone()]).expect("one profile");
    let outcomes: Vec<_> = translate(x12.as_bytes(), SHA, &profiles, Some(&zenith.id)).collect();
    let Err(e) = &outcomes[0].result else {
        panic!("refused: {:?}", outcomes[0].result)
    };
    let text = e.to_string();
    assert!(
        text.contains(
            "no contract price: a reference price (CTP05 unit EA, CTP01 class (any)) has no CTP \
             with CTP02 CON of the same unit, class of trade, parties and dates"
        ),
        "{text}"
    );
}

/// A CTP whose CTP03 is not the price of one unit (CTP04 other than one, a multiplier in
/// CTP06/07, a tier breakpoint in CTP10, a price for several units in CTP11) is refused at
/// that element, saying why. It was read as a plain unit price: 225.00 per CA where the
/// partner meant 225.00 for 12, or 11.00 where a 0.9 multiplier made it 9.90.
#[test]
fn a_price_that_is_not_for_one_unit_is_refused_at_the_term_that_says_so() {
    let zenith = profile("zenith", None);
    let profiles = ProfileSet::from_profiles([zenith.clone()]).expect("one profile");
    for (ctp, element, said) in [
        (
            "CTP**CAT*225.00*12*EA",
            "element 4",
            "CTP04 12: a price for a quantity other than one",
        ),
        (
            "CTP**CAT*3.10*1*EA*DIS*0.9",
            "element 6",
            "CTP06 DIS: a price multiplier is not applied",
        ),
        (
            "CTP**CAT*3.10*1*EA*****100",
            "element 10",
            "CTP10 100: a tier breakpoint is not applied",
        ),
        (
            "CTP**CAT*3.10*1*EA******3",
            "element 11",
            "CTP11 3: a price for several units",
        ),
    ] {
        let segments = zenith_item(&["CTP**CON*2.10*1*EA", ctp]);
        let x12 = interchange(&zenith, "PA", &set(&segments));
        let outcomes: Vec<_> =
            translate(x12.as_bytes(), SHA, &profiles, Some(&zenith.id)).collect();
        let Err(e) = &outcomes[0].result else {
            panic!("{ctp} refused: {:?}", outcomes[0].result)
        };
        let text = e.to_string();
        assert!(
            text.contains(said) && text.contains(element),
            "{ctp}: {text}"
        );
    }
    // CTP04 1 (or none) is a unit price, as before.
    for ctp in [
        "CTP**CAT*3.10*1*EA",
        "CTP**CAT*3.10**EA",
        "CTP**CAT*3.10*1.00*EA",
    ] {
        let c = contract_of(&zenith, &zenith_item(&["CTP**CON*2.10*1*EA", ctp]));
        assert_eq!(
            c.items[0].wac.map(|w| w.to_string()).as_deref(),
            Some("3.10"),
            "{ctp}"
        );
    }
}

/// A CTP loop's DTMs (`007`/`036`) are when its price is in force: an item priced 2.3575
/// through December and 2.10 from January is two rows, each of its period, and the WAC sent
/// once without dates prices both. The dates were dropped: two prices for the same item,
/// class and unit all along, and the engine could not tell which one a sale was owed.
#[test]
fn a_ctp_loops_dates_are_when_its_price_is_in_force() {
    let zenith = profile("zenith", None);
    let segments = zenith_item(&[
        "CTP**CON*2.3575*1*EA",
        "DTM*007*20261101",
        "DTM*036*20261231",
        "CTP**CON*2.10*1*EA",
        "DTM*007*20270101",
        "CTP**CAT*3.10*1*EA",
    ]);
    let c = contract_of(&zenith, &segments);
    let rows: Vec<String> = c
        .items
        .iter()
        .map(|i| {
            format!(
                "{:?} {:?} {:?} {:?}",
                i.contract_price, i.wac, i.start, i.end
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "Some(2.3575) Some(3.10) Some(2026-11-01) Some(2026-12-31)",
            "Some(2.10) Some(3.10) Some(2027-01-01) None",
        ]
    );
    let (_, back) = rendered_back(&zenith, &c);
    assert_eq!(back.items, c.items);
}

/// The contract an 845 of `segments` (BPA to CTT) from `profile`'s partner maps to.
fn contract_of(profile: &Profile, segments: &[&str]) -> schemas::Contract {
    let x12 = interchange(profile, "PA", &set(segments));
    let Document::Contract(c) = translated(profile, &x12).remove(0) else {
        panic!("a contract")
    };
    c
}

/// `c` rendered for `profile` and translated again: the X12 text and the contract read back.
fn rendered_back(profile: &Profile, c: &schemas::Contract) -> (String, schemas::Contract) {
    let bytes = render_to_bytes(
        &[Document::Contract(c.clone())],
        profile,
        &Identity::new("ZZ", "CHARGEGATE"),
        &common::envelope(7),
    )
    .expect("renders");
    let text = String::from_utf8(bytes).expect("ascii");
    let Document::Contract(back) = translated(profile, &text).remove(0) else {
        panic!("a contract")
    };
    (text, back)
}

/// A price list with a contract price per class of trade and one WAC for every class (CTP01
/// left out on the WHL/CAT row): each class's price row has that WAC. It was read as a
/// separate any-class row with no contract price, and the 845 refused as having none.
#[test]
fn an_845_wac_for_every_class_prices_each_classs_row() {
    let zenith = profile("zenith", Some("ZZ"));
    let segments = [
        "BPA*00*20261015*CT*ZEN-2026-200",
        "N1*SU*ZENITH BIOLOGICS INC*1*555666777",
        "N1*DS*HARBOR RX WHOLESALE*1*111222333",
        "CON*CT*ZEN-2026-200*OC",
        "DTM*092*20261101",
        "DTM*093*20271031",
        "N1*EB*MERCY GENERAL HOSPITAL*11*BM1234563",
        "REF*ZZ*HS",
        "PAD*1**AI",
        "LIN*1*UP*312345000035*MG*ZB-SYR-10",
        "CTP*HS*CON*2.3575*1*EA",
        "CTP*PH*CON*2.60*1*EA",
        "CTP**CAT*3.10*1*EA",
        "CTT*1",
    ];
    let c = contract_of(&zenith, &segments);
    let prices: Vec<String> = c
        .items
        .iter()
        .map(|i| format!("{:?} {:?} {:?}", i.class_of_trade, i.contract_price, i.wac))
        .collect();
    assert_eq!(
        prices,
        [
            "Some(\"HS\") Some(2.3575) Some(3.10)",
            "Some(\"PH\") Some(2.60) Some(3.10)",
        ]
    );
    let (_, back) = rendered_back(&zenith, &c);
    assert_eq!(back.items, c.items);
}

/// An item priced only for named parties (its one CTP**CON carries a CTP-level N1 loop)
/// beside one WAC for everyone: the WAC is the reference price of that price row, not a row
/// of its own with no contract price. The 845 was refused as having no contract price.
#[test]
fn an_845_wac_beside_a_price_for_named_parties_only_prices_that_row() {
    let zenith = profile("zenith", None);
    let segments = zenith_item(&[
        "CTP**CON*2.10*1*EA",
        "N1*EB*NORTHSIDE 340B PHARMACY*PI*340BNS0091",
        "CTP**CAT*3.10*1*EA",
    ]);
    let c = contract_of(&zenith, &segments);
    let prices = prices_for_parties(&c);
    assert_eq!(prices, ["Some(2.10) Some(3.10) [\"340BNS0091\"]"]);
    let (_, back) = rendered_back(&zenith, &c);
    assert_eq!(back.items, c.items);
}

/// An optional element of spaces only is absent in the document, as the validator takes it
/// (X12.6: a string holds a non-space character): a customer named `"   "` has no name, a
/// LIN01 of spaces is no line id, and a REF of spaces names no class.
#[test]
fn optional_elements_of_spaces_only_are_absent_in_the_document() {
    let harbor = profile("harborrx", Some("ZZ"));
    let mut segments = harbor_844(Some("REF*ZZ*   *NOT STATED"), None);
    for s in &mut segments {
        if s.starts_with("N1*ST*") {
            *s = "N1*ST*   *PI*340BNS0091".to_owned();
        }
        if s.starts_with("LIN**") {
            *s = "LIN*  *UP*312345000035".to_owned();
        }
    }
    let c = claim(&harbor, &segments);
    let l = &c.lines[0];
    assert_eq!(l.end_customer.name, None, "{:?}", l.end_customer);
    assert_eq!(l.end_customer.id, "340BNS0091");
    assert_eq!(l.class_of_trade, None);
    let json = serde_json::to_string(&c).expect("serializes");
    assert!(!json.contains("   "), "{json}");
}
