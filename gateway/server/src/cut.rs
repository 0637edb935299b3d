//! The claim-period cut in the running service (chargeback-rules 8.1): every `tick`, the
//! Daily, Weekly and Monthly batches whose period ended before today are cut through
//! `apply::cut_due` (Immediate Claim: claim #1 and its 844 queued; Review and Claim: Awaiting
//! Review). The clock is read here, at the edge; apply and the engine take the day as an
//! argument. Several gateway processes may tick at once: a batch is cut once (its version
//! decides), the others skip it. `POST /api/v1/batches/cut` (in `batches_api`) and
//! `chargegate batches cut` cut on demand.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;

/// Runs the cut every `tick` until `stop` (the first one right away, so periods that ended
/// while the service was down are cut at start).
pub async fn run(shared: Arc<Shared>, tick: Duration, stop: CancellationToken) {
    run_with_clock(shared, tick, stop, Utc::now).await;
}

/// [`run`] with the clock given: `now` is read at every tick (tests pass a fixed time, so a
/// run across midnight cannot change which periods have ended). A pinned business day
/// (`[engine] business_day`) stands for `now`'s date.
pub async fn run_with_clock(
    shared: Arc<Shared>,
    tick: Duration,
    stop: CancellationToken,
    now: impl Fn() -> DateTime<Utc>,
) {
    loop {
        let ctx = shared.settings.engine.context(now(), "system");
        if let Some(yesterday) = ctx.today.pred_opt()
            && let Err(error) = cut(&shared, yesterday, None, &ctx).await
        {
            tracing::warn!(%error, "claim-period cut failed; trying again next tick");
        }
        // The same clock expires dispute cases past their due date (chargeback-rules 6.4 D6).
        if let Err(error) = apply::expire_disputes(&*shared.store, &ctx).await {
            tracing::warn!(%error, "expiring dispute cases failed; trying again next tick");
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::Path;

    use chrono::Days;

    use super::*;
    use crate::app::Gateway;
    use crate::settings::Settings;

    fn sample(shared: &Shared, name: &str) -> schemas::Document {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../samples")
            .join(name);
        let bytes = std::fs::read(path).unwrap();
        let profiles = shared.profiles.current();
        let mut docs = Vec::new();
        for outcome in partner_maps::translate(&bytes[..], name, &profiles, None) {
            docs.extend(outcome.documents().iter().cloned());
        }
        docs.remove(0)
    }

    /// The tick of a running gateway cuts a period that ended yesterday (GOOD DRUG's Daily
    /// batch of the day before): Review and Claim, so it awaits review; today's is left.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_tick_cuts_the_periods_ended_before_today() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../partner-maps/profiles");
        let config = format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}\"\ndrop_root = \"{d}/drop\"\nprofiles = \"{}\"\n[database]\nurl = \"sqlite://{d}/cg.db\"\n[identity]\nkey = \"{d}/key.pem\"\ncertificate = \"{d}/cert.pem\"\n",
            profiles.display()
        );
        let path = dir.path().join("chargegate.toml");
        std::fs::write(&path, config).unwrap();
        let settings = Settings::load_with_env(Some(&path), Vec::new()).unwrap();
        let gateway = Gateway::open(settings).await.unwrap();
        let shared = gateway.shared.clone();
        let partners = shared.partners().unwrap();
        // A fixed clock: the tick's "today" is this test's, even across midnight.
        let now = "2026-12-02T09:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let yesterday = now.checked_sub_days(Days::new(1)).unwrap();
        for (n, (name, at)) in [
            ("845_4010_contract.x12", yesterday),
            ("867_4010_sales.x12", yesterday),
        ]
        .into_iter()
        .enumerate()
        {
            apply::apply_document(
                &*shared.store,
                &partners,
                "engine",
                &format!("m-{n}"),
                &sample(&shared, name),
                &apply::Context::at(at, "system"),
            )
            .await
            .unwrap();
        }
        // Today's report: its period runs until midnight.
        let schemas::Document::SalesReport(mut today) = sample(&shared, "867_4010_sales.x12")
        else {
            panic!("not a sales report");
        };
        today.report_id.push_str("-TODAY");
        for l in &mut today.lines {
            l.invoice.push_str("-T");
        }
        apply::apply_document(
            &*shared.store,
            &partners,
            "engine",
            "m-today",
            &schemas::Document::SalesReport(today),
            &apply::Context::at(now, "system"),
        )
        .await
        .unwrap();
        let stop = CancellationToken::new();
        let tick = tokio::spawn(run_with_clock(
            shared.clone(),
            Duration::from_millis(50),
            stop.clone(),
            move || now,
        ));
        let status = |report: &'static str| {
            let shared = shared.clone();
            async move {
                let mut read = shared.store.reader().await.unwrap();
                apply::find_report_batch(&mut *read, "gooddrug", report)
                    .await
                    .unwrap()
                    .unwrap()
                    .status
            }
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while status("GDD-867-202611").await == "open" {
            assert!(std::time::Instant::now() < deadline, "the tick did not cut");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status("GDD-867-202611").await, "awaiting_review");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(status("GDD-867-202611-TODAY").await, "open");
        stop.cancel();
        tick.await.unwrap();
        shared.store.close().await;
    }
}
