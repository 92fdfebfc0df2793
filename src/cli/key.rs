//! `trustctl key generate|load|export|list` (and `rotate`, whose body is in `rotate.rs`).
//!
//! Key files use notary's format (encrypted PKCS#8 PEM with `role:`/`gun:` headers under
//! `<trust dir>/private/<key id>.key`, see `keystore`), so docker and notary read what
//! trustctl writes and the other way round. Every command asks for its passphrases and
//! encrypts before writing anything, so nothing is written unless the whole command succeeds.

use std::path::{Path, PathBuf};

use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::keystore::{
    self, atomic_write_new, decode_file, public_pem, EnvOrPrompt, KeyFile, KeyStore, FILE_MODE,
};
use crate::output::keys::{self as out, KeyListEntry, KeyReport};
use crate::tuf::KeyId;

use super::{Context, KeyCommand};

/// Variable consulted first for the passphrase of a key file being imported.
pub const IMPORT_PASSPHRASE_VAR: &str = "TRUSTCTL_IMPORT_PASSPHRASE";

pub async fn run(ctx: &Context, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Generate { name, dir, json } => generate(ctx, &name, dir, json),
        KeyCommand::Load { file, name, json } => load(ctx, &file, name.as_deref(), json),
        KeyCommand::List { json } => list(ctx, json),
        KeyCommand::Export { key_id, out } => export(ctx, &key_id, &out),
        KeyCommand::Rotate {
            image,
            role,
            server_managed,
            json,
        } => super::rotate::run(ctx, &image, role, server_managed, json).await,
    }
}

/// Docker's rule for key (signer) names: `^[a-z0-9][a-z0-9_-]*$`.
fn check_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok =
        bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "key name \"{name}\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character"
        )))
    }
}

fn io_out(e: std::io::Error) -> Error {
    Error::io("writing", "stdout", e)
}

fn generate(ctx: &Context, name: &str, dir: Option<PathBuf>, json: bool) -> Result<()> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let pub_path = dir.join(format!("{name}.pub"));
    if pub_path.exists() {
        return Err(Error::Usage(format!(
            "public key file already exists: \"{}\"",
            pub_path.display()
        )));
    }
    let key = PrivateKey::generate_ecdsa_p256()?;
    let store = KeyStore::new(&ctx.trust_dir);
    // Passphrase and encryption first: if either fails, nothing has been written.
    let prepared = store.prepare(&key, name, None, &mut EnvOrPrompt::new())?;
    atomic_write_new(
        &pub_path,
        public_pem(name, &key.public_key()).as_bytes(),
        FILE_MODE,
    )
    .map_err(|e| match e {
        keystore::Error::Exists { path } => Error::Usage(format!(
            "public key file already exists: \"{}\"",
            path.display()
        )),
        other => other.into(),
    })?;
    let entry = match prepared.commit() {
        Ok(entry) => entry,
        Err(e) => {
            // Leave nothing behind: the .pub is useless without its private key.
            let _ = std::fs::remove_file(&pub_path);
            return Err(e.into());
        }
    };
    let report = KeyReport {
        name: name.to_string(),
        key_id: entry.id.to_string(),
        private_key_file: entry.path.display().to_string(),
        public_key_file: Some(pub_path.display().to_string()),
    };
    out::generated(&report, json).map_err(io_out)
}

/// Import a PEM private key: ask its passphrase if encrypted (`TRUSTCTL_IMPORT_PASSPHRASE`,
/// else the variables of the class of its `role` header: docker signer keys use
/// `TRUSTCTL_DELEGATION_PASSPHRASE` / `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`), then
/// store it re-encrypted under the passphrase of role NAME (the delegation passphrase).
fn load(ctx: &Context, file: &Path, name: Option<&str>, json: bool) -> Result<()> {
    let name = name.unwrap_or("signer");
    check_name(name)?;
    let bytes = std::fs::read(file)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| Error::io("reading", file, e))?;
    let mut source = EnvOrPrompt::new().with_first(IMPORT_PASSPHRASE_VAR);
    let key = decode_file(&bytes, file, None, &mut source)?;
    let store = KeyStore::new(&ctx.trust_dir);
    let entry = store.save(&key, name, None, &mut EnvOrPrompt::new())?;
    let report = KeyReport {
        name: name.to_string(),
        key_id: entry.id.to_string(),
        private_key_file: entry.path.display().to_string(),
        public_key_file: None,
    };
    out::loaded(&report, &file.display().to_string(), json).map_err(io_out)
}

/// Write a key unencrypted (notary's PKCS#8 `PRIVATE KEY`, 0600, never over an existing
/// file): `docker trust key load` silently stores nothing for encrypted files.
fn export(ctx: &Context, key_id: &str, out: &Path) -> Result<()> {
    let id = KeyId::new(key_id).map_err(|e| Error::Usage(e.to_string()))?;
    if out.exists() {
        return Err(Error::Usage(format!("{} already exists", out.display())));
    }
    let store = KeyStore::new(&ctx.trust_dir);
    let key = store.load(&id, &mut EnvOrPrompt::new())?;
    let pem = KeyFile::encode_unencrypted(&key, None, None)?;
    atomic_write_new(out, pem.as_bytes(), FILE_MODE)?;
    tracing::warn!(file = %out.display(), "wrote an UNENCRYPTED private key; load it, then delete it");
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let rows: Vec<KeyListEntry> = KeyStore::new(&ctx.trust_dir)
        .list()?
        .into_iter()
        .map(|k| KeyListEntry {
            key_id: k.id.to_string(),
            role: k.role,
            repository: k.gun,
            file: k.path.display().to_string(),
        })
        .collect();
    out::list(&rows, json).map_err(io_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_name_rule() {
        for ok in ["alice", "a1", "ci-bot_2", "0x"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["Bad", "-a", "_a", "", "a.b", "a b", "é"] {
            assert!(matches!(check_name(bad), Err(Error::Usage(_))), "{bad}");
        }
    }
}
