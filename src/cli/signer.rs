//! `trustctl signer add --key FILE... NAME IMAGE...` and `trustctl signer remove NAME
//! IMAGE... [--force]`, with docker's semantics (docs/cli.md).

use std::io::Write;

use super::sign::{confirm, role_names, versions, PublishEnv};
use super::{Context, SignerCommand};
use crate::client::publish::working::{signer_role, WorkingRepo};
use crate::client::publish::{Change, PublishError};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::output::publish::{self as out, RepoChangeReport};
use crate::reference::ImageRef;
use crate::tuf::wire::Key;

/// Largest public key file read (docker: 1 MiB).
const MAX_KEY_FILE: u64 = 1 << 20;

fn read_public_key(path: &std::path::Path) -> Result<Key> {
    let bad = |reason: String| PublishError::PublicKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if meta.len() > MAX_KEY_FILE {
        return Err(bad("larger than 1 MiB".into()).into());
    }
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let key = PublicKey::from_spki_pem(&bytes).map_err(|e| bad(e.to_string()))?;
    Ok(Key::from_public(&key))
}

pub async fn run(ctx: &Context, cmd: SignerCommand) -> Result<()> {
    match cmd {
        SignerCommand::Add {
            keys,
            name,
            images,
            json,
        } => add(ctx, &keys, &name, &images, json).await,
        SignerCommand::Remove {
            name,
            images,
            force,
            json,
        } => remove(ctx, &name, &images, force, json).await,
    }
}

fn io(e: std::io::Error) -> Error {
    Error::io("writing", "stdout", e)
}

async fn add(
    ctx: &Context,
    files: &[std::path::PathBuf],
    name: &str,
    images: &[String],
    json: bool,
) -> Result<()> {
    signer_role(name)?;
    let keys = files
        .iter()
        .map(|f| read_public_key(f))
        .collect::<Result<Vec<_>>>()?;
    let parsed = parse_images(images)?;
    let mut env = PublishEnv::new(ctx)?;
    let mut reports = Vec::new();
    for image in &parsed {
        let change = Change::AddSigner {
            name: name.to_string(),
            keys: keys.clone(),
        };
        let outcome = env.publish(ctx, image, &[change], true, None).await?;
        let report = RepoChangeReport {
            action: "signer-add".into(),
            repository: image.gun.to_string(),
            subject: name.to_string(),
            roles: role_names(&outcome.roles.concat()),
            versions: versions(&outcome),
            initialized: outcome.initialised,
        };
        if !json {
            if report.initialized {
                out::line(&format!("Initialized signed repository {}", image.gun)).map_err(io)?;
            }
            out::line(&format!(
                "Successfully added signer: {name} to {}",
                image.typed
            ))
            .map_err(io)?;
        }
        reports.push(report);
    }
    if json {
        out::json(&reports).map_err(io)?;
    }
    Ok(())
}

async fn remove(
    ctx: &Context,
    name: &str,
    images: &[String],
    force: bool,
    json: bool,
) -> Result<()> {
    if name == "releases" {
        return Err(PublishError::ReservedSigner.into());
    }
    signer_role(name)?;
    let parsed = parse_images(images)?;
    let mut env = PublishEnv::new(ctx)?;
    let mut reports = Vec::new();
    for image in &parsed {
        let state = env.load(ctx, image).await?;
        let Some(trusted) = &state else {
            return Err(crate::client::TrustError::NoTrustData {
                gun: image.gun.clone(),
                server: super::verify::server_for(ctx, image, None),
            }
            .into());
        };
        // Dry run: would this leave no key able to sign releases?
        let mut trial = WorkingRepo::from_trusted(trusted);
        trial.remove_signer(name)?;
        if trial.releases_unsignable() && !force {
            let _ = writeln!(
                std::io::stderr(),
                "trustctl: warning: removing signer {name} leaves no key able to sign releases of {}",
                image.gun
            );
            let question = format!(
                "Removing {name} will make {} unsignable for new releases. Are you sure you want to continue?",
                image.typed
            );
            if !confirm(&question, "removing the last releases signer", "--force")? {
                return Err(PublishError::Cancelled.into());
            }
        }
        let change = Change::RemoveSigner {
            name: name.to_string(),
        };
        let outcome = env
            .publish(ctx, image, &[change], false, Some(state))
            .await?;
        let report = RepoChangeReport {
            action: "signer-remove".into(),
            repository: image.gun.to_string(),
            subject: name.to_string(),
            roles: role_names(&outcome.roles.concat()),
            versions: versions(&outcome),
            initialized: false,
        };
        if !json {
            out::line(&format!("Successfully removed {name} from {}", image.typed)).map_err(io)?;
        }
        reports.push(report);
    }
    if json {
        out::json(&reports).map_err(io)?;
    }
    Ok(())
}

/// Every `IMAGE` argument parsed, before anything is published.
fn parse_images(images: &[String]) -> Result<Vec<ImageRef>> {
    images
        .iter()
        .map(|i| ImageRef::parse(i).map_err(Error::from))
        .collect()
}
