//! A received 997 or 999, or a TA1 outside any group, read into the `acknowledgment`
//! document, so the gateway can link it to the 844 it answers (chargeback-rules 6.3 C12/C13,
//! 7.1; a TA1 by the ISA13 of our interchange). Acknowledgments are not
//! mapped through a profile (every partner writes them the standard way) and are never
//! acknowledged themselves.

use chrono::NaiveDate;
use schemas::{
    AckKind, AckStatus, Acknowledgment, ElementError, GroupAck, InterchangeAck, SegmentError,
    SetAck, Source,
};
use x12::stream::RawSet;
use x12::validate::ReceivedTa1;

/// The acknowledgment document of a valid 997 or 999 set; `None` for another set or one
/// without its AK1/AK9.
pub fn read_acknowledgment(raw: &RawSet, source: Source) -> Option<Acknowledgment> {
    let kind = match raw.id.as_str() {
        "997" => AckKind::Functional,
        "999" => AckKind::Implementation,
        _ => return None,
    };
    let component = raw.context.delimiters.component as char;
    let mut group: Option<GroupAck> = None;
    let mut sets: Vec<SetAck> = Vec::new();
    // AK9 is required: without it the group's verdict is unknown, and no claim moves.
    let mut verdict = false;
    let text = |s: &x12::Segment<'_>, n: usize| s.text(n).map(str::to_owned);
    let codes = |s: &x12::Segment<'_>, from: usize, to: usize| -> Vec<String> {
        (from..=to)
            .filter_map(|n| s.text(n).map(str::to_owned))
            .collect()
    };
    let num = |s: &x12::Segment<'_>, n: usize| -> u32 {
        s.text(n).and_then(|t| t.trim().parse().ok()).unwrap_or(0)
    };
    for seg in raw.segments() {
        match seg.id_str() {
            "AK1" => {
                group = Some(GroupAck {
                    functional_id: text(&seg, 1).unwrap_or_default(),
                    control_number: text(&seg, 2).unwrap_or_default(),
                    version: text(&seg, 3),
                    // Until AK9 says otherwise.
                    status: AckStatus::Rejected,
                    sets_included: 0,
                    sets_received: 0,
                    sets_accepted: 0,
                    error_codes: vec![],
                });
            }
            "AK2" => sets.push(SetAck {
                set_id: text(&seg, 1).unwrap_or_default(),
                control_number: text(&seg, 2).unwrap_or_default(),
                implementation_reference: text(&seg, 3),
                status: AckStatus::Rejected,
                error_codes: vec![],
                segment_errors: vec![],
            }),
            "AK3" | "IK3" => {
                if let Some(set) = sets.last_mut() {
                    set.segment_errors.push(SegmentError {
                        segment_id: text(&seg, 1).unwrap_or_default(),
                        position: num(&seg, 2),
                        loop_id: text(&seg, 3),
                        code: text(&seg, 4),
                        element_errors: vec![],
                    });
                }
            }
            "AK4" | "IK4" => {
                let position = text(&seg, 1).unwrap_or_default();
                let mut parts = position.split(component).map(|p| p.trim().parse().ok());
                if let Some(segment) = sets.last_mut().and_then(|s| s.segment_errors.last_mut()) {
                    segment.element_errors.push(ElementError {
                        position: parts.next().flatten().unwrap_or(0),
                        component: parts.next().flatten(),
                        repetition: parts.next().flatten(),
                        reference: text(&seg, 2),
                        code: text(&seg, 3).unwrap_or_default(),
                        bad_data: text(&seg, 4),
                    });
                }
            }
            "AK5" | "IK5" => {
                if let Some(set) = sets.last_mut() {
                    set.status = seg
                        .text(1)
                        .and_then(AckStatus::from_code)
                        .unwrap_or(AckStatus::Rejected);
                    set.error_codes = codes(&seg, 2, 6);
                }
            }
            "AK9" => {
                if let Some(g) = group.as_mut() {
                    verdict = true;
                    g.status = seg
                        .text(1)
                        .and_then(AckStatus::from_code)
                        .unwrap_or(AckStatus::Rejected);
                    g.sets_included = num(&seg, 2);
                    g.sets_received = num(&seg, 3);
                    g.sets_accepted = num(&seg, 4);
                    g.error_codes = codes(&seg, 5, 9);
                }
            }
            _ => {}
        }
    }
    if !verdict {
        return None;
    }
    Some(Acknowledgment {
        source,
        kind,
        interchange: None,
        group: Some(group?),
        sets,
    })
}

/// The acknowledgment document of a TA1 received outside any group (x12-chargeback 8.3):
/// TA101 the ISA13 it answers, TA102 `YYMMDD` (read as 20YY), TA103, TA104 `A`/`E`/`R`, TA105.
/// `None` when TA101 is empty, TA102 is not a date or TA104 is not a known code: such a TA1
/// cannot be linked to an interchange and moves nothing.
pub fn read_ta1(ta1: &ReceivedTa1, source: Source) -> Option<Acknowledgment> {
    if ta1.control_number.is_empty() {
        return None;
    }
    let date = NaiveDate::parse_from_str(&format!("20{}", ta1.date), "%Y%m%d").ok()?;
    let status = AckStatus::from_code(&ta1.status)?;
    Some(Acknowledgment {
        source,
        kind: AckKind::Interchange,
        interchange: Some(InterchangeAck {
            control_number: ta1.control_number.clone(),
            date,
            time: ta1.time.clone(),
            status,
            note_code: ta1.note_code.clone(),
        }),
        group: None,
        sets: vec![],
    })
}
