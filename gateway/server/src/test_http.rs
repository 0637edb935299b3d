//! The route tests of the store-only routes ([`StoreState`]): their router served on a free
//! loopback port over a fresh, migrated SQLite store ([`serve`]), and a bare HTTP/1.1 client
//! ([`send`]): one request on a fresh connection (`Content-Type: text/csv`, the uploads'
//! type), read until the server closes it; the status and the body as JSON (`null` when it is
//! none).

#![allow(clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use serde_json::Value;
use store::{SqliteStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::api::StoreState;
use crate::settings::EngineSettings;

/// A router being served; stopped when dropped.
pub(crate) struct Served {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Its database.
    pub store: Arc<dyn Store>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `routes` over a fresh, migrated SQLite store with the business day of `engine`.
pub(crate) async fn serve(routes: Router<StoreState>, engine: EngineSettings) -> Served {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("cg.db"))
            .await
            .expect("sqlite"),
    );
    store.migrate().await.expect("migrations");
    let app = routes.with_state(StoreState {
        store: store.clone(),
        engine,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("its address");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Served {
        addr,
        store,
        server,
        _dir: dir,
    }
}

/// Sends `method path` with `body`; the status and the JSON body.
pub(crate) async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return (0, Value::Null);
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    if stream.write_all(request.as_bytes()).await.is_err()
        || stream.read_to_string(&mut response).await.is_err()
    {
        return (0, Value::Null);
    }
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}
