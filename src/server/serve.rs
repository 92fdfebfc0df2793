//! Binding, TLS and the connection loop. Plain HTTP is served only on loopback (checked when
//! the config is resolved, warned about here); TLS uses rustls (ring) with HTTP/1.1 and h2.
//! On shutdown the listener closes, every open connection is asked to finish gracefully, and
//! in-flight requests (an accepted publish included) run to completion within
//! `SHUTDOWN_GRACE`.
//!
//! Must not: log request bodies, keys or credentials.

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::auth::{Authenticator, RemoteAddr};
use super::config::{ServerConfig, StorageConfig, TlsFiles};
use super::storage::{PostgresStorage, SqliteStorage, Storage};
use super::{router, AppState, Error, KeyVault, Settings};
use crate::clock::SystemClock;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// An opened storage backend; holds the temporary directory of the `memory` backend alive.
pub struct OpenStorage {
    pub storage: Arc<dyn Storage>,
    _temp: Option<tempfile::TempDir>,
}

/// Open the configured backend (blocking: call it off the async threads).
pub fn open_storage(config: &StorageConfig) -> Result<OpenStorage, Error> {
    match config {
        StorageConfig::Sqlite(path) => Ok(OpenStorage {
            storage: Arc::new(SqliteStorage::open(path)?),
            _temp: None,
        }),
        StorageConfig::Postgres(url) => Ok(OpenStorage {
            storage: Arc::new(PostgresStorage::connect(url)?),
            _temp: None,
        }),
        StorageConfig::Memory => {
            let dir = tempfile::tempdir().map_err(|source| Error::TempDir { source })?;
            tracing::warn!("storage backend \"memory\": using a temporary SQLite database; data is lost at exit");
            let opened = open_storage(&StorageConfig::Sqlite(dir.path().join("trust.db")))?;
            Ok(OpenStorage {
                storage: opened.storage,
                _temp: Some(dir),
            })
        }
    }
}

/// A TLS acceptor for the certificate chain and key in `files` (PEM).
pub fn tls_acceptor(files: &TlsFiles) -> Result<TlsAcceptor, Error> {
    let read = |what, path: &std::path::Path| {
        std::fs::read(path).map_err(|source| Error::TlsRead {
            what,
            path: path.to_path_buf(),
            source,
        })
    };
    let cert_pem = read("certificate", &files.cert)?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(Error::TlsEmpty {
            what: "certificate",
            path: files.cert.clone(),
        });
    }
    let key_pem = zeroize::Zeroizing::new(read("key", &files.key)?);
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .ok()
        .flatten()
        .ok_or_else(|| Error::TlsEmpty {
            what: "key",
            path: files.key.clone(),
        })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::TlsConfig {
            reason: e.to_string(),
        })?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::TlsConfig {
            reason: e.to_string(),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Run the server described by `config` until `shutdown` resolves.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let vault = KeyVault::new(&config.passphrase, config.key_algorithm)?;
    let storage_config = config.storage.clone();
    let auth_config = config.auth.clone();
    let (opened, auth) = tokio::task::spawn_blocking(move || {
        let auth = auth_config
            .as_ref()
            .map(Authenticator::from_config)
            .transpose()?
            .map(Arc::new);
        let opened = open_storage(&storage_config)?;
        opened.storage.check()?;
        Ok::<_, Error>((opened, auth))
    })
    .await
    .map_err(|e| Error::Task {
        reason: e.to_string(),
    })??;
    let settings = Settings {
        cache: config.cache,
        gun_prefixes: config.gun_prefixes.clone(),
        auth,
        ..Settings::default()
    };
    let state = AppState::new(
        opened.storage.clone(),
        vault,
        Arc::new(SystemClock),
        settings,
    );
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
    serve_listener(listener, tls, router(state), shutdown).await
}

/// Serve `app` on an already bound listener. Announces the bound address on one stderr line
/// (`trustctl server listening on https://127.0.0.1:PORT`).
pub async fn serve_listener(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let local = listener.local_addr().map_err(|source| Error::Bind {
        addr: ([0, 0, 0, 0], 0).into(),
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    if tls.is_none() {
        tracing::warn!(addr = %local, "serving plain HTTP (no TLS); docker refuses plain-HTTP trust servers");
    }
    let _ = writeln!(
        std::io::stderr(),
        "trustctl server listening on {scheme}://{local}"
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let app = app.clone().layer(axum::Extension(RemoteAddr(peer)));
                    let svc = TowerToHyperService::new(app);
                    let tls = tls.clone();
                    let stop = stop_rx.clone();
                    connections.spawn(async move {
                        connection(stream, peer, tls, svc, stop).await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!(
        open = connections.len(),
        "shutting down; finishing in-flight requests"
    );
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
    }
    let _ = writeln!(std::io::stderr(), "trustctl server stopped");
    Ok(())
}

async fn connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    tls: Option<TlsAcceptor>,
    svc: TowerToHyperService<axum::Router>,
    stop: watch::Receiver<bool>,
) {
    match tls {
        Some(acceptor) => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => serve_io(TokioIo::new(tls_stream), svc, stop).await,
                Ok(Err(e)) => tracing::debug!(peer = %peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
            }
        }
        None => serve_io(TokioIo::new(stream), svc, stop).await,
    }
}

async fn serve_io<I>(io: I, svc: TowerToHyperService<axum::Router>, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    if *stop.borrow_and_update() {
        conn.as_mut().graceful_shutdown();
    }
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "connection ended with an error during shutdown");
    }
}
