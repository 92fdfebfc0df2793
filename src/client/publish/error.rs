//! Errors of publishing: what the user asked for could not be signed or the server refused it.
//! One variant per kind of failure, carrying the repository, role, tag, URL or path involved.

use std::path::PathBuf;

use crate::error::Fault;
use crate::tuf::{Gun, KeyId, RoleName};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PublishError {
    #[error("{image}: --size needs --digest (without both, the registry is asked)")]
    SizeWithoutDigest { image: String },
    #[error("{image}: --digest needs --size BYTES (the manifest size)")]
    SizeRequired { image: String },
    #[error("--digest {value:?} is not sha256:<64 hex characters>")]
    BadDigest { value: String },
    #[error("{image}: a tag is required (IMAGE:TAG)")]
    TagRequired { image: String },
    #[error("{image}: {reason}")]
    BadTag { image: String, reason: String },
    #[error("No valid trust data for {tag}")]
    TagNotSigned { gun: Gun, tag: String },
    #[error("no signed tags to remove in {gun}")]
    NothingSigned { gun: Gun },
    #[error("no valid signing keys for {gun}: you hold no key of targets or of any delegation role that may sign {tag}")]
    NoSigningRole { gun: Gun, tag: String },
    #[error(
        "cannot sign {role} of {gun}: none of its keys ({}) is in the trust directory",
        ids(key_ids)
    )]
    MissingKey {
        gun: Gun,
        role: RoleName,
        key_ids: Vec<KeyId>,
    },
    #[error("signer name {name:?} is invalid: it must start with a lowercase letter or digit and contain only a-z, 0-9, '-' and '_'")]
    BadSignerName { name: String },
    #[error("releases is a reserved keyword, use a different signer name")]
    ReservedSigner,
    #[error("no signer {name} for repository {gun}")]
    UnknownSigner { gun: Gun, name: String },
    #[error("cannot read public key {}: {reason}", path.display())]
    PublicKeyFile { path: PathBuf, reason: String },
    #[error(
        "{gun}: {role} cannot be rotated to a server-managed key; only snapshot and timestamp can"
    )]
    NotServerManageable { gun: Gun, role: RoleName },
    #[error("{gun} has no trust data on {server}; sign a tag or add a signer first")]
    NotInitialised { gun: Gun, server: String },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: server refused the update ({status} {code}): {detail}")]
    Rejected {
        url: String,
        status: u16,
        code: String,
        detail: String,
    },
    #[error("{url}: unexpected response {status}")]
    BadResponse { url: String, status: u16 },
    #[error("{url}: the server key for {role} is not a valid key: {reason}")]
    BadServerKey {
        url: String,
        role: RoleName,
        reason: String,
    },
    #[error("publishing {gun} conflicted twice with another publisher (server refused version {version} of {role}); run the command again")]
    Conflict {
        gun: Gun,
        role: RoleName,
        version: i64,
    },
    #[error("cancelled: nothing was changed")]
    Cancelled,
    #[error("{gun} was published, but the trust cache could not be written: {reason}")]
    CacheAfterPublish { gun: Gun, reason: String },
    #[error("{what} needs confirmation; pass {flag} to run without a terminal")]
    ConfirmationRequired {
        what: &'static str,
        flag: &'static str,
    },
}

fn ids(ids: &[KeyId]) -> String {
    ids.iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl PublishError {
    pub fn fault(&self) -> Fault {
        use PublishError::*;
        match self {
            SizeWithoutDigest { .. }
            | SizeRequired { .. }
            | BadDigest { .. }
            | TagRequired { .. }
            | BadTag { .. }
            | BadSignerName { .. }
            | ReservedSigner
            | NotServerManageable { .. }
            | ConfirmationRequired { .. } => Fault::Usage,
            TagNotSigned { .. } | NothingSigned { .. } | NotInitialised { .. } => {
                Fault::NoTrustData
            }
            NoSigningRole { .. }
            | MissingKey { .. }
            | UnknownSigner { .. }
            | PublicKeyFile { .. }
            | Network { .. }
            | Rejected { .. }
            | BadResponse { .. }
            | BadServerKey { .. }
            | Conflict { .. }
            | Cancelled
            | CacheAfterPublish { .. } => Fault::Environment,
        }
    }
}

impl From<PublishError> for crate::Error {
    fn from(e: PublishError) -> crate::Error {
        crate::Error::Client(crate::client::Error::Publish(Box::new(e)))
    }
}
