//! Object members of canonical JSON written in place: where each `"key":value` landed in the
//! output buffer, and the re-ordering (by key, as Go's `sort.Strings` orders the strings) of
//! an object whose members did not arrive sorted. Shared by the canonical writer
//! (`canonical_ser`) and the one-pass reader (`strict_json::parse_envelope`).
//!
//! Must not: decide what a repeated key means (the caller's `on_duplicate` does).

use std::cmp::Ordering;
use std::ops::Range;

use smallvec::SmallVec;

/// Compare two keys written by `write_string` (quotes included) by their unescaped bytes,
/// which is the order of the strings themselves (Go's `sort.Strings`).
pub(super) fn cmp_written_keys(a: &[u8], b: &[u8]) -> Ordering {
    let (ia, ib) = (inner(a), inner(b));
    if !ia.contains(&b'\\') && !ib.contains(&b'\\') {
        // Nothing escaped (nearly every key): the written bytes are the string's bytes.
        return ia.cmp(ib);
    }
    unescaped(a).cmp(unescaped(b))
}

/// A written string without its quotes.
fn inner(written: &[u8]) -> &[u8] {
    written
        .get(1..written.len().saturating_sub(1))
        .unwrap_or(&[])
}

/// The bytes of a written string, quotes dropped and `\"` / `\\` undone.
fn unescaped(written: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let inner = written
        .get(1..written.len().saturating_sub(1))
        .unwrap_or(&[]);
    let mut escaped = false;
    inner.iter().filter_map(move |&b| {
        if b == b'\\' && !escaped {
            escaped = true;
            return None;
        }
        escaped = false;
        Some(b)
    })
}

/// One object member already written to the buffer: where its key (quoted) and its whole
/// `"key":value` text are.
#[derive(Clone)]
pub(super) struct Member {
    pub key: Range<usize>,
    pub whole: Range<usize>,
}

/// Members of one object being written in place from `start` (just after `{`); re-ordered
/// at `finish` when they did not arrive sorted. Small objects (a target's file metadata and
/// its hashes: one per target in a large targets file) keep their members inline.
pub(super) struct Members {
    start: usize,
    members: SmallVec<[Member; 4]>,
    sorted: bool,
}

impl Members {
    pub fn new(start: usize) -> Members {
        Members {
            start,
            members: SmallVec::new(),
            sorted: true,
        }
    }

    /// Record a member that ends at `out.len()`.
    pub fn push(&mut self, out: &[u8], key: Range<usize>, whole_start: usize) {
        let m = Member {
            key,
            whole: whole_start..out.len(),
        };
        if let Some(last) = self.members.last() {
            if cmp_written_keys(&out[last.key.clone()], &out[m.key.clone()]) != Ordering::Less {
                self.sorted = false;
            }
        }
        self.members.push(m);
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether the members arrived sorted (then `finish` moves nothing).
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Where each member (`"key":value`) starts in the buffer.
    pub fn starts(&self) -> Vec<usize> {
        self.members.iter().map(|m| m.whole.start).collect()
    }

    /// Re-order the region after `start` when needed. `on_duplicate` decides what a repeated
    /// key means (the serializer keeps the last value; the strict reader refuses it).
    pub fn finish<E>(
        self,
        out: &mut Vec<u8>,
        on_duplicate: impl Fn(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.sorted {
            return Ok(());
        }
        let mut order = self.members;
        // Stable: of equal keys, the later one stays later.
        order.sort_by(|a, b| cmp_written_keys(&out[a.key.clone()], &out[b.key.clone()]));
        let mut kept: Vec<Member> = Vec::with_capacity(order.len());
        for m in order {
            if let Some(prev) = kept.last_mut() {
                if cmp_written_keys(&out[prev.key.clone()], &out[m.key.clone()]) == Ordering::Equal
                {
                    on_duplicate(&out[m.key.clone()])?;
                    *prev = m;
                    continue;
                }
            }
            kept.push(m);
        }
        let mut region = Vec::with_capacity(out.len() - self.start);
        for (i, m) in kept.iter().enumerate() {
            if i > 0 {
                region.push(b',');
            }
            region.extend_from_slice(&out[m.whole.clone()]);
        }
        out.truncate(self.start);
        out.extend_from_slice(&region);
        Ok(())
    }
}
