//! Registry and trust-server credentials, never kept in plaintext by trustctl unless asked.
//!
//! Lookup order for a server (`host[:port]`, or docker's Hub key):
//! 1. `TRUSTCTL_USERNAME` + `TRUSTCTL_PASSWORD` (CI);
//! 2. docker's `config.json` (`$DOCKER_CONFIG` or `~/.docker`), as docker reads it:
//!    `credHelpers[server]`, else `credsStore` (running `docker-credential-<name> get`),
//!    else the plaintext `auths[server].auth` docker itself wrote;
//! 3. trustctl's own store: `credHelpers` / `credsStore` in `<trust dir>/config.json`, else the
//!    plaintext `<trust dir>/credentials.json` that only `login --insecure-store` writes.
//!
//! `login` stores through the first helper configured (trustctl's config, then docker's) and
//! refuses plaintext unless `--insecure-store`. Owns: where credentials come from and go.
//! Must not: send them anywhere (that is `client::auth`).

mod config;
mod error;
mod file;
mod helper;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

pub use config::server_key;
pub use error::Error;

use config::ConfigFile;

/// A username and its password, or an identity token.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub secret: Zeroizing<String>,
    pub kind: SecretKind,
}

/// What a credential's secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A password (or a registry access token used as one): sent as Basic auth.
    Password,
    /// An identity token (an OAuth2 refresh token) that `docker login` or a registry's own
    /// login tool stored: docker's `identitytoken`, or a helper record whose username is
    /// `<token>`. It is only ever exchanged at a token service for access tokens
    /// (`grant_type=refresh_token`), never sent as Basic auth.
    IdentityToken,
}

impl Credentials {
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            secret: Zeroizing::new(secret.into()),
            kind: SecretKind::Password,
        }
    }

    /// An identity token, with the username stored beside it (if any).
    pub fn identity_token(username: impl Into<String>, token: impl Into<String>) -> Credentials {
        Credentials {
            kind: SecretKind::IdentityToken,
            ..Credentials::new(username, token)
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("kind", &self.kind)
            .finish()
    }
}

/// Where a credential was found or stored, for messages (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Env,
    /// Given on this command line (`login`).
    Given,
    /// `docker-credential-<name>`, configured in the file named.
    Helper {
        name: String,
        config: PathBuf,
    },
    /// A plaintext `auths` entry in the file named.
    Plaintext(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env => f.write_str("TRUSTCTL_USERNAME/TRUSTCTL_PASSWORD"),
            Origin::Given => f.write_str("this command line"),
            Origin::Helper { name, config } => write!(
                f,
                "credential helper docker-credential-{name} (configured in {})",
                config.display()
            ),
            Origin::Plaintext(p) => write!(f, "plaintext file {}", p.display()),
        }
    }
}

/// Erase `key` through helper `name`; false when it held nothing. Helpers differ in how
/// `erase` reports a server they hold nothing for (docker-credential-pass fails with an error
/// of its own), so a failed erase is an error only if `get` still finds the credentials;
/// `erase` goes first, as docker's logout does, so a helper whose `get` cannot decrypt (no
/// gpg agent) still logs out.
fn erase_through(name: &str, key: &str) -> Result<bool, Error> {
    match helper::erase(name, key) {
        Ok(erased) => Ok(erased),
        Err(e) => match helper::get(name, key) {
            Ok(None) => Ok(false),
            _ => Err(e),
        },
    }
}

/// Docker's configuration directory: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> PathBuf {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".docker"))
            .unwrap_or_else(|| PathBuf::from(".docker")),
    }
}

/// The credential sources of one run.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    env: Option<(Credentials, Origin)>,
    docker_config: PathBuf,
    trust_config: PathBuf,
    plaintext: PathBuf,
}

impl CredentialStore {
    /// Sources from the environment: `TRUSTCTL_USERNAME`/`TRUSTCTL_PASSWORD`, `DOCKER_CONFIG`
    /// (else `~/.docker`), and the trust directory.
    pub fn from_env(trust_dir: &Path) -> CredentialStore {
        let env = match (
            std::env::var("TRUSTCTL_USERNAME"),
            std::env::var("TRUSTCTL_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) if !u.is_empty() => Some(Credentials::new(u, p)),
            _ => None,
        };
        CredentialStore::new(env, &docker_config_dir(), trust_dir)
    }

    pub fn new(env: Option<Credentials>, docker_dir: &Path, trust_dir: &Path) -> CredentialStore {
        CredentialStore {
            env: env.map(|c| (c, Origin::Env)),
            docker_config: docker_dir.join("config.json"),
            trust_config: trust_dir.join("config.json"),
            plaintext: trust_dir.join(file::FILE_NAME),
        }
    }

    /// Only `creds`, for every server (what `login` checks).
    pub fn given(creds: Credentials, trust_dir: &Path) -> CredentialStore {
        let mut store = CredentialStore::new(None, &docker_config_dir(), trust_dir);
        store.env = Some((creds, Origin::Given));
        store
    }

    /// Credentials for `server` (a URL, `host[:port]` or docker's Hub key), if any source has
    /// them.
    pub fn get(&self, server: &str) -> Result<Option<(Credentials, Origin)>, Error> {
        if let Some(found) = &self.env {
            return Ok(Some(found.clone()));
        }
        let key = server_key(server);
        let docker = ConfigFile::load(&self.docker_config)?;
        if let Some(found) = docker.get(&key, &self.docker_config)? {
            return Ok(Some(found));
        }
        let ours = ConfigFile::load(&self.trust_config)?;
        if let Some(found) = ours.get(&key, &self.trust_config)? {
            return Ok(Some(found));
        }
        Ok(file::get(&self.plaintext, &key)?
            .map(|c| (c, Origin::Plaintext(self.plaintext.clone()))))
    }

    /// Store `creds` for `server` through the configured helper (trustctl's config first,
    /// then docker's), else, only with `insecure`, in trustctl's plaintext file.
    pub fn store(
        &self,
        server: &str,
        creds: &Credentials,
        insecure: bool,
    ) -> Result<Origin, Error> {
        let key = server_key(server);
        for path in [&self.trust_config, &self.docker_config] {
            if let Some(name) = ConfigFile::load(path)?.helper_for(&key) {
                helper::store(&name, &key, creds)?;
                return Ok(Origin::Helper {
                    name,
                    config: path.clone(),
                });
            }
        }
        if !insecure {
            return Err(Error::NoHelper {
                config: self.trust_config.clone(),
            });
        }
        file::put(&self.plaintext, &key, Some(creds))?;
        Ok(Origin::Plaintext(self.plaintext.clone()))
    }

    /// Erase the credentials of `server` from every store trustctl writes (the configured
    /// helpers and its plaintext file). Returns where something was erased.
    pub fn erase(&self, server: &str) -> Result<Vec<Origin>, Error> {
        let key = server_key(server);
        let mut erased = Vec::new();
        // Every store is tried; the first failure is reported after the others are done.
        let mut failed = None;
        for path in [&self.trust_config, &self.docker_config] {
            let helper = ConfigFile::load(path).map(|c| c.helper_for(&key));
            let outcome = helper.and_then(|h| match h {
                Some(name) => erase_through(&name, &key).map(|done| done.then_some(name)),
                None => Ok(None),
            });
            match outcome {
                Ok(Some(name)) => erased.push(Origin::Helper {
                    name,
                    config: path.clone(),
                }),
                Ok(None) => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match file::put(&self.plaintext, &key, None) {
            Ok(true) => erased.push(Origin::Plaintext(self.plaintext.clone())),
            Ok(false) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(erased),
        }
    }
}
