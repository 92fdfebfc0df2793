//! Canonical JSON exactly as docker/go's `MarshalCanonical` writes it: object keys sorted
//! byte-wise, no whitespace, strings copied verbatim except `\` and `"` (no escaping of control
//! characters, `<>&`, U+2028/9 or non-ASCII), integers only.
//!
//! This is what Notary signs and verifies. Also provides `go_html_escape`, which turns a
//! canonical document into the bytes Go's `json.Marshal` puts on the wire.

use serde_json::Value;

use super::Error;

/// Write `value` in canonical form.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

/// Serialise any serde value in canonical form, directly (no `serde_json::Value` in
/// between); the same bytes as `to_canonical(&serde_json::to_value(value)?)`.
pub fn to_canonical_of<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    to_canonical_sized(value, 256)
}

/// [`to_canonical_of`] into a buffer of `capacity` bytes to start with (a large document
/// written into a small buffer is copied at every doubling).
pub fn to_canonical_sized<T: serde::Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(capacity);
    super::canonical_ser::write_canonical(value, &mut out).map_err(|e| Error::Canonical(e.0))?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write_int(out, i);
            } else if let Some(u) = n.as_u64() {
                write_int(out, u);
            } else {
                return Err(Error::Canonical("floating point numbers are not allowed"));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's Map (without preserve_order) is a BTreeMap<String, _>: its order is
            // byte-wise, which is Go's sort.Strings order.
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// An integer in decimal.
pub(super) fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A string: `"`, the bytes with only `"` and `\` escaped, `"`.
pub(super) fn write_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    // Nearly every string (names, digests, dates) has nothing to escape.
    if !any_byte(bytes, |b| b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut from = 0;
    while let Some(pos) = bytes[from..].iter().position(|&b| b == b'"' || b == b'\\') {
        let i = from + pos;
        out.extend_from_slice(&bytes[from..i]);
        out.push(b'\\');
        out.push(bytes[i]);
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

/// Apply Go's `json.Marshal` HTML escaping to an already-encoded JSON document: `<`, `>`, `&`,
/// U+2028 and U+2029 become `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. These characters
/// can only occur inside strings in canonical output, so a byte-level rewrite is exact.
pub fn go_html_escape(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 16);
    go_html_escape_into(json, &mut out);
    out
}

/// Bytes per block in [`go_html_escape_into`]'s fast scan.
const SCAN_BLOCK: usize = 64;

/// Whether any byte of `bytes` is one `pred` picks. Each 4 KiB block is tested without an
/// early exit, so the test vectorises; the scan stops at the first block with a hit.
pub(crate) fn any_byte(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    bytes
        .chunks(4096)
        .any(|block| block.iter().fold(false, |seen, &b| seen | pred(b)))
}

/// Whether `block` holds a byte that may start an HTML escape (`<`, `>`, `&`, or the first
/// byte of U+2028/U+2029).
fn may_escape(block: &[u8]) -> bool {
    any_byte(block, |b| matches!(b, b'<' | b'>' | b'&' | 0xE2))
}

/// [`go_html_escape`], appending to `out`.
pub fn go_html_escape_into(json: &[u8], out: &mut Vec<u8>) {
    out.reserve(json.len() + 16);
    // Copy runs of ordinary bytes in one go; only the rare special bytes are handled one by one.
    let mut from = 0;
    let mut i = 0;
    while i < json.len() {
        // Whole blocks without a byte that may start an escape are skipped at once (the test
        // has no early exit, so it vectorises).
        while i + SCAN_BLOCK <= json.len() && !may_escape(&json[i..i + SCAN_BLOCK]) {
            i += SCAN_BLOCK;
        }
        if i >= json.len() {
            break;
        }
        let replacement: Option<(&[u8], usize)> = match json[i] {
            b'<' => Some((b"\\u003c", 1)),
            b'>' => Some((b"\\u003e", 1)),
            b'&' => Some((b"\\u0026", 1)),
            0xE2 if json.get(i + 1) == Some(&0x80) => match json.get(i + 2) {
                Some(0xA8) => Some((b"\\u2028", 3)),
                Some(0xA9) => Some((b"\\u2029", 3)),
                _ => None,
            },
            _ => None,
        };
        match replacement {
            Some((text, len)) => {
                out.extend_from_slice(&json[from..i]);
                out.extend_from_slice(text);
                i += len;
                from = i;
            }
            None => i += 1,
        }
    }
    out.extend_from_slice(&json[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_writes_raw_strings() {
        let v = json!({"b": 1, "_type": "Root", "a": ["x<y>&z\u{2028}é\n", null, true]});
        let got = to_canonical(&v).unwrap();
        assert_eq!(
            got,
            "{\"_type\":\"Root\",\"a\":[\"x<y>&z\u{2028}é\n\",null,true],\"b\":1}".as_bytes()
        );
    }

    #[test]
    fn escapes_only_quote_and_backslash() {
        let v = json!("q\"b\\");
        assert_eq!(to_canonical(&v).unwrap(), b"\"q\\\"b\\\\\"");
    }

    #[test]
    fn rejects_floats() {
        assert_eq!(
            to_canonical(&json!(1.5)),
            Err(Error::Canonical("floating point numbers are not allowed"))
        );
    }

    #[test]
    fn html_escape_matches_go() {
        let s = "{\"a\":\"<x>&y\u{2028}z\u{2029}é\"}";
        assert_eq!(
            go_html_escape(s.as_bytes()),
            b"{\"a\":\"\\u003cx\\u003e\\u0026y\\u2028z\\u2029\xc3\xa9\"}".to_vec()
        );
    }

    /// The block scan finds every special byte wherever it falls: before, on and across a
    /// block boundary, and in a short tail.
    #[test]
    fn html_escape_is_exact_at_every_position() {
        fn slow(json: &[u8]) -> Vec<u8> {
            let text = String::from_utf8(json.to_vec()).unwrap();
            text.chars()
                .map(|c| match c {
                    '<' => "\\u003c".to_string(),
                    '>' => "\\u003e".to_string(),
                    '&' => "\\u0026".to_string(),
                    '\u{2028}' => "\\u2028".to_string(),
                    '\u{2029}' => "\\u2029".to_string(),
                    c => c.to_string(),
                })
                .collect::<String>()
                .into_bytes()
        }
        for special in ["<", ">", "&", "\u{2028}", "\u{2029}", "\u{2013}", "é"] {
            for at in [0, 1, 62, 63, 64, 65, 127, 128, 190] {
                let mut text = "a".repeat(at);
                text.push_str(special);
                text.push_str(&"b".repeat(200 - at));
                assert_eq!(
                    go_html_escape(text.as_bytes()),
                    slow(text.as_bytes()),
                    "{special:?} at {at}"
                );
            }
        }
    }
}
