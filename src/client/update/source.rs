//! Where the update walk gets remote files: a small async trait the transport's Notary client
//! implements (and tests implement in memory), so the walk has no HTTP in it.

use std::future::Future;

use crate::tuf::{Gun, RoleName};

/// One remote metadata file, by the URL forms notary clients use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteFile {
    /// `<n>.root.json`: one root version (rotation walk).
    RootVersion(u64),
    /// `<role>.json`: the server's current file of a role: `root.json` (bootstrap only),
    /// `timestamp.json` (always fetched fresh), or a snapshot or targets asked for early (used
    /// only if it is what the verified parent lists).
    Current(RoleName),
    /// `<role>.<sha256 hex>.json`: a file by the hash its parent lists.
    ByHash { role: RoleName, sha256_hex: String },
}

impl RemoteFile {
    /// The path under `/v2/<gun>/_trust/tuf/`.
    pub fn file_name(&self) -> String {
        match self {
            RemoteFile::RootVersion(v) => format!("{v}.root.json"),
            RemoteFile::Current(role) => format!("{role}.json"),
            RemoteFile::ByHash { role, sha256_hex } => format!("{role}.{sha256_hex}.json"),
        }
    }
}

/// How a fetch failed; the kind matters (404 ends a root walk, anything else is an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The server answered 404: the file does not exist.
    NotFound,
    /// The body exceeded the limit the walk passed.
    TooLarge,
    /// Network, TLS, HTTP status or read failure, rendered for the one-line error.
    Other(String),
}

/// A source of remote metadata for one server.
pub trait MetadataSource: Sync {
    /// Fetch `file` of `gun`, reading at most `limit` bytes (a longer body is `TooLarge`).
    fn fetch(
        &self,
        gun: &Gun,
        file: &RemoteFile,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;

    /// The server, for messages (`<server> does not have trust data for <gun>`).
    fn server(&self) -> String;
}
