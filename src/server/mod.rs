//! `trustctl server`: a Notary v1 compatible trust server.
//!
//! `router(state)` builds the axum app (every request goes through `routes::handle`);
//! `serve(config, shutdown)` opens storage, binds, serves plain HTTP (loopback only) or TLS,
//! and shuts down gracefully, finishing in-flight requests. Storage backends live in
//! `storage/` (owned by the storage area); this module only uses the `Storage` trait.

pub mod auth;
pub mod cache;
pub mod config;
mod error;
pub mod errors;
pub mod generate;
pub mod metrics;
pub mod routes;
mod serve;
pub mod signing;
pub mod storage;
pub mod validate;

use std::sync::Arc;

use crate::clock::Clock;

pub use config::ServerConfig;
pub use error::Error;
pub use serve::{open_storage, serve, serve_listener, tls_acceptor, OpenStorage};
pub use signing::{KeyAlgorithm, KeyVault};

/// Default bound on a publish body (all parts together).
pub const DEFAULT_MAX_BODY: usize = 32 << 20;

/// Settings of a running server other than storage, keys and clock.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cache: config::CacheConfig,
    pub gun_prefixes: Vec<String>,
    /// Largest accepted publish body in bytes.
    pub max_body: usize,
    /// Authentication of requests (`None`: open server).
    pub auth: Option<Arc<auth::Authenticator>>,
    /// Bytes of metadata bodies kept in memory (`cache::BodyCache`; 0 disables it).
    pub body_cache: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cache: config::CacheConfig::default(),
            gun_prefixes: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
            auth: None,
            body_cache: cache::DEFAULT_CACHE_BYTES,
        }
    }
}

/// Everything a request handler needs. Shared read-only between requests.
pub struct Inner {
    pub(crate) storage: Arc<dyn storage::Storage>,
    pub(crate) vault: KeyVault,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: config::CacheConfig,
    pub(crate) gun_prefixes: Vec<String>,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) max_body: usize,
    pub(crate) auth: Option<Arc<auth::Authenticator>>,
    pub(crate) bodies: cache::BodyCache,
}

/// The state of the axum app.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    pub fn new(
        storage: Arc<dyn storage::Storage>,
        vault: KeyVault,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                storage,
                vault,
                clock,
                cache: settings.cache,
                gun_prefixes: settings.gun_prefixes,
                metrics: metrics::Metrics::default(),
                max_body: settings.max_body,
                auth: settings.auth,
                bodies: cache::BodyCache::new(settings.body_cache),
            }),
        }
    }

    pub(crate) fn max_body(&self) -> usize {
        self.inner.max_body
    }
}

/// The HTTP application: notary's routing table behind one handler.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .fallback(routes::handle)
        .with_state(state)
}
