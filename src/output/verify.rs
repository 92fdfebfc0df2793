//! stdout of `verify`, `pull` and `lock`: the trusted digest, the pinned reference, or the
//! `--json` document (stable; documented in docs/cli.md).
#![allow(clippy::print_stdout)] // this module is where these commands write stdout

use std::io::Write;

use serde::Serialize;

/// The `trustctl verify --format json` document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    /// The argument as given (`IMAGE:TAG`).
    pub reference: String,
    /// The repository's GUN.
    pub repository: String,
    pub tag: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Manifest size in bytes, as signed.
    pub size: u64,
    /// `IMAGE@sha256:<hex>`, the reference to pull.
    pub pinned: String,
    /// The role the digest was taken from (`targets/releases`, `targets`, ...).
    pub role: String,
    /// Docker signer names of this digest (`Repo Admin` when only release roles hold it).
    pub signers: Vec<String>,
    /// Root key IDs of the trusted root (as in root.json).
    pub root_keys: Vec<String>,
    /// Trust server URL, or `(offline)`.
    pub server: String,
}

fn out(text: &str) -> std::io::Result<()> {
    let mut so = std::io::stdout().lock();
    so.write_all(text.as_bytes())?;
    so.flush()
}

/// Print one line (digest or reference).
pub fn line(text: &str) -> std::io::Result<()> {
    out(&format!("{text}\n"))
}

/// Print the JSON report (2-space indent, newline).
pub fn json(report: &VerifyReport) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    out(&format!("{text}\n"))
}
