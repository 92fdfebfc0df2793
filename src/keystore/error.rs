//! Errors of the trust directory, key files and passphrase sources. Each names the key ID,
//! file or variable involved; none carries a passphrase.

use std::path::PathBuf;

use crate::error::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that must not be overwritten (a `.pub` file, an export target) exists.
    #[error("file already exists: \"{}\"", path.display())]
    Exists { path: PathBuf },
    /// The key file is corrupt, of an unsupported type or encryption.
    #[error("{}: {source}", path.display())]
    KeyFile {
        path: PathBuf,
        #[source]
        source: crate::crypto::Error,
    },
    /// The passphrase did not decrypt the key (from an env var: after one attempt; typed:
    /// after three).
    #[error("wrong passphrase for {what} in {} (passphrase from {origin})", path.display())]
    WrongPassphrase {
        /// `key <id>` or `encrypted key` (an import whose ID is not known yet).
        what: String,
        path: PathBuf,
        origin: String,
    },
    /// No env var set and no terminal to prompt on.
    #[error("no passphrase for {role} key {key}: set {env} (there is no terminal to ask on)")]
    NoPassphrase {
        role: String,
        key: String,
        env: &'static str,
    },
    #[error("Passphrase is too short. Please use a password manager to generate and store a good random passphrase.")]
    PassphraseTooShort,
    #[error("the passphrases entered do not match")]
    PassphraseMismatch,
    /// The file is named after one key ID but holds another key.
    #[error("{}: file is named for key {file_id} but holds key {actual_id}", path.display())]
    IdMismatch {
        path: PathBuf,
        file_id: String,
        actual_id: String,
    },
    #[error("no private key {key_id} in {}", dir.display())]
    KeyNotFound { key_id: String, dir: PathBuf },
    /// A role or GUN that cannot go into a PEM header.
    #[error("{what} {value:?} cannot be stored in a key file header")]
    BadHeader { what: &'static str, value: String },
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::Io { .. }
            | Error::Exists { .. }
            | Error::KeyFile { .. }
            | Error::WrongPassphrase { .. }
            | Error::NoPassphrase { .. }
            | Error::PassphraseTooShort
            | Error::PassphraseMismatch
            | Error::IdMismatch { .. }
            | Error::KeyNotFound { .. }
            | Error::BadHeader { .. } => Fault::Environment,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
