//! `chargegate serve`: receivers, parse/map workers, engine consumers, outbound senders and
//! HTTP on one tokio runtime (design.md 1, 6-9, 11).
//!
//! - [`settings`]: layered configuration (defaults < file < `CHARGEGATE__*`).
//! - [`raw`]: content-addressed raw files; [`profiles`]: partner profiles, reloaded on change.
//! - [`ingest`]: receive (raw copy + rows, before any acknowledgment of receipt) and
//!   parse/map into the outbox, acknowledgments queued.
//! - [`messages`]: the bus message shapes between steps; [`relay`]: outbox to bus.
//! - [`engine_worker`]: engine queues through `apply`; [`outbound`]: render and send;
//!   [`as2_send`]: outbound AS2; [`as2_mdn_wait`]: asynchronous MDNs in, resends of late ones.
//! - [`inbox`]: SFTP drop intake; [`as2_endpoint`]: `POST /as2`; [`http`]: health,
//!   metrics, transactions API; [`batches_api`], [`claims_api`], [`contracts_api`]: the
//!   analyst API, with [`disputes_api`] (dispute cases) and [`dispute_csv_api`] (the §9
//!   file) and [`responses_api`] (unmatched 849s), [`rosters_api`] (GPO rosters) and
//!   [`reference_prices_api`] (suppliers' WAC or book cost lists); [`replay`]: failed
//!   transactions run again.
//! - [`api`]: what the API handlers share: extractors answering JSON errors, the fallbacks,
//!   the filters' accepted values, failures mapped to answers (stale versions named, the
//!   machinery's errors logged under an error id).
//! - [`app`]: opens everything and runs it until stopped.

pub mod api;
pub mod app;
pub mod as2_endpoint;
pub mod as2_mdn_wait;
pub mod as2_send;
pub mod batches_api;
pub mod claims_api;
pub mod consume;
pub mod contracts_api;
pub mod control;
pub mod cut;
pub mod dispute_csv_api;
pub mod disputes_api;
pub mod engine_worker;
pub mod error;
pub mod http;
pub mod inbox;
pub mod ingest;
pub mod messages;
pub mod outbound;
pub mod profiles;
pub mod raw;
pub mod reference_prices_api;
pub mod refs;
pub mod relay;
pub mod replay;
pub mod responses_api;
pub mod rosters_api;
pub mod settings;
pub mod shared;
pub mod telemetry;
#[cfg(test)]
mod test_http;

pub use app::{Gateway, StartError};
pub use error::PipelineError;
pub use settings::Settings;
