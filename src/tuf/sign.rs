//! Signing: canonicalise a typed role, sign it with the given keys, optionally keep still-valid
//! signatures of other authorised keys, and produce the Go-exact envelope as a `SignedFile`.

use super::canonical::to_canonical_sized;
use super::signed_file::SignedFile;
use super::verify::KeySet;
use super::wire::{envelope_bytes, Base64, Role, Targets, WireSignature};
use super::{Error, KeyId, RoleName};
use crate::crypto::{PrivateKey, PublicKey};

/// A private key and the key ID its signatures are filed under (for a root key: the TUF ID of
/// its certificate key, not of the plain key).
#[derive(Debug, Clone, Copy)]
pub struct SigningKey<'a> {
    key: &'a PrivateKey,
    key_id: &'a KeyId,
}

impl<'a> SigningKey<'a> {
    /// Sign under `key_id`: `key.key_id()` for plain keys, the certificate key's TUF ID for root
    /// keys (check the pairing with `check_cert`).
    pub fn new(key: &'a PrivateKey, key_id: &'a KeyId) -> SigningKey<'a> {
        SigningKey { key, key_id }
    }

    /// Check that `cert` (an x509 key) certifies `key`, for signing under `cert`'s ID.
    pub fn check_cert(key: &PrivateKey, cert: &PublicKey) -> Result<(), Error> {
        match cert.canonical_key_id() {
            Ok(id) if id == key.key_id() => Ok(()),
            _ => Err(Error::SigningKeyMismatch {
                key_id: key.key_id(),
            }),
        }
    }
}

/// Existing signatures to keep when they still verify over the new bytes with an authorised key.
#[derive(Debug, Clone, Copy)]
pub struct KeepSignatures<'a> {
    pub signatures: &'a [WireSignature],
    pub keys: KeySet<'a>,
}

/// Sign `signed` as `role` and return the file bytes to upload/store.
pub fn sign_role<R: Role>(
    role: &RoleName,
    signed: &R,
    signers: &[SigningKey<'_>],
    keep: Option<KeepSignatures<'_>>,
) -> Result<SignedFile, Error> {
    // About 100 bytes per target entry (one or two digests); other roles are small.
    let capacity = signed
        .as_targets()
        .map_or(1024, |t| 1024 + 128 * t.targets.len());
    let canonical = to_canonical_sized(signed, capacity)?;
    check_custom_of(signed)?;
    let mut signatures: Vec<WireSignature> = Vec::with_capacity(signers.len());
    for signer in signers {
        if signatures.iter().any(|s| &s.keyid == signer.key_id) {
            continue;
        }
        let sig = signer
            .key
            .sign(&canonical)
            .map_err(|source| Error::Signing {
                role: role.clone(),
                source,
            })?;
        signatures.push(WireSignature {
            keyid: signer.key_id.clone(),
            method: sig.method.to_string(),
            sig: Base64(sig.bytes),
        });
    }
    if let Some(keep) = keep {
        for old in keep.signatures {
            if signatures.iter().any(|s| s.keyid == old.keyid)
                || !keep.keys.authorised.contains(&old.keyid)
            {
                continue;
            }
            let Some(key) = keep.keys.keys.get(&old.keyid) else {
                continue;
            };
            let still_valid = key.key_id() == old.keyid
                && key
                    .to_public()
                    .is_ok_and(|k| k.verify(&old.method, &canonical, &old.sig).is_ok());
            if still_valid {
                signatures.push(old.clone());
            }
        }
    }
    Ok(SignedFile::new(envelope_bytes(&canonical, &signatures)?))
}

/// Refuse targets whose `custom` data Go verifiers could not check (§5.3): its canonical form
/// must not contain `<`, `>` or `&`.
fn check_custom_of<R: Role>(signed: &R) -> Result<(), Error> {
    signed.as_targets().map_or(Ok(()), check_custom)
}

/// See `check_custom_of`.
pub fn check_custom(targets: &Targets) -> Result<(), Error> {
    for (name, meta) in &targets.targets {
        if let Some(custom) = &meta.custom {
            let bytes = super::canonical::to_canonical(custom)?;
            if bytes.iter().any(|b| matches!(b, b'<' | b'>' | b'&')) {
                return Err(Error::UnsafeCustom {
                    target: name.clone(),
                });
            }
        }
    }
    Ok(())
}
