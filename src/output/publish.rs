//! stdout of the publishing commands (`sign`, `signer add/remove`, `revoke`, `key rotate`):
//! one human line per repository, or with `--json` one stable document (docs/cli.md).
#![allow(clippy::print_stdout)] // this module is where these commands write stdout

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

/// One signed tag in `trustctl sign --json` (an array of these).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SignedTagReport {
    /// The argument as given (`IMAGE:TAG`).
    pub image: String,
    /// The repository's GUN.
    pub repository: String,
    pub tag: String,
    /// `sha256:<hex>`.
    pub digest: String,
    pub size: u64,
    /// Roles the tag was signed into (`targets/releases`, `targets/alice`, or `targets`).
    pub roles: Vec<String>,
    /// Versions of the files published, by role.
    pub versions: BTreeMap<String, i64>,
    /// True when this publish initialised the repository.
    pub initialized: bool,
}

/// One repository changed by `signer add/remove`, `revoke` or `key rotate` (`--json`: an array).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RepoChangeReport {
    /// `signer-add`, `signer-remove`, `revoke`, `rotate`.
    pub action: String,
    pub repository: String,
    /// Signer name, tag (empty: every tag) or rotated role.
    pub subject: String,
    /// Roles edited.
    pub roles: Vec<String>,
    pub versions: BTreeMap<String, i64>,
    pub initialized: bool,
}

fn out(text: &str) -> std::io::Result<()> {
    let mut so = std::io::stdout().lock();
    so.write_all(text.as_bytes())?;
    so.flush()
}

/// Print a human line.
pub fn line(text: &str) -> std::io::Result<()> {
    out(&format!("{text}\n"))
}

/// Print a `--json` document (2-space indent, newline).
pub fn json<T: Serialize>(doc: &T) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(doc).map_err(std::io::Error::other)?;
    out(&format!("{text}\n"))
}
