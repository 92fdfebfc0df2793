//! The one HTTP client of a run, shared by the trust-server endpoints, the registry and the
//! token services: TLS roots (system roots plus the run's extra CAs), connection reuse, and
//! challenge following (Basic, or Bearer tokens) through [`Authenticator`].
//!
//! Owns: sending a request until it is answered or refused for auth reasons, and bounded
//! body reads. Must not: interpret trust data or registry manifests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use super::auth::{challenge, Authenticator};
use crate::credentials::{CredentialStore, Origin};

/// Errors of the transport itself (the callers map them into their own errors).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("reading CA file {}: {message}", path.display())]
    Roots { path: PathBuf, message: String },
    #[error(
        "{host} requires authentication: run `trustctl login {host}` or set \
         TRUSTCTL_USERNAME and TRUSTCTL_PASSWORD"
    )]
    AuthRequired { host: String, url: String },
    #[error("{host} rejected the credentials from {origin}")]
    Rejected { host: String, origin: Origin },
    #[error("{host} refused access: the token service did not grant {scope}")]
    InsufficientScope { host: String, scope: String },
    #[error(
        "{host}: the credentials could not be checked: its token service grants no {scope} \
         and answers without a login too (log in to the image's registry instead)"
    )]
    LoginUnchecked { host: String, scope: String },
    #[error("refusing to send the credentials for {host} over plain HTTP to {url}")]
    InsecureCredentials { host: String, url: String },
    #[error("token service {realm}: {message}")]
    Token { realm: String, message: String },
    #[error("{url}: answer larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error(transparent)]
    Credentials(#[from] crate::credentials::Error),
}

impl HttpError {
    pub fn fault(&self) -> crate::error::Fault {
        match self {
            HttpError::Credentials(e) => e.fault(),
            _ => crate::error::Fault::Environment,
        }
    }

    /// A failed exchange with `url`: what failed (connect, timeout, ...) and its root cause.
    pub fn network(url: &str, e: &(dyn std::error::Error + 'static)) -> HttpError {
        let kind = match e.downcast_ref::<reqwest::Error>() {
            Some(r) if r.is_timeout() => "timed out",
            Some(r) if r.is_connect() => "cannot connect",
            Some(r) if r.is_body() || r.is_decode() => "reading the answer failed",
            Some(r) if r.is_redirect() => "too many redirects",
            Some(_) => "request failed",
            None => "failed",
        };
        let mut root = e.to_string();
        let mut cur = e.source();
        while let Some(c) = cur {
            root = c.to_string();
            cur = c.source();
        }
        HttpError::Network {
            url: url.to_string(),
            message: format!("{kind}: {root}"),
        }
    }

    /// The one-line message for a request to `url`, naming the URL once.
    pub fn describe(&self, url: &str) -> String {
        match self {
            HttpError::Network { .. } | HttpError::TooLarge { .. } => self.to_string(),
            e => format!("{url}: {e}"),
        }
    }

    /// True when the connection itself failed (nothing was answered).
    pub fn is_connect(&self) -> bool {
        matches!(self, HttpError::Network { .. })
    }
}

/// Extra CA files to trust for a host (`host[:port]`).
pub type RootsFor = dyn Fn(&str) -> Vec<PathBuf> + Send + Sync;

/// How to build a [`Transport`].
#[derive(Default)]
pub struct TransportConfig {
    /// Extra PEM CA files trusted for every host (`--tls-ca`), besides the system roots.
    pub roots: Vec<PathBuf>,
    /// Extra PEM CA files trusted for one host only (docker's per-host `ca.crt` layout).
    pub roots_for: Option<Box<RootsFor>>,
    /// Where credentials come from; `None`: never authenticate.
    pub credentials: Option<CredentialStore>,
}

/// A cheap-to-clone handle on the run's HTTP clients.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    clients: Clients,
    auth: Authenticator,
}

/// One reqwest client per set of extra roots, so a host's CA is trusted for that host only;
/// connections are reused within a client. A host's CA files are looked for once per run.
pub struct Clients {
    roots: Vec<PathBuf>,
    roots_for: Option<Box<RootsFor>>,
    built: Mutex<Built>,
}

/// Clients by their set of extra roots, and by the host they were chosen for.
#[derive(Default)]
struct Built {
    by_roots: HashMap<Vec<PathBuf>, reqwest::Client>,
    by_host: HashMap<String, reqwest::Client>,
}

impl Clients {
    /// The client for `url`'s host.
    pub fn for_url(&self, url: &str) -> Result<reqwest::Client, HttpError> {
        let host = host_of(url);
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = built.by_host.get(&host) {
            return Ok(c.clone());
        }
        let mut roots = self.roots.clone();
        if let Some(f) = &self.roots_for {
            roots.extend(f(&host));
        }
        roots.sort();
        roots.dedup();
        let client = match built.by_roots.get(&roots) {
            Some(c) => c.clone(),
            None => {
                let c = build_client(&roots)?;
                built.by_roots.insert(roots, c.clone());
                c
            }
        };
        built.by_host.insert(host, client.clone());
        Ok(client)
    }
}

/// Redirects followed at most (reqwest's default).
const MAX_REDIRECTS: usize = 10;

/// Whether a redirect from `from` to `to` may be followed: never from https to plain http
/// (other than loopback), since a 307/308 re-sends the request body, which may hold an
/// identity token (the `Authorization` header is dropped on another host anyway).
fn redirect_allowed(from: &str, to: &str) -> bool {
    !(from.starts_with("https://") && !to.starts_with("https://") && !is_loopback_url(to))
}

fn build_client(roots: &[PathBuf]) -> Result<reqwest::Client, HttpError> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().last().map(|u| u.as_str().to_string());
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if from.is_some_and(|f| !redirect_allowed(&f, attempt.url().as_str())) {
            attempt.error("refusing a redirect from https to plain http")
        } else {
            attempt.follow()
        }
    });
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("trustctl/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .redirect(policy);
    for path in roots {
        let bad = |message: String| HttpError::Roots {
            path: path.clone(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in the file".into()));
        }
        for cert in certs {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(|e| HttpError::network("(client)", &e))
}

impl Transport {
    pub fn new(config: TransportConfig) -> Transport {
        Transport {
            inner: Arc::new(Inner {
                clients: Clients {
                    roots: config.roots,
                    roots_for: config.roots_for,
                    built: Mutex::default(),
                },
                auth: Authenticator::new(config.credentials),
            }),
        }
    }

    /// Token requests made with a password ask for an identity token too (`login`).
    pub fn ask_identity_token(&self) {
        self.inner.auth.ask_identity_token();
    }

    /// The identity token a token service handed out since [`Transport::ask_identity_token`].
    pub fn take_identity_token(&self) -> Option<zeroize::Zeroizing<String>> {
        self.inner.auth.take_identity_token()
    }

    /// See [`Authenticator::token_needs_login`].
    pub async fn token_needs_login(&self, host: &str) -> Result<bool, HttpError> {
        self.inner
            .auth
            .token_needs_login(&self.inner.clients, host)
            .await
    }

    /// Also try `fallback`'s credentials for `host` (a trust server using its registry's
    /// login, as docker does).
    pub fn alias_credentials(&self, host: &str, fallback: &str) {
        self.inner.auth.alias(host, fallback);
    }

    /// [`Transport::send`] to `https://{host}{path}`, and when nothing answers there and the
    /// host is loopback (docker's default insecure range), to `http://{host}{path}`. The URL
    /// that answered comes back with the response; when both fail, the plain-HTTP failure
    /// names the HTTPS one too.
    pub async fn send_https_or_loopback<F>(
        &self,
        host: &str,
        path: &str,
        scope: Option<&str>,
        build: F,
    ) -> Result<(String, reqwest::Response), HttpError>
    where
        F: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    {
        let https = format!("https://{host}{path}");
        match self.send(&https, scope, |c| build(c, &https)).await {
            Ok(resp) => Ok((https, resp)),
            Err(e) if e.is_connect() && is_loopback_url(&https) => {
                let plain = format!("http://{host}{path}");
                match self.send(&plain, scope, |c| build(c, &plain)).await {
                    Ok(resp) => Ok((plain, resp)),
                    Err(HttpError::Network { url, message }) => Err(HttpError::Network {
                        url,
                        message: format!("{message} (and {})", e.describe(&https)),
                    }),
                    Err(e2) => Err(e2),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Send the request `build` makes for `url`, answering an auth challenge once. `scope`
    /// (`repository:NAME:pull`) lets a known Bearer host get its token before the first try.
    /// A final 401 becomes [`HttpError::AuthRequired`], [`HttpError::Rejected`] or, when a
    /// token fetched for it still lacks the scope, [`HttpError::InsufficientScope`]; every
    /// other status is the caller's to judge.
    pub async fn send<F>(
        &self,
        url: &str,
        scope: Option<&str>,
        build: F,
    ) -> Result<reqwest::Response, HttpError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let clients = &self.inner.clients;
        let client = clients.for_url(url)?;
        let auth = &self.inner.auth;
        let mut header = auth.preemptive(clients, url, scope).await?;
        let mut answered = false;
        loop {
            let mut req = build(&client);
            if let Some(h) = &header {
                req = req.header(AUTHORIZATION, h.as_str());
            }
            let resp = req.send().await.map_err(|e| HttpError::network(url, &e))?;
            if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
                return Ok(resp);
            }
            let challenges = challenge::parse(
                resp.headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            );
            let host = host_of(url);
            // A fresh token for the scope asked still lacks it: the grant is the answer.
            let insufficient = challenges
                .iter()
                .find(|c| c.is_bearer() && c.param("error") == Some("insufficient_scope"));
            if let (true, Some(c)) = (answered, insufficient) {
                return Err(HttpError::InsufficientScope {
                    host,
                    scope: c.param("scope").unwrap_or_default().to_string(),
                });
            }
            if answered || header.is_some() && challenges.is_empty() {
                return Err(self.refused(&host, url, header.is_some())?);
            }
            answered = true;
            let sent = header.as_ref().map(|h| h.as_str());
            match auth.answer(clients, url, &challenges, scope, sent).await? {
                Some(h) => header = Some(h),
                None => return Err(self.refused(&host, url, false)?),
            }
        }
    }

    fn refused(&self, host: &str, url: &str, sent: bool) -> Result<HttpError, HttpError> {
        Ok(match self.inner.auth.credentials(host)? {
            Some((_, origin)) if sent => HttpError::Rejected {
                host: host.to_string(),
                origin,
            },
            _ => HttpError::AuthRequired {
                host: host.to_string(),
                url: url.to_string(),
            },
        })
    }
}

impl From<HttpError> for crate::Error {
    fn from(e: HttpError) -> crate::Error {
        crate::Error::Client(e.into())
    }
}

/// Read at most `limit` bytes of `resp`'s body; more is an error, whatever the headers say.
pub async fn read_limited(
    resp: reqwest::Response,
    limit: usize,
    url: &str,
) -> Result<Vec<u8>, HttpError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(HttpError::TooLarge {
            url: url.to_string(),
            limit,
        });
    }
    match read_up_to(resp, limit, url).await? {
        (body, false) => Ok(body),
        (_, true) => Err(HttpError::TooLarge {
            url: url.to_string(),
            limit,
        }),
    }
}

/// At most the first `limit` bytes of the body (the rest is not read): for error bodies,
/// where a long answer should still yield its status and start, not a size error.
pub async fn read_prefix(
    resp: reqwest::Response,
    limit: usize,
    url: &str,
) -> Result<Vec<u8>, HttpError> {
    read_up_to(resp, limit, url).await.map(|(body, _)| body)
}

/// Read the body until it ends or passes `limit`: the bytes (at most `limit`) and whether
/// there were more.
async fn read_up_to(
    mut resp: reqwest::Response,
    limit: usize,
    url: &str,
) -> Result<(Vec<u8>, bool), HttpError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| HttpError::network(url, &e))?
    {
        if body.len() + chunk.len() > limit {
            let room = limit - body.len();
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// `host[:port]` of a URL (or of `host[:port]` itself). A backslash ends the authority, as
/// for the URL parser that connects (`https://a\\@b/` goes to `a`, so it is `a`'s CA files
/// that apply, not `b`'s).
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_ascii_lowercase()
}

/// True for URLs whose host is a loopback address or `localhost`.
pub fn is_loopback_url(url: &str) -> bool {
    let host = host_of(url);
    let name = if let Some(inner) = host.strip_prefix('[') {
        inner.split(']').next().unwrap_or(inner)
    } else {
        host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_loopback() {
        assert_eq!(
            host_of("https://Reg.Example:5000/v2/x?y"),
            "reg.example:5000"
        );
        assert_eq!(host_of("localhost:4443"), "localhost:4443");
        assert_eq!(host_of("http://u:p@h/x"), "h");
        assert_eq!(
            host_of("https://evil.example\\@good.example/"),
            "evil.example"
        );
        assert!(!is_loopback_url("http://evil.example\\@127.0.0.1/x"));
        assert!(is_loopback_url("http://127.0.0.1:80/token"));
        assert!(is_loopback_url("http://localhost/x"));
        assert!(is_loopback_url("http://[::1]:5000/v2/"));
        assert!(!is_loopback_url("http://127.example.com/x"));
        assert!(!is_loopback_url("http://10.0.0.1/x"));
    }

    #[test]
    fn redirects_never_leave_https_for_plain_http_but_on_loopback() {
        assert!(redirect_allowed("https://a/token", "https://b/token"));
        assert!(redirect_allowed(
            "http://127.0.0.1:1/x",
            "http://127.0.0.1:2/x"
        ));
        assert!(redirect_allowed("https://a/x", "http://localhost:5000/x"));
        assert!(!redirect_allowed("https://a/token", "http://a/token"));
        assert!(!redirect_allowed("https://a/token", "HTTP://a/token"));
    }

    #[test]
    fn each_host_gets_the_client_of_its_own_ca_files() {
        // Only `a:1` has a CA file (missing here, so its client cannot be built): the other
        // port, asked before and after, is unaffected, and so is a URL that only names `a:1`
        // after a backslash.
        let clients = Clients {
            roots: Vec::new(),
            roots_for: Some(Box::new(|host: &str| match host {
                "a:1" => vec![PathBuf::from("/nonexistent/ca.crt")],
                _ => Vec::new(),
            })),
            built: Mutex::default(),
        };
        assert!(clients.for_url("https://a:2/v2/").is_ok());
        assert!(matches!(
            clients.for_url("https://a:1/v2/"),
            Err(HttpError::Roots { .. })
        ));
        assert!(clients.for_url("https://a:2/v2/x").is_ok());
        assert!(clients.for_url("https://a:2\\@a:1/").is_ok());
    }
}
