//! The inbound half of design.md 1: **receive** (raw bytes persisted content-addressed, an
//! inbound-file row and a transaction, and only then may the caller move the file out of the
//! inbox or answer the MDN), then **parse + map** (streaming validation and the partner's
//! profile, one set at a time), each set's document and its bus message written to the outbox
//! in one database transaction, and the 997/999/TA1 owed queued for sending.
//!
//! Everything is keyed so that running [`Ingest::process`] again on the same transaction
//! (a replay) adds only what is missing: documents and messages by `file:ISA13:GS06:ST02:n`,
//! acknowledgments once per received interchange, set transactions updated in place.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use partner_maps::ack::AckPolicy;
use partner_maps::translate::{
    PartnerLookup, Rejection, TranslateOptions, envelope_rejections, reject, translate_with,
};
use partner_maps::{Profile, ProfileSet, SetOutcome, TranslateError};
use schemas::Document;
use store::{
    As2Seen, ControlKind, Direction, DocumentSource, InboundFile, InterchangeRecord, NewDocument,
    NewTransaction, Step, Store, StoreRead, StoreTx, TransactionRecord, TransactionRef,
    TransactionUpdate, TxState,
};
use tokio::sync::{Notify, mpsc};
use uuid::Uuid;
use x12::diagnostic::Ta1Note;
use x12::validate::InterchangeReport;

use crate::control;
use crate::error::PipelineError;
use crate::messages;
use crate::profiles::Profiles;
use crate::raw::{RawFile, RawStore};
use crate::refs::{refs_of, refs_of_keys};

/// How a file reached us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// An SFTP drop folder.
    Sftp,
    /// An AS2 message with its Message-ID.
    As2 {
        /// `Message-ID` header.
        message_id: String,
    },
    /// Uploaded through the API or the command line.
    Upload,
}

impl Channel {
    fn name(&self) -> &'static str {
        match self {
            Channel::Sftp => "sftp",
            Channel::As2 { .. } => "as2",
            Channel::Upload => "upload",
        }
    }
}

/// A received file.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The file's transaction: a new one, or, for the same bytes again before their first
    /// run finished, that first receipt's, so processing it finishes that run. (The same
    /// bytes after a finished run are a new receipt, whose interchanges are refused.)
    pub transaction: Uuid,
    /// The stored raw copy.
    pub raw: RawFile,
    /// `transaction` was made by this receipt (not a first receipt of the same bytes whose
    /// run had not finished).
    pub new: bool,
}

/// What receiving an AS2 message's payload did ([`Ingest::receive_as2`]).
#[derive(Debug, Clone)]
pub enum As2Receipt {
    /// A message not seen before: its file is received, to be processed.
    New(Receipt),
    /// The Message-ID came before with the same payload: the partner sent it again (it lost
    /// our MDN, or timed out waiting). Nothing is recorded or processed again.
    Resent,
    /// The Message-ID came before with another payload: a different message under a used
    /// id, which must not be acknowledged as processed. Its payload is kept all the same, as a
    /// receipt of its own that is failed with the reason and not processed (replaying it
    /// processes it); `None` when these bytes are already a receipt being processed.
    Reused {
        /// The kept receipt.
        transaction: Option<Uuid>,
        /// SHA-256 (hex) of the payload the Message-ID first came with.
        first_sha256: String,
    },
}

/// What processing a file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// Sets whose documents went to the outbox in this run.
    pub sets_done: usize,
    /// Sets already done by an earlier run (a replay).
    pub sets_already_done: usize,
    /// Sets that failed, with their located errors on their transactions.
    pub sets_failed: usize,
    /// Sets ops dismissed (a replay of their file leaves them alone: they were set aside for
    /// a corrected resend, and running them now would take the superseded set after all).
    pub sets_dismissed: usize,
    /// Acknowledgments queued in this run.
    pub acks_queued: usize,
    /// The file's final state.
    pub state: Option<TxState>,
}

/// The receive and parse/map steps.
pub struct Ingest {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Raw files.
    pub raw: RawStore,
    /// Partner profiles.
    pub profiles: Arc<Profiles>,
    /// Woken after writes to the outbox.
    pub wake_relay: Arc<Notify>,
    /// Who we are (`[identity]`): the sender of an acknowledgment to a file whose ISA could
    /// not be read.
    pub identity: partner_maps::render::Identity,
}

enum Event {
    Set(Box<SetOutcome>),
    End {
        reports: Vec<InterchangeReport>,
        envelope: Vec<String>,
        unreadable: Option<String>,
    },
}

impl Ingest {
    /// Receives a file from disk (streamed into the raw store, never held whole).
    pub async fn receive_file(
        &self,
        partner: &str,
        channel: Channel,
        name: Option<&str>,
        path: &Path,
    ) -> Result<Receipt, PipelineError> {
        let file = std::fs::File::open(path)?;
        self.receive_reader(partner, channel, name, file).await
    }

    /// Receives from a reader (an inbox file opened without following symlinks).
    pub async fn receive_reader(
        &self,
        partner: &str,
        channel: Channel,
        name: Option<&str>,
        reader: impl std::io::Read + Send + 'static,
    ) -> Result<Receipt, PipelineError> {
        let raw = self.raw.clone();
        let stored = tokio::task::spawn_blocking(move || raw.put_reader(reader)).await??;
        self.record(partner, channel, name, stored).await
    }

    /// Receives bytes held in memory (uploads).
    pub async fn receive_bytes(
        &self,
        partner: &str,
        channel: Channel,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<Receipt, PipelineError> {
        let raw = self.raw.clone();
        let stored = tokio::task::spawn_blocking(move || raw.put(&bytes)).await??;
        self.record(partner, channel, name, stored).await
    }

    /// Receives the payload of an AS2 message: the raw copy, then, in one database
    /// transaction, its Message-ID with the payload's hash and the file's receipt, so a
    /// Message-ID is never recorded without the file it brought. A Message-ID the partner
    /// used before is a resend when the payload is the same, and a different message reusing
    /// the id when it is not ([`As2Receipt`]).
    pub async fn receive_as2(
        &self,
        partner: &str,
        message_id: &str,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<As2Receipt, PipelineError> {
        let raw = self.raw.clone();
        let stored = tokio::task::spawn_blocking(move || raw.put(&bytes)).await??;
        let channel = Channel::As2 {
            message_id: message_id.to_owned(),
        };
        let mut tx = self.store.begin().await?;
        let seen = tx
            .record_as2_message(partner, message_id, &stored.sha256, Utc::now())
            .await?;
        let first_sha256 = match seen {
            As2Seen::New => {
                return self
                    .record_in(tx, partner, channel, name, stored, None)
                    .await
                    .map(As2Receipt::New);
            }
            // Recorded before hashes were kept: taken as a resend, as it was then.
            As2Seen::Before { sha256: None } => {
                tx.rollback().await?;
                return Ok(As2Receipt::Resent);
            }
            As2Seen::Before {
                sha256: Some(first),
            } if first == stored.sha256 => {
                tx.rollback().await?;
                return Ok(As2Receipt::Resent);
            }
            As2Seen::Before {
                sha256: Some(first),
            } => first,
        };
        tx.rollback().await?;
        metrics::counter!("chargegate_as2_message_id_reused_total").increment(1);
        let refusal = format!(
            "AS2 Message-ID {message_id} was received before with other content (sha256 \
             {first_sha256}); refused with processed/error: duplicate-document and not \
             processed: the partner sends it again under a new Message-ID, or replay this \
             transaction to process it as received"
        );
        let tx = self.store.begin().await?;
        let receipt = self
            .record_in(tx, partner, channel, name, stored, Some(&refusal))
            .await?;
        tracing::warn!(partner, message_id, first_sha256, sha256 = %receipt.raw.sha256, transaction = %receipt.transaction, "AS2 Message-ID reused with other content: refused, payload kept, not processed");
        Ok(As2Receipt::Reused {
            transaction: receipt.new.then_some(receipt.transaction),
            first_sha256,
        })
    }

    async fn record(
        &self,
        partner: &str,
        channel: Channel,
        name: Option<&str>,
        raw: RawFile,
    ) -> Result<Receipt, PipelineError> {
        let tx = self.store.begin().await?;
        self.record_in(tx, partner, channel, name, raw, None).await
    }

    /// Records the receipt of `raw` in `tx` and commits it, with what `tx` holds already (an
    /// AS2 Message-ID). With `refused`, a new receipt is failed with that reason instead of
    /// waiting to be processed.
    async fn record_in(
        &self,
        mut tx: Box<dyn StoreTx>,
        partner: &str,
        channel: Channel,
        name: Option<&str>,
        raw: RawFile,
        refused: Option<&str>,
    ) -> Result<Receipt, PipelineError> {
        let now = Utc::now();
        let file = InboundFile {
            partner: partner.to_owned(),
            sha256: raw.sha256.clone(),
            file_name: name.map(str::to_owned),
            size: i64::try_from(raw.size).unwrap_or(i64::MAX),
            received_at: now,
        };
        if !tx.record_inbound_file(&file).await? {
            metrics::counter!("chargegate_files_duplicate_total", "channel" => channel.name())
                .increment(1);
            // Read in the same database transaction, which keeps what it recorded so far.
            let first = first_receipt_in(&mut *tx, partner, &raw.sha256)
                .await?
                .ok_or_else(|| {
                    PipelineError::Inconsistent(format!(
                        "file {} was recorded but has no transaction",
                        raw.sha256
                    ))
                })?;
            // Its first run did not finish (a restart, the inbox file still there): finish it.
            // So is a receipt refused when it came (an AS2 Message-ID reused with other
            // content, kept failed at receive): the same bytes sent again properly run it.
            // A dismissed one was set aside by ops: it is not run again either.
            let finished = matches!(
                first.state,
                TxState::Done | TxState::Failed | TxState::Dismissed
            ) && first.step != Step::Receive;
            if !finished {
                tracing::warn!(partner, sha256 = %raw.sha256, channel = channel.name(), transaction = %first.id, "file received again before its first run finished: finishing that run");
                // The run is this message's too: its Message-ID finds it.
                if let Channel::As2 { message_id } = &channel {
                    tx.add_transaction_refs(
                        first.id,
                        &[TransactionRef::new(
                            store::RefKind::As2Message,
                            message_id.clone(),
                        )],
                    )
                    .await?;
                }
                tx.commit().await?;
                return Ok(Receipt {
                    transaction: first.id,
                    raw,
                    new: false,
                });
            }
            // Sent again after it was processed: a transmission of its own that ops can see,
            // whose interchanges are refused as duplicates (TA1 R 025) and nothing of it
            // processed twice.
            tracing::warn!(partner, sha256 = %raw.sha256, channel = channel.name(), first = %first.id, "file received again: its interchanges are refused as duplicates");
        }
        let id = Uuid::now_v7();
        let mut row = NewTransaction::new(
            id,
            partner,
            Direction::Inbound,
            Step::Receive,
            TxState::Done,
            now,
        );
        row.raw_sha256 = Some(raw.sha256.clone());
        if let Some(name) = name {
            row.refs
                .push(TransactionRef::new(store::RefKind::FileName, name));
        }
        if let Channel::As2 { message_id } = &channel {
            row.refs.push(TransactionRef::new(
                store::RefKind::As2Message,
                message_id.clone(),
            ));
        }
        tx.insert_transaction(&row).await?;
        if let Some(reason) = refused {
            tx.update_transaction(
                &TransactionUpdate::new(id, Step::Receive, TxState::Failed, "system", now)
                    .with_error(reason),
            )
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("chargegate_files_received_total", "channel" => channel.name())
            .increment(1);
        metrics::counter!("chargegate_bytes_received_total").increment(raw.size);
        tracing::info!(transaction = %id, partner, sha256 = %raw.sha256, size = raw.size, channel = channel.name(), file = name.unwrap_or(""), "file received");
        Ok(Receipt {
            transaction: id,
            raw,
            new: true,
        })
    }

    /// Parses and maps a received file: each set's documents to the outbox, failures located
    /// on their set transactions, acknowledgments queued. Safe to run again (replay).
    pub async fn process(&self, id: Uuid) -> Result<Processed, PipelineError> {
        let started = std::time::Instant::now();
        let processed = self.process_file(id).await;
        crate::telemetry::observe("chargegate_file_processing_seconds", started.elapsed());
        processed
    }

    async fn process_file(&self, id: Uuid) -> Result<Processed, PipelineError> {
        let file_tx = self
            .store
            .get_transaction(id)
            .await?
            .ok_or(PipelineError::NoTransaction(id))?;
        let sha = file_tx
            .raw_sha256
            .clone()
            .ok_or_else(|| PipelineError::NotReplayable(id, "it has no raw file".into()))?;
        let partner = file_tx.partner.clone();
        let now = Utc::now();
        self.store
            .update_transaction(&TransactionUpdate::new(
                id,
                Step::Parse,
                TxState::Processing,
                "system",
                now,
            ))
            .await?;
        let profiles = self.profiles.current();
        if profiles.get(&partner).is_none() {
            let error = format!(
                "no partner profile \"{partner}\": add partner-maps/profiles/{partner}.toml (chargegate partner new --from FILE)"
            );
            self.fail(id, Step::Parse, &error).await?;
            return Ok(Processed {
                state: Some(TxState::Failed),
                ..Default::default()
            });
        }
        let children = self.store.child_transactions(id).await?;
        let set_children = || {
            children
                .iter()
                .filter(|c| c.direction == Direction::Inbound && c.st02.is_some())
        };
        let mut run = Run {
            file_tx: &file_tx,
            resent_of: None,
            sha: &sha,
            partner: &partner,
            set_children: set_children().map(|c| (child_key(c), c.id)).collect(),
            dismissed: set_children()
                .filter(|c| c.state == TxState::Dismissed)
                .map(child_key)
                .collect(),
            // Acknowledgments go out once per file, on its first processing: a replay that
            // completes a failed set does not answer the interchange a second time.
            acked: children.iter().any(|c| {
                c.direction == Direction::Outbound
                    && c.doc_type.as_deref() == Some("acknowledgment")
            }),
            interchanges: HashMap::new(),
            refused: Vec::new(),
            errors: Vec::new(),
            out: Processed::default(),
        };
        let mut events = self.spawn_translate(&sha, profiles.clone(), file_name(&file_tx));
        let mut end = None;
        while let Some(event) = events.recv().await {
            match event {
                Event::Set(outcome) => self.take_set(&mut run, &outcome).await?,
                Event::End {
                    reports,
                    envelope,
                    unreadable,
                } => end = Some((reports, envelope, unreadable)),
            }
        }
        let (reports, envelope, unreadable) = end.ok_or_else(|| {
            PipelineError::Inconsistent("the parser stopped without a result".into())
        })?;
        run.errors.extend(envelope);
        if let Some(e) = unreadable {
            run.errors.push(e);
        }
        let profile = profiles.get(&partner);
        let mut reports = reports;
        for report in &mut reports {
            // An empty or unreadable file has no ISA ids: its TA1 goes to the partner it came
            // from (inbox or AS2-From), from us.
            if let Some(p) = profile {
                partner_maps::ack::address_unread(&mut report.isa, p, &self.identity);
            }
            let isa13 = report.isa.control_number.clone();
            for (_, note) in run.refused.iter().filter(|(i, _)| *i == isa13) {
                reject(report, "", 0, Rejection::Interchange(*note));
            }
        }
        for report in reports.iter().filter(|_| !run.acked) {
            if self.queue_ack(&run, report, profile).await? {
                run.out.acks_queued += 1;
            }
        }
        let failed = !run.errors.is_empty();
        let state = if failed {
            TxState::Failed
        } else {
            TxState::Done
        };
        let mut update = TransactionUpdate::new(id, Step::Map, state, "system", Utc::now());
        if failed {
            update = update.with_error(summarize(&run.errors));
        }
        if let Some(r) = reports.first() {
            update.isa13 = Some(r.isa.control_number.clone());
        }
        self.store.update_transaction(&update).await?;
        run.out.state = Some(state);
        self.wake_relay.notify_one();
        tracing::info!(transaction = %id, partner, done = run.out.sets_done, failed = run.out.sets_failed, acks = run.out.acks_queued, state = %state, "file processed");
        Ok(run.out)
    }

    fn spawn_translate(
        &self,
        sha: &str,
        profiles: Arc<ProfileSet>,
        file: Option<String>,
    ) -> mpsc::Receiver<Event> {
        let (send, recv) = mpsc::channel(8);
        // Read twice: the envelopes first, so that no set of an interchange or group the
        // acknowledgment rejects is processed (some of those faults show only at the IEA/GE).
        let opened = self
            .raw
            .open(sha)
            .and_then(|r| Ok((r, self.raw.open(sha)?)));
        let sha = sha.to_owned();
        tokio::task::spawn_blocking(move || {
            let (envelopes, read) = match opened {
                Ok(r) => r,
                Err(e) => {
                    let _ = send.blocking_send(Event::End {
                        reports: Vec::new(),
                        envelope: Vec::new(),
                        unreadable: Some(format!("raw file {sha} cannot be read: {e}")),
                    });
                    return;
                }
            };
            let options = TranslateOptions {
                file,
                ..TranslateOptions::default()
            };
            let lookup = PartnerLookup::Sender(&profiles);
            let rejected = envelope_rejections(envelopes, lookup.reader_options());
            let file = options.file.clone();
            let mut sets = translate_with(read, &sha, lookup, options);
            for mut outcome in sets.by_ref() {
                rejected.apply(&mut outcome, file.as_deref());
                if send.blocking_send(Event::Set(Box::new(outcome))).is_err() {
                    return;
                }
            }
            let envelope = sets
                .take_envelope_diagnostics()
                .into_iter()
                .filter(|d| d.severity >= x12::Severity::Error)
                .map(|d| d.to_string())
                .collect();
            let unreadable = sets
                .token_error()
                .map(|e| format!("not readable as X12: {e}"));
            let reports = sets.take_reports();
            let _ = send.blocking_send(Event::End {
                reports,
                envelope,
                unreadable,
            });
        });
        recv
    }

    async fn take_set(&self, run: &mut Run<'_>, outcome: &SetOutcome) -> Result<(), PipelineError> {
        let key = set_key(
            Some(&outcome.interchange),
            Some(&outcome.group),
            Some(&outcome.set),
        );
        if run.dismissed.contains(&key) {
            run.out.sets_dismissed += 1;
            return Ok(());
        }
        let existing = run.set_children.get(&key).copied();
        // A partner's 997/999, or a TA1 (an outcome of its own, outside any group), goes to
        // the engine like a document: it may answer an 844 we sent (chargeback-rules 6.3
        // C12/C13). It names the partner whose inbox it came to. It is never acknowledged:
        // `x12::ack` owes no TA1 for an interchange carrying one, nor a 997 for a 997.
        let ack_docs: Vec<Document> = outcome
            .acknowledgment
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a.source.partner = Some(run.partner.into());
                Document::Acknowledgment(a)
            })
            .collect();
        let result: Result<&[Document], String> = match &outcome.result {
            Err(TranslateError::NotTranslated { .. }) if ack_docs.is_empty() => return Ok(()),
            Err(TranslateError::NotTranslated { .. }) => {
                match self.check_interchange(run, &outcome.interchange).await? {
                    Some(dup) => Err(dup),
                    None => Ok(ack_docs.as_slice()),
                }
            }
            Err(_) => Err(join(&outcome.all_diagnostics())),
            Ok(_) if outcome.partner.as_deref() != Some(run.partner) => {
                // Not this inbox's sender: refused whole, on the channel it came by (TA1 R
                // 006), and nothing of it processed.
                refuse(run, &outcome.interchange, Ta1Note::InvalidSenderId);
                Err(in_file(
                    run.file_tx,
                    format!(
                        "interchange {}: sender belongs to partner {:?}, but the file came from partner {:?}",
                        outcome.interchange,
                        outcome.partner.as_deref().unwrap_or("?"),
                        run.partner
                    ),
                ))
            }
            Ok(docs) => match self.check_interchange(run, &outcome.interchange).await? {
                Some(dup) => Err(dup),
                None => Ok(docs.as_slice()),
            },
        };
        match result {
            Ok(docs) => {
                let mut all_known = true;
                for (n, doc) in docs.iter().enumerate() {
                    let doc_key = document_key(
                        run.sha,
                        &outcome.interchange,
                        &outcome.group,
                        &outcome.set,
                        n,
                    );
                    if self
                        .store
                        .reader()
                        .await?
                        .find_document(&doc_key)
                        .await?
                        .is_some()
                    {
                        continue;
                    }
                    all_known = false;
                    self.write_set(run, outcome, existing, doc, &doc_key)
                        .await?;
                }
                if all_known && !docs.is_empty() {
                    run.out.sets_already_done += 1;
                } else {
                    run.out.sets_done += 1;
                }
                metrics::counter!("chargegate_sets_total", "result" => "mapped").increment(1);
            }
            Err(error) => {
                run.out.sets_failed += 1;
                run.errors.push(error.clone());
                metrics::counter!("chargegate_sets_total", "result" => "failed").increment(1);
                let now = Utc::now();
                match existing {
                    Some(child) => {
                        self.store
                            .update_transaction(
                                &TransactionUpdate::new(
                                    child,
                                    Step::Map,
                                    TxState::Failed,
                                    "system",
                                    now,
                                )
                                .with_error(error),
                            )
                            .await?;
                    }
                    None => {
                        let mut row = set_row(run, outcome, Step::Map, TxState::Failed, now);
                        let child = row.id;
                        // Findable by what the partner calls it, though nothing mapped.
                        row.debit_memo = outcome.keys.debit_memo.clone();
                        row.refs = refs_of_keys(&outcome.keys);
                        let mut t = self.store.begin().await?;
                        t.insert_transaction(&row).await?;
                        t.update_transaction(
                            &TransactionUpdate::new(
                                child,
                                Step::Map,
                                TxState::Failed,
                                "system",
                                now,
                            )
                            .with_error(error),
                        )
                        .await?;
                        t.commit().await?;
                        run.set_children.insert(key, child);
                    }
                }
            }
        }
        Ok(())
    }

    /// One database transaction: the set's transaction, its document and its bus message.
    async fn write_set(
        &self,
        run: &mut Run<'_>,
        outcome: &SetOutcome,
        existing: Option<Uuid>,
        doc: &Document,
        doc_key: &str,
    ) -> Result<(), PipelineError> {
        let now = Utc::now();
        let (debit_memo, refs) = refs_of(doc);
        let mut t = self.store.begin().await?;
        let set_tx = match existing {
            Some(child) => {
                let mut u =
                    TransactionUpdate::new(child, Step::Outbox, TxState::Done, "system", now);
                u.doc_type = Some(doc.doc_type().to_owned());
                u.debit_memo = debit_memo.clone();
                t.update_transaction(&u).await?;
                t.add_transaction_refs(child, &refs).await?;
                child
            }
            None => {
                let mut row = set_row(run, outcome, Step::Outbox, TxState::Done, now);
                row.doc_type = Some(doc.doc_type().to_owned());
                row.debit_memo = debit_memo;
                row.refs = refs;
                t.insert_transaction(&row).await?;
                run.set_children.insert(
                    set_key(
                        Some(&outcome.interchange),
                        Some(&outcome.group),
                        Some(&outcome.set),
                    ),
                    row.id,
                );
                row.id
            }
        };
        let body = serde_json::to_value(doc)?;
        let new_doc = NewDocument {
            id: Uuid::now_v7(),
            idempotency_key: doc_key.to_owned(),
            doc_type: doc.doc_type().to_owned(),
            partner: run.partner.to_owned(),
            source: DocumentSource {
                file_sha256: Some(run.sha.to_owned()),
                isa13: Some(outcome.interchange.clone()),
                gs06: Some(outcome.group.clone()),
                st02: Some(outcome.set.clone()),
            },
            tx_id: Some(set_tx),
            body: body.into(),
            created_at: now,
        };
        if t.insert_document(&new_doc).await? {
            let message = messages::inbound(doc, run.partner, doc_key, set_tx, now)?;
            t.insert_outbox(&message).await?;
        }
        t.commit().await?;
        Ok(())
    }

    /// `Some(error)` when another file already brought this ISA13 from the partner.
    async fn check_interchange(
        &self,
        run: &mut Run<'_>,
        isa13: &str,
    ) -> Result<Option<String>, PipelineError> {
        if let Some(verdict) = run.interchanges.get(isa13) {
            return Ok(verdict.clone());
        }
        let record = InterchangeRecord {
            partner: run.partner.to_owned(),
            isa13: isa13.to_owned(),
            sha256: Some(run.sha.to_owned()),
            received_at: Utc::now(),
        };
        let verdict = if self.store.record_interchange(&record).await? {
            None
        } else {
            let first = self
                .store
                .reader()
                .await?
                .find_interchange(run.partner, isa13)
                .await?;
            let first_received = |f: &store::InterchangeRecord| {
                f.received_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            };
            match first {
                Some(f) if f.sha256.as_deref() != Some(run.sha) => {
                    refuse(run, isa13, Ta1Note::DuplicateControlNumber);
                    Some(in_file(
                        run.file_tx,
                        format!(
                            "interchange {isa13}: duplicate interchange control number, first received {} in file {}",
                            first_received(&f),
                            f.sha256.as_deref().unwrap_or("?")
                        ),
                    ))
                }
                // These bytes: a replay of their first receipt goes on, a receipt of its own
                // (the file sent again) is refused.
                Some(f) => match self.resent_of(run).await? {
                    Some(first_tx) => {
                        refuse(run, isa13, Ta1Note::DuplicateControlNumber);
                        Some(in_file(
                            run.file_tx,
                            format!(
                                "interchange {isa13}: duplicate interchange control number, this same file was received {} (transaction {first_tx}) and is not processed again",
                                first_received(&f),
                            ),
                        ))
                    }
                    None => None,
                },
                None => None,
            }
        };
        run.interchanges.insert(isa13.to_owned(), verdict.clone());
        Ok(verdict)
    }

    /// Builds, stores and queues the acknowledgment owed for one interchange, with control
    /// numbers allocated in the same database transaction. `false` when none is owed.
    async fn queue_ack(
        &self,
        run: &Run<'_>,
        report: &InterchangeReport,
        profile: Option<&Profile>,
    ) -> Result<bool, PipelineError> {
        let now = Utc::now();
        let mut t = self.store.begin().await?;
        let icn =
            control::allocate(&mut *t, run.partner, profile, ControlKind::Interchange, now).await?;
        // One GS06 for each group the acknowledgment holds (numbered on from the first): each
        // is allocated, so the next file to this partner never repeats one. The allocator
        // gives consecutive numbers within one database transaction.
        let gcn = control::allocate(&mut *t, run.partner, profile, ControlKind::Group, now).await?;
        for more in 1..x12::ack::acknowledged_groups(report) {
            let next =
                control::allocate(&mut *t, run.partner, profile, ControlKind::Group, now).await?;
            if u64::from(next) != u64::from(gcn) + more as u64 {
                return Err(PipelineError::Inconsistent(format!(
                    "group control numbers for one acknowledgment are not consecutive: {gcn}, then {next}"
                )));
            }
        }
        let policy = AckPolicy::for_profile(profile);
        let params = policy.params(
            icn,
            gcn,
            &now.format("%Y%m%d").to_string(),
            &now.format("%H%M").to_string(),
        );
        // The acknowledgment swaps the received ISA ids, which name us already (or were
        // filled in for a file whose ISA could not be read).
        let Some(bytes) = partner_maps::ack::render_ack(report, profile, &params)? else {
            // Nothing owed: the rollback returns the control numbers unused.
            t.rollback().await?;
            return Ok(false);
        };
        let stored = self.raw.put(&bytes)?;
        let mut row = NewTransaction::new(
            Uuid::now_v7(),
            run.partner,
            Direction::Outbound,
            Step::Send,
            TxState::Received,
            now,
        );
        row.parent_id = Some(run.file_tx.id);
        row.raw_sha256 = Some(stored.sha256.clone());
        row.doc_type = Some("acknowledgment".into());
        row.isa13 = Some(format!("{icn:09}"));
        // The name it is delivered under, kept with it: a resend (a replay) uses the same.
        let name = ack_file_name(policy_name(&policy, report), icn);
        row.refs
            .push(TransactionRef::new(store::RefKind::FileName, name.clone()));
        t.insert_transaction(&row).await?;
        let message = messages::rendered(
            run.partner,
            "acknowledgment",
            row.id,
            &stored.sha256,
            // Once per receipt of the file (a file sent again is answered again).
            &format!("ack:{}:{}", run.file_tx.id, report.isa.control_number),
            &name,
            now,
        )?;
        t.insert_outbox(&message).await?;
        t.commit().await?;
        metrics::counter!("chargegate_acks_queued_total").increment(1);
        Ok(true)
    }

    /// The first receipt of the run's bytes when the run is not it (the file sent again):
    /// asked once a run, and only when an interchange's control number was seen in these
    /// bytes before (a replay, a resend), never for a file seen for the first time.
    async fn resent_of(&self, run: &mut Run<'_>) -> Result<Option<Uuid>, PipelineError> {
        if let Some(known) = run.resent_of {
            return Ok(known);
        }
        let first = self
            .first_receipt(run.partner, run.sha)
            .await?
            .map(|t| t.id)
            .filter(|first| *first != run.file_tx.id);
        run.resent_of = Some(first);
        Ok(first)
    }

    /// The transaction of the first receipt of the file `sha256` from `partner`.
    async fn first_receipt(
        &self,
        partner: &str,
        sha256: &str,
    ) -> Result<Option<TransactionRecord>, PipelineError> {
        let mut reader = self.store.reader().await?;
        first_receipt_in(&mut *reader, partner, sha256).await
    }

    async fn fail(&self, id: Uuid, step: Step, error: &str) -> Result<(), PipelineError> {
        tracing::warn!(transaction = %id, step = %step, error, "transaction failed");
        self.store
            .update_transaction(
                &TransactionUpdate::new(id, step, TxState::Failed, "system", Utc::now())
                    .with_error(error),
            )
            .await?;
        Ok(())
    }
}

struct Run<'a> {
    file_tx: &'a TransactionRecord,
    /// Once asked ([`Ingest::resent_of`]): the first receipt of these bytes when this run is
    /// another (every interchange of the file is then a duplicate).
    resent_of: Option<Option<Uuid>>,
    sha: &'a str,
    partner: &'a str,
    set_children: HashMap<String, Uuid>,
    /// The keys of the sets ops dismissed: not run again.
    dismissed: HashSet<String>,
    acked: bool,
    interchanges: HashMap<String, Option<String>>,
    /// Interchanges refused here for what the translation cannot see (a control number this
    /// partner used before, a sender not this inbox's partner), by ISA13: their
    /// acknowledgment says so (TA1 `R`).
    refused: Vec<(String, Ta1Note)>,
    errors: Vec<String>,
    out: Processed,
}

/// The transaction of the first receipt of the file `sha256` from `partner` (its sets,
/// which share its hash, are not read: a file of 100,000 sets is one row here).
async fn first_receipt_in<R: StoreRead + ?Sized>(
    reader: &mut R,
    partner: &str,
    sha256: &str,
) -> Result<Option<TransactionRecord>, PipelineError> {
    let receipts = reader
        .list_transactions(&store::TransactionFilter {
            partner: Some(partner.to_owned()),
            raw_sha256: Some(sha256.to_owned()),
            direction: Some(Direction::Inbound),
            files_only: true,
            limit: Some(1000),
            ..Default::default()
        })
        .await?;
    // Newest first: the last is the first receipt (of the last thousand sends).
    Ok(receipts.into_iter().last())
}

/// Notes that the interchange `isa13` is refused with `note` (once per note).
fn refuse(run: &mut Run<'_>, isa13: &str, note: Ta1Note) {
    if !run.refused.iter().any(|(i, n)| i == isa13 && *n == note) {
        run.refused.push((isa13.to_owned(), note));
    }
}

/// The [`set_key`] of a set's transaction.
fn child_key(c: &TransactionRecord) -> String {
    set_key(c.isa13.as_deref(), c.gs06.as_deref(), c.st02.as_deref())
}

fn set_key(isa13: Option<&str>, gs06: Option<&str>, st02: Option<&str>) -> String {
    format!(
        "{}:{}:{}",
        isa13.unwrap_or(""),
        gs06.unwrap_or(""),
        st02.unwrap_or("")
    )
}

/// The idempotency key of the `n`th document of a set: the same file and set always give the
/// same key, so a replay finds what the first run stored.
pub fn document_key(sha: &str, isa13: &str, gs06: &str, st02: &str, n: usize) -> String {
    format!("{sha}:{isa13}:{gs06}:{st02}:{n}")
}

fn set_row(
    run: &Run<'_>,
    outcome: &SetOutcome,
    step: Step,
    state: TxState,
    now: DateTime<Utc>,
) -> NewTransaction {
    let mut row = NewTransaction::new(
        Uuid::now_v7(),
        run.partner,
        Direction::Inbound,
        step,
        state,
        now,
    );
    row.parent_id = Some(run.file_tx.id);
    row.raw_sha256 = Some(run.sha.to_owned());
    row.isa13 = Some(outcome.interchange.clone());
    // A TA1 sits in no group.
    row.gs06 = Some(outcome.group.clone()).filter(|g| !g.is_empty());
    row.st02 = Some(outcome.set.clone());
    row
}

/// The kind of acknowledgment in a file's name, as its content is: a 999 answers only
/// 005010 groups (an 004010 group gets a 997 whatever the policy).
fn policy_name(policy: &AckPolicy, report: &InterchangeReport) -> &'static str {
    if report.rejected() {
        return "ta1";
    }
    if policy.kind != x12::ack::AckKind::Ia999 {
        return "997";
    }
    let acked = report.groups.iter().filter(|g| g.acknowledgeable());
    let (mut v5, mut v4) = (false, false);
    for g in acked {
        if g.version == Some(x12::dict::Version::V005010) {
            v5 = true;
        } else {
            v4 = true;
        }
    }
    match (v5, v4) {
        (true, true) => "997-999",
        (true, false) => "999",
        _ => "997",
    }
}

/// The file name of an acknowledgment: its kind (`997`, `999`, `997-999`, `ta1`) and its
/// interchange control number, `997-000000409.x12`.
pub fn ack_file_name(kind: &str, icn: u32) -> String {
    format!("{kind}-{icn:09}.x12")
}

/// The kind of acknowledgment an interchange we wrote holds, as [`policy_name`] named it when
/// it was written: the 997s and 999s of its sets, or `ta1` when it holds none. For files
/// written before their names were kept with their transactions.
pub fn ack_kind_of(bytes: &[u8]) -> &'static str {
    // Our own interchanges: the fixed-width ISA names the delimiters.
    let Ok(frame) = x12::tokenizer::delimiters::detect(bytes, x12::IsaMode::Strict) else {
        return "ta1";
    };
    let d = frame.delimiters;
    let (mut v7, mut v9) = (false, false);
    for segment in bytes.split(|b| *b == d.segment) {
        let segment = segment.trim_ascii();
        let mut elements = segment.split(|b| *b == d.element);
        if elements.next() == Some(b"ST") {
            match elements.next() {
                Some(b"997") => v7 = true,
                Some(b"999") => v9 = true,
                _ => {}
            }
        }
    }
    match (v7, v9) {
        (true, true) => "997-999",
        (false, true) => "999",
        (true, false) => "997",
        (false, false) => "ta1",
    }
}

/// The name the file arrived under, for located errors.
fn file_name(tx: &TransactionRecord) -> Option<String> {
    tx.refs
        .iter()
        .find(|r| r.kind == store::RefKind::FileName)
        .map(|r| r.value.clone())
}

/// `message` located in the file `tx` arrived as (`FILE: interchange ICN: …`), as the
/// translation locates its own findings: an error found at ingest (a control number used
/// before, a sender not the inbox's partner) names the file too, or the failed queue cannot
/// tell which of the partner's files carrying that ISA13 was refused.
fn in_file(tx: &TransactionRecord, message: String) -> String {
    match file_name(tx) {
        Some(name) => format!("{name}: {message}"),
        None => message,
    }
}

fn join(diagnostics: &[x12::Diagnostic]) -> String {
    diagnostics
        .iter()
        .filter(|d| d.severity >= x12::Severity::Error)
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first located errors of a file, for its transaction row.
fn summarize(errors: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = errors
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if errors.len() > SHOWN {
        text.push_str(&format!("\n... and {} more", errors.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_of(sample: &str) -> InterchangeReport {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../samples")
            .join(sample);
        let data = std::fs::read(&path).expect("sample");
        let mut out = x12::validate::validate(
            &data[..],
            x12::ReaderOptions::default(),
            x12::validate::ValidateOptions::default(),
        );
        out.interchanges.remove(0)
    }

    /// A file written before names were kept with their transactions is resent under the
    /// name it was first sent under, read back from what it holds.
    #[test]
    fn an_acknowledgment_is_named_the_same_from_its_bytes() {
        for (sample, kind) in [
            ("844_4010_claim.x12", x12::ack::AckKind::Fa997),
            ("845_5010_contract_change.x12", x12::ack::AckKind::Ia999),
            ("845_5010_contract_change.x12", x12::ack::AckKind::Fa997),
            ("bad_isa_len_se_count.x12", x12::ack::AckKind::Fa997),
        ] {
            let report = report_of(sample);
            let mut policy = AckPolicy::for_profile(None);
            policy.kind = kind;
            policy.ta1 = x12::ack::Ta1Policy::Always;
            let params = policy.params(409, 409, "20261207", "0712");
            let bytes = partner_maps::ack::render_ack(&report, None, &params)
                .expect("written")
                .expect("an acknowledgment is owed");
            let named = ack_file_name(policy_name(&policy, &report), 409);
            assert_eq!(ack_file_name(ack_kind_of(&bytes), 409), named, "{sample}");
            assert!(named.ends_with("-000000409.x12"), "{named}");
        }
        assert_eq!(ack_kind_of(b""), "ta1");
    }

    #[test]
    fn an_acknowledgment_file_is_named_for_what_it_holds() {
        let mut policy = AckPolicy::for_profile(None);
        policy.kind = x12::ack::AckKind::Ia999;
        // A 999 policy answers an 004010 group with a 997.
        assert_eq!(
            policy_name(&policy, &report_of("844_4010_claim.x12")),
            "997"
        );
        assert_eq!(
            policy_name(&policy, &report_of("845_5010_contract_change.x12")),
            "999"
        );
        policy.kind = x12::ack::AckKind::Fa997;
        assert_eq!(
            policy_name(&policy, &report_of("845_5010_contract_change.x12")),
            "997"
        );
        assert_eq!(
            policy_name(&policy, &report_of("bad_isa_len_se_count.x12")),
            "ta1"
        );
    }
}
