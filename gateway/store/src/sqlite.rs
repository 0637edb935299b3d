//! [`SqliteStore`]: the embedded default (`./data/chargegate.db`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::StoreResult;
use crate::session::Session;
use crate::sql::Dialect;
use crate::{Store, StoreRead, StoreTx};

static MIGRATOR: Migrator = sqlx::migrate!("../../schemas/migrations/sqlite");

/// How long a writer waits for another writer's transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite in WAL mode with foreign keys on. Readers run beside one writer; writers queue on
/// `BEGIN IMMEDIATE`, which is what makes read-then-write transactions (version checks,
/// control numbers, cap checks) safe without row locks.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::with_options(options).await
    }

    /// Opens a `sqlite:` URL (`sqlite://data/chargegate.db`), creating the file if missing.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::with_options(SqliteConnectOptions::from_str(url)?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> StoreResult<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// The pool, for callers that need a raw connection (benchmarks, operations).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        tracing::info!(
            backend = "sqlite",
            migrations = MIGRATOR.iter().count(),
            "database migrations applied"
        );
        Ok(())
    }

    async fn begin(&self) -> StoreResult<Box<dyn StoreTx>> {
        Ok(Box::new(Session::SqliteTx(
            self.pool.begin_with("BEGIN IMMEDIATE").await?,
        )))
    }

    async fn reader(&self) -> StoreResult<Box<dyn StoreRead>> {
        Ok(Box::new(Session::SqliteConn(self.pool.acquire().await?)))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
