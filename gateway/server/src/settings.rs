//! The gateway's configuration (design.md 9): built-in defaults < `chargegate.toml` (or
//! `--config FILE`) < environment `CHARGEGATE__SECTION__KEY`, layered with the `config` crate.
//! With nothing configured the defaults are the embedded ones: SQLite, the in-process bus,
//! drop folders under `data/drop/`, HTTP on 127.0.0.1:8080.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

/// Everything `chargegate serve` reads from configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Who we are to partners.
    pub identity: IdentitySettings,
    /// HTTP listener (API, console, `POST /as2`).
    pub http: HttpSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// The message bus.
    pub bus: BusSettings,
    /// Files on disk.
    pub paths: PathSettings,
    /// Worker tuning.
    pub workers: WorkerSettings,
    /// The chargeback engine.
    #[serde(default)]
    pub engine: EngineSettings,
}

/// `[engine]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// The business day the engine works on (pricing, claim windows, claim dates and numbers,
    /// the claim-period cut) instead of today's UTC date, e.g. `"2026-12-01"`. For demos,
    /// tests and re-running a past day; rows and audit events still carry the real time.
    pub business_day: Option<NaiveDate>,
}

impl EngineSettings {
    /// The context of an action by `actor` at `now`: its business day is `now`'s UTC date,
    /// or the pinned one.
    pub fn context(&self, now: DateTime<Utc>, actor: impl Into<String>) -> apply::Context {
        apply::Context {
            today: self.today(now),
            ..apply::Context::at(now, actor)
        }
    }

    /// The business day at `now`: the pinned one, or `now`'s UTC date.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.business_day.unwrap_or_else(|| now.date_naive())
    }
}

/// `[identity]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettings {
    /// ISA05 we send.
    pub isa_qualifier: String,
    /// ISA06 we send.
    pub isa_id: String,
    /// AS2-From we send.
    pub as2_id: String,
    /// PEM private key for AS2 signing and decryption (generated at first start if missing).
    pub key: PathBuf,
    /// PEM certificate matching `key`.
    pub certificate: PathBuf,
}

impl IdentitySettings {
    /// Our envelope identity: ISA05/ISA06 (and GS02) of every file we send.
    pub fn isa(&self) -> partner_maps::render::Identity {
        partner_maps::render::Identity::new(&self.isa_qualifier, &self.isa_id)
    }
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// `host:port`; port 0 picks a free one (tests).
    pub listen: String,
    /// Largest AS2 request body accepted, in bytes.
    pub max_body: usize,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `postgres://user@host/db`.
    pub url: String,
}

/// `[bus]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusSettings {
    /// `memory://` or `amqp://user:pass@host:port/vhost`.
    pub url: String,
    /// Prefix for exchange and queue names (several gateways or test runs on one broker).
    pub prefix: String,
}

/// `[paths]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSettings {
    /// Raw files (`<data>/raw/ab/cd/<sha256>`) and other state outside the database.
    pub data: PathBuf,
    /// `<drop_root>/<partner>/{inbox,outbox,processed,rejected}`.
    pub drop_root: PathBuf,
    /// Partner profiles (`*.toml`).
    pub profiles: PathBuf,
}

/// `[workers]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// A dropped file is taken once its size and mtime stayed unchanged this long (ms).
    pub settle_ms: u64,
    /// Inbox rescan interval (ms), the safety net under file-system events.
    pub scan_ms: u64,
    /// Outbox relay poll interval when idle (ms).
    pub relay_ms: u64,
    /// Unacked deliveries per consumer.
    pub prefetch: u16,
    /// Deliveries of one message before it is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay (ms); each further retry doubles it.
    pub retry_ms: u64,
    /// How long an outbound AS2 message waits for its asynchronous MDN before it is resent
    /// (same Message-ID, same bytes), in ms.
    pub as2_mdn_timeout_ms: u64,
    /// Resends of an AS2 message whose asynchronous MDN does not come; after the last one
    /// times out too, the transaction fails.
    pub as2_resends: u32,
    /// How often the claim-period cut looks for Daily, Weekly and Monthly batches whose period
    /// ended before today (ms); 0 turns the automatic cut off (cut on demand only).
    pub cut_interval_ms: u64,
}

impl WorkerSettings {
    /// Settle time.
    pub fn settle(&self) -> Duration {
        Duration::from_millis(self.settle_ms)
    }
    /// Scan interval.
    pub fn scan(&self) -> Duration {
        Duration::from_millis(self.scan_ms)
    }
    /// Relay poll interval.
    pub fn relay(&self) -> Duration {
        Duration::from_millis(self.relay_ms)
    }
    /// How long an asynchronous MDN may take.
    pub fn as2_mdn_timeout(&self) -> Duration {
        Duration::from_millis(self.as2_mdn_timeout_ms)
    }
    /// The claim-period cut's tick; `None` when the automatic cut is off.
    pub fn cut_interval(&self) -> Option<Duration> {
        (self.cut_interval_ms > 0).then(|| Duration::from_millis(self.cut_interval_ms))
    }
}

/// The embedded defaults, as TOML so the layers merge key by key.
pub const DEFAULTS: &str = r#"
[identity]
isa_qualifier = "ZZ"
isa_id = "CHARGEGATE"
as2_id = "CHARGEGATE"
key = "certs/gateway.key.pem"
certificate = "certs/gateway.cert.pem"

[http]
listen = "127.0.0.1:8080"
max_body = 268435456

[database]
url = "sqlite://data/chargegate.db"

[bus]
url = "memory://"
prefix = ""

[paths]
data = "data"
drop_root = "data/drop"
profiles = "partner-maps/profiles"

[workers]
settle_ms = 1000
scan_ms = 500
relay_ms = 200
prefetch = 16
max_attempts = 5
retry_ms = 1000
as2_mdn_timeout_ms = 600000
as2_resends = 3
cut_interval_ms = 60000
"#;

/// A configuration that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(#[from] config::ConfigError);

impl Settings {
    /// Defaults, then `file` (or `./chargegate.toml` when it exists), then `CHARGEGATE__*`.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// [`Settings::load`] with the environment given (tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        builder = match file {
            Some(path) => builder.add_source(config::File::from(path).required(true)),
            None => builder.add_source(config::File::with_name("chargegate.toml").required(false)),
        };
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("CHARGEGATE__"))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("CHARGEGATE")
                .prefix_separator("__")
                .separator("__")
                .source(Some(env))
                .try_parsing(true),
        );
        Ok(builder.build()?.try_deserialize()?)
    }

    /// Whether this runs on the embedded defaults (SQLite and the in-process bus).
    pub fn embedded(&self) -> bool {
        self.database.url.starts_with("sqlite:") && self.bus.url.starts_with("memory:")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn no_configuration_gives_the_embedded_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load_with_env(Some(&write(&dir, "")), env(&[])).unwrap();
        assert!(s.embedded());
        assert_eq!(s.http.listen, "127.0.0.1:8080");
        assert_eq!(s.database.url, "sqlite://data/chargegate.db");
        assert_eq!(s.paths.drop_root, PathBuf::from("data/drop"));
        assert_eq!(s.identity.isa_id, "CHARGEGATE");
        assert_eq!(s.workers.as2_mdn_timeout(), Duration::from_secs(600));
        assert_eq!(s.workers.as2_resends, 3);
        assert_eq!(s.engine.business_day, None);
    }

    #[test]
    fn a_pinned_business_day_is_the_contexts_today_and_the_clock_stays_real() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "[engine]\nbusiness_day = \"2026-12-01\"\n");
        let s = Settings::load_with_env(Some(&file), env(&[])).unwrap();
        let now = "2027-06-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let ctx = s.engine.context(now, "ann");
        assert_eq!(ctx.today, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(ctx.now, now);
        assert_eq!(ctx.actor, "ann");
        let unpinned = Settings::load_with_env(Some(&write(&dir, "")), env(&[])).unwrap();
        assert_eq!(unpinned.engine.context(now, "ann").today, now.date_naive());
        let bad = write(&dir, "[engine]\nbusiness_day = \"2026-13-01\"\n");
        assert!(Settings::load_with_env(Some(&bad), env(&[])).is_err());
    }

    #[test]
    fn file_overrides_defaults_and_environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "[database]\nurl = \"postgres://postgres@127.0.0.1/cg\"\n[http]\nlisten = \"0.0.0.0:9000\"\n",
        );
        let s = Settings::load_with_env(
            Some(&file),
            env(&[
                ("CHARGEGATE__HTTP__LISTEN", "127.0.0.1:9100"),
                ("CHARGEGATE__WORKERS__PREFETCH", "4"),
                ("OTHER__HTTP__LISTEN", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url, "postgres://postgres@127.0.0.1/cg");
        assert_eq!(s.http.listen, "127.0.0.1:9100");
        assert_eq!(s.workers.prefetch, 4);
        assert!(!s.embedded());
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            Settings::load_with_env(Some(&write(&dir, "[http]\nlisten_on = \"x\"\n")), env(&[]))
                .unwrap_err();
        assert!(err.to_string().contains("listen_on"), "{err}");
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("chargegate.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}
