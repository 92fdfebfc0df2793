//! The registry side of an image: resolve `NAME:TAG` (or a digest) to the manifest digest and
//! size with the OCI distribution API, as docker asks for it (OCI index/manifest and Docker
//! list/manifest media types), through the run's [`Transport`] (so registries behind Basic or
//! token auth work). The digest is computed from the bytes received; a registry whose
//! `Docker-Content-Digest` header disagrees with its own body is refused.
//!
//! Owns: talking to registries. Must not: decide what is trusted.

use super::http::{read_limited, HttpError, Transport};
use crate::error::Fault;
use crate::reference::ImageRef;

/// Manifest media types asked for, most specific first (as docker does).
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
/// Largest manifest read (distribution refuses to store larger ones).
pub const MAX_MANIFEST: usize = 4 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{reference}: not found in the registry ({url})")]
    NotFound { reference: String, url: String },
    #[error("{url}: registry answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{0}")]
    Transport(String),
    #[error("{url}: the registry's Docker-Content-Digest {header} does not match the manifest it sent ({computed})")]
    InconsistentDigest {
        url: String,
        header: String,
        computed: String,
    },
}

impl RegistryError {
    pub fn fault(&self) -> Fault {
        match self {
            RegistryError::InconsistentDigest { .. } => Fault::Verification,
            _ => Fault::Environment,
        }
    }
}

impl From<RegistryError> for crate::Error {
    fn from(e: RegistryError) -> crate::Error {
        crate::Error::Client(e.into())
    }
}

/// A manifest as the registry serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `sha256:HEX` of the manifest bytes.
    pub digest: String,
    /// Length of the manifest bytes.
    pub size: u64,
    /// `Content-Type` the registry gave, if any.
    pub media_type: Option<String>,
}

impl Manifest {
    /// The 64 hex digits of the digest.
    pub fn digest_hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// Fetch the manifest `reference` (a tag or `sha256:` digest) of `image`. HTTPS first; plain
/// HTTP only for loopback registries, which docker treats as insecure by default.
pub async fn manifest(
    http: &Transport,
    image: &ImageRef,
    reference: &str,
) -> Result<Manifest, RegistryError> {
    let host = image.registry_host();
    http.alias_credentials(host, image.credentials_key());
    let path = format!("/v2/{}/manifests/{reference}", image.path);
    let scope = format!("repository:{}:pull", image.path);
    let (url, resp) = http
        .send_https_or_loopback(host, &path, Some(&scope), |c, url| {
            c.get(url).header("Accept", ACCEPT)
        })
        .await
        .map_err(|e| RegistryError::Transport(e.describe(&format!("https://{host}{path}"))))?;
    let status = resp.status().as_u16();
    if status == 404 {
        return Err(RegistryError::NotFound {
            reference: format!("{}:{reference}", image.name),
            url,
        });
    }
    if status != 200 {
        return Err(RegistryError::Status { url, status });
    }
    let header = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let media_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = read_limited(resp, MAX_MANIFEST, &url)
        .await
        .map_err(|e: HttpError| RegistryError::Transport(e.describe(&url)))?;
    let computed = format!(
        "sha256:{}",
        hex::encode(crate::crypto::digest::sha256(&body))
    );
    if let Some(header) = header {
        if header != computed {
            return Err(RegistryError::InconsistentDigest {
                url,
                header,
                computed,
            });
        }
    }
    Ok(Manifest {
        digest: computed,
        size: body.len() as u64,
        media_type,
    })
}
