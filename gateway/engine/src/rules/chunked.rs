//! A batch validated in chunks whose sale-key table holds only what the current chunk can
//! meet, so its memory does not grow with the batch.
//!
//! A line's V1 and its return's pricing date depend on other lines of the batch only through
//! entries of the sale-key table under the keys the line itself touches: its own sale key,
//! and its original's when it is a return, both under an invoice of the line. So the table a
//! chunk is validated against needs only the earlier lines on the chunk's invoices.
//! [`Pipeline::begin_chunk`] rebuilds it for each chunk from
//! - the lines kept from the chunk before: every earlier line on an invoice of that chunk
//!   (by induction), of which those on the new chunk's invoices are kept again;
//! - for the chunk's other invoices, the earlier lines the caller's store finds
//!   ([`Pipeline::chunk_invoices`]: none of them can be in the previous chunk, which the
//!   store may not hold yet);
//! - the chunk's own sales, and for a return whose sale comes later in the batch
//!   [`ReturnSales`], gathered in one pass before.
//!
//! The lines then validate exactly as in a batch validated whole. What is kept grows only
//! with the lines of invoices that run on from chunk to chunk (a batch of one invoice keeps
//! all of its lines, as a whole batch does).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::{Pipeline, note_sale};
use crate::duplicates::{LineHistory, LineKeys, invoice_print, party_base, return_sale_key_from};
use crate::fingerprint::{FingerprintBuild, Fingerprinter};
use crate::identity::write_item_key;
use crate::rules::BatchContext;
use crate::sale::SaleLine;
use crate::settings::{EngineSettings, PricingDateBasis};

/// What one line leaves in a batch's sale-key table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Recalled {
    /// Its invoice ([`invoice_print`]).
    invoice: u128,
    /// Its sale key (distributor, supplier, invoice, item).
    sale: u128,
    /// Its own date when it is a sale a return may refer to (positive, dated).
    sale_date: Option<NaiveDate>,
    /// Its near and exact keys when it reached V1.
    keys: Option<(u128, u128)>,
}

impl Recalled {
    /// What `line` (its invoice's print `invoice`), validated with `keys`, leaves; nothing for
    /// a line without an item key.
    pub(super) fn of(
        (parties, basis): (&Fingerprinter, PricingDateBasis),
        item_buf: &mut String,
        (line, invoice): (&SaleLine, u128),
        keys: Option<LineKeys>,
    ) -> Option<Self> {
        let sale = match keys {
            Some(keys) => keys.sale,
            None => {
                write_item_key(&line.item.qualifier, &line.item.id, item_buf).ok()?;
                return_sale_key_from(parties, &line.invoice, item_buf)
            }
        };
        Some(Self {
            invoice,
            sale,
            sale_date: line.sale_date(basis),
            keys: keys.map(|k| (k.near, k.exact)),
        })
    }
}

/// The state of a batch validated in chunks, between and during chunks.
#[derive(Debug, Default)]
pub(super) struct Chunked {
    /// Every line before the current chunk on one of its invoices, in batch order.
    kept: Vec<Recalled>,
    /// The current chunk's lines so far.
    current: Vec<Recalled>,
    /// The current chunk's invoices (its lines' own and their originals').
    invoices: HashSet<u128, FingerprintBuild>,
    /// The print of each of the current chunk's lines' own invoice, in line order.
    prints: Vec<u128>,
    /// The batch position of the current chunk's first line.
    first_position: usize,
    /// The next chunk's invoices and prints, from [`Pipeline::chunk_invoices`].
    next: Option<(HashSet<u128, FingerprintBuild>, Vec<u128>)>,
}

impl Chunked {
    /// Notes the line of the current chunk at batch position `position`, `line`, validated
    /// with `keys`.
    pub(super) fn validated(
        &mut self,
        context: (&Fingerprinter, PricingDateBasis),
        item_buf: &mut String,
        (position, line): (usize, &SaleLine),
        keys: Option<LineKeys>,
    ) {
        let invoice = match self.prints.get(position.wrapping_sub(self.first_position)) {
            Some(print) => *print,
            None => invoice_print(&line.invoice),
        };
        self.current
            .extend(Recalled::of(context, item_buf, (line, invoice), keys));
    }
}

/// The invoices of a chunk: each once (as the keys compare them), as first spelt.
#[derive(Debug, Default)]
pub struct ChunkInvoices<'s> {
    /// Every invoice of the chunk's lines, their own and their originals'.
    pub all: Vec<&'s str>,
    /// Those not on the chunk before, whose earlier lines of the batch the caller finds
    /// (the pipeline keeps those of the others).
    pub new: Vec<&'s str>,
}

impl<'a> Pipeline<'a> {
    /// Validates the batch in chunks from here on: each chunk is announced by
    /// [`Pipeline::begin_chunk`], and `return_sales` are the batch's sales its returns may
    /// find only later in the batch.
    pub fn in_chunks(&mut self, return_sales: &'a ReturnSales) {
        self.return_sales = Some(return_sales);
        self.chunk = Some(Chunked::default());
    }

    /// The invoices of `sales`, the next chunk, for the caller's lookup before
    /// [`Pipeline::begin_chunk`] (which takes the fingerprints made here); none when the batch
    /// is not validated in chunks.
    pub fn chunk_invoices<'s>(&mut self, sales: &'s [SaleLine]) -> ChunkInvoices<'s> {
        let Some(chunk) = &mut self.chunk else {
            return ChunkInvoices::default();
        };
        let mut invoices = HashSet::<u128, FingerprintBuild>::default();
        let mut prints = Vec::with_capacity(sales.len());
        let mut out = ChunkInvoices::default();
        for line in sales {
            let own = invoice_print(&line.invoice);
            prints.push(own);
            let original = match line.return_of() {
                o if o == line.invoice => None,
                o => Some((o, invoice_print(o))),
            };
            for (invoice, print) in std::iter::once((line.invoice.as_str(), own)).chain(original) {
                if invoices.insert(print) {
                    out.all.push(invoice);
                    if !chunk.invoices.contains(&print) {
                        out.new.push(invoice);
                    }
                }
            }
        }
        chunk.next = Some((invoices, prints));
        out
    }

    /// Starts the next chunk, `sales`: rebuilds the table from `earlier`, the lines before
    /// the previous chunk (with the keys they were validated with) on the `new` invoices
    /// [`Pipeline::chunk_invoices`] gave, in batch order; the lines kept on the other
    /// invoices of `sales`; and the sales of `sales`. `history` is the history of other
    /// batches for every invoice of `sales`.
    pub fn begin_chunk<'l>(
        &mut self,
        earlier: impl IntoIterator<Item = (&'l SaleLine, Option<LineKeys>)>,
        history: LineHistory,
        sales: &[SaleLine],
    ) {
        if self
            .chunk
            .as_ref()
            .is_none_or(|c| c.next.as_ref().is_none_or(|n| n.1.len() != sales.len()))
        {
            self.chunk_invoices(sales);
        }
        let mut chunk = self.chunk.take().unwrap_or_default();
        if let Some((invoices, prints)) = chunk.next.take() {
            (chunk.invoices, chunk.prints) = (invoices, prints);
        }
        chunk.first_position = self.position;
        let mut current = std::mem::take(&mut chunk.current);
        chunk.kept.append(&mut current);
        chunk.current = current;
        chunk.kept.retain(|r| chunk.invoices.contains(&r.invoice));
        self.seen.clear();
        self.near_extra.clear();
        self.exact_extra.clear();
        let basis = self.settings.pricing_date_basis;
        let mut item_buf = std::mem::take(&mut self.item_buf);
        // The looked-up lines are on other invoices than the kept ones (no key is in both),
        // and are kept with them for the chunks after.
        for (line, keys) in earlier {
            let invoice = invoice_print(&line.invoice);
            chunk.kept.extend(Recalled::of(
                (&self.parties, basis),
                &mut item_buf,
                (line, invoice),
                keys,
            ));
        }
        self.item_buf = item_buf;
        for r in &chunk.kept {
            self.recall(r);
        }
        self.chunk = Some(chunk);
        self.preload_sales(sales);
        self.chunk_history = Some(history);
    }

    /// Puts a line validated before back in the table, as its validation left it.
    fn recall(&mut self, r: &Recalled) {
        if let Some(d) = r.sale_date {
            note_sale(&mut self.seen, r.sale, d);
        }
        if let Some((near, exact)) = r.keys {
            let keys = LineKeys {
                exact,
                near,
                sale: r.sale,
            };
            self.note_in_batch(&keys, r.sale_date);
        }
    }
}

/// The sales of a batch that a return may refer to before they come: for each original a
/// return names, the first positive sale after the first such return. Gathered in one pass
/// over the batch, it grows with its returns, not with its lines.
#[derive(Debug, Clone)]
pub struct ReturnSales {
    parties: Fingerprinter,
    basis: PricingDateBasis,
    item_buf: String,
    /// Return keys of the returns seen so far.
    returned: HashSet<u128, FingerprintBuild>,
    dates: HashMap<u128, NaiveDate, FingerprintBuild>,
}

impl ReturnSales {
    /// None yet, for a batch of `ctx` under `settings`.
    pub fn new(settings: &EngineSettings, ctx: &BatchContext) -> Self {
        Self {
            parties: party_base(&ctx.distributor.id, &ctx.supplier.id),
            basis: settings.pricing_date_basis,
            item_buf: String::new(),
            returned: HashSet::default(),
            dates: HashMap::default(),
        }
    }

    /// Takes the batch's next `lines` (in batch order, over as many calls as needed).
    pub fn add<'l>(&mut self, lines: impl IntoIterator<Item = &'l SaleLine>) {
        for line in lines {
            let sale_date = line.sale_date(self.basis);
            // A sale matters only once a return names a sale: until then no item key is built.
            if !line.is_return() && (self.returned.is_empty() || sale_date.is_none()) {
                continue;
            }
            if write_item_key(&line.item.qualifier, &line.item.id, &mut self.item_buf).is_err() {
                continue;
            }
            if line.is_return() {
                let key = return_sale_key_from(&self.parties, line.return_of(), &self.item_buf);
                self.returned.insert(key);
            } else if let Some(d) = sale_date {
                let key = return_sale_key_from(&self.parties, &line.invoice, &self.item_buf);
                if self.returned.contains(&key) {
                    self.dates.entry(key).or_insert(d);
                }
            }
        }
    }

    /// The date of the sale under return key `key` found after a return to it.
    pub(super) fn date(&self, key: u128) -> Option<NaiveDate> {
        self.dates.get(&key).copied()
    }
}
