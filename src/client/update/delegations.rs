//! Step 5 of the update walk: delegations, pre-order in each parent's `delegations.roles`
//! order (notary's walk). A child is visited only if the snapshot lists it. Its bytes must
//! match the snapshot's hash and length (mismatch, oversize and rollback are fatal, as for
//! base roles); a child whose own checks fail (threshold, expiry, malformed; core's
//! `verify_delegated`) is skipped with a warning, as notary and docker do, and its subtree
//! with it. A child's paths are its own paths restricted to those under a parent path;
//! targets outside are ignored with a warning.

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Cached, MetadataSource, TrustError, TrustedDelegation, Walk, WalkWarning, MAX_DELEGATIONS,
};
use crate::client::update::rotation::map_tuf;
use crate::tuf::delegation::{path_allowed, restrict_paths};
use crate::tuf::verify::Expiry;
use crate::tuf::wire::{Role, Snapshot, Targets};
use crate::tuf::{RawSigned, RoleName, Verified};

/// Which verified document a frame's children come from.
#[derive(Clone, Copy)]
enum Parent {
    Top,
    Child(usize),
}

/// A parent whose children are still to be visited.
struct Frame {
    parent: Parent,
    paths: Vec<String>,
}

/// What the delegation walk verified.
pub(super) struct Walked {
    pub delegations: Vec<TrustedDelegation>,
    /// Exact bytes of each verified delegation.
    pub raw: BTreeMap<RoleName, Vec<u8>>,
    /// Delegations whose bytes equal the cached file (nothing to write back).
    pub unchanged: BTreeSet<RoleName>,
    pub warnings: Vec<WalkWarning>,
}

impl<S: MetadataSource> Walk<'_, S> {
    pub(super) async fn walk_delegations(
        &self,
        snapshot: &Snapshot,
        targets: &Verified<Targets>,
    ) -> Result<Walked, TrustError> {
        let gun = self.gun;
        let mut out: Vec<TrustedDelegation> = Vec::new();
        let mut raw = BTreeMap::new();
        let mut unchanged = BTreeSet::new();
        let mut warnings = Vec::new();
        // Explicit stack of (parent, index of next child): pre-order without recursion.
        let mut stack: Vec<(Frame, usize)> = vec![(
            Frame {
                parent: Parent::Top,
                paths: vec![String::new()],
            },
            0,
        )];
        let snap_role = RoleName::snapshot();
        let mut visited = 0usize;
        while let Some((frame, idx)) = stack.pop() {
            let parent_doc = match frame.parent {
                Parent::Top => targets,
                Parent::Child(i) => &out[i].doc,
            };
            let Some(child) = parent_doc.signed().delegations.roles.get(idx).cloned() else {
                continue;
            };
            let parent_paths = frame.paths.clone();
            let parent_ref = frame.parent;
            stack.push((frame, idx + 1));
            visited += 1;
            if visited > MAX_DELEGATIONS {
                return Err(TrustError::Oversized {
                    gun: gun.clone(),
                    role: RoleName::targets(),
                    limit: MAX_DELEGATIONS as u64,
                });
            }
            let name = child.name.clone();
            if out.iter().any(|d| d.role == name) {
                continue;
            }
            // Not in the snapshot: never published; skipped silently (notary).
            let Some(meta) = snapshot.meta.get(&name) else {
                continue;
            };
            let cached_bytes = self.cache.read(&name)?;
            let parent_doc = match parent_ref {
                Parent::Top => targets,
                Parent::Child(i) => &out[i].doc,
            };
            // A delegation that does not verify is skipped with a warning (below); one that
            // does not match the snapshot is fatal (`file_by_meta`).
            let (bytes, checked) = self
                .file_by_meta(
                    &name,
                    &snap_role,
                    meta,
                    [cached_bytes.as_ref(), None],
                    |b| {
                        RawSigned::<Targets>::from_bytes(&name, b, u64::MAX)
                            .map_err(|e| map_tuf(gun, &name, 0, e))
                            .and_then(|raw| {
                                let v = raw.signed_untrusted().version();
                                raw.verify_delegated(parent_doc, Expiry::At(self.now))
                                    .map_err(|e| map_tuf(gun, &name, v, e))
                            })
                    },
                )
                .await?;
            let doc = match checked {
                Ok(doc) => doc,
                Err(e) => {
                    warnings.push(WalkWarning::DelegationSkipped {
                        role: name.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            if cached_bytes.as_ref() == Some(&bytes) {
                unchanged.insert(name.clone());
            }
            // Rollback of a delegation is fatal, as for base roles.
            let floor = Cached::one(&name, cached_bytes).floor(&name, &bytes);
            let version = doc.version().max(0) as u64;
            if let Some(floor) = floor {
                if version < floor {
                    return Err(TrustError::Rollback {
                        gun: gun.clone(),
                        role: name,
                        trusted: floor,
                        served: version,
                    });
                }
            }
            let paths = restrict_paths(&parent_paths, child.path_list());
            warn_outside(&name, doc.signed(), &paths, &mut warnings);
            raw.insert(name.clone(), bytes);
            out.push(TrustedDelegation {
                role: name,
                keyids: child.key_ids().to_vec(),
                paths: paths.clone(),
                doc,
            });
            stack.push((
                Frame {
                    parent: Parent::Child(out.len() - 1),
                    paths,
                },
                0,
            ));
        }
        Ok(Walked {
            delegations: out,
            raw,
            unchanged,
            warnings,
        })
    }
}

fn warn_outside(role: &RoleName, doc: &Targets, paths: &[String], warnings: &mut Vec<WalkWarning>) {
    let outside: Vec<String> = doc
        .targets
        .keys()
        .filter(|n| !path_allowed(paths, n.as_str()))
        .map(|n| n.to_string())
        .collect();
    if !outside.is_empty() {
        warnings.push(WalkWarning::OutsidePaths {
            role: role.clone(),
            targets: outside,
            paths: paths.to_vec(),
        });
    }
}
