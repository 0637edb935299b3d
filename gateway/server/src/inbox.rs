//! SFTP drop intake: each complete file in a partner's inbox is received (raw copy stored,
//! rows written), processed, then moved to `processed/` or `rejected/`. The file leaves the
//! inbox only after its raw copy is stored, so nothing a partner dropped is ever lost.

use std::sync::Arc;

use store::TxState;
use tokio_util::sync::CancellationToken;
use transport::drop::{DropWatcher, Finish, IncomingFile};

use crate::ingest::{Channel, Ingest};
use crate::shared::Shared;

/// Watches every partner's inbox until `stop`.
pub async fn run(shared: Arc<Shared>, ingest: Arc<Ingest>, stop: CancellationToken) {
    let partners: Vec<String> = shared
        .profiles
        .current()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let workers = &shared.settings.workers;
    let mut watcher = match DropWatcher::start(
        &shared.drops,
        &partners,
        workers.settle(),
        workers.scan(),
    ) {
        Ok(w) => w,
        Err(error) => {
            tracing::error!(%error, root = %shared.settings.paths.drop_root.display(), "drop folders not watched");
            return;
        }
    };
    tracing::info!(partners = partners.len(), root = %shared.settings.paths.drop_root.display(), "watching drop folders");
    loop {
        let file = tokio::select! {
            () = stop.cancelled() => return,
            file = watcher.next() => file,
        };
        let Some(file) = file else { return };
        // One file at a time per gateway keeps a partner's files in arrival order.
        take(&shared, &ingest, file).await;
    }
}

/// Receives, processes and files away one dropped file.
pub async fn take(shared: &Shared, ingest: &Ingest, file: IncomingFile) {
    // Opened without following symlinks: a partner cannot swap in a link to another file.
    let opened = match file.open() {
        Ok(f) => f,
        Err(error) => {
            tracing::error!(partner = %file.partner, file = %file.name, %error, "inbox file not opened");
            return;
        }
    };
    let receipt = match ingest
        .receive_reader(&file.partner, Channel::Sftp, Some(&file.name), opened)
        .await
    {
        Ok(r) => r,
        Err(error) => {
            // Left in the inbox: this watcher does not hand it out again; the next start does.
            tracing::error!(partner = %file.partner, file = %file.name, %error, "file not received");
            return;
        }
    };
    // A duplicate receipt is a file whose first run did not finish: this run finishes it.
    // (The same bytes after a finished run are a receipt of their own, refused in it.)
    let state = match ingest.process(receipt.transaction).await {
        Ok(p) => p.state,
        Err(error) => {
            tracing::error!(transaction = %receipt.transaction, %error, "file not processed");
            None
        }
    };
    let finish = match state {
        Some(TxState::Failed) => Finish::Rejected,
        _ => Finish::Processed,
    };
    let drops = shared.drops.clone();
    match tokio::task::spawn_blocking(move || drops.finish(&file, finish)).await {
        Ok(Ok(path)) => tracing::debug!(path = %path.display(), "inbox file filed away"),
        Ok(Err(error)) => tracing::error!(%error, "inbox file not moved"),
        Err(error) => tracing::error!(%error, "inbox file not moved"),
    }
}
