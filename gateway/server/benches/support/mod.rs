//! An in-process gateway for the benchmarks: `server::app::Gateway` on a temporary directory,
//! embedded defaults or the servers, HTTP on a free loopback port.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use server::app::Gateway;
use server::settings::Settings;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running gateway; stop it with [`Running::stop`].
pub struct Running {
    pub shared: Arc<server::shared::Shared>,
    pub addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    pub dir: tempfile::TempDir,
}

/// Where the gateway keeps its state and which partner profiles it reads.
pub struct Setup {
    /// `None`: SQLite in the temporary directory.
    pub database: Option<String>,
    /// `None`: the in-process bus; else (URL, name prefix).
    pub bus: Option<(String, String)>,
    /// `None`: the repository's profiles.
    pub profiles: Option<PathBuf>,
    /// Called with the temporary directory before the gateway opens (keys, profiles).
    pub prepare: Box<dyn FnOnce(&Path)>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            database: None,
            bus: None,
            profiles: None,
            prepare: Box::new(|_| {}),
        }
    }
}

/// Opens and runs a gateway; its AS2 key and certificate are `<dir>/key.pem`, `<dir>/cert.pem`.
pub fn start(rt: &Runtime, setup: Setup) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    (setup.prepare)(dir.path());
    let d = dir.path().display();
    let database = setup
        .database
        .unwrap_or_else(|| format!("sqlite://{d}/chargegate.db"));
    let (bus, prefix) = setup.bus.unwrap_or(("memory://".into(), String::new()));
    let profiles = setup
        .profiles
        .unwrap_or_else(|| repo().join("partner-maps/profiles"));
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}/data\"\ndrop_root = \"{d}/drop\"\nprofiles = \"{}\"\n[database]\nurl = \"{database}\"\n[bus]\nurl = \"{bus}\"\nprefix = \"{prefix}\"\n[identity]\nkey = \"{d}/key.pem\"\ncertificate = \"{d}/cert.pem\"\n[workers]\nsettle_ms = 50\nscan_ms = 50\n",
        profiles.display()
    );
    std::fs::write(dir.path().join("chargegate.toml"), config).expect("config");
    let settings = Settings::load_with_env(Some(&dir.path().join("chargegate.toml")), Vec::new())
        .expect("settings");
    let (shared, addr, stop, task) = rt.block_on(async {
        let gateway = Gateway::open(settings).await.expect("gateway opens");
        let listener = gateway.bind().await.expect("listener");
        let addr = listener.local_addr().expect("address");
        let shared = gateway.shared.clone();
        let stop = CancellationToken::new();
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let _ = gateway.serve(listener, s).await;
        });
        (shared, addr, stop, task)
    });
    Running {
        shared,
        addr,
        stop,
        task,
        dir,
    }
}

impl Running {
    /// Stops the gateway and waits for every step to end.
    pub fn stop(self, rt: &Runtime) {
        self.stop.cancel();
        let _ = rt.block_on(self.task);
    }

    /// Drops `bytes` into a partner's inbox the careful way (`.part`, then rename).
    pub fn drop_into(&self, partner: &str, name: &str, bytes: &[u8]) {
        let inbox = self.shared.drops.path().join(partner).join("inbox");
        let part = inbox.join(format!("{name}.part"));
        std::fs::write(&part, bytes).expect("write");
        std::fs::rename(&part, inbox.join(name)).expect("rename");
    }
}
