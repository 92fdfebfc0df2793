//! `snapshot.json` and `timestamp.json` signed parts (§4.5, §4.6).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expires, FileMeta, Role, SnapshotType, TimestampType};
use crate::tuf::RoleName;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(rename = "_type")]
    pub type_tag: SnapshotType,
    pub expires: Expires,
    pub meta: BTreeMap<RoleName, FileMeta>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    #[serde(rename = "_type")]
    pub type_tag: TimestampType,
    pub expires: Expires,
    pub meta: BTreeMap<RoleName, FileMeta>,
    pub version: i64,
}

impl Role for Snapshot {
    const TYPE: &'static str = "Snapshot";
    fn version(&self) -> i64 {
        self.version
    }
    fn expires(&self) -> &Expires {
        &self.expires
    }
}

impl Role for Timestamp {
    const TYPE: &'static str = "Timestamp";
    fn version(&self) -> i64 {
        self.version
    }
    fn expires(&self) -> &Expires {
        &self.expires
    }
}

impl Snapshot {
    pub fn new(version: i64, expires: Expires) -> Snapshot {
        Snapshot {
            type_tag: SnapshotType,
            expires,
            meta: BTreeMap::new(),
            version,
        }
    }
}

impl Timestamp {
    pub fn new(version: i64, expires: Expires) -> Timestamp {
        Timestamp {
            type_tag: TimestampType,
            expires,
            meta: BTreeMap::new(),
            version,
        }
    }

    /// The snapshot entry.
    pub fn snapshot_meta(&self) -> Option<&FileMeta> {
        self.meta.get(&RoleName::snapshot())
    }
}
