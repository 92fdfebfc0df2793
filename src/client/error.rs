//! Errors of talking to a trust server or registry. Transport errors keep their kind.

use crate::error::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error(transparent)]
    Registry(#[from] super::registry::RegistryError),
    #[error(transparent)]
    Http(#[from] super::http::HttpError),
    #[error(transparent)]
    Trust(Box<super::update::error::TrustError>),
    #[error(transparent)]
    Publish(Box<super::publish::PublishError>),
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::Network { .. } => Fault::Environment,
            Error::Http(e) => e.fault(),
            Error::Registry(e) => e.fault(),
            Error::Trust(e) => e.fault(),
            Error::Publish(e) => e.fault(),
        }
    }
}
