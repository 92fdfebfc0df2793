//! Delegation rules (notary-v1.md §3.3, §4.4, §8.1): string-prefix paths (`""` = everything),
//! child paths restricted to the parent's, direct-parent checks, and the docker view of roles
//! (signer names, release roles).

use super::wire::Targets;
use super::{Error, RoleName};

/// Whether `target` is allowed by a list of path prefixes.
pub fn path_allowed(paths: &[String], target: &str) -> bool {
    paths.iter().any(|p| target.starts_with(p.as_str()))
}

/// The effective paths of a child: its own paths that lie under some path of its parent.
pub fn restrict_paths(parent_paths: &[String], child_paths: &[String]) -> Vec<String> {
    child_paths
        .iter()
        .filter(|c| path_allowed(parent_paths, c))
        .cloned()
        .collect()
}

/// `Ok` when `target` lies under one of `paths` (the effective paths of `role`).
pub fn check_target_allowed(
    role: &RoleName,
    paths: &[String],
    target: &super::TargetName,
) -> Result<(), Error> {
    if path_allowed(paths, target.as_str()) {
        Ok(())
    } else {
        Err(Error::PathNotDelegated {
            role: role.clone(),
            target: target.clone(),
        })
    }
}

/// Check the `delegations` of a targets file signed as `role`: every delegated role is a valid
/// direct child of `role` with threshold >= 1 and every key ID has a key.
pub fn check_delegations(role: &RoleName, targets: &Targets) -> Result<(), Error> {
    for entry in &targets.delegations.roles {
        let invalid = |reason| Error::InvalidDelegation {
            parent: role.clone(),
            role: entry.name.clone(),
            reason,
        };
        if entry.name.parent().as_ref() != Some(role) {
            return Err(invalid("not a direct child of this role"));
        }
        if entry.threshold < 1 {
            return Err(invalid("threshold must be at least 1"));
        }
        if let Some(id) = entry
            .key_ids()
            .iter()
            .find(|id| !targets.delegations.keys.contains_key(*id))
        {
            return Err(Error::UnknownRoleKey {
                role: entry.name.to_string(),
                key_id: id.clone(),
            });
        }
    }
    Ok(())
}

/// `targets` and `targets/releases`: the roles docker shows as "Repo Admin" and reads tags from.
pub fn is_release_role(role: &RoleName) -> bool {
    role == &RoleName::targets() || role == &RoleName::releases()
}

/// Docker's signer name for a role (`targets/alice` -> `alice`), `None` for release roles.
pub fn signer_name(role: &RoleName) -> Option<&str> {
    if is_release_role(role) {
        return None;
    }
    role.as_str().strip_prefix("targets/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefixes() {
        assert!(path_allowed(&v(&[""]), "anything"));
        assert!(path_allowed(&v(&["v1"]), "v1.2"));
        assert!(!path_allowed(&v(&["v1"]), "v2"));
        assert!(!path_allowed(&[], "v1"));
        assert_eq!(
            restrict_paths(&v(&["a/"]), &v(&["a/b", "c", ""])),
            v(&["a/b"])
        );
        assert_eq!(restrict_paths(&v(&[""]), &v(&["x", ""])), v(&["x", ""]));
        let role = RoleName::releases();
        let t = crate::tuf::TargetName::new("v2").unwrap();
        assert_eq!(
            check_target_allowed(&role, &v(&["v1"]), &t),
            Err(Error::PathNotDelegated {
                role: role.clone(),
                target: t.clone()
            })
        );
        check_target_allowed(&role, &v(&["v"]), &t).unwrap();
    }

    #[test]
    fn signer_names() {
        assert_eq!(
            signer_name(&RoleName::new("targets/alice").unwrap()),
            Some("alice")
        );
        assert_eq!(signer_name(&RoleName::releases()), None);
        assert_eq!(signer_name(&RoleName::targets()), None);
    }
}
