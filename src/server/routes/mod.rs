//! The one handler behind every request: match the route (`table.rs`, notary-server's routing
//! table; unmatched requests get `404 METADATA_NOT_FOUND` without `detail`), authorize, check
//! the GUN prefix, then `dispatch` hands the route to one small handler per route group.
//! Every request is counted in the metrics and logged on one line (method, path, status, time;
//! never bodies or credentials).
//!
//! Must not: touch storage on the async threads (storage calls run in `blocking`).

mod changefeed;
mod keys;
mod metadata;
mod publish;
mod table;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{ApiError, Detail, ErrorCode};
use super::{AppState, Inner};
use crate::tuf::{Gun, RoleName};

pub use metadata::{last_modified, CacheKind, Served};
pub use publish::raw_filename;
pub use table::{parse, percent_decode, Route};

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

/// A GUN outside the configured prefixes: `INVALID_GUN` for a publish (as notary), otherwise
/// the route does not exist.
fn check_gun_prefix(state: &AppState, route: &Route) -> Result<(), ApiError> {
    match route.gun() {
        Some(gun) if !gun_allowed(state, gun) => Err(match route {
            Route::Publish { .. } => ApiError::new(
                ErrorCode::InvalidGun,
                Detail::Text(format!(
                    "Require GUNs with prefix: [{}]",
                    state.inner.gun_prefixes.join(" ")
                )),
            ),
            _ => ApiError::no_route(),
        }),
        _ => Ok(()),
    }
}

/// A GUN in a read route; an invalid one is simply not found.
fn valid_gun(gun: &str) -> Result<Gun, ApiError> {
    Gun::new(gun).map_err(|_| ApiError::not_found())
}

/// Hand a matched route to its handler.
async fn dispatch(state: &AppState, route: Route, req: Request) -> Result<Response, ApiError> {
    check_gun_prefix(state, &route)?;
    match route {
        Route::NotFound => Err(ApiError::no_route()),
        Route::Ping => Ok(text(StatusCode::OK, b"{}".to_vec(), TEXT)),
        Route::Metrics => Ok(metrics(state)),
        Route::Health => health(state).await,
        Route::Publish { gun } => publish_route(state, &gun, req).await,
        Route::Delete { gun } => delete(state, valid_gun(&gun)?).await,
        Route::Current { gun, role } => {
            read(state, &gun, CacheKind::Current, move |inner, gun| {
                metadata::current(inner, gun, &role)
            })
            .await
        }
        Route::ByVersion { gun, role, version } => {
            read(state, &gun, CacheKind::Consistent, move |inner, gun| {
                metadata::by_version(inner, gun, &role, &version)
            })
            .await
        }
        Route::ByChecksum {
            gun,
            role,
            checksum,
        } => {
            read(state, &gun, CacheKind::Consistent, move |inner, gun| {
                metadata::by_checksum(inner, gun, &role, &checksum)
            })
            .await
        }
        Route::GetKey { gun, role } => key(state, &gun, role, keys::get_key).await,
        Route::RotateKey { gun, role } => key(state, &gun, role, keys::rotate_key).await,
        Route::Changefeed { gun } => {
            let query = req.uri().query().map(str::to_string);
            changefeed(state, gun.as_deref(), query).await
        }
    }
}

fn metrics(state: &AppState) -> Response {
    text(
        StatusCode::OK,
        state.inner.metrics.render().into_bytes(),
        "text/plain; version=0.0.4; charset=utf-8",
    )
}

async fn health(state: &AppState) -> Result<Response, ApiError> {
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

async fn publish_route(state: &AppState, gun: &str, req: Request) -> Result<Response, ApiError> {
    let gun = Gun::new(gun)
        .map_err(|e| ApiError::new(ErrorCode::InvalidGun, Detail::Text(e.to_string())))?;
    let (parts, body): (_, Body) = req.into_parts();
    publish::publish(state, gun, &parts.headers, body).await
}

async fn delete(state: &AppState, gun: Gun) -> Result<Response, ApiError> {
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

/// A metadata read: `find` runs on the blocking pool, its file goes out with `kind`'s
/// cache headers.
async fn read<F>(
    state: &AppState,
    gun: &str,
    kind: CacheKind,
    find: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&Inner, &Gun) -> Result<Served, ApiError> + Send + 'static,
{
    let gun = valid_gun(gun)?;
    let cache = state.inner.cache;
    let file = blocking(state, move |inner| find(inner, &gun)).await?;
    Ok(metadata::metadata_response(file, kind, cache))
}

/// `GET` or `POST {snapshot,timestamp}.key` through `op`.
async fn key(
    state: &AppState,
    gun: &str,
    role: String,
    op: fn(&Inner, &Gun, &RoleName) -> Result<Vec<u8>, ApiError>,
) -> Result<Response, ApiError> {
    let gun = valid_gun(gun)?;
    let role = RoleName::new(role).map_err(|_| ApiError::no_route())?;
    let body = blocking(state, move |inner| op(inner, &gun, &role)).await?;
    Ok(text(StatusCode::OK, body, TEXT))
}

async fn changefeed(
    state: &AppState,
    gun: Option<&str>,
    query: Option<String>,
) -> Result<Response, ApiError> {
    let gun = gun.map(valid_gun).transpose()?;
    let body = blocking(state, move |inner| {
        changefeed::changefeed(inner, gun.as_ref(), query.as_deref())
    })
    .await?;
    Ok(text(StatusCode::OK, body, TEXT))
}
