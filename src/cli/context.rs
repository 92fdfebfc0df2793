//! The resolved run context: trust directory, server override, extra TLS roots, clock.
//! Arguments are parsed without I/O in `cli/mod.rs`; this resolves them once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::client::http::{Transport, TransportConfig};
use crate::clock::{Clock, SystemClock};
use crate::credentials::{docker_config_dir, CredentialStore};
use crate::error::{Error, Result};

use super::GlobalArgs;

/// Everything a command needs from the environment, resolved once.
pub struct Context {
    /// The trust directory (`--trust-dir`, `TRUSTCTL_DIR`, else `~/.trust`).
    pub trust_dir: PathBuf,
    /// `--server` from the command line, if given (env/config/docker rule are resolved later).
    pub server_flag: Option<String>,
    /// `--tls-ca` from the command line (or `TRUSTCTL_TLS_CA`).
    pub tls_ca: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    /// The run's HTTP transport, built on first use.
    http: OnceLock<Transport>,
}

impl Context {
    pub fn resolve(global: &GlobalArgs) -> Result<Context> {
        let trust_dir = match &global.trust_dir {
            Some(d) => d.clone(),
            None => default_trust_dir()?,
        };
        let tls_ca = global
            .tls_ca
            .clone()
            .or_else(|| std::env::var_os("TRUSTCTL_TLS_CA").map(PathBuf::from));
        Ok(Context {
            trust_dir,
            server_flag: global.server.clone(),
            tls_ca,
            clock: Arc::new(SystemClock),
            http: OnceLock::new(),
        })
    }
}

impl Context {
    /// The extra CA for `server_url`: `--tls-ca` / `TRUSTCTL_TLS_CA`, else
    /// `<trust dir>/tls/<host[:port]>/ca.crt` when that file exists (docker's per-server layout).
    pub fn tls_ca_for(&self, server_url: &str) -> Option<PathBuf> {
        if let Some(ca) = &self.tls_ca {
            return Some(ca.clone());
        }
        let host = server_url
            .split_once("://")
            .map_or(server_url, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let candidate = self.trust_dir.join("tls").join(host).join("ca.crt");
        (!host.is_empty() && candidate.is_file()).then_some(candidate)
    }

    /// The run's HTTP transport: system roots, `--tls-ca` for every host, each host's own
    /// `ca.crt` (see [`host_roots`]), and credentials from `crate::credentials`.
    pub fn http(&self) -> &Transport {
        self.http
            .get_or_init(|| self.transport(CredentialStore::from_env(&self.trust_dir)))
    }

    /// A transport with this run's TLS roots and the given credential sources.
    pub fn transport(&self, credentials: CredentialStore) -> Transport {
        let trust_dir = self.trust_dir.clone();
        let docker_dir = docker_config_dir();
        Transport::new(TransportConfig {
            roots: self.tls_ca.iter().cloned().collect(),
            roots_for: Some(Box::new(move |host| {
                host_roots(&trust_dir, &docker_dir, host)
            })),
            credentials: Some(credentials),
        })
    }

    /// `server` from `<trust dir>/config.json`, if the file exists and sets it.
    pub fn configured_server(&self) -> Option<String> {
        let bytes = std::fs::read(self.trust_dir.join("config.json")).ok()?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        value
            .get("server")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// The CA files trusted for `host` (`host[:port]`) only, those that exist of:
/// `<trust dir>/tls/<host>/ca.crt`, docker's `<DOCKER_CONFIG>/tls/<host>/ca.crt` (trust
/// servers) and `<DOCKER_CONFIG>/certs.d/<host>/ca.crt`, `/etc/docker/certs.d/<host>/ca.crt`
/// (registries).
pub fn host_roots(trust_dir: &Path, docker_dir: &Path, host: &str) -> Vec<PathBuf> {
    if host.is_empty() || host.contains(['/', '\\']) || host.starts_with('.') {
        return Vec::new();
    }
    [
        trust_dir.join("tls").join(host),
        docker_dir.join("tls").join(host),
        docker_dir.join("certs.d").join(host),
        Path::new("/etc/docker/certs.d").join(host),
    ]
    .into_iter()
    .map(|d| d.join("ca.crt"))
    .filter(|f| f.is_file())
    .collect()
}

fn default_trust_dir() -> Result<PathBuf> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(".trust")),
        _ => Err(Error::Usage(
            "cannot find the trust directory: HOME is not set; pass --trust-dir or set TRUSTCTL_DIR"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(dir: &std::path::Path, tls_ca: Option<PathBuf>) -> Context {
        Context {
            trust_dir: dir.to_path_buf(),
            server_flag: None,
            tls_ca,
            clock: Arc::new(SystemClock),
            http: OnceLock::new(),
        }
    }

    #[test]
    fn per_server_ca_and_configured_server() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path(), None);
        assert_eq!(c.tls_ca_for("https://notary.example.com:4443"), None);
        assert_eq!(c.configured_server(), None);
        let ca_dir = dir.path().join("tls").join("notary.example.com:4443");
        std::fs::create_dir_all(&ca_dir).unwrap();
        std::fs::File::create(ca_dir.join("ca.crt")).unwrap();
        assert_eq!(
            c.tls_ca_for("https://notary.example.com:4443/"),
            Some(ca_dir.join("ca.crt"))
        );
        let flag = ctx(dir.path(), Some(PathBuf::from("/x/ca.pem")));
        assert_eq!(
            flag.tls_ca_for("https://notary.example.com:4443"),
            Some(PathBuf::from("/x/ca.pem"))
        );
        let mut f = std::fs::File::create(dir.path().join("config.json")).unwrap();
        std::io::Write::write_all(&mut f, br#"{"server":"https://trust.example.com"}"#).unwrap();
        assert_eq!(
            c.configured_server().as_deref(),
            Some("https://trust.example.com")
        );
    }
}
