//! `GET /v2/_trust/changefeed` and `GET /v2/{gun}/_trust/changefeed` (notary-v1.md §2.7):
//! `records` is mandatory (0 = 100, negative = before the cursor), `change_id` is an exclusive
//! cursor (empty/0 = start, -1 = end), IDs are strings, records oldest first.
//! Divergence: at most `MAX_RECORDS` records per page (notary has no bound).

use serde::Serialize;

use super::super::errors::{json_bytes, ApiError, Detail, ErrorCode};
use super::super::Inner;
use crate::tuf::wire::format_expires;
use crate::tuf::Gun;

pub const DEFAULT_RECORDS: i64 = 100;
pub const MAX_RECORDS: i64 = 1000;

/// Value of query parameter `name` (percent-decoded, `+` as space), `""` when absent.
pub fn query_param(query: Option<&str>, name: &str) -> String {
    let Some(query) = query else {
        return String::new();
    };
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if super::percent_decode(&k.replace('+', " ")).as_deref() == Some(name) {
            return super::percent_decode(&v.replace('+', " ")).unwrap_or_default();
        }
    }
    String::new()
}

/// Go's `strconv.ParseInt(s, 10, 32)` error text, or the value.
fn parse_int32(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseInt: parsing {s:?}: invalid syntax"));
    }
    match s.parse::<i64>() {
        Ok(v) if i32::try_from(v).is_ok() => Ok(v),
        _ => Err(format!(
            "strconv.ParseInt: parsing {s:?}: value out of range"
        )),
    }
}

#[derive(Serialize)]
struct Page<'a> {
    count: usize,
    records: Vec<Record<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Record<'a> {
    #[serde(rename = "ID")]
    id: String,
    created_at: String,
    #[serde(rename = "GUN")]
    gun: &'a str,
    version: u64,
    #[serde(rename = "SHA256")]
    sha256: &'a str,
    category: &'static str,
}

pub fn changefeed(
    inner: &Inner,
    gun: Option<&Gun>,
    query: Option<&str>,
) -> Result<Vec<u8>, ApiError> {
    let records = parse_int32(&query_param(query, "records")).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameters,
            Detail::Text(format!("invalid records parameter: {e}")),
        )
    })?;
    let records = match records {
        0 => DEFAULT_RECORDS,
        n => n.clamp(-MAX_RECORDS, MAX_RECORDS),
    };
    let change_id = match query_param(query, "change_id").as_str() {
        "" => 0,
        s => parse_int32(s)
            .map_err(|_| ApiError::new(ErrorCode::InvalidParameters, Detail::Empty))?,
    };
    let changes = inner
        .storage
        .changes(gun, change_id, records)
        .map_err(|e| {
            tracing::error!(error = %e, "changefeed lookup failed");
            ApiError::internal()
        })?;
    let page = Page {
        count: changes.len(),
        records: changes
            .iter()
            .map(|c| Record {
                id: c.id.to_string(),
                created_at: format_expires(c.created_at.fixed_offset()),
                gun: c.gun.as_str(),
                version: c.version,
                sha256: &c.sha256,
                category: c.category.as_str(),
            })
            .collect(),
    };
    Ok(json_bytes(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_parse_int_errors() {
        assert_eq!(
            parse_int32(""),
            Err("strconv.ParseInt: parsing \"\": invalid syntax".to_string())
        );
        assert_eq!(parse_int32("-2"), Ok(-2));
        assert_eq!(
            parse_int32("99999999999"),
            Err("strconv.ParseInt: parsing \"99999999999\": value out of range".to_string())
        );
        assert_eq!(
            query_param(Some("records=-2&change_id=-1"), "change_id"),
            "-1"
        );
        assert_eq!(query_param(Some("records"), "records"), "");
        assert_eq!(query_param(None, "records"), "");
    }
}
