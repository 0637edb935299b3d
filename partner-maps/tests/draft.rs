//! Drafting profiles from sample files: what is inferred, and that every draft loads.

use std::path::Path;

use partner_maps::profile::{
    ClaimRef, ContractRef, DateBasis, LineEnding, ReferencePriceBasis, Role,
};
use partner_maps::{DraftError, Profile, draft};
use x12::dict::Version;

fn sample(rel: &str) -> (String, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
        .to_owned();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (name, bytes)
}

fn load(d: &partner_maps::Draft) -> Profile {
    Profile::from_toml_str(&d.toml, &format!("{}.toml", d.id))
        .unwrap_or_else(|e| panic!("draft does not load: {e}\n{}", d.toml))
}

#[test]
fn drafts_gooddrug_from_its_4010_claim() {
    let d = draft(&[sample("../samples/844_4010_claim.x12")], None).expect("drafts");
    assert_eq!(d.id, "gooddrug");
    let p = load(&d);
    assert_eq!(p.id, "gooddrug");
    assert_eq!(p.name, "GOOD DRUG DISTRIBUTORS");
    assert_eq!(p.x12.isa_qualifier, "ZZ");
    assert_eq!(p.x12.isa_id, "GOODDRUG");
    assert_eq!(p.x12.gs_id, "GOODDRUG");
    assert_eq!(p.x12.version, Version::V004010);
    assert_eq!(p.role, Role::Distributor);
    assert_eq!(p.dialect.reference_price_basis, ["WH"]);
    assert_eq!(p.dialect.contract_price_basis, ["CT"]);
    assert_eq!(p.dialect.contract_ref, ContractRef::Con02);
    assert_eq!(p.dialect.claim_ref, ClaimRef::Baa05);
    assert_eq!(p.dialect.baa02, "DR");
    assert_eq!(p.dialect.end_customer_entity, ["ST"]);
    assert_eq!(p.dialect.customer_id_priority, ["11", "21"]);
    assert_eq!(p.dialect.product_id_priority, ["N4"]);
    assert!(p.dialect.ndc_normalize);
    assert_eq!(p.dialect.invoice_ref, "IV");
    assert_eq!(p.dialect.eligibility_date, DateBasis::Invoice);
    assert_eq!(p.dialect.quantity_qualifier, ["39"]);
    assert_eq!(p.dialect.claimed_amount, "CC");
    assert_eq!(p.x12.delimiters.element, b'*');
    assert_eq!(p.x12.delimiters.component, b'>');
    assert_eq!(p.x12.delimiters.segment, b'~');
    assert_eq!(p.x12.line_ending, LineEnding::Lf);
    assert!(p.x12.isa_strict);
    assert!(d.toml.contains("# its ISA14 = 1"), "{}", d.toml);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("ISA ZZ/GOODDRUG, role distributor")),
        "{:#?}",
        d.notes
    );
    assert!(d.notes.iter().any(|n| n.starts_with("CHECK transport")));
    let where_seen = d
        .notes
        .iter()
        .find(|n| n.starts_with("844 qualifiers: "))
        .expect("a note on where each qualifier was seen");
    for part in [
        "N101 heading DS (1), MF (1)",
        "N101 contract loop ST (2)",
        "N103 contract loop 11 (1), 21 (1)",
        "REF01 detail IV (6)",
        "DTM01 003 (6)",
        "UIT03 WH (6), CT (6)",
        "LIN qualifiers N4 (6)",
        "QTY01 39 (6)",
        "AMT01 line CC (6)",
        "AMT01 summary CC (1)",
        "contract number CON02 (2)",
        "debit memo BAA05 (1)",
    ] {
        assert!(where_seen.contains(part), "{part} in {where_seen}");
    }
    assert_eq!(p.dialect.distributor_entity, ["DS"]);
    assert_eq!(p.dialect.supplier_entity, ["MF"]);
}

#[test]
fn records_the_pipe_delimiter_and_005010_of_the_change_845() {
    let d = draft(&[sample("../samples/845_5010_contract_change.x12")], None).expect("drafts");
    let p = load(&d);
    assert_eq!(p.id, "acmepharma");
    assert_eq!(p.role, Role::Supplier);
    assert_eq!(p.x12.version, Version::V005010);
    assert_eq!(p.x12.delimiters.element, b'|');
    assert_eq!(p.x12.delimiters.repetition, Some(b'^'));
    assert!(d.toml.contains("element = \"|\""), "{}", d.toml);
    assert!(d.toml.contains("005010"));
    assert!(
        d.notes.iter().any(|n| n.contains("element |")),
        "{:#?}",
        d.notes
    );
    assert_eq!(p.dialect.eligible_entity, ["EB"]);
    assert_eq!(p.dialect.ctp_contract, ["CON"]);
    assert_eq!(p.dialect.ctp_reference, ["WHL"]);
}

#[test]
fn drafts_a_supplier_from_its_contracts_and_responses() {
    let d = draft(
        &[
            sample("profiles/acmepharma/samples/845_4010_contract.x12"),
            sample("profiles/acmepharma/samples/845_5010_contract.x12"),
            sample("profiles/acmepharma/samples/849_4010_response.x12"),
        ],
        Some("acme"),
    )
    .expect("drafts");
    assert_eq!(d.id, "acme");
    let p = load(&d);
    assert_eq!(p.role, Role::Supplier);
    assert_eq!(p.name, "ACME PHARMACEUTICALS INC");
    assert_eq!(p.x12.version, Version::V005010, "the newest version seen");
    assert_eq!(p.dialect.eligible_entity, ["BG", "EB"]);
    assert_eq!(p.dialect.customer_id_priority, ["11", "21", "UL", "91"]);
    assert_eq!(p.dialect.contract_ref, ContractRef::Con02);
    assert_eq!(p.dialect.contract_ref_alternates, [ContractRef::Bpa04]);
    assert_eq!(p.dialect.agreement_refs, ["AH"]);
    assert_eq!(p.dialect.product_id_priority, ["N4", "UP"]);
    assert_eq!(p.dialect.submitted_price_basis, ["SC"]);
    assert_eq!(p.dialect.claimed_amount, "CC");
    assert_eq!(p.dialect.approved_amount, "1");
    assert_eq!(p.dialect.total_claimed, "CC");
    assert_eq!(p.dialect.total_approved, "TT");
    assert!(
        d.toml
            .contains("# AAA03 codes seen in its 849s: 06 (1), 03 (1), 19 (1)")
    );
    assert!(
        d.notes.iter().any(|n| n.starts_with("CHECK x12.version")),
        "{:#?}",
        d.notes
    );
}

#[test]
fn drafts_ship_and_debit_with_book_cost_and_ship_dates() {
    let d = draft(
        &[
            sample("profiles/voltadist/samples/844_5010_ship_and_debit.x12"),
            sample("profiles/voltadist/samples/844_5010_ship_and_debit_3lines.x12"),
        ],
        None,
    )
    .expect("drafts");
    let p = load(&d);
    assert_eq!(p.id, "voltadist");
    assert_eq!(p.role, Role::Distributor);
    assert_eq!(p.dialect.reference_price_basis, ["DI"]);
    assert_eq!(p.rules.reference_price_basis, ReferencePriceBasis::Book);
    assert_eq!(p.dialect.product_id_priority, ["VP", "BP"]);
    assert!(!p.dialect.ndc_normalize);
    assert_eq!(p.dialect.eligibility_date, DateBasis::Ship);
    assert_eq!(p.dialect.agreement_refs, ["PD"]);
    assert_eq!(p.dialect.customer_id_priority, ["92"]);
    assert_eq!(p.dialect.supplier_entity, ["SU"]);
}

#[test]
fn drafts_867_tracing_with_the_contract_in_ref_ct_or_ptd05() {
    let d = draft(
        &[sample("profiles/caresupply/samples/867_5010_tracing.x12")],
        None,
    )
    .expect("drafts");
    let p = load(&d);
    assert_eq!(p.id, "caresupply");
    assert_eq!(p.role, Role::Distributor);
    assert_eq!(p.dialect.contract_ref, ContractRef::RefCt);
    assert_eq!(p.dialect.contract_ref_alternates, [ContractRef::Ptd05]);
    assert_eq!(p.dialect.customer_id_priority, ["21", "UL"]);
    assert_eq!(p.dialect.product_id_priority, ["VN", "UP"]);
    assert_eq!(p.dialect.reference_price_basis, ["CA"]);
    assert_eq!(p.x12.delimiters.component, b':');
    assert!(!p.dialect.lenient_867_line_order);
}

#[test]
fn an_867_lines_only_price_is_its_sell_price_and_an_849s_qc_is_no_claimed_quantity() {
    // A line priced only by UIT*..*NT: NT is read as the sell price (with CT), not drafted
    // as a reference basis the 867 mapping never reads; the draft then checks clean.
    let (name, bytes) = sample("profiles/caresupply/samples/867_5010_tracing.x12");
    let text = String::from_utf8(bytes).expect("ascii");
    assert!(
        text.contains("UIT*BX*6.15*CT~"),
        "the sample's second line moved"
    );
    let net = text.replace("UIT*BX*6.15*CT~", "UIT*BX*6.15*NT~");
    let d = draft(&[(name, net.clone().into_bytes())], None).expect("drafts");
    let p = load(&d);
    assert_eq!(p.dialect.contract_price_basis, ["CT", "NT"], "{}", d.toml);
    assert_eq!(p.dialect.reference_price_basis, ["CA"], "{}", d.toml);
    let report = partner_maps::check::check(&p, &[("net.x12", net.as_bytes())]);
    assert!(report.is_ok(), "{report}");

    // An 849 approving part of a quantity (QTY*QA / QTY*QC): neither is the claimed one.
    let (name, bytes) = sample("profiles/acmepharma/samples/849_4010_response.x12");
    let text = String::from_utf8(bytes).expect("ascii");
    let split = text.replacen("QTY*39*10*CA~", "QTY*39*10*CA~\nQTY*QC*2*CA~", 1);
    let d = draft(&[(name, split.into_bytes())], None).expect("drafts");
    let p = load(&d);
    assert!(
        !p.dialect.quantity_qualifier.iter().any(|q| q == "QC"),
        "{}",
        d.toml
    );
}

#[test]
fn notices_lin_before_qty_and_a_mis_sized_isa() {
    let (name, bytes) = sample("../samples/867_4010_sales.x12");
    let swapped = String::from_utf8(bytes).expect("ascii").replacen(
        "QTY*39*10*CA~\nLIN**N4*12345010001~",
        "LIN**N4*12345010001~\nQTY*39*10*CA~",
        1,
    );
    let d = draft(&[(name, swapped.into_bytes())], None).expect("drafts");
    let p = load(&d);
    assert!(p.dialect.lenient_867_line_order);
    assert!(d.notes.iter().any(|n| n.contains("LIN before QTY")));
    assert!(
        d.notes
            .iter()
            .any(|n| n.starts_with("CHECK 867_4010_sales.x12: ")),
        "the validation findings are reported: {:#?}",
        d.notes
    );

    let d = draft(&[sample("../samples/bad_isa_len_se_count.x12")], None).expect("drafts");
    let p = load(&d);
    assert!(!p.x12.isa_strict);
    assert_eq!(p.x12.isa_id, "GOODDRUG");
}

#[test]
fn skips_samples_from_other_senders() {
    let d = draft(
        &[
            sample("../samples/844_4010_claim.x12"),
            sample("../samples/849_4010_response.x12"),
        ],
        None,
    )
    .expect("drafts");
    let p = load(&d);
    assert_eq!(p.role, Role::Distributor);
    assert!(
        d.notes
            .iter()
            .any(|n| n.starts_with("skipped 849_4010_response.x12: sent by ZZ/ACMEPHARMA")),
        "{:#?}",
        d.notes
    );
}

#[test]
fn refuses_what_it_cannot_draft() {
    assert!(matches!(
        draft(&[sample("../samples/997_4010_ack_844.x12")], None),
        Err(DraftError::NoBusinessSets { .. })
    ));
    assert!(matches!(
        draft(
            &[sample("../samples/844_4010_claim.x12")],
            Some("Good Drug")
        ),
        Err(DraftError::BadId(_))
    ));
}

#[test]
fn a_cr_terminator_with_lf_after_each_segment_drafts_a_profile_that_loads() {
    // ISA byte 105 is CR and every segment is followed by LF: a CRLF file whose terminator
    // is the CR. The draft says `lf` after a CR terminator; the loader must take it.
    let (name, bytes) = sample("../samples/844_4010_claim.x12");
    let crlf = String::from_utf8(bytes)
        .expect("ascii")
        .replace("~\n", "\r\n");
    let d = draft(&[(name, crlf.into_bytes())], None).expect("drafts");
    let p = load(&d);
    assert_eq!(p.x12.delimiters.segment, b'\r');
    assert_eq!(p.x12.line_ending, LineEnding::Lf);
}

/// Samples whose 844 lines never state an amount draft `compute_claimed_amount = true`
/// (with a note), so the drafted profile takes their claims; one that states them does not.
#[test]
fn an_844_without_line_amounts_drafts_computed_amounts() {
    let (name, bytes) = sample("../samples/844_4010_claim.x12");
    let mut text = String::from_utf8(bytes).expect("ascii");
    for amt in ["62.50", "48.00", "120.00", "12.50", "6.00", "6.25"] {
        let line_amt = format!("AMT*CC*{amt}~");
        assert!(text.contains(&line_amt), "{line_amt}");
        text = text.replacen(&line_amt, "", 1);
    }
    assert!(text.contains("SE*64*0001~"), "{text}");
    text = text.replacen("SE*64*0001~", "SE*58*0001~", 1);
    let d = draft(&[(name, text.into_bytes())], None).expect("drafts");
    assert!(load(&d).dialect.compute_claimed_amount, "{}", d.toml);
    assert!(
        d.notes.iter().any(|n| n.contains("compute_claimed_amount")),
        "{:?}",
        d.notes
    );
    let sent = draft(&[sample("../samples/844_4010_claim.x12")], None).expect("drafts");
    assert!(!load(&sent).dialect.compute_claimed_amount, "{}", sent.toml);
}
