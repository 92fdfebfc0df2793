//! notary-server's HTTP error table (notary-v1.md §2.2): codes, statuses, messages and the
//! docker/distribution `errcode` envelope `{"errors":[{"code","message","detail"}]}` + `\n`.
//!
//! Owns what clients see when a request fails. Must not: leak internals (storage or signing
//! failures become `UNKNOWN` with no detail; the cause is logged, never sent).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::validate::PublishError;

/// The `notary.api.v1` error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NoStorage,
    NoFilename,
    InvalidRole,
    MalformedJson,
    Updating,
    Version,
    MetadataNotFound,
    InvalidUpdate,
    MalformedUpload,
    GenericNotFound,
    NoCryptoService,
    NoKeyAlgorithm,
    InvalidGun,
    InvalidParameters,
    Unknown,
    Unauthorized,
    /// Authenticated, but the token lacks the scope (403).
    Denied,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoStorage => "NO_STORAGE",
            ErrorCode::NoFilename => "NO_FILENAME",
            ErrorCode::InvalidRole => "INVALID_ROLE",
            ErrorCode::MalformedJson => "MALFORMED_JSON",
            ErrorCode::Updating => "UPDATING",
            ErrorCode::Version => "VERSION",
            ErrorCode::MetadataNotFound => "METADATA_NOT_FOUND",
            ErrorCode::InvalidUpdate => "INVALID_UPDATE",
            ErrorCode::MalformedUpload => "MALFORMED_UPLOAD",
            ErrorCode::GenericNotFound => "GENERIC_NOT_FOUND",
            ErrorCode::NoCryptoService => "NO_CRYPTOSERVICE",
            ErrorCode::NoKeyAlgorithm => "NO_KEYALGORITHM",
            ErrorCode::InvalidGun => "INVALID_GUN",
            ErrorCode::InvalidParameters => "INVALID_PARAMETERS",
            ErrorCode::Unknown => "UNKNOWN",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Denied => "DENIED",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::NoStorage
            | ErrorCode::Updating
            | ErrorCode::NoCryptoService
            | ErrorCode::NoKeyAlgorithm
            | ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::MetadataNotFound | ErrorCode::GenericNotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Denied => StatusCode::FORBIDDEN,
            ErrorCode::NoFilename
            | ErrorCode::InvalidRole
            | ErrorCode::MalformedJson
            | ErrorCode::Version
            | ErrorCode::InvalidUpdate
            | ErrorCode::MalformedUpload
            | ErrorCode::InvalidGun
            | ErrorCode::InvalidParameters => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::NoStorage => "The server is misconfigured and has no storage.",
            ErrorCode::NoFilename => "No file/role name provided.",
            ErrorCode::InvalidRole => "The role you are attempting to operate on is invalid.",
            ErrorCode::MalformedJson => "JSON sent by the client could not be parsed by the server",
            ErrorCode::Updating => "An error has occurred while updating the TUF repository.",
            ErrorCode::Version => "A newer version of metadata is already available.",
            ErrorCode::MetadataNotFound => "You have requested metadata that does not exist.",
            ErrorCode::InvalidUpdate => "Update sent by the client is invalid.",
            ErrorCode::MalformedUpload => "The body of your request is malformed.",
            ErrorCode::GenericNotFound => "You have requested a resource that does not exist.",
            ErrorCode::NoCryptoService => "The server does not have a signing service configured.",
            ErrorCode::NoKeyAlgorithm => "The server does not have a key algorithm configured.",
            ErrorCode::InvalidGun => "The server does not support actions on images of this name.",
            ErrorCode::InvalidParameters => "The parameters provided are not valid.",
            ErrorCode::Unknown => "unknown error",
            ErrorCode::Unauthorized => "authentication required",
            ErrorCode::Denied => "requested access to the resource is denied",
        }
    }
}

/// The `detail` member: absent, `{}` (an empty Go struct), a string, or a publish validation
/// error rendered as notary's `{"Name":…,"Error":{…}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    None,
    Empty,
    Text(String),
    Validation(PublishError),
    Json(serde_json::Value),
    /// Already serialised JSON (when member order matters, e.g. auth access records).
    RawJson(Vec<u8>),
}

/// An error answered to an HTTP client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Detail,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: Detail) -> ApiError {
        ApiError { code, detail }
    }

    /// Catch-all route: 404 with no `detail`.
    pub fn no_route() -> ApiError {
        ApiError::new(ErrorCode::MetadataNotFound, Detail::None)
    }

    /// Storage "not found": 404 with `detail:{}`.
    pub fn not_found() -> ApiError {
        ApiError::new(ErrorCode::MetadataNotFound, Detail::Empty)
    }

    /// A failure of the server itself (storage, signing). The cause must be logged by the
    /// caller; the client sees only `UNKNOWN`.
    pub fn internal() -> ApiError {
        ApiError::new(ErrorCode::Unknown, Detail::None)
    }

    pub fn version() -> ApiError {
        ApiError::new(ErrorCode::Version, Detail::Empty)
    }

    pub fn invalid_update(e: PublishError) -> ApiError {
        ApiError::new(ErrorCode::InvalidUpdate, Detail::Validation(e))
    }

    /// The response body, exactly as notary writes it (trailing newline included).
    pub fn body(&self) -> Vec<u8> {
        let detail: Option<Vec<u8>> = match &self.detail {
            Detail::None => None,
            Detail::Empty => Some(b"{}".to_vec()),
            Detail::Text(s) => Some(json_bytes(s)),
            Detail::Validation(e) => Some(e.detail_json()),
            Detail::Json(v) => Some(json_bytes(v)),
            Detail::RawJson(b) => Some(b.clone()),
        };
        let mut body = b"{\"errors\":[{\"code\":".to_vec();
        body.extend_from_slice(&json_bytes(self.code.as_str()));
        body.extend_from_slice(b",\"message\":");
        body.extend_from_slice(&json_bytes(self.code.message()));
        if let Some(detail) = detail {
            body.extend_from_slice(b",\"detail\":");
            body.extend_from_slice(&detail);
        }
        body.extend_from_slice(b"}]}\n");
        body
    }
}

/// JSON of a value as Go's encoder writes it (HTML characters escaped).
pub(crate) fn json_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Strings, maps and plain structs always serialise.
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    crate::tuf::canonical::go_html_escape(&bytes)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.code.status(), self.body()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_match_notary_bytes() {
        assert_eq!(
            ApiError::not_found().body(),
            b"{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":\"You have requested metadata that does not exist.\",\"detail\":{}}]}\n"
        );
        assert_eq!(ApiError::not_found().body().len(), 116);
        assert_eq!(ApiError::no_route().body().len(), 104);
        let records = ApiError::new(
            ErrorCode::InvalidParameters,
            Detail::Text(
                "invalid records parameter: strconv.ParseInt: parsing \"abc\": invalid syntax"
                    .into(),
            ),
        );
        assert_eq!(records.body().len(), 182);
        assert_eq!(records.code.status(), StatusCode::BAD_REQUEST);
    }
}
