//! The envelope writer: `{"signed":` + HTML-escaped canonical signed + `,"signatures":[…]}`,
//! byte for byte what Go's `json.Marshal` of notary's `Signed` struct produces (§3.7).

use super::WireSignature;
use crate::tuf::canonical::{any_byte, go_html_escape, go_html_escape_into};
use crate::tuf::Error;

/// The `signatures` array as Go writes it (fields `keyid`, `method`, `sig`; HTML-escaped).
pub fn signatures_json(signatures: &[WireSignature]) -> Result<Vec<u8>, Error> {
    let json = serde_json::to_vec(signatures).map_err(|_| Error::Canonical("signatures"))?;
    Ok(go_html_escape(&json))
}

/// The complete file bytes for canonical `signed` bytes and their signatures. Refuses control
/// characters, which Go's encoder cannot emit (such metadata is unpublishable, §5.2).
pub fn envelope_bytes(
    canonical_signed: &[u8],
    signatures: &[WireSignature],
) -> Result<Vec<u8>, Error> {
    // The byte is looked for only when there is one (the test itself vectorises).
    if any_byte(canonical_signed, |b| b < 0x20) {
        if let Some(&b) = canonical_signed.iter().find(|&&b| b < 0x20) {
            return Err(Error::ControlCharacter { byte: b });
        }
    }
    let sigs = signatures_json(signatures)?;
    let mut out = Vec::with_capacity(canonical_signed.len() + sigs.len() + 64);
    out.extend_from_slice(b"{\"signed\":");
    go_html_escape_into(canonical_signed, &mut out);
    out.extend_from_slice(b",\"signatures\":");
    out.extend_from_slice(&sigs);
    out.push(b'}');
    Ok(out)
}
