//! The trust lock: a plain, sorted, diff-friendly JSON file a CI pipeline keeps in its own
//! repository, recording per repository the server, the root key IDs, and per tag the trusted
//! digest and its signers (format in docs/cli.md).
//!
//! This module reads, checks and writes the file; it does not fetch or verify metadata (the
//! CLI verifies first, then records or checks here). Writes are atomic (temp file + rename in
//! the same directory) and happen only when every entry passed.

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::update::error::{LockFailure, PolicyFailure, TrustError};

/// Mode of a written lock file (what the temporary-file writer used before gave it).
const LOCK_FILE_MODE: u32 = 0o600;

/// The only lock format version this build reads and writes.
pub const LOCK_VERSION: u64 = 1;

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustLock {
    pub version: u64,
    /// GUN -> what was trusted for it.
    pub repositories: BTreeMap<String, LockedRepo>,
}

/// One repository in the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRepo {
    /// Trust server URL the entry was verified against.
    pub server: String,
    /// Root key IDs (as in root.json) the root must list; sorted.
    pub root_keys: Vec<String>,
    /// Tag -> trusted digest and signers.
    pub tags: BTreeMap<String, LockedTag>,
}

/// One tag in the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedTag {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Signer names that signed this digest (sorted); verification requires all of them.
    pub signers: Vec<String>,
}

impl Default for TrustLock {
    fn default() -> Self {
        TrustLock {
            version: LOCK_VERSION,
            repositories: BTreeMap::new(),
        }
    }
}

fn lock_err(path: &Path, reason: LockFailure) -> TrustError {
    TrustError::Lock {
        path: path.to_path_buf(),
        reason,
    }
}

impl TrustLock {
    /// Read a lock file. `missing_ok` turns a missing file into an empty lock (for `lock add`).
    pub fn load(path: &Path, missing_ok: bool) -> Result<TrustLock, TrustError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TrustLock::default())
            }
            Err(e) => return Err(lock_err(path, LockFailure::Read(e.kind()))),
        };
        Self::parse(path, &bytes)
    }

    /// Parse lock bytes (`path` only names the file in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<TrustLock, TrustError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u64,
        }
        let v: VersionOnly = serde_json::from_slice(bytes).map_err(|e| {
            lock_err(
                path,
                LockFailure::Parse {
                    line: e.line(),
                    reason: e.to_string(),
                },
            )
        })?;
        if v.version != LOCK_VERSION {
            return Err(lock_err(path, LockFailure::Version(v.version)));
        }
        serde_json::from_slice(bytes).map_err(|e| {
            lock_err(
                path,
                LockFailure::Parse {
                    line: e.line(),
                    reason: e.to_string(),
                },
            )
        })
    }

    /// The file bytes: 2-space indented JSON, keys sorted (BTreeMap), lists sorted, newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut normal = self.clone();
        for repo in normal.repositories.values_mut() {
            repo.root_keys.sort();
            repo.root_keys.dedup();
            for tag in repo.tags.values_mut() {
                tag.signers.sort();
                tag.signers.dedup();
            }
        }
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"  ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        // Serialising plain strings, maps and numbers into a Vec cannot fail.
        let _ = normal.serialize(&mut ser);
        out.push(b'\n');
        out
    }

    /// Write atomically with `keystore::atomic_write` (mode 0600, as the temporary file it
    /// replaces had; the directory must exist).
    pub fn save(&self, path: &Path) -> Result<(), TrustError> {
        crate::keystore::atomic_write(path, &self.to_bytes(), LOCK_FILE_MODE).map_err(|e| {
            let kind = match &e {
                crate::keystore::Error::Io { source, .. } => source.kind(),
                _ => std::io::ErrorKind::Other,
            };
            lock_err(path, LockFailure::Write(kind))
        })
    }

    /// Record a verified tag (replacing an older entry for the same tag).
    pub fn record(
        &mut self,
        gun: &str,
        server: &str,
        root_keys: &[String],
        tag: &str,
        digest_hex: &str,
        signers: &[String],
    ) {
        let repo = self
            .repositories
            .entry(gun.to_string())
            .or_insert_with(|| LockedRepo {
                server: server.to_string(),
                root_keys: Vec::new(),
                tags: BTreeMap::new(),
            });
        repo.server = server.to_string();
        repo.root_keys = root_keys.to_vec();
        repo.root_keys.sort();
        repo.tags.insert(
            tag.to_string(),
            LockedTag {
                digest: format!("sha256:{digest_hex}"),
                signers: {
                    let mut s = signers.to_vec();
                    s.sort();
                    s
                },
            },
        );
    }

    /// The locked entry for a tag, or a policy failure naming it.
    pub fn entry(&self, gun: &str, tag: &str) -> Result<(&LockedRepo, &LockedTag), TrustError> {
        self.repositories
            .get(gun)
            .and_then(|r| r.tags.get(tag).map(|t| (r, t)))
            .ok_or_else(|| TrustError::Policy {
                reference: format!("{gun}:{tag}"),
                reason: PolicyFailure::NotLocked(format!("{gun}:{tag}")),
            })
    }
}

/// Check a verified tag against its lock entry: the digest must equal the locked one (unless
/// `allow_update`, the new digest being validly signed already), and every locked signer must
/// still have signed. Root keys are enforced earlier, as a pin, by the update walk.
pub fn check(
    reference: &str,
    locked: &LockedTag,
    digest_hex: &str,
    signers: &[String],
    allow_update: bool,
) -> Result<(), TrustError> {
    let actual = format!("sha256:{digest_hex}");
    if actual != locked.digest && !allow_update {
        return Err(TrustError::Policy {
            reference: reference.to_string(),
            reason: PolicyFailure::LockedDigest {
                locked: locked.digest.clone(),
                actual,
            },
        });
    }
    let missing: Vec<String> = locked
        .signers
        .iter()
        .filter(|s| !signers.contains(s))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(TrustError::Policy {
            reference: reference.to_string(),
            reason: PolicyFailure::LockedSigners {
                missing,
                have: signers.to_vec(),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bytes_are_sorted_and_round_trip() {
        let mut l = TrustLock::default();
        l.record(
            "z/b",
            "https://s",
            &v(&["bb", "aa"]),
            "v2",
            "02",
            &v(&["bob", "alice"]),
        );
        l.record("a/c", "https://s", &v(&["cc"]), "v1", "01", &[]);
        let bytes = l.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let expected = r#"{
  "version": 1,
  "repositories": {
    "a/c": {
      "server": "https://s",
      "root_keys": [
        "cc"
      ],
      "tags": {
        "v1": {
          "digest": "sha256:01",
          "signers": []
        }
      }
    },
    "z/b": {
      "server": "https://s",
      "root_keys": [
        "aa",
        "bb"
      ],
      "tags": {
        "v2": {
          "digest": "sha256:02",
          "signers": [
            "alice",
            "bob"
          ]
        }
      }
    }
  }
}
"#;
        assert_eq!(text, expected);
        assert_eq!(TrustLock::parse(Path::new("t"), &bytes).unwrap(), l);
    }

    #[test]
    fn save_then_load_and_version_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust.lock");
        assert_eq!(TrustLock::load(&path, true).unwrap(), TrustLock::default());
        assert_eq!(
            TrustLock::load(&path, false),
            Err(TrustError::Lock {
                path: path.clone(),
                reason: LockFailure::Read(std::io::ErrorKind::NotFound)
            })
        );
        let mut l = TrustLock::default();
        l.record("g", "s", &v(&["k"]), "t", "ab", &v(&["alice"]));
        l.save(&path).unwrap();
        assert_eq!(TrustLock::load(&path, false).unwrap(), l);
        assert_eq!(
            TrustLock::parse(&path, br#"{"version":2,"repositories":{}}"#),
            Err(TrustError::Lock {
                path: path.clone(),
                reason: LockFailure::Version(2)
            })
        );
        assert!(matches!(
            TrustLock::parse(&path, b"{\"version\":1,\"repositories\":{\"g\":{}}}"),
            Err(TrustError::Lock {
                reason: LockFailure::Parse { line: 1, .. },
                ..
            })
        ));
    }

    #[test]
    fn check_digest_and_signers() {
        let locked = LockedTag {
            digest: "sha256:aa".into(),
            signers: v(&["alice"]),
        };
        assert_eq!(
            check("r", &locked, "aa", &v(&["alice", "bob"]), false),
            Ok(())
        );
        assert_eq!(
            check("r", &locked, "bb", &v(&["alice"]), false),
            Err(TrustError::Policy {
                reference: "r".into(),
                reason: PolicyFailure::LockedDigest {
                    locked: "sha256:aa".into(),
                    actual: "sha256:bb".into()
                }
            })
        );
        assert_eq!(check("r", &locked, "bb", &v(&["alice"]), true), Ok(()));
        assert_eq!(
            check("r", &locked, "aa", &v(&["bob"]), true),
            Err(TrustError::Policy {
                reference: "r".into(),
                reason: PolicyFailure::LockedSigners {
                    missing: v(&["alice"]),
                    have: v(&["bob"])
                }
            })
        );
        let mut l = TrustLock::default();
        l.record("g", "s", &[], "t", "aa", &[]);
        assert!(l.entry("g", "t").is_ok());
        assert!(matches!(
            l.entry("g", "u"),
            Err(TrustError::Policy {
                reason: PolicyFailure::NotLocked(_),
                ..
            })
        ));
    }
}
