//! The routing table of notary-server (notary-v1.md §2.1) and the one handler that dispatches
//! every request: greedy GUN with slashes, role patterns, checksum (64/96/128 hex) and version
//! routes, `{snapshot,timestamp}.key`, change feeds, and the catch-all `404 METADATA_NOT_FOUND`
//! without `detail` (also for HEAD, PUT and wrong methods). Every request is counted in the
//! metrics and logged on one line (method, path, status, time; never bodies or credentials).
//!
//! Must not: touch storage on the async threads (storage calls run in `blocking`).

mod changefeed;
mod keys;
mod metadata;
mod publish;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{ApiError, Detail, ErrorCode};
use super::{AppState, Inner};
use crate::tuf::{Gun, RoleName};

pub use metadata::{last_modified, CacheKind, Served};
pub use publish::raw_filename;

/// A matched route. Strings are as they appear in the (percent-decoded) path; handlers
/// validate them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Ping,
    Health,
    Metrics,
    Publish {
        gun: String,
    },
    Delete {
        gun: String,
    },
    ByChecksum {
        gun: String,
        role: String,
        checksum: String,
    },
    ByVersion {
        gun: String,
        role: String,
        version: String,
    },
    Current {
        gun: String,
        role: String,
    },
    GetKey {
        gun: String,
        role: String,
    },
    RotateKey {
        gun: String,
        role: String,
    },
    Changefeed {
        gun: Option<String>,
    },
    NotFound,
}

impl Route {
    /// Metric label.
    pub fn name(&self) -> &'static str {
        match self {
            Route::Ping => "ping",
            Route::Health => "health",
            Route::Metrics => "metrics",
            Route::Publish { .. } => "publish",
            Route::Delete { .. } => "delete",
            Route::ByChecksum { .. } => "get_by_checksum",
            Route::ByVersion { .. } => "get_by_version",
            Route::Current { .. } => "get_current",
            Route::GetKey { .. } => "get_key",
            Route::RotateKey { .. } => "rotate_key",
            Route::Changefeed { gun: None } => "changefeed",
            Route::Changefeed { gun: Some(_) } => "gun_changefeed",
            Route::NotFound => "not_found",
        }
    }

    fn gun(&self) -> Option<&str> {
        match self {
            Route::Publish { gun }
            | Route::Delete { gun }
            | Route::ByChecksum { gun, .. }
            | Route::ByVersion { gun, .. }
            | Route::Current { gun, .. }
            | Route::GetKey { gun, .. }
            | Route::RotateKey { gun, .. }
            | Route::Changefeed { gun: Some(gun) } => Some(gun),
            _ => None,
        }
    }
}

/// Decode `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `root|targets(?:/[^/\s]+)*|snapshot|timestamp`.
fn is_role_pattern(s: &str) -> bool {
    if matches!(s, "root" | "targets" | "snapshot" | "timestamp") {
        return true;
    }
    let Some(rest) = s.strip_prefix("targets/") else {
        return false;
    };
    rest.split('/')
        .all(|seg| !seg.is_empty() && !seg.contains([' ', '\t', '\n', '\r', '\x0b', '\x0c']))
}

fn is_checksum(s: &str) -> bool {
    matches!(s.len(), 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_gun(s: &str) -> bool {
    !s.is_empty() && !s.contains('*')
}

/// The part after `/_trust/tuf/`.
fn tuf_route(method: &Method, gun: &str, rest: &str) -> Option<Route> {
    let gun = gun.to_string();
    if rest.is_empty() {
        return match *method {
            Method::POST => Some(Route::Publish { gun }),
            Method::DELETE => Some(Route::Delete { gun }),
            _ => None,
        };
    }
    if let Some(stem) = rest.strip_suffix(".key") {
        if !matches!(stem, "snapshot" | "timestamp") {
            return None;
        }
        let role = stem.to_string();
        return match *method {
            Method::GET => Some(Route::GetKey { gun, role }),
            Method::POST => Some(Route::RotateKey { gun, role }),
            _ => None,
        };
    }
    let stem = rest.strip_suffix(".json")?;
    if *method != Method::GET {
        return None;
    }
    if let Some((role, checksum)) = stem.rsplit_once('.') {
        if is_checksum(checksum) && is_role_pattern(role) {
            return Some(Route::ByChecksum {
                gun,
                role: role.to_string(),
                checksum: checksum.to_string(),
            });
        }
    }
    if let Some((version, role)) = stem.split_once('.') {
        if !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_digit())
            && is_role_pattern(role)
        {
            return Some(Route::ByVersion {
                gun,
                role: role.to_string(),
                version: version.to_string(),
            });
        }
    }
    is_role_pattern(stem).then(|| Route::Current {
        gun,
        role: stem.to_string(),
    })
}

/// Match a (decoded) path like gorilla/mux does for notary's routes.
pub fn parse(method: &Method, path: &str) -> Route {
    match (method, path) {
        (&Method::GET, "/v2/") => return Route::Ping,
        (&Method::GET, "/_notary_server/health") => return Route::Health,
        (&Method::GET, "/metrics") => return Route::Metrics,
        (&Method::GET, "/v2/_trust/changefeed") => return Route::Changefeed { gun: None },
        _ => {}
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Route::NotFound;
    };
    if let Some(gun) = rest.strip_suffix("/_trust/changefeed") {
        if is_gun(gun) && *method == Method::GET {
            return Route::Changefeed {
                gun: Some(gun.to_string()),
            };
        }
    }
    // Greedy GUN: the longest prefix before a `/_trust/tuf/` that leaves a valid tail.
    const TUF: &str = "/_trust/tuf/";
    let mut end = rest.len();
    while let Some(i) = rest[..end].rfind(TUF) {
        let gun = &rest[..i];
        if is_gun(gun) {
            if let Some(route) = tuf_route(method, gun, &rest[i + TUF.len()..]) {
                return route;
            }
        }
        end = i + TUF.len() - 1;
    }
    Route::NotFound
}

/// Run storage work on the blocking pool.
pub(crate) async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
{
    let inner = state.inner.clone();
    match tokio::task::spawn_blocking(move || f(&inner)).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(ApiError::internal())
        }
    }
}

fn text(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The single axum handler: route, dispatch, count, log.
pub async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = percent_decode(&path)
        .map(|p| parse(&method, &p))
        .unwrap_or(Route::NotFound);
    let name = route.name();
    let remote = req.extensions().get::<super::auth::RemoteAddr>().copied();
    let response = match authorize(&state, &route, req.headers(), remote).await {
        Err(refused) => refused,
        Ok(()) => match dispatch(&state, route, req).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        },
    };
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    state.inner.metrics.observe(name, status, elapsed);
    tracing::info!(
        method = %method,
        path = %path,
        route = name,
        status,
        micros = elapsed.as_micros() as u64,
        "request"
    );
    response
}

/// Check the request's credentials when auth is configured (`Err`: the 401/403 to send).
async fn authorize(
    state: &AppState,
    route: &Route,
    headers: &axum::http::HeaderMap,
    remote: Option<super::auth::RemoteAddr>,
) -> Result<(), Response> {
    let (Some(auth), Some(access)) = (&state.inner.auth, super::auth::required_access(route))
    else {
        return Ok(());
    };
    let now = state.inner.clock.now();
    auth.clone().authorize(headers, &access, now, remote).await
}

fn gun_allowed(state: &AppState, gun: &str) -> bool {
    let prefixes = &state.inner.gun_prefixes;
    prefixes.is_empty() || prefixes.iter().any(|p| gun.starts_with(p.as_str()))
}

async fn dispatch(state: &AppState, route: Route, req: Request) -> Result<Response, ApiError> {
    if let Some(gun) = route.gun() {
        if !gun_allowed(state, gun) {
            return Err(match route {
                Route::Publish { .. } => ApiError::new(
                    ErrorCode::InvalidGun,
                    Detail::Text(format!(
                        "Require GUNs with prefix: [{}]",
                        state.inner.gun_prefixes.join(" ")
                    )),
                ),
                _ => ApiError::no_route(),
            });
        }
    }
    let valid_gun = |gun: &str| Gun::new(gun).map_err(|_| ApiError::not_found());
    match route {
        Route::NotFound => Err(ApiError::no_route()),
        Route::Ping => Ok(text(StatusCode::OK, b"{}".to_vec(), TEXT)),
        Route::Metrics => Ok(text(
            StatusCode::OK,
            state.inner.metrics.render().into_bytes(),
            "text/plain; version=0.0.4; charset=utf-8",
        )),
        Route::Health => {
            let ok = blocking(state, |inner| Ok(inner.storage.check().is_ok())).await?;
            Ok(if ok {
                text(StatusCode::OK, b"{}".to_vec(), JSON)
            } else {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    br#"{"storage":"unavailable"}"#.to_vec(),
                    JSON,
                )
            })
        }
        Route::Publish { gun } => {
            let gun = Gun::new(gun)
                .map_err(|e| ApiError::new(ErrorCode::InvalidGun, Detail::Text(e.to_string())))?;
            let (parts, body): (_, Body) = req.into_parts();
            publish::publish(state, gun, &parts.headers, body).await
        }
        Route::Delete { gun } => {
            let gun = valid_gun(&gun)?;
            blocking(state, move |inner| match inner.storage.delete_gun(&gun) {
                Ok(deleted) => {
                    tracing::info!(gun = %gun, deleted, "deleted repository metadata");
                    Ok(StatusCode::OK.into_response())
                }
                Err(e) => {
                    tracing::error!(gun = %gun, error = %e, "delete failed");
                    Err(ApiError::internal())
                }
            })
            .await
        }
        Route::Current { gun, role } => {
            let gun = valid_gun(&gun)?;
            let cache = state.inner.cache;
            blocking(state, move |inner| {
                let file = metadata::current(inner, &gun, &role)?;
                Ok(metadata::metadata_response(file, CacheKind::Current, cache))
            })
            .await
        }
        Route::ByVersion { gun, role, version } => {
            let gun = valid_gun(&gun)?;
            let cache = state.inner.cache;
            blocking(state, move |inner| {
                let file = metadata::by_version(inner, &gun, &role, &version)?;
                Ok(metadata::metadata_response(
                    file,
                    CacheKind::Consistent,
                    cache,
                ))
            })
            .await
        }
        Route::ByChecksum {
            gun,
            role,
            checksum,
        } => {
            let gun = valid_gun(&gun)?;
            let cache = state.inner.cache;
            blocking(state, move |inner| {
                let file = metadata::by_checksum(inner, &gun, &role, &checksum)?;
                Ok(metadata::metadata_response(
                    file,
                    CacheKind::Consistent,
                    cache,
                ))
            })
            .await
        }
        Route::GetKey { gun, role } => {
            let gun = valid_gun(&gun)?;
            let role = RoleName::new(role).map_err(|_| ApiError::no_route())?;
            let body = blocking(state, move |inner| keys::get_key(inner, &gun, &role)).await?;
            Ok(text(StatusCode::OK, body, TEXT))
        }
        Route::RotateKey { gun, role } => {
            let gun = valid_gun(&gun)?;
            let role = RoleName::new(role).map_err(|_| ApiError::no_route())?;
            let body = blocking(state, move |inner| keys::rotate_key(inner, &gun, &role)).await?;
            Ok(text(StatusCode::OK, body, TEXT))
        }
        Route::Changefeed { gun } => {
            let gun = match gun {
                Some(g) => Some(valid_gun(&g)?),
                None => None,
            };
            let query = req.uri().query().map(str::to_string);
            let body = blocking(state, move |inner| {
                changefeed::changefeed(inner, gun.as_ref(), query.as_deref())
            })
            .await?;
            Ok(text(StatusCode::OK, body, TEXT))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Route {
        parse(&Method::GET, path)
    }

    const H: &str = "b2bf7c4122c9d96fc5ed9a78f4edca343632939dba5a810ee68217fa5b74f5a7";

    #[test]
    fn routing_table() {
        let gun = "example.com/wire/alpha".to_string();
        let cur = |role: &str| Route::Current {
            gun: gun.clone(),
            role: role.into(),
        };
        assert_eq!(get("/v2/"), Route::Ping);
        assert_eq!(parse(&Method::POST, "/v2/"), Route::NotFound);
        assert_eq!(get("/v1/"), Route::NotFound);
        assert_eq!(get("/"), Route::NotFound);
        assert_eq!(
            get("/v2/example.com/wire/alpha/_trust/tuf/root.json"),
            cur("root")
        );
        assert_eq!(
            get("/v2/example.com/wire/alpha/_trust/tuf/targets/releases.json"),
            cur("targets/releases")
        );
        assert_eq!(
            get("/v2/example.com/wire/alpha/_trust/tuf/targets/Releases.json"),
            cur("targets/Releases")
        );
        assert_eq!(
            get("/v2/example.com/wire/alpha/_trust/tuf/foo.json"),
            Route::NotFound
        );
        assert_eq!(get("/v2/a*b/_trust/tuf/root.json"), Route::NotFound);
        assert_eq!(
            parse(
                &Method::PUT,
                "/v2/example.com/wire/alpha/_trust/tuf/root.json"
            ),
            Route::NotFound
        );
        assert_eq!(
            parse(
                &Method::HEAD,
                "/v2/example.com/wire/alpha/_trust/tuf/root.json"
            ),
            Route::NotFound
        );
        assert_eq!(
            get(&format!(
                "/v2/example.com/wire/alpha/_trust/tuf/snapshot.{H}.json"
            )),
            Route::ByChecksum {
                gun: gun.clone(),
                role: "snapshot".into(),
                checksum: H.into()
            }
        );
        assert_eq!(
            get(&format!("/v2/g/_trust/tuf/targets/releases.{H}{H}.json")),
            Route::ByChecksum {
                gun: "g".into(),
                role: "targets/releases".into(),
                checksum: format!("{H}{H}")
            }
        );
        assert_eq!(
            get("/v2/g/_trust/tuf/01.root.json"),
            Route::ByVersion {
                gun: "g".into(),
                role: "root".into(),
                version: "01".into()
            }
        );
        assert_eq!(
            get("/v2/g/_trust/tuf/3.targets/releases.json"),
            Route::ByVersion {
                gun: "g".into(),
                role: "targets/releases".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            get("/v2/g/_trust/tuf/timestamp.key"),
            Route::GetKey {
                gun: "g".into(),
                role: "timestamp".into()
            }
        );
        assert_eq!(
            parse(&Method::POST, "/v2/g/_trust/tuf/snapshot.key"),
            Route::RotateKey {
                gun: "g".into(),
                role: "snapshot".into()
            }
        );
        assert_eq!(get("/v2/g/_trust/tuf/root.key"), Route::NotFound);
        assert_eq!(get("/v2/g/_trust/tuf/targets.key"), Route::NotFound);
        assert_eq!(
            parse(&Method::POST, "/v2/a/b:5000/c/_trust/tuf/"),
            Route::Publish {
                gun: "a/b:5000/c".into()
            }
        );
        assert_eq!(
            parse(&Method::DELETE, "/v2/g/_trust/tuf/"),
            Route::Delete { gun: "g".into() }
        );
        assert_eq!(get("/v2/g/_trust/tuf/"), Route::NotFound);
        assert_eq!(
            get("/v2/_trust/changefeed"),
            Route::Changefeed { gun: None }
        );
        assert_eq!(
            get("/v2/a/b/_trust/changefeed"),
            Route::Changefeed {
                gun: Some("a/b".into())
            }
        );
        // Greedy: the GUN may itself contain `/_trust/tuf/`.
        assert_eq!(
            get("/v2/a/_trust/tuf/b/_trust/tuf/root.json"),
            Route::Current {
                gun: "a/_trust/tuf/b".into(),
                role: "root".into()
            }
        );
        assert_eq!(get("/_notary_server/health"), Route::Health);
        assert_eq!(get("/metrics"), Route::Metrics);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/v2/a%2Fb").as_deref(), Some("/v2/a/b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
