//! A tampering reverse proxy for attack tests: it sits between trustctl and a real trust
//! server (notary-server or trustctl server) on 127.0.0.1, forwards every request, and
//! mutates the responses of the files a named `Case` targets. Cases mutate *real* server
//! responses (or replay real older ones), so every attack starts from genuine signed bytes.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// A named mutation of real server responses.
#[derive(Clone, Debug, Default)]
pub enum Case {
    /// Forward everything unchanged.
    #[default]
    Honest,
    /// Serve `body` instead of whatever the server has for requests whose file name (last
    /// path segment, `.json` included) matches `file` exactly or, for `role.<hash>.json`
    /// requests, whose role is `file` minus `.json`. Rollback, mix-and-match, root swap and
    /// bad rotation cases are built from this with real (older or foreign) bytes.
    Replace { file: String, body: Vec<u8> },
    /// Several replacements at once (a consistent replay of an old state).
    ReplaceAll(Vec<(String, Vec<u8>)>),
    /// Parse the JSON and apply `f` (then re-serialise): arbitrary target, removed
    /// signatures, changed thresholds... The signature no longer covers the bytes, or the
    /// hash no longer matches the parent, and that is what the client must notice.
    Mutate {
        file: String,
        f: fn(&mut serde_json::Value),
    },
    /// Append `extra` bytes of JSON whitespace to the body (endless data / oversized).
    Pad { file: String, extra: usize },
    /// Serve a body that is not JSON.
    Malformed { file: String },
    /// Answer 404 for the file.
    NotFound { file: String },
    /// Answer 503 for the file (a network-level failure, not "nothing newer").
    Unavailable { file: String },
}

/// The running proxy. Dropping it does not stop the thread; tests are short-lived.
pub struct TamperProxy {
    pub url: String,
    case: Arc<Mutex<Case>>,
    log: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    case: Arc<Mutex<Case>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl TamperProxy {
    /// Start a proxy on 127.0.0.1 (ephemeral port) in front of `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> TamperProxy {
        let case = Arc::new(Mutex::new(Case::Honest));
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .expect("reqwest client"),
            case: case.clone(),
            log: log.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let url = crate::util::serve_router(app);
        TamperProxy { url, case, log }
    }

    /// Switch the active case.
    pub fn set(&self, case: Case) {
        *self.case.lock().expect("case lock") = case;
    }

    /// Request paths seen so far (method and path), and clear the log.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().expect("log lock"))
    }
}

/// True when the request path names `file`: the last segment equals it, or it is the
/// by-hash or by-version form of the same role (`targets.<hex>.json`, `3.targets.json`,
/// and `targets/releases.<hex>.json` for `targets/releases.json`).
pub fn path_matches(path: &str, file: &str) -> bool {
    let Some(tail) = path.split("/_trust/tuf/").nth(1) else {
        return false;
    };
    if tail == file {
        return true;
    }
    let role = file.trim_end_matches(".json");
    let Some(stem) = tail.strip_suffix(".json") else {
        return false;
    };
    if let Some(hash) = stem.strip_prefix(&format!("{role}.")) {
        return hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some((v, r)) = stem.split_once('.') {
        return r == role && v.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

async fn forward(State(st): State<ProxyState>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    st.log
        .lock()
        .expect("log lock")
        .push(format!("{method} {path}"));
    let case = st.case.lock().expect("case lock").clone();
    let mut headers = req.headers().clone();
    headers.remove(axum::http::header::HOST);
    let body = match axum::body::to_bytes(req.into_body(), 64 << 20).await {
        Ok(b) => b,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let upstream = st
        .client
        .request(method, format!("{}{}", st.upstream, path))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let (status, headers, body) = match upstream {
        Ok(r) => {
            let status = r.status();
            let headers = r.headers().clone();
            (
                status,
                headers,
                r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            )
        }
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let (status, body) = apply(&case, &path, status, body);
    let mut out = HeaderMap::new();
    for (k, v) in headers.iter() {
        let k = k.as_str();
        if k != "content-length" && k != "transfer-encoding" && k != "connection" {
            out.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("header"),
                v.clone(),
            );
        }
    }
    (status, out, Body::from(body)).into_response()
}

fn apply(case: &Case, path: &str, status: StatusCode, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    match case {
        Case::Honest => (status, body),
        Case::Replace { file, body: b } if path_matches(path, file) => (StatusCode::OK, b.clone()),
        Case::ReplaceAll(list) => match list.iter().find(|(f, _)| path_matches(path, f)) {
            Some((_, b)) => (StatusCode::OK, b.clone()),
            None => (status, body),
        },
        Case::Mutate { file, f } if path_matches(path, file) => {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(mut v) => {
                    f(&mut v);
                    (status, serde_json::to_string(&v).expect("json").into_bytes())
                }
                Err(_) => (status, body),
            }
        }
        Case::Pad { file, extra } if path_matches(path, file) => {
            let mut b = body;
            b.extend(std::iter::repeat_n(b' ', *extra));
            (status, b)
        }
        Case::Malformed { file } if path_matches(path, file) => {
            (StatusCode::OK, b"{\"signed\":{\"_type\":\"Timest".to_vec())
        }
        Case::NotFound { file } if path_matches(path, file) => (
            StatusCode::NOT_FOUND,
            br#"{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}"#.to_vec(),
        ),
        Case::Unavailable { file } if path_matches(path, file) => {
            (StatusCode::SERVICE_UNAVAILABLE, b"unavailable".to_vec())
        }
        _ => (status, body),
    }
}

#[test]
fn path_matching_covers_current_hash_and_version_forms() {
    let p = |t: &str| format!("/v2/localhost:5000/wire/img/_trust/tuf/{t}");
    let h = "a".repeat(64);
    assert!(path_matches(&p("timestamp.json"), "timestamp.json"));
    assert!(path_matches(
        &p(&format!("targets.{h}.json")),
        "targets.json"
    ));
    assert!(path_matches(&p("3.root.json"), "root.json"));
    assert!(path_matches(
        &p(&format!("targets/releases.{h}.json")),
        "targets/releases.json"
    ));
    assert!(!path_matches(
        &p(&format!("targets/releases.{h}.json")),
        "targets.json"
    ));
    assert!(!path_matches(&p("timestamp.key"), "timestamp.json"));
    assert!(!path_matches(&p("snapshot.json"), "timestamp.json"));
}

#[test]
fn mutations_change_only_the_named_file() {
    let ts = "/v2/g/_trust/tuf/timestamp.json";
    let other = "/v2/g/_trust/tuf/root.json";
    let body = br#"{"signed":{"version":2},"signatures":[{"keyid":"k"}]}"#.to_vec();
    let strip = Case::Mutate {
        file: "timestamp.json".into(),
        f: |v| v["signatures"] = serde_json::json!([]),
    };
    let (_, b) = apply(&strip, ts, StatusCode::OK, body.clone());
    assert_eq!(b, br#"{"signatures":[],"signed":{"version":2}}"#.to_vec());
    assert_eq!(apply(&strip, other, StatusCode::OK, body.clone()).1, body);
    let pad = Case::Pad {
        file: "timestamp.json".into(),
        extra: 3,
    };
    assert_eq!(
        apply(&pad, ts, StatusCode::OK, body.clone()).1.len(),
        body.len() + 3
    );
    let nf = Case::NotFound {
        file: "timestamp.json".into(),
    };
    assert_eq!(
        apply(&nf, ts, StatusCode::OK, body).0,
        StatusCode::NOT_FOUND
    );
}
