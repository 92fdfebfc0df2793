//! `RawSigned<R>`: metadata bytes from the network or disk, parsed strictly but NOT trusted.
//!
//! Parsing is bounded (size limit argument), refuses malformed JSON, duplicate object keys and a
//! wrong `_type`, and computes the canonical bytes of `signed` — the only bytes signatures are
//! checked against and the only bytes the typed role is read from. The typed view is available
//! only through the loudly named `signed_untrusted`; trusted values come from `tuf::verify`.

use std::marker::PhantomData;

use serde_json::Value;

use super::strict_json::{self, Envelope, SignedPart, DUPLICATE};
use super::wire::{envelope_bytes, Role, WireSignature};
use super::{Error, RoleName};

/// Parsed, unverified metadata of role type `R`.
#[derive(Debug, Clone)]
pub struct RawSigned<R> {
    role: RoleName,
    canonical: Vec<u8>,
    signatures: Vec<WireSignature>,
    untrusted: R,
    _role: PhantomData<fn() -> R>,
}

fn malformed(role: &RoleName, detail: impl std::fmt::Display) -> Error {
    Error::Malformed {
        role: role.clone(),
        detail: detail.to_string(),
    }
}

fn json_error(role: &RoleName, e: serde_json::Error) -> Error {
    let text = e.to_string();
    match text.strip_prefix(DUPLICATE) {
        Some(rest) => Error::DuplicateKey {
            role: role.clone(),
            key: rest
                .split(" at line")
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string(),
        },
        None => malformed(role, text),
    }
}

/// Parse an envelope strictly into the `signed` part (its canonical bytes, with where the
/// entries of its `targets` object start) and the signatures, checking `_type`. Checks run in
/// this order: size, JSON (duplicate keys included), object, `signed`, `signatures`, `_type`,
/// integers only.
fn split_envelope(
    role: &RoleName,
    bytes: &[u8],
    limit: u64,
    expected_type: &'static str,
) -> Result<(SignedPart, Vec<WireSignature>), Error> {
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            role: role.clone(),
            limit,
            actual: bytes.len() as u64,
        });
    }
    let env = strict_json::parse_envelope(bytes).map_err(|e| json_error(role, e))?;
    let Envelope::Object { signed, signatures } = env else {
        return Err(malformed(role, "metadata is not a JSON object"));
    };
    let mut signed = match signed {
        Some(part) if part.is_object => part,
        Some(_) => return Err(malformed(role, "\"signed\" is not an object")),
        None => return Err(malformed(role, "missing \"signed\"")),
    };
    let signatures = match signatures {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| malformed(role, format_args!("signatures: {e}")))?,
    };
    match signed.type_tag.take() {
        Some(Some(t)) if t == expected_type => {}
        Some(Some(t)) => {
            return Err(Error::WrongType {
                role: role.clone(),
                expected: expected_type,
                found: t,
            })
        }
        _ => return Err(malformed(role, "missing or non-string \"_type\"")),
    }
    if signed.float {
        return Err(malformed(
            role,
            Error::Canonical("floating point numbers are not allowed"),
        ));
    }
    Ok((signed, signatures))
}

impl<R: Role> RawSigned<R> {
    /// Parse metadata bytes for `role` (named in errors), refusing anything over `limit` bytes.
    pub fn from_bytes(role: &RoleName, bytes: &[u8], limit: u64) -> Result<Self, Error> {
        let (signed, signatures) = split_envelope(role, bytes, limit, R::TYPE)?;
        // Read the typed role from exactly the bytes signatures cover.
        let untrusted = R::from_canonical(&signed.canonical, signed.targets_entries.as_ref())
            .map_err(|e| malformed(role, e))?;
        let canonical = signed.canonical;
        Ok(RawSigned {
            role: role.clone(),
            canonical,
            signatures,
            untrusted,
            _role: PhantomData,
        })
    }

    /// The role this document was loaded as.
    pub fn role(&self) -> &RoleName {
        &self.role
    }

    /// Canonical JSON of `signed`: the bytes signatures cover.
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.canonical
    }

    pub fn signatures(&self) -> &[WireSignature] {
        &self.signatures
    }

    /// The typed role, NOT verified. Only for decisions that precede verification (which keys to
    /// verify a root with, reporting a version in an error).
    pub fn signed_untrusted(&self) -> &R {
        &self.untrusted
    }

    /// The bytes Go's notary would produce when re-serialising this document (its typed struct,
    /// canonical, HTML-escaped, in the envelope). Equal to the input for well-formed metadata.
    pub fn go_reserialised(&self) -> Result<Vec<u8>, Error> {
        let canonical = super::canonical::to_canonical_of(&self.untrusted)?;
        envelope_bytes(&canonical, &self.signatures)
    }

    pub(super) fn into_parts(self) -> (RoleName, R, Vec<u8>, Vec<WireSignature>) {
        (self.role, self.untrusted, self.canonical, self.signatures)
    }
}
