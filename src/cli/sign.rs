//! `trustctl sign IMAGE:TAG... [--digest sha256:HEX --size BYTES]`: sign tags (their digest
//! and size from the registry unless given) into the roles docker would choose and publish
//! them, one POST per repository (initialising it the first time). Also the helpers the other publishing commands share (server, pinning, key store).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use super::verify::{pinning, server_for};
use super::{Context, SignArgs, TrustArgs};
use crate::client::pinning::Pinning;
use crate::client::publish::{self, Change, DirKeyring, Outcome, PublishError, Target};
use crate::client::registry;
use crate::error::{Error, Result};
use crate::output::publish::{self as out, SignedTagReport};
use crate::reference::ImageRef;
use crate::tuf::wire::{Base64, FileMeta};
use crate::tuf::{RoleName, TargetName};

/// Where and as of when a publishing command works: `server`, with the run's HTTP client,
/// trust directory and clock.
fn target<'a>(ctx: &'a Context, server: &'a str, pinning: &'a Pinning) -> Target<'a> {
    Target {
        server,
        http: ctx.http(),
        trust_dir: &ctx.trust_dir,
        pinning,
        now: ctx.clock.now(),
    }
}

/// What every publishing command resolves once per run.
pub struct PublishEnv {
    pub pinning: Pinning,
    pub keys: DirKeyring,
}

impl PublishEnv {
    pub fn new(ctx: &Context) -> Result<PublishEnv> {
        let trust = TrustArgs {
            root_keys: Vec::new(),
            expiry_warning: 7,
        };
        Ok(PublishEnv {
            pinning: pinning(ctx, &trust, &[])?,
            keys: DirKeyring::open(&ctx.trust_dir)?,
        })
    }

    /// Publish `changes` to `image`'s repository.
    pub async fn publish(
        &mut self,
        ctx: &Context,
        image: &ImageRef,
        changes: &[Change],
        may_init: bool,
        preloaded: Option<Option<crate::client::trusted::TrustedRepo>>,
    ) -> Result<Outcome> {
        let server = server_for(ctx, image, None);
        let target = target(ctx, &server, &self.pinning);
        publish::publish(
            &target,
            &image.gun,
            changes,
            &mut self.keys,
            may_init,
            preloaded,
        )
        .await
        .map_err(|e| e.context(format!("publishing {}", image.gun)))
    }

    /// The verified state of `image`'s repository (`None`: no trust data).
    pub async fn load(
        &self,
        ctx: &Context,
        image: &ImageRef,
    ) -> Result<Option<crate::client::trusted::TrustedRepo>> {
        let server = server_for(ctx, image, None);
        let target = target(ctx, &server, &self.pinning);
        publish::flow::load_verified_repo(&target, &image.gun).await
    }
}

/// Versions by role name, for reports.
pub fn versions(outcome: &Outcome) -> BTreeMap<String, i64> {
    outcome
        .versions
        .iter()
        .map(|(r, v)| (r.to_string(), *v))
        .collect()
}

pub fn role_names(roles: &[RoleName]) -> Vec<String> {
    roles.iter().map(|r| r.to_string()).collect()
}

/// Ask `question [y/N]` on stderr; only `y`/`yes` is yes. Without a terminal, `flag` is
/// required instead.
pub fn confirm(question: &str, what: &'static str, flag: &'static str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(PublishError::ConfirmationRequired { what, flag }.into());
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading", "stdin", e))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `sha256:HEX` -> 32 bytes.
fn parse_digest(value: &str) -> Result<Vec<u8>, PublishError> {
    let bad = || PublishError::BadDigest {
        value: value.to_string(),
    };
    let hex_part = value.strip_prefix("sha256:").ok_or_else(bad)?;
    if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    hex::decode(hex_part).map_err(|_| bad())
}

struct Request {
    image: ImageRef,
    tag: TargetName,
    digest_hex: String,
    size: u64,
}

/// Parse the arguments; a tag without `--digest` is resolved to its manifest digest and size
/// in the registry (with the run's credentials), as docker signs what it pushed.
async fn requests(ctx: &Context, args: &SignArgs) -> Result<Vec<Request>> {
    let mut out = Vec::new();
    for typed in &args.images {
        let image = ImageRef::parse(typed)?;
        let tag = image.tag.clone().ok_or_else(|| PublishError::TagRequired {
            image: typed.clone(),
        })?;
        let tag = TargetName::new(tag).map_err(|e| PublishError::BadTag {
            image: typed.clone(),
            reason: e.to_string(),
        })?;
        let (digest_hex, size) = match (&args.digest, args.size) {
            (Some(digest), Some(size)) => (hex::encode(parse_digest(digest)?), size),
            (Some(_), None) => {
                return Err(PublishError::SizeRequired {
                    image: typed.clone(),
                }
                .into())
            }
            (None, Some(_)) => {
                return Err(PublishError::SizeWithoutDigest {
                    image: typed.clone(),
                }
                .into())
            }
            (None, None) => {
                let reference = image.digest.clone().unwrap_or_else(|| tag.to_string());
                let m = registry::manifest(ctx.http(), &image, &reference).await?;
                (m.digest_hex().to_string(), m.size)
            }
        };
        out.push(Request {
            image,
            tag,
            digest_hex,
            size,
        });
    }
    Ok(out)
}

pub async fn run(ctx: &Context, args: SignArgs) -> Result<()> {
    let reqs = requests(ctx, &args).await?;
    let mut env = PublishEnv::new(ctx)?;
    // One publish per repository, in the order the repositories first appear.
    let mut order: Vec<&crate::tuf::Gun> = Vec::new();
    for r in &reqs {
        if !order.contains(&&r.image.gun) {
            order.push(&r.image.gun);
        }
    }
    let mut reports = Vec::new();
    for gun in order {
        let group: Vec<&Request> = reqs.iter().filter(|r| &r.image.gun == gun).collect();
        let changes: Vec<Change> = group
            .iter()
            .map(|r| {
                let mut hashes = BTreeMap::new();
                hashes.insert(
                    "sha256".to_string(),
                    Base64(hex::decode(&r.digest_hex).unwrap_or_default()),
                );
                Change::Sign {
                    tag: r.tag.clone(),
                    meta: FileMeta::new(hashes, r.size as i64),
                }
            })
            .collect();
        let outcome = env
            .publish(ctx, &group[0].image, &changes, true, None)
            .await?;
        for (r, roles) in group.iter().zip(&outcome.roles) {
            reports.push(SignedTagReport {
                image: r.image.typed.clone(),
                repository: gun.to_string(),
                tag: r.tag.to_string(),
                digest: format!("sha256:{}", r.digest_hex),
                size: r.size,
                roles: role_names(roles),
                versions: versions(&outcome),
                initialized: outcome.initialised,
            });
        }
    }
    let io = |e| Error::io("writing", "stdout", e);
    if args.json {
        return out::json(&reports).map_err(io);
    }
    for r in &reports {
        if r.initialized {
            out::line(&format!("Initialized signed repository {}", r.repository)).map_err(io)?;
        }
        out::line(&format!(
            "Successfully signed {}:{} ({} into {})",
            r.repository,
            r.tag,
            r.digest,
            r.roles.join(", ")
        ))
        .map_err(io)?;
    }
    Ok(())
}
