//! `SignedFile`: the exact bytes to ship or store, with the hashes and length computed from
//! those bytes. Snapshot and timestamp `meta` entries are built only from these, and fetched
//! files are checked against `FileMeta` here.

use crate::crypto::digest::{sha256, sha512};

use super::wire::{Base64, FileMeta, Hashes};
use super::{Error, RoleName};

/// The digests of a `SignedFile`'s bytes.
type Digests = ([u8; 32], [u8; 64]);

/// Exact file bytes and their digests. The digests are computed the first time they are
/// asked for (a client whose snapshot the server signs never needs them), always from these
/// bytes, which cannot change.
#[derive(Debug, Clone)]
pub struct SignedFile {
    bytes: Vec<u8>,
    digests: std::sync::OnceLock<Digests>,
}

impl PartialEq for SignedFile {
    fn eq(&self, other: &SignedFile) -> bool {
        // The digests are a function of the bytes.
        self.bytes == other.bytes
    }
}

impl Eq for SignedFile {}

/// Inputs at least this long have their two digests computed on two threads.
const PARALLEL_DIGESTS: usize = 256 * 1024;

/// SHA-256 and SHA-512 of `bytes` (the two digests notary lists), side by side on two
/// threads for large files.
pub fn digests(bytes: &[u8]) -> Digests {
    if bytes.len() < PARALLEL_DIGESTS {
        return (sha256(bytes), sha512(bytes));
    }
    std::thread::scope(|scope| {
        let sha512_of = scope.spawn(|| sha512(bytes));
        let sha256 = sha256(bytes);
        // A digest thread cannot fail; if it somehow did, compute here.
        let sha512 = sha512_of.join().unwrap_or_else(|_| sha512(bytes));
        (sha256, sha512)
    })
}

impl SignedFile {
    pub fn new(bytes: Vec<u8>) -> SignedFile {
        SignedFile {
            bytes,
            digests: std::sync::OnceLock::new(),
        }
    }

    fn digests(&self) -> &Digests {
        self.digests.get_or_init(|| digests(&self.bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn sha256(&self) -> &[u8; 32] {
        &self.digests().0
    }

    pub fn sha512(&self) -> &[u8; 64] {
        &self.digests().1
    }

    /// Lowercase hex sha256: the checksum in consistent URLs (`role.<hex>.json`).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256())
    }

    pub fn length(&self) -> i64 {
        self.bytes.len() as i64
    }

    /// `{"hashes":{"sha256","sha512"},"length"}` for snapshot/timestamp `meta`.
    pub fn file_meta(&self) -> FileMeta {
        let mut hashes = Hashes::new();
        hashes.insert("sha256".into(), Base64(self.sha256().to_vec()));
        hashes.insert("sha512".into(), Base64(self.sha512().to_vec()));
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
        ("sha256", sha256(bytes).to_vec()),
        ("sha512", sha512(bytes).to_vec()),
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

/// Structure of snapshot `meta` that server and client require (§3.1 step 4): `root` and
/// `targets` entries, sha256 of 32 bytes, sha512 (when present) of 64 bytes, for every entry.
pub fn check_snapshot_meta(snapshot: &super::wire::Snapshot) -> Result<(), Error> {
    let parent = RoleName::snapshot();
    for required in [RoleName::root(), RoleName::targets()] {
        let Some(meta) = snapshot.meta.get(&required) else {
            return Err(Error::MissingMeta {
                parent,
                role: required,
            });
        };
        if meta.hash("sha256").is_none() {
            return Err(Error::MissingHash { role: required });
        }
    }
    for (role, meta) in &snapshot.meta {
        for (alg, size) in [("sha256", 32), ("sha512", 64)] {
            if let Some(h) = meta.hash(alg) {
                if h.len() != size {
                    return Err(Error::BadHashLength {
                        role: role.clone(),
                        algorithm: alg,
                        length: h.len(),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::wire::{Expires, Snapshot};

    #[test]
    fn meta_from_bytes_and_checks() {
        let file = SignedFile::new(b"{}".to_vec());
        let meta = file.file_meta();
        let role = RoleName::targets();
        check_file_meta(&role, &meta, b"{}", true).unwrap();
        assert_eq!(
            check_file_meta(&role, &meta, b"{} ", true),
            Err(Error::LengthMismatch {
                role: role.clone(),
                expected: 2,
                actual: 3
            })
        );
        assert!(matches!(
            check_file_meta(&role, &meta, b"[]", true),
            Err(Error::HashMismatch {
                algorithm: "sha256",
                ..
            })
        ));
        let bare = FileMeta::new(Hashes::new(), 2);
        assert_eq!(
            check_file_meta(&role, &bare, b"{}", true),
            Err(Error::MissingHash { role: role.clone() })
        );

        let mut sn = Snapshot::new(1, Expires::utc(chrono::DateTime::UNIX_EPOCH));
        sn.set_meta(&RoleName::root(), &file);
        assert_eq!(
            check_snapshot_meta(&sn),
            Err(Error::MissingMeta {
                parent: RoleName::snapshot(),
                role: RoleName::targets()
            })
        );
        let mut short = file.file_meta();
        short.hashes.insert("sha512".into(), Base64(vec![0; 32]));
        sn.meta.insert(RoleName::targets(), short);
        assert_eq!(
            check_snapshot_meta(&sn),
            Err(Error::BadHashLength {
                role: RoleName::targets(),
                algorithm: "sha512",
                length: 32
            })
        );
        sn.set_meta(&RoleName::targets(), &file);
        check_snapshot_meta(&sn).unwrap();
    }
}
