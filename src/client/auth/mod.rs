//! Answering authentication challenges for one run: remembers each host's challenge, finds
//! the user's credentials (`crate::credentials`), fetches and caches Bearer tokens, and
//! builds the `Authorization` header. Credentials are only ever sent over HTTPS or to a
//! loopback address.
//!
//! Owns: which header a request carries. Must not: decide what is requested.

pub mod challenge;
pub mod token;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::http::{host_of, is_loopback_url, Clients, HttpError};
use crate::credentials::{CredentialStore, Credentials, Origin, SecretKind};
pub use challenge::Challenge;
use token::{Scope, TokenCache};

/// Challenge state and credentials of one run.
pub struct Authenticator {
    store: Option<CredentialStore>,
    state: Mutex<State>,
    /// Held while a token is fetched, so concurrent requests that hit the same challenge
    /// wait for one token instead of each asking the realm.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    /// The last challenge seen from each host (`host[:port]`).
    challenges: HashMap<String, Challenge>,
    /// Credentials looked up per host (`None`: there are none).
    credentials: HashMap<String, Option<(Credentials, Origin)>>,
    /// Hosts whose credentials are stored under another key (a trust server using its
    /// registry's login, as docker does).
    aliases: HashMap<String, String>,
    tokens: TokenCache,
    /// Token requests ask for an identity token too (`login`), and the last one answered.
    offline: bool,
    identity_token: Option<Zeroizing<String>>,
}

/// An `Authorization` header value.
pub type Header = Zeroizing<String>;

impl Authenticator {
    pub fn new(store: Option<CredentialStore>) -> Authenticator {
        Authenticator {
            store,
            state: Mutex::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves only caches behind; keep using them.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Token requests made with a password ask for an identity token as well, as `docker
    /// login` does; [`Authenticator::take_identity_token`] hands out the one answered.
    pub fn ask_identity_token(&self) {
        self.state().offline = true;
    }

    pub fn take_identity_token(&self) -> Option<Zeroizing<String>> {
        self.state().identity_token.take()
    }

    /// Look up `host`'s credentials under `fallback` too (docker uses the registry's login
    /// for its trust server).
    pub fn alias(&self, host: &str, fallback: &str) {
        if host != fallback {
            self.state()
                .aliases
                .insert(host.to_string(), fallback.to_string());
        }
    }

    /// The user's credentials for `host`, looked up once per run.
    pub fn credentials(&self, host: &str) -> Result<Option<(Credentials, Origin)>, HttpError> {
        if let Some(found) = self.state().credentials.get(host) {
            return Ok(found.clone());
        }
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let alias = self.state().aliases.get(host).cloned();
        let mut found = store.get(host)?;
        if found.is_none() {
            if let Some(alias) = alias {
                found = store.get(&alias)?;
            }
        }
        self.state()
            .credentials
            .insert(host.to_string(), found.clone());
        Ok(found)
    }

    /// A header for a first request to `url`, when `host` challenged before and the answer
    /// is known without asking (Basic, or a cached/fetchable token for `scope`).
    pub async fn preemptive(
        &self,
        clients: &Clients,
        url: &str,
        scope: Option<&str>,
    ) -> Result<Option<Header>, HttpError> {
        let host = host_of(url);
        let Some(challenge) = self.state().challenges.get(&host).cloned() else {
            return Ok(None);
        };
        if challenge.is_basic() {
            return self.basic(url, &host);
        }
        match scope {
            Some(scope) if challenge.is_bearer() => {
                self.bearer(clients, url, &host, &challenge, scope).await
            }
            _ => Ok(None),
        }
    }

    /// A header answering the 401 `challenges` of `url`, which was sent with `sent`; `None`
    /// when there is nothing to answer with (Basic without credentials, or an unknown scheme).
    pub async fn answer(
        &self,
        clients: &Clients,
        url: &str,
        challenges: &[Challenge],
        scope: Option<&str>,
        sent: Option<&str>,
    ) -> Result<Option<Header>, HttpError> {
        let host = host_of(url);
        let Some(challenge) = challenges
            .iter()
            .find(|c| c.is_bearer())
            .or_else(|| challenges.iter().find(|c| c.is_basic()))
        else {
            return Ok(None);
        };
        self.state()
            .challenges
            .insert(host.clone(), challenge.clone());
        if challenge.is_basic() {
            return self.basic(url, &host);
        }
        let scope = challenge.param("scope").or(scope).unwrap_or_default();
        // The token the server just refused is dropped from the cache; one that a concurrent
        // request fetched meanwhile is used as it is.
        let key = scope_key(challenge, scope);
        {
            let mut state = self.state();
            let cached = state.tokens.get(&key, Instant::now());
            if cached.is_some_and(|t| sent == Some(format!("Bearer {}", t.as_str()).as_str())) {
                state.tokens.forget(&key);
            }
        }
        self.bearer(clients, url, &host, challenge, scope).await
    }

    /// Whether `host`'s token service refuses a token for the scope of `host`'s last Bearer
    /// challenge to an anonymous request: then a token it issued with credentials shows
    /// they were checked. `false` when it answers anonymously too.
    pub async fn token_needs_login(
        &self,
        clients: &Clients,
        host: &str,
    ) -> Result<bool, HttpError> {
        let challenge = self.state().challenges.get(host).cloned();
        let Some(challenge) = challenge.filter(Challenge::is_bearer) else {
            return Ok(false);
        };
        let key = scope_key(&challenge, challenge.param("scope").unwrap_or_default());
        let url = key.url(false)?;
        let resp = clients
            .for_url(&key.realm)?
            .get(url)
            .send()
            .await
            .map_err(|e| HttpError::network(&key.realm, &e))?;
        Ok(matches!(resp.status().as_u16(), 401 | 403))
    }

    fn basic(&self, url: &str, host: &str) -> Result<Option<Header>, HttpError> {
        // An identity token is for a token service only (docker sends no Basic auth then).
        let Some((c, _)) = self
            .credentials(host)?
            .filter(|(c, _)| c.kind == SecretKind::Password)
        else {
            return Ok(None);
        };
        if !url.starts_with("https://") && !is_loopback_url(url) {
            return Err(HttpError::InsecureCredentials {
                host: host.to_string(),
                url: url.to_string(),
            });
        }
        let plain = Zeroizing::new(format!("{}:{}", c.username, c.secret.as_str()));
        Ok(Some(Zeroizing::new(format!(
            "Basic {}",
            STANDARD.encode(plain.as_bytes())
        ))))
    }

    async fn bearer(
        &self,
        clients: &Clients,
        url: &str,
        host: &str,
        challenge: &Challenge,
        scope: &str,
    ) -> Result<Option<Header>, HttpError> {
        let key = scope_key(challenge, scope);
        if key.realm.is_empty() {
            return Err(HttpError::Token {
                realm: String::new(),
                message: format!("{host} sent a Bearer challenge without a realm"),
            });
        }
        let cached = || {
            self.state()
                .tokens
                .get(&key, Instant::now())
                .map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())))
        };
        if let Some(h) = cached() {
            return Ok(Some(h));
        }
        let _fetching = self.fetching.lock().await;
        if let Some(h) = cached() {
            return Ok(Some(h));
        }
        let now = Instant::now();
        let creds = self.credentials(host)?;
        let offline = self.state().offline
            && creds
                .as_ref()
                .is_some_and(|(c, _)| c.kind == SecretKind::Password);
        let token_url = key.url(offline)?;
        if creds.is_some() && token_url.scheme() != "https" && !is_loopback_url(token_url.as_str())
        {
            return Err(HttpError::InsecureCredentials {
                host: host.to_string(),
                url: key.realm.clone(),
            });
        }
        let client = clients.for_url(&key.realm)?;
        let req = match &creds {
            // OAuth2, as docker exchanges an identity token (distribution's token spec).
            Some((c, _)) if c.kind == SecretKind::IdentityToken => {
                let form = token::refresh_form(&key, c.secret.as_str());
                client
                    .post(key.realm.as_str())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.as_bytes().to_vec())
            }
            Some((c, _)) => client
                .get(token_url)
                .basic_auth(&c.username, Some(c.secret.as_str())),
            None => client.get(token_url),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| HttpError::network(&key.realm, &e))?;
        let status = resp.status().as_u16();
        let body = if status == 401 || status == 403 {
            Vec::new()
        } else {
            super::http::read_limited(resp, token::MAX_ANSWER, &key.realm).await?
        };
        if status != 200 {
            return Err(token_refusal(status, &body, creds, host, url, &key.realm));
        }
        let mut answer: token::Answer =
            serde_json::from_slice(&body).map_err(|_| HttpError::Token {
                realm: key.realm.clone(),
                message: "the answer is not a token JSON object".into(),
            })?;
        if offline {
            if let Some(identity) = answer.take_refresh_token() {
                self.state().identity_token = Some(identity);
            }
        }
        let (token, lifetime) = answer.into_token().ok_or_else(|| HttpError::Token {
            realm: key.realm.clone(),
            message: "the answer holds no token".into(),
        })?;
        let header = Zeroizing::new(format!("Bearer {}", token.as_str()));
        self.state().tokens.put(key, token, lifetime, now);
        Ok(Some(header))
    }
}

/// The error for a token service's answer `status` (not 200) with `body`, to a request made
/// with `creds` for `url` on `host`.
fn token_refusal(
    status: u16,
    body: &[u8],
    creds: Option<(Credentials, Origin)>,
    host: &str,
    url: &str,
    realm: &str,
) -> HttpError {
    let identity = creds
        .as_ref()
        .is_some_and(|(c, _)| c.kind == SecretKind::IdentityToken);
    match (creds, status, identity, token::oauth_error(body)) {
        (None, 401 | 403, ..) => HttpError::AuthRequired {
            host: host.to_string(),
            url: url.to_string(),
        },
        // RFC 6749 §5.2: an expired or revoked refresh token is a 400 invalid_grant.
        (Some((_, origin)), 401 | 403, ..)
        | (Some((_, origin)), _, true, Some("invalid_grant" | "unauthorized_client")) => {
            HttpError::Rejected {
                host: host.to_string(),
                origin,
            }
        }
        (_, _, true, error) => HttpError::Token {
            realm: realm.to_string(),
            message: format!(
                "HTTP {status}{}: the identity token was not taken (the service may not accept \
                 identity tokens; `trustctl login` again with a password)",
                error.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
        },
        _ => HttpError::Token {
            realm: realm.to_string(),
            message: format!("HTTP {status}"),
        },
    }
}

fn scope_key(challenge: &Challenge, scope: &str) -> Scope {
    Scope {
        realm: challenge.param("realm").unwrap_or_default().to_string(),
        service: challenge.param("service").unwrap_or_default().to_string(),
        scope: scope.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_service_refusals_name_the_source_only_when_the_credentials_were_refused() {
        let origin = Origin::Plaintext("/home/u/.docker/config.json".into());
        let password = Some((Credentials::new("u", "p"), origin.clone()));
        let identity = Some((Credentials::identity_token("u", "rt"), origin.clone()));
        let refusal = |status, body: &str, creds: Option<(Credentials, Origin)>| {
            token_refusal(
                status,
                body.as_bytes(),
                creds,
                "h:1",
                "https://h:1/v2/",
                "https://a/t",
            )
            .to_string()
        };
        assert!(refusal(401, "", None).contains("h:1 requires authentication"));
        let rejected =
            "h:1 rejected the credentials from plaintext file /home/u/.docker/config.json";
        assert_eq!(refusal(403, "", password.clone()), rejected);
        assert_eq!(
            refusal(400, r#"{"error":"invalid_grant"}"#, identity.clone()),
            rejected
        );
        // A password login's 400 is the service's failure, not a refusal of the password.
        assert_eq!(
            refusal(400, r#"{"error":"invalid_grant"}"#, password),
            "token service https://a/t: HTTP 400"
        );
        let other = refusal(404, "", identity);
        assert!(
            other.starts_with(
                "token service https://a/t: HTTP 404: the identity token was not taken"
            ),
            "{other}"
        );
    }
}
