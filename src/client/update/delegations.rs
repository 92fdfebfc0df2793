//! Step 5 of the update walk: delegations, pre-order in each parent's `delegations.roles`
//! order (notary's walk). A child is visited only if the snapshot lists it. Its bytes must
//! match the snapshot's hash and length (mismatch, oversize and rollback are fatal, as for
//! base roles); a child whose own checks fail (threshold, expiry, malformed) is skipped with
//! a warning, as notary and docker do, and its subtree with it. A child's paths are its own
//! paths restricted to those under a parent path; targets outside are ignored.

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use super::{
    Cached, MetadataSource, TrustError, TrustedDelegation, Walk, WalkWarning, MAX_DELEGATIONS,
};
use crate::client::update::model::{
    self, Delegations, Header, MetaSigned, TargetsSigned, Untrusted,
};
use crate::client::update::rotation::map_model;
use crate::tuf::RoleName;

/// A parent whose children are still to be visited (its delegations only: the target map,
/// possibly 10,000s of entries, is never copied).
struct Frame {
    role: RoleName,
    delegations: Delegations,
    paths: Vec<String>,
}

type Walked = (
    Vec<TrustedDelegation>,
    BTreeMap<RoleName, Vec<u8>>,
    Vec<WalkWarning>,
);

impl<S: MetadataSource> Walk<'_, S> {
    pub(super) async fn walk_delegations(
        &self,
        snapshot: &MetaSigned,
        targets: &Untrusted<TargetsSigned>,
    ) -> Result<Walked, TrustError> {
        let gun = self.gun;
        let mut out: Vec<TrustedDelegation> = Vec::new();
        let mut raw = BTreeMap::new();
        let mut warnings = Vec::new();
        let top = Frame {
            role: RoleName::targets(),
            delegations: targets.signed.delegations.clone().unwrap_or_default(),
            paths: vec![String::new()],
        };
        warn_outside(&top.role, &targets.signed, &top.paths, &mut warnings);
        // Explicit stack of (parent, index of next child): pre-order without recursion.
        let mut stack: Vec<(Frame, usize)> = vec![(top, 0)];
        let snap_role = RoleName::snapshot();
        let mut visited = 0usize;
        while let Some((frame, idx)) = stack.pop() {
            let Some(child) = frame
                .delegations
                .roles
                .as_ref()
                .and_then(|r| r.get(idx))
                .cloned()
            else {
                continue;
            };
            stack.push((frame, idx + 1));
            visited += 1;
            if visited > MAX_DELEGATIONS {
                return Err(TrustError::Oversized {
                    gun: gun.clone(),
                    role: RoleName::targets(),
                    limit: MAX_DELEGATIONS as u64,
                });
            }
            let Some((parent, _)) = stack.last() else {
                break;
            };
            // The child must be a valid, direct child of this parent, visited once.
            let name = match RoleName::new(child.name.clone()) {
                Ok(n) if n.parent().as_ref() == Some(&parent.role) => n,
                _ => {
                    warnings.push(WalkWarning::DelegationSkipped {
                        role: parent.role.clone(),
                        reason: format!("{:?} is not a direct child delegation", child.name),
                    });
                    continue;
                }
            };
            if out.iter().any(|d| d.role == name) {
                continue;
            }
            // Not in the snapshot: never published; skipped silently (notary).
            let Some(meta) = snapshot.meta.get(name.as_str()) else {
                continue;
            };
            let cached_bytes = self.cache.read(&name)?;
            let bytes = self
                .file_by_meta(&name, &snap_role, meta, cached_bytes.as_ref())
                .await?;
            let keyids = child.keyids.clone().unwrap_or_default();
            let keys = &parent.delegations.keys;
            let checked = model::parse_untrusted::<TargetsSigned>(&bytes, "Targets")
                .map_err(|e| map_model(gun, &name, 0, e))
                .and_then(|doc| {
                    let v = doc.signed.version;
                    doc.check_threshold(keys, &keyids, child.threshold)
                        .map_err(|e| map_model(gun, &name, v, e))?;
                    self.check_expiry(&name, &doc.signed)?;
                    Ok(doc)
                });
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
            // Rollback of a delegation is fatal, as for base roles.
            let floor = Cached {
                root: None,
                files: cached_bytes
                    .map(|b| BTreeMap::from([(name.clone(), b)]))
                    .unwrap_or_default(),
            }
            .version(&name);
            if let Some(floor) = floor {
                if doc.signed.version() < floor {
                    return Err(TrustError::Rollback {
                        gun: gun.clone(),
                        role: name,
                        trusted: floor,
                        served: doc.signed.version(),
                    });
                }
            }
            let paths = restrict(child.paths.as_deref().unwrap_or(&[]), &parent.paths);
            warn_outside(&name, &doc.signed, &paths, &mut warnings);
            let frame = Frame {
                role: name.clone(),
                delegations: doc.signed.delegations.clone().unwrap_or_default(),
                paths: paths.clone(),
            };
            raw.insert(name.clone(), bytes);
            out.push(TrustedDelegation {
                role: name,
                keyids,
                paths,
                doc,
            });
            stack.push((frame, 0));
        }
        Ok((out, raw, warnings))
    }
}

/// A child's effective paths: its own paths that fall under one of the parent's.
fn restrict(child: &[String], parent: &[String]) -> Vec<String> {
    child
        .iter()
        .filter(|c| parent.iter().any(|p| c.starts_with(p.as_str())))
        .cloned()
        .collect()
}

fn warn_outside(
    role: &RoleName,
    doc: &TargetsSigned,
    paths: &[String],
    warnings: &mut Vec<WalkWarning>,
) {
    let outside: Vec<String> = doc
        .targets
        .iter()
        .flatten()
        .map(|(n, _)| n)
        .filter(|n| !paths.iter().any(|p| n.starts_with(p.as_str())))
        .cloned()
        .collect();
    if !outside.is_empty() {
        warnings.push(WalkWarning::OutsidePaths {
            role: role.clone(),
            targets: outside,
            paths: paths.to_vec(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::restrict;

    #[test]
    fn child_paths_are_restricted_to_the_parent() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(restrict(&s(&[""]), &s(&[""])), s(&[""]));
        assert_eq!(
            restrict(&s(&["prod/a", "dev/"]), &s(&["prod/"])),
            s(&["prod/a"])
        );
        // A child claiming everything under a restricted parent gets nothing.
        assert!(restrict(&s(&[""]), &s(&["prod/"])).is_empty());
        assert!(restrict(&s(&[]), &s(&[""])).is_empty());
    }
}
