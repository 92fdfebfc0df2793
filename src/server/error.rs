//! Errors of running the server (configuration, binding, storage at start-up). Errors
//! answered to HTTP clients use notary's error table instead.

use crate::error::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage: {0}")]
    Storage(#[from] super::storage::StorageError),
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::Storage(_) => Fault::Environment,
        }
    }
}
