//! Bearer tokens from a Docker registry token service (the realm of a `Bearer` challenge):
//! `GET realm?service=S&scope=X`, with the user's credentials as Basic auth when there are
//! any, anonymously otherwise. Tokens are cached in memory per (realm, service, scope) until
//! shortly before they expire; they are never written to disk.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::client::http::HttpError;

/// Docker's floor for `expires_in` (the token spec's default lifetime).
const MIN_LIFETIME: u64 = 60;
/// Tokens are dropped this long before their expiry, to cover the request's own flight.
const MARGIN: Duration = Duration::from_secs(10);
/// Largest token answer read.
pub const MAX_ANSWER: usize = 256 * 1024;

/// The token service's answer. `token` is the spec's name, `access_token` OAuth2's (the only
/// one an OAuth2 POST answers with).
#[derive(Deserialize)]
pub struct Answer {
    #[serde(default)]
    token: Option<Zeroizing<String>>,
    #[serde(default)]
    access_token: Option<Zeroizing<String>>,
    #[serde(default)]
    expires_in: Option<u64>,
    /// An identity token, handed out to a login that asked for offline access.
    #[serde(default)]
    refresh_token: Option<Zeroizing<String>>,
}

impl Answer {
    /// The identity token answered, if any.
    pub fn take_refresh_token(&mut self) -> Option<Zeroizing<String>> {
        self.refresh_token.take().filter(|t| !t.is_empty())
    }

    /// The bearer token and how long it may be used.
    pub fn into_token(self) -> Option<(Zeroizing<String>, Duration)> {
        // `access_token` wins when both are given, as in docker's client.
        let token = self
            .access_token
            .filter(|t| !t.is_empty())
            .or(self.token.filter(|t| !t.is_empty()))?;
        let secs = self.expires_in.unwrap_or(MIN_LIFETIME).max(MIN_LIFETIME);
        Some((token, Duration::from_secs(secs)))
    }
}

/// The key of a cached token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub realm: String,
    pub service: String,
    pub scope: String,
}

impl Scope {
    /// The token request URL: `realm?service=..&scope=..` (one `scope` per space-separated
    /// scope, as docker sends them); with `offline`, asking for an identity token too
    /// (`offline_token=true&client_id=..`, as `docker login` does).
    pub fn url(&self, offline: bool) -> Result<reqwest::Url, HttpError> {
        let mut url = reqwest::Url::parse(&self.realm).map_err(|e| HttpError::Token {
            realm: self.realm.clone(),
            message: e.to_string(),
        })?;
        {
            let mut q = url.query_pairs_mut();
            if !self.service.is_empty() {
                q.append_pair("service", &self.service);
            }
            for s in self.scope.split(' ').filter(|s| !s.is_empty()) {
                q.append_pair("scope", s);
            }
            if offline {
                q.append_pair("offline_token", "true");
                q.append_pair("client_id", CLIENT_ID);
            }
        }
        Ok(url)
    }
}

/// The form of an OAuth2 token request exchanging an identity (refresh) token for an access
/// token for `key`'s service and scopes (space-separated in one field, as docker sends them).
pub fn refresh_form(key: &Scope, refresh_token: &str) -> Zeroizing<String> {
    // Sized up front, so no copy of the token is left behind by a reallocation.
    let room = 128 + 3 * (refresh_token.len() + key.service.len() + key.scope.len());
    let mut form = Zeroizing::new(String::with_capacity(room));
    form_urlencoded::Serializer::new(&mut *form)
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token)
        .append_pair("service", &key.service)
        .append_pair("scope", &key.scope)
        .append_pair("client_id", CLIENT_ID)
        .finish();
    form
}

/// The `error` code of an OAuth2 error answer (RFC 6749 §5.2), if the body is one. Only codes
/// made of the characters the RFC allows are returned, so one can be quoted safely.
pub fn oauth_error(body: &[u8]) -> Option<&'static str> {
    #[derive(Deserialize)]
    struct ErrorAnswer {
        error: String,
    }
    let answer: ErrorAnswer = serde_json::from_slice(body).ok()?;
    const KNOWN: [&str; 6] = [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ];
    KNOWN.into_iter().find(|k| *k == answer.error)
}

/// `client_id` of OAuth2 token requests (required by the spec; any name is accepted).
const CLIENT_ID: &str = "trustctl";

/// Tokens of this run.
#[derive(Default)]
pub struct TokenCache {
    tokens: HashMap<Scope, (Zeroizing<String>, Instant)>,
}

impl TokenCache {
    pub fn get(&self, key: &Scope, now: Instant) -> Option<Zeroizing<String>> {
        self.tokens
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(t, _)| t.clone())
    }

    pub fn put(&mut self, key: Scope, token: Zeroizing<String>, lifetime: Duration, now: Instant) {
        let until = now + lifetime.saturating_sub(MARGIN);
        self.tokens.insert(key, (token, until));
    }

    pub fn forget(&mut self, key: &Scope) {
        self.tokens.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_lifetimes() {
        let a: Answer = serde_json::from_str(r#"{"token":"t1","expires_in":300}"#).unwrap();
        let (t, d) = a.into_token().unwrap();
        assert_eq!((t.as_str(), d.as_secs()), ("t1", 300));
        let a: Answer = serde_json::from_str(r#"{"access_token":"t2","expires_in":5}"#).unwrap();
        let (t, d) = a.into_token().unwrap();
        assert_eq!((t.as_str(), d.as_secs()), ("t2", 60));
        let a: Answer = serde_json::from_str(r#"{"token":"old","access_token":"new"}"#).unwrap();
        assert_eq!(a.into_token().unwrap().0.as_str(), "new");
        let a: Answer = serde_json::from_str(r#"{"token":"","issued_at":"x"}"#).unwrap();
        assert!(a.into_token().is_none());
        let mut a: Answer = serde_json::from_str(r#"{"token":"t3","refresh_token":"rt"}"#).unwrap();
        assert_eq!(
            a.take_refresh_token().as_deref().map(String::as_str),
            Some("rt")
        );
        assert!(a.take_refresh_token().is_none());
    }

    #[test]
    fn oauth_errors_are_read_only_when_known() {
        assert_eq!(
            oauth_error(br#"{"error":"invalid_grant","error_description":"expired"}"#),
            Some("invalid_grant")
        );
        assert_eq!(oauth_error(br#"{"error":"<script>"}"#), None);
        assert_eq!(oauth_error(b"not json"), None);
    }

    #[test]
    fn refresh_forms_carry_the_grant_service_and_every_scope_in_one_field() {
        let key = Scope {
            realm: "https://auth.example/token".into(),
            service: "svc one".into(),
            scope: "repository:a/b:pull repository:c:push,pull".into(),
        };
        assert_eq!(
            refresh_form(&key, "rt/+=").as_str(),
            "grant_type=refresh_token&refresh_token=rt%2F%2B%3D&service=svc+one\
             &scope=repository%3Aa%2Fb%3Apull+repository%3Ac%3Apush%2Cpull&client_id=trustctl"
        );
    }

    #[test]
    fn cache_expires_and_urls_carry_every_scope() {
        let key = Scope {
            realm: "https://auth.example/token?x=1".into(),
            service: "svc one".into(),
            scope: "repository:a/b:pull repository:c:push,pull".into(),
        };
        assert_eq!(
            key.url(false).unwrap().as_str(),
            "https://auth.example/token?x=1&service=svc+one&scope=repository%3Aa%2Fb%3Apull&scope=repository%3Ac%3Apush%2Cpull"
        );
        assert!(key
            .url(true)
            .unwrap()
            .as_str()
            .ends_with("&offline_token=true&client_id=trustctl"));
        let mut cache = TokenCache::default();
        let now = Instant::now();
        cache.put(
            key.clone(),
            Zeroizing::new("t".into()),
            Duration::from_secs(60),
            now,
        );
        assert!(cache.get(&key, now + Duration::from_secs(49)).is_some());
        assert!(cache.get(&key, now + Duration::from_secs(51)).is_none());
        cache.forget(&key);
        assert!(cache.get(&key, now).is_none());
    }
}
