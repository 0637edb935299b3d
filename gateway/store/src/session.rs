//! The handle behind `Box<dyn StoreTx>` and `Box<dyn StoreRead>`: one connection of either
//! backend, inside a transaction or not, with the queries bound to it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite, Transaction};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::model::*;
use crate::queries::{
    as2, audit, control, engine, outbox, pipeline, reference_prices, retro, rosters, transmission,
};
use crate::sql::Exec;
use crate::{StoreRead, StoreTx};

pub(crate) enum Session {
    PgTx(Transaction<'static, Postgres>),
    SqliteTx(Transaction<'static, Sqlite>),
    PgConn(PoolConnection<Postgres>),
    SqliteConn(PoolConnection<Sqlite>),
}

/// `name` when it can stand in SQL as an identifier (savepoint names cannot be bound).
fn savepoint_name(name: &str) -> StoreResult<&str> {
    let plain = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if plain {
        Ok(name)
    } else {
        Err(crate::error::StoreError::Database(sqlx::Error::Protocol(
            format!("savepoint name {name:?} is not a plain identifier"),
        )))
    }
}

impl Session {
    fn conn(&mut self) -> &mut dyn Exec {
        match self {
            Session::PgTx(t) => &mut **t,
            Session::SqliteTx(t) => &mut **t,
            Session::PgConn(c) => &mut **c,
            Session::SqliteConn(c) => &mut **c,
        }
    }
}

#[async_trait]
impl StoreRead for Session {
    async fn get_transaction(&mut self, id: Uuid) -> StoreResult<Option<TransactionRecord>> {
        pipeline::get(self.conn(), id).await
    }

    async fn list_transactions(
        &mut self,
        filter: &TransactionFilter,
    ) -> StoreResult<Vec<TransactionRecord>> {
        pipeline::list(self.conn(), filter).await
    }

    async fn child_transactions(&mut self, parent: Uuid) -> StoreResult<Vec<TransactionRecord>> {
        pipeline::children(self.conn(), parent).await
    }

    async fn find_interchange(
        &mut self,
        partner: &str,
        isa13: &str,
    ) -> StoreResult<Option<InterchangeRecord>> {
        pipeline::find_interchange(self.conn(), partner, isa13).await
    }

    async fn get_document(&mut self, id: Uuid) -> StoreResult<Option<DocumentRecord>> {
        outbox::get_document(self.conn(), id).await
    }

    async fn find_document(
        &mut self,
        idempotency_key: &str,
    ) -> StoreResult<Option<DocumentRecord>> {
        outbox::find_document(self.conn(), idempotency_key).await
    }

    async fn pending_outbox(&mut self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
        outbox::pending(self.conn(), limit).await
    }

    async fn is_processed(&mut self, consumer: &str, message_id: &str) -> StoreResult<bool> {
        outbox::is_processed(self.conn(), consumer, message_id).await
    }

    async fn get_as2_outbound(
        &mut self,
        message_id: &str,
    ) -> StoreResult<Option<As2OutboundRecord>> {
        as2::get(self.conn(), message_id).await
    }

    async fn as2_awaiting_mdn(
        &mut self,
        sent_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<As2OutboundRecord>> {
        as2::awaiting_mdn(self.conn(), sent_before, limit).await
    }

    async fn get_contract(&mut self, id: Uuid) -> StoreResult<Option<ContractRecord>> {
        engine::get_contract(self.conn(), id).await
    }

    async fn find_contract(
        &mut self,
        partner: &str,
        supplier: &str,
        contract_number: &str,
    ) -> StoreResult<Option<ContractRecord>> {
        engine::find_contract(self.conn(), partner, supplier, contract_number).await
    }

    async fn contract_versions(&mut self, contract_id: Uuid) -> StoreResult<Vec<ContractVersion>> {
        engine::contract_versions(self.conn(), contract_id).await
    }

    async fn all_contract_versions(&mut self) -> StoreResult<Vec<ContractVersion>> {
        engine::all_contract_versions(self.conn()).await
    }

    async fn contract_version_count(&mut self) -> StoreResult<i64> {
        engine::contract_version_count(self.conn()).await
    }

    async fn list_batches(&mut self, filter: &EntityFilter) -> StoreResult<Vec<BatchRecord>> {
        engine::list_batches(self.conn(), filter).await
    }

    async fn list_claims(&mut self, filter: &EntityFilter) -> StoreResult<Vec<ClaimRecord>> {
        engine::list_claims(self.conn(), filter).await
    }

    async fn get_batch(&mut self, id: Uuid) -> StoreResult<Option<BatchRecord>> {
        engine::get_batch(self.conn(), id).await
    }

    async fn find_batch(&mut self, number: &str) -> StoreResult<Option<BatchRecord>> {
        engine::find_batch(self.conn(), number).await
    }

    async fn batch_lines(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchLineRecord>> {
        engine::batch_lines(self.conn(), batch_id).await
    }

    async fn batch_lines_page(
        &mut self,
        batch_id: Uuid,
        page: &LinePage,
    ) -> StoreResult<Vec<BatchLineRecord>> {
        engine::batch_lines_page(self.conn(), batch_id, page).await
    }

    async fn batch_line_totals(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchLineTotals>> {
        engine::batch_line_totals(self.conn(), batch_id).await
    }

    async fn open_period_batch(
        &mut self,
        partner: &str,
        period_key: &str,
    ) -> StoreResult<Option<BatchRecord>> {
        engine::open_period_batch(self.conn(), partner, period_key).await
    }

    async fn batches_due(
        &mut self,
        through: &str,
        partner: Option<&str>,
    ) -> StoreResult<Vec<BatchRecord>> {
        engine::batches_due(self.conn(), through, partner).await
    }

    async fn batch_reports(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchReport>> {
        engine::batch_reports(self.conn(), batch_id).await
    }

    async fn next_report_line_no(&mut self, batch_id: Uuid) -> StoreResult<i64> {
        engine::next_report_line_no(self.conn(), batch_id).await
    }

    async fn pending_report_chunk(
        &mut self,
        partner: &str,
        report_id: &str,
        chunk_no: i64,
    ) -> StoreResult<Option<String>> {
        engine::pending_report_chunk(self.conn(), partner, report_id, chunk_no).await
    }

    async fn report_batch(
        &mut self,
        partner: &str,
        report_id: &str,
    ) -> StoreResult<Option<ReportBatch>> {
        engine::report_batch(self.conn(), partner, report_id).await
    }

    async fn find_batch_lines(&mut self, query: &LineQuery) -> StoreResult<Vec<BatchLineRecord>> {
        engine::find_batch_lines(self.conn(), query).await
    }

    async fn lines_for_invoices(
        &mut self,
        partner: &str,
        role: &str,
        invoices: &[String],
    ) -> StoreResult<Vec<(String, BatchLineRecord)>> {
        engine::lines_for_invoices(self.conn(), (partner, role), invoices, None).await
    }

    async fn lines_for_chunk(
        &mut self,
        owner: (&str, &str),
        invoices: &[String],
        batch: Uuid,
        own: (&[String], i64),
    ) -> StoreResult<Vec<(String, BatchLineRecord)>> {
        engine::lines_for_invoices(self.conn(), owner, invoices, Some((batch, own))).await
    }

    async fn retro_run(
        &mut self,
        contract_id: Uuid,
        version_no: i64,
    ) -> StoreResult<Option<RetroRunRecord>> {
        retro::get(self.conn(), contract_id, version_no).await
    }

    async fn retro_runs_by_number(
        &mut self,
        contract_number: &str,
        version_no: i64,
    ) -> StoreResult<Vec<RetroRunRecord>> {
        retro::by_number(self.conn(), contract_number, version_no).await
    }

    async fn held_batches_for_contracts(
        &mut self,
        contracts: &[String],
    ) -> StoreResult<Vec<BatchRecord>> {
        retro::held_batches_for_contracts(self.conn(), contracts).await
    }

    async fn lines_for_contracts(
        &mut self,
        contracts: &[String],
    ) -> StoreResult<Vec<(String, BatchLineRecord)>> {
        retro::lines_for_contracts(self.conn(), contracts).await
    }

    async fn claim_lines_of_batch(&mut self, batch_id: Uuid) -> StoreResult<Vec<ClaimLineRecord>> {
        retro::claim_lines_of_batch(self.conn(), batch_id).await
    }

    async fn claims_of_batch(&mut self, batch_id: Uuid) -> StoreResult<Vec<ClaimRecord>> {
        engine::claims_of_batch(self.conn(), batch_id).await
    }

    async fn get_claim(&mut self, id: Uuid) -> StoreResult<Option<ClaimRecord>> {
        engine::get_claim(self.conn(), id).await
    }

    async fn find_claim(
        &mut self,
        partner: &str,
        claim_number: &str,
    ) -> StoreResult<Option<ClaimRecord>> {
        engine::find_claim(self.conn(), partner, claim_number).await
    }

    async fn claim_lines(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimLineRecord>> {
        engine::claim_lines(self.conn(), claim_id).await
    }

    async fn claim_lines_page(
        &mut self,
        claim_id: Uuid,
        page: &LinePage,
    ) -> StoreResult<Vec<ClaimLineRecord>> {
        engine::claim_lines_page(self.conn(), claim_id, page).await
    }

    async fn claim_line_totals(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimLineTotals>> {
        engine::claim_line_totals(self.conn(), claim_id).await
    }

    async fn get_response(&mut self, id: Uuid) -> StoreResult<Option<ResponseRecord>> {
        engine::get_response(self.conn(), id).await
    }

    async fn unmatched_responses(
        &mut self,
        partner: Option<&str>,
    ) -> StoreResult<Vec<ResponseRecord>> {
        engine::unmatched_responses(self.conn(), partner).await
    }

    async fn responses_for_claim(&mut self, claim_id: Uuid) -> StoreResult<Vec<ResponseRecord>> {
        engine::responses_for_claim(self.conn(), claim_id).await
    }

    async fn cap_entries(&mut self, cap_keys: &[String]) -> StoreResult<Vec<CapEntryRecord>> {
        engine::cap_entries(self.conn(), cap_keys).await
    }

    async fn gpo_memberships(&mut self, gpo: &str) -> StoreResult<Option<GpoMembershipsRecord>> {
        rosters::get_memberships(self.conn(), gpo).await
    }

    async fn all_gpo_memberships(&mut self) -> StoreResult<Vec<GpoMembershipsRecord>> {
        rosters::all_memberships(self.conn()).await
    }

    async fn membership_generation(&mut self) -> StoreResult<i64> {
        rosters::membership_generation(self.conn()).await
    }

    async fn get_roster_upload(&mut self, id: Uuid) -> StoreResult<Option<RosterUploadRecord>> {
        rosters::get_upload(self.conn(), id).await
    }

    async fn reference_prices(
        &mut self,
        supplier: &str,
    ) -> StoreResult<Option<ReferencePricesRecord>> {
        reference_prices::get(self.conn(), supplier).await
    }

    async fn all_reference_prices(&mut self) -> StoreResult<Vec<ReferencePricesRecord>> {
        reference_prices::all(self.conn()).await
    }

    async fn reference_price_generation(&mut self) -> StoreResult<i64> {
        reference_prices::generation(self.conn()).await
    }

    async fn settlements_for_claim(
        &mut self,
        claim_id: Uuid,
    ) -> StoreResult<Vec<SettlementRecord>> {
        engine::settlements_for_claim(self.conn(), claim_id).await
    }

    async fn find_claim_transmission(
        &mut self,
        partner: &str,
        level: ControlLevel,
        number: i64,
    ) -> StoreResult<Option<ClaimTransmission>> {
        transmission::find(self.conn(), partner, level, number).await
    }

    async fn claim_transmissions(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimTransmission>> {
        transmission::for_claim(self.conn(), claim_id).await
    }

    async fn unmatched_responses_page(
        &mut self,
        partner: Option<&str>,
        page: &ListPage,
    ) -> StoreResult<Vec<ResponseRecord>> {
        engine::unmatched_responses_page(self.conn(), partner, page).await
    }

    async fn list_disputes(
        &mut self,
        statuses: &[String],
        partner: Option<&str>,
        page: &ListPage,
    ) -> StoreResult<Vec<DisputeRecord>> {
        engine::list_disputes(self.conn(), statuses, partner, page).await
    }

    async fn get_dispute(&mut self, id: Uuid) -> StoreResult<Option<DisputeRecord>> {
        engine::get_dispute(self.conn(), id).await
    }

    async fn disputes_for_claim(&mut self, claim_id: Uuid) -> StoreResult<Vec<DisputeRecord>> {
        engine::disputes_for_claim(self.conn(), claim_id).await
    }

    async fn disputes_with_status(
        &mut self,
        statuses: &[String],
    ) -> StoreResult<Vec<DisputeRecord>> {
        engine::disputes_with_status(self.conn(), statuses).await
    }

    async fn audit_events(
        &mut self,
        entity: &str,
        entity_id: &str,
    ) -> StoreResult<Vec<AuditRecord>> {
        audit::for_entity(self.conn(), entity, entity_id).await
    }
}

#[async_trait]
impl StoreTx for Session {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        match *self {
            Session::PgTx(t) => t.commit().await?,
            Session::SqliteTx(t) => t.commit().await?,
            Session::PgConn(_) | Session::SqliteConn(_) => {}
        }
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        match *self {
            Session::PgTx(t) => t.rollback().await?,
            Session::SqliteTx(t) => t.rollback().await?,
            Session::PgConn(_) | Session::SqliteConn(_) => {}
        }
        Ok(())
    }

    async fn savepoint(&mut self, name: &str) -> StoreResult<()> {
        let name = savepoint_name(name)?;
        self.conn()
            .execute(&format!("SAVEPOINT {name}"), vec![])
            .await?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self, name: &str) -> StoreResult<()> {
        let name = savepoint_name(name)?;
        self.conn()
            .execute(&format!("ROLLBACK TO SAVEPOINT {name}"), vec![])
            .await?;
        Ok(())
    }

    async fn append_audit(&mut self, event: &NewAuditEvent) -> StoreResult<i64> {
        audit::append(self.conn(), event).await
    }

    async fn append_audits(&mut self, events: &[NewAuditEvent]) -> StoreResult<u64> {
        audit::append_many(self.conn(), events).await
    }

    async fn mark_processed(
        &mut self,
        consumer: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        outbox::mark_processed(self.conn(), consumer, message_id, at).await
    }

    async fn insert_transaction(&mut self, tx: &NewTransaction) -> StoreResult<()> {
        pipeline::insert(self.conn(), tx).await
    }

    async fn update_transaction(&mut self, update: &TransactionUpdate) -> StoreResult<()> {
        pipeline::update(self.conn(), update).await
    }

    async fn dismiss_transaction(
        &mut self,
        dismissal: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord> {
        pipeline::set_aside(self.conn(), dismissal, pipeline::Aside::Dismiss).await
    }

    async fn restore_transaction(
        &mut self,
        restoral: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord> {
        pipeline::set_aside(self.conn(), restoral, pipeline::Aside::Restore).await
    }

    async fn add_transaction_refs(&mut self, id: Uuid, refs: &[TransactionRef]) -> StoreResult<()> {
        pipeline::add_refs(self.conn(), id, refs).await
    }

    async fn record_inbound_file(&mut self, file: &InboundFile) -> StoreResult<bool> {
        pipeline::record_inbound_file(self.conn(), file).await
    }

    async fn record_interchange(&mut self, interchange: &InterchangeRecord) -> StoreResult<bool> {
        pipeline::record_interchange(self.conn(), interchange).await
    }

    async fn record_as2_message(
        &mut self,
        partner: &str,
        message_id: &str,
        sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<As2Seen> {
        pipeline::record_as2_message(self.conn(), partner, message_id, sha256, at).await
    }

    async fn put_as2_outbound(&mut self, message: &NewAs2Outbound) -> StoreResult<()> {
        as2::put(self.conn(), message).await
    }

    async fn claim_as2_attempt(
        &mut self,
        message_id: &str,
        seen_attempts: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        as2::claim_attempt(self.conn(), message_id, seen_attempts, at).await
    }

    async fn transition_as2_outbound(
        &mut self,
        message_id: &str,
        from: &[As2OutboundStatus],
        to: As2OutboundStatus,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        as2::transition(self.conn(), message_id, from, to, detail, at).await
    }

    async fn insert_document(&mut self, doc: &NewDocument) -> StoreResult<bool> {
        outbox::insert_document(self.conn(), doc).await
    }

    async fn insert_spooled_document(
        &mut self,
        doc: NewDocument<SpooledBody<'_>>,
    ) -> StoreResult<bool> {
        outbox::insert_spooled_document(self.conn(), doc).await
    }

    async fn insert_outbox(&mut self, message: &OutboxMessage) -> StoreResult<bool> {
        outbox::insert_message(self.conn(), message).await
    }

    async fn insert_outbox_for_document(
        &mut self,
        message: &OutboxMessage,
        document_id: Uuid,
    ) -> StoreResult<bool> {
        outbox::insert_document_message(self.conn(), message, document_id).await
    }

    async fn mark_sent(&mut self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        outbox::mark_sent(self.conn(), id, at).await
    }

    async fn mark_published(&mut self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        outbox::mark_published(self.conn(), id, at).await
    }

    async fn mark_settled(
        &mut self,
        message_ids: &[String],
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        outbox::mark_settled(self.conn(), message_ids, at).await
    }

    async fn requeue_unsettled(&mut self) -> StoreResult<u64> {
        outbox::requeue_unsettled(self.conn()).await
    }

    async fn record_publish_failure(&mut self, id: i64, error: &str) -> StoreResult<()> {
        outbox::record_publish_failure(self.conn(), id, error).await
    }

    async fn allocate_control_number(
        &mut self,
        key: &ControlNumberKey,
        range: (u32, u32),
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        control::allocate(self.conn(), key, range, at).await
    }

    async fn insert_contract(
        &mut self,
        contract: &NewContract,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::insert_contract(self.conn(), contract, audit).await
    }

    async fn update_contract(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        engine::update_contract(self.conn(), update, audit).await
    }

    async fn insert_contract_version(
        &mut self,
        version: &ContractVersion,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::insert_contract_version(self.conn(), version, audit).await
    }

    async fn insert_batch(&mut self, batch: &NewBatch, audit: &NewAuditEvent) -> StoreResult<()> {
        engine::insert_batch(self.conn(), batch, audit).await
    }

    async fn update_batch(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        engine::update_batch(self.conn(), update, audit).await
    }

    async fn insert_batch_lines(
        &mut self,
        batch_id: Uuid,
        lines: &[NewBatchLine],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64> {
        engine::insert_batch_lines(self.conn(), batch_id, lines, at, audit).await
    }

    async fn set_batch_period(
        &mut self,
        id: Uuid,
        period_key: &str,
        period_end: &str,
    ) -> StoreResult<()> {
        engine::set_batch_period(self.conn(), id, period_key, period_end).await
    }

    async fn record_report_batch(
        &mut self,
        partner: &str,
        report_id: &str,
        to: &ReportBatch,
        pending: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        engine::record_report_batch(self.conn(), partner, report_id, to, pending, at).await
    }

    async fn insert_pending_chunk(
        &mut self,
        partner: &str,
        report_id: &str,
        chunk_no: i64,
        lines: &JsonText,
    ) -> StoreResult<()> {
        engine::insert_pending_chunk(self.conn(), partner, report_id, chunk_no, lines).await
    }

    async fn clear_pending_reports(&mut self, batch_id: Uuid) -> StoreResult<u64> {
        engine::clear_pending_reports(self.conn(), batch_id).await
    }

    async fn update_batch_lines(
        &mut self,
        batch_id: Uuid,
        lines: &[BatchLineState],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64> {
        engine::update_batch_lines(self.conn(), batch_id, lines, at, audit).await
    }

    async fn update_batch_line(
        &mut self,
        update: &BatchLineUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::update_batch_line(self.conn(), update, audit).await
    }

    async fn insert_claim(&mut self, claim: &NewClaim, audit: &NewAuditEvent) -> StoreResult<()> {
        engine::insert_claim(self.conn(), claim, audit).await
    }

    async fn update_claim(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        engine::update_claim(self.conn(), update, audit).await
    }

    async fn carry_claim_lines(&mut self, claim_id: Uuid) -> StoreResult<()> {
        engine::carry_claim_lines(self.conn(), claim_id).await
    }

    async fn insert_claim_lines(
        &mut self,
        claim_id: Uuid,
        lines: &[NewClaimLine],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64> {
        engine::insert_claim_lines(self.conn(), claim_id, lines, at, audit).await
    }

    async fn update_claim_lines(
        &mut self,
        updates: &[ClaimLineUpdate],
        audit: &[NewAuditEvent],
    ) -> StoreResult<u64> {
        engine::update_claim_lines(self.conn(), updates, audit).await
    }

    async fn insert_response(
        &mut self,
        response: &NewResponse,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        engine::insert_response(self.conn(), response, audit).await
    }

    async fn link_response(
        &mut self,
        id: Uuid,
        claim_id: Option<Uuid>,
        status: MatchStatus,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::link_response(self.conn(), id, claim_id, status, at, audit).await
    }

    async fn upsert_cap(&mut self, cap: &CapRecord, audit: &NewAuditEvent) -> StoreResult<()> {
        engine::upsert_cap(self.conn(), cap, audit).await
    }

    async fn lock_caps(&mut self, keys: &[String]) -> StoreResult<Vec<CapRecord>> {
        engine::lock_caps(self.conn(), keys).await
    }

    async fn append_cap_entries(&mut self, entries: &[NewCapEntry]) -> StoreResult<()> {
        engine::append_cap_entries(self.conn(), entries).await
    }

    async fn put_gpo_memberships(
        &mut self,
        record: &GpoMembershipsRecord,
        expected_version: Option<i64>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        rosters::put_memberships(self.conn(), record, expected_version, audit).await
    }

    async fn put_reference_prices(
        &mut self,
        record: &ReferencePricesRecord,
        expected_version: Option<i64>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        reference_prices::put(self.conn(), record, expected_version, audit).await
    }

    async fn insert_roster_upload(
        &mut self,
        upload: &RosterUploadRecord,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        rosters::insert_upload(self.conn(), upload, audit).await
    }

    async fn mark_roster_upload_applied(
        &mut self,
        id: Uuid,
        expected_version: i64,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        rosters::mark_upload_applied(self.conn(), id, expected_version, payload, at, audit).await
    }

    async fn insert_settlement(
        &mut self,
        settlement: &NewSettlement,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::insert_settlement(self.conn(), settlement, audit).await
    }

    async fn insert_claim_transmission(
        &mut self,
        t: &NewClaimTransmission,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        transmission::insert(self.conn(), t, audit).await
    }

    async fn link_claim_transmission(
        &mut self,
        message_id: &str,
        numbers: (i64, i64, i64),
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        transmission::link(self.conn(), message_id, numbers, at, audit).await
    }

    async fn answer_claim_transmission(
        &mut self,
        message_id: &str,
        status: TransmissionStatus,
        answered_by: &str,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        transmission::answer(self.conn(), message_id, status, answered_by, at, audit).await
    }

    async fn insert_retro_run(
        &mut self,
        run: &RetroRunRecord,
        event: &NewAuditEvent,
    ) -> StoreResult<()> {
        retro::insert(self.conn(), run, event).await
    }

    async fn finish_retro_run(
        &mut self,
        contract_id: Uuid,
        version_no: i64,
        approved_by: &str,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
        event: &NewAuditEvent,
    ) -> StoreResult<bool> {
        retro::finish(
            self.conn(),
            contract_id,
            version_no,
            approved_by,
            payload,
            at,
            event,
        )
        .await
    }

    async fn insert_dispute(
        &mut self,
        dispute: &NewDispute,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        engine::insert_dispute(self.conn(), dispute, audit).await
    }

    async fn update_dispute(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64> {
        engine::update_dispute(self.conn(), update, audit).await
    }
}
