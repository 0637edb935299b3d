//! A partner profile's `[[rules.uom_conversions]]` through `apply` (chargeback-rules 3 V0
//! "UOM converts", 4.1, 4.2), on SQLite and PostgreSQL: ACME's 845 prices item 12345-0100-01
//! at 90.00 per CA against a WAC of 120.00 per CA; GOOD DRUG claims 5 EA of it. With the
//! profile's EA -> CA 1/12 the line is priced (120.00 − 90.00) × 5 / 12 = 12.50 and paid;
//! without it the line is `UOM_UNKNOWN` (AAA03 33). The settings are frozen onto the batch.
//! A generic entry also converts ACME's reference price list, per EA, into the contract's CA.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{Partners, partner_from_profile};
use common::{Harness, Kind, answered, applied, ctx};
use partner_maps::Profile;
use rust_decimal::Decimal;
use schemas::Document;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The sample 845 with item 1 (12345-0100-01) at 90.00 per CA, WAC 120.00 per CA.
fn contract_per_ca() -> Document {
    let Document::Contract(mut contract) = common::translate("845_4010_contract.x12").remove(0)
    else {
        panic!("not a contract");
    };
    let item = &mut contract.items[0];
    assert_eq!(item.item.id, "12345010001");
    item.contract_price = Some(dec("90.00"));
    item.wac = Some(dec("120.00"));
    item.uom = Some("CA".into());
    Document::Contract(contract)
}

/// The sample 844's first line alone, as 5 EA of 12345-0100-01 at 7.50 (90.00 / 12) against
/// 10.00 (120.00 / 12) per EA, claiming 12.50.
fn claim_in_ea() -> Document {
    let Document::Claim(mut claim) = common::translate("844_4010_claim.x12").remove(0) else {
        panic!("not a claim");
    };
    claim.lines.truncate(1);
    let line = &mut claim.lines[0];
    assert_eq!(line.item.id, "12345010001");
    line.uom = "EA".into();
    line.quantity = dec("5");
    line.contract_price = dec("7.50");
    line.wac = Some(dec("10.00"));
    line.claimed_amount = dec("12.50");
    claim.total_claimed = dec("12.50");
    Document::Claim(claim)
}

/// The shipped profiles, GOOD DRUG's with `extra` appended to its file.
fn partners_with_gooddrug(extra: &str) -> Partners {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../partner-maps/profiles/gooddrug.toml"
    );
    let text = format!("{}{extra}", std::fs::read_to_string(path).unwrap());
    let profile = Profile::from_toml_str(&text, "gooddrug.toml").expect("profile loads");
    let mut partners = common::partners();
    partners.insert(partner_from_profile(&profile).expect("profile converts"));
    partners
}

const EA_IN_CA: &str = "
[[rules.uom_conversions]]
from = \"EA\"
to = \"CA\"
factor = \"1/12\"
item = \"12345-0100-01\"
";

/// Applies the contract then the claim; the 849's lines (`line AAA03 approved`) and the
/// batch's frozen conversions.
async fn adjudicate(h: &Harness, partners: &Partners) -> (Vec<String>, serde_json::Value) {
    adjudicate_against(h, partners, contract_per_ca()).await
}

async fn adjudicate_against(
    h: &Harness,
    partners: &Partners,
    contract: Document,
) -> (Vec<String>, serde_json::Value) {
    applied(
        apply::apply_document(
            &*h.store,
            partners,
            "engine.contracts",
            "m-845",
            &contract,
            &ctx("2026-11-01", "system"),
        )
        .await,
    );
    let out = applied(
        apply::apply_document(
            &*h.store,
            partners,
            "engine.claims",
            "m-844",
            &claim_in_ea(),
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    let lines = answered(h, &out.outbound[0].message_id).await;
    let mut read = h.store.reader().await.unwrap();
    let batches = read
        .list_batches(&store::EntityFilter {
            partner: Some("gooddrug".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(batches.len(), 1);
    let frozen = batches[0].payload["settings"]["uom_conversions"].clone();
    (lines, frozen)
}

async fn a_profile_conversion_prices_a_sale_in_another_unit(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners_with_gooddrug(EA_IN_CA);
    let (lines, frozen) = adjudicate(&h, &partners).await;
    assert_eq!(lines, ["1 - 12.50"]);
    assert_eq!(
        frozen,
        serde_json::json!([
            {"item": "NDC:12345010001", "from": "EA", "to": "CA", "num": 1, "den": 12}
        ])
    );
    h.finish().await;
}
both_backends!(
    a_profile_conversion_prices_a_sale_in_another_unit_on,
    a_profile_conversion_prices_a_sale_in_another_unit
);

async fn without_the_conversion_the_sale_is_uom_unknown(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = common::partners();
    let (lines, frozen) = adjudicate(&h, &partners).await;
    assert_eq!(lines, ["1 33 0.00"]);
    assert_eq!(frozen, serde_json::json!([]));
    h.finish().await;
}
both_backends!(
    without_the_conversion_the_sale_is_uom_unknown_on,
    without_the_conversion_the_sale_is_uom_unknown
);

/// No WAC on the contract: ACME's list prices the item at 10.00 per EA, and GOOD DRUG's
/// profile converts EA to CA for every item. The list row is converted to 120.00 per CA and
/// the 5 EA sold priced (120.00 − 90.00) × 5 / 12 = 12.50; without the conversion neither
/// the list row nor the sale converts.
async fn a_generic_conversion_prices_from_a_list_per_ea(kind: Kind) {
    let h = Harness::new(kind).await;
    apply::load_reference_prices(
        &*h.store,
        "123456789",
        b"item,price,uom,start\n12345-0100-01,10.00,EA,2026-01-01\n",
        &ctx("2026-10-01", "ann"),
    )
    .await
    .expect("the list loads");
    let Document::Contract(mut contract) = contract_per_ca() else {
        unreachable!()
    };
    contract.items[0].wac = None;
    let partners = partners_with_gooddrug(
        "\n[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\n",
    );
    let (lines, frozen) = adjudicate_against(&h, &partners, Document::Contract(contract)).await;
    assert_eq!(lines, ["1 - 12.50"]);
    assert_eq!(
        frozen,
        serde_json::json!([{"item": null, "from": "EA", "to": "CA", "num": 1, "den": 12}])
    );
    h.finish().await;
}
both_backends!(
    a_generic_conversion_prices_from_a_list_per_ea_on,
    a_generic_conversion_prices_from_a_list_per_ea
);
