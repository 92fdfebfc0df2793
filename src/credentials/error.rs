//! Errors of finding, storing and erasing credentials. Never carries a secret.

use std::path::PathBuf;

use crate::error::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Config { path: PathBuf, reason: String },
    #[error("credential helper docker-credential-{helper} {action}: {message}")]
    Helper {
        helper: String,
        action: &'static str,
        message: String,
    },
    #[error(
        "no credential helper is configured, and trustctl does not store passwords in plaintext: \
         set \"credsStore\" (e.g. \"pass\" or \"secretservice\") in {} or in docker's config.json, \
         or pass --insecure-store to accept a plaintext file",
        config.display()
    )]
    NoHelper { config: PathBuf },
    #[error(transparent)]
    Write(#[from] crate::keystore::Error),
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::Write(e) => e.fault(),
            _ => Fault::Environment,
        }
    }
}
