//! Errors of setting up server authentication (refused at start, before serving). Rejections
//! of individual requests are not errors: they are answered 401/403 by `mod.rs`.

use std::path::PathBuf;

use crate::error::Fault;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("authentication type {kind:?} is not supported (use htpasswd or token)")]
    UnknownKind { kind: String },
    #[error("auth option {option:?} is required for {kind} authentication")]
    MissingOption {
        kind: &'static str,
        option: &'static str,
    },
    #[error("cannot read {what} {}: {reason}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("htpasswd file {}: line {line} is not USER:HASH", path.display())]
    HtpasswdSyntax { path: PathBuf, line: usize },
    #[error("htpasswd file {} line {line} (user {user:?}): {kind} hashes are not accepted; recreate the entry with `htpasswd -B`", path.display())]
    HtpasswdHash {
        path: PathBuf,
        line: usize,
        user: String,
        kind: &'static str,
    },
    #[error("htpasswd file {} has no entries", path.display())]
    HtpasswdEmpty { path: PathBuf },
    #[error("root certificate bundle {}: {reason}", path.display())]
    Bundle { path: PathBuf, reason: String },
}

impl ConfigError {
    pub fn fault(&self) -> Fault {
        Fault::Environment
    }
}
