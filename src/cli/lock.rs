//! `trustctl lock add|update`: maintain the trust lock a CI pipeline keeps in its repository.
//! `add` verifies each `IMAGE:TAG` and records it; `update` re-verifies every entry against
//! its locked root keys and server and rewrites the file only if all pass (new digests and
//! signers are recorded). Nothing is written when any entry fails.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::io::Write;

use super::verify::{pinning, resolve_tag, server_for, trusted_repo};
use super::{Context, LockCommand, PolicyArgs, TrustArgs};
use crate::client::lock::TrustLock;
use crate::error::Result;
use crate::reference::ImageRef;
use crate::tuf::KeyId;

pub async fn run(ctx: &Context, cmd: LockCommand) -> Result<()> {
    match cmd {
        LockCommand::Add {
            images,
            file,
            trust,
        } => {
            let mut lock = TrustLock::load(&file, true)?;
            let policy = PolicyArgs {
                signers: Vec::new(),
                threshold: None,
                policy: None,
                offline: false,
                lock: None,
                allow_update: false,
            };
            for typed in &images {
                let v = super::verify::verify_image(ctx, typed, &policy, &trust).await?;
                let keys: Vec<String> = v
                    .repo
                    .root_key_ids()
                    .iter()
                    .map(|k| k.to_string())
                    .collect();
                lock.record(
                    v.image.gun.as_str(),
                    &v.server,
                    &keys,
                    &v.tag,
                    v.proof.digest_hex(),
                    &v.resolved.signers,
                );
            }
            lock.save(&file)?;
            note(&format!(
                "recorded {} tag(s) in {}",
                images.len(),
                file.display()
            ));
            Ok(())
        }
        LockCommand::Update { file, trust } => {
            let old = TrustLock::load(&file, false)?;
            let mut new = old.clone();
            for (gun, repo) in &old.repositories {
                for tag in repo.tags.keys() {
                    let image = ImageRef::parse(&format!("{gun}:{tag}"))?;
                    let trust = TrustArgs {
                        root_keys: repo.root_keys.clone(),
                        expiry_warning: trust.expiry_warning,
                    };
                    let mut pins = pinning(ctx, &trust, &[])?;
                    pins.lock_keys = repo
                        .root_keys
                        .iter()
                        .filter_map(|k| KeyId::new(k.clone()).ok())
                        .collect();
                    let server = server_for(ctx, &image, Some(&repo.server));
                    let trusted =
                        trusted_repo(ctx, &image, &pins, &server, false, trust.expiry_warning)
                            .await?;
                    let resolved = resolve_tag(&trusted, tag)?;
                    let keys: Vec<String> = trusted
                        .root_key_ids()
                        .iter()
                        .map(|k| k.to_string())
                        .collect();
                    new.record(
                        gun,
                        &server,
                        &keys,
                        tag,
                        &resolved.digest_hex,
                        &resolved.signers,
                    );
                }
            }
            if new != old {
                new.save(&file)?;
                note(&format!("updated {}", file.display()));
            } else {
                note(&format!("{} is up to date", file.display()));
            }
            Ok(())
        }
    }
}

fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "trustctl: {msg}");
}
