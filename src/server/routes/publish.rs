//! `POST /v2/{gun}/_trust/tuf/`: read the multipart upload (role = the RAW `filename`
//! parameter minus `.json`, so `targets/releases` keeps its slash), apply notary's per-part
//! checks in order, validate the whole update and store it with ONE `update_many`.
//!
//! Must not: log bodies; store anything when any check fails.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::errors::{ApiError, Detail, ErrorCode};
use super::super::storage::StorageError;
use super::super::validate::{validate_update, Rejection};
use super::{blocking, AppState};
use crate::tuf::{Gun, RoleName};

/// The parts of an upload: role → exact bytes (a later part for the same role wins).
pub type Parts = BTreeMap<RoleName, Vec<u8>>;

fn malformed_upload() -> ApiError {
    ApiError::new(ErrorCode::MalformedUpload, Detail::None)
}

/// Parse a `Content-Disposition` value like Go's `mime.ParseMediaType` and return the raw
/// `filename` parameter (quoted-string escapes undone, no basename applied).
pub fn raw_filename(disposition: &str) -> Option<String> {
    let mut rest = disposition.split_once(';')?.1;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return None;
        }
        let (name, after) = rest.split_once('=')?;
        let name = name.trim();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end?..])
        } else {
            let end = after.find([';', ' ', '\t']).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        if name.eq_ignore_ascii_case("filename") {
            return Some(value);
        }
        rest = remaining;
    }
}

/// What notary decodes each part into before validation; failing this is `MALFORMED_JSON`.
#[derive(Deserialize)]
#[allow(dead_code)] // the fields exist to be type-checked, not read
struct SignedMeta {
    #[serde(default)]
    signed: Option<SignedCommon>,
    #[serde(default)]
    signatures: Option<Vec<PartSignature>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SignedCommon {
    #[serde(rename = "_type", default)]
    type_tag: Option<String>,
    #[serde(default, deserialize_with = "go_time")]
    expires: Option<()>,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PartSignature {
    #[serde(default)]
    keyid: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    sig: Option<crate::tuf::wire::Base64>,
}

fn go_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<()>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .map(|_| Some(()))
            .map_err(serde::de::Error::custom),
    }
}

/// Whether Go's `json.Unmarshal` into notary's `SignedMeta` would succeed: objects where Go
/// has structs (serde alone would also accept arrays for structs), typed scalar fields.
fn decodes_as_signed_meta(data: &[u8]) -> bool {
    use serde_json::Value;
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(data) else {
        return false;
    };
    let object_or_null =
        |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Object(_)));
    if !object_or_null(doc.get("signed")) {
        return false;
    }
    match doc.get("signatures") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(|i| object_or_null(Some(i))) => {}
        Some(_) => return false,
    }
    serde_json::from_value::<SignedMeta>(Value::Object(doc)).is_ok()
}

/// Read and check the multipart body: framing, then per part filename → role → JSON shape.
pub async fn read_parts(headers: &HeaderMap, body: Body, limit: usize) -> Result<Parts, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(malformed_upload)?;
    let boundary = multer::parse_boundary(content_type).map_err(|_| malformed_upload())?;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| malformed_upload())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Parts::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(malformed_upload()),
        };
        let filename = field
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(raw_filename)
            .filter(|f| !f.is_empty())
            .ok_or_else(|| ApiError::new(ErrorCode::NoFilename, Detail::None))?;
        let name = filename.strip_suffix(".json").unwrap_or(&filename);
        let role = RoleName::new(name)
            .map_err(|_| ApiError::new(ErrorCode::InvalidRole, Detail::Text(name.to_string())))?;
        let data = field.bytes().await.map_err(|_| malformed_upload())?;
        if !decodes_as_signed_meta(&data) {
            return Err(ApiError::new(ErrorCode::MalformedJson, Detail::None));
        }
        parts.insert(role, data.to_vec());
    }
    Ok(parts)
}

/// The publish handler.
pub async fn publish(
    state: &AppState,
    gun: Gun,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let parts = read_parts(headers, body, state.max_body()).await?;
    let roles: Vec<String> = parts.keys().map(|r| r.to_string()).collect();
    blocking(state, move |inner| {
        let now = inner.clock.now();
        let records = match validate_update(&*inner.storage, &inner.vault, &gun, parts, now) {
            Ok(records) => records,
            Err(Rejection::Invalid(e)) => {
                tracing::info!(gun = %gun, roles = ?roles, error = %e, "publish rejected");
                return Err(ApiError::invalid_update(e));
            }
            Err(Rejection::Internal(e)) => {
                tracing::error!(gun = %gun, error = %e, "publish failed");
                return Err(ApiError::internal());
            }
        };
        match inner.storage.update_many(&gun, &records) {
            Ok(()) => {
                let versions: Vec<String> = records
                    .iter()
                    .map(|r| format!("{}@{}", r.role, r.version))
                    .collect();
                tracing::info!(gun = %gun, stored = ?versions, "published");
                Ok(StatusCode::OK.into_response())
            }
            Err(StorageError::VersionConflict { role, version }) => {
                tracing::info!(gun = %gun, role = %role, version, "publish rejected: version not newer");
                Err(ApiError::version())
            }
            Err(e) => {
                tracing::error!(gun = %gun, error = %e, "storing publish failed");
                Err(ApiError::internal())
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_is_taken_raw() {
        let f = |s| raw_filename(s);
        assert_eq!(
            f(r#"form-data; name="files"; filename="targets/releases""#).as_deref(),
            Some("targets/releases")
        );
        assert_eq!(
            f(r#"form-data; filename=root; name=x"#).as_deref(),
            Some("root")
        );
        assert_eq!(f(r#"form-data; name="files""#), None);
        assert_eq!(f(r#"form-data; filename="a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(
            f(r#"form-data; FileName="x.json""#).as_deref(),
            Some("x.json")
        );
        assert_eq!(f(r#"form-data; filename="unterminated"#), None);
        assert_eq!(f("form-data"), None);
    }
}
