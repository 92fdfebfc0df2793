//! Size limits of fetched metadata (notary-v1.md §8.2). Snapshot, targets and delegation files
//! are limited to exactly the length their parent lists.

/// `timestamp.json`: 1 MiB.
pub const TIMESTAMP_MAX: u64 = 1 << 20;
/// `root.json` (size unknown) and `<n>.root.json`: 100 MiB.
pub const ROOT_MAX: u64 = 100 << 20;
/// `GET <role>.key` responses: 256 KiB.
pub const KEY_RESPONSE_MAX: u64 = 256 << 10;
/// Error bodies parsed for validation details: 1 KiB.
pub const ERROR_BODY_MAX: u64 = 1 << 10;
/// Any metadata file a server accepts in one upload part (root can be largest).
pub const UPLOAD_PART_MAX: u64 = ROOT_MAX;

/// The limit for a file whose parent lists `length` (negative lengths allow nothing).
pub fn listed_length(length: i64) -> u64 {
    u64::try_from(length).unwrap_or(0)
}
