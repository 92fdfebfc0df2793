//! `trustctl revoke IMAGE[:TAG] [--yes]`: remove the tag (or every released tag) from every
//! role the user can sign, as `docker trust revoke` does, and publish.

use super::sign::{confirm, role_names, versions, PublishEnv};
use super::{Context, RevokeArgs};
use crate::client::publish::{Change, PublishError};
use crate::error::{Error, Result};
use crate::output::publish::{self as out, RepoChangeReport};
use crate::reference::ImageRef;
use crate::tuf::TargetName;

pub async fn run(ctx: &Context, args: RevokeArgs) -> Result<()> {
    let image = ImageRef::parse(&args.image)?;
    let tag = match &image.tag {
        Some(t) => Some(
            TargetName::new(t.clone()).map_err(|e| PublishError::BadTag {
                image: args.image.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    if tag.is_none() && !args.yes {
        let question = format!(
            "Confirm you would like to delete all signature data for {}?",
            image.typed
        );
        if !confirm(&question, "revoking every tag", "--yes")? {
            return Err(PublishError::Cancelled.into());
        }
    }
    let mut env = PublishEnv::new(ctx)?;
    let change = Change::Revoke { tag: tag.clone() };
    let outcome = env.publish(ctx, &image, &[change], false, None).await?;
    let io = |e| Error::io("writing", "stdout", e);
    if args.json {
        return out::json(&vec![RepoChangeReport {
            action: "revoke".into(),
            repository: image.gun.to_string(),
            subject: tag.map(|t| t.to_string()).unwrap_or_default(),
            roles: role_names(&outcome.roles.concat()),
            versions: versions(&outcome),
            initialized: false,
        }])
        .map_err(io);
    }
    match tag {
        Some(t) => out::line(&format!(
            "Successfully deleted signature for {}:{t}",
            image.name
        )),
        None => out::line(&format!(
            "Successfully deleted signature for {}",
            image.name
        )),
    }
    .map_err(io)
}
