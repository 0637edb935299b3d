//! SFTP drop intake: each complete file in a partner's inbox is received (raw copy stored,
//! rows written), processed, then moved to `processed/` or `rejected/`. The file leaves the
//! inbox only after its raw copy is stored, so nothing a partner dropped is ever lost.
//!
//! The watcher hands out a file only once nothing holds it open for writing; its size and
//! mtime are checked again as it is opened, at the end of its copy and before it is filed
//! away. A file that changed meanwhile (its writer was not done after all) is not taken, or,
//! changed after its copy, stays in the inbox, so its complete content is taken as a receipt
//! of its own once it settles: the copy taken short is never the only one.

use std::sync::Arc;

use store::{TransactionUpdate, TxState};
use tokio_util::sync::CancellationToken;
use transport::drop::{DropError, DropWatcher, Finish, IncomingFile};
use uuid::Uuid;

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
    let Some(receipt) = receive(ingest, &file).await else {
        return;
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
    file_away(shared, ingest, file, receipt.transaction, state).await;
}

/// Stores the raw copy of an inbox file and records its receipt; `None` (said in the log)
/// when it was not taken, the file left in the inbox.
async fn receive(ingest: &Ingest, file: &IncomingFile) -> Option<crate::ingest::Receipt> {
    // Opened without following symlinks (a partner cannot swap in a link to another file),
    // and only as it was found complete; the copy fails if it changes while it is read.
    let opened = match file.open_unchanged() {
        Ok(f) => f,
        Err(error @ DropError::Changed { .. }) => {
            // Its new size and mtime are seen by the watcher, which hands it out again.
            tracing::warn!(partner = %file.partner, file = %file.name, %error, "inbox file not taken");
            return None;
        }
        Err(error) => {
            tracing::error!(partner = %file.partner, file = %file.name, %error, "inbox file not opened");
            return None;
        }
    };
    match ingest
        .receive_reader(&file.partner, Channel::Sftp, Some(&file.name), opened)
        .await
    {
        Ok(r) => Some(r),
        Err(error) => {
            // Left in the inbox: handed out again when it changes (a copy it outgrew), else at
            // the next start.
            tracing::error!(partner = %file.partner, file = %file.name, %error, "file not received");
            None
        }
    }
}

/// Moves a processed file to `processed/` or `rejected/` after its transaction `id` ended in
/// `state`; a file that changed since it was taken stays in the inbox.
async fn file_away(
    shared: &Shared,
    ingest: &Ingest,
    file: IncomingFile,
    id: Uuid,
    state: Option<TxState>,
) {
    let finish = match state {
        Some(TxState::Failed) => Finish::Rejected,
        _ => Finish::Processed,
    };
    let drops = shared.drops.clone();
    let name = file.name.clone();
    match tokio::task::spawn_blocking(move || drops.finish(&file, finish)).await {
        Ok(Ok(path)) => tracing::debug!(path = %path.display(), "inbox file filed away"),
        Ok(Err(error @ DropError::Changed { .. })) => {
            tracing::warn!(transaction = %id, %error, "inbox file changed after it was taken: left in the inbox, to be taken again once complete");
            outgrown(ingest, id, &name).await;
        }
        Ok(Err(error)) => tracing::error!(%error, "inbox file not moved"),
        Err(error) => tracing::error!(%error, "inbox file not moved"),
    }
}

/// Says on a failed receipt that its file changed after it was taken, so whoever looks at it
/// (a replay would read the same short copy) knows the complete file comes as a receipt of
/// its own.
async fn outgrown(ingest: &Ingest, id: Uuid, name: &str) {
    let Ok(Some(tx)) = ingest.store.get_transaction(id).await else {
        return;
    };
    if tx.state != TxState::Failed {
        return;
    }
    let note = format!(
        "the inbox file {name} changed after it was taken (its writer was not done): this receipt holds it as it was then; the file as it is now stays in the inbox and is taken as a receipt of its own"
    );
    let error = match tx.error.as_deref() {
        Some(e) if !e.is_empty() => format!("{e}\n{note}"),
        _ => note,
    };
    let update = TransactionUpdate::new(id, tx.step, tx.state, "system", chrono::Utc::now())
        .with_error(error);
    if let Err(error) = ingest.store.update_transaction(&update).await {
        tracing::error!(transaction = %id, %error, "note not recorded");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Gateway, Settings};
    use std::path::Path;
    use transport::drop::Stamp;

    async fn gateway(dir: &Path) -> Gateway {
        let d = dir.display();
        let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../partner-maps/profiles");
        let config = format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}\"\ndrop_root = \"{d}/drop\"\nprofiles = \"{}\"\n[database]\nurl = \"sqlite://{d}/cg.db\"\n[identity]\nkey = \"{d}/key.pem\"\ncertificate = \"{d}/cert.pem\"\n",
            profiles.display()
        );
        let path = dir.join("chargegate.toml");
        std::fs::write(&path, config).unwrap();
        Gateway::open(Settings::load_with_env(Some(&path), Vec::new()).unwrap())
            .await
            .unwrap()
    }

    /// What the watcher hands out for the file at `path` as it is now.
    fn found(path: &Path) -> IncomingFile {
        let stamp = Stamp::of(&std::fs::symlink_metadata(path).unwrap()).unwrap();
        IncomingFile {
            partner: "gooddrug".into(),
            path: path.to_owned(),
            name: path.file_name().unwrap().to_str().unwrap().to_owned(),
            size: stamp.size,
            stamp,
        }
    }

    /// A file whose writer was not done when it was taken (a half upload that looked
    /// finished) fails, but is not filed away with its content lost: it stays in the inbox,
    /// its failed receipt says why, and, complete, it is taken as a receipt of its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_that_grows_after_it_was_taken_stays_in_the_inbox_and_goes_through_whole() {
        let dir = tempfile::tempdir().unwrap();
        let gw = gateway(dir.path()).await;
        let (shared, ingest) = (&gw.shared, &gw.ingest);
        let sample = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/867_4010_sales.x12"),
        )
        .unwrap();
        let dirs = shared.drops.partner_dirs("gooddrug").unwrap();
        let path = dirs.inbox.join("867.x12");
        let half = sample.len() / 2;
        std::fs::write(&path, &sample[..half]).unwrap();
        let first = found(&path);
        let receipt = receive(ingest, &first).await.unwrap();
        let processed = ingest.process(receipt.transaction).await.unwrap();
        assert_eq!(processed.state, Some(TxState::Failed));
        // The rest arrives before the file is filed away.
        std::fs::write(&path, &sample).unwrap();
        file_away(shared, ingest, first, receipt.transaction, processed.state).await;
        assert_eq!(std::fs::read(&path).unwrap(), sample, "left in the inbox");
        assert!(std::fs::read_dir(&dirs.rejected).unwrap().next().is_none());
        let tx = shared
            .store
            .get_transaction(receipt.transaction)
            .await
            .unwrap()
            .unwrap();
        let error = tx.error.unwrap_or_default();
        assert!(
            error.contains("changed after it was taken") && error.lines().count() >= 2,
            "{error}"
        );
        // Complete now: taken whole, as a receipt of its own.
        take(shared, ingest, found(&path)).await;
        assert!(!path.exists());
        assert_eq!(
            std::fs::read(dirs.processed.join("867.x12")).unwrap(),
            sample
        );
    }
}
