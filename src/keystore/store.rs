//! The private keys of a trust directory: `<trust dir>/private/<canonical key id>.key`, one
//! notary-format PEM per key, 0600 files in 0700 directories (notary-v1.md §7.1-7.2).
//!
//! Owns: listing and finding keys by ID/role/GUN, loading a key with a passphrase source
//! (checking the file holds the key its name says), and saving keys in two steps (`prepare`
//! encrypts and writes nothing; `commit` writes) so commands can leave nothing behind on
//! error. Must not: decide which key signs what, or write anything but through
//! `atomic_write`.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::atomic::{atomic_write, ensure_dir, DIR_MODE, FILE_MODE};
use super::keyfile::{header_safe, KeyFile};
use super::passphrase::{Origin, PassphraseSource, Request};
use super::Error;
use crate::crypto::{Error as CryptoError, PrivateKey};
use crate::tuf::{Gun, KeyId};

/// Typed passphrases get this many tries; a passphrase from a variable gets one.
const PROMPT_ATTEMPTS: u32 = 3;

/// One key file in the trust directory (not decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The canonical key ID (the file name).
    pub id: KeyId,
    /// The `role` header (`root`, `targets`, `targets/releases`, a signer name...); empty
    /// if the file has none.
    pub role: String,
    /// The `gun` header (repository keys only).
    pub gun: Option<String>,
    pub path: PathBuf,
}

/// The key store of one trust directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    trust_dir: PathBuf,
}

impl KeyStore {
    /// The store under `trust_dir` (nothing is read or created yet).
    pub fn new(trust_dir: &Path) -> KeyStore {
        KeyStore {
            trust_dir: trust_dir.to_path_buf(),
        }
    }

    pub fn trust_dir(&self) -> &Path {
        &self.trust_dir
    }

    pub fn private_dir(&self) -> PathBuf {
        self.trust_dir.join("private")
    }

    /// Where the key with this (canonical) ID lives.
    pub fn key_path(&self, id: &KeyId) -> PathBuf {
        self.private_dir().join(format!("{id}.key"))
    }

    /// Every key file, sorted by ID. A missing directory is an empty store; files that are
    /// not `<64 hex>.key` are ignored; a key file without readable headers is listed with an
    /// empty role.
    pub fn list(&self) -> Result<Vec<KeyEntry>, Error> {
        let dir = self.private_dir();
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("reading", &dir, e)),
        };
        let mut out = Vec::new();
        for item in read {
            let item = item.map_err(|e| Error::io("reading", &dir, e))?;
            let name = item.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".key"))
                .and_then(|stem| KeyId::new(stem).ok())
            else {
                continue;
            };
            out.push(self.entry_at(id, item.path())?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn entry_at(&self, id: KeyId, path: PathBuf) -> Result<KeyEntry, Error> {
        let bytes = read_secret(&path)?;
        let (role, gun) = match KeyFile::parse(&bytes) {
            Ok(f) => (
                f.role().unwrap_or_default().to_string(),
                f.gun().map(str::to_string),
            ),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "unreadable key file");
                (String::new(), None)
            }
        };
        Ok(KeyEntry {
            id,
            role,
            gun,
            path,
        })
    }

    /// The key file of `id`, if present.
    pub fn entry(&self, id: &KeyId) -> Result<Option<KeyEntry>, Error> {
        let path = self.key_path(id);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => Ok(Some(self.entry_at(id.clone(), path)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &path, e)),
        }
    }

    /// Keys with this role (and this GUN, when given), sorted by ID.
    pub fn find(&self, role: &str, gun: Option<&Gun>) -> Result<Vec<KeyEntry>, Error> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|e| e.role == role)
            .filter(|e| gun.is_none_or(|g| e.gun.as_deref() == Some(g.as_str())))
            .collect())
    }

    /// Decrypt the key `id`, asking `source` for its passphrase (one attempt for a variable,
    /// three at the terminal). The key must be the one the file name says.
    pub fn load(&self, id: &KeyId, source: &mut dyn PassphraseSource) -> Result<PrivateKey, Error> {
        let path = self.key_path(id);
        // The file is read once (its headers and its key come from the same bytes).
        let bytes = match std::fs::symlink_metadata(&path) {
            Ok(_) => read_secret(&path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::KeyNotFound {
                    key_id: id.to_string(),
                    dir: self.private_dir(),
                })
            }
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        let key = decode_file(&bytes, &path, Some(id.as_str()), source)?;
        if key.key_id() != *id {
            return Err(Error::IdMismatch {
                path,
                file_id: id.to_string(),
                actual_id: key.key_id().to_string(),
            });
        }
        Ok(key)
    }

    /// Encrypt `key` for storage under `role` (`gun` for repository keys) with a new-key
    /// passphrase from `source`. Nothing is written until [`PreparedKey::commit`].
    pub fn prepare(
        &self,
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        source: &mut dyn PassphraseSource,
    ) -> Result<PreparedKey, Error> {
        if !header_safe(role) {
            return Err(Error::BadHeader {
                what: "role",
                value: role.to_string(),
            });
        }
        let id = key.key_id();
        let pass = source.passphrase(&Request {
            role,
            key: id.as_str(),
            new: true,
            attempt: 0,
        })?;
        let path = self.key_path(&id);
        let gun = gun.map(|g| g.as_str().to_string());
        let text = KeyFile::encode(key, role, gun.as_deref(), pass.secret.as_bytes()).map_err(
            |source| Error::KeyFile {
                path: path.clone(),
                source,
            },
        )?;
        Ok(PreparedKey {
            entry: KeyEntry {
                id,
                role: role.to_string(),
                gun,
                path,
            },
            private_dir: self.private_dir(),
            trust_dir: self.trust_dir.clone(),
            text,
        })
    }

    /// [`prepare`](Self::prepare) and [`commit`](PreparedKey::commit) in one step.
    pub fn save(
        &self,
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        source: &mut dyn PassphraseSource,
    ) -> Result<KeyEntry, Error> {
        self.prepare(key, role, gun, source)?.commit()
    }
}

/// An encrypted key ready to be written.
pub struct PreparedKey {
    entry: KeyEntry,
    trust_dir: PathBuf,
    private_dir: PathBuf,
    text: Zeroizing<String>,
}

impl PreparedKey {
    pub fn entry(&self) -> &KeyEntry {
        &self.entry
    }

    /// Create the 0700 directories if missing and write the 0600 key file atomically
    /// (replacing a file of the same key).
    pub fn commit(self) -> Result<KeyEntry, Error> {
        ensure_dir(&self.trust_dir, DIR_MODE)?;
        ensure_dir(&self.private_dir, DIR_MODE)?;
        atomic_write(&self.entry.path, self.text.as_bytes(), FILE_MODE)?;
        Ok(self.entry)
    }
}

fn read_secret(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::io("reading", path, e))
}

/// Decode the key file `bytes` (read from `path`), asking `source` for the passphrase if it
/// is encrypted. `id` is the key ID when known (store files), `None` for imports.
pub fn decode_file(
    bytes: &[u8],
    path: &Path,
    id: Option<&str>,
    source: &mut dyn PassphraseSource,
) -> Result<PrivateKey, Error> {
    let file_err = |source| Error::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let file = KeyFile::parse(bytes).map_err(file_err)?;
    if !file.is_encrypted() {
        return file.decode(None).map_err(file_err);
    }
    let role = file.role().unwrap_or("signer");
    let described = format!("encrypted key {}", path.display());
    let key_desc = id.unwrap_or(&described);
    let mut attempt = 0;
    loop {
        let pass = source.passphrase(&Request {
            role,
            key: key_desc,
            new: false,
            attempt,
        })?;
        match file.decode(Some(pass.secret.as_bytes())) {
            Ok(key) => return Ok(key),
            Err(CryptoError::WrongPassphrase) => {
                attempt += 1;
                if pass.origin != Origin::Prompt || attempt >= PROMPT_ATTEMPTS {
                    return Err(Error::WrongPassphrase {
                        what: id.map_or("encrypted key".into(), |i| format!("key {i}")),
                        path: path.to_path_buf(),
                        origin: pass.origin.to_string(),
                    });
                }
                eprintln!("Passphrase incorrect. Please retry.");
            }
            Err(e) => return Err(file_err(e)),
        }
    }
}
