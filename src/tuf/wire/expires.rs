//! `expires`: Go's `time.Time` JSON form, RFC3339 with nanoseconds, trailing fractional zeros
//! trimmed, `Z` for a zero offset, otherwise the signer's offset as written.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tuf::Error;

/// An expiry time that keeps the offset it was written with, so re-serialising is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expires(DateTime<FixedOffset>);

impl Expires {
    pub fn new(at: DateTime<FixedOffset>) -> Expires {
        Expires(at)
    }

    /// An expiry in UTC (written with `Z`).
    pub fn utc(at: DateTime<Utc>) -> Expires {
        Expires(at.fixed_offset())
    }

    pub fn at(&self) -> DateTime<FixedOffset> {
        self.0
    }

    pub fn to_utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// Expired at `now` (Go: `now.After(expires)`).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now > self.to_utc()
    }
}

impl std::fmt::Display for Expires {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_expires(self.0))
    }
}

/// Format like Go's `time.RFC3339Nano`.
pub fn format_expires(at: DateTime<FixedOffset>) -> String {
    let mut out = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = at.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    let offset = at.offset().local_minus_utc();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60));
    }
    out
}

/// Parse an RFC3339 time as Go's `time.Time` JSON decoding accepts it.
pub fn parse_expires(text: &str) -> Result<DateTime<FixedOffset>, Error> {
    let bytes = text.as_bytes();
    // Go requires 'T' and an upper-case 'Z'; chrono is more lenient, so check first.
    let shape_ok =
        bytes.len() >= 20 && bytes[10] == b'T' && !text.contains('z') && !text.contains('t');
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) if shape_ok => Ok(at),
        _ => Err(Error::BadExpires {
            value: text.to_string(),
        }),
    }
}

impl Serialize for Expires {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_expires(self.0))
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_expires(&s)
            .map(Expires)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_rfc3339nano_round_trips() {
        for s in [
            "2029-11-21T11:42:47.117470492Z",
            "2029-11-21T06:43:36.164283005-05:00",
            "2029-11-21T11:53:08.89970756Z",
            "2029-11-21T11:53:08Z",
            "2029-11-21T11:53:08.5+05:30",
        ] {
            assert_eq!(format_expires(parse_expires(s).unwrap()), s);
        }
        // Go would write these differently
        assert_eq!(
            format_expires(parse_expires("2029-11-21T11:53:08.500Z").unwrap()),
            "2029-11-21T11:53:08.5Z"
        );
        assert_eq!(
            format_expires(parse_expires("2029-11-21T11:53:08+00:00").unwrap()),
            "2029-11-21T11:53:08Z"
        );
    }

    #[test]
    fn bad_times_are_refused() {
        for s in [
            "2029-11-21 11:53:08Z",
            "2029-11-21T11:53:08z",
            "tomorrow",
            "",
        ] {
            assert_eq!(parse_expires(s), Err(Error::BadExpires { value: s.into() }));
        }
    }
}
