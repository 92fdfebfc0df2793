//! `trustctl pull IMAGE:TAG`: verify (policy included), then ask the registry for the tag's
//! manifest and require its digest to equal the trusted one (catching a registry that serves
//! something else), then `docker pull IMAGE@DIGEST` + `docker tag` when a docker daemon
//! answers, else print the pinned reference to use.
//!
//! The registry check is a minimal stand-in (no auth: registries that need none) until the
//! transport / auth work provides a registry client.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

use super::verify::{verify_image, ImageArg};
use super::{Context, PullArgs};
use crate::client::policy::PolicySatisfied;
use crate::client::update::error::TrustError;
use crate::error::{Error, Result};
use crate::output::verify as out;

/// Manifest media types asked for, as docker does (OCI index/manifest, Docker list/manifest).
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
/// Largest manifest body read when the registry sends no digest header.
const MAX_MANIFEST: usize = 4 << 20;

/// True for registries docker treats as insecure by default (plain HTTP allowed).
fn insecure(registry: &str) -> bool {
    let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

fn registry_host(image: &ImageArg) -> String {
    if image.registry == "docker.io" {
        "registry-1.docker.io".into()
    } else {
        image.registry.clone()
    }
}

/// The repository path inside the registry (`wire/img`, `library/alpine`).
fn repo_path(image: &ImageArg) -> String {
    image
        .gun
        .as_str()
        .strip_prefix(&format!("{}/", image.registry))
        .unwrap_or(image.gun.as_str())
        .to_string()
}

/// Ask the registry which digest it serves for `tag`; `sha256:<hex>`.
pub async fn registry_digest(image: &ImageArg, tag: &str) -> Result<String, TrustError> {
    let host = registry_host(image);
    let path = format!("/v2/{}/manifests/{tag}", repo_path(image));
    let schemes: &[&str] = if insecure(&host) {
        &["https", "http"]
    } else {
        &["https"]
    };
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(insecure(&host))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| TrustError::Registry {
            url: host.clone(),
            message: e.to_string(),
        })?;
    let mut last = String::new();
    for scheme in schemes {
        let url = format!("{scheme}://{host}{path}");
        let resp = match client.get(&url).header("Accept", ACCEPT).send().await {
            Ok(r) => r,
            Err(e) => {
                last = format!("{url}: {e}");
                continue;
            }
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(TrustError::Registry {
                url,
                message: match status.as_u16() {
                    401 | 403 => {
                        format!("HTTP {status}: registry authentication is not supported yet")
                    }
                    _ => format!("HTTP {status}"),
                },
            });
        }
        let header = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.bytes().await.map_err(|e| TrustError::Registry {
            url: url.clone(),
            message: e.to_string(),
        })?;
        if body.len() > MAX_MANIFEST {
            return Err(TrustError::Registry {
                url,
                message: format!("manifest larger than {MAX_MANIFEST} bytes"),
            });
        }
        let computed = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&body)));
        // The body we received is what we judge; a header that disagrees with it is itself
        // a registry serving something else.
        if let Some(h) = header {
            if h != computed {
                return Err(TrustError::RegistryDigestMismatch {
                    reference: format!("{}:{tag}", image.name),
                    trusted: computed,
                    served: h,
                });
            }
        }
        return Ok(computed);
    }
    Err(TrustError::Registry {
        url: host,
        message: last,
    })
}

/// True when `docker version` reaches a daemon within a few seconds.
fn docker_daemon() -> bool {
    let Ok(mut child) = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => return false,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Pull the verified digest with docker and tag it; requires the policy proof.
fn docker_pull(proof: &PolicySatisfied, image: &ImageArg, tag: &str) -> Result<()> {
    let pinned = format!("{}@sha256:{}", image.name, proof.digest_hex());
    for args in [
        vec!["pull".to_string(), pinned.clone()],
        vec![
            "tag".to_string(),
            pinned.clone(),
            format!("{}:{tag}", image.name),
        ],
    ] {
        let status = Command::new("docker")
            .args(&args)
            .status()
            .map_err(|e| Error::io("run", "docker", e))?;
        if !status.success() {
            return Err(TrustError::Registry {
                url: pinned.clone(),
                message: format!("docker {} failed ({status})", args[0]),
            }
            .into());
        }
    }
    Ok(())
}

pub async fn run(ctx: &Context, args: PullArgs) -> Result<()> {
    let v = verify_image(ctx, &args.image, &args.policy, &args.trust).await?;
    let trusted = format!("sha256:{}", v.proof.digest_hex());
    let served = registry_digest(&v.image, &v.tag).await?;
    if served != trusted {
        return Err(TrustError::RegistryDigestMismatch {
            reference: args.image.clone(),
            trusted,
            served,
        }
        .into());
    }
    let pinned = format!("{}@{trusted}", v.image.name);
    if docker_daemon() {
        docker_pull(&v.proof, &v.image, &v.tag)?;
        let _ = writeln!(
            std::io::stderr(),
            "trustctl: pulled {pinned} and tagged {}",
            args.image
        );
        out::line(&pinned).map_err(|e| Error::io("write", "stdout", e))
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "trustctl: no docker daemon answered; the registry serves the trusted digest, pull with:"
        );
        out::line(&pinned).map_err(|e| Error::io("write", "stdout", e))
    }
}
