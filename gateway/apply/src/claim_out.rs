//! Claims we send (claimant side, §8.1): a batch's claim cut becomes a claim record, its rows,
//! and the outbound 844 in the outbox, addressed to the supplier partner owning the contract.

use std::io::{Read, Write};

use engine::audit::Actor;
use engine::batch::{Batch, BatchClaim, BatchLine};
use engine::claims::{Approval, ClaimLineRecord, ClaimRecord, claim_number};
use schemas::{Document, Source};
use sha2::{Digest, Sha256};
use store::{EntityUpdate, NewClaim, NewClaimLine, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::book::Books;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::spool::{Spool, Spooled};
use crate::state::{CHUNK_LINES, claim_line_row, claim_line_row_from, claim_payload};
use crate::{Context, OutboundDoc};

/// What sending a claim produced.
pub(crate) struct SentClaim {
    pub number: String,
    pub amount: rust_decimal::Decimal,
    pub outbound: OutboundDoc,
}

/// Builds, stores, approves and sends (outbox) the claim of `cut`.
pub(crate) async fn send_claim(
    tx: &mut dyn StoreTx,
    books: &Books,
    distributor: &Partner,
    batch_id: Uuid,
    batch: &Batch,
    cut: &BatchClaim,
    ctx: &Context,
) -> Result<SentClaim, ApplyError> {
    let first_contract = cut
        .lines
        .first()
        .and_then(|id| batch.lines.iter().find(|l| &l.sale.line == id))
        .and_then(BatchLine::contract)
        .unwrap_or_default();
    let OpenedClaim {
        id: claim_id,
        number,
        supplier,
        claim,
    } = open_sent_claim(
        tx,
        books,
        distributor,
        (batch_id, batch, cut),
        &first_contract,
        None,
        ctx,
    )
    .await?;
    let line_nos: std::collections::HashMap<&str, (i64, &BatchLine)> = batch
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.sale.line.as_str(), (i as i64 + 1, l)))
        .collect();
    for (chunk_no, chunk) in claim.lines.chunks(CHUNK_LINES).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let line_no = (chunk_no * CHUNK_LINES + i) as i64 + 1;
                match l
                    .origin
                    .as_ref()
                    .and_then(|o| line_nos.get(o.line.as_str()))
                {
                    Some((n, origin)) => {
                        claim_line_row_from(line_no, l, (batch_id, *n), &origin.sale)
                    }
                    None => claim_line_row(line_no, l, None),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "claim", claim_id.to_string(), "claim lines")
            .correlation(number.clone());
        tx.insert_claim_lines(claim_id, &rows, ctx.now, &event)
            .await?;
    }
    let outbound = queue_first_send(tx, claim_id, &claim, &supplier, ctx).await?;
    Ok(SentClaim {
        number,
        amount: claim.amount,
        outbound,
    })
}

/// The 844 of a claim we send to `partner` (its provenance names only the partner).
pub(crate) fn outbound_844(claim: &ClaimRecord, partner: &str) -> schemas::Claim {
    claim.to_844(Source {
        file: String::new(),
        interchange: Default::default(),
        group: Default::default(),
        set: Default::default(),
        partner: Some(partner.into()),
    })
}

/// Hands a stored claim's 844 to transport for the first time (C11): the document in the
/// outbox for `partner` and its first transmission row.
pub(crate) async fn queue_first_send(
    tx: &mut dyn StoreTx,
    claim_id: Uuid,
    claim: &ClaimRecord,
    partner: &str,
    ctx: &Context,
) -> Result<OutboundDoc, ApplyError> {
    let doc = Document::Claim(outbound_844(claim, partner));
    let outbound = crate::outbox::write_outbound(tx, &doc, partner, ctx.now).await?;
    crate::transmission::record_sent(tx, claim_id, partner, &outbound.message_id, 1, ctx).await?;
    Ok(outbound)
}

/// A claim just stored: its row id, number, the supplier it goes to and the engine's record.
struct OpenedClaim {
    id: Uuid,
    number: String,
    supplier: String,
    claim: ClaimRecord,
}

/// Creates the claim of `cut` for the owner of `first_contract` under a fresh claim number and
/// stores it with its events. Writing the 844 to the outbox hands it to transport, so it is
/// approved by whoever released it (the reviewer's Pay and Close, or the system for Immediate
/// Claim), then Sent (C1, C3, C11). `amount` overrides the amount summed from the cut's lines.
async fn open_sent_claim(
    tx: &mut dyn StoreTx,
    books: &Books,
    distributor: &Partner,
    (batch_id, batch, cut): (Uuid, &Batch, &BatchClaim),
    first_contract: &str,
    amount: Option<rust_decimal::Decimal>,
    ctx: &Context,
) -> Result<OpenedClaim, ApplyError> {
    let supplier = books
        .owner(first_contract)
        .ok_or_else(|| ApplyError::NoSupplierPartner(first_contract.to_owned()))?
        .to_owned();
    let number = free_claim_number(tx, &supplier, &distributor.claim_prefix, ctx).await?;
    let (mut claim, created) = ClaimRecord::from_batch(batch, cut, number.clone(), ctx.today);
    if let Some(amount) = amount {
        claim.amount = amount;
    }
    let actor = Actor::User(ctx.actor.clone());
    let approved = claim.approve(&Approval::Approver(ctx.actor.clone()), &actor, ctx.today)?;
    let sent = claim.mark_sent(ctx.today)?;
    let id = Uuid::now_v7();
    tx.insert_claim(
        &NewClaim {
            id,
            partner: supplier.clone(),
            claim_number: number.clone(),
            status: engine::audit::status_name(&claim.status),
            amount: claim.amount,
            batch_id: Some(batch_id),
            parent_id: None,
            payload: claim_payload(&claim)?,
            at: ctx.now,
        },
        &convert(&created, ctx.now, &number),
    )
    .await?;
    append_all(tx, &[approved, sent], ctx, &number).await?;
    Ok(OpenedClaim {
        id,
        number,
        supplier,
        claim,
    })
}

/// The first `<prefix>-<yyyymmdd>-<seq>` not yet used with this supplier.
async fn free_claim_number(
    tx: &mut dyn StoreTx,
    supplier: &str,
    prefix: &str,
    ctx: &Context,
) -> Result<String, ApplyError> {
    let mut seq = 1;
    loop {
        let candidate = claim_number(prefix, ctx.today, seq)?;
        if tx.find_claim(supplier, &candidate).await?.is_none() {
            return Ok(candidate);
        }
        seq += 1;
    }
}

/// Claim #1 of a streamed batch, written as its lines come: the claim row first (with the
/// amount the first chunk's plan expects, brought to the lines' total at the end), then its
/// lines chunk by chunk ([`ClaimLines`] builds them apart from the database, so a chunk can
/// be built while the previous one is written), and the outbound 844 last. The 844's lines
/// are kept as JSON text only, and the document is serialized once.
pub(crate) struct StreamedClaim {
    id: Uuid,
    number: String,
    supplier: String,
    amount: rust_decimal::Decimal,
    claim: ClaimRecord,
}

/// The lines of a streamed claim as they come: their numbers and totals, and the 844's lines.
pub(crate) struct ClaimLines {
    batch_id: Uuid,
    batch_ref: String,
    lines: usize,
    quantity: rust_decimal::Decimal,
    claimed: rust_decimal::Decimal,
    /// The 844's `lines` array without its brackets (in a file once it is large).
    doc_lines: Spool,
}

impl ClaimLines {
    /// No line yet, for claim #1 of `batch` (stored as `batch_id`).
    pub(crate) fn new(batch_id: Uuid, batch: &Batch) -> Self {
        Self {
            batch_id,
            batch_ref: batch.header.id.clone(),
            lines: 0,
            quantity: rust_decimal::Decimal::ZERO,
            claimed: rust_decimal::Decimal::ZERO,
            doc_lines: Spool::default(),
        }
    }

    /// An empty chunk of this claim's lines.
    pub(crate) fn chunk(&self) -> ClaimedChunk {
        ClaimedChunk {
            batch_id: self.batch_id,
            batch_ref: self.batch_ref.clone(),
            lines: Vec::new(),
        }
    }

    /// Adds `line` (claimed), the chunk's line at `at`, to the claim as its next line.
    pub(crate) fn add(&mut self, line: &BatchLine, at: usize, chunk: &mut ClaimedChunk) {
        self.lines += 1;
        let (quantity, amount) = ClaimLineRecord::claimed_of(line);
        self.quantity += quantity;
        self.claimed += amount;
        chunk.lines.push((self.lines, at));
    }

    /// Appends a chunk's 844 lines ([`ClaimedChunk::serialize`]); chunks come in order.
    pub(crate) fn append(&mut self, doc: &[u8]) -> Result<(), ApplyError> {
        if doc.is_empty() {
            return Ok(());
        }
        if !self.doc_lines.is_empty() {
            self.doc_lines.write_all(b",").map_err(ApplyError::Spool)?;
        }
        self.doc_lines.write_all(doc).map_err(ApplyError::Spool)
    }
}

/// A claim line's row and the position of the batch line it claims in its chunk.
pub(crate) type PlacedClaimLine = (usize, NewClaimLine);

/// A chunk of a streamed claim's lines, numbered and totalled, not built yet: their records,
/// rows and 844 lines are made apart from the stream (on a blocking thread).
pub(crate) struct ClaimedChunk {
    batch_id: Uuid,
    batch_ref: String,
    /// (claim line number, position of its batch line in the chunk).
    lines: Vec<(usize, usize)>,
}

impl ClaimedChunk {
    /// The batch row whose lines it claims.
    pub(crate) fn batch_id(&self) -> Uuid {
        self.batch_id
    }

    /// The chunk's rows, each with the position of its batch line in `batch` (the chunk's
    /// batch lines with their numbers), and its lines as the 844's (JSON objects separated
    /// by commas).
    pub(crate) fn serialize(
        self,
        batch: &[(i64, BatchLine)],
    ) -> Result<(Vec<PlacedClaimLine>, Vec<u8>), ApplyError> {
        let mut rows = Vec::with_capacity(self.lines.len());
        let mut doc = Vec::new();
        for (claim_line_no, at) in self.lines {
            let (line_no, line) = batch.get(at).ok_or_else(|| ApplyError::Corrupt {
                what: format!("claim line {claim_line_no}"),
                source: serde::de::Error::custom("its batch line is not in its chunk"),
            })?;
            let record = ClaimLineRecord::from_batch_line(claim_line_no, &self.batch_ref, line);
            if !doc.is_empty() {
                doc.push(b',');
            }
            serde_json::to_writer(&mut doc, &record.to_844())?;
            rows.push((
                at,
                claim_line_row_from(
                    claim_line_no as i64,
                    &record,
                    (self.batch_id, *line_no),
                    &line.sale,
                )?,
            ));
        }
        Ok((rows, doc))
    }
}

impl StreamedClaim {
    /// Stores, approves and marks sent the claim of `cut`; `first_contract` is the contract
    /// of its first line (its owner is the supplier the claim goes to).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start(
        tx: &mut dyn StoreTx,
        books: &Books,
        distributor: &Partner,
        batch_id: Uuid,
        batch: &Batch,
        cut: &BatchClaim,
        first_contract: &str,
        ctx: &Context,
    ) -> Result<Self, ApplyError> {
        // The cut of a streamed batch lists no lines: they are added as they come, and its
        // amount is the plan's until `finish` knows the total.
        let OpenedClaim {
            id,
            number,
            supplier,
            claim,
        } = open_sent_claim(
            tx,
            books,
            distributor,
            (batch_id, batch, cut),
            first_contract,
            Some(cut.amount),
            ctx,
        )
        .await?;
        // Its unanswered lines are kept on the batch lines they claim (`carried`).
        tx.carry_claim_lines(id).await?;
        Ok(Self {
            id,
            number,
            supplier,
            amount: cut.amount,
            claim,
        })
    }

    /// Writes claim lines.
    pub(crate) async fn write_lines(
        &self,
        tx: &mut dyn StoreTx,
        rows: &[NewClaimLine],
        ctx: &Context,
    ) -> Result<(), ApplyError> {
        if rows.is_empty() {
            return Ok(());
        }
        let event = crate::audit::event(ctx, "claim", self.id.to_string(), "claim lines")
            .correlation(self.number.clone());
        tx.insert_claim_lines(self.id, rows, ctx.now, &event)
            .await?;
        Ok(())
    }

    /// Writes the outbound 844: the claim's header and totals around the lines' JSON.
    /// `amount` is the claim's total once every line is known: the row, opened with the
    /// plan of the first chunk, is brought to it.
    pub(crate) async fn finish(
        mut self,
        lines: ClaimLines,
        amount: rust_decimal::Decimal,
        tx: &mut dyn StoreTx,
        ctx: &Context,
    ) -> Result<SentClaim, ApplyError> {
        if amount != self.amount {
            self.amount = amount;
            self.claim.amount = amount;
            let event = crate::audit::event(ctx, "claim", self.id.to_string(), "claim total")
                .correlation(self.number.clone())
                .reason(format!("{} streamed lines", lines.lines));
            // Inserted as version 1 when the claim opened, in this transaction.
            tx.update_claim(
                &EntityUpdate {
                    id: self.id,
                    expected_version: 1,
                    status: engine::audit::status_name(&self.claim.status),
                    amount: Some(amount),
                    payload: claim_payload(&self.claim)?,
                    at: ctx.now,
                },
                &event,
            )
            .await
            .map_err(ApplyError::from_store("claim", self.id, 1))?;
        }
        let mut claim = outbound_844(&self.claim, &self.supplier);
        claim.total_claimed = lines.claimed;
        claim.line_count = lines.lines as u32;
        claim.quantity_total = Some(lines.quantity);
        let doc = Document::Claim(claim);
        let head = serde_json::to_vec(&doc)?;
        // `lines` comes right before `total_claimed` (schemas::Claim field order); nothing
        // else in the document is a key followed by an empty array and that field.
        const EMPTY: &[u8] = b"\"lines\":[],\"total_claimed\":";
        let at = head
            .windows(EMPTY.len())
            .position(|w| w == EMPTY)
            .ok_or_else(|| ApplyError::Corrupt {
                what: "844 document layout".to_owned(),
                source: serde::de::Error::custom("no empty lines array before total_claimed"),
            })?;
        let split = at + b"\"lines\":[".len();
        let (before, after) = head.split_at(split);
        let spool = lines.doc_lines;
        let len = before.len() as u64 + spool.len() + after.len() as u64;
        let outbound = match spool.finish().map_err(ApplyError::Spool)? {
            Spooled::Memory(mut bytes) => {
                // The lines' buffer becomes the document: the header is moved in before them
                // and the totals after, so the 844 is not held twice while it is assembled.
                bytes.reserve(head.len());
                bytes.splice(0..0, before.iter().copied());
                bytes.extend_from_slice(after);
                drop(head);
                crate::outbox::write_outbound_bytes(tx, &doc, bytes, &self.supplier, ctx.now)
                    .await?
            }
            mut spooled => {
                // Read twice from the file, never held: hashed for the message id, then
                // stored.
                let mut hash = Sha256::new();
                std::io::copy(&mut before.chain(spooled.reader()).chain(after), &mut hash)
                    .map_err(ApplyError::Spool)?;
                spooled.rewind().map_err(ApplyError::Spool)?;
                let mut body = before.chain(spooled.reader()).chain(after);
                crate::outbox::write_outbound_spooled(
                    tx,
                    &doc,
                    format!("{:x}", hash.finalize()),
                    store::SpooledBody {
                        len,
                        read: &mut body,
                    },
                    &self.supplier,
                    ctx.now,
                )
                .await?
            }
        };
        // Its first transmission (C11), as for a claim sent whole: the 997/999 answering it
        // finds the claim by it.
        crate::transmission::record_sent(tx, self.id, &self.supplier, &outbound.message_id, 1, ctx)
            .await?;
        Ok(SentClaim {
            number: self.number,
            amount: self.amount,
            outbound,
        })
    }
}
