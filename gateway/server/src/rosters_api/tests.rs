//! The roster routes over HTTP on a real listener, against a migrated SQLite store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

const HEADER: &str = "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,activation_date,deactivation_date,tier\n";

fn roster(members: usize) -> String {
    let mut csv = HEADER.to_owned();
    for i in 0..members {
        csv.push_str(&format!("91,GPO77,21,H{i:03},MEMBER {i},2026-01-01,,A\n"));
    }
    csv
}

/// One POST of a roster; the status and the JSON body.
async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, Value) {
    crate::test_http::send(addr, "POST", path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_upload_hold_and_approve_over_http() {
    let served = crate::test_http::serve(super::routes(), Default::default()).await;
    let (addr, store) = (served.addr, served.store.clone());

    // 20 members: applied.
    let (status, body) = post(addr, "/api/v1/gpos/GPO77/roster?mode=snapshot", &roster(20)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "applied");
    assert_eq!(body["applied"]["added"], 20);

    // A bad date: 422 with the row and column; nothing stored.
    let bad = format!("{HEADER}91,GPO77,21,H999,X,2026-13-01,,\n");
    let (status, body) = post(addr, "/api/v1/gpos/GPO77/roster?mode=delta", &bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        (body["row"].clone(), body["column"].clone()),
        (2.into(), "activation_date".into())
    );
    let (status, _) = post(addr, "/api/v1/gpos/GPO77/roster", &roster(20)).await;
    assert_eq!(status, 400);

    // Dropping 2 of 20 (10 %): held (202), then approved (200), then not again (409).
    let (status, body) = post(addr, "/api/v1/gpos/GPO77/roster?mode=snapshot", &roster(18)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["held"]["deactivating"], 2);
    let id = body["id"].as_str().unwrap().to_owned();
    let approve = format!("/api/v1/gpos/GPO77/roster/{id}/approve?actor=supervisor");
    let (status, body) = post(addr, &approve, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied"]["deactivated"], 2);
    let (status, _) = post(addr, &approve, "").await;
    assert_eq!(status, 409);
    let (status, _) = post(addr, &format!("/api/v1/gpos/GPO12/roster/{id}/approve"), "").await;
    assert_eq!(status, 404);

    let stored = store
        .reader()
        .await
        .unwrap()
        .gpo_memberships("GPO77")
        .await
        .unwrap()
        .unwrap();
    let members: Vec<engine::contracts::Membership> =
        serde_json::from_value(stored.payload).unwrap();
    assert_eq!(members.iter().filter(|m| m.end.is_some()).count(), 2);
    let events = store.audit_events("roster_upload", &id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event.event.as_str())
            .collect::<Vec<_>>(),
        ["roster held for approval", "roster approved"]
    );
}
