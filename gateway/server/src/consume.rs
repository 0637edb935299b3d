//! The consumer loop every bus worker shares: subscribe (retrying while the bus is not
//! there yet), then hand each delivery to the worker, one at a time, until stopped.

use std::time::Duration;

use bus::Delivery;
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;

/// Consumes `queue` (unprefixed name) until `stop` or the bus closes.
pub async fn consume<F>(
    shared: &Shared,
    queue: &str,
    stop: &CancellationToken,
    mut handle: impl FnMut(Delivery) -> F,
) where
    F: Future<Output = ()>,
{
    let name = shared.queue(queue);
    let mut consumer = loop {
        match shared
            .bus
            .consume(&name, shared.settings.workers.prefetch)
            .await
        {
            Ok(c) => break c,
            Err(error) => {
                tracing::error!(queue = %name, %error, "cannot consume; retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = consumer.next() => next,
        };
        match next {
            None => return,
            Some(Err(error)) => tracing::warn!(queue = %name, %error, "delivery error"),
            Some(Ok(delivery)) => handle(delivery).await,
        }
    }
}
