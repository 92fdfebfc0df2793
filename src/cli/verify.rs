//! `trustctl verify IMAGE:TAG`: update the trusted state (or use only the cache with
//! `--offline`), find the tag the way `docker pull` does, check the policy and the trust lock,
//! and print the digest, the pinned reference or a JSON report. Exit codes: 0 valid, 1
//! environment, 2 usage, 3 no trust data / tag not signed, 4 verification or policy failure.
//!
//! Also holds the helpers `inspect`, `pull` and `lock` share (image argument, server,
//! pinning, update, warnings). Image references are `crate::reference::ImageRef`.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::io::Write;

use chrono::Duration;

use super::{Context, TrustArgs, VerifyArgs, VerifyFormat};
use crate::client::cache::MetadataCache;
use crate::client::http::host_of;
use crate::client::lock::{self, TrustLock};
use crate::client::pinning::{Bootstrap, Pin, PinSource, Pinning, TrustPinningConfig};
use crate::client::policy::{Policy, PolicyFile, PolicySatisfied};
use crate::client::released;
use crate::client::trusted::{self, TrustedRepo, UpdateOptions, WalkWarning};
use crate::client::update::error::{TrustError, UsageFailure};
use crate::client::update::http::HttpSource;
use crate::error::{Error, Result};
use crate::output::verify::{self as out, VerifyReport};
use crate::reference::ImageRef;
use crate::tuf::KeyId;

/// The trust server for an image: `--server`, `TRUSTCTL_SERVER`, the lock's server, then
/// docker's rule (notary.docker.io for Docker Hub, else `https://<registry>`).
pub fn server_for(ctx: &Context, image: &ImageRef, locked: Option<&str>) -> String {
    let server = server_choice(ctx, image, locked);
    // Docker authenticates to a trust server with its registry's login; so do we, after the
    // server's own.
    ctx.http()
        .alias_credentials(&host_of(&server), image.credentials_key());
    server
}

fn server_choice(ctx: &Context, image: &ImageRef, locked: Option<&str>) -> String {
    if let Some(s) = &ctx.server_flag {
        return s.clone();
    }
    if let Ok(s) = std::env::var("TRUSTCTL_SERVER") {
        if !s.is_empty() {
            return s;
        }
    }
    if let Some(s) = locked {
        return s.to_string();
    }
    if let Some(s) = ctx.configured_server() {
        return s;
    }
    image.default_trust_server()
}

/// Pinning for this run: `trust_pinning` from `<trust dir>/config.json` plus `--root-key`.
pub fn pinning(ctx: &Context, trust: &TrustArgs, extra: &[String]) -> Result<Pinning> {
    let config = TrustPinningConfig::load(&ctx.trust_dir.join("config.json"))?;
    let mut root_keys = Vec::new();
    for id in trust.root_keys.iter().chain(extra) {
        let k = KeyId::new(id.to_ascii_lowercase())
            .map_err(|_| TrustError::Usage(UsageFailure::RootKey(id.clone())))?;
        if !root_keys.contains(&k) {
            root_keys.push(k);
        }
    }
    Ok(Pinning {
        config,
        root_keys,
        lock_keys: Vec::new(),
    })
}

/// Update (or, offline, load) the trusted state of `image`'s repository, print warnings
/// (trust on first use, skipped roles, expiry) on stderr, and enforce explicit key pins
/// against the current root too (not only at bootstrap).
pub async fn trusted_repo(
    ctx: &Context,
    image: &ImageRef,
    pinning: &Pinning,
    server: &str,
    offline: bool,
    expiry_days: u32,
) -> Result<TrustedRepo> {
    let cache = MetadataCache::new(&ctx.trust_dir, &image.gun);
    let opts = UpdateOptions {
        pinning,
        now: ctx.clock.now(),
        expect_changes: false,
    };
    let repo = if offline {
        trusted::load_offline(&cache, &image.gun, &opts).await?
    } else {
        let source = HttpSource::new(ctx.http(), server);
        trusted::update(&source, &cache, &image.gun, &opts).await?
    };
    if let Pin::Keys { source, ids } = pinning.pin_for(&image.gun)? {
        if matches!(source, PinSource::CommandLine | PinSource::LockFile) {
            let presented = repo.root_key_ids();
            if !presented.iter().any(|k| ids.contains(k)) {
                return Err(TrustError::RootNotPinned {
                    gun: image.gun.clone(),
                    pin: source,
                    pinned: ids,
                    presented,
                }
                .into());
            }
        }
    }
    warn(ctx, &repo, expiry_days);
    Ok(repo)
}

fn warn(ctx: &Context, repo: &TrustedRepo, expiry_days: u32) {
    let mut err = std::io::stderr().lock();
    if let Some(Bootstrap::Tofu) = repo.bootstrap() {
        let ids: Vec<String> = repo.root_key_ids().iter().map(|k| k.to_string()).collect();
        let _ = writeln!(
            err,
            "trustctl: trusting root key {} for {} on first use (pin it with --root-key or trust_pinning)",
            ids.join(", "),
            repo.gun()
        );
    }
    for w in repo.warnings() {
        let _ = writeln!(err, "trustctl: warning: {}: {w}", repo.gun());
    }
    let now = ctx.clock.now();
    let deadline = now + Duration::days(i64::from(expiry_days));
    for (role, when) in repo.expiring_before(deadline) {
        let _ = writeln!(
            err,
            "trustctl: warning: {role} of {} expires {}",
            repo.gun(),
            when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
}

/// What the trusted state says about one tag.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub role: String,
    pub digest_hex: String,
    pub size: u64,
    /// Docker signer names (empty when only release roles hold it).
    pub signers: Vec<String>,
}

/// Find `tag` as `docker pull` does (releases subtree, then targets). Not found: exit 3,
/// unless a delegation that could have held it failed verification: exit 4.
pub fn resolve_tag(repo: &TrustedRepo, tag: &str) -> Result<Resolved, TrustError> {
    let roles = repo.role_targets_for(tag);
    if let Some((role, info)) = released::released_target(&roles, tag) {
        return Ok(Resolved {
            role: role.to_string(),
            digest_hex: info.sha256_hex.clone(),
            size: info.length,
            signers: released::signers_of(&roles, tag, &info.sha256_hex),
        });
    }
    let skipped = repo.warnings().iter().find_map(|w| match w {
        WalkWarning::DelegationSkipped { role, reason } => Some((role.clone(), reason.clone())),
        WalkWarning::OutsidePaths { .. } => None,
    });
    match skipped {
        Some((role, reason)) => Err(TrustError::TagUnverifiable {
            gun: repo.gun().clone(),
            tag: tag.to_string(),
            role,
            reason,
        }),
        None => Err(TrustError::TagNotSigned {
            gun: repo.gun().clone(),
            tag: tag.to_string(),
        }),
    }
}

/// Everything `verify` established for one image; `pull` consumes the proof.
pub struct Verified {
    pub image: ImageRef,
    pub tag: String,
    pub resolved: Resolved,
    pub proof: PolicySatisfied,
    pub repo: TrustedRepo,
    pub server: String,
}

/// Verify one `IMAGE:TAG` under the policy flags (shared by `verify` and `pull`).
pub async fn verify_image(
    ctx: &Context,
    typed: &str,
    policy_args: &super::PolicyArgs,
    trust: &TrustArgs,
) -> Result<Verified> {
    let image = ImageRef::parse(typed)?;
    let tag = image.tag.clone().ok_or_else(|| {
        Error::from(TrustError::Usage(UsageFailure::TagRequired {
            reference: typed.to_string(),
        }))
    })?;
    let cli_policy = Policy {
        signers: policy_args.signers.clone(),
        threshold: policy_args.threshold,
        root_keys: Vec::new(),
    };
    let policy = match &policy_args.policy {
        Some(p) => PolicyFile::load(p)?.for_gun(&image.gun).merged(&cli_policy),
        None => cli_policy,
    };
    policy.validate()?;
    let locked = match &policy_args.lock {
        Some(path) => {
            let l = TrustLock::load(path, false)?;
            let (repo, tag_entry) = l.entry(image.gun.as_str(), &tag)?;
            Some((repo.clone(), tag_entry.clone()))
        }
        None => None,
    };
    let mut pins = pinning(ctx, trust, &policy.root_keys)?;
    if let Some((repo, _)) = &locked {
        pins.lock_keys = repo
            .root_keys
            .iter()
            .filter_map(|k| KeyId::new(k.clone()).ok())
            .collect();
    }
    let server = server_for(ctx, &image, locked.as_ref().map(|(r, _)| r.server.as_str()));
    let repo = trusted_repo(
        ctx,
        &image,
        &pins,
        &server,
        policy_args.offline,
        trust.expiry_warning,
    )
    .await?;
    let resolved = resolve_tag(&repo, &tag)?;
    let proof = policy.evaluate(typed, &resolved.digest_hex, &resolved.signers)?;
    if let Some((_, entry)) = &locked {
        lock::check(
            typed,
            entry,
            &resolved.digest_hex,
            proof.signers(),
            policy_args.allow_update,
        )?;
    }
    Ok(Verified {
        image,
        tag,
        resolved,
        proof,
        repo,
        server: if policy_args.offline {
            "(offline)".into()
        } else {
            server
        },
    })
}

pub async fn run(ctx: &Context, args: VerifyArgs) -> Result<()> {
    let v = verify_image(ctx, &args.image, &args.policy, &args.trust).await?;
    let digest = format!("sha256:{}", v.proof.digest_hex());
    let pinned = format!("{}@{digest}", v.image.name);
    let io = |e| Error::io("write", "stdout", e);
    match args.format {
        VerifyFormat::Digest => out::line(&digest).map_err(io),
        VerifyFormat::Ref => out::line(&pinned).map_err(io),
        VerifyFormat::Json => out::json(&VerifyReport {
            reference: args.image.clone(),
            repository: v.image.gun.to_string(),
            tag: v.tag.clone(),
            digest,
            size: v.resolved.size,
            pinned,
            role: v.resolved.role.clone(),
            signers: v.proof.signers().to_vec(),
            root_keys: v
                .repo
                .root_key_ids()
                .iter()
                .map(|k| k.to_string())
                .collect(),
            server: v.server.clone(),
        })
        .map_err(io),
    }
}
