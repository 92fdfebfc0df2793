//! The update walk's `MetadataSource` over the run's [`Transport`]: `GET
//! /v2/<gun>/_trust/tuf/<file>` with the repository's `pull` scope, bodies read up to the
//! limit the walk passes, whatever `Content-Length` says.

use super::source::{FetchError, MetadataSource, RemoteFile};
use crate::client::http::{host_of, read_limited, HttpError, Transport};
use crate::tuf::Gun;

/// A trust server reached over HTTP(S).
pub struct HttpSource {
    base: String,
    http: Transport,
}

impl HttpSource {
    /// `server` is the base URL (`https://host:port`).
    pub fn new(http: &Transport, server: &str) -> HttpSource {
        HttpSource {
            base: server.trim_end_matches('/').to_string(),
            http: http.clone(),
        }
    }
}

impl MetadataSource for HttpSource {
    async fn fetch(&self, gun: &Gun, file: &RemoteFile, limit: u64) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}/v2/{}/_trust/tuf/{}", self.base, gun, file.file_name());
        let scope = format!("repository:{gun}:pull");
        let resp = self
            .http
            .send(&url, Some(&scope), |c| c.get(&url))
            .await
            .map_err(|e| FetchError::Other(e.describe(&url)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(FetchError::NotFound);
        }
        if !status.is_success() {
            return Err(FetchError::Other(format!("{url}: HTTP {status}")));
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        read_limited(resp, limit, &url).await.map_err(|e| match e {
            HttpError::TooLarge { .. } => FetchError::TooLarge,
            e => FetchError::Other(e.describe(&url)),
        })
    }

    fn server(&self) -> String {
        host_of(&self.base)
    }
}
