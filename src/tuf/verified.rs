//! `Verified<R>`: metadata whose signatures, threshold, type, version and expiry were checked.
//! The constructor is private to `tuf`; the only ways in are `RawSigned::verify*` and
//! `tuf::root::verify_root`.

use std::collections::BTreeSet;

use super::canonical::to_canonical_of;
use super::wire::{envelope_bytes, Role, WireSignature};
use super::{Error, KeyId, RoleName};

#[derive(Debug, Clone)]
pub struct Verified<R> {
    role: RoleName,
    signed: R,
    canonical: Vec<u8>,
    signatures: Vec<WireSignature>,
    valid_keys: BTreeSet<KeyId>,
}

impl<R: Role> Verified<R> {
    pub(super) fn new(
        role: RoleName,
        signed: R,
        canonical: Vec<u8>,
        signatures: Vec<WireSignature>,
        valid_keys: BTreeSet<KeyId>,
    ) -> Self {
        Verified {
            role,
            signed,
            canonical,
            signatures,
            valid_keys,
        }
    }

    pub fn role(&self) -> &RoleName {
        &self.role
    }

    /// The verified typed role (read from the signed canonical bytes).
    pub fn signed(&self) -> &R {
        &self.signed
    }

    pub fn version(&self) -> i64 {
        self.signed.version()
    }

    /// The typed role, giving up the proof (for editing a next version without a copy).
    pub fn into_signed(self) -> R {
        self.signed
    }

    /// Canonical bytes the signatures cover.
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.canonical
    }

    pub fn signatures(&self) -> &[WireSignature] {
        &self.signatures
    }

    /// Distinct authorised keys whose signatures verified.
    pub fn valid_keys(&self) -> &BTreeSet<KeyId> {
        &self.valid_keys
    }

    /// Go-exact file bytes of this metadata (typed struct re-serialised in the envelope).
    pub fn go_bytes(&self) -> Result<Vec<u8>, Error> {
        envelope_bytes(&to_canonical_of(&self.signed)?, &self.signatures)
    }
}
