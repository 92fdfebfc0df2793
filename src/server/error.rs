//! Errors of running the server: configuration, binding, TLS, storage, server keys. Errors
//! answered to HTTP clients use notary's error table instead (`errors.rs`); when one of these
//! happens while serving a request it is logged and the client sees `UNKNOWN`.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::error::Fault;
use crate::tuf::{Gun, RoleName};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage: {0}")]
    Storage(#[from] super::storage::StorageError),
    #[error("cannot read server config {}: {source}", path.display())]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server config {}: {detail}", path.display())]
    ConfigParse { path: PathBuf, detail: String },
    #[error("server config: {key} has invalid value {value:?}: {reason}")]
    ConfigValue {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("invalid listen address {value:?} (expected HOST:PORT, e.g. 127.0.0.1:4443)")]
    InvalidAddr { value: String },
    #[error("refusing to serve plain HTTP on non-loopback address {addr}: configure --tls-cert and --tls-key")]
    PlainHttpNotLoopback { addr: SocketAddr },
    #[error("storage backend {backend:?} is not supported (use sqlite3 or postgres)")]
    UnsupportedBackend { backend: String },
    #[error("invalid storage URL {value:?} (expected sqlite:PATH or postgres://...)")]
    InvalidStorageUrl { value: String },
    #[error("server auth: {0}")]
    Auth(#[from] super::auth::ConfigError),
    #[error("no passphrase for server-managed keys: set TRUSTCTL_SERVER_PASSPHRASE or trust_service.passphrase in the config file")]
    MissingPassphrase,
    #[error("cannot read TLS {what} {}: {source}", path.display())]
    TlsRead {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS {what} {} holds no usable PEM {what}", path.display())]
    TlsEmpty { what: &'static str, path: PathBuf },
    #[error("TLS certificate and key are unusable: {reason}")]
    TlsConfig { reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create a temporary directory for the memory backend: {source}")]
    TempDir {
        #[source]
        source: std::io::Error,
    },
    #[error(
        "server key {key_id} of {role} in {gun} cannot be decrypted (wrong server passphrase?)"
    )]
    KeyDecrypt {
        gun: Gun,
        role: RoleName,
        key_id: String,
    },
    #[error("server key {key_id} of {role} in {gun} is corrupt: {reason}")]
    KeyCorrupt {
        gun: Gun,
        role: RoleName,
        key_id: String,
        reason: &'static str,
    },
    #[error("key generation: {0}")]
    Crypto(crate::crypto::Error),
    #[error("signing server metadata: {0}")]
    Tuf(Box<crate::tuf::Error>),
    #[error("stored metadata of {role} in {gun} is unreadable: {source}")]
    StoredMetadata {
        gun: Gun,
        role: RoleName,
        #[source]
        source: Box<crate::tuf::Error>,
    },
    #[error("the server holds no {role} key listed in the root of {gun}")]
    NoServerKey { gun: Gun, role: RoleName },
    #[error("the system random number generator failed")]
    Random,
    #[error("an internal lock was poisoned by a panic")]
    Poisoned,
    #[error("a blocking server task failed: {reason}")]
    Task { reason: String },
}

impl From<crate::tuf::Error> for Error {
    fn from(e: crate::tuf::Error) -> Self {
        Error::Tuf(Box::new(e))
    }
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::InvalidAddr { .. } | Error::InvalidStorageUrl { .. } => Fault::Usage,
            _ => Fault::Environment,
        }
    }
}
