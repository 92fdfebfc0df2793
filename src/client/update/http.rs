//! STAND-IN `MetadataSource` over HTTP(S) with reqwest, until the transport branch's
//! `client::http::NotaryClient` lands (then that client implements `MetadataSource` and this
//! file goes). Bounded reads: a body longer than the limit the walk passes is refused while
//! streaming, whatever `Content-Length` says.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::path::Path;

use super::error::TrustError;
use super::source::{FetchError, MetadataSource, RemoteFile};
use crate::tuf::Gun;

/// A trust server reached over HTTP(S).
pub struct HttpSource {
    base: String,
    client: reqwest::Client,
}

impl HttpSource {
    /// `server` is the base URL (`https://host:port`); `ca` an extra PEM root to trust.
    pub fn new(server: &str, ca: Option<&Path>) -> Result<HttpSource, TrustError> {
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("trustctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(120));
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).map_err(|e| TrustError::ConfigRead {
                path: ca.to_path_buf(),
                kind: e.kind(),
            })?;
            let cert =
                reqwest::Certificate::from_pem(&pem).map_err(|e| TrustError::ConfigParse {
                    path: ca.to_path_buf(),
                    line: 0,
                    reason: e.to_string(),
                })?;
            b = b.add_root_certificate(cert);
        }
        let client = b.build().map_err(|e| TrustError::Registry {
            url: server.to_string(),
            message: e.to_string(),
        })?;
        Ok(HttpSource {
            base: server.trim_end_matches('/').to_string(),
            client,
        })
    }
}

impl MetadataSource for HttpSource {
    async fn fetch(&self, gun: &Gun, file: &RemoteFile, limit: u64) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}/v2/{}/_trust/tuf/{}", self.base, gun, file.file_name());
        let mut resp = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| FetchError::Other(format!("{url}: {}", error_chain(&e))))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(FetchError::NotFound);
        }
        if !status.is_success() {
            return Err(FetchError::Other(format!("{url}: HTTP {status}")));
        }
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::Other(format!("{url}: {}", error_chain(&e))))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn server(&self) -> String {
        self.base
            .split_once("://")
            .map(|(_, h)| h.to_string())
            .unwrap_or_else(|| self.base.clone())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
