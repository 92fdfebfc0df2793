//! Bodies of the `fuzz/` targets, kept in the library so plain tests run them on the samples.
//! Each must never panic, whatever the input.

use super::canonical::to_canonical;
use super::raw::RawSigned;
use super::strict_json;
use super::wire::{Root, Snapshot, Targets, Timestamp};
use super::RoleName;

/// Parse arbitrary bytes as metadata of whatever `_type` they claim; for documents that parse,
/// check that Go re-serialisation is a fixed point (re-parsing it gives the same bytes again).
pub fn parse_metadata(data: &[u8]) {
    let limit = data.len() as u64;
    let Ok(value) = strict_json::parse(data) else {
        return;
    };
    let kind = value
        .get("signed")
        .and_then(|s| s.get("_type"))
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let again = match kind.as_str() {
        "Root" => reserialise::<Root>(&RoleName::root(), data, limit),
        "Targets" => reserialise::<Targets>(&RoleName::targets(), data, limit),
        "Snapshot" => reserialise::<Snapshot>(&RoleName::snapshot(), data, limit),
        "Timestamp" => reserialise::<Timestamp>(&RoleName::timestamp(), data, limit),
        _ => None,
    };
    let _ = again;
}

fn reserialise<R: super::wire::Role>(role: &RoleName, data: &[u8], limit: u64) -> Option<Vec<u8>> {
    let raw = RawSigned::<R>::from_bytes(role, data, limit).ok()?;
    let first = raw.go_reserialised().ok()?;
    let raw2 = RawSigned::<R>::from_bytes(role, &first, u64::MAX).ok();
    let second = raw2.and_then(|r| r.go_reserialised().ok());
    assert_eq!(
        second.as_ref(),
        Some(&first),
        "Go re-serialisation is not a fixed point"
    );
    Some(first)
}

/// Canonical JSON is stable: canonical(parse(canonical(parse(x)))) == canonical(parse(x)).
pub fn canonical_roundtrip(data: &[u8]) {
    let Ok(value) = strict_json::parse(data) else {
        return;
    };
    let Ok(first) = to_canonical(&value) else {
        return;
    };
    let reparsed = strict_json::parse(&first);
    let second = reparsed.ok().and_then(|v| to_canonical(&v).ok());
    assert_eq!(
        second.as_ref(),
        Some(&first),
        "canonical JSON is not stable"
    );
}
