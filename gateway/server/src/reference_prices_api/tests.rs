//! The reference price routes over HTTP on a real listener, against a migrated SQLite store:
//! a list loaded (201), loaded again (200, nothing written), refused with every fault (422,
//! nothing written), superseded in part by a later list, and listed by item and date.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use store::Store;

use crate::test_http::send;

const PATH: &str = "/api/v1/suppliers/123456789/reference-prices";

/// ACME's WAC list for 2026: three items per CA.
const LIST: &str = "\
item,price,uom,start,end
12345-0100-01,18.75,CA,2026-01-01,2026-12-31
12345020101,42.00,CA,2026-01-01,2026-12-31
12345030005,65.00,CA,2026-01-01,2026-12-31
";

/// `item price start..end` of each listed row.
fn listed(page: &Value) -> Vec<String> {
    page["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}..{}",
                p["item"].as_str().unwrap(),
                p["price"].as_str().unwrap(),
                p["start"].as_str().unwrap(),
                p["end"].as_str().unwrap_or("open")
            )
        })
        .collect()
}

async fn audit_count(store: &dyn Store) -> usize {
    let mut read = store.reader().await.unwrap();
    read.audit_events("reference_prices", "123456789")
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_lists_load_once_refuse_whole_and_list_by_item_and_date() {
    let day = crate::settings::EngineSettings {
        business_day: Some("2026-11-18".parse().unwrap()),
    };
    let served = crate::test_http::serve(super::routes(), day).await;
    let (addr, store) = (served.addr, served.store.clone());

    // Loaded: 201, three rows, retroactive (they start before the business day).
    let (status, body) = send(addr, "POST", &format!("{PATH}?actor=ann"), LIST).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "loaded");
    assert_eq!(body["loaded"]["added"], 3);
    assert_eq!(body["loaded"]["retroactive_from"], "2026-01-01");
    assert_eq!(body["rows"], 3);
    assert_eq!(audit_count(&*store).await, 1);

    // The same file again: 200, unchanged, nothing written (no second audit event).
    let (status, body) = send(addr, "POST", PATH, LIST).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "unchanged");
    assert_eq!(body["loaded"]["unchanged"], 3);
    assert_eq!(audit_count(&*store).await, 1);

    // Two bad rows among good ones: 422 naming both, nothing loaded.
    let bad = "item,price,uom,start\n12345010001,-1,CA,2027-01-01\n12345020101,43.00,CA,2027-01-01\n12345030005,66.00,CA,2027-13-01\n";
    let (status, body) = send(addr, "POST", PATH, bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["faults"],
        json!([
            {"row": 2, "column": "price", "value": "-1", "message": "is negative"},
            {"row": 4, "column": "start", "value": "2027-13-01", "message": "is not a date (YYYY-MM-DD)"},
        ])
    );
    assert_eq!(
        body["error"],
        r#"price list: row 2, column price: "-1" is negative (and 1 more fault)"#
    );
    assert_eq!(audit_count(&*store).await, 1);

    // A later list raises amoxicillin from July, open-ended: it takes those days of the
    // first row, which keeps January to June.
    let raise = "item,price,uom,start\n12345010001,19.10,CA,2026-07-01\n";
    let (status, body) = send(addr, "POST", PATH, raise).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["loaded"]["added"].clone(),
            body["loaded"]["superseded"].clone()
        ),
        (1.into(), 1.into())
    );
    let (status, page) = send(addr, "GET", &format!("{PATH}?item=12345-0100-01"), "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        listed(&page),
        [
            "NDC:12345010001 18.75 2026-01-01..2026-06-30",
            "NDC:12345010001 19.10 2026-07-01..open",
        ]
    );
    assert_eq!(page["prices"][0]["basis"], "wac");
    let (_, page) = send(addr, "GET", &format!("{PATH}?date=2027-03-01"), "").await;
    assert_eq!(listed(&page), ["NDC:12345010001 19.10 2026-07-01..open"]);
    let (_, page) = send(addr, "GET", &format!("{PATH}?date=2026-03-01&limit=2"), "").await;
    assert_eq!(
        listed(&page),
        [
            "NDC:12345010001 18.75 2026-01-01..2026-06-30",
            "NDC:12345020101 42.00 2026-01-01..2026-12-31",
        ]
    );
    assert_eq!(page["next_after"], "NDC:12345020101");
    let (_, page) = send(
        addr,
        "GET",
        &format!("{PATH}?date=2026-03-01&limit=2&after=NDC:12345020101"),
        "",
    )
    .await;
    assert_eq!(
        listed(&page),
        ["NDC:12345030005 65.00 2026-01-01..2026-12-31"]
    );
    assert_eq!(page["next_after"], Value::Null);

    // Filters that cannot be read are 400s naming them.
    for (query, says) in [
        (
            "date=2026-3-1",
            "date: \"2026-3-1\" is not a date (YYYY-MM-DD)",
        ),
        ("item=1234567890", "item: \"1234567890\" is ten digits"),
        ("limit=0", "limit: 0 is out of range"),
        ("supplier=x", "unknown field `supplier`"),
    ] {
        let (status, body) = send(addr, "GET", &format!("{PATH}?{query}"), "").await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    // A supplier with no list has none.
    let (status, page) = send(
        addr,
        "GET",
        "/api/v1/suppliers/556677889/reference-prices",
        "",
    )
    .await;
    assert_eq!((status, page["prices"].clone()), (200, json!([])));
}
