//! Reference price lists (chargeback-rules 2.2, 4.1) through `apply`, on SQLite and
//! PostgreSQL: ACME's 845 without its WACs (no `CTP*WHL`) and GOOD DRUG's 844 without its
//! lines' (no `UIT*WH`) leave nothing to price a chargeback with; ACME's WAC list, loaded into
//! the store for supplier 123456789, prices the claim adjudicated afterwards through the same
//! process's cached contract book. Loading the list again writes nothing; a refused list
//! writes nothing either.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{PriceQuery, load_reference_prices, reference_prices_page};
use common::{Harness, Kind, answered, applied, ctx, partners};
use rust_decimal::Decimal;
use schemas::Document;

const ACME: &str = "123456789";

/// ACME's WAC list: the sample 845's WACs, per CA, for 2026 and on.
const WAC_LIST: &[u8] = b"\
item,price,uom,start,end,basis
12345-0100-01,18.75,CA,2026-01-01,,WAC
12345020101,42.00,CA,2026-01-01,,
12345030005,65.00,CA,2026-01-01,,
";

/// The sample 845 with no WAC on any item.
fn contract_without_wac() -> Document {
    let Document::Contract(mut contract) = common::translate("845_4010_contract.x12").remove(0)
    else {
        panic!("not a contract");
    };
    for item in &mut contract.items {
        item.wac = None;
    }
    Document::Contract(contract)
}

/// The sample 844 with no WAC on any line, line 2 claiming 60.00 where (42.00 − 30.00) × 4
/// is 48.00.
fn claim_without_wac() -> Document {
    let Document::Claim(mut claim) = common::translate("844_4010_claim.x12").remove(0) else {
        panic!("not a claim");
    };
    for line in &mut claim.lines {
        line.wac = None;
    }
    claim.lines[1].claimed_amount = "60.00".parse::<Decimal>().unwrap();
    claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
    Document::Claim(claim)
}

async fn audit_events(h: &Harness) -> usize {
    let mut read = h.store.reader().await.unwrap();
    read.audit_events("reference_prices", ACME)
        .await
        .unwrap()
        .len()
}

async fn a_loaded_price_list_prices_a_claim(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    applied(
        apply::apply_document(
            &*h.store,
            &partners,
            "engine.contracts",
            "m-845",
            &contract_without_wac(),
            &ctx("2026-11-01", "system"),
        )
        .await,
    );

    // Loaded once: three rows; again: nothing written, not even an audit event.
    let day = ctx("2026-11-16", "ann");
    let first = load_reference_prices(&*h.store, ACME, WAC_LIST, &day)
        .await
        .expect("the list loads");
    assert_eq!(
        (first.status.as_str(), first.loaded.added, first.rows),
        ("loaded", 3, 3)
    );
    let before = h.counts().await;
    let again = load_reference_prices(&*h.store, "1234-56789", WAC_LIST, &day)
        .await
        .expect("the list loads again");
    assert_eq!(
        (again.status.as_str(), again.loaded.unchanged),
        ("unchanged", 3)
    );
    assert_eq!(h.counts().await, before);
    assert_eq!(audit_events(&h).await, 1);

    // A list with a bad row is refused whole, every fault named, nothing written.
    let bad = b"item,price,uom,start\n12345010001,20.00,CA,2027-01-01\n12345020101,-1,CA,2027-01-01\n12345030005,66.00,EACH ONE,2027-01-01\n";
    let refused = load_reference_prices(&*h.store, ACME, bad, &day).await;
    let Err(apply::ApplyError::PriceList(e)) = refused else {
        panic!("refused: {refused:?}");
    };
    let located: Vec<(usize, &str)> = e
        .faults
        .iter()
        .map(|f| (f.row, f.column.as_str()))
        .collect();
    assert_eq!(located, [(3, "price"), (4, "uom")]);
    assert_eq!(h.counts().await, before);
    let page = reference_prices_page(
        &*h.store,
        ACME,
        &PriceQuery {
            item: Some("NDC:12345010001".into()),
            date: Some(common::date("2027-06-01")),
            after: None,
            limit: 10,
        },
    )
    .await
    .expect("listed");
    let prices: Vec<String> = page.prices.iter().map(|p| p.price.to_string()).collect();
    assert_eq!(prices, ["18.75"], "the refused list changed nothing");

    // GOOD DRUG's 844, adjudicated by the process that had its book before the load: each
    // line is priced (WAC − contract) × quantity from the list. Line 2's 60.00 is paid at the
    // calculated 48.00 (AMOUNT_MISMATCH, 33), line 3's contract price 45.00 against 48.25 at
    // 100.50 (06); lines 5 and 6 fail eligibility as in the sample story.
    let out = applied(
        apply::apply_document(
            &*h.store,
            &partners,
            "engine.claims",
            "m-844",
            &claim_without_wac(),
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    assert_eq!(
        answered(&h, &out.outbound[0].message_id).await,
        [
            "1 - 62.50",
            "2 33 48.00",
            "3 06 100.50",
            "4 - 12.50",
            "5 03 0.00",
            "6 19 0.00"
        ]
    );
    h.finish().await;
}
both_backends!(
    a_loaded_price_list_prices_a_claim_on,
    a_loaded_price_list_prices_a_claim
);

/// A later list takes the days it covers from an earlier one, whose rows keep their other
/// days; changing past days, it says from when (§5.3).
async fn a_later_list_supersedes_the_days_it_covers(kind: Kind) {
    let h = Harness::new(kind).await;
    let day = ctx("2026-11-16", "ann");
    load_reference_prices(&*h.store, ACME, WAC_LIST, &day)
        .await
        .expect("first list");
    let raise = b"item,price,uom,start,end\n12345010001,19.50,CA,2026-11-01,2026-11-30\n";
    let later = load_reference_prices(&*h.store, ACME, raise, &day)
        .await
        .expect("later list");
    assert_eq!(
        (later.loaded.added, later.loaded.superseded, later.rows),
        (1, 1, 5)
    );
    assert_eq!(
        later.loaded.retroactive_from,
        Some(common::date("2026-11-01"))
    );
    let page = reference_prices_page(
        &*h.store,
        ACME,
        &PriceQuery {
            item: Some("NDC:12345010001".into()),
            limit: 10,
            ..PriceQuery::default()
        },
    )
    .await
    .expect("listed");
    let rows: Vec<String> = page
        .prices
        .iter()
        .map(|p| {
            let end = p.end.map_or("open".to_owned(), |e| e.to_string());
            format!("{} {}..{end}", p.price, p.start)
        })
        .collect();
    assert_eq!(
        rows,
        [
            "18.75 2026-01-01..2026-10-31",
            "19.50 2026-11-01..2026-11-30",
            "18.75 2026-12-01..open",
        ]
    );
    h.finish().await;
}
both_backends!(
    a_later_list_supersedes_the_days_it_covers_on,
    a_later_list_supersedes_the_days_it_covers
);
