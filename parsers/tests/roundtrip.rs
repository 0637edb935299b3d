//! parse(write(x)) == x for generated interchanges and any delimiter set the ISA allows,
//! and any chunking of the input yields the same segments.

use proptest::prelude::*;
use x12::envelope::{
    Group, GroupHeader, Interchange, InterchangeHeader, Seg, TransactionSet, read_interchanges,
};
use x12::writer::{DelimiterPolicy, WriteOptions, render_interchange};
use x12::{Delimiters, SegmentReader};

const DELIMS: &[u8] = b"*|~>:^!#+@\\{}`\x1c\x1d\x1e\x1f\n";

fn delimiters() -> impl Strategy<Value = Delimiters> {
    proptest::sample::subsequence(DELIMS.to_vec(), 4)
        .prop_shuffle()
        .prop_map(|v| Delimiters {
            element: v[0],
            component: v[1],
            repetition: Some(v[2]),
            segment: v[3],
        })
        .prop_filter("ISA element separator cannot be a line break", |d| {
            d.element != b'\n' && d.component != b'\n' && d.repetition != Some(b'\n')
        })
}

fn value() -> impl Strategy<Value = String> {
    "[A-Z0-9][A-Z0-9 .-]{0,11}"
}

fn segment() -> impl Strategy<Value = Seg> {
    (
        "[A-Z][A-Z0-9]{1,2}",
        proptest::collection::vec(
            prop_oneof![
                1 => Just(vec![String::new()]),
                6 => proptest::collection::vec(value(), 1..3),
            ],
            0..6,
        ),
        value(),
    )
        .prop_filter("not an envelope id", |(id, _, _)| {
            !matches!(
                id.as_str(),
                "ISA" | "IEA" | "GS" | "GE" | "ST" | "SE" | "TA1"
            )
        })
        .prop_map(|(id, mut elements, last)| {
            // Trailing empty elements are never written, so end on a value.
            elements.push(vec![last]);
            Seg { id, elements }
        })
}

fn interchange() -> impl Strategy<Value = Interchange> {
    (
        "[A-Z0-9]{1,15}",
        "[A-Z0-9]{1,15}",
        1u32..999_999_999,
        proptest::collection::vec(
            (
                1u32..999_999_999,
                proptest::collection::vec(proptest::collection::vec(segment(), 0..8), 1..4),
            ),
            1..3,
        ),
        any::<bool>(),
        prop_oneof![Just("00401"), Just("00501")],
    )
        .prop_map(
            |(sender, receiver, icn, groups, ack, version)| Interchange {
                header: InterchangeHeader {
                    sender_qualifier: "ZZ".into(),
                    sender_id: sender.clone(),
                    receiver_qualifier: "ZZ".into(),
                    receiver_id: receiver.clone(),
                    date: "261123".into(),
                    time: "1200".into(),
                    version: version.into(),
                    control_number: icn,
                    ack_requested: ack,
                    usage: 'P',
                },
                ta1: Vec::new(),
                groups: groups
                    .into_iter()
                    .map(|(gcn, sets)| Group {
                        header: GroupHeader {
                            functional_id: "CF".into(),
                            sender: sender.clone(),
                            receiver: receiver.clone(),
                            date: "20261123".into(),
                            time: "1200".into(),
                            control_number: gcn,
                            version: format!("{version}0"),
                        },
                        sets: sets
                            .into_iter()
                            .enumerate()
                            .map(|(i, body)| TransactionSet {
                                id: "844".into(),
                                control_number: format!("{:04}", i + 1),
                                implementation_ref: None,
                                body,
                            })
                            .collect(),
                    })
                    .collect(),
            },
        )
}

fn options(d: Delimiters, crlf: bool) -> WriteOptions {
    WriteOptions {
        delimiters: d,
        line_ending: if d.segment == b'\n' {
            ""
        } else if crlf {
            "\r\n"
        } else {
            ""
        },
        policy: DelimiterPolicy::Reject,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn parse_of_write_is_identity(ic in interchange(), d in delimiters(), crlf in any::<bool>()) {
        let mut d = d;
        if ic.header.version == "00401" {
            d.repetition = None;
        }
        let bytes = render_interchange(&ic, options(d, crlf)).expect("writes");
        let back = read_interchanges(&bytes[..]).expect("reads back");
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0].0, &ic);
        prop_assert_eq!(back[0].1, d);
    }

    #[test]
    fn any_chunking_yields_the_same_segments(ic in interchange(), cuts in proptest::collection::vec(1usize..40, 1..50)) {
        let bytes = render_interchange(&ic, WriteOptions::default()).expect("writes");
        let whole = segments(&bytes[..]);
        let chunked = segments(Chunked { data: &bytes, cuts: &cuts, i: 0 });
        prop_assert_eq!(whole, chunked);
    }
}

struct Chunked<'a> {
    data: &'a [u8],
    cuts: &'a [usize],
    i: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let want = self.cuts[self.i % self.cuts.len()];
        self.i += 1;
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn segments<R: std::io::Read>(src: R) -> Vec<Vec<Vec<u8>>> {
    let mut r = SegmentReader::new(src);
    let mut out = Vec::new();
    while let Some(s) = r.next_segment().expect("valid") {
        let mut v = vec![s.id().to_vec()];
        v.extend(s.elements().map(<[u8]>::to_vec));
        out.push(v);
    }
    out
}
