//! A streamed batch equals the same batch processed whole, in both modes, whatever the chunk
//! size, including the batch-wide outcomes (B2, B3, header tolerance).

use super::*;
use crate::batch::{BatchSummary, Ledgers, LineEvents};
use crate::duplicates::invoice_print;
use crate::rules::tests::{date, sample_book as book, sample_claim, sample_header as header};

fn today() -> NaiveDate {
    date("2026-11-18")
}

/// Sample lines (1-based), each repeated `times` (repeats are in-batch duplicates).
fn sales(lines: &[usize], times: usize) -> Vec<SaleLine> {
    let claim = sample_claim();
    (0..times)
        .flat_map(|_| lines.iter().map(|&n| SaleLine::from(&claim.lines[n - 1])))
        .collect()
}

fn whole(settings: &EngineSettings, sales: Vec<SaleLine>) -> (Batch, Outcome, Outcome) {
    whole_capped(settings, sales, &mut CapLedger::new())
}

fn whole_capped(
    settings: &EngineSettings,
    sales: Vec<SaleLine>,
    caps: &mut CapLedger,
) -> (Batch, Outcome, Outcome) {
    let book = book();
    let mut history = LineHistory::new();
    let (mut batch, opened) = Batch::open(header("S1"), settings, sales, &Actor::System, today());
    let out = batch
        .process_with(
            &mut Ledgers {
                book: &book,
                history: &mut history,
                caps,
            },
            today(),
            LineEvents::None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    (batch, opened, out)
}

fn streamed(
    settings: &EngineSettings,
    sales: Vec<SaleLine>,
    chunk: usize,
) -> (Batch, Vec<BatchLine>, Outcome, Outcome) {
    let (batch, lines, opened, out, _) = streamed_capped(settings, sales, chunk, &CapLedger::new());
    (batch, lines, opened, out)
}

/// Streams as apply does, each pass with a copy of `start`; the ledger of the pass that
/// counts is returned. The plan of every line (a full survey) is checked against the one the
/// stream observes.
fn streamed_capped(
    settings: &EngineSettings,
    sales: Vec<SaleLine>,
    chunk: usize,
    start: &CapLedger,
) -> (Batch, Vec<BatchLine>, Outcome, Outcome, CapLedger) {
    let book = book();
    let history = LineHistory::new();
    let (mut batch, opened) =
        Batch::open_streamed(header("S1"), settings, sales.len(), &Actor::System, today());
    let ctx = batch.stream_context();
    // The sales returns find later in the batch, gathered chunk by chunk (apply's pass over a
    // period too big to hold).
    let mut returns = ReturnSales::new(&batch.settings, &ctx);
    for c in sales.chunks(chunk) {
        returns.add(c);
    }
    // A survey of the first `chunks` chunks, from its own preload of every line, or (as
    // apply does) of the first chunk alone, validated in chunks.
    let survey = |chunks: usize, in_chunks: bool| {
        let mut caps = start.clone();
        let mut survey = Survey::new(&batch, &ctx, &book, &history, &mut caps, today());
        if in_chunks {
            survey = survey.in_chunks(&returns);
            let first = sales.chunks(chunk).next().unwrap_or_default();
            survey.next_chunk().begin([], history.clone(), first);
            first.iter().for_each(|s| survey.add(s));
        } else {
            for c in sales.chunks(chunk) {
                survey.preload(c);
            }
            for c in sales.chunks(chunk).take(chunks) {
                c.iter().for_each(|s| survey.add(s));
            }
        }
        survey.finish().unwrap_or_else(|e| panic!("{e}"))
    };
    let exact = survey(usize::MAX, false);
    // As apply does: stream under the first chunk's plan; stream again under the observed
    // plan when it gives the lines other states. Every pass must see every return's sale.
    // Each chunk starts from what a store would find of the lines written before the
    // previous chunk on the invoices the stream asks for (compared as the keys compare them).
    let stream = |plan: &Plan| {
        let mut caps = start.clone();
        let mut lines: Vec<BatchLine> = Vec::new();
        let observed = {
            let mut stream =
                LineStream::new(&batch, &ctx, &book, &history, &mut caps, today(), plan)
                    .in_chunks(&returns);
            let mut previous = 0;
            for c in sales.chunks(chunk) {
                let asked: Vec<u128> = stream
                    .next_chunk()
                    .invoices(c)
                    .new
                    .into_iter()
                    .map(invoice_print)
                    .collect();
                let earlier = lines[..previous]
                    .iter()
                    .filter(|l| asked.contains(&invoice_print(&l.sale.invoice)));
                stream.next_chunk().begin(earlier, history.clone(), c);
                previous = lines.len();
                lines.extend(c.iter().map(|s| stream.next(s.clone())));
            }
            stream.finish().unwrap_or_else(|e| panic!("{e}"))
        };
        (lines, observed, caps)
    };
    let guess = survey(1, true);
    assert_eq!(
        guess,
        survey(1, false),
        "the first chunk surveys in chunks as with every sale preloaded"
    );
    let (mut lines, observed, mut caps) = stream(&guess);
    assert_eq!(
        observed, exact,
        "the stream observes the plan of every line"
    );
    if !observed.same_line_states(&guess) {
        let (again, replan, again_caps) = stream(&observed);
        assert_eq!(replan, observed, "a second stream observes the same plan");
        lines = again;
        caps = again_caps;
    }
    let plan = observed;
    let out = batch
        .finish_streamed(&plan, today())
        .unwrap_or_else(|e| panic!("{e}"));
    (batch, lines, opened, out, caps)
}

fn same(settings: &EngineSettings, lines: &[usize], times: usize) {
    same_sales(settings, &sales(lines, times));
}

fn same_sales(settings: &EngineSettings, sales: &[SaleLine]) {
    let (expected, opened, out) = whole(settings, sales.to_vec());
    for chunk in [1, 2, 3, 1_000] {
        let (shell, got, s_opened, s_out) = streamed(settings, sales.to_vec(), chunk);
        let case = format!(
            "{:?} {} lines, chunks of {chunk}",
            settings.batch_mode,
            sales.len()
        );
        assert_eq!(got, expected.lines, "{case}");
        assert_eq!(shell.status, expected.status, "{case}");
        assert_eq!(shell.claims.len(), expected.claims.len(), "{case}");
        for (a, b) in shell.claims.iter().zip(&expected.claims) {
            assert_eq!((a.seq, a.amount), (b.seq, b.amount), "{case}");
        }
        assert_eq!(s_opened.events, opened.events, "{case}");
        assert_eq!(s_out.events, out.events, "{case}");
        assert_eq!(
            s_out.claim.as_ref().map(|c| (c.seq, c.amount)),
            out.claim.as_ref().map(|c| (c.seq, c.amount)),
            "{case}"
        );
        let mut summary = BatchSummary::default();
        got.iter().for_each(|l| summary.add(l));
        summary.payment_amount = shell.claims.iter().map(|c| c.amount).sum();
        assert_eq!(summary, expected.summary(), "{case}");
    }
}

#[test]
fn streamed_batches_equal_whole_ones_in_both_modes() {
    let all: Vec<usize> = (1..=sample_claim().lines.len()).collect();
    for mode in [BatchMode::ImmediateClaim, BatchMode::ReviewAndClaim] {
        let settings = EngineSettings {
            batch_mode: mode,
            ..EngineSettings::default()
        };
        // Mixed (B4/B5), repeated so later copies are in-batch duplicates across chunks.
        same(&settings, &all, 1);
        same(&settings, &all, 3);
        for n in &all {
            // One line: every line alone gives B2 or B3.
            same(&settings, &[*n], 1);
            same(&settings, &[*n], 2);
        }
    }
}

#[test]
fn streamed_header_tolerance_fails_lines_of_earlier_chunks() {
    // Sample line 1 claimed 0.01 over on three invoices (within tolerance each), then the whole
    // sample: with header_tol 0.02 the third tips it, so the first two, already streamed in
    // earlier chunks, fail as well (§13.4); with 0.03 they all pass.
    let mut lines = sales(&[1], 3);
    for (i, l) in lines.iter_mut().enumerate() {
        l.invoice = format!("INV{i}");
        l.claimed_amount = Some(Decimal::new(6251, 2));
    }
    lines.extend(sales(
        &(1..=sample_claim().lines.len()).collect::<Vec<_>>(),
        1,
    ));
    for (header_tol, fails) in [(2, true), (3, false)] {
        for mode in [BatchMode::ImmediateClaim, BatchMode::ReviewAndClaim] {
            let settings = EngineSettings {
                batch_mode: mode,
                header_tol: Decimal::new(header_tol, 2),
                ..EngineSettings::default()
            };
            let (expected, _, _) = whole(&settings, lines.clone());
            let failed = expected.lines[..3]
                .iter()
                .all(|l| l.status == LineStatus::AmountDisputed);
            assert_eq!(failed, fails, "header_tol 0.0{header_tol}");
            same_sales(&settings, &lines);
        }
    }
}

#[test]
fn streamed_batches_move_the_cap_ledger_as_whole_ones() {
    // 12345010001 (sample line 1, 10 CA) capped at 25 CA: the third and fourth copies find 5
    // (CAP_EXCEEDED); claimed lines consume; the first line, 0.01 over, fails the header
    // tolerance of 0.00 and gives its reservation back at the end of the batch.
    let mut lines = sales(&[1], 4);
    for (i, l) in lines.iter_mut().enumerate() {
        l.invoice = format!("INV{i}");
        l.line = format!("{}", i + 1);
    }
    lines[0].claimed_amount = Some(Decimal::new(6251, 2));
    let mut start = CapLedger::new();
    let cap = start.add_cap(crate::caps::Cap {
        scope: crate::caps::CapScope {
            contract: "SPA-2026-0042".into(),
            item: "NDC:12345010001".into(),
            customer: None,
        },
        quantity: Some(Decimal::new(25, 0)),
        amount: None,
    });
    for (header_tol, remaining) in [(0, 15), (1, 5)] {
        for mode in [BatchMode::ImmediateClaim, BatchMode::ReviewAndClaim] {
            let settings = EngineSettings {
                batch_mode: mode,
                header_tol: Decimal::new(header_tol, 2),
                ..EngineSettings::default()
            };
            let mut whole_caps = start.clone();
            let (expected, _, _) = whole_capped(&settings, lines.clone(), &mut whole_caps);
            let (_, got, _, _, caps) = streamed_capped(&settings, lines.clone(), 2, &start);
            let case = format!("{mode:?} header_tol 0.0{header_tol}");
            assert_eq!(got, expected.lines, "{case}");
            let exceeded = got.iter().filter(|l| {
                l.validation.as_ref().and_then(|v| v.cap_remaining) == Some(Decimal::new(5, 0))
            });
            assert_eq!(exceeded.count(), 2, "{case}");
            assert_eq!(
                caps.remaining(cap).0,
                Some(Decimal::new(remaining, 0)),
                "{case}"
            );
            assert_eq!(caps.remaining(cap), whole_caps.remaining(cap), "{case}");
            for l in &expected.lines {
                let line = crate::sale::LineRef {
                    batch: expected.header.id.clone(),
                    line: l.sale.line.clone(),
                };
                assert_eq!(caps.held_by(&line), whole_caps.held_by(&line), "{case}");
            }
        }
    }
}

#[test]
fn a_first_chunk_guess_can_differ_from_the_plan_of_every_line() {
    // Review and Claim, sample line 1 (valid) first, then the rest (some disputed): the first
    // chunk alone would claim every line (B3); the whole batch goes to review (B5).
    let settings = EngineSettings {
        batch_mode: BatchMode::ReviewAndClaim,
        ..EngineSettings::default()
    };
    let all: Vec<usize> = (1..=sample_claim().lines.len()).collect();
    let sales = sales(&all, 1);
    let book = book();
    let history = LineHistory::new();
    let (batch, _) = Batch::open_streamed(
        header("S1"),
        &settings,
        sales.len(),
        &Actor::System,
        today(),
    );
    let ctx = batch.stream_context();
    let plan_of = |n: usize| {
        let mut caps = CapLedger::new();
        let mut survey = Survey::new(&batch, &ctx, &book, &history, &mut caps, today());
        survey.preload(&sales);
        sales.iter().take(n).for_each(|s| survey.add(s));
        survey.finish().unwrap_or_else(|e| panic!("{e}"))
    };
    let (guess, exact) = (plan_of(1), plan_of(sales.len()));
    assert!(guess.claim_valid && !exact.claim_valid);
    assert!(!exact.same_line_states(&guess));
    assert!(exact.same_line_states(&exact));
}

#[test]
fn a_return_finds_its_sale_in_a_later_chunk() {
    // Every sample line returned (quantity negated) before the sales themselves: a return
    // must find its sale in a chunk the stream has not reached (§13.10), through the sales
    // gathered apart chunk by chunk, as in the whole batch.
    let sales = sales(&(1..=sample_claim().lines.len()).collect::<Vec<_>>(), 1);
    let mut returns: Vec<SaleLine> = sales
        .iter()
        .map(|s| {
            let mut r = s.clone();
            r.line = format!("R{}", s.line);
            r.quantity = -r.quantity;
            r
        })
        .collect();
    returns.extend(sales);
    for mode in [BatchMode::ImmediateClaim, BatchMode::ReviewAndClaim] {
        let settings = EngineSettings {
            batch_mode: mode,
            ..EngineSettings::default()
        };
        same_sales(&settings, &returns);
    }
}

mod random {
    //! Random batches of sample lines on a few invoices (sales, returns to earlier or later
    //! sales, exact and near duplicates, zero quantities, an unknown item) validate the same in
    //! chunks of any size as whole: the sale-key table rebuilt for each chunk from the lines a
    //! store finds by invoice holds what the whole batch's table would.
    use proptest::prelude::*;

    use super::*;

    /// One line: (sample line, invoice, quantity, original invoice of a return, invoice line,
    /// unknown item).
    type Spec = (usize, u8, i64, Option<u8>, Option<u8>, bool);

    fn line(
        claim_lines: usize,
        (n, invoice, quantity, original, invoice_line, unknown): Spec,
    ) -> SaleLine {
        let mut line = SaleLine::from(&sample_claim().lines[n % claim_lines]);
        // Spelt three ways the keys take for one invoice.
        line.invoice = match quantity.rem_euclid(3) {
            0 => format!("INV-{invoice}"),
            1 => format!("inv {invoice}"),
            _ => format!("INV{invoice}"),
        };
        line.quantity = Decimal::new(quantity, 0);
        line.claimed_amount = None;
        line.original_invoice = original.map(|o| format!("INV-{o}"));
        line.invoice_line = invoice_line.map(|l| l.to_string());
        if unknown {
            line.item.id.clear();
        }
        line
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn chunked_batches_validate_as_whole_ones(
            specs in proptest::collection::vec(
                (0usize..8, 0u8..4, -3i64..4, proptest::option::of(0u8..4), proptest::option::of(0u8..2), proptest::bool::weighted(0.05)),
                1..40,
            ),
            chunk in 1usize..7,
            in_key: bool,
            review: bool,
        ) {
            let claim_lines = sample_claim().lines.len();
            let sales: Vec<SaleLine> = specs.into_iter().map(|s| line(claim_lines, s)).collect();
            let settings = EngineSettings {
                batch_mode: if review { BatchMode::ReviewAndClaim } else { BatchMode::ImmediateClaim },
                invoice_line_in_key: in_key,
                ..EngineSettings::default()
            };
            let (expected, _, _) = whole(&settings, sales.clone());
            let (shell, got, _, _) = streamed(&settings, sales, chunk);
            prop_assert_eq!(got, expected.lines);
            prop_assert_eq!(shell.status, expected.status);
        }
    }
}
