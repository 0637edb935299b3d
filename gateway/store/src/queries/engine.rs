//! Engine state: contracts, batches and lines, claims and lines, 849 responses, caps,
//! settlements and dispute cases. Every state change takes the audit event describing it and
//! writes it in the same transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Params, audit, by_copy};
use crate::copy::CopyData;
use crate::error::{StoreError, StoreResult};
use crate::model::{
    BatchLineRecord, BatchLineState, BatchLineTotals, BatchLineUpdate, BatchRecord, BatchReport,
    CapEntryKind, CapEntryRecord, CapRecord, CarriedClaimLine, ClaimLineRecord, ClaimLineTotals,
    ClaimLineUpdate, ClaimRecord, ContractRecord, ContractVersion, DisputeRecord, EntityFilter,
    EntityUpdate, JsonText, LinePage, LineQuery, ListPage, MatchStatus, NewAuditEvent, NewBatch,
    NewBatchLine, NewCapEntry, NewClaim, NewClaimLine, NewContract, NewDispute, NewResponse,
    NewSettlement, ReportBatch, ResponseRecord, SettlementRecord,
};
use crate::sql::{
    AMOUNT_SCALE, Arg, Dialect, Exec, PRICE_SCALE, Row, checked_decimal, money, opt_money,
};

fn opt_checked(
    field: &'static str,
    value: Option<Decimal>,
    scale: u32,
) -> StoreResult<Option<Decimal>> {
    value.map(|v| checked_decimal(field, v, scale)).transpose()
}

/// Rows per multi-row `INSERT`: well under PostgreSQL's 65,535 and SQLite's 32,766 bound
/// parameters for the widest row written this way.
const ROWS_PER_INSERT: usize = 1_000;

/// Tables whose rows carry an optimistic-concurrency `version`.
#[derive(Clone, Copy)]
enum Versioned {
    Contract,
    Batch,
    Claim,
    Dispute,
}

impl Versioned {
    fn table(self) -> &'static str {
        match self {
            Versioned::Contract => "contracts",
            Versioned::Batch => "batches",
            Versioned::Claim => "claims",
            Versioned::Dispute => "dispute_cases",
        }
    }

    fn entity(self) -> &'static str {
        match self {
            Versioned::Contract => "contract",
            Versioned::Batch => "batch",
            Versioned::Claim => "claim",
            Versioned::Dispute => "dispute case",
        }
    }

    fn has_amount(self) -> bool {
        matches!(self, Versioned::Claim | Versioned::Dispute)
    }
}

/// Compare-and-set on `version`: the update applies only if the row still has the version
/// the caller read, and returns the new version.
async fn update_versioned(
    c: &mut dyn Exec,
    kind: Versioned,
    u: &EntityUpdate,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    let table = kind.table();
    let mut args: Vec<Arg> = vec![
        u.id.into(),
        u.expected_version.into(),
        u.status.as_str().into(),
        (&u.payload).into(),
        u.at.into(),
    ];
    let amount = if kind.has_amount() {
        args.push(opt_money("amount", u.amount, AMOUNT_SCALE)?);
        ", amount = COALESCE($6, amount)"
    } else {
        ""
    };
    let row = c
        .fetch_optional(
            &format!(
                "UPDATE {table} SET status = $3, payload = $4, updated_at = $5, \
                 version = version + 1{amount} WHERE id = $1 AND version = $2 RETURNING version"
            ),
            args,
        )
        .await?;
    if let Some(row) = row {
        audit::append(c, event).await?;
        return row.int("version");
    }
    let current = c
        .fetch_optional(
            &format!("SELECT version FROM {table} WHERE id = $1"),
            vec![u.id.into()],
        )
        .await?;
    match current {
        None => Err(StoreError::NotFound {
            entity: kind.entity(),
            id: u.id.to_string(),
        }),
        Some(r) => Err(StoreError::Conflict {
            entity: kind.entity(),
            id: u.id.to_string(),
            expected: u.expected_version,
            actual: r.int("version")?,
        }),
    }
}

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

// ---- contracts ------------------------------------------------------------------------------

const CONTRACT_COLUMNS: &str =
    "id, partner, supplier, contract_number, status, version, payload, created_at, updated_at";

fn contract(r: &Row) -> StoreResult<ContractRecord> {
    Ok(ContractRecord {
        id: r.uuid("id")?,
        partner: r.text("partner")?,
        supplier: r.text("supplier")?,
        contract_number: r.text("contract_number")?,
        status: r.text("status")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert_contract(
    c: &mut dyn Exec,
    k: &NewContract,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO contracts (id, partner, supplier, contract_number, status, version, payload, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
        vec![
            k.id.into(),
            k.partner.as_str().into(),
            k.supplier.as_str().into(),
            k.contract_number.as_str().into(),
            k.status.as_str().into(),
            (&k.payload).into(),
            k.at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn update_contract(
    c: &mut dyn Exec,
    u: &EntityUpdate,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    update_versioned(c, Versioned::Contract, u, event).await
}

pub(crate) async fn get_contract(
    c: &mut dyn Exec,
    id: Uuid,
) -> StoreResult<Option<ContractRecord>> {
    c.fetch_optional(
        &format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| contract(&r))
    .transpose()
}

pub(crate) async fn find_contract(
    c: &mut dyn Exec,
    partner: &str,
    supplier: &str,
    number: &str,
) -> StoreResult<Option<ContractRecord>> {
    c.fetch_optional(
        &format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts \
             WHERE partner = $1 AND supplier = $2 AND contract_number = $3"
        ),
        vec![partner.into(), supplier.into(), number.into()],
    )
    .await?
    .map(|r| contract(&r))
    .transpose()
}

pub(crate) async fn insert_contract_version(
    c: &mut dyn Exec,
    v: &ContractVersion,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO contract_versions (contract_id, version_no, source_document_id, \
         received_at, approved_by, payload) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            v.contract_id.into(),
            v.version_no.into(),
            v.source_document_id.into(),
            v.received_at.into(),
            (&v.approved_by).into(),
            (&v.payload).into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn contract_versions(
    c: &mut dyn Exec,
    contract_id: Uuid,
) -> StoreResult<Vec<ContractVersion>> {
    let rows = c
        .fetch_all(
            "SELECT contract_id, version_no, source_document_id, received_at, approved_by, \
             payload FROM contract_versions WHERE contract_id = $1 ORDER BY version_no",
            vec![contract_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ContractVersion {
                contract_id: r.uuid("contract_id")?,
                version_no: r.int("version_no")?,
                source_document_id: r.opt_uuid("source_document_id")?,
                received_at: r.time("received_at")?,
                approved_by: r.opt_text("approved_by")?,
                payload: r.json("payload")?,
            })
        })
        .collect()
}

/// Every contract version of every contract, oldest received first (ties by contract and
/// version number), to rebuild the engine's contract book.
pub(crate) async fn all_contract_versions(c: &mut dyn Exec) -> StoreResult<Vec<ContractVersion>> {
    let rows = c
        .fetch_all(
            "SELECT contract_id, version_no, source_document_id, received_at, approved_by, \
             payload FROM contract_versions ORDER BY received_at, contract_id, version_no",
            vec![],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ContractVersion {
                contract_id: r.uuid("contract_id")?,
                version_no: r.int("version_no")?,
                source_document_id: r.opt_uuid("source_document_id")?,
                received_at: r.time("received_at")?,
                approved_by: r.opt_text("approved_by")?,
                payload: r.json("payload")?,
            })
        })
        .collect()
}

/// How many contract versions exist: versions are append-only, so the count changes exactly
/// when a version is added (a cheap cache key for the contract book).
pub(crate) async fn contract_version_count(c: &mut dyn Exec) -> StoreResult<i64> {
    let rows = c
        .fetch_all("SELECT COUNT(*) AS n FROM contract_versions", vec![])
        .await?;
    match rows.first() {
        Some(r) => r.int("n"),
        None => Ok(0),
    }
}

// ---- batches --------------------------------------------------------------------------------

pub(crate) const BATCH_COLUMNS: &str = "id, number, partner, role, status, debit_memo, source_document_id, \
     version, payload, created_at, updated_at, period_key, period_end";

pub(crate) fn batch(r: &Row) -> StoreResult<BatchRecord> {
    Ok(BatchRecord {
        id: r.uuid("id")?,
        number: r.text("number")?,
        partner: r.text("partner")?,
        role: r.text("role")?,
        status: r.text("status")?,
        debit_memo: r.opt_text("debit_memo")?,
        source_document_id: r.opt_uuid("source_document_id")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        period_key: r.opt_text("period_key")?,
        period_end: r.opt_text("period_end")?,
    })
}

/// `WHERE ...` of an entity list: the filters given, the number as a prefix.
fn entity_where(filter: &EntityFilter, number_column: &str, with_role: bool) -> (String, Params) {
    let mut p = Params::default();
    let mut clauses = Vec::new();
    if let Some(partner) = &filter.partner {
        clauses.push(format!("partner = {}", p.push(partner.clone())));
    }
    if let Some(status) = &filter.status {
        clauses.push(format!("status = {}", p.push(status.clone())));
    }
    if let (true, Some(role)) = (with_role, &filter.role) {
        clauses.push(format!("role = {}", p.push(role.clone())));
    }
    if let Some(number) = &filter.number {
        // A prefix: LIKE's wildcards in the number itself are taken literally. SQLite's LIKE
        // ignores ASCII case where PostgreSQL's does not: the number's first characters are
        // compared as well, so `GOODDRUG` finds nothing on either backend.
        let escaped = number
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        clauses.push(format!(
            "{number_column} LIKE {} ESCAPE '\\' AND substr({number_column}, 1, {}) = {}",
            p.push(format!("{escaped}%")),
            number.chars().count(),
            p.push(number.clone())
        ));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (sql, p)
}

/// The rows of `table` matching `filter`, by creation time.
async fn list_rows<T>(
    c: &mut dyn Exec,
    filter: &EntityFilter,
    (table, columns, number_column, with_role): (&str, &str, &str, bool),
    row: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let (clauses, mut p) = entity_where(filter, number_column, with_role);
    let limit = p.push(filter.row_limit());
    let order = if filter.oldest_first { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT {columns} FROM {table}{clauses} ORDER BY created_at {order}, id {order} \
         LIMIT {limit}"
    );
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(row).collect()
}

pub(crate) async fn list_batches(
    c: &mut dyn Exec,
    filter: &EntityFilter,
) -> StoreResult<Vec<BatchRecord>> {
    list_rows(c, filter, ("batches", BATCH_COLUMNS, "number", true), batch).await
}

pub(crate) async fn list_claims(
    c: &mut dyn Exec,
    filter: &EntityFilter,
) -> StoreResult<Vec<ClaimRecord>> {
    list_rows(
        c,
        filter,
        ("claims", CLAIM_COLUMNS, "claim_number", false),
        claim,
    )
    .await
}

/// The Open batch collecting `partner`'s lines of claim period `period_key`, if any.
pub(crate) async fn open_period_batch(
    c: &mut dyn Exec,
    partner: &str,
    period_key: &str,
) -> StoreResult<Option<BatchRecord>> {
    c.fetch_optional(
        &format!(
            "SELECT {BATCH_COLUMNS} FROM batches \
             WHERE partner = $1 AND period_key = $2 AND status = 'open' \
             ORDER BY created_at DESC LIMIT 1"
        ),
        vec![partner.into(), period_key.into()],
    )
    .await?
    .map(|r| batch(&r))
    .transpose()
}

/// Open collecting batches whose period ended on or before `through` (ISO date), of
/// `partner` when given, oldest period first.
pub(crate) async fn batches_due(
    c: &mut dyn Exec,
    through: &str,
    partner: Option<&str>,
) -> StoreResult<Vec<BatchRecord>> {
    let mut args: Vec<Arg> = vec![through.into()];
    let mut sql = format!(
        "SELECT {BATCH_COLUMNS} FROM batches \
         WHERE status = 'open' AND period_end IS NOT NULL AND period_end <= $1"
    );
    if let Some(p) = partner {
        args.push(p.into());
        sql += " AND partner = $2";
    }
    sql += " ORDER BY period_end, created_at";
    let rows = c.fetch_all(&sql, args).await?;
    rows.iter().map(batch).collect()
}

/// Marks batch `id` as the collecting batch of `period_key`, ending `period_end`.
pub(crate) async fn set_batch_period(
    c: &mut dyn Exec,
    id: Uuid,
    period_key: &str,
    period_end: &str,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE batches SET period_key = $2, period_end = $3 WHERE id = $1",
            vec![id.into(), period_key.into(), period_end.into()],
        )
        .await?;
    if n == 0 {
        return Err(not_found("batch", id));
    }
    Ok(())
}

/// Records where a sales report's lines went; `false` (nothing written) when the report was
/// recorded before.
pub(crate) async fn record_report_batch(
    c: &mut dyn Exec,
    partner: &str,
    report_id: &str,
    to: &ReportBatch,
    pending: bool,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO sales_report_batches (partner, report_id, batch_id, first_line_no, \
             line_count, created_at, pending, return_lines) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (partner, report_id) DO NOTHING",
            vec![
                partner.into(),
                report_id.into(),
                to.batch_id.into(),
                to.first_line_no.into(),
                to.line_count.into(),
                at.into(),
                pending.into(),
                to.return_lines.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Keeps chunk `chunk_no` of a pending report's lines (a JSON array).
pub(crate) async fn insert_pending_chunk(
    c: &mut dyn Exec,
    partner: &str,
    report_id: &str,
    chunk_no: i64,
    lines: &JsonText,
) -> StoreResult<()> {
    if by_copy(c, lines.get()) {
        // A chunk is megabytes of JSON: sent as it is rather than bound (copied twice more).
        let mut row = CopyData::with_capacity(128);
        row.text(Some(partner));
        row.text(Some(report_id));
        row.int(chunk_no);
        let (head, trailer) = row.around_last_text(lines.get());
        c.copy_in(
            "COPY pending_report_chunks (partner, report_id, chunk_no, lines) \
             FROM STDIN WITH (FORMAT binary)",
            &[&head, lines.get().as_bytes(), &trailer],
        )
        .await?;
        return Ok(());
    }
    c.execute(
        "INSERT INTO pending_report_chunks (partner, report_id, chunk_no, lines) \
         VALUES ($1, $2, $3, $4)",
        vec![
            partner.into(),
            report_id.into(),
            chunk_no.into(),
            crate::sql::json_as_text(lines),
        ],
    )
    .await?;
    Ok(())
}

/// The reports recorded in batch `batch_id`, in line order.
pub(crate) async fn batch_reports(
    c: &mut dyn Exec,
    batch_id: Uuid,
) -> StoreResult<Vec<BatchReport>> {
    let rows = c
        .fetch_all(
            "SELECT report_id, first_line_no, line_count, \
             CAST(CASE WHEN pending THEN 1 ELSE 0 END AS BIGINT) AS pending, return_lines \
             FROM sales_report_batches WHERE batch_id = $1 ORDER BY first_line_no",
            vec![batch_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(BatchReport {
                report_id: r.text("report_id")?,
                first_line_no: r.int("first_line_no")?,
                line_count: r.int("line_count")?,
                pending: r.int("pending")? == 1,
                return_lines: r.opt_int("return_lines")?,
            })
        })
        .collect()
}

pub(crate) async fn next_report_line_no(c: &mut dyn Exec, batch_id: Uuid) -> StoreResult<i64> {
    // The last report in line order, by the (batch_id, first_line_no) index (0027).
    let row = c
        .fetch_optional(
            "SELECT first_line_no + line_count AS next FROM sales_report_batches \
             WHERE batch_id = $1 ORDER BY first_line_no DESC LIMIT 1",
            vec![batch_id.into()],
        )
        .await?;
    row.map_or(Ok(1), |r| r.int("next"))
}

/// Chunk `chunk_no` of `partner`'s report `report_id` while its lines wait for their
/// period's cut: JSON text, parsed by the caller (not checked here: that would be a second
/// pass over megabytes).
pub(crate) async fn pending_report_chunk(
    c: &mut dyn Exec,
    partner: &str,
    report_id: &str,
    chunk_no: i64,
) -> StoreResult<Option<String>> {
    let row = c
        .fetch_optional(
            "SELECT lines FROM pending_report_chunks \
             WHERE partner = $1 AND report_id = $2 AND chunk_no = $3",
            vec![partner.into(), report_id.into(), chunk_no.into()],
        )
        .await?;
    row.map(|r| r.text("lines")).transpose()
}

/// Forgets the pending lines of batch `batch_id`'s reports (they are batch lines now); the
/// number of reports that had them.
pub(crate) async fn clear_pending_reports(c: &mut dyn Exec, batch_id: Uuid) -> StoreResult<u64> {
    c.execute(
        "DELETE FROM pending_report_chunks WHERE EXISTS (SELECT 1 FROM sales_report_batches r \
         WHERE r.batch_id = $1 AND r.pending AND r.partner = pending_report_chunks.partner \
         AND r.report_id = pending_report_chunks.report_id)",
        vec![batch_id.into()],
    )
    .await?;
    c.execute(
        "UPDATE sales_report_batches SET pending = FALSE WHERE batch_id = $1 AND pending",
        vec![batch_id.into()],
    )
    .await
}

/// Where `partner`'s sales report `report_id` went, if it was applied.
pub(crate) async fn report_batch(
    c: &mut dyn Exec,
    partner: &str,
    report_id: &str,
) -> StoreResult<Option<ReportBatch>> {
    c.fetch_optional(
        "SELECT batch_id, first_line_no, line_count, return_lines FROM sales_report_batches \
         WHERE partner = $1 AND report_id = $2",
        vec![partner.into(), report_id.into()],
    )
    .await?
    .map(|r| {
        Ok(ReportBatch {
            batch_id: r.uuid("batch_id")?,
            first_line_no: r.int("first_line_no")?,
            line_count: r.int("line_count")?,
            return_lines: r.opt_int("return_lines")?,
        })
    })
    .transpose()
}

pub(crate) async fn insert_batch(
    c: &mut dyn Exec,
    b: &NewBatch,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO batches (id, number, partner, role, status, debit_memo, source_document_id, \
         version, payload, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9)",
        vec![
            b.id.into(),
            b.number.as_str().into(),
            b.partner.as_str().into(),
            b.role.as_str().into(),
            b.status.as_str().into(),
            (&b.debit_memo).into(),
            b.source_document_id.into(),
            (&b.payload).into(),
            b.at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn update_batch(
    c: &mut dyn Exec,
    u: &EntityUpdate,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    update_versioned(c, Versioned::Batch, u, event).await
}

pub(crate) async fn get_batch(c: &mut dyn Exec, id: Uuid) -> StoreResult<Option<BatchRecord>> {
    c.fetch_optional(
        &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| batch(&r))
    .transpose()
}

pub(crate) async fn find_batch(c: &mut dyn Exec, number: &str) -> StoreResult<Option<BatchRecord>> {
    c.fetch_optional(
        &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE number = $1"),
        vec![number.into()],
    )
    .await?
    .map(|r| batch(&r))
    .transpose()
}

pub(crate) const LINE_COLUMNS: &str = "l.batch_id, l.line_no, l.status, l.invoice, l.item, l.customer, \
     l.contract, l.quantity, l.contract_price, l.claimed_amount, l.calculated_amount, \
     l.accepted_amount, l.claim_id, l.payload, l.claim_line_no, l.claim_line_amount, \
     l.claim_line, l.updated_at";

pub(crate) fn batch_line(r: &Row) -> StoreResult<BatchLineRecord> {
    Ok(BatchLineRecord {
        batch_id: r.uuid("batch_id")?,
        line: NewBatchLine {
            line_no: r.int("line_no")?,
            status: r.text("status")?,
            invoice: r.opt_text("invoice")?,
            item: r.opt_text("item")?,
            customer: r.opt_text("customer")?,
            contract: r.opt_text("contract")?,
            quantity: r.opt_decimal("quantity")?,
            contract_price: r.opt_decimal("contract_price")?,
            claimed_amount: r.opt_decimal("claimed_amount")?,
            calculated_amount: r.opt_decimal("calculated_amount")?,
            accepted_amount: r.opt_decimal("accepted_amount")?,
            payload: r.json_text("payload")?,
            claim_line: match r.opt_int("claim_line_no")? {
                Some(line_no) => Some(CarriedClaimLine {
                    line_no,
                    claimed_amount: r.decimal("claim_line_amount")?,
                    payload: r.json_text("claim_line")?,
                }),
                None => None,
            },
        },
        claim_id: r.opt_uuid("claim_id")?,
        updated_at: r.time("updated_at")?,
    })
}

const LINE_INSERT_COLUMNS: &str = "batch_id, line_no, status, invoice, invoice_key, item, \
     customer, contract, quantity, contract_price, claimed_amount, calculated_amount, \
     accepted_amount, payload, claim_line_no, claim_line_amount, claim_line, updated_at";
const LINE_INSERT_WIDTH: usize = 18;

fn line_args(batch_id: Uuid, l: &NewBatchLine, at: DateTime<Utc>) -> StoreResult<[Arg; 18]> {
    let carried = l.claim_line.as_ref();
    Ok([
        batch_id.into(),
        l.line_no.into(),
        l.status.as_str().into(),
        (&l.invoice).into(),
        Arg::Text(l.invoice.as_deref().map(invoice_key)),
        (&l.item).into(),
        (&l.customer).into(),
        (&l.contract).into(),
        opt_money("quantity", l.quantity, PRICE_SCALE)?,
        opt_money("contract_price", l.contract_price, PRICE_SCALE)?,
        opt_money("claimed_amount", l.claimed_amount, AMOUNT_SCALE)?,
        opt_money("calculated_amount", l.calculated_amount, AMOUNT_SCALE)?,
        opt_money("accepted_amount", l.accepted_amount, AMOUNT_SCALE)?,
        crate::sql::json_as_text(&l.payload),
        carried.map(|c| c.line_no).into(),
        opt_money(
            "claim_line_amount",
            carried.map(|c| c.claimed_amount),
            AMOUNT_SCALE,
        )?,
        carried.map_or(Arg::Text(None), |c| crate::sql::json_as_text(&c.payload)),
        at.into(),
    ])
}

/// Inserts a batch's lines in bulk: `COPY` on PostgreSQL, multi-row `INSERT`s of
/// [`ROWS_PER_INSERT`] rows on SQLite.
///
/// `batch_lines.batch_id` has no foreign key (a per-row check would cost more than the
/// insert itself at 100,000 lines); the batch is checked here once instead, and batches are
/// never deleted.
pub(crate) async fn insert_batch_lines(
    c: &mut dyn Exec,
    batch_id: Uuid,
    lines: &[NewBatchLine],
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<u64> {
    let lock = match c.dialect() {
        Dialect::Postgres => " FOR KEY SHARE",
        Dialect::Sqlite => "",
    };
    if c.fetch_optional(
        &format!("SELECT 1 AS one FROM batches WHERE id = $1{lock}"),
        vec![batch_id.into()],
    )
    .await?
    .is_none()
    {
        return Err(not_found("batch", batch_id));
    }
    if lines.iter().any(|l| l.claim_line.is_some())
        && c.fetch_optional(
            "SELECT 1 AS one FROM claims WHERE batch_id = $1 AND lines_carried",
            vec![batch_id.into()],
        )
        .await?
        .is_none()
    {
        return Err(StoreError::InvalidValue {
            field: "claim_line",
            reason: format!("batch {batch_id} has no claim whose lines its lines carry"),
        });
    }
    let mut inserted = 0;
    match c.dialect() {
        Dialect::Postgres => {
            if !lines.is_empty() {
                let mut data = CopyData::with_capacity(lines.len() * 256);
                for l in lines {
                    data.uuid(batch_id);
                    data.int(l.line_no);
                    data.text(Some(&l.status));
                    data.text(l.invoice.as_deref());
                    data.text(l.invoice.as_deref().map(invoice_key).as_deref());
                    data.text(l.item.as_deref());
                    data.text(l.customer.as_deref());
                    data.text(l.contract.as_deref());
                    data.decimal(opt_checked("quantity", l.quantity, PRICE_SCALE)?);
                    data.decimal(opt_checked(
                        "contract_price",
                        l.contract_price,
                        PRICE_SCALE,
                    )?);
                    data.decimal(opt_checked(
                        "claimed_amount",
                        l.claimed_amount,
                        AMOUNT_SCALE,
                    )?);
                    data.decimal(opt_checked(
                        "calculated_amount",
                        l.calculated_amount,
                        AMOUNT_SCALE,
                    )?);
                    data.decimal(opt_checked(
                        "accepted_amount",
                        l.accepted_amount,
                        AMOUNT_SCALE,
                    )?);
                    data.json_text(&l.payload);
                    match &l.claim_line {
                        Some(carried) => {
                            data.int(carried.line_no);
                            data.decimal(Some(checked_decimal(
                                "claim_line_amount",
                                carried.claimed_amount,
                                AMOUNT_SCALE,
                            )?));
                            data.json_text(&carried.payload);
                        }
                        None => {
                            data.text(None);
                            data.text(None);
                            data.text(None);
                        }
                    }
                    data.time(&at);
                    data.end_row();
                }
                inserted = c
                    .copy_in(
                        &format!("COPY batch_lines ({LINE_INSERT_COLUMNS}) FROM STDIN WITH (FORMAT binary)"),
                        &[&data.into_bytes()],
                    )
                    .await?;
            }
        }
        Dialect::Sqlite => {
            for chunk in lines.chunks(ROWS_PER_INSERT) {
                let mut args = Vec::with_capacity(chunk.len() * LINE_INSERT_WIDTH);
                for l in chunk {
                    args.extend(line_args(batch_id, l, at)?);
                }
                let sql = format!(
                    "INSERT INTO batch_lines ({LINE_INSERT_COLUMNS}) VALUES {}",
                    crate::sql::values_placeholders(c.dialect(), chunk.len(), LINE_INSERT_WIDTH)
                );
                inserted += c.execute(&sql, args).await?;
            }
        }
    }
    audit::append(c, event).await?;
    Ok(inserted)
}

pub(crate) async fn update_batch_line(
    c: &mut dyn Exec,
    u: &BatchLineUpdate,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE batch_lines SET status = $3, \
             calculated_amount = COALESCE($4, calculated_amount), \
             accepted_amount = COALESCE($5, accepted_amount), claim_id = COALESCE($6, claim_id), \
             payload = $7, updated_at = $8 WHERE batch_id = $1 AND line_no = $2",
            vec![
                u.batch_id.into(),
                u.line_no.into(),
                u.status.as_str().into(),
                opt_money("calculated_amount", u.calculated_amount, AMOUNT_SCALE)?,
                opt_money("accepted_amount", u.accepted_amount, AMOUNT_SCALE)?,
                u.claim_id.into(),
                crate::sql::json_as_text(&u.payload),
                u.at.into(),
                // The update writes the whole line, sale included.
                false.into(),
            ],
        )
        .await?;
    if n == 0 {
        return Err(not_found(
            "batch line",
            format!("{}/{}", u.batch_id, u.line_no),
        ));
    }
    audit::append(c, event).await?;
    Ok(())
}

/// Rows per multi-row `INSERT` into the staging table on SQLite (5 values a row).
const ROWS_PER_STAGE: usize = 1_000;

/// Empties a temporary staging table (`TRUNCATE` on PostgreSQL; SQLite has none).
async fn empty_staging(c: &mut dyn Exec, table: &str) -> StoreResult<()> {
    let sql = match c.dialect() {
        Dialect::Postgres => format!("TRUNCATE {table}"),
        Dialect::Sqlite => format!("DELETE FROM {table}"),
    };
    c.execute(&sql, vec![]).await?;
    Ok(())
}

/// Writes many lines' new states (status, amounts, payload) with one audit event for the
/// whole update (a cut of a period batch moves every valid line at once). The states go to a
/// temporary staging table (`COPY` on PostgreSQL, multi-row `INSERT`s on SQLite), then one
/// `UPDATE ... FROM` joins it to the batch's lines by line number: one pass over the batch,
/// where a join against a `VALUES` list per thousand rows read the batch's lines again for
/// every statement.
pub(crate) async fn update_batch_lines(
    c: &mut dyn Exec,
    batch_id: Uuid,
    lines: &[BatchLineState],
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<u64> {
    if lines.is_empty() {
        audit::append(c, event).await?;
        return Ok(0);
    }
    match c.dialect() {
        Dialect::Postgres => {
            c.execute(
                "CREATE TEMP TABLE IF NOT EXISTS batch_line_states (line_no BIGINT PRIMARY KEY, \
                 status TEXT NOT NULL, calculated_amount NUMERIC(18, 2), \
                 accepted_amount NUMERIC(18, 2), payload TEXT NOT NULL) ON COMMIT DELETE ROWS",
                vec![],
            )
            .await?;
            empty_staging(c, "batch_line_states").await?;
            let mut data = CopyData::with_capacity(lines.len() * 512);
            for l in lines {
                data.int(l.line_no);
                data.text(Some(&l.status));
                data.decimal(opt_checked(
                    "calculated_amount",
                    l.calculated_amount,
                    AMOUNT_SCALE,
                )?);
                data.decimal(opt_checked(
                    "accepted_amount",
                    l.accepted_amount,
                    AMOUNT_SCALE,
                )?);
                data.json_text(&l.payload);
                data.end_row();
            }
            c.copy_in(
                "COPY batch_line_states (line_no, status, calculated_amount, accepted_amount, \
                 payload) FROM STDIN WITH (FORMAT binary)",
                &[&data.into_bytes()],
            )
            .await?;
        }
        Dialect::Sqlite => {
            c.execute(
                "CREATE TEMP TABLE IF NOT EXISTS batch_line_states (line_no INTEGER PRIMARY KEY, \
                 status TEXT NOT NULL, calculated_amount TEXT, accepted_amount TEXT, \
                 payload TEXT NOT NULL)",
                vec![],
            )
            .await?;
            empty_staging(c, "batch_line_states").await?;
            for chunk in lines.chunks(ROWS_PER_STAGE) {
                let mut args = Vec::with_capacity(chunk.len() * 5);
                for l in chunk {
                    args.push(l.line_no.into());
                    args.push(l.status.as_str().into());
                    args.push(opt_money(
                        "calculated_amount",
                        l.calculated_amount,
                        AMOUNT_SCALE,
                    )?);
                    args.push(opt_money(
                        "accepted_amount",
                        l.accepted_amount,
                        AMOUNT_SCALE,
                    )?);
                    args.push(crate::sql::json_as_text(&l.payload));
                }
                let sql = format!(
                    "INSERT INTO batch_line_states (line_no, status, calculated_amount, \
                     accepted_amount, payload) VALUES {}",
                    crate::sql::values_placeholders(c.dialect(), chunk.len(), 5)
                );
                c.execute(&sql, args).await?;
            }
        }
    }
    let updated = c
        .execute(
            "UPDATE batch_lines SET status = s.status, \
             calculated_amount = COALESCE(s.calculated_amount, batch_lines.calculated_amount), \
             accepted_amount = s.accepted_amount, \
             payload = s.payload, updated_at = $1 \
             FROM batch_line_states AS s \
             WHERE batch_lines.batch_id = $2 AND batch_lines.line_no = s.line_no",
            vec![at.into(), batch_id.into()],
        )
        .await?;
    if updated != lines.len() as u64 {
        return Err(not_found(
            "batch line",
            format!("{batch_id}: {updated} of {} lines", lines.len()),
        ));
    }
    empty_staging(c, "batch_line_states").await?;
    audit::append(c, event).await?;
    Ok(updated)
}

pub(crate) async fn batch_lines(
    c: &mut dyn Exec,
    batch_id: Uuid,
) -> StoreResult<Vec<BatchLineRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {LINE_COLUMNS} FROM batch_lines l WHERE l.batch_id = $1 ORDER BY l.line_no"
            ),
            vec![batch_id.into()],
        )
        .await?;
    rows.iter().map(batch_line).collect()
}

/// `AND <column> IN (...)` for a page's statuses, or nothing when it names none.
fn status_clause(p: &mut Params, column: &str, statuses: &[String]) -> String {
    if statuses.is_empty() {
        String::new()
    } else {
        format!(" AND {column} IN ({})", p.list(statuses))
    }
}

/// The sum of amount column `column` as `alias`, exactly: NUMERIC on PostgreSQL; on SQLite,
/// where amounts are decimal text always written with [`AMOUNT_SCALE`] places, the sum of
/// their cents as integers (SQLite's `SUM` of text would go through a float).
fn amount_sum(dialect: Dialect, column: &str, alias: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("COALESCE(SUM({column}), 0) AS {alias}"),
        Dialect::Sqlite => {
            format!("COALESCE(SUM(CAST(REPLACE({column}, '.', '') AS INTEGER)), 0) AS {alias}")
        }
    }
}

/// Reads a sum made by [`amount_sum`], at [`AMOUNT_SCALE`].
fn read_amount_sum(r: &Row, dialect: Dialect, alias: &str) -> StoreResult<Decimal> {
    let mut sum = match dialect {
        Dialect::Postgres => r.decimal(alias)?,
        Dialect::Sqlite => Decimal::new(r.int(alias)?, AMOUNT_SCALE),
    };
    sum.rescale(AMOUNT_SCALE);
    Ok(sum)
}

/// One page of a batch's lines (`StoreRead::batch_lines_page`): the primary key
/// `(batch_id, line_no)` drives it, so a page reads its own rows only.
pub(crate) async fn batch_lines_page(
    c: &mut dyn Exec,
    batch_id: Uuid,
    page: &LinePage,
) -> StoreResult<Vec<BatchLineRecord>> {
    let mut p = Params::default();
    let batch = p.push(batch_id);
    let after = p.push(page.after);
    let statuses = status_clause(&mut p, "l.status", &page.statuses);
    let limit = p.push(page.limit.max(1));
    // A line a carried claim line claims names that claim (the batch's one carrying claim,
    // by the batch index), which its own claim_id column does not.
    let columns = LINE_COLUMNS.replacen(
        "l.claim_id,",
        "COALESCE(l.claim_id, CASE WHEN l.claim_line_no IS NOT NULL THEN \
         (SELECT k.id FROM claims k WHERE k.batch_id = l.batch_id AND k.lines_carried) END) \
         AS claim_id,",
        1,
    );
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {columns} FROM batch_lines l \
                 WHERE l.batch_id = {batch} AND l.line_no > {after}{statuses} \
                 ORDER BY l.line_no LIMIT {limit}"
            ),
            p.args,
        )
        .await?;
    rows.iter().map(batch_line).collect()
}

/// A batch's lines counted and summed by status, in the database.
pub(crate) async fn batch_line_totals(
    c: &mut dyn Exec,
    batch_id: Uuid,
) -> StoreResult<Vec<BatchLineTotals>> {
    let d = c.dialect();
    let rows = c
        .fetch_all(
            &format!(
                "SELECT l.status, COUNT(*) AS n_lines, {}, {}, {} FROM batch_lines l \
                 WHERE l.batch_id = $1 GROUP BY l.status ORDER BY l.status",
                amount_sum(d, "l.claimed_amount", "claimed_amount"),
                amount_sum(d, "l.calculated_amount", "calculated_amount"),
                amount_sum(d, "l.accepted_amount", "accepted_amount"),
            ),
            vec![batch_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(BatchLineTotals {
                status: r.text("status")?,
                lines: r.int("n_lines")?,
                claimed_amount: read_amount_sum(r, d, "claimed_amount")?,
                calculated_amount: read_amount_sum(r, d, "calculated_amount")?,
                accepted_amount: read_amount_sum(r, d, "accepted_amount")?,
            })
        })
        .collect()
}

pub(crate) async fn find_batch_lines(
    c: &mut dyn Exec,
    q: &LineQuery,
) -> StoreResult<Vec<BatchLineRecord>> {
    let mut p = Params::default();
    let mut sql = format!(
        "SELECT {LINE_COLUMNS} FROM batch_lines l JOIN batches b ON b.id = l.batch_id \
         WHERE l.invoice_key = {}",
        p.push(invoice_key(&q.invoice))
    );
    if let Some(item) = &q.item {
        sql += &format!(" AND l.item = {}", p.push(item.as_str()));
    }
    if let Some(customer) = &q.customer {
        sql += &format!(" AND l.customer = {}", p.push(customer.as_str()));
    }
    if let Some(partner) = &q.partner {
        sql += &format!(" AND b.partner = {}", p.push(partner.as_str()));
    }
    sql += " ORDER BY b.created_at, l.batch_id, l.line_no";
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(batch_line).collect()
}

/// An invoice as the engine's duplicate keys compare it: without ASCII whitespace and '-',
/// ASCII letters in upper case (`engine::duplicates`). Every line is written with it,
/// `batch_lines.invoice_key` (migration 0020), the column lines are found by.
pub(crate) fn invoice_key(invoice: &str) -> String {
    invoice
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .map(|b| char::from(b.to_ascii_uppercase()))
        .collect::<String>()
}

/// A query for the rows of `table` whose `column` is one of the texts bound at `param` (an
/// [`Arg::TextList`]), one index probe per key whatever the statistics say: a table not
/// analyzed since its last big insert made PostgreSQL plan an `IN` list as a scan of the
/// whole table (a report's invoice history grew from 50 ms to 0.7 s over four 50 K-line
/// reports). `OFFSET 0` keeps the lateral subquery from being flattened into a hash join.
/// One statement for any number of keys (an `IN` list of parameters has a ceiling).
fn rows_with_keys(dialect: Dialect, (table, column): (&str, &str), param: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "SELECT x.* FROM unnest({param}::text[]) AS k(key) CROSS JOIN LATERAL \
             (SELECT * FROM {table} x WHERE x.{column} = k.key OFFSET 0) x"
        ),
        Dialect::Sqlite => format!(
            "SELECT * FROM {table} WHERE {column} IN (SELECT value FROM json_each({param}))"
        ),
    }
}

/// The distinct [`invoice_key`]s of `invoices`.
fn invoice_keys(invoices: &[String]) -> Vec<String> {
    let keys: std::collections::BTreeSet<String> =
        invoices.iter().map(|i| invoice_key(i)).collect();
    keys.into_iter().collect()
}

/// Lines of `partner`'s batches in `role` whose invoice is one of `invoices` (compared as
/// [`invoice_key`]s), with their batch's status, in batch creation and line order (duplicate
/// and return history, chargeback-rules 5.2); of batch `chunked.0` only those numbered below
/// `chunked.1.1` on one of `chunked.1.0` (`StoreRead::lines_for_chunk`).
///
/// The invoice index drives the query, one statement for any number of invoices.
pub(crate) async fn lines_for_invoices(
    c: &mut dyn Exec,
    (partner, role): (&str, &str),
    invoices: &[String],
    chunked: Option<(Uuid, (&[String], i64))>,
) -> StoreResult<Vec<(String, BatchLineRecord)>> {
    let dialect = c.dialect();
    let matching = rows_with_keys(dialect, ("batch_lines", "invoice_key"), "$3");
    let mut args = vec![
        partner.into(),
        role.into(),
        Arg::TextList(invoice_keys(invoices)),
    ];
    let mut own_lines = String::new();
    if let Some((batch, (own, before))) = chunked {
        let in_own = match dialect {
            Dialect::Postgres => "l.invoice_key = ANY($6::text[])",
            Dialect::Sqlite => "l.invoice_key IN (SELECT value FROM json_each($6))",
        };
        own_lines = format!(" AND (l.batch_id <> $4 OR (l.line_no < $5 AND {in_own}))");
        args.extend([
            batch.into(),
            before.into(),
            Arg::TextList(invoice_keys(own)),
        ]);
    }
    // The lines are found first (`MATERIALIZED`), then joined to their batches: started from
    // the partner's batches, PostgreSQL probed every invoice once per batch and SQLite read
    // every line of each batch. The chunked batch's filter stays outside too: given it inside,
    // PostgreSQL read that batch's lines by primary key for every invoice asked.
    let sql = format!(
        "WITH l AS MATERIALIZED ({matching}) \
         SELECT {LINE_COLUMNS}, b.status AS batch_status FROM l \
         JOIN batches b ON b.id = l.batch_id \
         WHERE b.partner = $1 AND b.role = $2{own_lines} \
         ORDER BY b.created_at, l.batch_id, l.line_no"
    );
    c.fetch_all(&sql, args)
        .await?
        .iter()
        .map(|r| Ok((r.text("batch_status")?, batch_line(r)?)))
        .collect()
}

// ---- claims ---------------------------------------------------------------------------------

const CLAIM_COLUMNS: &str = "id, partner, claim_number, status, amount, batch_id, parent_id, \
     version, payload, created_at, updated_at";

fn claim(r: &Row) -> StoreResult<ClaimRecord> {
    Ok(ClaimRecord {
        id: r.uuid("id")?,
        partner: r.text("partner")?,
        claim_number: r.text("claim_number")?,
        status: r.text("status")?,
        amount: r.decimal("amount")?,
        batch_id: r.opt_uuid("batch_id")?,
        parent_id: r.opt_uuid("parent_id")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert_claim(
    c: &mut dyn Exec,
    k: &NewClaim,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO claims (id, partner, claim_number, status, amount, batch_id, parent_id, \
         version, payload, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9)",
        vec![
            k.id.into(),
            k.partner.as_str().into(),
            k.claim_number.as_str().into(),
            k.status.as_str().into(),
            money("amount", k.amount, AMOUNT_SCALE)?,
            k.batch_id.into(),
            k.parent_id.into(),
            (&k.payload).into(),
            k.at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn update_claim(
    c: &mut dyn Exec,
    u: &EntityUpdate,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    update_versioned(c, Versioned::Claim, u, event).await
}

pub(crate) async fn get_claim(c: &mut dyn Exec, id: Uuid) -> StoreResult<Option<ClaimRecord>> {
    c.fetch_optional(
        &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| claim(&r))
    .transpose()
}

pub(crate) async fn claims_of_batch(
    c: &mut dyn Exec,
    batch_id: Uuid,
) -> StoreResult<Vec<ClaimRecord>> {
    c.fetch_all(
        &format!(
            "SELECT {CLAIM_COLUMNS} FROM claims WHERE batch_id = $1 AND parent_id IS NULL \
             ORDER BY created_at, claim_number"
        ),
        vec![batch_id.into()],
    )
    .await?
    .iter()
    .map(claim)
    .collect()
}

pub(crate) async fn find_claim(
    c: &mut dyn Exec,
    partner: &str,
    number: &str,
) -> StoreResult<Option<ClaimRecord>> {
    c.fetch_optional(
        &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE partner = $1 AND claim_number = $2"),
        vec![partner.into(), number.into()],
    )
    .await?
    .map(|r| claim(&r))
    .transpose()
}

/// A claim line row's columns, in the order every insert writes them.
const CLAIM_LINE_INSERT_COLUMNS: &str = "claim_id, line_no, batch_id, batch_line_no, status, \
     claimed_amount, approved_amount, payload, sale_from_batch, updated_at";

/// Marks a top-level claim cut from a batch as the one whose lines that batch's lines carry.
pub(crate) async fn carry_claim_lines(c: &mut dyn Exec, claim_id: Uuid) -> StoreResult<()> {
    let Some(claim) = c
        .fetch_optional(
            "SELECT batch_id FROM claims WHERE id = $1 AND batch_id IS NOT NULL \
             AND parent_id IS NULL",
            vec![claim_id.into()],
        )
        .await?
    else {
        return Err(not_found("claim cut from a batch", claim_id));
    };
    let batch_id = claim.uuid("batch_id")?;
    if let Some(other) = c
        .fetch_optional(
            "SELECT id FROM claims WHERE batch_id = $1 AND lines_carried AND id <> $2",
            vec![batch_id.into(), claim_id.into()],
        )
        .await?
    {
        return Err(StoreError::Duplicate {
            what: format!(
                "carrying claim of batch {batch_id}: {} carries its lines",
                other.uuid("id")?
            ),
        });
    }
    c.execute(
        "UPDATE claims SET lines_carried = TRUE WHERE id = $1",
        vec![claim_id.into()],
    )
    .await?;
    Ok(())
}

pub(crate) async fn insert_claim_lines(
    c: &mut dyn Exec,
    claim_id: Uuid,
    lines: &[NewClaimLine],
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<u64> {
    const COLUMNS: usize = 10;
    let mut inserted = 0;
    if c.dialect() == Dialect::Postgres && !lines.is_empty() {
        // COPY, as for batch lines: a claim #1 holds every valid line of a sales report.
        let mut data = CopyData::with_capacity(lines.len() * 256);
        for l in lines {
            data.uuid(claim_id);
            data.int(l.line_no);
            match l.batch_id {
                Some(id) => data.uuid(id),
                None => data.text(None),
            }
            match l.batch_line_no {
                Some(n) => data.int(n),
                None => data.text(None),
            }
            data.text(Some(&l.status));
            data.decimal(Some(checked_decimal(
                "claimed_amount",
                l.claimed_amount,
                AMOUNT_SCALE,
            )?));
            data.decimal(opt_checked(
                "approved_amount",
                l.approved_amount,
                AMOUNT_SCALE,
            )?);
            data.json_text(&l.payload);
            data.bool(l.sale_from_batch);
            data.time(&at);
            data.end_row();
        }
        inserted = c
            .copy_in(
                &format!(
                    "COPY claim_lines ({CLAIM_LINE_INSERT_COLUMNS}) FROM STDIN WITH (FORMAT binary)"
                ),
                &[&data.into_bytes()],
            )
            .await?;
        audit::append(c, event).await?;
        return Ok(inserted);
    }
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let mut args = Vec::with_capacity(chunk.len() * COLUMNS);
        for l in chunk {
            args.extend([
                claim_id.into(),
                l.line_no.into(),
                l.batch_id.into(),
                l.batch_line_no.into(),
                l.status.as_str().into(),
                money("claimed_amount", l.claimed_amount, AMOUNT_SCALE)?,
                opt_money("approved_amount", l.approved_amount, AMOUNT_SCALE)?,
                crate::sql::json_as_text(&l.payload),
                l.sale_from_batch.into(),
                at.into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO claim_lines ({CLAIM_LINE_INSERT_COLUMNS}) VALUES {}",
            crate::sql::values_placeholders(c.dialect(), chunk.len(), COLUMNS)
        );
        inserted += c.execute(&sql, args).await?;
    }
    audit::append(c, event).await?;
    Ok(inserted)
}

/// Writes claim lines' outcomes with their audit events. The updates go to a temporary staging
/// table (`COPY` on PostgreSQL, multi-row `INSERT`s on SQLite); one `UPDATE ... FROM` writes
/// the lines that are rows, one `INSERT ... SELECT` writes whole the lines their batch lines
/// still carried ([`crate::CarriedClaimLine`], found by `batch_line`): an 849 answers every
/// line of a claim, and a statement a line was ~0.4 ms of round trips each.
pub(crate) async fn update_claim_lines(
    c: &mut dyn Exec,
    updates: &[ClaimLineUpdate],
    events: &[NewAuditEvent],
) -> StoreResult<u64> {
    if updates.is_empty() {
        audit::append_many(c, events).await?;
        return Ok(0);
    }
    match c.dialect() {
        Dialect::Postgres => {
            c.execute(
                "CREATE TEMP TABLE IF NOT EXISTS claim_line_states (claim_id UUID NOT NULL, \
                 line_no BIGINT NOT NULL, status TEXT NOT NULL, approved_amount NUMERIC(18, 2), \
                 payload TEXT NOT NULL, batch_id UUID, batch_line_no BIGINT, \
                 updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (claim_id, line_no)) \
                 ON COMMIT DELETE ROWS",
                vec![],
            )
            .await?;
            empty_staging(c, "claim_line_states").await?;
            let mut data = CopyData::with_capacity(updates.len() * 512);
            for u in updates {
                data.uuid(u.claim_id);
                data.int(u.line_no);
                data.text(Some(&u.status));
                data.decimal(opt_checked(
                    "approved_amount",
                    u.approved_amount,
                    AMOUNT_SCALE,
                )?);
                data.text(Some(&u.payload.to_string()));
                match u.batch_line {
                    Some((batch_id, line_no)) => {
                        data.uuid(batch_id);
                        data.int(line_no);
                    }
                    None => {
                        data.text(None);
                        data.text(None);
                    }
                }
                data.time(&u.at);
                data.end_row();
            }
            c.copy_in(
                "COPY claim_line_states (claim_id, line_no, status, approved_amount, payload, \
                 batch_id, batch_line_no, updated_at) FROM STDIN WITH (FORMAT binary)",
                &[&data.into_bytes()],
            )
            .await?;
        }
        Dialect::Sqlite => {
            c.execute(
                "CREATE TEMP TABLE IF NOT EXISTS claim_line_states (claim_id TEXT NOT NULL, \
                 line_no INTEGER NOT NULL, status TEXT NOT NULL, approved_amount TEXT, \
                 payload TEXT NOT NULL, batch_id TEXT, batch_line_no INTEGER, \
                 updated_at TEXT NOT NULL, PRIMARY KEY (claim_id, line_no))",
                vec![],
            )
            .await?;
            empty_staging(c, "claim_line_states").await?;
            for chunk in updates.chunks(ROWS_PER_STAGE) {
                let mut args = Vec::with_capacity(chunk.len() * 8);
                for u in chunk {
                    args.extend([
                        u.claim_id.into(),
                        u.line_no.into(),
                        u.status.as_str().into(),
                        opt_money("approved_amount", u.approved_amount, AMOUNT_SCALE)?,
                        crate::sql::json_as_text(&u.payload),
                        u.batch_line.map(|b| b.0).into(),
                        u.batch_line.map(|b| b.1).into(),
                        u.at.into(),
                    ]);
                }
                let sql = format!(
                    "INSERT INTO claim_line_states (claim_id, line_no, status, approved_amount, \
                     payload, batch_id, batch_line_no, updated_at) VALUES {}",
                    crate::sql::values_placeholders(c.dialect(), chunk.len(), 8)
                );
                c.execute(&sql, args).await?;
            }
        }
    }
    // A line written whole keeps its sale in its payload (`sale_from_batch` false).
    let updated = c
        .execute(
            "UPDATE claim_lines SET status = s.status, \
             approved_amount = COALESCE(s.approved_amount, claim_lines.approved_amount), \
             payload = s.payload, updated_at = s.updated_at, sale_from_batch = $1 \
             FROM claim_line_states AS s \
             WHERE claim_lines.claim_id = s.claim_id AND claim_lines.line_no = s.line_no",
            vec![false.into()],
        )
        .await?;
    // Still carried by their batch lines: written whole, those rows are the lines from now on.
    let carried = c
        .execute(
            &format!(
                "INSERT INTO claim_lines ({CLAIM_LINE_INSERT_COLUMNS}) \
                 SELECT k.id, bl.claim_line_no, bl.batch_id, bl.line_no, s.status, \
                 bl.claim_line_amount, s.approved_amount, s.payload, $1, s.updated_at \
                 FROM claim_line_states s JOIN claims k ON k.id = s.claim_id AND k.lines_carried \
                 JOIN batch_lines bl ON bl.batch_id = s.batch_id AND bl.line_no = s.batch_line_no \
                 AND bl.batch_id = k.batch_id AND bl.claim_line_no = s.line_no \
                 WHERE NOT EXISTS (SELECT 1 FROM claim_lines w \
                 WHERE w.claim_id = s.claim_id AND w.line_no = s.line_no)"
            ),
            vec![false.into()],
        )
        .await?;
    empty_staging(c, "claim_line_states").await?;
    if updated + carried != updates.len() as u64 {
        return Err(not_found(
            "claim line",
            format!(
                "{} of {} lines found (first {}/{})",
                updated + carried,
                updates.len(),
                updates[0].claim_id,
                updates[0].line_no
            ),
        ));
    }
    audit::append_many(c, events).await?;
    Ok(updated + carried)
}

/// The claim line columns, qualified with `cl.`, and its batch line's payload (`bl.`, see
/// [`CLAIM_LINE_BATCH_JOIN`]) when the line's sale is that line's.
pub(crate) const CLAIM_LINE_COLUMNS_CL: &str = "cl.claim_id, cl.line_no, cl.batch_id, \
     cl.batch_line_no, cl.status, cl.claimed_amount, cl.approved_amount, cl.payload, \
     CAST(CASE WHEN cl.sale_from_batch THEN 1 ELSE 0 END AS BIGINT) AS sale_from_batch, \
     bl.payload AS batch_payload, cl.updated_at";

/// Joins a claim line (`cl`) to its batch line (`bl`) when its sale is that line's, by the
/// batch line's key.
pub(crate) const CLAIM_LINE_BATCH_JOIN: &str = "LEFT JOIN batch_lines bl ON cl.sale_from_batch \
     AND bl.batch_id = cl.batch_id AND bl.line_no = cl.batch_line_no";

/// The claim lines that the batch lines (`bl`) of a carrying claim (`k`) carry, as
/// [`CLAIM_LINE_COLUMNS_CL`] gives a `claim_lines` row: unanswered, their sale the batch line's.
pub(crate) const CARRIED_CLAIM_LINE_COLUMNS: &str = "k.id AS claim_id, \
     bl.claim_line_no AS line_no, bl.batch_id, bl.line_no AS batch_line_no, 'open' AS status, \
     bl.claim_line_amount AS claimed_amount, NULL AS approved_amount, bl.claim_line AS payload, \
     CAST(1 AS BIGINT) AS sale_from_batch, bl.payload AS batch_payload, bl.updated_at";

/// The batch lines (`bl`) that still carry a line of claim `k` ([`CarriedClaimLine`]): the
/// claim carries its lines, and no `claim_lines` row has replaced the line since.
pub(crate) const CARRIED_BY_CLAIM: &str = "JOIN batch_lines bl ON bl.batch_id = k.batch_id \
     AND bl.claim_line_no IS NOT NULL \
     WHERE k.lines_carried AND NOT EXISTS (SELECT 1 FROM claim_lines w \
     WHERE w.claim_id = k.id AND w.line_no = bl.claim_line_no)";

pub(crate) fn claim_line(r: &Row) -> StoreResult<ClaimLineRecord> {
    Ok(ClaimLineRecord {
        claim_id: r.uuid("claim_id")?,
        line: NewClaimLine {
            line_no: r.int("line_no")?,
            batch_id: r.opt_uuid("batch_id")?,
            batch_line_no: r.opt_int("batch_line_no")?,
            status: r.text("status")?,
            claimed_amount: r.decimal("claimed_amount")?,
            approved_amount: r.opt_decimal("approved_amount")?,
            payload: r.json_text("payload")?,
            sale_from_batch: r.int("sale_from_batch")? == 1,
        },
        batch_payload: r.opt_json_text("batch_payload")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn claim_lines(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<ClaimLineRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {CLAIM_LINE_COLUMNS_CL} FROM claim_lines cl {CLAIM_LINE_BATCH_JOIN} \
                 WHERE cl.claim_id = $1 \
                 UNION ALL SELECT {CARRIED_CLAIM_LINE_COLUMNS} FROM claims k {CARRIED_BY_CLAIM} \
                 AND k.id = $1"
            ),
            vec![claim_id.into()],
        )
        .await?;
    // Sorted here, by number only: an ORDER BY over the union had the server sort every row
    // with its payloads (on disk at a claim #1's size, twice the time of the query).
    let mut lines = rows
        .iter()
        .map(claim_line)
        .collect::<StoreResult<Vec<_>>>()?;
    lines.sort_by_key(|l| l.line.line_no);
    Ok(lines)
}

/// One page of a claim's lines (`StoreRead::claim_lines_page`): its rows and the lines its
/// batch lines still carry, each read with `LIMIT` in line order, merged here.
pub(crate) async fn claim_lines_page(
    c: &mut dyn Exec,
    claim_id: Uuid,
    page: &LinePage,
) -> StoreResult<Vec<ClaimLineRecord>> {
    let limit = page.limit.max(1);
    let mut p = Params::default();
    let claim = p.push(claim_id);
    let after = p.push(page.after);
    let statuses = status_clause(&mut p, "cl.status", &page.statuses);
    let lim = p.push(limit);
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {CLAIM_LINE_COLUMNS_CL} FROM claim_lines cl {CLAIM_LINE_BATCH_JOIN} \
                 WHERE cl.claim_id = {claim} AND cl.line_no > {after}{statuses} \
                 ORDER BY cl.line_no LIMIT {lim}"
            ),
            p.args,
        )
        .await?;
    let mut lines = rows
        .iter()
        .map(claim_line)
        .collect::<StoreResult<Vec<_>>>()?;
    // A carried line reads as `open`. The batch is named by a subquery too: a value the
    // planner has before the scan, so the page is a range of the `batch_lines (batch_id,
    // claim_line_no)` index (migration 0022), read in order up to the LIMIT; joined through
    // the claim alone, PostgreSQL read and sorted every carried line of the batch per page.
    if page.statuses.is_empty() || page.statuses.iter().any(|s| s == "open") {
        let carried = c
            .fetch_all(
                &format!(
                    "SELECT {CARRIED_CLAIM_LINE_COLUMNS} FROM claims k {CARRIED_BY_CLAIM} \
                     AND k.id = $1 \
                     AND bl.batch_id = (SELECT c.batch_id FROM claims c WHERE c.id = $1) \
                     AND bl.claim_line_no > $2 \
                     ORDER BY bl.claim_line_no LIMIT $3"
                ),
                vec![claim_id.into(), page.after.into(), limit.into()],
            )
            .await?;
        for r in &carried {
            lines.push(claim_line(r)?);
        }
        lines.sort_by_key(|l| l.line.line_no);
        lines.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(lines)
}

/// A claim's lines counted and summed by status, in the database (carried lines as `open`).
pub(crate) async fn claim_line_totals(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<ClaimLineTotals>> {
    let d = c.dialect();
    let rows = c
        .fetch_all(
            &format!(
                "SELECT t.status, COUNT(*) AS n_lines, {}, {} FROM (\
                 SELECT cl.status, cl.claimed_amount, cl.approved_amount FROM claim_lines cl \
                 WHERE cl.claim_id = $1 \
                 UNION ALL SELECT 'open', bl.claim_line_amount, NULL \
                 FROM claims k {CARRIED_BY_CLAIM} AND k.id = $1) t \
                 GROUP BY t.status ORDER BY t.status",
                amount_sum(d, "t.claimed_amount", "claimed_amount"),
                amount_sum(d, "t.approved_amount", "approved_amount"),
            ),
            vec![claim_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ClaimLineTotals {
                status: r.text("status")?,
                lines: r.int("n_lines")?,
                claimed_amount: read_amount_sum(r, d, "claimed_amount")?,
                approved_amount: read_amount_sum(r, d, "approved_amount")?,
            })
        })
        .collect()
}

// ---- responses ------------------------------------------------------------------------------

const RESPONSE_COLUMNS: &str = "id, partner, direction, isa13, gs06, st02, debit_memo, claim_id, \
     match_status, total_claimed, total_approved, document_id, payload, received_at, updated_at";

fn response(r: &Row) -> StoreResult<ResponseRecord> {
    Ok(ResponseRecord {
        response: NewResponse {
            id: r.uuid("id")?,
            partner: r.text("partner")?,
            direction: crate::model::Direction::parse("direction", &r.text("direction")?)?,
            isa13: r.opt_text("isa13")?,
            gs06: r.opt_text("gs06")?,
            st02: r.opt_text("st02")?,
            debit_memo: r.opt_text("debit_memo")?,
            claim_id: r.opt_uuid("claim_id")?,
            match_status: MatchStatus::parse("match_status", &r.text("match_status")?)?,
            total_claimed: r.opt_decimal("total_claimed")?,
            total_approved: r.opt_decimal("total_approved")?,
            document_id: r.opt_uuid("document_id")?,
            payload: r.json("payload")?,
            at: r.time("received_at")?,
        },
        updated_at: r.time("updated_at")?,
    })
}

/// Stores an 849; `false` (and nothing written) when one with the same partner, direction and
/// control numbers is already stored.
pub(crate) async fn insert_response(
    c: &mut dyn Exec,
    x: &NewResponse,
    event: &NewAuditEvent,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO responses (id, partner, direction, isa13, gs06, st02, debit_memo, \
             claim_id, match_status, total_claimed, total_approved, document_id, payload, \
             received_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
             ON CONFLICT (partner, direction, isa13, gs06, st02) DO NOTHING",
            vec![
                x.id.into(),
                x.partner.as_str().into(),
                x.direction.as_str().into(),
                (&x.isa13).into(),
                (&x.gs06).into(),
                (&x.st02).into(),
                (&x.debit_memo).into(),
                x.claim_id.into(),
                x.match_status.as_str().into(),
                opt_money("total_claimed", x.total_claimed, AMOUNT_SCALE)?,
                opt_money("total_approved", x.total_approved, AMOUNT_SCALE)?,
                x.document_id.into(),
                crate::sql::json_as_text(&x.payload),
                x.at.into(),
            ],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    audit::append(c, event).await?;
    Ok(true)
}

pub(crate) async fn link_response(
    c: &mut dyn Exec,
    id: Uuid,
    claim_id: Option<Uuid>,
    status: MatchStatus,
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    let n = c
        .execute(
            // Only an unmatched response is linked: two links of the same 849 cannot both
            // apply it.
            "UPDATE responses SET claim_id = $2, match_status = $3, updated_at = $4 \
             WHERE id = $1 AND match_status = 'unmatched'",
            vec![
                id.into(),
                claim_id.into(),
                status.as_str().into(),
                at.into(),
            ],
        )
        .await?;
    if n == 0 {
        return Err(not_found("unmatched response", id));
    }
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn get_response(
    c: &mut dyn Exec,
    id: Uuid,
) -> StoreResult<Option<ResponseRecord>> {
    c.fetch_optional(
        &format!("SELECT {RESPONSE_COLUMNS} FROM responses WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| response(&r))
    .transpose()
}

/// The Unmatched Responses queue (chargeback-rules 7.6): unmatched and partially matched 849s,
/// oldest first.
pub(crate) async fn unmatched_responses(
    c: &mut dyn Exec,
    partner: Option<&str>,
) -> StoreResult<Vec<ResponseRecord>> {
    let mut p = Params::default();
    let matched = p.push(MatchStatus::Matched.as_str());
    let mut sql =
        format!("SELECT {RESPONSE_COLUMNS} FROM responses WHERE match_status <> {matched}");
    if let Some(partner) = partner {
        sql += &format!(" AND partner = {}", p.push(partner));
    }
    sql += " ORDER BY received_at, id";
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(response).collect()
}

/// `AND (time, id) < (the time and id of row `after`)`: the rows after it in a list read
/// newest first by (`time`, `id`), the row read by id whether or not it is still listed.
fn after_clause(p: &mut Params, table: &str, time: &str, after: Option<Uuid>) -> String {
    match after {
        None => String::new(),
        Some(after) => format!(
            " AND ({time}, id) < (SELECT a.{time}, a.id FROM {table} a WHERE a.id = {})",
            p.push(after)
        ),
    }
}

/// One page of the Unmatched Responses queue, newest received first.
pub(crate) async fn unmatched_responses_page(
    c: &mut dyn Exec,
    partner: Option<&str>,
    page: &ListPage,
) -> StoreResult<Vec<ResponseRecord>> {
    let mut p = Params::default();
    let matched = p.push(MatchStatus::Matched.as_str());
    let mut sql =
        format!("SELECT {RESPONSE_COLUMNS} FROM responses WHERE match_status <> {matched}");
    if let Some(partner) = partner {
        sql += &format!(" AND partner = {}", p.push(partner));
    }
    sql += &after_clause(&mut p, "responses", "received_at", page.after);
    let limit = p.push(page.limit.max(1));
    sql += &format!(" ORDER BY received_at DESC, id DESC LIMIT {limit}");
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(response).collect()
}

pub(crate) async fn responses_for_claim(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<ResponseRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE claim_id = $1 \
                 ORDER BY received_at, id"
            ),
            vec![claim_id.into()],
        )
        .await?;
    rows.iter().map(response).collect()
}

// ---- caps -----------------------------------------------------------------------------------

const CAP_COLUMNS: &str =
    "cap_key, contract_id, item, customer, quantity_limit, amount_limit, payload, updated_at";

fn cap(r: &Row) -> StoreResult<CapRecord> {
    Ok(CapRecord {
        cap_key: r.text("cap_key")?,
        contract_id: r.opt_uuid("contract_id")?,
        item: r.opt_text("item")?,
        customer: r.opt_text("customer")?,
        quantity_limit: r.opt_decimal("quantity_limit")?,
        amount_limit: r.opt_decimal("amount_limit")?,
        payload: r.json("payload")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn upsert_cap(
    c: &mut dyn Exec,
    k: &CapRecord,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO caps (cap_key, contract_id, item, customer, quantity_limit, amount_limit, \
         payload, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (cap_key) DO UPDATE SET contract_id = excluded.contract_id, \
         item = excluded.item, customer = excluded.customer, \
         quantity_limit = excluded.quantity_limit, amount_limit = excluded.amount_limit, \
         payload = excluded.payload, updated_at = excluded.updated_at",
        vec![
            k.cap_key.as_str().into(),
            k.contract_id.into(),
            (&k.item).into(),
            (&k.customer).into(),
            opt_money("quantity_limit", k.quantity_limit, PRICE_SCALE)?,
            opt_money("amount_limit", k.amount_limit, AMOUNT_SCALE)?,
            (&k.payload).into(),
            k.updated_at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

/// Reads caps and, on PostgreSQL, locks their rows until the transaction ends, in key order
/// so two claim creations never deadlock. SQLite's write transactions are already exclusive.
pub(crate) async fn lock_caps(c: &mut dyn Exec, keys: &[String]) -> StoreResult<Vec<CapRecord>> {
    // Keys per statement: far under PostgreSQL's 65,535 bind parameters (a book can have more
    // caps in force than that).
    const KEYS_PER_STATEMENT: usize = 10_000;
    // Every transaction takes its caps in one total order, however many statements it needs:
    // bytewise (`str`'s order, `COLLATE "C"`; a locale's collation could disagree with the
    // order the keys are split in), so two transactions never wait on each other's caps.
    let mut sorted: Vec<&str> = keys.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let (order, lock) = match c.dialect() {
        Dialect::Postgres => (" COLLATE \"C\"", " FOR UPDATE"),
        Dialect::Sqlite => ("", ""),
    };
    let mut out = Vec::new();
    for chunk in sorted.chunks(KEYS_PER_STATEMENT) {
        let mut p = Params::default();
        let list = p.list(chunk);
        let rows = c
            .fetch_all(
                &format!(
                    "SELECT {CAP_COLUMNS} FROM caps WHERE cap_key IN ({list}) \
                     ORDER BY cap_key{order}{lock}"
                ),
                p.args,
            )
            .await?;
        for row in &rows {
            out.push(cap(row)?);
        }
    }
    Ok(out)
}

pub(crate) async fn append_cap_entries(
    c: &mut dyn Exec,
    entries: &[NewCapEntry],
) -> StoreResult<()> {
    const COLUMNS: usize = 8;
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut args = Vec::with_capacity(chunk.len() * COLUMNS);
        for e in chunk {
            args.extend([
                e.cap_key.as_str().into(),
                e.batch_id.into(),
                e.line_no.into(),
                (&e.line_ref).into(),
                e.kind.as_str().into(),
                money("quantity", e.quantity, PRICE_SCALE)?,
                money("amount", e.amount, AMOUNT_SCALE)?,
                e.at.into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO cap_ledger (cap_key, batch_id, line_no, line_ref, kind, quantity, amount, \
             at) VALUES {}",
            crate::sql::values_placeholders(c.dialect(), chunk.len(), COLUMNS)
        );
        c.execute(&sql, args).await?;
    }
    Ok(())
}

pub(crate) async fn cap_entries(
    c: &mut dyn Exec,
    keys: &[String],
) -> StoreResult<Vec<CapEntryRecord>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let matching = rows_with_keys(c.dialect(), ("cap_ledger", "cap_key"), "$1");
    let rows = c
        .fetch_all(
            &format!(
                "WITH e AS MATERIALIZED ({matching}) \
                 SELECT id, cap_key, batch_id, line_no, line_ref, kind, quantity, amount, at \
                 FROM e ORDER BY id"
            ),
            vec![Arg::TextList(keys.to_vec())],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CapEntryRecord {
                id: r.int("id")?,
                entry: NewCapEntry {
                    cap_key: r.text("cap_key")?,
                    batch_id: r.opt_uuid("batch_id")?,
                    line_no: r.opt_int("line_no")?,
                    line_ref: r.opt_text("line_ref")?,
                    kind: CapEntryKind::parse("kind", &r.text("kind")?)?,
                    quantity: r.decimal("quantity")?,
                    amount: r.decimal("amount")?,
                    at: r.time("at")?,
                },
            })
        })
        .collect()
}

// ---- settlements ----------------------------------------------------------------------------

pub(crate) async fn insert_settlement(
    c: &mut dyn Exec,
    s: &NewSettlement,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO settlements (id, partner, kind, number, amount, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            s.id.into(),
            s.partner.as_str().into(),
            s.kind.as_str().into(),
            s.number.as_str().into(),
            money("amount", s.amount, AMOUNT_SCALE)?,
            (&s.payload).into(),
            s.at.into(),
        ],
    )
    .await?;
    for (claim_id, amount) in &s.allocations {
        c.execute(
            "INSERT INTO settlement_allocations (settlement_id, claim_id, amount) \
             VALUES ($1, $2, $3)",
            vec![
                s.id.into(),
                (*claim_id).into(),
                money("allocation amount", *amount, AMOUNT_SCALE)?,
            ],
        )
        .await?;
    }
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn settlements_for_claim(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<SettlementRecord>> {
    let rows = c
        .fetch_all(
            "SELECT s.id, s.partner, s.kind, s.number, s.amount, s.payload, s.created_at \
             FROM settlements s WHERE EXISTS (SELECT 1 FROM settlement_allocations a \
             WHERE a.settlement_id = s.id AND a.claim_id = $1) ORDER BY s.created_at, s.id",
            vec![claim_id.into()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r.uuid("id")?;
        let allocations = c
            .fetch_all(
                "SELECT claim_id, amount FROM settlement_allocations WHERE settlement_id = $1 \
                 ORDER BY claim_id",
                vec![id.into()],
            )
            .await?
            .iter()
            .map(|a| Ok((a.uuid("claim_id")?, a.decimal("amount")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        out.push(SettlementRecord {
            id,
            partner: r.text("partner")?,
            kind: r.text("kind")?,
            number: r.text("number")?,
            amount: r.decimal("amount")?,
            allocations,
            payload: r.json("payload")?,
            at: r.time("created_at")?,
        });
    }
    Ok(out)
}

// ---- dispute cases --------------------------------------------------------------------------

const DISPUTE_COLUMNS: &str =
    "id, partner, claim_id, status, amount, version, payload, created_at, updated_at";

fn dispute(r: &Row) -> StoreResult<DisputeRecord> {
    Ok(DisputeRecord {
        id: r.uuid("id")?,
        partner: r.text("partner")?,
        claim_id: r.opt_uuid("claim_id")?,
        status: r.text("status")?,
        amount: r.decimal("amount")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert_dispute(
    c: &mut dyn Exec,
    d: &NewDispute,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO dispute_cases (id, partner, claim_id, status, amount, version, payload, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
        vec![
            d.id.into(),
            d.partner.as_str().into(),
            d.claim_id.into(),
            d.status.as_str().into(),
            money("amount", d.amount, AMOUNT_SCALE)?,
            (&d.payload).into(),
            d.at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn update_dispute(
    c: &mut dyn Exec,
    u: &EntityUpdate,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    update_versioned(c, Versioned::Dispute, u, event).await
}

pub(crate) async fn get_dispute(c: &mut dyn Exec, id: Uuid) -> StoreResult<Option<DisputeRecord>> {
    c.fetch_optional(
        &format!("SELECT {DISPUTE_COLUMNS} FROM dispute_cases WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| dispute(&r))
    .transpose()
}

/// Dispute cases in any of `statuses`, oldest first (the clock's D6 pass).
pub(crate) async fn disputes_with_status(
    c: &mut dyn Exec,
    statuses: &[String],
) -> StoreResult<Vec<DisputeRecord>> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let list: Vec<String> = statuses.iter().map(|s| p.push(s.as_str())).collect();
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {DISPUTE_COLUMNS} FROM dispute_cases WHERE status IN ({}) \
                 ORDER BY created_at, id",
                list.join(", ")
            ),
            p.args,
        )
        .await?;
    rows.iter().map(dispute).collect()
}

/// One page of the dispute cases in any of `statuses`, of `partner` when given, newest first.
pub(crate) async fn list_disputes(
    c: &mut dyn Exec,
    statuses: &[String],
    partner: Option<&str>,
    page: &ListPage,
) -> StoreResult<Vec<DisputeRecord>> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let mut sql = format!(
        "SELECT {DISPUTE_COLUMNS} FROM dispute_cases WHERE status IN ({})",
        p.list(statuses)
    );
    if let Some(partner) = partner {
        sql += &format!(" AND partner = {}", p.push(partner));
    }
    sql += &after_clause(&mut p, "dispute_cases", "created_at", page.after);
    let limit = p.push(page.limit.max(1));
    sql += &format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}");
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(dispute).collect()
}

pub(crate) async fn disputes_for_claim(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<DisputeRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {DISPUTE_COLUMNS} FROM dispute_cases WHERE claim_id = $1 \
                 ORDER BY created_at, id"
            ),
            vec![claim_id.into()],
        )
        .await?;
    rows.iter().map(dispute).collect()
}
