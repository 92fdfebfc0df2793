//! The crate-wide error type and the single place where an error becomes an exit code.
//!
//! Every module has its own error enum, classified by fault; this module wraps them and owns
//! `exit_code()`. Only `cli::main_entry` calls it.

use std::path::PathBuf;

/// What kind of failure an error is, which decides the exit code users script against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// I/O, network, configuration, anything environmental: exit 1.
    Environment,
    /// The command line was wrong: exit 2.
    Usage,
    /// No trust data for the repository, or the tag is not signed: exit 3.
    NoTrustData,
    /// Metadata failed verification (tampered, expired, rollback, policy not met): exit 4.
    Verification,
}

impl Fault {
    pub fn exit_code(self) -> u8 {
        match self {
            Fault::Environment => 1,
            Fault::Usage => 2,
            Fault::NoTrustData => 3,
            Fault::Verification => 4,
        }
    }
}

/// The top-level error. Each variant wraps one module's error or names a cross-cutting fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Tuf(#[from] crate::tuf::Error),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::Error),
    #[error(transparent)]
    Keystore(#[from] crate::keystore::Error),
    #[error(transparent)]
    Client(#[from] crate::client::Error),
    #[error(transparent)]
    Server(#[from] crate::server::Error),
    #[error(transparent)]
    Credentials(#[from] crate::credentials::Error),
    #[error(transparent)]
    Reference(#[from] crate::reference::Error),
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The fault class of this error, looking through context wrappers.
    pub fn fault(&self) -> Fault {
        match self {
            Error::Tuf(e) => e.fault(),
            Error::Crypto(e) => e.fault(),
            Error::Keystore(e) => e.fault(),
            Error::Client(e) => e.fault(),
            Error::Server(e) => e.fault(),
            Error::Credentials(e) => e.fault(),
            Error::Reference(_) | Error::Usage(_) => Fault::Usage,
            Error::Io { .. } => Fault::Environment,
            Error::Context { source, .. } => source.fault(),
        }
    }

    /// The process exit code for this error. Called only by `cli::main_entry`.
    pub fn exit_code(&self) -> u8 {
        self.fault().exit_code()
    }

    /// Wrap with a human context prefix ("signing docker.io/library/alpine:1").
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
