//! Docker image references: parse `IMAGE[:TAG][@DIGEST]` and normalise the repository name
//! as docker does (`alpine` -> `docker.io/library/alpine`). The GUN is the normalised name,
//! so trust data is shared with `docker trust`. Pure: no I/O.

use crate::tuf::Gun;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("invalid reference format: {0:?}")]
    Invalid(String),
}

/// Docker Hub's canonical domain in names and GUNs.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As typed on the command line.
    pub typed: String,
    /// The name as typed without `:TAG` / `@DIGEST`.
    pub name: String,
    /// The normalised repository name (`docker.io/library/alpine`), used as the GUN.
    pub gun: Gun,
    pub tag: Option<String>,
    /// `sha256:HEX` when typed as `NAME@DIGEST`.
    pub digest: Option<String>,
    /// `host[:port]` of the registry (`docker.io` for Docker Hub).
    pub registry: String,
    /// The repository path inside the registry (`library/alpine`, `team/app`).
    pub path: String,
}

impl ImageRef {
    /// Parse `IMAGE[:TAG][@DIGEST]` and normalise the repository as docker does.
    pub fn parse(typed: &str) -> Result<ImageRef, Error> {
        let bad = || Error::Invalid(typed.to_string());
        let (no_digest, digest) = match typed.split_once('@') {
            Some((n, d)) => (n, Some(valid_digest(d).ok_or_else(bad)?)),
            None => (typed, None),
        };
        let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match no_digest[last_slash..].rfind(':') {
            Some(i) => (
                &no_digest[..last_slash + i],
                Some(&no_digest[last_slash + i + 1..]),
            ),
            None => (no_digest, None),
        };
        if tag.is_some_and(|t| !valid_tag(t)) {
            return Err(bad());
        }
        let first = name.split('/').next().unwrap_or(name);
        let has_domain = name.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        let (registry, path) = if has_domain {
            (first, name[first.len() + 1..].to_string())
        } else if name.contains('/') {
            (DOCKER_HUB, name.to_string())
        } else {
            (DOCKER_HUB, format!("library/{name}"))
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB
        } else {
            registry
        };
        if !valid_domain(registry) || !path.split('/').all(valid_component) {
            return Err(bad());
        }
        let path = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let gun = Gun::new(format!("{registry}/{path}")).map_err(|_| bad())?;
        Ok(ImageRef {
            typed: typed.to_string(),
            name: name.to_string(),
            gun,
            tag: tag.map(str::to_string),
            digest,
            registry: registry.to_string(),
            path,
        })
    }

    /// The host serving the registry API (`registry-1.docker.io` for Docker Hub).
    pub fn registry_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// Docker's default trust server for this image: `https://notary.docker.io` for Docker
    /// Hub, else `https://<registry>`.
    pub fn default_trust_server(&self) -> String {
        if self.registry == DOCKER_HUB {
            "https://notary.docker.io".into()
        } else {
            format!("https://{}", self.registry)
        }
    }

    /// The key docker uses for this registry's credentials in `config.json`.
    pub fn credentials_key(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "https://index.docker.io/v1/"
        } else {
            &self.registry
        }
    }
}

/// A path component: `[a-z0-9]+` separated by `.`, `_`, `__` or runs of `-`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

/// `host[:port]`: DNS labels (letters, digits, `-`) or an IPv6 literal in brackets.
fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|x| x.is_ascii_digit())) {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty() && inner.bytes().all(|x| x.is_ascii_hexdigit() || x == b':');
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// `sha256:` + 64 lowercase hex.
fn valid_digest(d: &str) -> Option<String> {
    let hex = d.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x)))
    .then(|| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> (String, Option<String>, String, String) {
        let i = ImageRef::parse(s).unwrap();
        (i.gun.to_string(), i.tag, i.registry, i.path)
    }

    #[test]
    fn names_normalise_like_docker() {
        assert_eq!(
            g("alpine:3.19"),
            (
                "docker.io/library/alpine".into(),
                Some("3.19".into()),
                "docker.io".into(),
                "library/alpine".into()
            )
        );
        assert_eq!(g("user/repo").0, "docker.io/user/repo");
        assert_eq!(g("docker.io/alpine").0, "docker.io/library/alpine");
        assert_eq!(
            g("localhost:5000/wire/img:v1"),
            (
                "localhost:5000/wire/img".into(),
                Some("v1".into()),
                "localhost:5000".into(),
                "wire/img".into()
            )
        );
        assert_eq!(g("localhost:5000/wire/img").1, None);
        assert_eq!(g("localhost/app").2, "localhost");
        assert_eq!(
            g("index.docker.io/library/busybox").0,
            "docker.io/library/busybox"
        );
        assert_eq!(
            g("registry-1.docker.io/foo/bar").0,
            "registry-1.docker.io/foo/bar"
        );
        assert_eq!(g("a.b-c/x__y/z.w-v_u:T_1.x-").1.as_deref(), Some("T_1.x-"));
        let r = ImageRef::parse("localhost:5000/a:v1").unwrap();
        assert_eq!(r.name, "localhost:5000/a");
        assert_eq!(r.default_trust_server(), "https://localhost:5000");
        assert_eq!(r.registry_host(), "localhost:5000");
        let hub = ImageRef::parse("alpine").unwrap();
        assert_eq!(hub.default_trust_server(), "https://notary.docker.io");
        assert_eq!(hub.registry_host(), "registry-1.docker.io");
        assert_eq!(hub.credentials_key(), "https://index.docker.io/v1/");
        let d = format!("sha256:{}", "ab".repeat(32));
        let r = ImageRef::parse(&format!("example.com/a:v1@{d}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.digest), (Some("v1"), Some(d)));
    }

    #[test]
    fn malformed_references_are_refused() {
        for bad in [
            "Upper/case",
            "img:",
            "",
            "/a",
            "a//b",
            "a/",
            "-a",
            "a-",
            "a..b",
            "a:-tag",
            "a@sha256:12",
            "a@md5:00",
            "host:port/a",
            "example.com/a:t@sha256:XX",
            "a:b:c",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("a:{}", "t".repeat(129));
        assert!(ImageRef::parse(&long).is_err());
    }
}
