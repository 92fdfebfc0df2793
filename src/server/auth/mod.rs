//! Authentication and authorisation of trust-server requests: HTTP Basic against an htpasswd
//! file (`htpasswd.rs`) or Docker registry Bearer tokens (`token.rs`).
//!
//! Owns: which access each route needs (notary-v1.md §2.8: `pull` for reads, `push,pull` for
//! publish and `GET <role>.key`, `*` for delete and `POST <role>.key`, `registry:catalog:*` for
//! `/v2/` and the global change feed; health and metrics need nothing), the 401 challenge
//! (with RFC 6750's `error` for a token that was sent, as notary-server's) and notary's error
//! envelope, and the log line of a failed attempt (user,
//! remote address, reason). Must not: log or echo credentials or tokens.

mod error;
pub mod htpasswd;
pub mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

pub use error::ConfigError;
pub use htpasswd::{BasicRejection, Htpasswd};
pub use token::{Grant, TokenOptions, TokenRejection, TokenVerifier};

use super::config::AuthConfig;
use super::errors::{json_bytes, ApiError, Detail, ErrorCode};
use super::routes::Route;

/// Realm of the Basic challenge.
pub const BASIC_REALM: &str = "trustctl";

/// The remote address of a connection, put into each request's extensions by `serve`.
#[derive(Debug, Clone, Copy)]
pub struct RemoteAddr(pub SocketAddr);

/// What a request needs: `actions` on a repository (GUN) or on the registry catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub kind: &'static str,
    pub name: String,
    pub actions: &'static [&'static str],
}

impl Access {
    fn repository(gun: &str, actions: &'static [&'static str]) -> Access {
        Access {
            kind: "repository",
            name: gun.to_string(),
            actions,
        }
    }

    fn catalog() -> Access {
        Access {
            kind: "registry",
            name: "catalog".to_string(),
            actions: &["*"],
        }
    }

    /// `repository:<gun>:push,pull`.
    pub fn scope(&self) -> String {
        format!("{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }

    /// notary's `detail`: one `{"Type","Class","Name","Action"}` per action.
    fn detail(&self) -> Detail {
        let records: Vec<AccessRecord<'_>> = self
            .actions
            .iter()
            .map(|action| AccessRecord {
                kind: self.kind,
                class: "",
                name: &self.name,
                action,
            })
            .collect();
        Detail::RawJson(json_bytes(&records))
    }
}

/// notary's access record, members in Go's field order.
#[derive(serde::Serialize)]
struct AccessRecord<'a> {
    #[serde(rename = "Type")]
    kind: &'a str,
    #[serde(rename = "Class")]
    class: &'a str,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Action")]
    action: &'a str,
}

/// The access `route` needs, `None` when it is open to everybody.
pub fn required_access(route: &Route) -> Option<Access> {
    const PULL: &[&str] = &["pull"];
    const PUSH_PULL: &[&str] = &["push", "pull"];
    const ALL: &[&str] = &["*"];
    match route {
        Route::Health | Route::Metrics | Route::NotFound => None,
        Route::Ping | Route::Changefeed { gun: None } => Some(Access::catalog()),
        Route::Current { gun, .. }
        | Route::ByVersion { gun, .. }
        | Route::ByChecksum { gun, .. }
        | Route::Changefeed { gun: Some(gun) } => Some(Access::repository(gun, PULL)),
        Route::Publish { gun } | Route::GetKey { gun, .. } => {
            Some(Access::repository(gun, PUSH_PULL))
        }
        Route::Delete { gun } | Route::RotateKey { gun, .. } => Some(Access::repository(gun, ALL)),
    }
}

/// The configured authenticator.
#[derive(Debug)]
pub enum Authenticator {
    Htpasswd(Htpasswd),
    Token(TokenVerifier),
}

fn option(
    options: &serde_json::Value,
    kind: &'static str,
    name: &'static str,
) -> Result<String, ConfigError> {
    options
        .get(name)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or(ConfigError::MissingOption { kind, option: name })
}

impl Authenticator {
    /// Build from the config (blocking: reads the htpasswd file or the certificate bundle).
    /// Refuses unknown kinds, missing options, non-bcrypt htpasswd entries, empty bundles.
    pub fn from_config(config: &AuthConfig) -> Result<Authenticator, ConfigError> {
        let o = &config.options;
        match config.kind.as_str() {
            "htpasswd" => {
                let path = PathBuf::from(option(o, "htpasswd", "path")?);
                Ok(Authenticator::Htpasswd(Htpasswd::load(&path)?))
            }
            "token" => {
                let options = TokenOptions {
                    realm: option(o, "token", "realm")?,
                    service: option(o, "token", "service")?,
                    issuer: option(o, "token", "issuer")?,
                };
                let bundle = PathBuf::from(option(o, "token", "rootcertbundle")?);
                Ok(Authenticator::Token(TokenVerifier::load(options, &bundle)?))
            }
            other => Err(ConfigError::UnknownKind {
                kind: other.to_string(),
            }),
        }
    }

    fn challenge(&self, access: &Access, error: Option<TokenError>) -> String {
        match self {
            Authenticator::Htpasswd(_) => format!("Basic realm=\"{BASIC_REALM}\""),
            Authenticator::Token(t) => {
                let mut c = format!(
                    "Bearer realm=\"{}\",service=\"{}\",scope=\"{}\"",
                    t.options.realm,
                    t.options.service,
                    access.scope()
                );
                if let Some(e) = error {
                    c.push_str(&format!(",error=\"{}\"", e.as_str()));
                }
                c
            }
        }
    }

    /// 401 with the challenge and notary's `UNAUTHORIZED` body.
    pub fn unauthorized(&self, access: &Access) -> Response {
        self.unauthorized_because(access, None)
    }

    /// [`Authenticator::unauthorized`] for a token that was sent: the challenge names what
    /// was wrong with it (RFC 6750 `error`), as notary-server's does.
    fn unauthorized_because(&self, access: &Access, error: Option<TokenError>) -> Response {
        let mut response = ApiError::new(ErrorCode::Unauthorized, access.detail()).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.challenge(access, error)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }

    /// Check the request's credentials for `access`. `Err` is the response to send.
    pub async fn authorize(
        self: Arc<Self>,
        headers: &HeaderMap,
        access: &Access,
        now: DateTime<Utc>,
        remote: Option<RemoteAddr>,
    ) -> Result<(), Response> {
        let remote = remote.map(|r| r.0.to_string()).unwrap_or_default();
        let credentials = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| Zeroizing::new(v.to_string()));
        let Some(credentials) = credentials else {
            tracing::debug!(remote = %remote, scope = %access.scope(), "no credentials; challenging");
            return Err(self.unauthorized(access));
        };
        match &*self {
            Authenticator::Htpasswd(_) => {
                let (user, password) = parse_basic(&credentials).ok_or_else(|| {
                    tracing::warn!(remote = %remote, reason = "malformed Basic credentials", "authentication failed");
                    self.unauthorized(access)
                })?;
                let this = self.clone();
                let checked_user = user.clone();
                let outcome = tokio::task::spawn_blocking(move || match &*this {
                    Authenticator::Htpasswd(h) => h.verify(&checked_user, &password),
                    Authenticator::Token(_) => Err(BasicRejection::UnknownUser),
                })
                .await
                .unwrap_or(Err(BasicRejection::UnknownUser));
                outcome.map_err(|reason| {
                    tracing::warn!(user = %user, remote = %remote, reason = reason.as_str(), "authentication failed");
                    self.unauthorized(access)
                })
            }
            Authenticator::Token(verifier) => {
                let token = bearer(&credentials).ok_or_else(|| {
                    tracing::warn!(remote = %remote, reason = "no Bearer token", "authentication failed");
                    self.unauthorized(access)
                })?;
                let grant = verifier.verify(token, now).map_err(|reason| {
                    tracing::warn!(remote = %remote, reason = %reason, "token refused");
                    self.unauthorized_because(access, Some(TokenError::InvalidToken))
                })?;
                if grant.allows(access.kind, &access.name, access.actions) {
                    return Ok(());
                }
                // A valid token without the scope is a 401 whose challenge asks for a token
                // with it (notary-server's answer), not a 403.
                tracing::warn!(user = %grant.subject, remote = %remote, scope = %access.scope(), "token lacks the scope");
                Err(self.unauthorized_because(access, Some(TokenError::InsufficientScope)))
            }
        }
    }
}

/// What was wrong with a token that was sent (the `error` of a Bearer challenge).
#[derive(Debug, Clone, Copy)]
enum TokenError {
    InvalidToken,
    InsufficientScope,
}

impl TokenError {
    fn as_str(self) -> &'static str {
        match self {
            TokenError::InvalidToken => "invalid_token",
            TokenError::InsufficientScope => "insufficient_scope",
        }
    }
}

/// `Basic base64(user:password)` → (user, password).
fn parse_basic(value: &str) -> Option<(String, Zeroizing<Vec<u8>>)> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Zeroizing::new(STANDARD.decode(rest.trim()).ok()?);
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = std::str::from_utf8(&decoded[..colon]).ok()?.to_string();
    Some((user, Zeroizing::new(decoded[colon + 1..].to_vec())))
}

fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_per_route() {
        let r = |s: &str| {
            required_access(&super::super::routes::parse(&axum::http::Method::GET, s))
                .map(|a| a.scope())
        };
        assert_eq!(r("/v2/").as_deref(), Some("registry:catalog:*"));
        assert_eq!(
            r("/v2/_trust/changefeed").as_deref(),
            Some("registry:catalog:*")
        );
        assert_eq!(
            r("/v2/a/b/_trust/tuf/root.json").as_deref(),
            Some("repository:a/b:pull")
        );
        assert_eq!(
            r("/v2/a/b/_trust/tuf/timestamp.key").as_deref(),
            Some("repository:a/b:push,pull")
        );
        assert_eq!(r("/_notary_server/health"), None);
        assert_eq!(r("/metrics"), None);
        let post = |s: &str| {
            required_access(&super::super::routes::parse(&axum::http::Method::POST, s))
                .map(|a| a.scope())
        };
        assert_eq!(
            post("/v2/a/_trust/tuf/").as_deref(),
            Some("repository:a:push,pull")
        );
        assert_eq!(
            post("/v2/a/_trust/tuf/snapshot.key").as_deref(),
            Some("repository:a:*")
        );
    }

    #[test]
    fn basic_header_parsing() {
        let v = format!("Basic {}", STANDARD.encode("al:ice:pw"));
        let (u, p) = parse_basic(&v).unwrap();
        assert_eq!((u.as_str(), p.as_slice()), ("al", b"ice:pw".as_slice()));
        assert!(parse_basic("Bearer x").is_none());
        assert!(parse_basic("Basic !!!").is_none());
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn unauthorized_matches_notary() {
        let access = Access::repository("example.com/a", &["pull"]);
        let body = ApiError::new(ErrorCode::Unauthorized, access.detail()).body();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"example.com/a\",\"Action\":\"pull\"}]}]}\n"
        );
    }

    #[test]
    fn config_refusals() {
        let cfg = |kind: &str, options: serde_json::Value| AuthConfig {
            kind: kind.into(),
            options,
        };
        assert_eq!(
            Authenticator::from_config(&cfg("ldap", serde_json::Value::Null)).unwrap_err(),
            ConfigError::UnknownKind {
                kind: "ldap".into()
            }
        );
        assert_eq!(
            Authenticator::from_config(&cfg(
                "token",
                serde_json::json!({"realm": "r", "service": "s", "issuer": "i"})
            ))
            .unwrap_err(),
            ConfigError::MissingOption {
                kind: "token",
                option: "rootcertbundle"
            }
        );
        assert_eq!(
            Authenticator::from_config(&cfg("htpasswd", serde_json::Value::Null)).unwrap_err(),
            ConfigError::MissingOption {
                kind: "htpasswd",
                option: "path"
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        let f = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        f.persist(&empty).unwrap();
        assert!(matches!(
            Authenticator::from_config(&cfg(
                "token",
                serde_json::json!({"realm": "r", "service": "s", "issuer": "i",
                    "rootcertbundle": empty.to_string_lossy()})
            )),
            Err(ConfigError::Bundle { .. })
        ));
    }
}
