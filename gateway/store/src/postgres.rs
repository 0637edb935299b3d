//! [`PgStore`]: the production backend.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::error::StoreResult;
use crate::session::Session;
use crate::sql::Dialect;
use crate::{Store, StoreRead, StoreTx};

static MIGRATOR: Migrator = sqlx::migrate!("../../schemas/migrations/postgres");

/// PostgreSQL through a connection pool. Transactions are READ COMMITTED; concurrency is
/// handled by row locks (`FOR UPDATE`, upserts) and versions, never by retries here.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db`) with a pool of up to 16 connections.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = Self::session(PgConnectOptions::from_str(url)?);
        // A pool whose first connection fails retries it until the acquire timeout and then
        // says only "pool timed out" (launchbadge/sqlx#3808): an operator waited 30 s to learn
        // nothing. One direct connection first fails at once with the reason (refused, no
        // such database, authentication).
        PgConnection::connect_with(&options).await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// `options` with the session settings every Chargegate connection runs with (a pool
    /// given to [`PgStore::from_pool`] should be made with them too).
    pub fn session(options: PgConnectOptions) -> PgConnectOptions {
        // No JIT: its compile time (0.1 s and more, per execution) is paid by any query the
        // planner thinks costly, which for short transactional queries means a misestimate
        // (a history lookup planned before `batch_lines` was analyzed), never a gain.
        options
            .application_name("chargegate")
            .options([("jit", "off")])
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for callers that need a raw connection (benchmarks, operations).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        tracing::info!(
            backend = "postgres",
            migrations = MIGRATOR.iter().count(),
            "database migrations applied"
        );
        Ok(())
    }

    async fn begin(&self) -> StoreResult<Box<dyn StoreTx>> {
        Ok(Box::new(Session::PgTx(self.pool.begin().await?)))
    }

    async fn reader(&self) -> StoreResult<Box<dyn StoreRead>> {
        Ok(Box::new(Session::PgConn(self.pool.acquire().await?)))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
