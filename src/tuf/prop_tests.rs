//! Property tests: canonical JSON is a fixed point of parse -> canonicalise, and signed targets
//! with arbitrary names survive the envelope writer and strict parser byte for byte.

use proptest::prelude::*;
use serde_json::Value;

use super::canonical::to_canonical;
use super::fuzz_bodies;
use super::wire::{Base64, Expires, FileMeta, Targets};
use super::{sign_role, RawSigned, RoleName, SigningKey, TargetName};
use crate::crypto::PrivateKey;

fn json_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('<'),
            Just('>'),
            Just('&'),
            Just('"'),
            Just('\\'),
            Just('\u{2028}'),
            Just('\u{2029}'),
            Just('é'),
            Just('\n'),
            any::<char>(),
            prop::char::range('a', 'z'),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn canonical_is_stable(v in json_value()) {
        let first = to_canonical(&v).unwrap();
        // canonical output is valid JSON only without raw control characters
        if !first.iter().any(|&b| b < 0x20) {
            let reparsed: Value = serde_json::from_slice(&first).unwrap();
            prop_assert_eq!(&reparsed, &v);
            prop_assert_eq!(to_canonical(&reparsed).unwrap(), first.clone());
            fuzz_bodies::canonical_roundtrip(&first);
        }
    }

    #[test]
    fn signed_targets_round_trip(names in prop::collection::vec(json_string(), 1..5), len in 0i64..1_000_000) {
        let key = PrivateKey::generate_ed25519().unwrap();
        let id = key.key_id();
        let expires = Expires::new(chrono::DateTime::parse_from_rfc3339("2029-11-21T06:43:36.1642-05:00").unwrap());
        let mut t = Targets::new(3, expires);
        for n in &names {
            if let Ok(name) = TargetName::new(n.clone()) {
                let mut hashes = std::collections::BTreeMap::new();
                hashes.insert("sha256".to_string(), Base64(vec![len as u8; 32]));
                t.targets.insert(name, FileMeta::new(hashes, len));
            }
        }
        let file = sign_role(&RoleName::targets(), &t, &[SigningKey::new(&key, &id)], None).unwrap();
        let raw = RawSigned::<Targets>::from_bytes(&RoleName::targets(), file.bytes(), u64::MAX).unwrap();
        prop_assert_eq!(raw.signed_untrusted(), &t);
        prop_assert_eq!(raw.go_reserialised().unwrap(), file.bytes().to_vec());
        fuzz_bodies::parse_metadata(file.bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Over the two-halves threshold (2,048 entries): arbitrary names and custom data read the
    /// same as the document signed and as one pass over the canonical bytes.
    #[test]
    fn large_targets_read_in_halves_match(
        names in prop::collection::vec(json_string(), 1..8),
        custom in prop::collection::vec(json_value(), 1..4),
        len in 0i64..1_000_000,
    ) {
        let key = PrivateKey::generate_ed25519().unwrap();
        let id = key.key_id();
        let expires = Expires::new(chrono::DateTime::parse_from_rfc3339("2029-11-21T06:43:36.1642-05:00").unwrap());
        let mut t = Targets::new(3, expires);
        // What Go can sign: no control characters anywhere, no `<>&` in custom data (and a
        // `null` custom reads back as none).
        let custom: Vec<Value> = custom
            .into_iter()
            .filter(|c| !c.is_null())
            .filter(|c| {
                let text = to_canonical(c).unwrap();
                !text.iter().any(|&b| b < 0x20 || matches!(b, b'<' | b'>' | b'&'))
            })
            .collect();
        for i in 0..2_100usize {
            // Distinct by the number first; control characters are unpublishable.
            let name: String = format!("{i:05}{}", names[i % names.len()])
                .chars()
                .map(|c| if c.is_control() { '_' } else { c })
                .collect();
            let name = TargetName::new(name).unwrap();
            let mut hashes = std::collections::BTreeMap::new();
            hashes.insert("sha256".to_string(), Base64(vec![i as u8; 32]));
            let mut meta = FileMeta::new(hashes, len + i as i64);
            if i % 7 == 0 && !custom.is_empty() {
                meta.custom = Some(custom[i % custom.len()].clone());
            }
            t.targets.insert(name, meta);
        }
        prop_assert_eq!(t.targets.len(), 2_100);
        let file = sign_role(&RoleName::targets(), &t, &[SigningKey::new(&key, &id)], None).unwrap();
        let raw = RawSigned::<Targets>::from_bytes(&RoleName::targets(), file.bytes(), u64::MAX).unwrap();
        prop_assert_eq!(raw.signed_untrusted(), &t);
        let one_pass: Targets = super::json_from_bytes(raw.canonical_bytes()).unwrap();
        prop_assert_eq!(raw.signed_untrusted(), &one_pass);
    }
}
