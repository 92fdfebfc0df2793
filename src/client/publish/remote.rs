//! The write side of a trust server over the run's [`Transport`]: `GET|POST
//! /v2/<gun>/_trust/tuf/<role>.key` (server-managed keys) and the one multipart `POST
//! /v2/<gun>/_trust/tuf/` that publishes a set of signed files, with the repository's
//! `push,pull` scope. Reads are bounded; notary's error envelope is decoded so a `VERSION`
//! conflict is told apart from other refusals. Must not: sign or decide what to publish.

use super::error::PublishError;
use crate::client::http::{read_prefix, HttpError, Transport};
use crate::crypto::PublicKey;
use crate::tuf::wire::Key;
use crate::tuf::{Gun, RoleName, SignedFile};

/// Largest key or error body read (notary answers well below this).
const MAX_SMALL_BODY: usize = 64 * 1024;

/// How a publish ended when the server refused it.
#[derive(Debug)]
pub enum PublishRefusal {
    /// `400 VERSION`: somebody else published first.
    Conflict,
    /// Any other failure.
    Failed(PublishError),
}

/// The write side of a trust server.
pub struct Remote {
    base: String,
    http: Transport,
}

impl Remote {
    pub fn new(http: &Transport, server: &str) -> Remote {
        Remote {
            base: server.trim_end_matches('/').to_string(),
            http: http.clone(),
        }
    }

    fn url(&self, gun: &Gun, file: &str) -> String {
        format!("{}/v2/{}/_trust/tuf/{}", self.base, gun, file)
    }

    /// The server's key for `role` (`GET`), or a fresh one (`POST`, for rotation).
    pub async fn server_key(
        &self,
        gun: &Gun,
        role: &RoleName,
        rotate: bool,
    ) -> Result<Key, PublishError> {
        let url = self.url(gun, &format!("{role}.key"));
        let scope = push_scope(gun);
        let resp = self
            .http
            .send(&url, Some(&scope), |c| {
                if rotate {
                    c.post(&url)
                } else {
                    c.get(&url)
                }
            })
            .await
            .map_err(|e| transport(&url, e))?;
        let status = resp.status().as_u16();
        let body = read_small(resp, &url).await?;
        if status != 200 {
            return Err(refused(&url, status, &body));
        }
        let bad = |reason: String| PublishError::BadServerKey {
            url: url.clone(),
            role: role.clone(),
            reason,
        };
        let key: Key = serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?;
        let public: PublicKey = key.to_public().map_err(|e| bad(e.to_string()))?;
        Ok(Key::from_public(&public))
    }

    /// Upload `files` in one multipart POST (part filename = role name, field `files`).
    pub async fn publish(
        &self,
        gun: &Gun,
        files: &[(RoleName, SignedFile)],
    ) -> Result<(), PublishRefusal> {
        let url = self.url(gun, "");
        let scope = push_scope(gun);
        // The form is rebuilt for a retry after an auth challenge (bodies are not cloneable).
        let form = || {
            let mut form = reqwest::multipart::Form::new();
            for (role, file) in files {
                let part = reqwest::multipart::Part::bytes(file.bytes().to_vec())
                    .file_name(role.to_string())
                    .mime_str("application/octet-stream")
                    .expect("a static MIME type parses");
                form = form.part("files", part);
            }
            form
        };
        let resp = self
            .http
            .send(&url, Some(&scope), |c| c.post(&url).multipart(form()))
            .await
            .map_err(|e| PublishRefusal::Failed(transport(&url, e)))?;
        let status = resp.status().as_u16();
        let body = read_small(resp, &url)
            .await
            .map_err(PublishRefusal::Failed)?;
        if status == 200 {
            return Ok(());
        }
        if status == 400 && error_code(&body).as_deref() == Some("VERSION") {
            return Err(PublishRefusal::Conflict);
        }
        Err(PublishRefusal::Failed(refused(&url, status, &body)))
    }
}

fn push_scope(gun: &Gun) -> String {
    format!("repository:{gun}:push,pull")
}

fn transport(url: &str, e: HttpError) -> PublishError {
    match e {
        HttpError::Network { url, message } => PublishError::Network { url, message },
        e => PublishError::Network {
            url: url.to_string(),
            message: e.to_string(),
        },
    }
}

/// A response body, truncated past `MAX_SMALL_BODY` (answers here are small JSON; a long
/// error page still yields its status).
async fn read_small(resp: reqwest::Response, url: &str) -> Result<Vec<u8>, PublishError> {
    read_prefix(resp, MAX_SMALL_BODY, url)
        .await
        .map_err(|e| transport(url, e))
}

/// `errors[0].code` of notary's error envelope.
fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(v.pointer("/errors/0/code")?.as_str()?.to_string())
}

fn refused(url: &str, status: u16, body: &[u8]) -> PublishError {
    let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    match v.as_ref().and_then(|v| v.pointer("/errors/0")) {
        Some(e) => PublishError::Rejected {
            url: url.to_string(),
            status,
            code: e
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or("UNKNOWN")
                .to_string(),
            detail: describe_refusal(e),
        },
        None => PublishError::BadResponse {
            url: url.to_string(),
            status,
        },
    }
}

/// The readable part of one notary error: its message, plus a string detail (validation
/// errors) or the denied actions of an access-record detail (auth errors).
fn describe_refusal(e: &serde_json::Value) -> String {
    let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
    let detail = match e.get("detail") {
        Some(serde_json::Value::String(d)) => d.clone(),
        Some(serde_json::Value::Array(records)) => records
            .iter()
            .filter_map(|r| {
                let action = r.get("Action")?.as_str()?;
                let name = r.get("Name")?.as_str()?;
                Some(format!("{action} on {name}"))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    match (message.is_empty(), detail.is_empty()) {
        (_, true) => message.to_string(),
        (true, false) => detail,
        (false, false) => format!("{message} ({detail})"),
    }
}
