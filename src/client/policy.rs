//! Verification policy: which signers must have signed a tag, and how many of them.
//!
//! Pure evaluation over a verified tag's signer list. The only way to obtain a
//! `PolicySatisfied` proof is `Policy::evaluate`, and `pull` demands one, so pulling a tag
//! that did not meet the policy does not compile. Policy files are read here (JSON, see
//! docs/cli.md); nothing else touches the file system.

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::update::error::{PolicyFailure, TrustError, UsageFailure};
use crate::tuf::Gun;

/// Required signers for one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Signer names (as `inspect` shows them; "Repo Admin" allowed) that must have signed.
    pub signers: Vec<String>,
    /// How many of `signers` must have signed; `None` means all of them.
    pub threshold: Option<usize>,
    /// Root key IDs the repository's root must list (like `--root-key`).
    pub root_keys: Vec<String>,
}

/// Proof that a tag's verified signers met a policy. Private field: only `evaluate` builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySatisfied {
    reference: String,
    digest_hex: String,
    signers: Vec<String>,
}

impl PolicySatisfied {
    pub fn reference(&self) -> &str {
        &self.reference
    }
    /// The trusted digest (lowercase hex sha256) the policy was evaluated for.
    pub fn digest_hex(&self) -> &str {
        &self.digest_hex
    }
    pub fn signers(&self) -> &[String] {
        &self.signers
    }
}

impl Policy {
    /// Check arguments that cannot make sense (exit 2 rather than a confusing failure).
    pub fn validate(&self) -> Result<(), TrustError> {
        match self.threshold {
            Some(0) => Err(TrustError::Usage(UsageFailure::ZeroThreshold)),
            Some(t) if t > self.signers.len() => Err(TrustError::Usage(UsageFailure::Threshold {
                threshold: t,
                signers: self.signers.len(),
            })),
            _ => Ok(()),
        }
    }

    /// Merge command-line settings over a file's: signers are the union (file order, then
    /// new names), the command-line threshold wins, root keys are the union.
    pub fn merged(mut self, cli: &Policy) -> Policy {
        for s in &cli.signers {
            if !self.signers.contains(s) {
                self.signers.push(s.clone());
            }
        }
        for k in &cli.root_keys {
            if !self.root_keys.contains(k) {
                self.root_keys.push(k.clone());
            }
        }
        if cli.threshold.is_some() {
            self.threshold = cli.threshold;
        }
        self
    }

    /// Evaluate against the signers of the verified (tag, digest) pair. `signers` is the
    /// docker signer list: delegated signer names, or empty when only release roles hold it
    /// (then it counts as "Repo Admin").
    pub fn evaluate(
        &self,
        reference: &str,
        digest_hex: &str,
        signers: &[String],
    ) -> Result<PolicySatisfied, TrustError> {
        self.validate()?;
        let have: Vec<String> = if signers.is_empty() {
            vec![super::released::REPO_ADMIN.to_string()]
        } else {
            signers.to_vec()
        };
        let need = self.threshold.unwrap_or(self.signers.len());
        let met: Vec<String> = self
            .signers
            .iter()
            .filter(|s| have.contains(s))
            .cloned()
            .collect();
        if met.len() < need {
            return Err(TrustError::Policy {
                reference: reference.to_string(),
                reason: PolicyFailure::Signers {
                    required: self.signers.clone(),
                    have: met,
                    need,
                },
            });
        }
        Ok(PolicySatisfied {
            reference: reference.to_string(),
            digest_hex: digest_hex.to_string(),
            signers: have,
        })
    }
}

/// A policy file: defaults plus per-repository overrides (exact GUN or `prefix*`, longest
/// match wins).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub signers: Vec<String>,
    #[serde(default)]
    pub threshold: Option<usize>,
    #[serde(default)]
    pub root_keys: Vec<String>,
    #[serde(default)]
    pub repositories: BTreeMap<String, RepoPolicy>,
}

/// The policy for repositories matching one pattern.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RepoPolicy {
    #[serde(default)]
    pub signers: Vec<String>,
    #[serde(default)]
    pub threshold: Option<usize>,
    #[serde(default)]
    pub root_keys: Vec<String>,
}

impl PolicyFile {
    pub fn load(path: &Path) -> Result<PolicyFile, TrustError> {
        let bytes = std::fs::read(path).map_err(|e| TrustError::ConfigRead {
            path: path.to_path_buf(),
            kind: e.kind(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            TrustError::Usage(UsageFailure::PolicyFile {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        })
    }

    /// The policy for `gun`: the most specific repository entry if one matches, else the
    /// top-level defaults.
    pub fn for_gun(&self, gun: &Gun) -> Policy {
        let g = gun.as_str();
        let entry = self.repositories.get(g).or_else(|| {
            self.repositories
                .iter()
                .filter(|(p, _)| p.strip_suffix('*').is_some_and(|pre| g.starts_with(pre)))
                .max_by_key(|(p, _)| p.len())
                .map(|(_, v)| v)
        });
        match entry {
            Some(e) => Policy {
                signers: e.signers.clone(),
                threshold: e.threshold,
                root_keys: e.root_keys.clone(),
            },
            None => Policy {
                signers: self.signers.clone(),
                threshold: self.threshold,
                root_keys: self.root_keys.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(signers: &[&str], threshold: Option<usize>) -> Policy {
        Policy {
            signers: signers.iter().map(|s| s.to_string()).collect(),
            threshold,
            root_keys: vec![],
        }
    }
    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_required_signers_by_default() {
        let pol = p(&["alice", "bob"], None);
        assert!(pol.evaluate("r:v2", "01", &v(&["alice", "bob"])).is_ok());
        assert_eq!(
            pol.evaluate("r:v1", "c5", &v(&["alice"])),
            Err(TrustError::Policy {
                reference: "r:v1".into(),
                reason: PolicyFailure::Signers {
                    required: v(&["alice", "bob"]),
                    have: v(&["alice"]),
                    need: 2
                }
            })
        );
    }

    #[test]
    fn threshold_of_required_and_repo_admin() {
        let pol = p(&["alice", "bob", "carol"], Some(2));
        assert!(pol.evaluate("r", "d", &v(&["carol", "bob", "zed"])).is_ok());
        assert!(matches!(
            pol.evaluate("r", "d", &v(&["carol", "zed"])),
            Err(TrustError::Policy { .. })
        ));
        let admin = p(&["Repo Admin"], None);
        let ok = admin.evaluate("r", "d", &[]).unwrap();
        assert_eq!(ok.signers(), &v(&["Repo Admin"])[..]);
        assert!(matches!(
            admin.evaluate("r", "d", &v(&["alice"])),
            Err(TrustError::Policy { .. })
        ));
        // No requirement: any validly signed tag passes.
        assert_eq!(
            p(&[], None)
                .evaluate("r", "d", &v(&["x"]))
                .unwrap()
                .digest_hex(),
            "d"
        );
    }

    #[test]
    fn nonsense_thresholds_are_usage_errors() {
        assert_eq!(
            p(&["a"], Some(2)).validate(),
            Err(TrustError::Usage(UsageFailure::Threshold {
                threshold: 2,
                signers: 1
            }))
        );
        assert_eq!(
            p(&["a"], Some(0)).validate(),
            Err(TrustError::Usage(UsageFailure::ZeroThreshold))
        );
    }

    #[test]
    fn policy_file_repository_match_and_merge() {
        let f: PolicyFile = serde_json::from_str(
            r#"{"signers":["ci"],"repositories":{
                 "localhost:5000/wire/*":{"signers":["alice"],"threshold":1},
                 "localhost:5000/wire/img":{"signers":["bob"]}}}"#,
        )
        .unwrap();
        let g = |s: &str| Gun::new(s).unwrap();
        assert_eq!(
            f.for_gun(&g("localhost:5000/wire/img")).signers,
            v(&["bob"])
        );
        assert_eq!(f.for_gun(&g("localhost:5000/wire/x")).threshold, Some(1));
        assert_eq!(f.for_gun(&g("docker.io/library/a")).signers, v(&["ci"]));
        let m = f
            .for_gun(&g("localhost:5000/wire/x"))
            .merged(&p(&["alice", "carol"], Some(2)));
        assert_eq!(m, p(&["alice", "carol"], Some(2)));
        assert!(serde_json::from_str::<PolicyFile>(r#"{"signer":["x"]}"#).is_err());
    }
}
