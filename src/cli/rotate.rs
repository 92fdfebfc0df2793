//! `trustctl key rotate IMAGE ROLE [--server-managed]`: replace the key of root, targets,
//! snapshot or timestamp and publish the new root. A new root is signed by the new and the
//! previous root keys so clients can follow the rotation; the new key is created (or asked
//! from the server) once, before the publish, so a conflict retry reuses it.

use super::sign::{role_names, versions, PublishEnv};
use super::verify::server_for;
use super::{Context, RotateRole};
use crate::client::publish::remote::Remote;
use crate::client::publish::sign::ROOT_DAYS;
use crate::client::publish::{Change, PublishError};
use crate::crypto::root_certificate;
use crate::error::{Error, Result};
use crate::output::publish::{self as out, RepoChangeReport};
use crate::reference::ImageRef;
use crate::tuf::wire::Key;
use crate::tuf::RoleName;

pub async fn run(
    ctx: &Context,
    image: &str,
    role: RotateRole,
    server_managed: bool,
    json: bool,
) -> Result<()> {
    let image = ImageRef::parse(image)?;
    let gun = &image.gun;
    let role_name = match role {
        RotateRole::Root => RoleName::root(),
        RotateRole::Targets => RoleName::targets(),
        RotateRole::Snapshot => RoleName::snapshot(),
        RotateRole::Timestamp => RoleName::timestamp(),
    };
    if server_managed && matches!(role, RotateRole::Root | RotateRole::Targets) {
        return Err(PublishError::NotServerManageable {
            gun: gun.clone(),
            role: role_name,
        }
        .into());
    }
    let mut env = PublishEnv::new(ctx)?;
    // Make sure the repository exists before creating keys for it.
    let state = env.load(ctx, &image).await?;
    if state.is_none() {
        return Err(crate::client::TrustError::NoTrustData {
            gun: gun.clone(),
            server: server_for(ctx, &image, None),
        }
        .into());
    }
    let change = match role {
        RotateRole::Root => {
            let key = env.keys.generate("root", None)?;
            let now = ctx.clock.now();
            let cert = root_certificate(&key, gun, now, now + chrono::Duration::days(ROOT_DAYS))?;
            Change::RotateRoot {
                cert: Key::from_public(&cert),
            }
        }
        RotateRole::Targets => {
            let key = env.keys.generate("targets", Some(gun))?;
            Change::RotateKey {
                role: role_name.clone(),
                key: Key::from_public(&key.public_key()),
            }
        }
        RotateRole::Snapshot if !server_managed => {
            let key = env.keys.generate("snapshot", Some(gun))?;
            Change::RotateKey {
                role: role_name.clone(),
                key: Key::from_public(&key.public_key()),
            }
        }
        // Timestamp keys are always server-managed; a snapshot with --server-managed too.
        RotateRole::Snapshot | RotateRole::Timestamp => {
            let server = server_for(ctx, &image, None);
            let remote = Remote::new(ctx.http(), &server);
            let key = remote.server_key(gun, &role_name, true).await?;
            Change::RotateKey {
                role: role_name.clone(),
                key,
            }
        }
    };
    let outcome = env
        .publish(ctx, &image, &[change], false, Some(state))
        .await?;
    let io = |e| Error::io("writing", "stdout", e);
    if json {
        return out::json(&vec![RepoChangeReport {
            action: "rotate".into(),
            repository: gun.to_string(),
            subject: role_name.to_string(),
            roles: role_names(&outcome.roles.concat()),
            versions: versions(&outcome),
            initialized: false,
        }])
        .map_err(io);
    }
    out::line(&format!(
        "Successfully rotated the {role_name} key of {gun} (root version {})",
        outcome
            .versions
            .get(&RoleName::root())
            .copied()
            .unwrap_or_default()
    ))
    .map_err(io)
}
