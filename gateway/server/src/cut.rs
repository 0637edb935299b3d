//! The claim-period cut in the running service (chargeback-rules 8.1): every `tick`, the
//! Daily, Weekly and Monthly batches whose period ended before today are cut through
//! `apply::cut_due` (Immediate Claim: claim #1 and its 844 queued; Review and Claim: Awaiting
//! Review). The clock is read here, at the edge; apply and the engine take the day as an
//! argument. Several gateway processes may tick at once: a batch is cut once (its version
//! decides), the others skip it. `POST /api/v1/batches/cut` (in `batches_api`) and
//! `chargegate batches cut` cut on demand.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;

/// Runs the cut every `tick` until `stop` (the first one right away, so periods that ended
/// while the service was down are cut at start).
pub async fn run(shared: Arc<Shared>, tick: Duration, stop: CancellationToken) {
    loop {
        let now = Utc::now();
        if let Some(yesterday) = now.date_naive().pred_opt()
            && let Err(error) =
                cut(&shared, yesterday, None, &apply::Context::at(now, "system")).await
        {
            tracing::warn!(%error, "claim-period cut failed; trying again next tick");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
    }
}

/// Cuts the periods ended by `through` (of `partner` when given) and wakes the relay for
/// the 844s queued.
pub async fn cut(
    shared: &Shared,
    through: NaiveDate,
    partner: Option<&str>,
    ctx: &apply::Context,
) -> Result<Vec<apply::CutBatch>, apply::ApplyError> {
    let partners = shared.partners()?;
    let cut = apply::cut_due(&*shared.store, &partners, through, partner, ctx).await?;
    if cut.iter().any(|c| !c.outbound.is_empty()) {
        shared.wake_relay.notify_one();
    }
    for c in &cut {
        metrics::counter!("chargegate_batches_cut_total", "status" => c.status.clone())
            .increment(1);
        tracing::info!(batch = %c.number, status = %c.status, lines = c.lines, claim = ?c.claim, actor = %ctx.actor, "batch cut");
    }
    Ok(cut)
}
