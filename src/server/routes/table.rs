//! notary-server's routing table (notary-v1.md §2.1) as a pure matcher: method + decoded path
//! to a `Route`. Greedy GUN with slashes, role patterns, checksum (64/96/128 hex) and version
//! routes, `{snapshot,timestamp}.key`, change feeds; anything else (also HEAD and PUT) is
//! `NotFound`. Must not: validate names beyond the patterns (handlers do) or do any I/O.

use axum::http::Method;

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

    /// The repository the route names, if any.
    pub fn gun(&self) -> Option<&str> {
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
