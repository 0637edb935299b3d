//! Returns as partners send them (chargeback-rules §13.10, x12-chargeback 5 and 7): a line
//! marked a return, by a returns quantity qualifier (`QTY*76`) or a return transfer type,
//! reads its quantity and amount negative, once, and carries the invoice of the sale it gives
//! back (`REF*OI`, `dialect.original_invoice_ref`) in the 867 as in the 844. `partner check`
//! says when a return has no original invoice.

use partner_maps::render::{Identity, render_to_bytes};
use partner_maps::{Profile, ProfileSet, check, translate};
use schemas::Document;

mod common;

const SHA: &str = "5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a";

/// A distributor sending 867s with returns as `QTY*76` and their sale in `REF*OI` (as the
/// profile `chargegate partner new` drafts for one: Pinnacle Health Supply).
const PINNACLE: &str = r#"
version = 1
id = "pinnacle"
name = "PINNACLE HEALTH SUPPLY"
role = "distributor"

[x12]
isa_qualifier = "14"
isa_id = "0987654320001"
gs_id = "PINNACLEHS"
version = "005010"
allowed_sets = ["844", "845", "849", "867"]

[x12.delimiters]
segment = "~"
line_ending = "none"

[dialect]
contract_ref = "REF:CT"
contract_ref_alternates = ["PTD05", "CON02"]
contract_price_basis = ["CT", "NT"]
customer_id_priority = ["11", "21", "UL"]
product_id_priority = ["UP"]
ndc_normalize = false
invoice_ref = "IV"
original_invoice_ref = "OI"
eligibility_date = "003"
quantity_qualifier = ["39", "76"]
claimed_amount = "CC"
"#;

/// Pinnacle's November 867 against ZEN-2026-300: six and two sold on PHS-91001, one of the
/// six returned on PHS-91150 (`QTY*76*1`, `AMT*CC*54.50`, `REF*OI*PHS-91001`), three sold to
/// Valley Surgery.
const PIN_867: &str = "ISA*00*          *00*          *14*0987654320001  *ZZ*CHARGEGATE     *261201*0800*^*00501*000000057*0*P*>~\
GS*PT*PINNACLEHS*CHARGEGATE*20261201*0800*57*X*005010~\
ST*867*0001~\
BPT*00*PHS-867-202611-B*20261130*SS~\
DTM*090*20261101~\
DTM*091*20261130~\
N1*DS*PINNACLE HEALTH SUPPLY*1*098765432~\
N1*SU*ZENITH BIOLOGICS INC*1*555666777~\
PTD*SS***CT*ZEN-2026-300~\
N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~\
QTY*39*6*EA~\
LIN**UP*312345000011~\
UIT*EA*125.50*CT~\
AMT*CC*327.00~\
REF*IV*PHS-91001~\
DTM*003*20261103~\
QTY*39*2*EA~\
LIN**UP*312345000028~\
UIT*EA*460.25*CT~\
AMT*CC*389.50~\
REF*IV*PHS-91001~\
DTM*003*20261103~\
PTD*SS***CT*ZEN-2026-300~\
N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~\
QTY*76*1*EA~\
LIN**UP*312345000011~\
UIT*EA*125.50*CT~\
AMT*CC*54.50~\
REF*IV*PHS-91150~\
REF*OI*PHS-91001~\
DTM*003*20261120~\
PTD*SS~\
REF*CT*ZEN-2026-300~\
N1*ST*VALLEY SURGERY CENTER*UL*0614141000012~\
QTY*39*3*EA~\
LIN**UP*312345000011~\
UIT*EA*125.5*CT~\
AMT*CC*163.50~\
REF*IV*PHS-91077~\
DTM*003*20261112~\
CTT*4*12~\
SE*40*0001~\
GE*1*57~\
IEA*1*000000057~";

fn pinnacle() -> Profile {
    Profile::from_toml_str(PINNACLE, "pinnacle.toml").expect("profile loads")
}

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the text");
    text.replacen(from, to, 1)
}

/// The one document of a one-set interchange.
fn translated(profile: &Profile, x12: &str) -> Document {
    let set = ProfileSet::from_profiles([profile.clone()]).expect("one profile");
    let outcomes: Vec<_> = translate(x12.as_bytes(), SHA, &set, Some(&profile.id)).collect();
    assert_eq!(outcomes.len(), 1);
    match &outcomes[0].result {
        Ok(docs) if docs.len() == 1 => docs[0].clone(),
        other => panic!("{other:?}"),
    }
}

fn sales_report(profile: &Profile, x12: &str) -> schemas::SalesReport {
    match translated(profile, x12) {
        Document::SalesReport(r) => r,
        other => panic!("{other:?}"),
    }
}

/// `quantity amount invoice original` of each line.
fn lines(r: &schemas::SalesReport) -> Vec<String> {
    r.lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {}",
                l.quantity,
                l.amount.map_or("-".to_owned(), |a| a.to_string()),
                l.invoice,
                l.original_invoice.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn an_867_return_reads_negative_quantity_and_amount_and_keeps_its_original_invoice() {
    let r = sales_report(&pinnacle(), PIN_867);
    assert_eq!(
        lines(&r),
        [
            "6 327.00 PHS-91001 -",
            "2 389.50 PHS-91001 -",
            "-1 -54.50 PHS-91150 PHS-91001",
            "3 163.50 PHS-91077 -",
        ]
    );
    // The document says so in its JSON too.
    let json = serde_json::to_value(&r.lines[2]).expect("json");
    assert_eq!(json["quantity"], "-1");
    assert_eq!(json["amount"], "-54.50");
    assert_eq!(json["original_invoice"], "PHS-91001");
    assert!(serde_json::to_value(&r.lines[0]).expect("json")["original_invoice"].is_null());
}

#[test]
fn a_return_sent_signed_is_negative_once_never_turned_back() {
    let p = pinnacle();
    // QTY*76*-1: the partner signs what its qualifier already says; still a return of one.
    let signed = edit(PIN_867, "QTY*76*1*EA~", "QTY*76*-1*EA~");
    assert_eq!(
        lines(&sales_report(&p, &signed))[2],
        "-1 -54.50 PHS-91150 PHS-91001"
    );
    let both = edit(&signed, "AMT*CC*54.50~", "AMT*CC*-54.50~");
    assert_eq!(
        lines(&sales_report(&p, &both))[2],
        "-1 -54.50 PHS-91150 PHS-91001"
    );
    let amount_only = edit(PIN_867, "AMT*CC*54.50~", "AMT*CC*-54.50~");
    assert_eq!(
        lines(&sales_report(&p, &amount_only))[2],
        "-1 -54.50 PHS-91150 PHS-91001"
    );
    // A return by sign alone (QTY*39*-1) keeps what was sent: both numbers are the partner's.
    let by_sign = edit(&both, "QTY*76*-1*EA~", "QTY*39*-1*EA~");
    assert_eq!(
        lines(&sales_report(&p, &by_sign))[2],
        "-1 -54.50 PHS-91150 PHS-91001"
    );
}

#[test]
fn a_return_transfer_type_turns_quantity_and_amount_and_keeps_the_original_invoice() {
    let text = edit(
        PINNACLE,
        "quantity_qualifier = [\"39\", \"76\"]",
        "quantity_qualifier = [\"39\"]\nreturn_transfer_types = [\"RV\"]",
    );
    let p = Profile::from_toml_str(&text, "pinnacle.toml").expect("profile loads");
    let x12 = edit(
        &edit(PIN_867, "QTY*76*1*EA~", "QTY*39*1*EA~"),
        "PTD*SS***CT*ZEN-2026-300~N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*39*1*EA~",
        "PTD*RV***CT*ZEN-2026-300~N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*39*1*EA~",
    );
    assert_eq!(
        lines(&sales_report(&p, &x12)),
        [
            "6 327.00 PHS-91001 -",
            "2 389.50 PHS-91001 -",
            "-1 -54.50 PHS-91150 PHS-91001",
            "3 163.50 PHS-91077 -",
        ]
    );
}

/// The 867's lines as an 844 from the same partner: a CON loop per transfer, a PAD per line.
fn pin_844(return_qty: &str, return_amount: &str) -> String {
    let body = format!(
        "ST*844*0001~\
BAA*00*DR*20261201*DB*PHS-DM-0001~\
N1*DS*PINNACLE HEALTH SUPPLY*1*098765432~\
N1*SU*ZENITH BIOLOGICS INC*1*555666777~\
CON*CT*ZEN-2026-300*VA~\
N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~\
PAD*1*CS~\
LIN**UP*312345000011~\
UIT*EA*180.00*WH~\
UIT*EA*125.50*CT~\
QTY*39*6*EA~\
AMT*CC*327.00~\
REF*IV*PHS-91001~\
DTM*003*20261103~\
PAD*2*CS~\
LIN**UP*312345000011~\
UIT*EA*180.00*WH~\
UIT*EA*125.50*CT~\
{return_qty}~\
AMT*CC*{return_amount}~\
REF*IV*PHS-91150~\
REF*OI*PHS-91001~\
DTM*003*20261120~\
CTT*2~\
AMT*CC*272.50~"
    );
    let count = body.matches('~').count() + 1;
    format!(
        "ISA*00*          *00*          *14*0987654320001  *ZZ*CHARGEGATE     *261201*0800*^*00501*000000058*0*P*>~\
GS*CF*PINNACLEHS*CHARGEGATE*20261201*0800*58*X*005010~{body}SE*{count}*0001~GE*1*58~IEA*1*000000058~"
    )
}

#[test]
fn an_844_return_under_qty_76_claims_a_negative_amount_with_its_original_invoice() {
    let p = pinnacle();
    for (qty, amount) in [
        ("QTY*76*1*EA", "54.50"),
        ("QTY*76*-1*EA", "54.50"),
        ("QTY*76*1*EA", "-54.50"),
        ("QTY*39*-1*EA", "-54.50"),
    ] {
        let Document::Claim(c) = translated(&p, &pin_844(qty, amount)) else {
            panic!("a claim")
        };
        let l = &c.lines[1];
        assert_eq!(
            (
                l.quantity.to_string(),
                l.claimed_amount.to_string(),
                l.original_invoice.as_deref()
            ),
            ("-1".to_owned(), "-54.50".to_owned(), Some("PHS-91001")),
            "{qty} {amount}"
        );
        let sale = &c.lines[0];
        assert_eq!(
            (sale.quantity.to_string(), sale.original_invoice.as_deref()),
            ("6".to_owned(), None)
        );
    }
}

/// A transfer sent as one invoice states it once, at PTD level (`PTD … DTM*003 REF*IV
/// REF*OI N1 … QTY …`, the PTD loop's DTM and REF): its lines are that invoice's, the same
/// lines as when each QTY loop repeats it, and a line's own REF/DTM still win. The lines
/// were refused as having no invoice and no invoice date.
#[test]
fn an_867_lines_invoice_and_dates_may_be_stated_once_for_their_transfer() {
    let p = pinnacle();
    let each = sales_report(&p, PIN_867);
    let once = edit(
        &edit(
            PIN_867,
            "REF*IV*PHS-91150~REF*OI*PHS-91001~DTM*003*20261120~",
            "",
        ),
        "PTD*SS***CT*ZEN-2026-300~N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*76*",
        "PTD*SS***CT*ZEN-2026-300~DTM*003*20261120~REF*IV*PHS-91150~REF*OI*PHS-91001~\
N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*76*",
    );
    assert_eq!(sales_report(&p, &once).lines, each.lines);
    // The first transfer's PTD names another invoice and date; its lines keep their own.
    let overridden = edit(
        &once,
        "PTD*SS***CT*ZEN-2026-300~N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*39*6*",
        "PTD*SS***CT*ZEN-2026-300~DTM*003*20261101~REF*IV*PHS-90000~\
N1*ST*MERCY GENERAL HOSPITAL*11*BM1234563~QTY*39*6*",
    );
    let overridden = edit(&overridden, "SE*40*0001~", "SE*42*0001~");
    assert_eq!(sales_report(&p, &overridden).lines, each.lines);
}

#[test]
fn partner_check_says_when_a_return_has_no_original_invoice() {
    let p = pinnacle();
    let notes = |x12: &str| -> Vec<String> {
        let report = check(&p, &[("pin_867.x12", x12.as_bytes())]);
        assert!(report.is_ok(), "{report}");
        report.samples[0].sets[0]
            .notes
            .iter()
            .map(ToString::to_string)
            .filter(|n| n.contains("original invoice"))
            .collect()
    };
    assert_eq!(notes(PIN_867), Vec::<String>::new());
    let without = edit(PIN_867, "REF*OI*PHS-91001~", "");
    let without = edit(&without, "SE*40*0001~", "SE*39*0001~");
    let found = notes(&without);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("line 3")
            && found[0].contains("no REF*OI (dialect.original_invoice_ref)")
            && found[0].contains("its own REF*IV")
            && found[0].contains("DEBIT_NOT_SUPPORTED"),
        "{}",
        found[0]
    );
    // A profile naming another qualifier than the partner sends finds none either.
    let text = edit(
        PINNACLE,
        "original_invoice_ref = \"OI\"",
        "original_invoice_ref = \"RI\"",
    );
    let other = Profile::from_toml_str(&text, "pinnacle.toml").expect("profile loads");
    let report = check(&other, &[("pin_867.x12", PIN_867.as_bytes())]);
    let text = report.to_string();
    assert!(
        text.contains("no REF*RI") && text.contains("REF01 found: \"IV\", \"OI\""),
        "{text}"
    );
}

#[test]
fn a_sales_report_with_a_return_survives_render_then_translate() {
    let p = pinnacle();
    let doc = translated(&p, PIN_867);
    let envelope = common::envelope(7);
    let bytes = render_to_bytes(
        std::slice::from_ref(&doc),
        &p,
        &Identity::new("ZZ", "CHARGEGATE"),
        &envelope,
    )
    .expect("renders");
    let text = String::from_utf8(bytes).expect("ascii");
    // The return goes back as the partner sent it: QTY*76 and the amount unsigned, REF*OI.
    assert!(
        text.contains("QTY*76*1*EA~LIN**UP*312345000011~UIT*EA*125.50~AMT*CC*54.50~REF*IV*PHS-91150~REF*OI*PHS-91001~"),
        "{text}"
    );
    let Document::SalesReport(back) = translated(&p, &text) else {
        panic!("a sales report")
    };
    let Document::SalesReport(sent) = doc else {
        panic!("a sales report")
    };
    assert_eq!(back.lines, sent.lines);
}
