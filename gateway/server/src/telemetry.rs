//! Every Prometheus series the gateway exports at `/metrics` (design.md 11), described in one
//! place: its kind, its help text and the label values known before anything happens.
//!
//! The exporter lists a series only once it is first touched, so a scrape right after start
//! was empty and a dashboard could not tell "no failures" from "no such series". Each series
//! is described here, and each counter of a known label value starts at zero.

use std::time::Duration;

use metrics::Unit;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::engine_worker::ENGINE_QUEUES;

/// A counter or a histogram (of seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Counts events.
    Counter,
    /// Durations in seconds, in [`BUCKETS`].
    Histogram,
}

/// One exported series.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    /// Its name (`chargegate_…`).
    pub name: &'static str,
    /// Counter or histogram.
    pub kind: Kind,
    /// The `# HELP` text.
    pub help: &'static str,
    /// Its label and the values known up front (started at zero); `None` for no label.
    pub label: Option<(&'static str, &'static [&'static str])>,
}

const CHANNELS: &[&str] = &["sftp", "as2", "upload"];
const SEND_CHANNELS: &[&str] = &["sftp", "as2"];
const SET_RESULTS: &[&str] = &["mapped", "failed"];
/// Documents with lines, by their `doc_type`.
const LINE_DOCUMENTS: &[&str] = &[
    schemas::Contract::DOC_TYPE,
    schemas::SalesReport::DOC_TYPE,
    schemas::Claim::DOC_TYPE,
    schemas::ClaimResponse::DOC_TYPE,
];

const fn counter(
    name: &'static str,
    help: &'static str,
    label: Option<(&'static str, &'static [&'static str])>,
) -> Series {
    Series {
        name,
        kind: Kind::Counter,
        help,
        label,
    }
}

const fn histogram(
    name: &'static str,
    help: &'static str,
    label: Option<(&'static str, &'static [&'static str])>,
) -> Series {
    Series {
        name,
        kind: Kind::Histogram,
        help,
        label,
    }
}

/// Every series, in the order the README lists them.
pub const SERIES: &[Series] = &[
    counter(
        "chargegate_files_received_total",
        "Files received, by channel (a file received again is not counted here)",
        Some(("channel", CHANNELS)),
    ),
    counter(
        "chargegate_files_duplicate_total",
        "Files received again with the same bytes from the same partner, not processed again",
        Some(("channel", CHANNELS)),
    ),
    counter(
        "chargegate_bytes_received_total",
        "Bytes of the files received",
        None,
    ),
    histogram(
        "chargegate_file_processing_seconds",
        "Time to parse, map and store one received file (each processing, replays included)",
        None,
    ),
    counter(
        "chargegate_sets_total",
        "Transaction sets translated, by result",
        Some(("result", SET_RESULTS)),
    ),
    counter(
        "chargegate_acks_queued_total",
        "Acknowledgments (997, 999, TA1) queued to send",
        None,
    ),
    histogram(
        "chargegate_queue_lag_seconds",
        "Time from a document's queueing (outbox) to its engine consumer taking it, by queue",
        Some(("queue", ENGINE_QUEUES)),
    ),
    histogram(
        "chargegate_engine_apply_seconds",
        "Time to apply one document in the engine, by queue",
        Some(("queue", ENGINE_QUEUES)),
    ),
    counter(
        "chargegate_engine_applied_total",
        "Documents the engine applied (or found applied before), by queue",
        Some(("queue", ENGINE_QUEUES)),
    ),
    counter(
        "chargegate_engine_failures_total",
        "Engine attempts that failed (retried, or dead-lettered on the last), by queue",
        Some(("queue", ENGINE_QUEUES)),
    ),
    counter(
        "chargegate_lines_total",
        "Lines of the documents the engine applied: contract items, sales lines, claim lines, response lines",
        Some(("document", LINE_DOCUMENTS)),
    ),
    counter(
        "chargegate_batches_cut_total",
        "Claimant batches cut at the end of their period, by the status they were left in",
        Some(("status", &[])),
    ),
    counter(
        "chargegate_outbox_published_total",
        "Outbox messages published to the bus",
        None,
    ),
    counter(
        "chargegate_outbox_republished_total",
        "Outbox messages published again after a restart or a lost confirmation",
        None,
    ),
    counter(
        "chargegate_outbox_publish_failures_total",
        "Outbox publishing attempts the bus refused (retried)",
        None,
    ),
    counter(
        "chargegate_files_sent_total",
        "Files sent to partners, by channel",
        Some(("channel", SEND_CHANNELS)),
    ),
    counter(
        "chargegate_send_failures_total",
        "Attempts to send a file to a partner that failed",
        None,
    ),
    counter(
        "chargegate_as2_received_total",
        "AS2 messages received and accepted",
        None,
    ),
    counter(
        "chargegate_as2_refused_total",
        "AS2 messages refused (unknown partner, signature, decryption, size)",
        None,
    ),
    counter(
        "chargegate_as2_message_id_reused_total",
        "AS2 messages whose Message-ID was seen before with other content",
        None,
    ),
    counter(
        "chargegate_as2_resends_total",
        "AS2 messages sent again after no MDN came in time",
        None,
    ),
    counter(
        "chargegate_as2_mdn_failures_total",
        "AS2 MDNs that were negative, did not match the MIC, or did not verify",
        None,
    ),
    counter(
        "chargegate_as2_mdn_unknown_total",
        "Asynchronous MDNs that answer no message sent",
        None,
    ),
];

/// Histogram buckets, in seconds: a file or a document takes milliseconds to minutes.
pub const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The process-wide Prometheus recorder, installed by the first gateway of the process (tests
/// start several), with every series described.
pub fn handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            // Buckets make the durations Prometheus histograms (summaries otherwise, which
            // cannot be aggregated across gateways).
            let builder = builder.set_buckets(BUCKETS).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "histogram buckets refused: durations are summaries");
                PrometheusBuilder::new()
            });
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_ok() {
                describe();
            }
            handle
        })
        .clone()
}

/// Describes every series and starts the counters of known label values at zero.
fn describe() {
    for s in SERIES {
        match s.kind {
            Kind::Counter => {
                metrics::describe_counter!(s.name, Unit::Count, s.help);
                match s.label {
                    None => metrics::counter!(s.name).absolute(0),
                    Some((label, values)) => {
                        for v in values {
                            metrics::counter!(s.name, label => *v).absolute(0);
                        }
                    }
                }
            }
            Kind::Histogram => metrics::describe_histogram!(s.name, Unit::Seconds, s.help),
        }
    }
}

/// Records `elapsed` in the histogram `name` (one of [`SERIES`]).
pub fn observe(name: &'static str, elapsed: Duration) {
    metrics::histogram!(name).record(elapsed.as_secs_f64());
}

/// Records `elapsed` in the histogram `name` under `queue`.
pub fn observe_queue(name: &'static str, queue: &str, elapsed: Duration) {
    metrics::histogram!(name, "queue" => queue.to_owned()).record(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `"chargegate_…"` name the gateway's sources touch is described here, so a series
    /// added without a description fails this test rather than appearing undocumented.
    #[test]
    fn every_series_used_is_described() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = std::collections::BTreeSet::new();
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("telemetry.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("source");
                    for part in text.split("\"chargegate_").skip(1) {
                        let name: String = part
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit()
                            })
                            .collect();
                        if part[name.len()..].starts_with('"') {
                            used.insert(format!("chargegate_{name}"));
                        }
                    }
                }
            }
        }
        let described: std::collections::BTreeSet<String> =
            SERIES.iter().map(|s| s.name.to_owned()).collect();
        let undescribed: Vec<_> = used.difference(&described).collect();
        assert!(undescribed.is_empty(), "not in SERIES: {undescribed:?}");
        assert!(used.len() >= 20, "{used:?}");
    }

    #[test]
    fn names_are_unique_and_follow_prometheus_conventions() {
        let mut seen = std::collections::BTreeSet::new();
        for s in SERIES {
            assert!(seen.insert(s.name), "{} twice", s.name);
            match s.kind {
                Kind::Counter => assert!(s.name.ends_with("_total"), "{}", s.name),
                Kind::Histogram => assert!(s.name.ends_with("_seconds"), "{}", s.name),
            }
        }
    }
}
