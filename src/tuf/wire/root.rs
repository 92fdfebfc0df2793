//! `root.json`'s signed part (§4.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expires, Key, Role, RoleKeys, RootType};
use crate::tuf::{KeyId, RoleName};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    #[serde(rename = "_type")]
    pub type_tag: RootType,
    pub consistent_snapshot: bool,
    pub expires: Expires,
    pub keys: BTreeMap<KeyId, Key>,
    /// Base roles (and any extra roles another tool wrote, kept verbatim).
    pub roles: BTreeMap<String, RoleKeys>,
    pub version: i64,
}

impl Role for Root {
    const TYPE: &'static str = "Root";
    fn version(&self) -> i64 {
        self.version
    }
    fn expires(&self) -> &Expires {
        &self.expires
    }
}

impl Root {
    /// An empty root (no keys, no roles).
    pub fn new(version: i64, expires: Expires) -> Root {
        Root {
            type_tag: RootType,
            consistent_snapshot: false,
            expires,
            keys: BTreeMap::new(),
            roles: BTreeMap::new(),
            version,
        }
    }

    /// The key list of a base role.
    pub fn role(&self, role: &RoleName) -> Option<&RoleKeys> {
        self.roles.get(role.as_str())
    }

    /// Set a base role's keys (adding the key objects) with the given threshold.
    pub fn set_role(&mut self, role: &RoleName, keys: &[Key], threshold: i64) {
        let keyids = keys
            .iter()
            .map(|k| {
                let id = k.key_id();
                self.keys.insert(id.clone(), k.clone());
                id
            })
            .collect();
        self.roles
            .insert(role.as_str().to_string(), RoleKeys { keyids, threshold });
    }
}
