//! Pipeline transactions and inbound idempotency records.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Params, audit};
use crate::error::{StoreError, StoreResult};
use crate::model::{
    As2Seen, Direction, InboundFile, InterchangeRecord, NewAuditEvent, NewTransaction, RefKind,
    Step, TransactionDismissal, TransactionFilter, TransactionRecord, TransactionRef,
    TransactionUpdate, TxState,
};
use crate::sql::{Arg, Dialect, Exec, Row};

const TX_COLUMNS: &str = "t.id, t.partner, t.direction, t.step, t.state, t.error, t.raw_sha256, \
     t.parent_id, t.doc_type, t.isa13, t.gs06, t.st02, t.debit_memo, t.attempts, t.created_at, \
     t.updated_at";

/// Default and maximum page size of [`list`].
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 10_000;

fn from_row(r: &Row) -> StoreResult<TransactionRecord> {
    Ok(TransactionRecord {
        id: r.uuid("id")?,
        partner: r.text("partner")?,
        direction: Direction::parse("direction", &r.text("direction")?)?,
        step: Step::parse("step", &r.text("step")?)?,
        state: TxState::parse("state", &r.text("state")?)?,
        error: r.opt_text("error")?,
        raw_sha256: r.opt_text("raw_sha256")?,
        parent_id: r.opt_uuid("parent_id")?,
        doc_type: r.opt_text("doc_type")?,
        isa13: r.opt_text("isa13")?,
        gs06: r.opt_text("gs06")?,
        st02: r.opt_text("st02")?,
        debit_memo: r.opt_text("debit_memo")?,
        attempts: r.int("attempts")?,
        refs: Vec::new(),
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn status(step: Step, state: TxState) -> String {
    format!("{step}:{state}")
}

pub(crate) async fn insert(c: &mut dyn Exec, t: &NewTransaction) -> StoreResult<()> {
    let attempts = i64::from(t.state == TxState::Processing);
    c.execute(
        "INSERT INTO transactions (id, partner, direction, step, state, raw_sha256, parent_id, \
         doc_type, isa13, gs06, st02, debit_memo, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
        vec![
            t.id.into(),
            t.partner.as_str().into(),
            t.direction.as_str().into(),
            t.step.as_str().into(),
            t.state.as_str().into(),
            (&t.raw_sha256).into(),
            t.parent_id.into(),
            (&t.doc_type).into(),
            (&t.isa13).into(),
            (&t.gs06).into(),
            (&t.st02).into(),
            (&t.debit_memo).into(),
            attempts.into(),
            t.at.into(),
        ],
    )
    .await?;
    add_refs(c, t.id, &t.refs).await?;
    let mut event = NewAuditEvent::new("system", "transaction", t.id.to_string(), "created", t.at)
        .transition(None, &status(t.step, t.state));
    event.correlation_id = t.raw_sha256.clone();
    audit::append(c, &event).await?;
    Ok(())
}

/// The clause that locks the rows a `SELECT` reads until the end of the transaction
/// (PostgreSQL; SQLite's writer holds the whole database already).
fn row_lock(c: &dyn Exec) -> &'static str {
    match c.dialect() {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    }
}

/// `NotFound` for transaction `id`.
fn no_transaction(id: Uuid) -> StoreError {
    StoreError::NotFound {
        entity: "transaction",
        id: id.to_string(),
    }
}

/// The step and state of transaction `id`, its row locked ([`row_lock`]); `NotFound` when
/// there is none.
async fn locked_step_state(c: &mut dyn Exec, id: Uuid) -> StoreResult<(String, String)> {
    let lock = row_lock(c);
    let row = c
        .fetch_optional(
            &format!("SELECT step, state FROM transactions WHERE id = $1{lock}"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| no_transaction(id))?;
    Ok((row.text("step")?, row.text("state")?))
}

pub(crate) async fn update(c: &mut dyn Exec, u: &TransactionUpdate) -> StoreResult<()> {
    let (step, state) = locked_step_state(c, u.id).await?;
    let from = format!("{step}:{state}");
    let attempt = i64::from(u.state == TxState::Processing);
    c.execute(
        "UPDATE transactions SET step = $2, state = $3, \
         error = CASE WHEN $12 THEN NULL ELSE COALESCE($4, error) END, \
         doc_type = COALESCE($5, doc_type), isa13 = COALESCE($6, isa13), \
         gs06 = COALESCE($7, gs06), st02 = COALESCE($8, st02), \
         debit_memo = COALESCE($9, debit_memo), attempts = attempts + $10, updated_at = $11 \
         WHERE id = $1",
        vec![
            u.id.into(),
            u.step.as_str().into(),
            u.state.as_str().into(),
            (&u.error).into(),
            (&u.doc_type).into(),
            (&u.isa13).into(),
            (&u.gs06).into(),
            (&u.st02).into(),
            (&u.debit_memo).into(),
            attempt.into(),
            u.at.into(),
            u.clear_error.into(),
        ],
    )
    .await?;
    let mut event = NewAuditEvent::new(
        u.actor.as_str(),
        "transaction",
        u.id.to_string(),
        u.step.as_str(),
        u.at,
    )
    .transition(Some(&from), &status(u.step, u.state));
    event.reason = u.error.clone();
    event.correlation_id = u.correlation_id.clone();
    audit::append(c, &event).await?;
    Ok(())
}

/// Which way ops move a transaction off or back onto the failed queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aside {
    /// Failed -> dismissed: set aside (its partner resent a corrected file).
    Dismiss,
    /// Dismissed -> failed: a dismissal undone (dismissed by mistake), replayable again.
    Restore,
}

impl Aside {
    fn from(self) -> TxState {
        match self {
            Aside::Dismiss => TxState::Failed,
            Aside::Restore => TxState::Dismissed,
        }
    }

    fn to(self) -> TxState {
        match self {
            Aside::Dismiss => TxState::Dismissed,
            Aside::Restore => TxState::Failed,
        }
    }

    /// The audit event's name.
    fn event(self) -> &'static str {
        match self {
            Aside::Dismiss => "dismissed",
            Aside::Restore => "restored",
        }
    }

    /// The comment on the event of a set moved with its file.
    fn with_file(self, file: Uuid) -> String {
        format!("{} with its file {file}", self.event())
    }

    fn wrong_state(self, id: Uuid, state: TxState) -> StoreError {
        match self {
            Aside::Dismiss => StoreError::NotFailed { id, state },
            Aside::Restore => StoreError::NotDismissed { id, state },
        }
    }
}

/// Dismisses a failed transaction, or restores a dismissed one to the failed queue: its
/// state changes, its error is kept, one audit event (`dismissed` or `restored`,
/// `step:failed` <-> `step:dismissed`) with the actor and the reason. A file's sets go with
/// it: dismissing takes its failed sets, restoring brings back those dismissed with it (not
/// one ops dismissed on its own).
pub(crate) async fn set_aside(
    c: &mut dyn Exec,
    d: &TransactionDismissal,
    way: Aside,
) -> StoreResult<TransactionRecord> {
    let (step, state) = locked_step_state(c, d.id).await?;
    let state = TxState::parse("state", &state)?;
    if state != way.from() {
        return Err(way.wrong_state(d.id, state));
    }
    let n = c
        .execute(
            "UPDATE transactions SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4",
            vec![
                d.id.into(),
                way.to().as_str().into(),
                d.at.into(),
                way.from().as_str().into(),
            ],
        )
        .await?;
    if n != 1 {
        // Not reachable under the row lock (PostgreSQL) or the write lock (SQLite); read again
        // rather than report a change that did not happen.
        let now = get(c, d.id).await?.ok_or_else(|| no_transaction(d.id))?;
        return Err(way.wrong_state(d.id, now.state));
    }
    aside_event(c, d, d.id, &step, way, None).await?;
    let lock = row_lock(c);
    // A file's sets (its children the other way round, the acknowledgments we send it, are
    // not): a file superseded by a corrected one leaves nothing of it on the failed queue.
    let children = c
        .fetch_all(
            &format!(
                "SELECT id, step FROM transactions WHERE parent_id = $1 AND state = $2 \
                 AND direction = (SELECT direction FROM transactions WHERE id = $1) \
                 ORDER BY created_at, id{lock}"
            ),
            vec![d.id.into(), way.from().as_str().into()],
        )
        .await?;
    for child in children {
        let id = child.uuid("id")?;
        if way == Aside::Restore && !dismissed_with(c, id, d.id).await? {
            continue;
        }
        c.execute(
            "UPDATE transactions SET state = $2, updated_at = $3 WHERE id = $1",
            vec![id.into(), way.to().as_str().into(), d.at.into()],
        )
        .await?;
        aside_event(c, d, id, &child.text("step")?, way, Some(d.id)).await?;
    }
    get(c, d.id).await?.ok_or_else(|| no_transaction(d.id))
}

/// Whether set `id` was last dismissed together with its file `file` (its latest dismissal
/// event says so).
async fn dismissed_with(c: &mut dyn Exec, id: Uuid, file: Uuid) -> StoreResult<bool> {
    let trail = super::audit::for_entity(c, "transaction", &id.to_string()).await?;
    let last = trail
        .iter()
        .rev()
        .find(|e| e.event.event == Aside::Dismiss.event());
    let with = Aside::Dismiss.with_file(file);
    Ok(last.is_some_and(|e| e.event.comment.as_deref() == Some(with.as_str())))
}

/// The audit event of moving `id` (`d.id`, or one of its sets: `with` names its file).
async fn aside_event(
    c: &mut dyn Exec,
    d: &TransactionDismissal,
    id: Uuid,
    step: &str,
    way: Aside,
    with: Option<Uuid>,
) -> StoreResult<()> {
    let mut event = NewAuditEvent::new(
        d.actor.as_str(),
        "transaction",
        id.to_string(),
        way.event(),
        d.at,
    )
    .transition(
        Some(&format!("{step}:{}", way.from())),
        &format!("{step}:{}", way.to()),
    )
    .reason(d.reason.as_str());
    event.comment = with.map(|file| way.with_file(file));
    audit::append(c, &event).await?;
    Ok(())
}

pub(crate) async fn add_refs(
    c: &mut dyn Exec,
    id: Uuid,
    refs: &[TransactionRef],
) -> StoreResult<()> {
    if refs.is_empty() {
        return Ok(());
    }
    let mut p = Params::default();
    let values = refs
        .iter()
        .map(|r| {
            format!(
                "({}, {}, {})",
                p.push(id),
                p.push(r.kind.as_str()),
                p.push(r.value.as_str())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    c.execute(
        &format!(
            "INSERT INTO transaction_refs (tx_id, kind, value) VALUES {values} \
             ON CONFLICT DO NOTHING"
        ),
        p.args,
    )
    .await?;
    Ok(())
}

/// Fills `refs` of each record with one query.
async fn load_refs(c: &mut dyn Exec, records: &mut [TransactionRecord]) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut p = Params::default();
    let list = p.list(&ids);
    let rows = c
        .fetch_all(
            &format!(
                "SELECT tx_id, kind, value FROM transaction_refs WHERE tx_id IN ({list}) \
                 ORDER BY tx_id, kind, value"
            ),
            p.args,
        )
        .await?;
    let mut by_id: HashMap<Uuid, Vec<TransactionRef>> = HashMap::new();
    for r in rows {
        by_id
            .entry(r.uuid("tx_id")?)
            .or_default()
            .push(TransactionRef {
                kind: RefKind::parse("kind", &r.text("kind")?)?,
                value: r.text("value")?,
            });
    }
    for rec in records {
        rec.refs = by_id.remove(&rec.id).unwrap_or_default();
    }
    Ok(())
}

pub(crate) async fn get(c: &mut dyn Exec, id: Uuid) -> StoreResult<Option<TransactionRecord>> {
    let row = c
        .fetch_optional(
            &format!("SELECT {TX_COLUMNS} FROM transactions t WHERE t.id = $1"),
            vec![id.into()],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut recs = vec![from_row(&row)?];
    load_refs(c, &mut recs).await?;
    Ok(recs.pop())
}

pub(crate) async fn list(
    c: &mut dyn Exec,
    f: &TransactionFilter,
) -> StoreResult<Vec<TransactionRecord>> {
    let mut p = Params::default();
    let mut sql = format!("SELECT {TX_COLUMNS} FROM transactions t WHERE 1 = 1");
    if let Some(partner) = &f.partner {
        sql += &format!(" AND t.partner = {}", p.push(partner.as_str()));
    }
    let state = if f.failed_only {
        Some(TxState::Failed)
    } else {
        f.state
    };
    if let Some(state) = state {
        sql += &format!(" AND t.state = {}", p.push(state.as_str()));
    }
    if let Some(direction) = f.direction {
        sql += &format!(" AND t.direction = {}", p.push(direction.as_str()));
    }
    if let Some(step) = f.step {
        sql += &format!(" AND t.step = {}", p.push(step.as_str()));
    }
    if let Some(doc_type) = &f.doc_type {
        sql += &format!(" AND t.doc_type = {}", p.push(doc_type.as_str()));
    }
    if let Some(sha) = &f.raw_sha256 {
        sql += &format!(" AND t.raw_sha256 = {}", p.push(sha.as_str()));
    }
    if f.files_only {
        sql += " AND t.parent_id IS NULL";
    }
    if let Some(since) = f.stuck_since {
        let (received, processing) = (
            p.push(TxState::Received.as_str()),
            p.push(TxState::Processing.as_str()),
        );
        sql += &format!(
            " AND t.state IN ({received}, {processing}) AND t.updated_at < {}",
            p.push(since)
        );
    }
    if let Some(cn) = &f.control_number {
        let forms = p.list(&control_number_forms(cn));
        sql +=
            &format!(" AND (t.isa13 IN ({forms}) OR t.gs06 IN ({forms}) OR t.st02 IN ({forms}))");
    }
    if let Some(memo) = &f.debit_memo {
        let n = p.push(memo.as_str());
        let kind = p.push(RefKind::DebitMemo.as_str());
        sql += &format!(
            " AND (t.debit_memo = {n} OR EXISTS (SELECT 1 FROM transaction_refs r \
             WHERE r.tx_id = t.id AND r.kind = {kind} AND r.value = {n}))"
        );
    }
    if let Some(invoice) = &f.invoice {
        let n = p.push(invoice.as_str());
        let kind = p.push(RefKind::Invoice.as_str());
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM transaction_refs r \
             WHERE r.tx_id = t.id AND r.kind = {kind} AND r.value = {n})"
        );
    }
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(0, MAX_LIMIT);
    let offset = f.offset.unwrap_or(0).max(0);
    sql += &format!(
        " ORDER BY t.created_at DESC, t.id DESC LIMIT {} OFFSET {}",
        p.push(limit),
        p.push(offset)
    );
    let rows = c.fetch_all(&sql, p.args).await?;
    let mut recs = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    load_refs(c, &mut recs).await?;
    Ok(recs)
}

/// The ways a control number is written: a numeric one with any zero padding up to ISA13's
/// nine digits (`5002` finds GS06 `5002`, ISA13 `000005002` and ST02 `05002`, as does
/// `000005002`), any other as given. A list of exact values keeps the columns' indexes in use.
fn control_number_forms(cn: &str) -> Vec<String> {
    let cn = cn.trim();
    let bare = match cn.trim_start_matches('0') {
        "" => "0",
        bare => bare,
    };
    if cn.is_empty() || bare.len() > 9 || !cn.bytes().all(|b| b.is_ascii_digit()) {
        return vec![cn.to_owned()];
    }
    (bare.len()..=9).map(|w| format!("{bare:0>w$}")).collect()
}

pub(crate) async fn children(
    c: &mut dyn Exec,
    parent: Uuid,
) -> StoreResult<Vec<TransactionRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {TX_COLUMNS} FROM transactions t WHERE t.parent_id = $1 \
                 ORDER BY t.created_at, t.id"
            ),
            vec![parent.into()],
        )
        .await?;
    let mut recs = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    load_refs(c, &mut recs).await?;
    Ok(recs)
}

pub(crate) async fn record_inbound_file(c: &mut dyn Exec, f: &InboundFile) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO inbound_files (partner, sha256, file_name, size, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            vec![
                f.partner.as_str().into(),
                f.sha256.as_str().into(),
                (&f.file_name).into(),
                f.size.into(),
                f.received_at.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

pub(crate) async fn record_interchange(
    c: &mut dyn Exec,
    i: &InterchangeRecord,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO interchanges (partner, isa13, sha256, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            vec![
                i.partner.as_str().into(),
                i.isa13.as_str().into(),
                (&i.sha256).into(),
                i.received_at.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

pub(crate) async fn find_interchange(
    c: &mut dyn Exec,
    partner: &str,
    isa13: &str,
) -> StoreResult<Option<InterchangeRecord>> {
    let row = c
        .fetch_optional(
            "SELECT partner, isa13, sha256, received_at FROM interchanges \
             WHERE partner = $1 AND isa13 = $2",
            vec![Arg::from(partner), Arg::from(isa13)],
        )
        .await?;
    row.map(|r| {
        Ok(InterchangeRecord {
            partner: r.text("partner")?,
            isa13: r.text("isa13")?,
            sha256: r.opt_text("sha256")?,
            received_at: r.time("received_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn record_as2_message(
    c: &mut dyn Exec,
    partner: &str,
    message_id: &str,
    sha256: &str,
    at: DateTime<Utc>,
) -> StoreResult<As2Seen> {
    let n = c
        .execute(
            "INSERT INTO as2_messages (partner, message_id, received_at, sha256) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            vec![partner.into(), message_id.into(), at.into(), sha256.into()],
        )
        .await?;
    if n == 1 {
        return Ok(As2Seen::New);
    }
    // Not inserted: the row exists (committed; a concurrent insert of the same key waits for
    // the other transaction and then does nothing), so this reads it.
    let row = c
        .fetch_optional(
            "SELECT sha256 FROM as2_messages WHERE partner = $1 AND message_id = $2",
            vec![Arg::from(partner), Arg::from(message_id)],
        )
        .await?;
    Ok(As2Seen::Before {
        sha256: row.map(|r| r.opt_text("sha256")).transpose()?.flatten(),
    })
}
