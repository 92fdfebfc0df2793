//! HTTP Basic credentials checked against an Apache htpasswd file holding bcrypt entries
//! (`$2y$`, `$2a$`, `$2b$`, as `htpasswd -B` writes them).
//!
//! The file is read at start (any other hash kind is refused, naming the line) and re-read when
//! its metadata (mtime, ctime, size, inode) changes; the check is one `stat` per request. A
//! re-read that fails keeps the previous entries and logs why. Unknown users cost one bcrypt
//! run against a dummy hash, so the answer time does not tell whether a user exists.
//!
//! Must not: log passwords or hashes; run on the async threads (bcrypt and `stat` block).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::ConfigError;

/// A bcrypt hash (cost 5, like `htpasswd -B`) of a random password nobody knows; verified
/// against for unknown users so that they take as long as known ones.
const DUMMY_HASH: &str = "$2y$05$bwQ2V0YOMIQv1NHbMv/rn.Zbm9XflNg1btdk18PQ3UNLx0ttYJloS";

/// Why a Basic credential was refused (logged; never sent to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicRejection {
    UnknownUser,
    WrongPassword,
}

impl BasicRejection {
    pub fn as_str(self) -> &'static str {
        match self {
            BasicRejection::UnknownUser => "unknown user",
            BasicRejection::WrongPassword => "wrong password",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    mtime: (i64, i64),
    ctime: (i64, i64),
    len: u64,
    ino: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            len: meta.len(),
            ino: meta.ino(),
        }
    }
}

struct Loaded {
    stamp: Option<Stamp>,
    users: HashMap<String, String>,
}

pub struct Htpasswd {
    path: PathBuf,
    loaded: Mutex<Loaded>,
}

impl std::fmt::Debug for Htpasswd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Htpasswd")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The name of a hash kind we refuse, or `None` for bcrypt.
fn refused_kind(hash: &str) -> Option<&'static str> {
    let bcrypt = ["$2y$", "$2a$", "$2b$"].iter().any(|p| hash.starts_with(p));
    if bcrypt {
        return hash
            .parse::<bcrypt::HashParts>()
            .err()
            .map(|_| "malformed bcrypt");
    }
    Some(if hash.starts_with("$apr1$") {
        "MD5 (apr1)"
    } else if hash.starts_with("{SHA}") {
        "SHA-1"
    } else if hash.starts_with("$5$") || hash.starts_with("$6$") {
        "SHA-crypt"
    } else if hash.starts_with("$2x$") {
        "bcrypt $2x$"
    } else {
        "crypt(3) or plain-text"
    })
}

/// Parse htpasswd text: `USER:HASH` lines; blank lines and `#` comments are skipped.
pub fn parse(text: &str, path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, hash) = line
            .split_once(':')
            .filter(|(u, h)| !u.is_empty() && !h.is_empty())
            .ok_or_else(|| ConfigError::HtpasswdSyntax {
                path: path.to_path_buf(),
                line: i + 1,
            })?;
        if let Some(kind) = refused_kind(hash) {
            return Err(ConfigError::HtpasswdHash {
                path: path.to_path_buf(),
                line: i + 1,
                user: user.to_string(),
                kind,
            });
        }
        users.insert(user.to_string(), hash.to_string());
    }
    if users.is_empty() {
        return Err(ConfigError::HtpasswdEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(users)
}

fn read(path: &Path) -> Result<(Option<Stamp>, HashMap<String, String>), ConfigError> {
    let err = |e: std::io::Error| ConfigError::Read {
        what: "htpasswd file",
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let stamp = std::fs::metadata(path).map(|m| Stamp::of(&m)).ok();
    let text = std::fs::read_to_string(path).map_err(err)?;
    Ok((stamp, parse(&text, path)?))
}

impl Htpasswd {
    /// Read and check the file (blocking).
    pub fn load(path: &Path) -> Result<Htpasswd, ConfigError> {
        let (stamp, users) = read(path)?;
        Ok(Htpasswd {
            path: path.to_path_buf(),
            loaded: Mutex::new(Loaded { stamp, users }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Re-read the file if it changed since the last read (blocking).
    fn refresh(&self, loaded: &mut Loaded) {
        let stamp = std::fs::metadata(&self.path).map(|m| Stamp::of(&m)).ok();
        if stamp.is_some() && stamp == loaded.stamp {
            return;
        }
        match read(&self.path) {
            Ok((stamp, users)) => {
                tracing::info!(path = %self.path.display(), users = users.len(), "htpasswd file re-read");
                *loaded = Loaded { stamp, users };
            }
            Err(e) => {
                tracing::error!(error = %e, "htpasswd file changed but is unusable; keeping the previous entries");
                loaded.stamp = stamp;
            }
        }
    }

    /// Check `user`/`password` (blocking: bcrypt).
    pub fn verify(&self, user: &str, password: &[u8]) -> Result<(), BasicRejection> {
        let hash = {
            let mut loaded = match self.loaded.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            self.refresh(&mut loaded);
            loaded.users.get(user).cloned()
        };
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        let matches = bcrypt::verify(password, &hash).unwrap_or(false);
        match (known, matches) {
            (true, true) => Ok(()),
            (false, _) => Err(BasicRejection::UnknownUser),
            (true, false) => Err(BasicRejection::WrongPassword),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_hash_kinds_naming_the_line() {
        let p = Path::new("/x/htpasswd");
        let ok = bcrypt::hash("pw", 4).unwrap();
        let text = format!("# users\nalice:{ok}\n\nbob:$apr1$abc$def\n");
        assert_eq!(
            parse(&text, p),
            Err(ConfigError::HtpasswdHash {
                path: p.into(),
                line: 4,
                user: "bob".into(),
                kind: "MD5 (apr1)"
            })
        );
        assert!(matches!(
            parse("carol:{SHA}abc=", p),
            Err(ConfigError::HtpasswdHash {
                kind: "SHA-1",
                line: 1,
                ..
            })
        ));
        assert!(matches!(
            parse("dave:plain", p),
            Err(ConfigError::HtpasswdHash { line: 1, .. })
        ));
        assert!(matches!(
            parse("nocolon", p),
            Err(ConfigError::HtpasswdSyntax { line: 1, .. })
        ));
        assert!(matches!(
            parse("# only\n", p),
            Err(ConfigError::HtpasswdEmpty { .. })
        ));
        assert_eq!(
            parse(&text[..text.find("bob").unwrap()], p).unwrap().len(),
            1
        );
    }

    #[test]
    fn dummy_hash_is_well_formed() {
        assert_eq!(refused_kind(DUMMY_HASH), None);
        assert_eq!(bcrypt::verify("", DUMMY_HASH).ok(), Some(false));
    }

    #[test]
    fn verifies_and_rereads_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let write = |text: String| {
            let mut f = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
            std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
            f.persist(&path).unwrap();
        };
        write(format!("alice:{}\n", bcrypt::hash("s3cret", 4).unwrap()));
        let h = Htpasswd::load(&path).unwrap();
        assert_eq!(h.verify("alice", b"s3cret"), Ok(()));
        assert_eq!(
            h.verify("alice", b"wrong"),
            Err(BasicRejection::WrongPassword)
        );
        assert_eq!(h.verify("bob", b"x"), Err(BasicRejection::UnknownUser));
        // Replaced file (new inode): bob appears, alice is gone.
        write(format!("bob:{}\n", bcrypt::hash("pw2", 4).unwrap()));
        assert_eq!(h.verify("bob", b"pw2"), Ok(()));
        assert_eq!(
            h.verify("alice", b"s3cret"),
            Err(BasicRejection::UnknownUser)
        );
        // A broken rewrite keeps the previous entries.
        write("bob:$apr1$x$y\n".to_string());
        assert_eq!(h.verify("bob", b"pw2"), Ok(()));
    }
}
