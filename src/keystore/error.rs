//! Errors of the trust directory and key files.

use crate::error::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::Io { .. } => Fault::Environment,
        }
    }
}
