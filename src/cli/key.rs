//! `trustctl key generate|load|list` (and `rotate`, whose body is in `rotate.rs`).
//!
//! Key files use notary's format (encrypted PKCS#8 PEM with `role:`/`gun:` headers under
//! `<trust dir>/private/<key id>.key`), so docker and notary read what trustctl writes and the
//! other way round. Nothing is written unless the whole command succeeds.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::client::publish::keyring::{
    read_key_file, unencrypted_pem, write_private_file, DirKeyring,
};
use crate::client::publish::sign::KeyLookup;
use crate::crypto::KeyType;
use crate::error::{Error, Result};
use crate::output::keys::{self as out, KeyListEntry, KeyReport};
use crate::tuf::KeyId;

use super::{Context, KeyCommand};

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

/// Docker's rule for key (signer) names.
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
    let key = crate::crypto::PrivateKey::generate_ecdsa_p256()?;
    let public = key.public_key();
    let pem = public_pem(name, public.public_bytes());
    let mut ring = DirKeyring::open(&ctx.trust_dir)?;
    // The private key first: if asking for its passphrase fails, no .pub is left behind.
    let key = ring.save(key, name, None)?;
    write_private_file(&pub_path, pem.as_bytes())?;
    let id = key.key_id();
    let report = KeyReport {
        name: name.to_string(),
        key_id: id.to_string(),
        private_key_file: private_path(&ctx.trust_dir, id.as_str()),
        public_key_file: Some(pub_path.display().to_string()),
    };
    out::generated(&report, json).map_err(io_out)
}

/// The `.pub` file docker writes: PEM `PUBLIC KEY` with a `role` header, SPKI DER inside.
fn public_pem(name: &str, spki: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki);
    let mut out = format!("-----BEGIN PUBLIC KEY-----\nrole: {name}\n\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn private_path(trust_dir: &Path, id: &str) -> String {
    trust_dir
        .join("private")
        .join(format!("{id}.key"))
        .display()
        .to_string()
}

/// The passphrase of a key file being imported: `TRUSTCTL_IMPORT_PASSPHRASE`, else the
/// delegation passphrase variables (docker encrypts signer keys with its repository
/// passphrase), else a prompt on the terminal.
fn import_passphrase(file: &Path) -> Result<Zeroizing<String>> {
    for var in [
        "TRUSTCTL_IMPORT_PASSPHRASE",
        "TRUSTCTL_DELEGATION_PASSPHRASE",
        "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
    ] {
        if let Some(v) = std::env::var_os(var) {
            return Ok(Zeroizing::new(v.to_string_lossy().to_string()));
        }
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::Usage(format!(
            "{} is encrypted: set TRUSTCTL_IMPORT_PASSPHRASE (no terminal to ask on)",
            file.display()
        )));
    }
    let prompt = format!("Enter passphrase for encrypted key {}: ", file.display());
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| Error::io("reading passphrase for", file, e))
}

fn load(ctx: &Context, file: &Path, name: Option<&str>, json: bool) -> Result<()> {
    let name = name.unwrap_or("signer");
    check_name(name)?;
    let key = read_key_file(file, || import_passphrase(file))?;
    if key.keytype() != KeyType::Ecdsa {
        return Err(crate::crypto::Error::UnsupportedKeyType(format!(
            "{} ({}: trustctl stores ECDSA P-256 signer keys, as docker generates them)",
            key.keytype(),
            file.display()
        ))
        .into());
    }
    let mut ring = DirKeyring::open(&ctx.trust_dir)?;
    let key = ring.save(key, name, None)?;
    let id = key.key_id();
    let report = KeyReport {
        name: name.to_string(),
        key_id: id.to_string(),
        private_key_file: private_path(&ctx.trust_dir, id.as_str()),
        public_key_file: None,
    };
    out::loaded(&report, &file.display().to_string(), json).map_err(io_out)
}

fn export(ctx: &Context, key_id: &str, out: &Path) -> Result<()> {
    let id = KeyId::new(key_id).map_err(|e| Error::Usage(e.to_string()))?;
    if out.exists() {
        return Err(Error::Usage(format!("{} already exists", out.display())));
    }
    let mut ring = DirKeyring::open(&ctx.trust_dir)?;
    let Some(key) = ring.key(&id)? else {
        return Err(Error::Usage(format!(
            "no private key {id} in {}",
            ctx.trust_dir.join("private").display()
        )));
    };
    let pem = unencrypted_pem(&key)?;
    write_private_file(out, pem.as_bytes())?;
    tracing::warn!(file = %out.display(), "wrote an UNENCRYPTED private key; load it, then delete it");
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let ring = DirKeyring::open(&ctx.trust_dir)?;
    let rows: Vec<KeyListEntry> = ring
        .list()
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
        for bad in ["Bad", "-a", "_a", "", "a.b", "a b"] {
            assert!(matches!(check_name(bad), Err(Error::Usage(_))), "{bad}");
        }
    }

    #[test]
    fn pub_file_matches_docker_layout() {
        let sample = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/samples/keys/alice.pub"
        ))
        .unwrap();
        let block = pem::parse(&sample).unwrap();
        assert_eq!(public_pem("alice", block.contents()), sample);
    }
}
