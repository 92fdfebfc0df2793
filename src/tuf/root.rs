//! Root validation shared by server and client (notary-v1.md §3.2): structure (four base roles,
//! thresholds, every listed key present), root keys that are x509 leaf certificates for the GUN,
//! a threshold of the new root's own valid root keys, and — on rotation — a threshold of the
//! previous root's root keys.

use chrono::{DateTime, Duration, Utc};

use super::raw::RawSigned;
use super::verified::Verified;
use super::verify::{check_header, check_threshold, Expiry, KeySet};
use super::wire::{Key, Role, Root};
use super::{Error, Gun, KeyId, RoleName};
use crate::crypto::{parse_cert_bundle, KeyType};

/// The four roles every root must define.
pub fn base_roles() -> [RoleName; 4] {
    [
        RoleName::root(),
        RoleName::targets(),
        RoleName::snapshot(),
        RoleName::timestamp(),
    ]
}

/// Structural checks: base roles present with threshold >= 1, every listed key ID in `keys`.
pub fn check_root_structure(root: &Root) -> Result<(), Error> {
    for role in base_roles() {
        let entry = root
            .role(&role)
            .ok_or_else(|| Error::MissingRole { role: role.clone() })?;
        if entry.threshold < 1 {
            return Err(Error::InvalidThreshold {
                role,
                threshold: entry.threshold,
            });
        }
    }
    for (name, entry) in &root.roles {
        if let Some(missing) = entry.keyids.iter().find(|id| !root.keys.contains_key(*id)) {
            return Err(Error::UnknownRoleKey {
                role: name.clone(),
                key_id: missing.clone(),
            });
        }
    }
    Ok(())
}

/// True when a certificate CN admits `gun`: equal, or `prefix*` with `gun` starting with prefix.
pub fn cn_matches(cn: &str, gun: &Gun) -> bool {
    match cn.strip_suffix('*') {
        Some(prefix) => gun.as_str().starts_with(prefix),
        None => cn == gun.as_str(),
    }
}

/// Whether a root key is a usable root certificate for `gun` at `now` (`None`: no time check).
pub fn valid_root_certificate(key: &Key, gun: &Gun, now: Option<DateTime<Utc>>) -> bool {
    let Ok(public) = key.to_public() else {
        return false;
    };
    let plain_type = match public.keytype() {
        KeyType::EcdsaX509 => KeyType::Ecdsa,
        KeyType::RsaX509 => KeyType::Rsa,
        _ => return false,
    };
    let Ok(certs) = parse_cert_bundle(public.public_bytes()) else {
        return false;
    };
    let Some(leaf) = certs.first() else {
        return false;
    };
    if leaf.is_ca || certs.iter().filter(|c| !c.is_ca).count() != 1 {
        return false;
    }
    if leaf.public_key.keytype() != plain_type || leaf.sha1_signature {
        return false;
    }
    if leaf.rsa_bits.is_some_and(|bits| bits < 2048) || !cn_matches(&leaf.common_name, gun) {
        return false;
    }
    match now {
        Some(now) => leaf.not_after >= now && leaf.not_before <= now + Duration::days(1),
        None => true,
    }
}

/// Verify a root for `gun`. With `previous` (the trusted current root) this is a rotation: the
/// new root must also carry a threshold of valid signatures from the previous root keys, and its
/// version must not be lower.
pub fn verify_root(
    raw: RawSigned<Root>,
    gun: &Gun,
    previous: Option<&Verified<Root>>,
    expiry: Expiry,
) -> Result<Verified<Root>, Error> {
    let role = RoleName::root();
    let root = raw.signed_untrusted();
    // 1. structure
    check_root_structure(root)?;
    // 2. the root keys that are valid certificates for this GUN
    let now = match expiry {
        Expiry::At(now) => Some(now),
        Expiry::Ignore => None,
    };
    let root_keys = root
        .role(&role)
        .map(|r| r.keyids.clone())
        .unwrap_or_default();
    let valid_certs: Vec<KeyId> = root_keys
        .into_iter()
        .filter(|id| {
            root.keys
                .get(id)
                .is_some_and(|k| valid_root_certificate(k, gun, now))
        })
        .collect();
    if valid_certs.is_empty() {
        return Err(Error::NoValidRootCertificates { gun: gun.clone() });
    }
    // 3. rotation: a threshold of the previous root's root keys
    if let Some(prev) = previous {
        if root.version() < prev.version() {
            return Err(Error::Rollback {
                role,
                current: prev.version(),
                new: root.version(),
            });
        }
        let prev_role = prev
            .signed()
            .role(&role)
            .ok_or(Error::MissingRole { role: role.clone() })?;
        let prev_keys = KeySet {
            keys: &prev.signed().keys,
            authorised: &prev_role.keyids,
            threshold: prev_role.threshold,
        };
        match check_threshold(&role, raw.canonical_bytes(), raw.signatures(), prev_keys) {
            Ok(_) => {}
            Err(Error::Threshold {
                valid, threshold, ..
            }) => return Err(Error::RotationThreshold { valid, threshold }),
            Err(Error::NoSignatures { .. }) => return Err(Error::NoSignatures { role }),
            Err(e) => return Err(e),
        }
    }
    // 4. a threshold of its own valid root keys, version and expiry
    let threshold = root.role(&role).map(|r| r.threshold).unwrap_or(0);
    let own = KeySet {
        keys: &root.keys,
        authorised: &valid_certs,
        threshold,
    };
    let valid = check_threshold(&role, raw.canonical_bytes(), raw.signatures(), own)?;
    check_header(&role, root, expiry)?;
    let (role, signed, canonical, signatures) = raw.into_parts();
    Ok(Verified::new(role, signed, canonical, signatures, valid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{root_certificate, PrivateKey};
    use crate::tuf::sign::{sign_role, SigningKey};
    use crate::tuf::wire::Expires;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    #[test]
    fn wildcard_common_names() {
        let gun = Gun::new("mini/wild/x").unwrap();
        assert!(cn_matches("mini/wild/*", &gun));
        assert!(cn_matches("mini/wild/x", &gun));
        assert!(!cn_matches("mini/wild/", &gun));
        assert!(!cn_matches("other/*", &gun));
    }

    /// A root signed by `root_key` whose root role key is `root_role_key`.
    fn root_bytes(root_key: &PrivateKey, root_role_key: Key, drop: Option<RoleName>) -> Vec<u8> {
        let mut root = Root::new(1, Expires::utc(now() + Duration::days(10)));
        root.set_role(&RoleName::root(), std::slice::from_ref(&root_role_key), 1);
        for name in [
            RoleName::targets(),
            RoleName::snapshot(),
            RoleName::timestamp(),
        ] {
            if Some(&name) != drop.as_ref() {
                let k = PrivateKey::generate_ed25519().unwrap();
                root.set_role(&name, &[Key::from_public(&k.public_key())], 1);
            }
        }
        let id = root_role_key.key_id();
        sign_role(
            &RoleName::root(),
            &root,
            &[SigningKey::new(root_key, &id)],
            None,
        )
        .unwrap()
        .into_bytes()
    }

    fn check(bytes: &[u8], gun: &Gun) -> Result<Verified<Root>, Error> {
        let raw = RawSigned::<Root>::from_bytes(&RoleName::root(), bytes, u64::MAX)?;
        verify_root(raw, gun, None, Expiry::At(now()))
    }

    #[test]
    fn root_rules() {
        let gun = Gun::new("example.com/root/rules").unwrap();
        let key = PrivateKey::generate_ecdsa_p256().unwrap();
        let cert = root_certificate(&key, &gun, now(), now() + Duration::days(30)).unwrap();
        let good = root_bytes(&key, Key::from_public(&cert), None);
        assert_eq!(check(&good, &gun).unwrap().valid_keys().len(), 1);
        // a plain ecdsa root key is not a certificate
        let plain = root_bytes(&key, Key::from_public(&key.public_key()), None);
        assert_eq!(
            check(&plain, &gun).unwrap_err(),
            Error::NoValidRootCertificates { gun: gun.clone() }
        );
        // every base role is required
        let missing = root_bytes(&key, Key::from_public(&cert), Some(RoleName::snapshot()));
        assert_eq!(
            check(&missing, &gun).unwrap_err(),
            Error::MissingRole {
                role: RoleName::snapshot()
            }
        );
        // a certificate not valid yet (more than a day ahead) is refused
        let future = root_certificate(
            &key,
            &gun,
            now() + Duration::days(2),
            now() + Duration::days(30),
        )
        .unwrap();
        let early = root_bytes(&key, Key::from_public(&future), None);
        assert_eq!(
            check(&early, &gun).unwrap_err(),
            Error::NoValidRootCertificates { gun: gun.clone() }
        );
        // signed by a different key than the certificate's
        let other = PrivateKey::generate_ecdsa_p256().unwrap();
        let forged = root_bytes(&other, Key::from_public(&cert), None);
        assert_eq!(
            check(&forged, &gun).unwrap_err(),
            Error::Threshold {
                role: RoleName::root(),
                valid: 0,
                threshold: 1
            }
        );
    }
}
