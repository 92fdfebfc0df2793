//! stdout of `trustctl key generate|load|list`: human lines, or with `--json` one stable
//! document each (docs/cli.md, section "Keys").
#![allow(clippy::print_stdout)] // this module is where the key commands write stdout

use serde::Serialize;

use super::publish::{json, line};

/// `key generate --json` and `key load --json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyReport {
    /// The signer name (the key file's `role` header).
    pub name: String,
    /// TUF key ID (also the private key file's name).
    pub key_id: String,
    /// The encrypted private key file in the trust directory.
    pub private_key_file: String,
    /// The `.pub` file written (`key generate` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key_file: Option<String>,
}

/// One row of `key list --json` (an array of these, sorted by key ID).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyListEntry {
    pub key_id: String,
    /// `root`, `targets`, `snapshot`, a delegation role or a signer name.
    pub role: String,
    /// The repository (GUN) for repository keys; null for root and signer keys.
    pub repository: Option<String>,
    pub file: String,
}

pub fn generated(r: &KeyReport, as_json: bool) -> std::io::Result<()> {
    if as_json {
        return json(r);
    }
    line(&format!("Generating key for {}...", r.name))?;
    line(&format!(
        "Successfully generated and loaded private key. Corresponding public key available: {}",
        r.public_key_file.as_deref().unwrap_or("")
    ))?;
    line(&format!("Key ID: {}", r.key_id))
}

pub fn loaded(r: &KeyReport, file: &str, as_json: bool) -> std::io::Result<()> {
    if as_json {
        return json(r);
    }
    line(&format!("Loading key from \"{file}\"..."))?;
    line(&format!("Successfully imported key from {file}"))?;
    line(&format!("Key ID: {} (role {})", r.key_id, r.name))
}

pub fn list(rows: &[KeyListEntry], as_json: bool) -> std::io::Result<()> {
    if as_json {
        return json(&rows);
    }
    let width = rows.iter().map(|r| r.role.len()).max().unwrap_or(4).max(4) + 3;
    let repo_width = rows
        .iter()
        .map(|r| r.repository.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(10)
        .max(10)
        + 3;
    line(&format!(
        "{:<66}{:<width$}{:<repo_width$}FILE",
        "ID", "ROLE", "REPOSITORY"
    ))?;
    for r in rows {
        line(&format!(
            "{:<66}{:<width$}{:<repo_width$}{}",
            r.key_id,
            r.role,
            r.repository.as_deref().unwrap_or("-"),
            r.file
        ))?;
    }
    Ok(())
}
