//! Reading a large `targets` file's typed role in two halves side by side.
//!
//! The strict reader (`strict_json::parse_envelope`) writes the canonical `signed` bytes and,
//! when neither `signed` nor its `targets` object had to be re-ordered, notes where each
//! `targets` entry starts ([`TargetEntries`]). Those bytes are then sorted and free of repeated
//! keys, so the entries can be read as two independent objects on two threads and joined in
//! order: the same `Targets` as one pass over the same bytes (tests compare the two). Every
//! byte read comes from the canonical bytes the signatures cover.
//!
//! Must not: read anything but those bytes, or decide what a malformed file means (any
//! failure is re-read in one pass, whose error is the one reported).

use super::targets::Entries;
use super::{FileMeta, Targets};
use crate::tuf::TargetName;

/// Where the entries of the top-level `targets` object of canonical `signed` bytes start
/// (each at its key's opening quote), and where the object's closing brace is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetEntries {
    pub starts: Vec<usize>,
    pub close: usize,
}

/// Files with fewer entries are read in one pass (a thread costs more than it saves).
const SPLIT_MIN: usize = 2048;

/// The typed role from canonical bytes, in two halves when `entries` allows it.
pub(super) fn read(bytes: &[u8], entries: Option<&TargetEntries>) -> serde_json::Result<Targets> {
    let whole = || crate::tuf::json_from_bytes(bytes);
    let Some(e) = entries.filter(|e| e.starts.len() >= SPLIT_MIN) else {
        return whole();
    };
    // The layout the index promises: `{` before the first entry, `,` before the middle one,
    // `}` at the close. Anything else is read in one pass.
    let (first, mid) = (e.starts[0], e.starts[e.starts.len() / 2]);
    let shaped = first > 0
        && bytes.get(first - 1) == Some(&b'{')
        && mid > first
        && bytes.get(mid - 1) == Some(&b',')
        && e.close > mid
        && bytes.get(e.close) == Some(&b'}');
    if !shaped {
        return whole();
    }
    match read_halves(bytes, first, mid, e.close) {
        Ok(t) => Ok(t),
        // The one-pass error names the place in the whole document.
        Err(_) => whole(),
    }
}

fn read_halves(
    bytes: &[u8],
    first: usize,
    mid: usize,
    close: usize,
) -> serde_json::Result<Targets> {
    // The document with an empty `targets` object, and each half as an object of its own.
    let mut rest = Vec::with_capacity(first + bytes.len() - close);
    rest.extend_from_slice(&bytes[..first]);
    rest.extend_from_slice(&bytes[close..]);
    std::thread::scope(|scope| {
        let read_second = || entries_of(&bytes[mid..close]);
        // No thread to be had (resources exhausted): the second half is read here too.
        let second = std::thread::Builder::new()
            .spawn_scoped(scope, read_second)
            .ok();
        let mut doc: Targets = crate::tuf::json_from_bytes(&rest)?;
        let mut all = entries_of(&bytes[first..mid - 1])?;
        // A reading thread that died is redone here.
        let second = match second.map(|h| h.join()) {
            Some(Ok(read)) => read,
            _ => read_second(),
        }?;
        all.extend(second);
        if !doc.targets.is_empty() {
            return Err(serde::de::Error::custom(
                "targets entries outside the index",
            ));
        }
        // Sorted and without repeats (the index exists only then): built in bulk.
        doc.targets = all.into_iter().collect();
        Ok(doc)
    })
}

/// `"name":{…},…` (the inside of an object) read as (name, file) pairs in order.
fn entries_of(inner: &[u8]) -> serde_json::Result<Vec<(TargetName, FileMeta)>> {
    let mut text = Vec::with_capacity(inner.len() + 2);
    text.push(b'{');
    text.extend_from_slice(inner);
    text.push(b'}');
    crate::tuf::json_from_bytes::<Entries<TargetName, FileMeta>>(&text).map(|e| e.0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::tuf::canonical::to_canonical_of;
    use crate::tuf::wire::{Base64, Expires};
    use crate::tuf::{RawSigned, RoleName};

    /// A targets document with `n` entries of every shape a file can hold: names that need
    /// escaping, non-ASCII names, two digests, custom data.
    fn doc(n: usize) -> Targets {
        let at = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00+01:00").unwrap();
        let mut t = Targets::new(7, Expires::new(at));
        for i in 0..n {
            let name = match i % 4 {
                0 => format!("t{i}"),
                1 => format!("q\"{i}\\x"),
                2 => format!("é{i}"),
                _ => format!("v{i:08}"),
            };
            let mut hashes = BTreeMap::new();
            hashes.insert("sha256".to_string(), Base64(vec![i as u8; 32]));
            if i % 3 == 0 {
                hashes.insert("sha512".to_string(), Base64(vec![1; 64]));
            }
            let mut meta = FileMeta::new(hashes, i as i64);
            if i % 5 == 0 {
                meta.custom = Some(serde_json::json!({"x": {"t1": {"y": [i]}}, "a": "b"}));
            }
            t.targets.insert(TargetName::new(name).unwrap(), meta);
        }
        t
    }

    fn envelope(signed: &[u8]) -> Vec<u8> {
        let mut out = b"{\"signed\":".to_vec();
        out.extend_from_slice(signed);
        out.extend_from_slice(b",\"signatures\":[]}");
        out
    }

    fn parsed(file: &[u8]) -> (Targets, Option<TargetEntries>) {
        let role = RoleName::targets();
        let raw = RawSigned::<Targets>::from_bytes(&role, file, u64::MAX).unwrap();
        let part = match crate::tuf::strict_json::parse_envelope(file).unwrap() {
            crate::tuf::strict_json::Envelope::Object { signed, .. } => signed.unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(part.canonical, raw.canonical_bytes());
        (raw.signed_untrusted().clone(), part.targets_entries)
    }

    #[test]
    fn halves_read_the_same_document_as_one_pass() {
        for n in [0, 3, SPLIT_MIN - 1, SPLIT_MIN, SPLIT_MIN + 1, 5001] {
            let want = doc(n);
            let canonical = to_canonical_of(&want).unwrap();
            let (got, index) = parsed(&envelope(&canonical));
            assert_eq!(got, want, "{n} entries");
            let index = index.expect("sorted input is indexed");
            assert_eq!(index.starts.len(), n);
            assert_eq!(canonical[index.close], b'}');
            for &s in &index.starts {
                assert_eq!(canonical[s], b'"', "an entry starts at its key");
            }
        }
    }

    #[test]
    fn reordered_input_is_read_in_one_pass_and_still_equal() {
        let want = doc(SPLIT_MIN + 10);
        let canonical = String::from_utf8(to_canonical_of(&want).unwrap()).unwrap();
        // `signed` with `version` first: re-ordered while read, so its offsets are not kept.
        let body = canonical
            .strip_prefix('{')
            .unwrap()
            .replace(",\"version\":7}", "");
        let moved = format!("{{\"version\":7,{body}}}");
        let (got, index) = parsed(&envelope(moved.as_bytes()));
        assert_eq!(got, want);
        assert_eq!(index, None);
        // A `targets` object whose entries arrive unsorted: not indexed either.
        let (first, rest) = canonical.split_once("\"targets\":{").unwrap();
        let (entries, tail) = rest.split_once("},\"version\"").unwrap();
        let (a, b) = entries.split_at(entries.find(",\"t1000\"").unwrap());
        let swapped = format!("{first}\"targets\":{{{},{a}}},\"version\"{tail}", &b[1..]);
        let (got, index) = parsed(&envelope(swapped.as_bytes()));
        assert_eq!(got, want);
        assert_eq!(index, None);
    }

    #[test]
    fn a_bad_entry_in_either_half_fails_as_one_pass_would() {
        let canonical = String::from_utf8(to_canonical_of(&doc(SPLIT_MIN * 2)).unwrap()).unwrap();
        // A `hashes` that is not a map, early in the file or late.
        for bad in ["\"t8\":{\"hashes\":{", "\"t4004\":{\"hashes\":{"] {
            let broken =
                canonical.replacen(bad, &bad.replace("hashes\":{", "hashes\":\"x\",\"h\":{"), 1);
            assert_ne!(broken, canonical);
            let role = RoleName::targets();
            let split =
                RawSigned::<Targets>::from_bytes(&role, &envelope(broken.as_bytes()), u64::MAX)
                    .unwrap_err()
                    .to_string();
            // The one-pass error over the same canonical bytes (this entry was re-ordered).
            let canonical_broken = match crate::tuf::strict_json::parse_envelope(&envelope(
                broken.as_bytes(),
            ))
            .unwrap()
            {
                crate::tuf::strict_json::Envelope::Object { signed, .. } => {
                    signed.unwrap().canonical
                }
                _ => unreachable!(),
            };
            let whole = crate::tuf::json_from_bytes::<Targets>(&canonical_broken)
                .unwrap_err()
                .to_string();
            assert!(split.contains(&whole), "{split} / {whole}");
        }
    }

    #[test]
    fn entries_that_were_not_canonical_inside_still_read_the_same() {
        // Re-ordered members inside entries and `targets` keys at other depths keep the index
        // (only the order of the `targets` object itself matters) and read the same as one
        // pass; a key repeated inside one entry is still refused.
        let want = doc(SPLIT_MIN + 2);
        let canonical = String::from_utf8(to_canonical_of(&want).unwrap()).unwrap();
        let repeated = canonical.replacen(
            "{\"hashes\":{\"sha256\"",
            "{\"length\":-1,\"hashes\":{\"sha256\"",
            1,
        );
        let role = RoleName::targets();
        let err = RawSigned::<Targets>::from_bytes(&role, &envelope(repeated.as_bytes()), u64::MAX)
            .unwrap_err();
        assert!(err.to_string().contains("\"length\""), "{err}");
        // Unsorted hashes in every entry, a `targets` key in custom data and in delegations.
        let unsorted = canonical
            .replace(
                "\"hashes\":{\"sha256\":",
                "\"hashes\":{\"zzz\":\"AA==\",\"sha256\":",
            )
            .replace("{\"a\":\"b\",\"x\":", "{\"targets\":{\"t1\":1},\"x\":")
            .replace(
                "\"delegations\":{\"keys\":{},\"roles\":[]}",
                "\"delegations\":{\"roles\":[],\"keys\":{},\"targets\":{}}",
            );
        let file = envelope(unsorted.as_bytes());
        let (got, index) = parsed(&file);
        assert!(index.is_some(), "the targets object itself arrived sorted");
        let part = match crate::tuf::strict_json::parse_envelope(&file).unwrap() {
            crate::tuf::strict_json::Envelope::Object { signed, .. } => signed.unwrap(),
            _ => unreachable!(),
        };
        let one_pass: Targets = crate::tuf::json_from_bytes(&part.canonical).unwrap();
        assert_eq!(got, one_pass);
        assert_eq!(got.targets.len(), want.targets.len());
        assert_ne!(got, want, "the edits are visible");
    }

    #[test]
    fn an_index_that_does_not_fit_the_bytes_is_not_used() {
        let want = doc(SPLIT_MIN);
        let canonical = to_canonical_of(&want).unwrap();
        let (_, index) = parsed(&envelope(&canonical));
        let mut index = index.unwrap();
        index.close -= 1;
        assert_eq!(read(&canonical, Some(&index)).unwrap(), want);
        index.close += 1;
        index.starts[SPLIT_MIN / 2] += 1;
        assert_eq!(read(&canonical, Some(&index)).unwrap(), want);
    }
}
