//! Errors of key handling and signatures.

use crate::error::Fault;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("unsupported key type {0:?}")]
    UnsupportedKeyType(String),
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::UnsupportedKeyType(_) => Fault::Environment,
        }
    }
}
