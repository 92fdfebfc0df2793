//! Errors of the metadata model, one variant per kind of failure (and per attack).

use crate::error::Fault;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot write canonical JSON: {0}")]
    Canonical(&'static str),
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::InvalidName { .. } => Fault::Usage,
            Error::Canonical(_) => Fault::Verification,
        }
    }
}
