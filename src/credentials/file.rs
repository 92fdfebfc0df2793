//! trustctl's plaintext credential file, `<trust dir>/credentials.json` (0600), written only by
//! `login --insecure-store`: `{"auths": {"host:port": {"auth": base64("user:password")}}}`, the
//! layout docker uses for its own plaintext entries.

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Credentials, Error, SecretKind};
use crate::keystore::{atomic_write, ensure_dir, DIR_MODE, FILE_MODE};

pub const FILE_NAME: &str = "credentials.json";

#[derive(Default, Serialize, Deserialize)]
struct File {
    auths: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    auth: Zeroizing<String>,
    /// An identity token kept instead of the password (`auth` then holds `user:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identitytoken: Option<Zeroizing<String>>,
}

fn load(path: &Path) -> Result<File, Error> {
    let bytes = match std::fs::read(path) {
        Ok(b) => Zeroizing::new(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
        Err(e) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source: e,
            })
        }
    };
    serde_json::from_slice(&bytes).map_err(|_| Error::Config {
        path: path.to_path_buf(),
        reason: "not a credentials file".into(),
    })
}

pub fn get(path: &Path, key: &str) -> Result<Option<Credentials>, Error> {
    let file = load(path)?;
    let Some(entry) = file.auths.get(key) else {
        return Ok(None);
    };
    let bad = || Error::Config {
        path: path.to_path_buf(),
        reason: format!("auths[{key:?}] is not base64 user:password"),
    };
    let raw = Zeroizing::new(STANDARD.decode(entry.auth.as_bytes()).map_err(|_| bad())?);
    let text = std::str::from_utf8(&raw).map_err(|_| bad())?;
    let (u, p) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some(
        match entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Credentials::identity_token(u, token.as_str()),
            None => Credentials::new(u, p),
        },
    ))
}

/// Set (`Some`) or remove (`None`) the entry of `key`. Returns whether the file changed.
pub fn put(path: &Path, key: &str, creds: Option<&Credentials>) -> Result<bool, Error> {
    let mut file = load(path)?;
    let changed = match creds {
        Some(c) => {
            let (password, identitytoken) = match c.kind {
                SecretKind::Password => (c.secret.as_str(), None),
                SecretKind::IdentityToken => ("", Some(c.secret.clone())),
            };
            let plain = Zeroizing::new(format!("{}:{password}", c.username));
            file.auths.insert(
                key.to_string(),
                Entry {
                    auth: Zeroizing::new(STANDARD.encode(plain.as_bytes())),
                    identitytoken,
                },
            );
            true
        }
        None => file.auths.remove(key).is_some(),
    };
    if changed {
        if let Some(dir) = path.parent() {
            ensure_dir(dir, DIR_MODE)?;
        }
        atomic_write(path, &encode(&file, path)?, FILE_MODE)?;
    }
    Ok(changed)
}

/// A credentials file, not trust metadata: no Go-exact bytes are needed.
#[allow(clippy::disallowed_methods)]
fn encode(file: &File, path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    serde_json::to_vec_pretty(file)
        .map(Zeroizing::new)
        .map_err(|e| Error::Config {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trip_is_0600_and_erasable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t").join(FILE_NAME);
        assert!(get(&path, "h:1").unwrap().is_none());
        assert!(put(&path, "h:1", Some(&Credentials::new("u", "p:w"))).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let c = get(&path, "h:1").unwrap().unwrap();
        assert_eq!((c.username.as_str(), c.secret.as_str()), ("u", "p:w"));
        assert!(put(&path, "h:1", None).unwrap());
        assert!(!put(&path, "h:1", None).unwrap());
        assert!(get(&path, "h:1").unwrap().is_none());
        // An identity token is kept as docker keeps one: `user:` and `identitytoken`.
        let token = Credentials::identity_token("u", "rt");
        assert!(put(&path, "h:2", Some(&token)).unwrap());
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            raw["auths"]["h:2"],
            serde_json::json!({"auth": STANDARD.encode("u:"), "identitytoken": "rt"})
        );
        let c = get(&path, "h:2").unwrap().unwrap();
        assert_eq!(
            (c.kind, c.username.as_str(), c.secret.as_str()),
            (SecretKind::IdentityToken, "u", "rt")
        );
    }
}
