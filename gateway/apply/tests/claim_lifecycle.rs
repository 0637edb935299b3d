//! The claimant's claim beyond Sent (chargeback-rules 6.3 C12–C16) through `apply`, on SQLite
//! and on PostgreSQL: GOOD DRUG's 867 is reviewed and paid (claim of 123.00 to ACME, Sent by
//! C11); ACME's 997/999/TA1 for our 844 acknowledge it (C12) or reject it (C13: resent, same
//! debit memo, new message and control numbers); ACME's 849 leaves every line with a final
//! outcome (C14); settlement instruments settle it (C15) and close it (C16).
//!
//! Rendering (the server's outbound step) is played here as it does it: control numbers
//! allocated from the store's counters and linked to the send by its outbox message id.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{
    Applied, BatchAction, ClaimAction, Instrument, SettlementMethod, apply_batch_action,
    apply_claim_action, apply_claim_settlement, apply_document,
};
use common::{
    Harness, Kind, answer_849, applied, apply_sample_contract, ctx, outbox_doc, partners, source,
    translate,
};
use engine::RejectReason;
use rust_decimal::Decimal;
use schemas::{
    AckKind, AckStatus, Acknowledgment, Claim, ClaimResponse, Document, GroupAck, InterchangeAck,
    SetAck,
};
use store::{
    ClaimTransmission, ControlKind, ControlNumberKey, Direction, NewAuditEvent, TransmissionStatus,
};

const ACME: &str = "acmepharma";

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The claim as the analyst reads it: store row plus the engine's record.
struct Seen {
    status: String,
    version: i64,
    claim: engine::claims::ClaimRecord,
    sends: Vec<ClaimTransmission>,
}

struct Story {
    h: Harness,
    partners: apply::Partners,
    number: String,
    claim_id: uuid::Uuid,
    /// The 844 document sent.
    sent: Claim,
}

impl Story {
    /// ACME's 845, GOOD DRUG's 867, the disputed line rejected, Pay and Close: one claim of
    /// 123.00 to ACME, Sent (C11), its 844 in the outbox and rendered.
    async fn new(kind: Kind) -> Story {
        let h = Harness::new(kind).await;
        let partners = partners();
        apply_sample_contract(&h, &partners, "2026-11-01").await;
        let sales = translate("867_4010_sales.x12").remove(0);
        applied(
            apply_document(
                &*h.store,
                &partners,
                "engine.sales",
                "m-867",
                &sales,
                &ctx("2026-12-01", "system"),
            )
            .await,
        );
        // GOOD DRUG's Daily period of 2026-12-01 is cut (8.1): the batch awaits review.
        common::cut(&h, &partners, "2026-12-01").await;
        let batch = common::report_batch(&h, "gooddrug", "GDD-867-202611").await;
        let who = ctx("2026-12-02", "analyst1");
        let rejected = apply_batch_action(
            &*h.store,
            &partners,
            batch.id,
            batch.version,
            BatchAction::Reject {
                line: "4".into(),
                reason: RejectReason::EligibilityDisputed,
            },
            &who,
        )
        .await
        .expect("reject line 4");
        let paid = apply_batch_action(
            &*h.store,
            &partners,
            batch.id,
            rejected.version,
            BatchAction::PayAndClose,
            &who,
        )
        .await
        .expect("pay and close");
        assert_eq!(paid.outbound.len(), 1);
        let message_id = paid.outbound[0].message_id.clone();
        let Document::Claim(sent) = outbox_doc(&h, &message_id).await else {
            panic!("not an 844");
        };
        let record = h
            .store
            .reader()
            .await
            .unwrap()
            .find_claim(ACME, &sent.debit_memo)
            .await
            .unwrap()
            .expect("claim");
        let story = Story {
            number: sent.debit_memo.clone(),
            claim_id: record.id,
            sent,
            h,
            partners,
        };
        story.render(&message_id).await;
        story
    }

    /// What rendering does for an 844: allocates ISA13, GS06 and ST02 for ACME and links
    /// them to the send carried by `message_id`.
    async fn render(&self, message_id: &str) -> (i64, i64, i64) {
        let mut t = self.h.store.begin().await.unwrap();
        let mut n = [0i64; 3];
        let kinds = [
            ControlKind::Interchange,
            ControlKind::Group,
            ControlKind::Set,
        ];
        for (slot, kind) in n.iter_mut().zip(kinds) {
            let key = ControlNumberKey::new(ACME, Direction::Outbound, kind);
            *slot = i64::from(
                t.allocate_control_number(&key, (1, 999_999_999), common::at("2026-12-02"))
                    .await
                    .unwrap(),
            );
        }
        let numbers = (n[0], n[1], n[2]);
        let event = NewAuditEvent::new(
            "system",
            "claim_transmission",
            message_id,
            "rendered",
            common::at("2026-12-02"),
        );
        assert!(
            t.link_claim_transmission(message_id, numbers, common::at("2026-12-02"), &event)
                .await
                .unwrap()
        );
        t.commit().await.unwrap();
        numbers
    }

    async fn seen(&self) -> Seen {
        let mut read = self.h.store.reader().await.unwrap();
        let record = read.get_claim(self.claim_id).await.unwrap().expect("claim");
        let claim = serde_json::from_value(record.payload.clone()).expect("claim payload");
        Seen {
            status: record.status,
            version: record.version,
            claim,
            sends: read.claim_transmissions(self.claim_id).await.unwrap(),
        }
    }

    async fn ack(&self, message_id: &str, ack: &Acknowledgment, day: &str) -> apply::Outcome {
        applied(
            apply_document(
                &*self.h.store,
                &self.partners,
                "engine.responses",
                message_id,
                &Document::Acknowledgment(ack.clone()),
                &ctx(day, "system"),
            )
            .await,
        )
    }

    async fn respond(
        &self,
        message_id: &str,
        response: ClaimResponse,
        day: &str,
    ) -> apply::Outcome {
        applied(
            apply_document(
                &*self.h.store,
                &self.partners,
                "engine.responses",
                message_id,
                &Document::ClaimResponse(response),
                &ctx(day, "system"),
            )
            .await,
        )
    }

    async fn settle(
        &self,
        version: i64,
        number: &str,
        amount: &str,
        day: &str,
    ) -> Result<apply::SettlementOutcome, apply::ApplyError> {
        apply_claim_settlement(
            &*self.h.store,
            self.claim_id,
            version,
            Instrument {
                method: SettlementMethod::CreditMemoOnAccount,
                number: number.into(),
                date: common::date(day),
                amount: dec(amount),
                mass_settlement: None,
            },
            &ctx(day, "analyst1"),
        )
        .await
    }
}

/// ACME's 997 for the group `gs06` holding set `st02`, with AK5 `set` (`None`: the set is not
/// listed, as 997s list only sets in error) and AK9 `group`.
fn ack_997(
    interchange: &str,
    gs06: &str,
    st02: &str,
    set: Option<AckStatus>,
    group: AckStatus,
) -> Acknowledgment {
    Acknowledgment {
        source: source(interchange),
        kind: AckKind::Functional,
        interchange: None,
        group: Some(GroupAck {
            functional_id: "CF".into(),
            control_number: gs06.into(),
            version: None,
            status: group,
            sets_included: 1,
            sets_received: 1,
            sets_accepted: u32::from(group != AckStatus::Rejected),
            error_codes: vec![],
        }),
        sets: set
            .map(|status| SetAck {
                set_id: "844".into(),
                control_number: st02.into(),
                implementation_reference: None,
                status,
                error_codes: if status == AckStatus::Rejected {
                    vec!["5".into()]
                } else {
                    vec![]
                },
                segment_errors: vec![],
            })
            .into_iter()
            .collect(),
    }
}

fn ta1(interchange: &str, isa13: &str, status: AckStatus) -> Acknowledgment {
    Acknowledgment {
        source: source(interchange),
        kind: AckKind::Interchange,
        interchange: Some(InterchangeAck {
            control_number: isa13.into(),
            date: common::date("2026-12-02"),
            time: "1200".into(),
            status,
            note_code: "022".into(),
        }),
        group: None,
        sets: vec![],
    }
}

/// C12: ACME's 997 accepting our 844's group moves the claim Sent → Acknowledged with the
/// acknowledged date; the same 997 again (redelivered, or in another file) changes nothing; a
/// 997 for an interchange we never sent changes no claim.
async fn accepted_997_acknowledges_c12(kind: Kind) {
    let s = Story::new(kind).await;
    let before = s.seen().await;
    assert_eq!(before.status, "sent");
    assert_eq!(before.claim.dates.sent, Some(common::date("2026-12-02")));
    let send = &before.sends[0];
    let (gs06, st02) = (send.gs06.unwrap(), send.st02.unwrap());

    // Another partner's numbering, or a group we never sent: no claim moves.
    let unrelated = ack_997("000000501", "999", "0001", None, AckStatus::Rejected);
    let out = s.ack("m-997-unrelated", &unrelated, "2026-12-03").await;
    assert!(out.summary.contains("answers no claim"), "{}", out.summary);
    assert!(out.outbound.is_empty());
    let after = s.seen().await;
    assert_eq!(
        (after.status.as_str(), after.version),
        ("sent", before.version)
    );

    // AK5 A for our set, with the numbers echoed zero-padded as some partners do.
    let ack = ack_997(
        "000000502",
        &format!("{gs06:09}"),
        &format!("{st02:04}"),
        Some(AckStatus::Accepted),
        AckStatus::Accepted,
    );
    let out = s.ack("m-997", &ack, "2026-12-03").await;
    assert!(
        out.summary.contains("acknowledged (C12)"),
        "{}",
        out.summary
    );
    assert!(out.refs.contains(&("claim".to_owned(), s.number.clone())));
    let acked = s.seen().await;
    assert_eq!(acked.status, "acknowledged");
    assert_eq!(acked.version, before.version + 1);
    assert_eq!(
        acked.claim.dates.acknowledged,
        Some(common::date("2026-12-03"))
    );
    assert_eq!(acked.sends[0].status, TransmissionStatus::Accepted);
    assert_eq!(acked.sends[0].answered_by.as_deref(), Some("m-997"));
    let events =
        s.h.store
            .audit_events("claim", &s.number)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.event)
            .collect::<Vec<_>>();
    assert!(
        events.iter().any(|e| e == "C12 997/999 accepted"),
        "{events:?}"
    );

    // The same message again: the processed-message mark stops it; nothing is written.
    let counts = s.h.counts().await;
    let again = apply_document(
        &*s.h.store,
        &s.partners,
        "engine.responses",
        "m-997",
        &Document::Acknowledgment(ack.clone()),
        &ctx("2026-12-04", "system"),
    )
    .await
    .expect("applies");
    assert_eq!(again, Applied::AlreadyApplied);
    assert_eq!(s.h.counts().await, counts);
    // The same 997 under another message id: recorded before, nothing changes.
    let out = s.ack("m-997-redelivered", &ack, "2026-12-04").await;
    assert!(out.summary.contains("already recorded"), "{}", out.summary);
    // The same answer in another interchange (a partner resending its file): the send was
    // answered before; the claim stays as it is.
    let resent = ack_997(
        "000000503",
        &gs06.to_string(),
        &st02.to_string(),
        None,
        AckStatus::Rejected,
    );
    let out = s.ack("m-997-again", &resent, "2026-12-04").await;
    assert!(out.summary.contains("answered before"), "{}", out.summary);
    assert!(out.outbound.is_empty(), "no resend after an accepted 844");
    let last = s.seen().await;
    assert_eq!(
        (last.status.as_str(), last.version),
        ("acknowledged", acked.version)
    );
    assert_eq!(last.sends.len(), 1);
    s.h.finish().await;
}

/// C13: ACME's 997 rejecting our 844 (AK5 R) moves the claim Sent → Approved and resends it
/// at once (C11, Sent again): the same debit memo under a new outbox message, which rendering
/// gives new control numbers. A 997 accepting the resend then acknowledges it (C12); a late
/// answer to the first send changes nothing. A TA1 rejecting the interchange resends too.
async fn rejected_997_resends_c13(kind: Kind) {
    let s = Story::new(kind).await;
    let first = s.seen().await.sends.remove(0);
    let reject = ack_997(
        "000000601",
        &first.gs06.unwrap().to_string(),
        &first.st02.unwrap().to_string(),
        Some(AckStatus::Rejected),
        AckStatus::Rejected,
    );
    let out = s.ack("m-997-r", &reject, "2026-12-03").await;
    assert!(out.summary.contains("rejected (C13)"), "{}", out.summary);
    assert_eq!(out.outbound.len(), 1, "{}", out.summary);
    let resend = &out.outbound[0];
    assert_eq!(resend.routing_key, "outbound.claim.acmepharma");
    assert_ne!(
        resend.message_id, first.message_id,
        "a resend is a new message"
    );
    let Document::Claim(again) = outbox_doc(&s.h, &resend.message_id).await else {
        panic!("not an 844");
    };
    assert_eq!(again.debit_memo, s.number, "same debit memo");
    assert_eq!(again.debit_memo, s.sent.debit_memo);
    assert_eq!(again.total_claimed, s.sent.total_claimed);
    assert_eq!(again.lines, s.sent.lines);

    let seen = s.seen().await;
    assert_eq!(seen.status, "sent");
    assert_eq!(seen.sends.len(), 2);
    assert_eq!(seen.sends[0].status, TransmissionStatus::Rejected);
    assert_eq!(
        (seen.sends[1].seq, seen.sends[1].status, seen.sends[1].isa13),
        (2, TransmissionStatus::Sent, None)
    );
    let events =
        s.h.store
            .audit_events("claim", &s.number)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.event)
            .collect::<Vec<_>>();
    assert!(
        events.ends_with(&["C13 997/999/TA1 rejected".into(), "C11 844 sent".into()]),
        "{events:?}"
    );

    // Rendering the resend: new numbers at every level, never the first send's.
    let numbers = s.render(&resend.message_id).await;
    let firsts = (
        first.isa13.unwrap(),
        first.gs06.unwrap(),
        first.st02.unwrap(),
    );
    assert!(
        numbers.0 != firsts.0 && numbers.1 != firsts.1 && numbers.2 != firsts.2,
        "{numbers:?} reuses {firsts:?}"
    );

    // A late acceptance of the first send: answered before, the claim stays Sent.
    let late = ack_997(
        "000000602",
        &firsts.1.to_string(),
        &firsts.2.to_string(),
        None,
        AckStatus::Accepted,
    );
    let out = s.ack("m-997-late", &late, "2026-12-04").await;
    assert!(out.summary.contains("answered before"), "{}", out.summary);
    assert_eq!(s.seen().await.status, "sent");

    // A TA1 rejecting the resend's interchange: C13 again, a third send.
    let out = s
        .ack(
            "m-ta1",
            &ta1(
                "000000603",
                &format!("{:09}", numbers.0),
                AckStatus::Rejected,
            ),
            "2026-12-04",
        )
        .await;
    assert!(out.summary.contains("rejected (C13)"), "{}", out.summary);
    let third = out.outbound[0].message_id.clone();
    assert_ne!(third, resend.message_id);
    let numbers3 = s.render(&third).await;
    // An accepting 999-style answer (group listed without the set) to the third: C12.
    let ok = ack_997(
        "000000604",
        &numbers3.1.to_string(),
        &numbers3.2.to_string(),
        None,
        AckStatus::Accepted,
    );
    let out = s.ack("m-997-ok", &ok, "2026-12-05").await;
    assert!(
        out.summary.contains("acknowledged (C12)"),
        "{}",
        out.summary
    );
    let seen = s.seen().await;
    assert_eq!(seen.status, "acknowledged");
    assert_eq!(
        seen.sends.iter().map(|t| t.status).collect::<Vec<_>>(),
        [
            TransmissionStatus::Rejected,
            TransmissionStatus::Rejected,
            TransmissionStatus::Accepted
        ]
    );
    s.h.finish().await;
}

/// C14 then C15 and C16: after the 997 (C12), ACME's 849 pays every line: the claim goes to
/// Settlement Pending with accounting and response dates = the day it was applied; the same
/// 849 again changes nothing. A partial credit memo leaves it Settlement Pending with the
/// remainder shown; a stale version conflicts and writes nothing; the rest settles it (C15)
/// and, with nothing left open, closes it (C16).
async fn settlement_settles_and_closes_c14_c15_c16(kind: Kind) {
    let s = Story::new(kind).await;
    // Settling before the 849 is refused (only from Settlement Pending).
    let early = s.seen().await;
    let refused = s
        .settle(early.version, "ACME-CM-0", "123.00", "2026-12-03")
        .await;
    assert!(
        matches!(refused, Err(apply::ApplyError::Claim(_))),
        "{refused:?}"
    );
    let send = &early.sends[0];
    let ack = ack_997(
        "000000701",
        &send.gs06.unwrap().to_string(),
        &send.st02.unwrap().to_string(),
        None,
        AckStatus::Accepted,
    );
    s.ack("m-997", &ack, "2026-12-03").await;
    assert_eq!(s.seen().await.status, "acknowledged");

    let out = s
        .respond(
            "m-849",
            answer_849(&s.sent, "000000702", Decimal::ZERO),
            "2026-12-10",
        )
        .await;
    assert!(
        out.summary.contains("approved 123.00 of 123.00"),
        "{}",
        out.summary
    );
    let pending = s.seen().await;
    assert_eq!(pending.status, "settlement_pending");
    assert_eq!(
        pending.claim.dates.accounting,
        Some(common::date("2026-12-10"))
    );
    assert_eq!(
        pending.claim.dates.response,
        Some(common::date("2026-12-10"))
    );
    assert_eq!(pending.claim.remaining(), dec("123.00"));
    let events = s.h.store.audit_events("claim", &s.number).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event.event == "C14 849 final outcomes"
                && e.event.from_status.as_deref() == Some("acknowledged")),
        "{events:?}"
    );
    // The same 849 under another message id: responses are idempotent on control numbers.
    let counts = s.h.counts().await;
    let out = s
        .respond(
            "m-849-again",
            answer_849(&s.sent, "000000702", Decimal::ZERO),
            "2026-12-11",
        )
        .await;
    assert!(out.summary.contains("already received"), "{}", out.summary);
    let mut expected = counts.clone();
    for (table, n) in &mut expected {
        if *table == "processed_messages" {
            *n += 1;
        }
    }
    assert_eq!(s.h.counts().await, expected, "only the message mark is new");
    assert_eq!(s.seen().await.version, pending.version);

    // C15, partially: 100.00 of 123.00.
    let part = s
        .settle(pending.version, "ACME-CM-1", "100.00", "2026-12-20")
        .await
        .expect("partial");
    assert_eq!(
        (part.status.as_str(), part.settled, part.remaining),
        ("settlement_pending", dec("100.00"), dec("23.00"))
    );
    // The same instrument number again: refused, nothing written.
    let counts = s.h.counts().await;
    let dup = s
        .settle(part.version, "ACME-CM-1", "23.00", "2026-12-21")
        .await;
    assert!(dup.is_err(), "{dup:?}");
    assert_eq!(s.h.counts().await, counts);
    // A stale version: conflict, nothing written (the instrument neither).
    let counts = s.h.counts().await;
    let stale = s
        .settle(pending.version, "ACME-CM-2", "23.00", "2026-12-21")
        .await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(s.h.counts().await, counts);
    // The rest, within 0.01: Settled (C15), then Closed (C16: no split, no dispute).
    let done = s
        .settle(part.version, "ACME-CM-2", "22.99", "2026-12-21")
        .await
        .expect("rest");
    assert_eq!(done.status, "closed", "{}", done.summary);
    let closed = s.seen().await;
    assert_eq!(
        closed.claim.dates.settlement,
        Some(common::date("2026-12-21"))
    );
    assert_eq!(closed.claim.settled(), dec("122.99"));
    // Age in days is frozen at settlement (8.5): settlement date − claim date, whatever today.
    let settled_on = common::date("2026-12-21");
    assert_eq!(
        closed.claim.age_days(common::date("2027-03-01")),
        (settled_on - closed.claim.date).num_days()
    );
    let events = s.h.store.audit_events("claim", &s.number).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.event.as_str()).collect();
    assert!(names.ends_with(&["C15 settled", "C16 close"]), "{names:?}");
    let settlements =
        s.h.store
            .reader()
            .await
            .unwrap()
            .settlements_for_claim(s.claim_id)
            .await
            .unwrap();
    assert_eq!(
        settlements
            .iter()
            .map(|x| (x.number.as_str(), x.amount))
            .collect::<Vec<_>>(),
        [("ACME-CM-1", dec("100.00")), ("ACME-CM-2", dec("22.99"))]
    );
    s.h.finish().await;
}

/// An instrument pays something, under a number: a negative or zero amount, or a blank
/// number, is refused as a mass settlement's allocation is, nothing written (a negative one
/// used to be recorded and unsettle the claim); its amount is kept to the cent.
async fn a_settlement_pays_a_positive_amount_under_a_number(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000702", Decimal::ZERO),
        "2026-12-10",
    )
    .await;
    let pending = s.seen().await;
    assert_eq!(pending.status, "settlement_pending");
    let counts = s.h.counts().await;
    for (number, amount) in [
        ("ACME-CM-1", "-5.00"),
        ("ACME-CM-1", "0.00"),
        ("  ", "10.00"),
    ] {
        let refused = s
            .settle(pending.version, number, amount, "2026-12-20")
            .await;
        assert!(
            matches!(refused, Err(apply::ApplyError::InvalidSettlement(_))),
            "{number:?} {amount}: {refused:?}"
        );
    }
    assert_eq!(s.h.counts().await, counts, "nothing written");
    let seen = s.seen().await;
    assert_eq!(
        (seen.version, seen.claim.remaining()),
        (pending.version, dec("123.00"))
    );
    // The number refused with a bad amount is still free; the amount is kept to the cent.
    let paid = s
        .settle(pending.version, "ACME-CM-1", "10", "2026-12-20")
        .await
        .expect("a positive amount");
    assert_eq!(paid.remaining, dec("113.00"));
    let instruments = s.seen().await.claim.instruments;
    assert_eq!(instruments.len(), 1);
    assert_eq!(instruments[0].amount.to_string(), "10.00");
    s.h.finish().await;
}

/// C14 straight from Sent (no 997 came), an adjusted line: the unpaid 10.00 is split off into
/// an automatic child claim; settling the approved 113.00 settles the parent (C15), but C16
/// waits while the child claim is open.
async fn open_split_keeps_the_claim_settled_c16(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000801", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let pending = s.seen().await;
    assert_eq!(pending.status, "settlement_pending");
    assert_eq!(pending.claim.children.len(), 1);
    assert_eq!(pending.claim.remaining(), dec("113.00"));
    let done = s
        .settle(pending.version, "ACME-CM-1", "113.00", "2026-12-20")
        .await
        .expect("settle");
    assert_eq!(done.status, "settled", "{}", done.summary);
    assert_eq!(done.remaining, Decimal::ZERO);
    let events = s.h.store.audit_events("claim", &s.number).await.unwrap();
    assert_eq!(
        events.last().map(|e| e.event.event.as_str()),
        Some("C15 settled")
    );
    // Nothing more to settle: another instrument is refused, nothing written.
    let counts = s.h.counts().await;
    let more = s
        .settle(done.version, "ACME-CM-2", "0.01", "2026-12-21")
        .await;
    assert!(matches!(more, Err(apply::ApplyError::Claim(_))), "{more:?}");
    assert_eq!(s.h.counts().await, counts);
    s.h.finish().await;
}

/// The automatic split child's own lifecycle (its resubmission sent and answered) ends in
/// Settlement Pending; that path is not this test's subject, so the child is moved there
/// through the store, as its own 849 would have left it. Returns its id.
async fn child_awaits_settlement(s: &Story, number: &str) -> uuid::Uuid {
    let (record, _) = child_of(s, number).await;
    assert_eq!(record.status, "open");
    let mut payload = record.payload.clone();
    payload["status"] = "settlement_pending".into();
    let at = common::at("2026-12-15");
    let mut tx = s.h.store.begin().await.unwrap();
    tx.update_claim(
        &store::EntityUpdate {
            id: record.id,
            expected_version: record.version,
            status: "settlement_pending".into(),
            amount: None,
            payload,
            at,
        },
        &NewAuditEvent::new("test", "claim", record.id.to_string(), "child answered", at)
            .transition(Some("open"), "settlement_pending"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    record.id
}

/// C16 for a parent: settled with its automatic split child open, it stays Settled; when the
/// child is settled and closes later, the parent closes in the same transaction.
async fn parent_closes_when_its_child_closes_c16(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000901", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let pending = s.seen().await;
    let child_number = pending.claim.children[0].0.clone();
    let parent = s
        .settle(pending.version, "ACME-CM-1", "113.00", "2026-12-20")
        .await
        .expect("settle parent");
    assert_eq!(parent.status, "settled");
    let child = child_awaits_settlement(&s, &child_number).await;
    let child_version =
        s.h.store
            .reader()
            .await
            .unwrap()
            .get_claim(child)
            .await
            .unwrap()
            .unwrap()
            .version;
    let done = apply_claim_settlement(
        &*s.h.store,
        child,
        child_version,
        Instrument {
            method: SettlementMethod::CreditMemoOnAccount,
            number: "ACME-CM-9".into(),
            date: common::date("2026-12-22"),
            amount: dec("10.00"),
            mass_settlement: None,
        },
        &ctx("2026-12-22", "analyst1"),
    )
    .await
    .expect("settle child");
    assert_eq!(done.status, "closed", "{}", done.summary);
    assert_eq!(done.closed_parents, std::slice::from_ref(&s.number));
    let now = s.seen().await;
    assert_eq!(now.status, "closed");
    assert_eq!(now.version, parent.version + 1);
    let events = s.h.store.audit_events("claim", &s.number).await.unwrap();
    assert_eq!(
        events.last().map(|e| e.event.event.as_str()),
        Some("C16 close"),
        "{events:?}"
    );
    let row_events =
        s.h.store
            .audit_events("claim", &s.claim_id.to_string())
            .await
            .unwrap();
    assert_eq!(
        row_events.last().map(|e| e.event.event.as_str()),
        Some("C16 close: last open child closed"),
        "{row_events:?}"
    );
    s.h.finish().await;
}

/// One credit memo settles the parent (113.00) and its split child (10.00) under a mass
/// settlement number, in one transaction: both Settled then Closed (the parent because its
/// child closed in the same instrument); one settlement row with two allocations. A stale
/// version or a non-positive allocation writes nothing.
async fn mass_settlement_settles_several_claims(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000902", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let pending = s.seen().await;
    let child_number = pending.claim.children[0].0.clone();
    let child = child_awaits_settlement(&s, &child_number).await;
    let child_version =
        s.h.store
            .reader()
            .await
            .unwrap()
            .get_claim(child)
            .await
            .unwrap()
            .unwrap()
            .version;
    let request = |parent_version: i64, child_amount: &str| apply::MassSettlement {
        method: SettlementMethod::CreditMemoOnAccount,
        number: "ACME-CM-77".into(),
        date: common::date("2026-12-20"),
        mass_settlement: None,
        allocations: vec![
            apply::Allocation {
                claim: s.claim_id,
                expected_version: parent_version,
                amount: dec("113.00"),
            },
            apply::Allocation {
                claim: child,
                expected_version: child_version,
                amount: dec(child_amount),
            },
        ],
    };
    let who = ctx("2026-12-20", "ann");
    // With no remittance, the instrument is proposed oldest first (7.3): the parent's 113.00,
    // then the child's 10.00; what no claim takes is shown, and nothing is written.
    let counts = s.h.counts().await;
    let proposal = apply::propose_allocations(&*s.h.store, ACME, dec("130.00"))
        .await
        .expect("proposal");
    let proposed: Vec<(uuid::Uuid, i64, Decimal)> = proposal
        .allocations
        .iter()
        .map(|(a, _)| (a.claim, a.expected_version, a.amount))
        .collect();
    assert_eq!(
        proposed,
        [
            (s.claim_id, pending.version, dec("113.00")),
            (child, child_version, dec("10.00"))
        ]
    );
    assert_eq!(proposal.unallocated, dec("7.00"));
    let short = apply::propose_allocations(&*s.h.store, ACME, dec("50.00"))
        .await
        .expect("proposal");
    assert_eq!(short.allocations.len(), 1);
    assert_eq!(short.allocations[0].0.amount, dec("50.00"));
    // Proposed to the cent, as an instrument is recorded; an amount of a tenth of a cent is
    // refused, as `POST /api/v1/settlements` would refuse the allocation proposed.
    let bare = apply::propose_allocations(&*s.h.store, ACME, dec("200"))
        .await
        .expect("proposal");
    assert_eq!(bare.unallocated.to_string(), "77.00");
    let bare = apply::propose_allocations(&*s.h.store, ACME, dec("5"))
        .await
        .expect("proposal");
    assert_eq!(bare.allocations[0].0.amount.to_string(), "5.00");
    let mills = apply::propose_allocations(&*s.h.store, ACME, dec("1.005")).await;
    assert!(
        matches!(mills, Err(apply::ApplyError::InvalidSettlement(_))),
        "{mills:?}"
    );
    assert_eq!(s.h.counts().await, counts, "a proposal writes nothing");
    let stale =
        apply::apply_mass_settlement(&*s.h.store, request(pending.version - 1, "10.00"), &who)
            .await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    let zero =
        apply::apply_mass_settlement(&*s.h.store, request(pending.version, "0.00"), &who).await;
    assert!(
        matches!(zero, Err(apply::ApplyError::InvalidSettlement(_))),
        "{zero:?}"
    );
    assert_eq!(s.h.counts().await, counts, "refused requests write nothing");

    let out = apply::apply_mass_settlement(&*s.h.store, request(pending.version, "10.00"), &who)
        .await
        .expect("mass settlement");
    assert_eq!(out.mass_settlement, "MS-ACME-CM-77");
    assert_eq!(out.amount, dec("123.00"));
    let statuses: Vec<(&str, &str)> = out
        .claims
        .iter()
        .map(|(_, n, o)| (n.as_str(), o.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (s.number.as_str(), "closed"),
            (child_number.as_str(), "closed")
        ]
    );
    let parent = s.seen().await;
    assert_eq!(parent.status, "closed");
    assert_eq!(out.claims[0].2.version, parent.version);
    assert_eq!(
        parent.claim.instruments[0].mass_settlement.as_deref(),
        Some("MS-ACME-CM-77")
    );
    let mut read = s.h.store.reader().await.unwrap();
    let child_record = read.get_claim(child).await.unwrap().unwrap();
    assert_eq!(child_record.status, "closed");
    assert_eq!(
        child_record.payload["instruments"][0]["mass_settlement"],
        "MS-ACME-CM-77"
    );
    let settlements = read.settlements_for_claim(child).await.unwrap();
    assert_eq!(settlements.len(), 1);
    let mut allocations = settlements[0].allocations.clone();
    allocations.sort();
    let mut expected = vec![(s.claim_id, dec("113.00")), (child, dec("10.00"))];
    expected.sort();
    assert_eq!(allocations, expected);
    assert_eq!(settlements[0].amount, dec("123.00"));
    drop(read);
    // The same instrument again: refused (the number is recorded), nothing written.
    let counts = s.h.counts().await;
    let parent_now = s.seen().await.version;
    let again = apply::apply_mass_settlement(&*s.h.store, request(parent_now, "10.00"), &who).await;
    assert!(again.is_err(), "{again:?}");
    assert_eq!(s.h.counts().await, counts);
    s.h.finish().await;
}

/// The automatic split child of an 849's unpaid 10.00 lives its own lifecycle through the
/// user's claim actions (C2–C5, 8.4, C3): submitted, rejected with a reason,
/// reopened; cancelling it is refused (not a manual claim), so is a stale version, and
/// neither writes anything; 4.00 of it is split off into a grandchild (6.00 remain; a split
/// beyond that is refused); submitted and approved (C3: a claimant's child has no lines, so no
/// 844 is sent).
async fn split_child_lives_its_own_lifecycle(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000811", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let number = format!("{}-S1", s.number);
    let (child, _) = child_of(&s, &number).await;
    assert_eq!(
        (child.status.as_str(), child.amount),
        ("open", dec("10.00"))
    );
    let who = ctx("2026-12-11", "analyst1");
    let act = |version: i64, action: ClaimAction| {
        let store = s.h.store.clone();
        let who = who.clone();
        async move { apply_claim_action(&*store, child.id, version, &action, &who).await }
    };
    let submitted = act(child.version, ClaimAction::Submit).await.expect("C2");
    assert_eq!(submitted.status, "pending_approval");
    // A stale version, and an action the status does not allow: refused, nothing written.
    let counts = s.h.counts().await;
    let stale = act(child.version, ClaimAction::Approve).await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    let early = act(submitted.version, ClaimAction::Reopen).await;
    assert!(
        matches!(early, Err(apply::ApplyError::Claim(_))),
        "{early:?}"
    );
    assert_eq!(s.h.counts().await, counts);
    let rejected = act(
        submitted.version,
        ClaimAction::Reject {
            reason: "price to be corrected".into(),
        },
    )
    .await
    .expect("C4");
    assert_eq!(rejected.status, "rejected");
    let reopened = act(rejected.version, ClaimAction::Reopen)
        .await
        .expect("C5");
    assert_eq!(reopened.status, "open");
    let counts = s.h.counts().await;
    let cancel = act(reopened.version, ClaimAction::Cancel).await;
    assert!(
        matches!(cancel, Err(apply::ApplyError::Claim(_))),
        "{cancel:?}"
    );
    let too_much = act(
        reopened.version,
        ClaimAction::Split {
            amount: dec("10.01"),
            reference: None,
        },
    )
    .await;
    assert!(
        matches!(too_much, Err(apply::ApplyError::Claim(_))),
        "{too_much:?}"
    );
    assert_eq!(s.h.counts().await, counts);
    let split = act(
        reopened.version,
        ClaimAction::Split {
            amount: dec("4.00"),
            reference: Some("DM-4".into()),
        },
    )
    .await
    .expect("8.4 split");
    assert_eq!(split.remaining, dec("6.00"));
    let (grandchild_id, grandchild) = split.child.clone().expect("grandchild");
    assert_eq!(grandchild, format!("{number}-S1"));
    let mut read = s.h.store.reader().await.unwrap();
    let stored = read.get_claim(grandchild_id).await.unwrap().expect("row");
    assert_eq!(
        (stored.status.as_str(), stored.amount),
        ("open", dec("4.00"))
    );
    assert_eq!(stored.parent_id, Some(child.id));
    drop(read);
    let submitted = act(split.version, ClaimAction::Submit).await.expect("C2");
    let approved = act(submitted.version, ClaimAction::Approve)
        .await
        .expect("C3");
    // A claimant's child holds an amount, no lines: approved, there is no 844 to send.
    assert_eq!(approved.status, "approved", "{}", approved.summary);
    let mut read = s.h.store.reader().await.unwrap();
    assert!(read.claim_transmissions(child.id).await.unwrap().is_empty());
    drop(read);
    let events: Vec<String> =
        s.h.store
            .audit_events("claim", &number)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.event)
            .collect();
    for rule in [
        "C2 submit",
        "C4 reject",
        "C5 reopen for correction",
        "C3 approve",
    ] {
        assert!(events.iter().any(|e| e == rule), "{rule} in {events:?}");
    }
    s.h.finish().await;
}

/// The partners with ACME's `writeoff_threshold` set (chargeback-rules 7.4).
fn with_writeoff_threshold(threshold: &str) -> apply::Partners {
    let mut profiles: Vec<partner_maps::Profile> = common::profiles().iter().cloned().collect();
    for p in profiles.iter_mut().filter(|p| p.id == ACME) {
        p.rules.writeoff_threshold = dec(threshold);
    }
    let set = partner_maps::ProfileSet::from_profiles(profiles).expect("profiles");
    apply::Partners::from_profiles(&set).expect("profiles convert")
}

/// The split child's row and its engine record.
async fn child_of(s: &Story, number: &str) -> (store::ClaimRecord, engine::claims::ClaimRecord) {
    let record =
        s.h.store
            .reader()
            .await
            .unwrap()
            .find_claim(ACME, number)
            .await
            .unwrap()
            .expect("split child");
    let claim = serde_json::from_value(record.payload.clone()).expect("child payload");
    (record, claim)
}

/// §7.4 Accept at or below `writeoff_threshold`: the 849's 4.00 short (reason 06, our price)
/// is split off and written off at once, BELOW_THRESHOLD, so the parent closes as soon as the
/// approved amount is settled (C16: no open child).
async fn unpaid_part_below_the_threshold_is_written_off(kind: Kind) {
    let mut s = Story::new(kind).await;
    s.partners = with_writeoff_threshold("5.00");
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000831", dec("4.00")),
        "2026-12-10",
    )
    .await;
    let (row, child) = child_of(&s, &format!("{}-S1", s.number)).await;
    assert_eq!(
        (
            row.status.as_str(),
            row.amount,
            child.written_off.as_deref()
        ),
        ("cancelled", dec("4.00"), Some("BELOW_THRESHOLD"))
    );
    let events =
        s.h.store
            .audit_events("claim", &child.number)
            .await
            .unwrap();
    assert!(
        events.iter().any(|e| e.event.event == "C6 write off"
            && e.event.reason.as_deref() == Some("BELOW_THRESHOLD")),
        "{events:?}"
    );
    let pending = s.seen().await;
    let done = s
        .settle(pending.version, "ACME-CM-1", "119.00", "2026-12-20")
        .await
        .expect("settle");
    assert_eq!(done.status, "closed", "{}", done.summary);
    s.h.finish().await;
}

/// §7.4 Accept above `writeoff_threshold`: the 10.00 short stays an Open child after the
/// parent settled; writing it off needs a user (the approver), refuses a stale version and
/// a claim that is not a split, and closes the Settled parent in the same transaction.
async fn unpaid_part_above_the_threshold_is_written_off_with_approval(kind: Kind) {
    let mut s = Story::new(kind).await;
    s.partners = with_writeoff_threshold("5.00");
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000832", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let number = format!("{}-S1", s.number);
    let (row, child) = child_of(&s, &number).await;
    assert_eq!((row.status.as_str(), child.written_off), ("open", None));
    let pending = s.seen().await;
    let parent = s
        .settle(pending.version, "ACME-CM-1", "113.00", "2026-12-20")
        .await
        .expect("settle");
    assert_eq!(parent.status, "settled", "{}", parent.summary);
    let who = ctx("2026-12-21", "supervisor1");
    let write_off = ClaimAction::WriteOff {
        reason: "price difference accepted".into(),
    };
    let counts = s.h.counts().await;
    let stale = apply_claim_action(&*s.h.store, row.id, row.version - 1, &write_off, &who).await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    let not_split =
        apply_claim_action(&*s.h.store, s.claim_id, parent.version, &write_off, &who).await;
    assert!(
        matches!(not_split, Err(apply::ApplyError::Claim(_))),
        "{not_split:?}"
    );
    assert_eq!(s.h.counts().await, counts);
    let done = apply_claim_action(&*s.h.store, row.id, row.version, &write_off, &who)
        .await
        .expect("write off");
    assert_eq!(done.status, "cancelled", "{}", done.summary);
    assert_eq!(done.closed_parents, std::slice::from_ref(&s.number));
    let (_, child) = child_of(&s, &number).await;
    assert_eq!(
        child.written_off.as_deref(),
        Some("WRITE_OFF approved by supervisor1: price difference accepted")
    );
    let now = s.seen().await;
    assert_eq!(now.status, "closed");
    let events = s.h.store.audit_events("claim", &number).await.unwrap();
    let write_off_event = events
        .iter()
        .find(|e| e.event.event == "C6 write off")
        .expect("write-off event");
    assert_eq!(write_off_event.event.actor, "supervisor1");
    s.h.finish().await;
}

/// §6.4 and §7.4 Dispute: the 849 pays line 1 10.00 short; a case for 6.00 opens on it (a
/// second of 5.00 would exceed the unpaid 10.00, an unknown line or an unanswered claim is
/// refused); it is submitted, reviewed and partially won. While it is open the Settled claim
/// cannot close even once its split child is written off; the decision closes it. Another
/// case, never answered, expires once its due date (`dispute_due_days`, 90) has passed.
async fn dispute_cases_run_d1_to_d6(kind: Kind) {
    let s = Story::new(kind).await;
    let who = ctx("2026-12-11", "analyst1");
    let store = &*s.h.store;
    let open = |lines: &[&str], amount: &str| apply::OpenDispute {
        lines: lines.iter().map(|l| l.to_string()).collect(),
        amount: dec(amount),
        reason: "our contract price is right (SPA-2026-0042 v1, 845 000000101)".into(),
        evidence: vec!["845 000000101".into()],
        owner: None,
        counterparty_contact: Some("claims@acme.example".into()),
    };
    // Nothing answered yet: nothing unpaid to dispute.
    let early =
        apply::open_dispute(store, &s.partners, s.claim_id, &open(&["1"], "1.00"), &who).await;
    assert!(
        matches!(early, Err(apply::ApplyError::Dispute(_))),
        "{early:?}"
    );
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000841", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let case = apply::open_dispute(store, &s.partners, s.claim_id, &open(&["1"], "6.00"), &who)
        .await
        .expect("D1");
    assert_eq!((case.status.as_str(), case.version), ("open", 1));
    assert_eq!(case.case.due, common::date("2027-03-11"));
    assert_eq!(case.case.owner, "analyst1");
    let counts = s.h.counts().await;
    let too_much =
        apply::open_dispute(store, &s.partners, s.claim_id, &open(&["1"], "5.00"), &who).await;
    assert!(
        matches!(too_much, Err(apply::ApplyError::Dispute(_))),
        "{too_much:?}"
    );
    let unknown =
        apply::open_dispute(store, &s.partners, s.claim_id, &open(&["99"], "1.00"), &who).await;
    assert!(
        matches!(unknown, Err(apply::ApplyError::InvalidDispute(_))),
        "{unknown:?}"
    );
    assert_eq!(s.h.counts().await, counts);
    // The parent settles at the approved amount; its split child is written off; the open
    // case keeps the claim Settled.
    let pending = s.seen().await;
    let parent = s
        .settle(pending.version, "ACME-CM-1", "113.00", "2026-12-20")
        .await
        .expect("settle");
    assert_eq!(parent.status, "settled");
    let (child, _) = child_of(&s, &format!("{}-S1", s.number)).await;
    let written = apply_claim_action(
        store,
        child.id,
        child.version,
        &ClaimAction::WriteOff {
            reason: "the rest of line 1 is disputed".into(),
        },
        &who,
    )
    .await
    .expect("write off");
    assert!(written.closed_parents.is_empty(), "{}", written.summary);
    assert_eq!(s.seen().await.status, "settled");
    let act = |version: i64, action: apply::DisputeAction| {
        let who = who.clone();
        async move { apply::apply_dispute_action(store, case.id, version, &action, &who).await }
    };
    let submitted = act(1, apply::DisputeAction::Submit).await.expect("D2");
    assert_eq!(submitted.status, "submitted");
    let stale = act(1, apply::DisputeAction::StartReview).await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    let early = act(
        submitted.version,
        apply::DisputeAction::Decide {
            decision: engine::disputes::Decision::Won,
            recovered: Some(dec("6.00")),
        },
    )
    .await;
    assert!(
        matches!(early, Err(apply::ApplyError::Dispute(_))),
        "{early:?}"
    );
    let unchanged = store
        .reader()
        .await
        .unwrap()
        .get_dispute(case.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unchanged.version, unchanged.status.as_str()),
        (submitted.version, "submitted")
    );
    let review = act(submitted.version, apply::DisputeAction::StartReview)
        .await
        .expect("D3");
    let decided = act(
        review.version,
        apply::DisputeAction::Decide {
            decision: engine::disputes::Decision::PartiallyWon,
            recovered: Some(dec("4.00")),
        },
    )
    .await
    .expect("D4");
    assert_eq!(decided.status, "partially_won");
    assert_eq!(decided.case.recovered, Some(dec("4.00")));
    assert_eq!(decided.closed_claims, std::slice::from_ref(&s.number));
    assert_eq!(s.seen().await.status, "closed");
    let withdraw = act(decided.version, apply::DisputeAction::Withdraw).await;
    assert!(
        matches!(withdraw, Err(apply::ApplyError::Dispute(_))),
        "{withdraw:?}"
    );
    let events: Vec<String> = store
        .audit_events("dispute_case", &case.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.event)
        .collect();
    assert_eq!(events, ["D1 open", "D2 submit", "D3 review", "D4 decide"]);

    // D6: a second case (the first ended, so 10.00 is free again) expires after its due
    // date, not on it.
    let second = apply::open_dispute(store, &s.partners, s.claim_id, &open(&["1"], "10.00"), &who)
        .await
        .expect("D1 again");
    let none = apply::expire_disputes(store, &ctx("2027-03-11", "system"))
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    let expired = apply::expire_disputes(store, &ctx("2027-03-12", "system"))
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        (expired[0].id, expired[0].status.as_str()),
        (second.id, "expired")
    );
    assert!(
        apply::expire_disputes(store, &ctx("2027-03-13", "system"))
            .await
            .unwrap()
            .is_empty()
    );
    s.h.finish().await;
}

/// §7.4 Resubmit, §7.5: the 849 pays line 1 10.00 short; its automatic split child hands that
/// part over to `<claim>-R1`, line 1 resubmitted with a corrected contract price (the claimed
/// amount recomputed), approved and sent at once (BAA01 15 in the 844). Refused with nothing
/// written: the parent (not a split), a paid line, a stale version.
async fn unpaid_part_is_resubmitted_corrected(kind: Kind) {
    let s = Story::new(kind).await;
    s.respond(
        "m-849",
        answer_849(&s.sent, "000000851", dec("10.00")),
        "2026-12-10",
    )
    .await;
    let number = format!("{}-S1", s.number);
    let (child, _) = child_of(&s, &number).await;
    let who = ctx("2026-12-12", "analyst1");
    let wac = s.sent.lines[0].wac.expect("line 1 has a reference price");
    let corrected = apply::Resubmission {
        lines: vec![],
        corrections: vec![engine::claims::LineCorrection {
            line: s.sent.lines[0].line.clone(),
            contract_price: Some(wac - dec("7.00")),
            ..Default::default()
        }],
    };
    let store = &*s.h.store;
    let counts = s.h.counts().await;
    let parent = s.seen().await;
    let not_split = apply::resubmit_claim(
        store,
        &s.partners,
        s.claim_id,
        parent.version,
        &corrected,
        &who,
    )
    .await;
    assert!(
        matches!(not_split, Err(apply::ApplyError::Claim(_))),
        "{not_split:?}"
    );
    let paid_line = apply::Resubmission {
        lines: vec![s.sent.lines[1].line.clone()],
        corrections: vec![],
    };
    let paid = apply::resubmit_claim(
        store,
        &s.partners,
        child.id,
        child.version,
        &paid_line,
        &who,
    )
    .await;
    assert!(
        matches!(paid, Err(apply::ApplyError::InvalidResubmission(_))),
        "{paid:?}"
    );
    let stale = apply::resubmit_claim(
        store,
        &s.partners,
        child.id,
        child.version - 1,
        &corrected,
        &who,
    )
    .await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(s.h.counts().await, counts);

    let done = apply::resubmit_claim(
        store,
        &s.partners,
        child.id,
        child.version,
        &corrected,
        &who,
    )
    .await
    .expect("7.5 resubmission");
    assert_eq!(done.status, "cancelled", "{}", done.summary);
    assert_eq!(done.claim.1, format!("{}-R1", s.number));
    let quantity = s.sent.lines[0].quantity;
    assert_eq!(done.amount, dec("7.00") * quantity);
    let (_, ended) = child_of(&s, &number).await;
    assert_eq!(ended.resubmitted_as.as_deref(), Some(done.claim.1.as_str()));
    let mut read = store.reader().await.unwrap();
    let row = read
        .get_claim(done.claim.0)
        .await
        .unwrap()
        .expect("resubmission row");
    assert_eq!(
        (row.status.as_str(), row.parent_id),
        ("sent", Some(s.claim_id))
    );
    assert_eq!(
        read.claim_transmissions(done.claim.0).await.unwrap().len(),
        1
    );
    let original = read.claim_lines(s.claim_id).await.unwrap();
    assert_eq!(original[0].line.payload.to_value()["resubmissions"], 1);
    drop(read);
    let Document::Claim(sent) = outbox_doc(&s.h, &done.outbound.message_id).await else {
        panic!("the resubmission's 844");
    };
    assert_eq!(sent.action, schemas::Action::Resubmission);
    assert_eq!(sent.debit_memo, done.claim.1);
    assert_eq!(sent.lines.len(), 1);
    assert_eq!(sent.lines[0].contract_price, wac - dec("7.00"));
    assert_eq!(sent.total_claimed, done.amount);
    let events = store.audit_events("claim", &number).await.unwrap();
    assert!(
        events.iter().any(|e| e.event.event == "C6 resubmitted"),
        "{events:?}"
    );
    s.h.finish().await;
}

/// 7.6: ACME's 849 names a mistyped debit memo: kept as unmatched, nothing reconciled. Ops
/// link it to our claim (audited): it is reconciled as if it had matched (C14). Linking it
/// again, or an 849 that does not exist, is refused with nothing written.
async fn unmatched_849_is_linked_by_hand(kind: Kind) {
    let s = Story::new(kind).await;
    let mut typo = answer_849(&s.sent, "000000861", Decimal::ZERO);
    typo.debit_memo = format!("{}X", s.sent.debit_memo);
    let out = s.respond("m-849-typo", typo, "2026-12-10").await;
    assert!(out.summary.contains("kept as unmatched"), "{}", out.summary);
    assert_eq!(s.seen().await.status, "sent");
    let queue = s.h.store.unmatched_responses(Some(ACME)).await.unwrap();
    assert_eq!(queue.len(), 1);
    let response = queue[0].response.id;

    let who = ctx("2026-12-11", "ops1");
    let linked = apply::apply_response_link(&*s.h.store, &s.partners, response, s.claim_id, &who)
        .await
        .expect("link");
    assert!(
        linked.summary.contains("approved 123.00 of 123.00"),
        "{}",
        linked.summary
    );
    let seen = s.seen().await;
    assert_eq!(seen.status, "settlement_pending");
    assert!(
        s.h.store
            .unmatched_responses(Some(ACME))
            .await
            .unwrap()
            .is_empty()
    );
    let events =
        s.h.store
            .audit_events("response", &response.to_string())
            .await
            .unwrap();
    let linked_by = events
        .iter()
        .find(|e| e.event.event == "linked by hand")
        .expect("the link is audited");
    assert!(
        linked_by
            .event
            .reason
            .as_deref()
            .is_some_and(|r| r.ends_with("by ops1")),
        "{linked_by:?}"
    );

    let counts = s.h.counts().await;
    let again =
        apply::apply_response_link(&*s.h.store, &s.partners, response, s.claim_id, &who).await;
    assert!(
        matches!(again, Err(apply::ApplyError::InvalidLink(_))),
        "{again:?}"
    );
    let unknown = apply::apply_response_link(
        &*s.h.store,
        &s.partners,
        uuid::Uuid::now_v7(),
        s.claim_id,
        &who,
    )
    .await;
    assert!(
        matches!(unknown, Err(apply::ApplyError::UnknownResponse(_))),
        "{unknown:?}"
    );
    assert_eq!(s.h.counts().await, counts, "nothing written");
    assert_eq!(s.seen().await.version, seen.version);
    s.h.finish().await;
}

/// ACME's header-only 849 for our claim, as the X12 file it sends (the profile's sample with
/// our debit memo and claimed total), translated by the checked-in profiles.
fn header_only_849_file(debit_memo: &str, claimed: Decimal, isa13: &str) -> ClaimResponse {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../partner-maps/profiles/acmepharma/samples/849_4010_header_only.x12");
    let text = std::fs::read_to_string(path)
        .expect("sample")
        .replace("GDD-CB-20261115-0001", debit_memo)
        .replace("AMT*CC*255.25", &format!("AMT*CC*{claimed}"))
        .replace("000000104", isa13);
    let outcomes: Vec<_> =
        partner_maps::translate(text.as_bytes(), "sha-of-849", &common::profiles(), None).collect();
    assert_eq!(outcomes.len(), 1);
    assert!(
        outcomes[0].result.is_ok(),
        "{:?}",
        outcomes[0].all_diagnostics()
    );
    match outcomes[0].documents() {
        [Document::ClaimResponse(r)] => r.clone(),
        other => panic!("not one 849: {other:?}"),
    }
}

/// §7.1 step 2, x12 §6: ACME answers our claim with a header-only 849 (BRC, heading
/// `AAA*N**11*N`, summary AMT, no CON loop) rejecting it whole. Translated from X12 and
/// applied: every line Rejected, approved 0, reason 11 and follow-up N on each, an audit event
/// per line; every line final, so the claim is Settlement Pending (C14) and its whole amount
/// is split off to an automatic child for §7.4. Before, nothing was applied and the claim
/// stayed Sent. The same interchange again changes nothing.
async fn header_only_849_rejects_the_whole_claim(kind: Kind) {
    let s = Story::new(kind).await;
    let claimed = s.sent.total_claimed;
    let response = header_only_849_file(&s.number, claimed, "000000881");
    assert!(response.lines.is_empty() && response.contracts.is_empty());
    let out = s
        .respond("m-849-header", response.clone(), "2026-12-10")
        .await;
    assert!(
        out.summary.contains(&format!(
            "approved 0.00 of {claimed}; split {}-S1",
            s.number
        )),
        "{}",
        out.summary
    );
    assert!(
        !out.summary.contains("RESPONSE_INCONSISTENT"),
        "{}",
        out.summary
    );

    let seen = s.seen().await;
    assert_eq!(seen.status, "settlement_pending");
    assert!(!seen.claim.inconsistent);
    assert_eq!(seen.claim.dates.response, Some(common::date("2026-12-10")));
    let lines =
        s.h.store
            .reader()
            .await
            .unwrap()
            .claim_lines(s.claim_id)
            .await
            .unwrap();
    assert!(!lines.is_empty());
    for l in &lines {
        let payload = l.line.payload.to_value();
        assert_eq!(
            (
                l.line.status.as_str(),
                l.line.approved_amount,
                payload["reason_code"].as_str(),
                payload["follow_up"].as_str(),
            ),
            (
                "rejected",
                Some(Decimal::ZERO),
                Some("11"),
                Some("no_resubmission")
            ),
            "line {}",
            l.line.line_no
        );
        let events =
            s.h.store
                .audit_events("claim_line", &format!("{}/{}", s.number, l.line.line_no))
                .await
                .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.event.event == "849 line outcome"
                    && e.event.reason.as_deref() == Some("11")),
            "{events:?}"
        );
    }
    let (row, child) = child_of(&s, &format!("{}-S1", s.number)).await;
    assert_eq!(row.amount, claimed);
    assert!(child.automatic);
    assert_eq!(child.parent.as_deref(), Some(s.number.as_str()));

    // The same interchange again (another message): already received, nothing changes.
    let again = s
        .respond("m-849-header-again", response, "2026-12-11")
        .await;
    assert!(
        again.summary.contains("already received"),
        "{}",
        again.summary
    );
    assert_eq!(s.seen().await.version, seen.version);
    s.h.finish().await;
}

both_backends!(header_only_849, header_only_849_rejects_the_whole_claim);
both_backends!(disputes, dispute_cases_run_d1_to_d6);
both_backends!(resubmission, unpaid_part_is_resubmitted_corrected);
both_backends!(split_child, split_child_lives_its_own_lifecycle);
both_backends!(
    write_off_below,
    unpaid_part_below_the_threshold_is_written_off
);
both_backends!(
    write_off_above,
    unpaid_part_above_the_threshold_is_written_off_with_approval
);
both_backends!(accepted_997, accepted_997_acknowledges_c12);
both_backends!(rejected_997, rejected_997_resends_c13);
both_backends!(settlement, settlement_settles_and_closes_c14_c15_c16);
both_backends!(
    settlement_amount,
    a_settlement_pays_a_positive_amount_under_a_number
);
both_backends!(open_split, open_split_keeps_the_claim_settled_c16);
both_backends!(parent_close, parent_closes_when_its_child_closes_c16);
both_backends!(mass_settlement, mass_settlement_settles_several_claims);
both_backends!(unmatched_link, unmatched_849_is_linked_by_hand);
