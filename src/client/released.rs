//! Docker's view of a verified repository: released tags, their signers, and the signer and
//! administrative key lists (`docker trust inspect`, `docker pull`; reference §9.2–9.3).
//!
//! Pure functions over the roles the update walk verified, in walk order. Released tags are
//! the targets of `targets/releases` and `targets`; a tag's signers are the other roles that
//! hold the same name and digest; `targets` and `targets/releases` are shown as "Repo Admin".
//! Nothing here fetches or verifies: the input is already trusted.

use std::collections::BTreeMap;

use crate::tuf::{KeyId, RoleName};

/// docker's display name for `targets` and `targets/releases`.
pub const REPO_ADMIN: &str = "Repo Admin";

/// One verified targets role, as the walk visited it, restricted to its delegated paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTargets {
    pub role: RoleName,
    /// Keys allowed to sign this role (from its parent), in the parent's `keyids` order,
    /// as docker shows them (canonical IDs).
    pub keyids: Vec<KeyId>,
    /// Target name -> what the role says about it; only names inside the role's paths.
    pub targets: BTreeMap<String, TargetInfo>,
}

/// The part of a target entry docker uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// Lowercase hex of `hashes.sha256`, empty when the entry has no sha256.
    pub sha256_hex: String,
    pub length: u64,
}

/// One row of "Signatures for …": a released (tag, digest) pair and who else signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTag {
    pub tag: String,
    pub digest_hex: String,
    /// Non-release roles holding the same name and digest, in walk order, as signer names;
    /// `["Repo Admin"]` when there are none (docker's JSON form).
    pub signers: Vec<String>,
}

/// A delegated signer (every delegation except `targets/releases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub name: String,
    pub keys: Vec<KeyId>,
}

/// True for the roles docker treats as releases: `targets` and `targets/releases`.
pub fn is_release_role(role: &RoleName) -> bool {
    role.as_str() == "targets" || role.as_str() == "targets/releases"
}

/// The signer name docker shows for a role.
pub fn signer_name(role: &RoleName) -> String {
    if is_release_role(role) {
        REPO_ADMIN.to_string()
    } else {
        role.as_str()
            .strip_prefix("targets/")
            .unwrap_or(role.as_str())
            .to_string()
    }
}

/// Released tags with their signers, natural-sorted by tag, filtered to `only` if given.
pub fn signed_tags(roles: &[RoleTargets], only: Option<&str>) -> Vec<SignedTag> {
    // Pass 1: every (name, digest) pair a release role holds, in walk order.
    let mut rows: Vec<SignedTag> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    for r in roles.iter().filter(|r| is_release_role(&r.role)) {
        for (name, info) in &r.targets {
            if only.is_some_and(|t| t != name) {
                continue;
            }
            let key = (name.clone(), info.sha256_hex.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(key) {
                slot.insert(rows.len());
                rows.push(SignedTag {
                    tag: name.clone(),
                    digest_hex: info.sha256_hex.clone(),
                    signers: Vec::new(),
                });
            }
        }
    }
    // Pass 2: the other roles holding the same pair are its signers.
    for r in roles.iter().filter(|r| !is_release_role(&r.role)) {
        for (name, info) in &r.targets {
            if let Some(&i) = index.get(&(name.clone(), info.sha256_hex.clone())) {
                rows[i].signers.push(signer_name(&r.role));
            }
        }
    }
    for row in rows.iter_mut().filter(|r| r.signers.is_empty()) {
        row.signers.push(REPO_ADMIN.to_string());
    }
    rows.sort_by(|a, b| natord::compare(&a.tag, &b.tag));
    rows
}

/// The target a pull of `tag` uses: first match in the `targets/releases` subtree (walk
/// order), then in `targets` (docker's `GetTargetByName(tag, releases, targets)`).
pub fn released_target<'a>(
    roles: &'a [RoleTargets],
    tag: &str,
) -> Option<(&'a RoleName, &'a TargetInfo)> {
    let in_subtree = |r: &RoleTargets, base: &str| {
        r.role.as_str() == base || r.role.as_str().starts_with(&format!("{base}/"))
    };
    roles
        .iter()
        .filter(|r| in_subtree(r, "targets/releases"))
        .chain(roles.iter().filter(|r| r.role.as_str() == "targets"))
        .find_map(|r| r.targets.get(tag).map(|i| (&r.role, i)))
}

/// Signers of one (tag, digest) pair: non-release roles holding it, walk order, deduplicated.
pub fn signers_of(roles: &[RoleTargets], tag: &str, digest_hex: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in roles.iter().filter(|r| !is_release_role(&r.role)) {
        if r.targets
            .get(tag)
            .is_some_and(|i| i.sha256_hex == digest_hex)
        {
            let n = signer_name(&r.role);
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// Delegated signers for the "Signers" section: every delegation except `targets/releases`,
/// sorted by name descending (docker's order).
pub fn signers(delegations: &[(RoleName, Vec<KeyId>)]) -> Vec<Signer> {
    let mut out: Vec<Signer> = delegations
        .iter()
        .filter(|(r, _)| r.as_str() != "targets/releases")
        .map(|(r, keys)| Signer {
            name: signer_name(r),
            keys: keys.clone(),
        })
        .collect();
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, targets: &[(&str, &str)]) -> RoleTargets {
        RoleTargets {
            role: RoleName::new(name).unwrap(),
            keyids: vec![],
            targets: targets
                .iter()
                .map(|(n, d)| {
                    (
                        n.to_string(),
                        TargetInfo {
                            sha256_hex: d.to_string(),
                            length: 1,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The state of fixtures/samples/docker/inspect-multi-signers.json: v0 in targets, v1
    /// alice, v2 alice+bob, v10 bob (walk order: targets, alice, bob, releases).
    fn multi() -> Vec<RoleTargets> {
        vec![
            role("targets", &[("v0", "c5")]),
            role("targets/alice", &[("v1", "c5"), ("v2", "01")]),
            role("targets/bob", &[("v2", "01"), ("v10", "02")]),
            role(
                "targets/releases",
                &[("v1", "c5"), ("v2", "01"), ("v10", "02")],
            ),
        ]
    }

    #[test]
    fn signed_tags_match_docker_sample() {
        let rows = signed_tags(&multi(), None);
        let got: Vec<(&str, &str, Vec<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.tag.as_str(),
                    r.digest_hex.as_str(),
                    r.signers.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("v0", "c5", vec!["Repo Admin"]),
                ("v1", "c5", vec!["alice"]),
                ("v2", "01", vec!["alice", "bob"]),
                ("v10", "02", vec!["bob"]),
            ]
        );
        assert_eq!(signed_tags(&multi(), Some("v2")).len(), 1);
        assert!(signed_tags(&multi(), Some("nosuch")).is_empty());
    }

    #[test]
    fn tag_only_in_a_non_release_role_is_not_released() {
        let roles = vec![role("targets", &[]), role("targets/alice", &[("x", "aa")])];
        assert!(signed_tags(&roles, None).is_empty());
        assert_eq!(released_target(&roles, "x"), None);
    }

    #[test]
    fn releases_subtree_wins_over_targets() {
        let roles = vec![
            role("targets", &[("v1", "old")]),
            role("targets/releases", &[("v1", "new")]),
        ];
        let (r, i) = released_target(&roles, "v1").unwrap();
        assert_eq!(
            (r.as_str(), i.sha256_hex.as_str()),
            ("targets/releases", "new")
        );
        assert_eq!(signers_of(&multi(), "v2", "01"), vec!["alice", "bob"]);
        assert!(signers_of(&multi(), "v2", "ff").is_empty());
    }

    #[test]
    fn signers_sorted_descending_without_releases() {
        let k = |c: char| KeyId::new(c.to_string().repeat(64)).unwrap();
        let s = signers(&[
            (RoleName::new("targets/alice").unwrap(), vec![k('a')]),
            (RoleName::releases(), vec![k('a'), k('b')]),
            (RoleName::new("targets/bob").unwrap(), vec![k('b')]),
        ]);
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["bob", "alice"]);
    }
}
