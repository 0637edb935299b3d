//! Disputes: the dispute CSV export and corrected import of §9, and dispute cases (§6.4).
//!
//! The export has exactly the §9 columns; a corrected file becomes a new Corrected CSV batch
//! whose lines link to their originals, and the originals still disputed in a batch Awaiting
//! Review move to Rejected `Resubmitted` (L16). A bad file fails whole with a located error.

use std::io::{Read, Write};

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use schemas::{Item, Party, Text};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent, Entity, status_name};
use crate::batch::{
    Batch, BatchError, BatchHeader, BatchKind, BatchLine, BatchStatus, Ledgers, LineStatus, Outcome,
};
use crate::reasons::RejectReason;
use crate::sale::{LineRef, SaleLine};
use crate::settings::EngineSettings;

/// The §9 columns, in order.
pub const COLUMNS: [&str; 32] = [
    "source_batch_number",
    "source_line_id",
    "batch_name",
    "debit_memo_number",
    "distributor_id",
    "supplier_id",
    "line_status",
    "reason_code",
    "reason_text",
    "all_reasons",
    "x12_reason",
    "derived_contract_number",
    "calculated_reference_price",
    "calculated_contract_price",
    "calculated_amount",
    "allowed_quantity",
    "contract_number",
    "end_customer_name",
    "end_customer_id_qualifier",
    "end_customer_id",
    "invoice_number",
    "invoice_line",
    "invoice_date",
    "ship_date",
    "item_id_qualifier",
    "item_id",
    "quantity",
    "uom",
    "claimed_reference_price",
    "claimed_contract_price",
    "claimed_amount",
    "distributor_comment",
];

/// An export or import failure, located in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeCsvError {
    /// A cell is wrong: the whole file is refused.
    #[error("row {row}, column {column}: {message}")]
    Located {
        /// Row, counting the header as 1.
        row: usize,
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The CSV itself could not be read or written.
    #[error("csv: {0}")]
    Csv(String),
    /// The batch has nothing to export from.
    #[error("batch {0} is {1}; nothing to export")]
    NotExportable(String, BatchStatus),
    /// Applying the corrections failed.
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// File name of an export: `<batch_number>-disputes-<yyyymmdd>.csv`.
pub fn export_file_name(batch: &Batch, today: NaiveDate) -> String {
    // Batch numbers hold `/` (`N-B1/corrected`), which no file name can: it and the other
    // characters file systems or a Content-Disposition refuse become `_`, so the CLI and the
    // download suggest the same name.
    let number: String = batch
        .header
        .number
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    format!("{number}-disputes-{}.csv", today.format("%Y%m%d"))
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes the disputed lines of a batch: from Awaiting Review batches its disputed lines, from
/// Closed or Rejected ones the lines rejected with a dispute category. The same bytes as
/// [`DisputeCsv`] writing the header and then the lines in parts.
pub fn export<W: Write>(
    batch: &Batch,
    settings: &EngineSettings,
    mut out: W,
) -> Result<usize, DisputeCsvError> {
    let csv = DisputeCsv::new(batch, settings)?;
    csv.header(&mut out)?;
    csv.lines(&batch.lines, &mut out)
}

/// The §9 file of one batch written a part at a time: [`DisputeCsv::header`] once, then
/// [`DisputeCsv::lines`] for each run of lines in line order (e.g. a page read from the
/// store), so the file is never held whole. Only the batch's head (number, name, parties,
/// status) is read from `batch`; its lines come as they are given.
#[derive(Debug, Clone, Copy)]
pub struct DisputeCsv<'a> {
    batch: &'a Batch,
    settings: &'a EngineSettings,
}

fn csv_error(e: impl std::fmt::Display) -> DisputeCsvError {
    DisputeCsvError::Csv(e.to_string())
}

impl<'a> DisputeCsv<'a> {
    /// The file of `batch`; an Open batch has none ([`DisputeCsvError::NotExportable`]).
    pub fn new(batch: &'a Batch, settings: &'a EngineSettings) -> Result<Self, DisputeCsvError> {
        if batch.status == BatchStatus::Open {
            return Err(DisputeCsvError::NotExportable(
                batch.header.id.clone(),
                batch.status,
            ));
        }
        Ok(Self { batch, settings })
    }

    /// Whether a line in `status`, rejected for `reason`, belongs in the file: in a batch
    /// Awaiting Review the disputed lines, in a Closed or Rejected one the lines rejected with
    /// a dispute category.
    pub fn exports(&self, status: LineStatus, reason: Option<&RejectReason>) -> bool {
        match self.batch.status {
            BatchStatus::AwaitingReview => status.is_disputed(),
            BatchStatus::Closed | BatchStatus::Rejected => {
                status == LineStatus::Rejected
                    && matches!(
                        reason,
                        Some(
                            RejectReason::EligibilityDisputed
                                | RejectReason::AmountDisputed
                                | RejectReason::Duplicate
                                | RejectReason::DebitClaimNotSupported
                        )
                    )
            }
            BatchStatus::Open => false,
        }
    }

    /// Writes the header row.
    pub fn header<W: Write>(&self, out: W) -> Result<(), DisputeCsvError> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(COLUMNS).map_err(csv_error)?;
        writer.flush().map_err(csv_error)
    }

    /// Writes the rows of those of `lines` the file holds ([`DisputeCsv::exports`]); how many.
    pub fn lines<'l, W: Write>(
        &self,
        lines: impl IntoIterator<Item = &'l BatchLine>,
        out: W,
    ) -> Result<usize, DisputeCsvError> {
        let batch = self.batch;
        let settings = self.settings;
        let mut writer = csv::Writer::from_writer(out);
        let mut rows = 0;
        for line in lines {
            if !self.exports(line.status, line.reject_reason.as_ref()) {
                continue;
            }
            let v = line.validation.as_ref();
            let primary = v.and_then(|v| v.primary);
            let all: Vec<&str> = v
                .map(|v| v.failures.iter().map(|f| f.reason.code()).collect())
                .unwrap_or_default();
            let pricing = v.and_then(|v| v.pricing.as_ref());
            let derived = v
                .filter(|v| !v.derivation_candidates.is_empty())
                .and_then(|v| v.contract.clone());
            let allowed = v.and_then(|v| v.cap_remaining);
            let sale = &line.sale;
            let record: [String; 32] = [
                batch.header.number.clone(),
                sale.line.clone(),
                batch.header.name.clone(),
                opt(batch.header.debit_memo.as_ref()),
                batch.header.distributor.id.to_string(),
                batch.header.supplier.id.to_string(),
                status_name(&line.status),
                opt(primary.map(|p| p.code())),
                opt(primary.map(|p| p.text())),
                all.join(";"),
                opt(primary.map(|p| settings.x12_reason(p).0)),
                opt(derived),
                opt(pricing.map(|p| p.reference_price)),
                opt(pricing.map(|p| p.contract_price)),
                opt(v.and_then(|v| v.calculated_amount)),
                opt(allowed),
                opt(sale.contract_id.as_ref()),
                opt(sale.end_customer.name.as_ref()),
                sale.end_customer.qualifier.to_string(),
                sale.end_customer.id.to_string(),
                sale.invoice.clone(),
                opt(sale.invoice_line.as_ref()),
                opt(sale.invoice_date),
                opt(sale.ship_date),
                sale.item.qualifier.to_string(),
                sale.item.id.to_string(),
                sale.quantity.to_string(),
                sale.uom.clone(),
                opt(sale.claimed_reference_price),
                opt(sale.claimed_contract_price),
                opt(sale.claimed_amount),
                String::new(),
            ];
            writer.write_record(&record).map_err(csv_error)?;
            rows += 1;
        }
        writer.flush().map_err(csv_error)?;
        Ok(rows)
    }
}

/// One parsed row of a corrected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectedRow {
    /// The original line.
    pub original: LineRef,
    /// The corrected sale, linked to its original.
    pub sale: SaleLine,
    /// Distributor comment.
    pub comment: Option<String>,
}

struct Row<'a> {
    record: &'a csv::StringRecord,
    headers: &'a csv::StringRecord,
    row: usize,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Result<&str, DisputeCsvError> {
        let index = self
            .headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| self.error(column, "column missing"))?;
        Ok(self.record.get(index).unwrap_or("").trim())
    }

    fn error(&self, column: &str, message: &str) -> DisputeCsvError {
        DisputeCsvError::Located {
            row: self.row,
            column: column.to_owned(),
            message: message.to_owned(),
        }
    }

    fn required(&self, column: &str) -> Result<String, DisputeCsvError> {
        let value = self.get(column)?;
        if value.is_empty() {
            return Err(self.error(column, "required"));
        }
        Ok(value.to_owned())
    }

    fn optional(&self, column: &str) -> Result<Option<String>, DisputeCsvError> {
        let value = self.get(column)?;
        Ok((!value.is_empty()).then(|| value.to_owned()))
    }

    fn decimal(&self, column: &str) -> Result<Option<Decimal>, DisputeCsvError> {
        match self.get(column)? {
            "" => Ok(None),
            value => value
                .parse()
                .map(Some)
                .map_err(|_| self.error(column, "not a plain decimal")),
        }
    }

    fn date(&self, column: &str) -> Result<Option<NaiveDate>, DisputeCsvError> {
        match self.get(column)? {
            "" => Ok(None),
            value => crate::calendar::parse_iso_date(value)
                .map(Some)
                .ok_or_else(|| self.error(column, "not an ISO date (YYYY-MM-DD)")),
        }
    }

    fn must_match(&self, column: &str, expected: &str) -> Result<(), DisputeCsvError> {
        if self.get(column)? != expected {
            return Err(self.error(
                column,
                &format!("does not match the source batch ({expected})"),
            ));
        }
        Ok(())
    }
}

/// Reads a corrected file against its source batch. Any unknown line, mismatched key or bad
/// cell fails the whole file with its row and column.
pub fn read_corrections<R: Read>(
    source: &Batch,
    input: R,
) -> Result<Vec<CorrectedRow>, DisputeCsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| DisputeCsvError::Csv(e.to_string()))?
        .clone();
    for column in COLUMNS {
        if !headers.iter().any(|h| h == column) {
            return Err(DisputeCsvError::Located {
                row: 1,
                column: column.to_owned(),
                message: "column missing".to_owned(),
            });
        }
    }
    // The source's lines by id (the first of an id, as a search would find): a corrected
    // file may hold every disputed line of a large batch.
    let mut by_id: std::collections::HashMap<&str, &crate::batch::BatchLine> =
        std::collections::HashMap::with_capacity(source.lines.len());
    for line in &source.lines {
        by_id.entry(line.sale.line.as_str()).or_insert(line);
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| DisputeCsvError::Csv(e.to_string()))?;
        let row = Row {
            record: &record,
            headers: &headers,
            row: i + 2,
        };
        row.must_match("source_batch_number", &source.header.number)?;
        let line_id = row.required("source_line_id")?;
        let Some(&original) = by_id.get(line_id.as_str()) else {
            return Err(row.error("source_line_id", "unknown line of the source batch"));
        };
        row.must_match("batch_name", &source.header.name)?;
        row.must_match(
            "debit_memo_number",
            source.header.debit_memo.as_deref().unwrap_or(""),
        )?;
        row.must_match("distributor_id", &source.header.distributor.id)?;
        row.must_match("supplier_id", &source.header.supplier.id)?;
        let quantity = row
            .decimal("quantity")?
            .ok_or_else(|| row.error("quantity", "required"))?;
        let sale = SaleLine {
            line: (i + 1).to_string(),
            contract_id: row.optional("contract_number")?,
            end_customer: Party {
                qualifier: row.required("end_customer_id_qualifier")?.into(),
                id: row.required("end_customer_id")?.into(),
                name: row.optional("end_customer_name")?.map(Text::from),
                additional_names: original.sale.end_customer.additional_names.clone(),
                kind: None,
                address: None,
                refs: original.sale.end_customer.refs.clone(),
            },
            class_of_trade: original.sale.class_of_trade.clone(),
            item: Item {
                qualifier: row.required("item_id_qualifier")?.into(),
                id: row.required("item_id")?.into(),
                other_ids: vec![],
            },
            quantity,
            uom: row.required("uom")?,
            claimed_reference_price: row.decimal("claimed_reference_price")?,
            claimed_contract_price: row.decimal("claimed_contract_price")?,
            claimed_amount: row.decimal("claimed_amount")?,
            sell_price: original.sale.sell_price,
            invoice: row.required("invoice_number")?,
            invoice_line: row.optional("invoice_line")?,
            invoice_date: row.date("invoice_date")?,
            ship_date: row.date("ship_date")?,
            original_invoice: original.sale.original_invoice.clone(),
            corrects: Some(LineRef {
                batch: source.header.id.clone(),
                line: line_id,
            }),
        };
        rows.push(CorrectedRow {
            original: LineRef {
                batch: source.header.id.clone(),
                line: original.sale.line.clone(),
            },
            sale,
            comment: row.optional("distributor_comment")?,
        });
    }
    Ok(rows)
}

/// Imports a corrected file: a new Corrected CSV batch (opened and processed) pointing to the
/// source, which is never reopened; the referenced source lines still disputed in a batch
/// Awaiting Review become Rejected `Resubmitted` (L16) in the same call.
pub fn import_corrections<R: Read>(
    source: &mut Batch,
    input: R,
    mut header: BatchHeader,
    ledgers: &mut Ledgers<'_>,
    today: NaiveDate,
) -> Result<(Batch, Outcome), DisputeCsvError> {
    let rows = read_corrections(source, input)?;
    header.kind = BatchKind::CorrectedCsv;
    header.corrects_batch_id = Some(source.header.id.clone());
    let settings = source.settings.clone();
    let sales: Vec<SaleLine> = rows.iter().map(|r| r.sale.clone()).collect();
    let (mut batch, mut outcome) = Batch::open(header, &settings, sales, &Actor::System, today);
    for (line, row) in batch.lines.iter_mut().zip(&rows) {
        line.comment = row.comment.clone();
    }
    if source.status == BatchStatus::AwaitingReview {
        for (row, new_line) in rows.iter().zip(&batch.lines) {
            let still_disputed = source
                .lines
                .iter()
                .any(|l| l.sale.line == row.original.line && l.status.is_disputed());
            if still_disputed {
                let by = LineRef {
                    batch: batch.header.id.clone(),
                    line: new_line.sale.line.clone(),
                };
                let marked = source.mark_resubmitted(&row.original.line, by, ledgers, today)?;
                outcome.events.extend(marked.events);
            }
        }
    }
    let processed = batch.process(ledgers, today)?;
    outcome.events.extend(processed.events);
    outcome.claim = processed.claim;
    Ok((batch, outcome))
}

/// Dispute case status (§6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened.
    Open,
    /// Sent to the counterparty.
    Submitted,
    /// The counterparty reviews it.
    UnderReview,
    /// Won (terminal).
    Won,
    /// Partially won (terminal).
    PartiallyWon,
    /// Lost (terminal).
    Lost,
    /// Withdrawn (terminal).
    Withdrawn,
    /// Due date passed (terminal).
    Expired,
}

/// A decision on a case (D4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Won.
    Won,
    /// Partially won.
    PartiallyWon,
    /// Lost.
    Lost,
}

/// A dispute case (§6.4). Plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeCase {
    /// Id.
    pub id: String,
    /// Claim.
    pub claim: String,
    /// Claim lines.
    pub lines: Vec<String>,
    /// Amount disputed.
    pub amount: Decimal,
    /// Reason.
    pub reason: String,
    /// Evidence: contract version and 845 control number, roster row, invoice copy.
    pub evidence: Vec<String>,
    /// Owner.
    pub owner: String,
    /// Counterparty contact.
    pub counterparty_contact: Option<String>,
    /// Due date (`dispute_due_days`).
    pub due: NaiveDate,
    /// Status.
    pub status: CaseStatus,
    /// Recovered amount of a (partial) win.
    pub recovered: Option<Decimal>,
    /// Messages.
    pub messages: Vec<String>,
}

/// Why a case action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// Not listed in §6.4.
    #[error("case {id} is {from}; {action} is not allowed")]
    NotAllowed {
        /// Case id.
        id: String,
        /// Status.
        from: CaseStatus,
        /// Action.
        action: &'static str,
    },
    /// Σ open cases on a line may not exceed its unpaid amount.
    #[error("open cases would exceed the unpaid amount {unpaid}")]
    ExceedsUnpaid {
        /// The unpaid amount.
        unpaid: Decimal,
    },
    /// Reason and a positive amount are required.
    #[error("a case needs a reason and a positive amount")]
    Incomplete,
    /// What is recovered must fit the decision: all of the case when won, some of it when
    /// partially won, nothing when lost (the win rate counts decisions).
    #[error("a case of {amount} {decision} recovers {expected}, not {recovered}")]
    RecoveredDoesNotFit {
        /// The decision.
        decision: &'static str,
        /// The case's amount.
        amount: Decimal,
        /// What the decision recovers.
        expected: &'static str,
        /// What was sent.
        recovered: Decimal,
    },
    /// Not yet due.
    #[error("case is due {0}")]
    NotDue(NaiveDate),
}

impl DisputeCase {
    /// D1: opens a case; `already_open` is Σ open cases on the same lines, `unpaid` their
    /// unpaid amount.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: String,
        claim: String,
        lines: Vec<String>,
        amount: Decimal,
        reason: String,
        owner: String,
        already_open: Decimal,
        unpaid: Decimal,
        settings: &EngineSettings,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<(Self, AuditEvent), CaseError> {
        if reason.trim().is_empty() || amount <= Decimal::ZERO {
            return Err(CaseError::Incomplete);
        }
        if already_open + amount > unpaid {
            return Err(CaseError::ExceedsUnpaid { unpaid });
        }
        let case = Self {
            id,
            claim,
            lines,
            amount,
            reason,
            evidence: Vec::new(),
            owner,
            counterparty_contact: None,
            due: today
                .checked_add_days(Days::new(u64::from(settings.dispute_due_days)))
                .unwrap_or(today),
            status: CaseStatus::Open,
            recovered: None,
            messages: Vec::new(),
        };
        let event = case.event(None, "D1 open", actor, today);
        Ok((case, event))
    }

    fn event(
        &self,
        from: Option<CaseStatus>,
        event: &str,
        actor: &Actor,
        today: NaiveDate,
    ) -> AuditEvent {
        AuditEvent {
            entity: Entity::DisputeCase,
            id: self.id.clone(),
            from: from.map(|s| status_name(&s)),
            to: status_name(&self.status),
            event: event.to_owned(),
            actor: actor.clone(),
            reason: Some(self.reason.clone()),
            comment: None,
            correlation_id: Some(self.claim.clone()),
            date: today,
            before: None,
            after: Some(serde_json::json!({ "amount": self.amount, "recovered": self.recovered })),
        }
    }

    fn go(
        &mut self,
        allowed: &[CaseStatus],
        to: CaseStatus,
        action: &'static str,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, CaseError> {
        let from = self.status;
        if !allowed.contains(&from) {
            return Err(CaseError::NotAllowed {
                id: self.id.clone(),
                from,
                action,
            });
        }
        self.status = to;
        Ok(self.event(Some(from), action, actor, today))
    }

    /// D2.
    pub fn submit(&mut self, actor: &Actor, today: NaiveDate) -> Result<AuditEvent, CaseError> {
        self.go(
            &[CaseStatus::Open],
            CaseStatus::Submitted,
            "D2 submit",
            actor,
            today,
        )
    }

    /// D3.
    pub fn start_review(
        &mut self,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, CaseError> {
        self.go(
            &[CaseStatus::Submitted],
            CaseStatus::UnderReview,
            "D3 review",
            actor,
            today,
        )
    }

    /// D4: decision recorded, or a later 849 approves.
    pub fn decide(
        &mut self,
        decision: Decision,
        recovered: Decimal,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, CaseError> {
        let zero = Decimal::ZERO;
        let (to, fits, name, expected) = match decision {
            Decision::Won => (
                CaseStatus::Won,
                recovered == self.amount,
                "won",
                "all of it",
            ),
            Decision::PartiallyWon => (
                CaseStatus::PartiallyWon,
                recovered > zero && recovered < self.amount,
                "partially won",
                "more than nothing and less than all of it",
            ),
            Decision::Lost => (CaseStatus::Lost, recovered == zero, "lost", "nothing"),
        };
        if !fits {
            return Err(CaseError::RecoveredDoesNotFit {
                decision: name,
                amount: self.amount,
                expected,
                recovered,
            });
        }
        let event = self.go(&[CaseStatus::UnderReview], to, "D4 decide", actor, today)?;
        self.recovered = Some(recovered);
        Ok(event)
    }

    /// D5.
    pub fn withdraw(&mut self, actor: &Actor, today: NaiveDate) -> Result<AuditEvent, CaseError> {
        self.go(
            &[
                CaseStatus::Open,
                CaseStatus::Submitted,
                CaseStatus::UnderReview,
            ],
            CaseStatus::Withdrawn,
            "D5 withdraw",
            actor,
            today,
        )
    }

    /// D6 (clock): only once the due date has passed.
    pub fn expire(&mut self, today: NaiveDate) -> Result<AuditEvent, CaseError> {
        if today <= self.due {
            return Err(CaseError::NotDue(self.due));
        }
        self.go(
            &[
                CaseStatus::Open,
                CaseStatus::Submitted,
                CaseStatus::UnderReview,
            ],
            CaseStatus::Expired,
            "D6 expire",
            &Actor::Clock,
            today,
        )
    }
}

#[cfg(test)]
mod tests;
