//! `ServerConfig`: the server's settings, resolved once from command-line flags, a config file
//! (trustctl's own keys and notary-server's JSON keys, which are the same file format), and the
//! environment. Flags override the file.
//!
//! notary-server keys understood: `server.http_addr`, `server.tls_cert_file`,
//! `server.tls_key_file`, `storage.backend` (`sqlite3`, `postgres`; `memory` is mapped to a
//! SQLite database in a temporary directory removed at exit), `storage.db_url`,
//! `repositories.gun_prefixes`, `caching.max_age.current_metadata` / `consistent_metadata`,
//! `trust_service` (`type` must be `local`; `key_algorithm`), `auth` (kept as given).
//! trustctl additions: `storage.url` (`sqlite:PATH` / `postgres://…`) and
//! `trust_service.passphrase`. Relative paths in the file are relative to the file's directory.
//! Must not: open sockets or databases (that is `serve`'s job).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

use super::signing::KeyAlgorithm;
use super::Error;
use crate::cli::ServerArgs;

/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4443";
/// notary's default `Cache-Control` max-age for "current" metadata (seconds).
pub const DEFAULT_CURRENT_MAX_AGE: u32 = 300;
/// notary's default max-age for metadata fetched by checksum or version (seconds).
pub const DEFAULT_CONSISTENT_MAX_AGE: u32 = 2_592_000;
/// Largest max-age notary accepts (one year).
pub const MAX_MAX_AGE: u32 = 31_536_000;
/// Environment variable holding the passphrase of server-managed keys.
pub const PASSPHRASE_ENV: &str = "TRUSTCTL_SERVER_PASSPHRASE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    Sqlite(PathBuf),
    Postgres(String),
    /// notary's `memory` backend: a SQLite database in a temporary directory.
    Memory,
}

/// `Cache-Control` max-ages in seconds (0 = `no-cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    pub current: u32,
    pub consistent: u32,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            current: DEFAULT_CURRENT_MAX_AGE,
            consistent: DEFAULT_CONSISTENT_MAX_AGE,
        }
    }
}

/// The `auth` section or `--auth` flag, kept for the authentication layer.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthConfig {
    /// `htpasswd`, `token`, …
    pub kind: String,
    /// `options` of the config section; `{"path":FILE}` for `--auth htpasswd:FILE`.
    pub options: serde_json::Value,
}

pub struct ServerConfig {
    pub addr: SocketAddr,
    pub tls: Option<TlsFiles>,
    pub storage: StorageConfig,
    pub gun_prefixes: Vec<String>,
    pub cache: CacheConfig,
    pub auth: Option<AuthConfig>,
    pub passphrase: Zeroizing<String>,
    pub key_algorithm: KeyAlgorithm,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("storage", &self.storage)
            .field("gun_prefixes", &self.gun_prefixes)
            .field("cache", &self.cache)
            .field("auth", &self.auth.as_ref().map(|a| &a.kind))
            .field("key_algorithm", &self.key_algorithm)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    #[serde(default)]
    server: FileServer,
    #[serde(default)]
    storage: FileStorage,
    #[serde(default)]
    repositories: FileRepositories,
    #[serde(default)]
    caching: FileCaching,
    #[serde(default)]
    trust_service: FileTrustService,
    auth: Option<FileAuth>,
}

#[derive(Debug, Default, Deserialize)]
struct FileServer {
    http_addr: Option<String>,
    tls_cert_file: Option<PathBuf>,
    tls_key_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct FileStorage {
    backend: Option<String>,
    db_url: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FileRepositories {
    #[serde(default)]
    gun_prefixes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FileCaching {
    #[serde(default)]
    max_age: FileMaxAge,
}

#[derive(Debug, Default, Deserialize)]
struct FileMaxAge {
    current_metadata: Option<i64>,
    consistent_metadata: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct FileTrustService {
    #[serde(rename = "type")]
    kind: Option<String>,
    key_algorithm: Option<String>,
    passphrase: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FileAuth {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    options: serde_json::Value,
}

fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::ConfigParse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Parse `HOST:PORT`; `:PORT` means every interface, `localhost` means 127.0.0.1.
pub fn parse_addr(value: &str) -> Result<SocketAddr, Error> {
    let bad = || Error::InvalidAddr {
        value: value.to_string(),
    };
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip = match host {
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => return Err(bad()),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Parse a `--storage` / `storage.url` value.
pub fn parse_storage_url(value: &str, base: Option<&Path>) -> Result<StorageConfig, Error> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        return Ok(StorageConfig::Postgres(value.to_string()));
    }
    if value == "memory" || value == "memory:" {
        return Ok(StorageConfig::Memory);
    }
    let path = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("sqlite3:"))
        .or_else(|| value.strip_prefix("sqlite:"))
        .ok_or_else(|| Error::InvalidStorageUrl {
            value: value.to_string(),
        })?;
    if path.is_empty() {
        return Err(Error::InvalidStorageUrl {
            value: value.to_string(),
        });
    }
    Ok(StorageConfig::Sqlite(relative_to(base, Path::new(path))))
}

fn relative_to(base: Option<&Path>, path: &Path) -> PathBuf {
    match base {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

fn file_storage(
    storage: &FileStorage,
    base: Option<&Path>,
) -> Result<Option<StorageConfig>, Error> {
    if let Some(url) = &storage.url {
        return parse_storage_url(url, base).map(Some);
    }
    let Some(backend) = storage.backend.as_deref() else {
        return Ok(None);
    };
    let db_url = storage.db_url.as_deref().unwrap_or_default();
    let missing = || Error::ConfigValue {
        key: "storage.db_url",
        value: String::new(),
        reason: "required by this storage backend",
    };
    match backend {
        "memory" => Ok(Some(StorageConfig::Memory)),
        "sqlite3" | "sqlite" if db_url.is_empty() => Err(missing()),
        "sqlite3" | "sqlite" => Ok(Some(StorageConfig::Sqlite(relative_to(
            base,
            Path::new(db_url),
        )))),
        "postgres" if db_url.is_empty() => Err(missing()),
        "postgres" => Ok(Some(StorageConfig::Postgres(db_url.to_string()))),
        other => Err(Error::UnsupportedBackend {
            backend: other.to_string(),
        }),
    }
}

fn max_age(key: &'static str, value: Option<i64>, default: u32) -> Result<u32, Error> {
    match value {
        None => Ok(default),
        Some(v) if (0..=i64::from(MAX_MAX_AGE)).contains(&v) => Ok(v as u32),
        Some(v) => Err(Error::ConfigValue {
            key,
            value: v.to_string(),
            reason: "must be between 0 and 31536000 seconds",
        }),
    }
}

fn auth_flag(value: &str) -> AuthConfig {
    match value.split_once(':') {
        Some((kind, path)) => AuthConfig {
            kind: kind.to_string(),
            options: serde_json::json!({ "path": path }),
        },
        None => AuthConfig {
            kind: value.to_string(),
            options: serde_json::Value::Null,
        },
    }
}

/// Resolve the file paths among `auth.options` (`path`, `rootcertbundle`) against the config
/// file's directory, like the file's other paths.
fn file_auth_paths(mut options: serde_json::Value, base: Option<&Path>) -> serde_json::Value {
    for key in ["path", "rootcertbundle"] {
        if let Some(serde_json::Value::String(p)) = options.get_mut(key) {
            *p = relative_to(base, Path::new(p.as_str()))
                .to_string_lossy()
                .into_owned();
        }
    }
    options
}

impl ServerConfig {
    /// Resolve flags + optional config file + environment passphrase. `trust_dir` gives the
    /// default SQLite location `<trust dir>/server/trust.db`.
    pub fn resolve(
        args: &ServerArgs,
        trust_dir: &Path,
        env_passphrase: Option<String>,
    ) -> Result<ServerConfig, Error> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let base = args.config.as_deref().and_then(Path::parent);
        let addr_text = args
            .addr
            .clone()
            .or(file.server.http_addr.clone())
            .unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let addr = parse_addr(&addr_text)?;
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => match (&file.server.tls_cert_file, &file.server.tls_key_file) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert: relative_to(base, cert),
                    key: relative_to(base, key),
                }),
                (None, None) => None,
                (Some(_), None) | (None, Some(_)) => {
                    return Err(Error::ConfigValue {
                        key: "server.tls_cert_file",
                        value: String::new(),
                        reason: "tls_cert_file and tls_key_file must be given together",
                    })
                }
            },
        };
        if tls.is_none() && !addr.ip().is_loopback() {
            return Err(Error::PlainHttpNotLoopback { addr });
        }
        let storage = match &args.storage {
            Some(url) => parse_storage_url(url, None)?,
            None => file_storage(&file.storage, base)?.unwrap_or_else(|| {
                StorageConfig::Sqlite(trust_dir.join("server").join("trust.db"))
            }),
        };
        let cache = CacheConfig {
            current: max_age(
                "caching.max_age.current_metadata",
                file.caching.max_age.current_metadata,
                DEFAULT_CURRENT_MAX_AGE,
            )?,
            consistent: max_age(
                "caching.max_age.consistent_metadata",
                file.caching.max_age.consistent_metadata,
                DEFAULT_CONSISTENT_MAX_AGE,
            )?,
        };
        let ts = &file.trust_service;
        if let Some(kind) = ts.kind.as_deref().filter(|k| *k != "local") {
            return Err(Error::ConfigValue {
                key: "trust_service.type",
                value: kind.to_string(),
                reason: "only the local trust service is supported",
            });
        }
        let key_algorithm = match ts.key_algorithm.as_deref() {
            None => KeyAlgorithm::default(),
            Some(v) => KeyAlgorithm::parse(v).ok_or_else(|| Error::ConfigValue {
                key: "trust_service.key_algorithm",
                value: v.to_string(),
                reason: "use ed25519 or ecdsa",
            })?,
        };
        let file_auth = file.auth.map(|a| AuthConfig {
            kind: a.kind,
            options: file_auth_paths(a.options, base),
        });
        let auth = match &args.auth {
            // `--auth token` takes its options from the config file.
            Some(flag) if flag == "token" => Some(AuthConfig {
                kind: "token".to_string(),
                options: file_auth
                    .filter(|a| a.kind == "token")
                    .map(|a| a.options)
                    .unwrap_or(serde_json::Value::Null),
            }),
            Some(flag) => Some(auth_flag(flag)),
            None => file_auth,
        };
        let passphrase = env_passphrase
            .filter(|p| !p.is_empty())
            .or(ts.passphrase.clone().filter(|p| !p.is_empty()))
            .ok_or(Error::MissingPassphrase)?;
        Ok(ServerConfig {
            addr,
            tls,
            storage,
            gun_prefixes: file.repositories.gun_prefixes,
            cache,
            auth,
            passphrase: Zeroizing::new(passphrase),
            key_algorithm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServerArgs {
        ServerArgs::default()
    }

    #[test]
    fn defaults() {
        let c = ServerConfig::resolve(&args(), Path::new("/t"), Some("p".into())).unwrap();
        assert_eq!(c.addr, "127.0.0.1:4443".parse().unwrap());
        assert_eq!(c.tls, None);
        assert_eq!(
            c.storage,
            StorageConfig::Sqlite("/t/server/trust.db".into())
        );
        assert_eq!(c.cache, CacheConfig::default());
        assert_eq!(c.key_algorithm, KeyAlgorithm::Ed25519);
        assert!(c.auth.is_none());
    }

    #[test]
    fn notary_config_file_and_flag_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        let text = r#"{"server":{"http_addr":":4443","tls_cert_file":"c.pem","tls_key_file":"/abs/k.pem"},
            "trust_service":{"type":"local","key_algorithm":"ecdsa"},
            "storage":{"backend":"sqlite3","db_url":"db/notary.db"},
            "repositories":{"gun_prefixes":["example.com/"]},
            "caching":{"max_age":{"current_metadata":0,"consistent_metadata":60}},
            "logging":{"level":"debug"},
            "auth":{"type":"token","options":{"realm":"https://a/token","rootcertbundle":"ca.pem"}}}"#;
        let mut f = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f.persist(&path).unwrap();
        let mut a = args();
        a.config = Some(path.clone());
        let c = ServerConfig::resolve(&a, Path::new("/t"), Some("p".into())).unwrap();
        assert_eq!(c.addr, "0.0.0.0:4443".parse().unwrap());
        assert_eq!(
            c.tls,
            Some(TlsFiles {
                cert: dir.path().join("c.pem"),
                key: "/abs/k.pem".into()
            })
        );
        assert_eq!(
            c.storage,
            StorageConfig::Sqlite(dir.path().join("db/notary.db"))
        );
        assert_eq!(c.gun_prefixes, vec!["example.com/".to_string()]);
        assert_eq!(
            c.cache,
            CacheConfig {
                current: 0,
                consistent: 60
            }
        );
        assert_eq!(c.key_algorithm, KeyAlgorithm::Ecdsa);
        assert_eq!(c.auth.as_ref().unwrap().kind, "token");
        assert_eq!(
            c.auth.as_ref().unwrap().options["realm"],
            serde_json::json!("https://a/token")
        );
        let bundle = dir.path().join("ca.pem");
        assert_eq!(
            c.auth.as_ref().unwrap().options["rootcertbundle"],
            serde_json::json!(bundle.to_string_lossy())
        );
        let mut t = args();
        t.config = a.config.clone();
        t.auth = Some("token".into());
        let c = ServerConfig::resolve(&t, Path::new("/t"), Some("p".into())).unwrap();
        assert_eq!(c.auth.as_ref().unwrap().kind, "token");
        assert_eq!(
            c.auth.as_ref().unwrap().options["realm"],
            serde_json::json!("https://a/token")
        );

        a.addr = Some("127.0.0.1:0".into());
        a.storage = Some("postgres://u@h/db".into());
        let c = ServerConfig::resolve(&a, Path::new("/t"), Some("p".into())).unwrap();
        assert_eq!(c.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(
            c.storage,
            StorageConfig::Postgres("postgres://u@h/db".into())
        );
    }

    #[test]
    fn refusals() {
        let mut a = args();
        a.addr = Some("0.0.0.0:4443".into());
        assert!(matches!(
            ServerConfig::resolve(&a, Path::new("/t"), Some("p".into())),
            Err(Error::PlainHttpNotLoopback { .. })
        ));
        assert!(matches!(
            ServerConfig::resolve(&args(), Path::new("/t"), None),
            Err(Error::MissingPassphrase)
        ));
        assert!(matches!(parse_addr("nope"), Err(Error::InvalidAddr { .. })));
        assert!(matches!(
            parse_storage_url("mysql://x", None),
            Err(Error::InvalidStorageUrl { .. })
        ));
        assert!(matches!(
            file_storage(
                &FileStorage {
                    backend: Some("rethinkdb".into()),
                    db_url: Some("x".into()),
                    url: None
                },
                None
            ),
            Err(Error::UnsupportedBackend { .. })
        ));
        assert!(matches!(
            max_age("k", Some(31_536_001), 1),
            Err(Error::ConfigValue { .. })
        ));
        assert_eq!(
            parse_storage_url("memory", None).unwrap(),
            StorageConfig::Memory
        );
    }
}
