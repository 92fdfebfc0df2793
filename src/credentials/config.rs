//! Docker-style `config.json` files (docker's own and trustctl's): `credsStore`,
//! `credHelpers` and `auths`, read as docker reads them. Unknown keys are ignored.

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{helper, Credentials, Error, Origin};

/// Docker's key for Docker Hub credentials.
const HUB_KEY: &str = "https://index.docker.io/v1/";
/// Largest config file read.
const MAX_CONFIG: u64 = 4 << 20;

#[derive(Default, Deserialize)]
pub struct ConfigFile {
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

/// One `auths` entry. Its secrets are zeroized when dropped and never printed (no `Debug`).
#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<Zeroizing<String>>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<Zeroizing<String>>,
    /// An identity token `docker login` stored in place of the password.
    #[serde(default)]
    identitytoken: Option<Zeroizing<String>>,
}

/// The key credentials are stored under for `server` (a URL or `host[:port]`), as docker
/// keys them: `host[:port]`, or `https://index.docker.io/v1/` for Docker Hub.
pub fn server_key(server: &str) -> String {
    let host = hostname(server);
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => HUB_KEY.to_string(),
        _ => host.to_string(),
    }
}

/// `host[:port]` of a URL or key (docker's `ConvertToHostname`).
fn hostname(server: &str) -> &str {
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    rest.split('/').next().unwrap_or(rest)
}

impl ConfigFile {
    /// Read `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<ConfigFile, Error> {
        let bytes = match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_CONFIG => {
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    reason: format!("larger than {MAX_CONFIG} bytes"),
                })
            }
            // It may hold passwords and tokens: zeroized once parsed.
            Ok(_) => Zeroizing::new(std::fs::read(path).map_err(|e| Error::Read {
                path: path.to_path_buf(),
                source: e,
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source: e,
                })
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The helper configured for `key`: `credHelpers[key]`, else `credsStore`.
    pub fn helper_for(&self, key: &str) -> Option<String> {
        let host = hostname(key);
        self.cred_helpers
            .iter()
            .find(|(k, _)| hostname(k) == host)
            .map(|(_, v)| v.clone())
            .or_else(|| self.creds_store.clone())
            .filter(|n| !n.is_empty())
    }

    /// Credentials for `key` from this file's helper, else its plaintext `auths` entry.
    pub fn get(&self, key: &str, path: &Path) -> Result<Option<(Credentials, Origin)>, Error> {
        if let Some(name) = self.helper_for(key) {
            if let Some(c) = helper::get(&name, key)? {
                return Ok(Some((
                    c,
                    Origin::Helper {
                        name,
                        config: path.to_path_buf(),
                    },
                )));
            }
        }
        let host = hostname(key);
        let Some((_, entry)) = self.auths.iter().find(|(k, _)| hostname(k) == host) else {
            return Ok(None);
        };
        let bad = |reason: &str| Error::Config {
            path: path.to_path_buf(),
            reason: format!("auths[{key:?}]: {reason}"),
        };
        // `auth` is base64 `user:password` (docker's own entries; the password is empty
        // beside an identity token).
        let from_auth = match entry.auth.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => {
                let raw = Zeroizing::new(
                    STANDARD
                        .decode(a.trim())
                        .map_err(|_| bad("`auth` is not base64"))?,
                );
                let text = std::str::from_utf8(&raw).map_err(|_| bad("`auth` is not UTF-8"))?;
                let (u, p) = text
                    .split_once(':')
                    .ok_or_else(|| bad("`auth` is not user:password"))?;
                Some(Credentials::new(u, p))
            }
        };
        let token = entry.identitytoken.as_deref().filter(|t| !t.is_empty());
        let creds = match (from_auth, token) {
            (from_auth, Some(token)) => {
                let user = from_auth.map(|c| c.username).or(entry.username.clone());
                Credentials::identity_token(user.unwrap_or_default(), token)
            }
            (Some(c), None) => c,
            (None, None) => match (&entry.username, &entry.password) {
                (Some(u), Some(p)) if !u.is_empty() => Credentials::new(u.as_str(), p.as_str()),
                _ => return Ok(None),
            },
        };
        Ok(Some((creds, Origin::Plaintext(path.to_path_buf()))))
    }
}

#[cfg(test)]
// Fixtures for the reader; not trust material.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::credentials::SecretKind;

    #[test]
    fn keys_follow_docker() {
        assert_eq!(server_key("https://localhost:4443/"), "localhost:4443");
        assert_eq!(server_key("localhost:5000"), "localhost:5000");
        assert_eq!(server_key("http://127.0.0.1:80/v2/x"), "127.0.0.1:80");
        assert_eq!(server_key("docker.io"), HUB_KEY);
        assert_eq!(server_key(HUB_KEY), HUB_KEY);
    }

    #[test]
    fn plaintext_auths_are_read_like_docker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"https://reg.example:5000":{"auth":"YWxpY2U6cHc6d2l0aDpjb2xvbnM="},
               "other.example":{"username":"bob","password":"pw2"},
               "empty.example":{}},
               "HttpHeaders":{"X":"y"}}"#,
        )
        .unwrap();
        let cfg = ConfigFile::load(&path).unwrap();
        let (c, origin) = cfg.get("reg.example:5000", &path).unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.secret.as_str()),
            ("alice", "pw:with:colons")
        );
        assert_eq!(origin, Origin::Plaintext(path.clone()));
        let (c, _) = cfg.get("other.example", &path).unwrap().unwrap();
        assert_eq!(c.username, "bob");
        assert!(cfg.get("empty.example", &path).unwrap().is_none());
        assert!(cfg.get("nowhere.example", &path).unwrap().is_none());
        assert!(cfg.helper_for("reg.example:5000").is_none());
        assert!(format!("{c:?}").contains("redacted") && !format!("{c:?}").contains("pw2"));
    }

    #[test]
    fn identity_tokens_are_read_as_docker_login_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        // `docker login` against a registry whose token service returned a refresh token:
        // the password is dropped and the token kept beside the user name.
        std::fs::write(
            &path,
            r#"{"auths":{"reg.example":{"auth":"YWxpY2U6","identitytoken":"rt-1"},
               "bare.example":{"identitytoken":"rt-2"},
               "blank.example":{"auth":"Ym9iOnB3","identitytoken":""}}}"#,
        )
        .unwrap();
        let cfg = ConfigFile::load(&path).unwrap();
        let (c, _) = cfg.get("reg.example", &path).unwrap().unwrap();
        assert_eq!(
            (c.kind, c.username.as_str(), c.secret.as_str()),
            (SecretKind::IdentityToken, "alice", "rt-1")
        );
        let (c, _) = cfg.get("bare.example", &path).unwrap().unwrap();
        assert_eq!(
            (c.kind, c.username.as_str(), c.secret.as_str()),
            (SecretKind::IdentityToken, "", "rt-2")
        );
        // An empty token is no token: the password stands.
        let (c, _) = cfg.get("blank.example", &path).unwrap().unwrap();
        assert_eq!(
            (c.kind, c.username.as_str(), c.secret.as_str()),
            (SecretKind::Password, "bob", "pw")
        );
    }

    #[test]
    fn helpers_per_host_then_store_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"credsStore":"pass","credHelpers":{"gcr.io":"gcloud"}}"#,
        )
        .unwrap();
        let cfg = ConfigFile::load(&path).unwrap();
        assert_eq!(cfg.helper_for("gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(cfg.helper_for("localhost:1").as_deref(), Some("pass"));
        assert!(ConfigFile::load(&dir.path().join("missing.json")).is_ok());
        std::fs::write(&path, "{not json").unwrap();
        let Err(e) = ConfigFile::load(&path) else {
            panic!("a file that is not JSON loaded");
        };
        let e = e.to_string();
        assert!(e.contains("config.json"), "{e}");
        std::fs::write(&path, r#"{"auths":{"h":{"auth":"!!"}}}"#).unwrap();
        let e = ConfigFile::load(&path)
            .unwrap()
            .get("h", &path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not base64"), "{e}");
    }
}
