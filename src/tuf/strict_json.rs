//! A JSON value reader that refuses duplicate object keys (serde_json silently keeps the last
//! one, which would let two readers see different documents). Depth is bounded by serde_json's
//! recursion limit.
//!
//! Also the one-pass metadata envelope reader (`parse_envelope`): the same strict parse, but
//! `signed` is written out in canonical form while it is read, with no `Value` tree in
//! between (large targets files are mostly this). Its bytes equal
//! `canonical::to_canonical` of the strictly parsed `signed` value (tests check this).

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::canonical::{write_int, write_string};
use super::canonical_obj::Members;
use super::wire::TargetEntries;

/// Marker prefix of the error message for a duplicate key, so the caller can classify it.
pub(crate) const DUPLICATE: &str = "duplicate object key ";

pub(crate) struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("invalid number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key:?}")));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parse `bytes` as exactly one JSON value (trailing non-whitespace is an error).
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    fn from<'de, R: serde_json::de::Read<'de>>(
        mut de: serde_json::Deserializer<R>,
    ) -> Result<Value, serde_json::Error> {
        let StrictValue(v) = StrictValue::deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => from(serde_json::Deserializer::from_str(text)),
        Err(_) => from(serde_json::Deserializer::from_slice(bytes)),
    }
}

/// `serde_json::from_slice`, with UTF-8 checked once for the whole text when it is valid
/// (serde_json checks each string of a byte slice on its own, which costs more than the
/// strings' parse in a large targets file); invalid text is read as bytes, so that serde_json
/// says where it goes wrong.
pub fn from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// The parts of a metadata envelope (`{"signed":…,"signatures":…}`) the caller checks, in
/// the order it checks them.
#[derive(Debug)]
pub(crate) enum Envelope {
    /// The document is valid JSON but not an object.
    NotObject,
    Object {
        /// `signed`, when present.
        signed: Option<SignedPart>,
        /// `signatures`, when present (strictly parsed; `null` kept as `Value::Null`).
        signatures: Option<Value>,
    },
}

/// The `signed` member, canonicalised while read.
#[derive(Debug)]
pub(crate) struct SignedPart {
    /// Canonical JSON of the value (meaningless when `float` is set).
    pub canonical: Vec<u8>,
    /// Whether the value is an object.
    pub is_object: bool,
    /// `_type` of the object: `None` when absent, `Some(None)` when not a string.
    pub type_tag: Option<Option<String>>,
    /// A floating-point number occurred (canonical JSON has integers only).
    pub float: bool,
    /// Where the entries of the top-level `targets` object start in `canonical`: kept only
    /// when neither that object nor `signed` was re-ordered, so the offsets are final.
    pub targets_entries: Option<TargetEntries>,
}

/// Parse a metadata envelope strictly (duplicate keys refused at any depth, exactly one JSON
/// value), writing `signed` in canonical form as it is read.
pub(crate) fn parse_envelope(bytes: &[u8]) -> Result<Envelope, serde_json::Error> {
    fn from<'de, R: serde_json::de::Read<'de>>(
        mut de: serde_json::Deserializer<R>,
        len: usize,
    ) -> Result<Envelope, serde_json::Error> {
        let env = de.deserialize_any(EnvelopeVisitor(len))?;
        de.end()?;
        Ok(env)
    }
    // UTF-8 checked once, as in `from_bytes`.
    match std::str::from_utf8(bytes) {
        Ok(text) => from(serde_json::Deserializer::from_str(text), bytes.len()),
        Err(_) => from(serde_json::Deserializer::from_slice(bytes), bytes.len()),
    }
}

/// Reads the envelope; holds the input length (a capacity hint).
struct EnvelopeVisitor(usize);

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_unit<E>(self) -> Result<Envelope, E> {
        Ok(Envelope::NotObject)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Envelope, A::Error> {
        // Still read strictly: a duplicate key inside is an error, as for any document.
        StrictVisitor.visit_seq(seq)?;
        Ok(Envelope::NotObject)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut signed = None;
        let mut signatures = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "signed" => {
                    let mut part = SignedPart {
                        // Canonical output is about as long as its input.
                        canonical: Vec::with_capacity(self.0),
                        is_object: false,
                        type_tag: None,
                        float: false,
                        targets_entries: None,
                    };
                    map.next_value_seed(Canon {
                        part: &mut part,
                        top: true,
                        entries: false,
                    })?;
                    part.is_object = part.canonical.first() == Some(&b'{');
                    signed = Some(part);
                }
                "signatures" => signatures = Some(map.next_value::<StrictValue>()?.0),
                _ => {
                    map.next_value::<StrictValue>()?;
                }
            }
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key:?}")));
            }
            seen.push(key);
        }
        Ok(Envelope::Object { signed, signatures })
    }
}

/// Writes the value it reads into `part.canonical`, canonically.
struct Canon<'a> {
    part: &'a mut SignedPart,
    /// The `signed` object itself (whose `_type` is recorded), not a nested value.
    top: bool,
    /// The value of `signed`'s `targets` member (whose entries are indexed).
    entries: bool,
}

impl<'de> DeserializeSeed<'de> for Canon<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canon<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        let text: &[u8] = if v { b"true" } else { b"false" };
        self.part.canonical.extend_from_slice(text);
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        write_int(&mut self.part.canonical, v);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        write_int(&mut self.part.canonical, v);
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        // Reported after the whole document parsed, as the canonical writer would.
        self.part.float = true;
        self.part.canonical.push(b'0');
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        write_string(v, &mut self.part.canonical);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.part.canonical.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.part.canonical.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.part.canonical.push(b'[');
        let mut first = true;
        loop {
            let len = self.part.canonical.len();
            if !first {
                self.part.canonical.push(b',');
            }
            let seed = Canon {
                part: &mut *self.part,
                top: false,
                entries: false,
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.part.canonical.truncate(len);
                break;
            }
            first = false;
        }
        self.part.canonical.push(b']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.part.canonical.push(b'{');
        let mut members = Members::new(self.part.canonical.len());
        loop {
            let len = self.part.canonical.len();
            if !members.is_empty() {
                self.part.canonical.push(b',');
            }
            let whole = self.part.canonical.len();
            let Some(key) = map.next_key_seed(KeyWriter {
                out: &mut self.part.canonical,
            })?
            else {
                self.part.canonical.truncate(len);
                break;
            };
            self.part.canonical.push(b':');
            let value_start = self.part.canonical.len();
            let entries = self.top && &self.part.canonical[key.clone()] == b"\"targets\"";
            map.next_value_seed(Canon {
                part: &mut *self.part,
                top: false,
                entries,
            })?;
            if self.top && &self.part.canonical[key.clone()] == b"\"_type\"" {
                self.part.type_tag = Some(written_string(&self.part.canonical[value_start..]));
            }
            members.push(&self.part.canonical, key, whole);
        }
        let sorted = members.is_sorted();
        let starts = (self.entries && sorted).then(|| members.starts());
        members.finish(&mut self.part.canonical, |key| {
            let key = written_string(key).unwrap_or_default();
            Err(de::Error::custom(format!("{DUPLICATE}{key:?}")))
        })?;
        if let Some(starts) = starts {
            self.part.targets_entries = Some(TargetEntries {
                starts,
                close: self.part.canonical.len(),
            });
        }
        if self.top && !sorted {
            // `signed` was re-ordered: the offsets moved.
            self.part.targets_entries = None;
        }
        self.part.canonical.push(b'}');
        Ok(())
    }
}

/// The string a `write_string` output holds, or `None` when `written` is not a string.
fn written_string(written: &[u8]) -> Option<String> {
    let inner = written.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &b in inner {
        if b == b'\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(b);
    }
    String::from_utf8(out).ok()
}

/// A map key, written quoted into `out`; yields where it was written.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for KeyWriter<'_> {
    type Value = Range<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Range<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyWriter<'_> {
    type Value = Range<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Range<usize>, E> {
        let start = self.out.len();
        write_string(v, self.out);
        Ok(start..self.out.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_refused_at_any_depth() {
        assert!(parse(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_ok());
        let e = parse(br#"{"a":{"x":1,"x":2}}"#).unwrap_err().to_string();
        assert!(e.starts_with("duplicate object key \"x\""), "{e}");
        assert!(parse(br#"{"a":1} x"#).is_err());
    }

    #[test]
    fn invalid_utf8_is_refused_wherever_it_is() {
        // Valid text is read as a str (UTF-8 checked once); invalid text still fails, in a
        // string or outside one, through every entry point.
        for bad in [
            &b"{\"signed\":{\"a\":\"\xff\"}}"[..],
            b"{\"signed\":{}}\xff",
        ] {
            assert!(parse(bad).is_err());
            assert!(parse_envelope(bad).is_err());
            assert!(from_bytes::<Value>(bad).is_err());
        }
        let good = "{\"signed\":{\"a\":\"\u{e9}\\\"\"}}".as_bytes();
        assert_eq!(parse(good).unwrap(), from_bytes::<Value>(good).unwrap());
        assert!(parse_envelope(good).is_ok());
    }
}
