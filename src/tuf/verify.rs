//! Verification: the ONE threshold function every role goes through, and the checks that turn a
//! `RawSigned<R>` into a `Verified<R>` (signatures + threshold, `_type`, version >= 1, expiry).
//!
//! Must not: read the clock (time is an `Expiry` argument) or trust anything unsigned.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::raw::RawSigned;
use super::verified::Verified;
use super::wire::{Key, Role, Root, Targets, WireSignature};
use super::{Error, KeyId, RoleName};

/// The keys allowed to sign a role and how many distinct ones must have signed.
#[derive(Debug, Clone, Copy)]
pub struct KeySet<'a> {
    /// Key objects by claimed ID (root `keys` or a parent's `delegations.keys`).
    pub keys: &'a BTreeMap<KeyId, Key>,
    /// The key IDs authorised for the role.
    pub authorised: &'a [KeyId],
    pub threshold: i64,
}

/// Whether expiry is enforced, and at which time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Refuse metadata that expired before this instant.
    At(DateTime<Utc>),
    /// Accept expired metadata (stored history, the previous root during rotation).
    Ignore,
}

/// Count distinct authorised keys with a valid signature over `canonical`; succeed with the set
/// of those key IDs when at least `threshold` signed.
///
/// A signature counts only if its key ID is authorised, the key object exists, the key's
/// computed ID equals the claimed ID, and the signature verifies. Unknown keys and bad
/// signatures are skipped; a repeated key counts once.
pub fn check_threshold(
    role: &RoleName,
    canonical: &[u8],
    signatures: &[WireSignature],
    keys: KeySet<'_>,
) -> Result<BTreeSet<KeyId>, Error> {
    if keys.threshold < 1 {
        return Err(Error::InvalidThreshold {
            role: role.clone(),
            threshold: keys.threshold,
        });
    }
    if signatures.is_empty() {
        return Err(Error::NoSignatures { role: role.clone() });
    }
    let mut valid = BTreeSet::new();
    let mut mismatch = None;
    for sig in signatures {
        if valid.contains(&sig.keyid) || !keys.authorised.contains(&sig.keyid) {
            continue;
        }
        let Some(key) = keys.keys.get(&sig.keyid) else {
            continue;
        };
        let computed = key.key_id();
        if computed != sig.keyid {
            mismatch = Some((sig.keyid.clone(), computed));
            continue;
        }
        let Ok(public) = key.to_public() else {
            continue; // unknown key type: cannot verify
        };
        if public.verify(&sig.method, canonical, &sig.sig).is_ok() {
            valid.insert(sig.keyid.clone());
        }
    }
    if (valid.len() as u64) >= keys.threshold as u64 {
        return Ok(valid);
    }
    if let Some((claimed, computed)) = mismatch {
        return Err(Error::KeyIdMismatch {
            role: role.clone(),
            claimed,
            computed,
        });
    }
    Err(Error::Threshold {
        role: role.clone(),
        valid: valid.len(),
        threshold: keys.threshold,
    })
}

/// Version and expiry checks common to every role.
pub(super) fn check_header<R: Role>(
    role: &RoleName,
    signed: &R,
    expiry: Expiry,
) -> Result<(), Error> {
    if signed.version() < 1 {
        return Err(Error::InvalidVersion {
            role: role.clone(),
            version: signed.version(),
        });
    }
    if let Expiry::At(now) = expiry {
        if signed.expires().is_expired_at(now) {
            return Err(Error::Expired {
                role: role.clone(),
                expires: signed.expires().to_utc(),
                now,
            });
        }
    }
    Ok(())
}

impl<R: Role> RawSigned<R> {
    /// Verify against an explicit key set: signatures + threshold, version >= 1, expiry.
    /// (`_type` was checked when parsing.)
    pub fn verify(self, keys: KeySet<'_>, expiry: Expiry) -> Result<Verified<R>, Error> {
        let valid = check_threshold(self.role(), self.canonical_bytes(), self.signatures(), keys)?;
        check_header(self.role(), self.signed_untrusted(), expiry)?;
        let (role, signed, canonical, signatures) = self.into_parts();
        Ok(Verified::new(role, signed, canonical, signatures, valid))
    }

    /// Verify a base role (`targets`, `snapshot`, `timestamp`) against the keys the trusted root
    /// lists for it.
    pub fn verify_with_root(
        self,
        root: &Verified<Root>,
        expiry: Expiry,
    ) -> Result<Verified<R>, Error> {
        let role_keys = root
            .signed()
            .role(self.role())
            .ok_or_else(|| Error::MissingRole {
                role: self.role().clone(),
            })?;
        let keys = KeySet {
            keys: &root.signed().keys,
            authorised: &role_keys.keyids,
            threshold: role_keys.threshold,
        };
        self.verify(keys, expiry)
    }
}

impl RawSigned<Targets> {
    /// Verify a delegated role against the keys its (verified) parent delegates to it.
    pub fn verify_delegated(
        self,
        parent: &Verified<Targets>,
        expiry: Expiry,
    ) -> Result<Verified<Targets>, Error> {
        if self.role().parent().as_ref() != Some(parent.role()) {
            return Err(Error::InvalidDelegation {
                parent: parent.role().clone(),
                role: self.role().clone(),
                reason: "not a direct child of this parent",
            });
        }
        let entry =
            parent
                .signed()
                .delegation(self.role())
                .ok_or_else(|| Error::DelegationNotFound {
                    parent: parent.role().clone(),
                    role: self.role().clone(),
                })?;
        let keys = KeySet {
            keys: &parent.signed().delegations.keys,
            authorised: entry.key_ids(),
            threshold: entry.threshold,
        };
        self.verify(keys, expiry)
    }
}
