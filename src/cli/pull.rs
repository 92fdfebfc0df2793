//! `trustctl pull IMAGE:TAG`: verify (policy included), then ask the registry for the tag's
//! manifest and require its digest to equal the trusted one (catching a registry that serves
//! something else), then `docker pull IMAGE@DIGEST` + `docker tag` when a docker daemon
//! answers, else print the pinned reference to use.
//!
//! The registry is asked through `client::registry` with the run's credentials, so
//! registries behind Basic or token auth work.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::verify::verify_image;
use super::{Context, PullArgs};
use crate::client::policy::PolicySatisfied;
use crate::client::registry;
use crate::client::update::error::TrustError;
use crate::error::{Error, Result};
use crate::output::verify as out;
use crate::reference::ImageRef;

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
fn docker_pull(proof: &PolicySatisfied, image: &ImageRef, tag: &str) -> Result<()> {
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
    let served = registry::manifest(ctx.http(), &v.image, &v.tag)
        .await?
        .digest;
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
