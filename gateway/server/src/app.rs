//! The gateway process: opens the store (migrating it), the bus (declaring the topology),
//! the profiles and the AS2 identity, then runs every step on one tokio runtime until asked
//! to stop, and stops gracefully: no new input, in-flight work finished, connections closed.

use std::net::SocketAddr;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use transport::as2::LocalIdentity;

use crate::engine_worker::ENGINE_QUEUES;
use crate::http::{AppState, router};
use crate::ingest::Ingest;
use crate::profiles::Profiles;
use crate::settings::Settings;
use crate::shared::Shared;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database.
    #[error("database {url}: {source}")]
    Store {
        /// Redacted URL.
        url: String,
        /// Cause.
        source: store::StoreError,
    },
    /// The bus.
    #[error("bus: {0}")]
    Bus(#[from] bus::BusError),
    /// The profiles.
    #[error("partner profiles: {0}")]
    Profiles(#[from] partner_maps::LoadError),
    /// AS2 key or certificate.
    #[error("AS2 identity: {0}")]
    As2(#[from] transport::as2::As2Error),
    /// The HTTP listener.
    #[error("HTTP listener {listen}: {source}")]
    Listen {
        /// Address.
        listen: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A command that works on an existing gateway's state found no SQLite database where
    /// the configuration says it is (and created none).
    #[error(
        "no database at {} (database.url {url}): this command works on an existing gateway's state and creates none; run it where the gateway's chargegate.toml is, or name it with --config FILE or CHARGEGATE__DATABASE__URL",
        path.display()
    )]
    NoDatabase {
        /// Where the database was looked for, made absolute.
        path: std::path::PathBuf,
        /// The configured URL.
        url: String,
    },
}

/// A started gateway.
pub struct Gateway {
    /// Handles shared by the steps.
    pub shared: Arc<Shared>,
    /// The receive and parse/map steps.
    pub ingest: Arc<Ingest>,
}

/// The process-wide Prometheus recorder ([`crate::telemetry::handle`]).
pub fn metrics_handle() -> PrometheusHandle {
    crate::telemetry::handle()
}

impl Gateway {
    /// Opens everything the settings name; migrates the database.
    pub async fn open(settings: Settings) -> Result<Self, StartError> {
        std::fs::create_dir_all(&settings.paths.data)?;
        std::fs::create_dir_all(&settings.paths.drop_root)?;
        let store = open_store(&settings.database.url).await?;
        let mut topology = bus::Topology::chargegate();
        topology.retry.max_attempts = settings.workers.max_attempts;
        topology.retry.first_delay = std::time::Duration::from_millis(settings.workers.retry_ms);
        if !settings.bus.prefix.is_empty() {
            topology = topology.with_prefix(&settings.bus.prefix);
        }
        let bus = bus::connect(&settings.bus.url, topology).await?;
        let profiles = Arc::new(Profiles::load(&settings.paths.profiles)?);
        let identity = load_identity(&settings)?;
        let shared = Shared::new(settings, store, bus, profiles).with_as2(identity)?;
        for p in shared.profiles.current().iter() {
            let sftp_user = p.sftp.as_ref().map(|s| s.user.as_str());
            match shared.drops.prepare_partner(&p.id, sftp_user) {
                Ok((_, None)) => {}
                Ok((_, Some(why))) => {
                    tracing::warn!(partner = %p.id, why, "drop folder without SFTP chroot")
                }
                Err(error) => tracing::warn!(partner = %p.id, %error, "drop folder not created"),
            }
            // A `.part` no writer holds was left by a process that died writing it: the file
            // is written again whole when its message comes again.
            if let Err(error) = shared.drops.remove_stale_parts(&p.id) {
                tracing::warn!(partner = %p.id, %error, "stale temporary files not removed");
            }
        }
        let shared = Arc::new(shared);
        let ingest = Arc::new(Ingest {
            store: shared.store.clone(),
            raw: shared.raw.clone(),
            profiles: shared.profiles.clone(),
            wake_relay: shared.wake_relay.clone(),
            identity: shared.settings.identity.isa(),
        });
        Ok(Self { shared, ingest })
    }

    /// Binds the HTTP listener (port 0 picks one) and runs until `stop`; returns once every
    /// step has stopped.
    pub async fn run(self, stop: CancellationToken) -> Result<(), StartError> {
        let listener = self.bind().await?;
        self.serve(listener, stop).await
    }

    /// Binds the configured HTTP address.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, StartError> {
        let listen = self.shared.settings.http.listen.clone();
        tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| StartError::Listen { listen, source })
    }

    /// Runs every step with an already bound listener.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        stop: CancellationToken,
    ) -> Result<(), StartError> {
        let shared = self.shared.clone();
        // Installed before any step runs, so what the first steps count is kept.
        let metrics = metrics_handle();
        let addr: Option<SocketAddr> = listener.local_addr().ok();
        let mut tasks = JoinSet::new();
        let work = stop.child_token();
        // Before the relay's first pass: on the in-process bus, what an earlier run handed to
        // it and never saw consumed is published again, and consumers' acks are recorded.
        let settling = crate::relay::start_settling(shared.store.clone(), &*shared.bus)
            .await
            .map_err(|source| StartError::Store {
                url: redact(&shared.settings.database.url),
                source,
            })?;
        tasks.spawn(crate::relay::run(
            shared.store.clone(),
            shared.bus.clone(),
            shared.wake_relay.clone(),
            shared.settings.workers.relay(),
            work.clone(),
        ));
        for queue in ENGINE_QUEUES {
            tasks.spawn(crate::engine_worker::run(
                shared.clone(),
                (*queue).to_owned(),
                work.clone(),
            ));
        }
        tasks.spawn(crate::outbound::run(shared.clone(), work.clone()));
        tasks.spawn(crate::as2_mdn_wait::run(shared.clone(), work.clone()));
        if let Some(tick) = shared.settings.workers.cut_interval() {
            tasks.spawn(crate::cut::run(shared.clone(), tick, work.clone()));
        }
        tasks.spawn(crate::inbox::run(
            shared.clone(),
            self.ingest.clone(),
            work.clone(),
        ));
        let app = router(AppState {
            shared: shared.clone(),
            ingest: self.ingest.clone(),
            metrics,
        });
        let http_stop = stop.clone();
        tasks.spawn(async move {
            let server = axum::serve(listener, app)
                .with_graceful_shutdown(async move { http_stop.cancelled().await });
            if let Err(error) = server.await {
                tracing::error!(%error, "HTTP server stopped");
            }
        });
        tracing::info!(http = ?addr, database = %redact(&shared.settings.database.url), bus = %redact(&shared.settings.bus.url), "gateway running");
        stop.cancelled().await;
        tracing::info!("stopping: no new input; finishing in-flight work");
        while tasks.join_next().await.is_some() {}
        shared.bus.close().await;
        // Closing the bus ends its settlements: the last acks are recorded before the store
        // closes.
        if let Some(settling) = settling {
            let _ = settling.await;
        }
        shared.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Opens the store a URL names (creating a SQLite file's folder, or a PostgreSQL database
/// that does not exist yet) and migrates it.
pub async fn open_store(url: &str) -> Result<Arc<dyn store::Store>, StartError> {
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let err = |source| StartError::Store {
        url: redact(url),
        source,
    };
    store::ensure_database(url).await.map_err(err)?;
    let store = store::connect(url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    Ok(store)
}

/// Opens the database of an existing gateway, for the commands that read or work on its
/// state (`transactions`, `replay`, `batches`, `roster`): unlike [`open_store`], it creates
/// nothing. A SQLite file that is not there is [`StartError::NoDatabase`] (an operator in the
/// wrong directory would otherwise be shown a new, empty database: nothing failed); a
/// PostgreSQL database that does not exist is the server's error.
pub async fn open_existing_store(url: &str) -> Result<Arc<dyn store::Store>, StartError> {
    if let Some(path) = sqlite_file(url)
        && !path.is_file()
    {
        return Err(StartError::NoDatabase {
            path: std::path::absolute(&path).unwrap_or(path),
            url: redact(url),
        });
    }
    let err = |source| StartError::Store {
        url: redact(url),
        source,
    };
    let store = store::connect(url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    Ok(store)
}

/// The file of a SQLite URL (`sqlite://data/chargegate.db`, `sqlite:///abs/cg.db?mode=rwc`,
/// `sqlite:cg.db`); `None` for other databases and in-memory SQLite.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Our AS2 key and certificate; a self-signed pair is generated at first start so the
/// embedded defaults need no setup (production configures its own).
fn load_identity(settings: &Settings) -> Result<LocalIdentity, StartError> {
    let id = &settings.identity;
    if id.key.exists() && id.certificate.exists() {
        return Ok(LocalIdentity::from_pem_files(
            &id.as2_id,
            &id.key,
            &id.certificate,
        )?);
    }
    for path in [&id.key, &id.certificate] {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
    }
    tracing::warn!(key = %id.key.display(), certificate = %id.certificate.display(), "no AS2 key: generated a self-signed one");
    Ok(LocalIdentity::generate(
        &id.as2_id,
        &id.key,
        &id.certificate,
    )?)
}

/// A URL without its password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_file_of_a_sqlite_url() {
        for (url, file) in [
            ("sqlite://data/chargegate.db", Some("data/chargegate.db")),
            (
                "sqlite:///var/lib/cg/cg.db?mode=rwc",
                Some("/var/lib/cg/cg.db"),
            ),
            ("sqlite:cg.db", Some("cg.db")),
            ("sqlite::memory:", None),
            ("sqlite://cg.db?mode=memory&cache=shared", None),
            ("postgres://postgres@127.0.0.1/chargegate", None),
        ] {
            assert_eq!(sqlite_file(url), file.map(PathBuf::from), "{url}");
        }
    }

    #[tokio::test]
    async fn an_existing_store_is_opened_but_a_missing_sqlite_file_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/cg.db");
        let url = format!("sqlite://{}", path.display());
        match open_existing_store(&url).await {
            Err(StartError::NoDatabase { path: p, .. }) => assert_eq!(p, path),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("opened a database that is not there"),
        }
        assert!(!path.exists() && !path.parent().unwrap().exists());
        open_store(&url).await.unwrap().close().await;
        open_existing_store(&url).await.unwrap().close().await;
    }
}
