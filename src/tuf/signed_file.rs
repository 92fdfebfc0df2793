//! `SignedFile`: the exact bytes to ship or store, with the hashes and length computed from
//! those bytes. Snapshot and timestamp `meta` entries are built only from these, and fetched
//! files are checked against `FileMeta` here.

use sha2::{Digest, Sha256, Sha512};

use super::wire::{Base64, FileMeta, Hashes};
use super::{Error, RoleName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFile {
    bytes: Vec<u8>,
    sha256: [u8; 32],
    sha512: [u8; 64],
}

impl SignedFile {
    pub fn new(bytes: Vec<u8>) -> SignedFile {
        let sha256 = Sha256::digest(&bytes).into();
        let sha512 = Sha512::digest(&bytes).into();
        SignedFile {
            bytes,
            sha256,
            sha512,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    pub fn sha512(&self) -> &[u8; 64] {
        &self.sha512
    }

    /// Lowercase hex sha256: the checksum in consistent URLs (`role.<hex>.json`).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    pub fn length(&self) -> i64 {
        self.bytes.len() as i64
    }

    /// `{"hashes":{"sha256","sha512"},"length"}` for snapshot/timestamp `meta`.
    pub fn file_meta(&self) -> FileMeta {
        let mut hashes = Hashes::new();
        hashes.insert("sha256".into(), Base64(self.sha256.to_vec()));
        hashes.insert("sha512".into(), Base64(self.sha512.to_vec()));
        FileMeta::new(hashes, self.length())
    }
}

/// Check fetched `bytes` of `role` against the `FileMeta` its parent lists: length (when
/// `check_length`) and every sha256/sha512 present; at least one of them must be.
pub fn check_file_meta(
    role: &RoleName,
    expected: &FileMeta,
    bytes: &[u8],
    check_length: bool,
) -> Result<(), Error> {
    if check_length && expected.length != bytes.len() as i64 {
        return Err(Error::LengthMismatch {
            role: role.clone(),
            expected: expected.length,
            actual: bytes.len() as u64,
        });
    }
    let mut checked = false;
    for (alg, actual) in [
        ("sha256", Sha256::digest(bytes).to_vec()),
        ("sha512", Sha512::digest(bytes).to_vec()),
    ] {
        if let Some(want) = expected.hash(alg) {
            if want != actual.as_slice() {
                return Err(Error::HashMismatch {
                    role: role.clone(),
                    algorithm: alg,
                    expected: hex::encode(want),
                    actual: hex::encode(&actual),
                });
            }
            checked = true;
        }
    }
    if !checked {
        return Err(Error::MissingHash { role: role.clone() });
    }
    Ok(())
}
