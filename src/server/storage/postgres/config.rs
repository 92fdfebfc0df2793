//! Turning a `--storage` PostgreSQL URL into a driver config: our `schema=<name>` extension is
//! taken out (and becomes the connections' `search_path`), defaults are filled in, and every
//! message about the URL is free of its password. No connections are made here.

use std::time::Duration;

use ::postgres::config::Host;

use crate::server::storage::StorageError;

const BACKEND: &str = "postgres";

/// Default time to wait for a TCP connection to the database.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed connection target.
#[derive(Clone)]
pub struct PgTarget {
    pub config: ::postgres::Config,
    /// Schema holding our tables (None: the server's default search_path).
    pub schema: Option<String>,
    /// `user@host:port/db` for messages (never the password).
    pub display: String,
    /// Secrets to scrub from any message we pass on.
    secrets: Vec<String>,
}

impl PgTarget {
    /// Parse `url` (URL or key=value form). A `schema` given here overrides one in the URL.
    pub fn parse(url: &str, schema: Option<&str>) -> Result<PgTarget, StorageError> {
        let secrets = url_secrets(url);
        let (rest, url_schema) = split_schema(url);
        let mut config: ::postgres::Config =
            rest.parse()
                .map_err(|e: ::postgres::Error| StorageError::Backend {
                    backend: BACKEND,
                    message: scrub(
                        &format!("invalid connection URL: {}", describe(&e)),
                        &secrets,
                    ),
                })?;
        let schema = schema.map(str::to_string).or(url_schema);
        if let Some(s) = &schema {
            check_schema(s)?;
            let options = match config.get_options() {
                Some(o) if !o.trim().is_empty() => format!("{o} -c search_path={s}"),
                _ => format!("-c search_path={s}"),
            };
            config.options(&options);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut secrets = secrets;
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }
        secrets.retain(|s| !s.is_empty());
        let display = display(&config, schema.as_deref());
        Ok(PgTarget {
            config,
            schema,
            display,
            secrets,
        })
    }

    /// A backend error about this target: `user@host:port/db: <what>: <driver message>`.
    pub fn error(&self, what: &str, e: &::postgres::Error) -> StorageError {
        self.message(&format!("{what}: {}", describe(e)))
    }

    pub fn message(&self, message: &str) -> StorageError {
        StorageError::Backend {
            backend: BACKEND,
            message: scrub(&format!("{}: {message}", self.display), &self.secrets),
        }
    }
}

/// The driver's error with its causes (its `Display` alone says only "db error").
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Schema names are interpolated into SQL, so only plain lowercase identifiers are accepted.
fn check_schema(s: &str) -> Result<(), StorageError> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StorageError::Backend {
            backend: BACKEND,
            message: format!(
                "invalid schema name {s:?}: use 1-63 lowercase letters, digits or '_', not starting with a digit"
            ),
        })
    }
}

/// Remove a `schema=<name>` parameter: from the query string of a URL, or a `schema=<name>`
/// word of a key=value string.
fn split_schema(url: &str) -> (String, Option<String>) {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if is_url {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None);
        };
        let mut schema = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.strip_prefix("schema=") {
                Some(v) => {
                    schema = Some(v.to_string());
                    false
                }
                None => true,
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, schema)
    } else {
        let mut schema = None;
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| match kv.strip_prefix("schema=") {
                Some(v) => {
                    schema = Some(v.to_string());
                    false
                }
                None => true,
            })
            .collect();
        (kept.join(" "), schema)
    }
}

/// Password-like substrings of a URL, found before parsing so that even a parse error cannot
/// echo them: `user:PASS@` and `password=PASS` (raw and percent-decoded).
fn url_secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        if let Some((userinfo, _)) = rest.rsplit_once('@') {
            if let Some((_, pass)) = userinfo.split_once(':') {
                out.push(pass.to_string());
                out.push(percent_decode(pass));
            }
        }
    }
    for part in url.split(['&', '?', ' ']) {
        if let Some(v) = part.strip_prefix("password=") {
            let v = v.trim_matches('\'');
            out.push(v.to_string());
            out.push(percent_decode(v));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn scrub(message: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(message.to_string(), |m, s| m.replace(s.as_str(), "***"))
}

fn display(config: &::postgres::Config, schema: Option<&str>) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    let schema = schema.map(|s| format!(" schema {s}")).unwrap_or_default();
    format!("postgres://{user}@{host}:{port}/{db}{schema}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<PgTarget, StorageError>) -> String {
        match r {
            Err(StorageError::Backend {
                backend: "postgres",
                message,
            }) => message,
            Err(other) => panic!("expected a backend error, got {other:?}"),
            Ok(t) => panic!("expected an error, got target {}", t.display),
        }
    }

    #[test]
    fn schema_parameter_becomes_search_path() {
        let t = PgTarget::parse(
            "postgres://u@127.0.0.1:5432/test?schema=s1&application_name=x",
            None,
        )
        .unwrap();
        assert_eq!(t.schema.as_deref(), Some("s1"));
        assert_eq!(t.config.get_options(), Some("-c search_path=s1"));
        assert_eq!(t.config.get_application_name(), Some("x"));
        assert_eq!(t.display, "postgres://u@127.0.0.1:5432/test schema s1");
        let kv = PgTarget::parse("host=127.0.0.1 user=u dbname=test schema=s2", None).unwrap();
        assert_eq!(kv.schema.as_deref(), Some("s2"));
        let explicit = PgTarget::parse("postgres://u@h/test?schema=s1", Some("s3")).unwrap();
        assert_eq!(explicit.config.get_options(), Some("-c search_path=s3"));
    }

    #[test]
    fn hostile_schema_names_are_refused() {
        for bad in ["", "A", "1x", "x;drop table y", "x\"y", &"x".repeat(64)] {
            let m = message(PgTarget::parse("postgres://u@h/test", Some(bad)));
            assert!(m.starts_with("invalid schema name"), "{m}");
        }
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        let m = message(PgTarget::parse(
            "postgres://u:s3cr%21t@h:notaport/test",
            None,
        ));
        assert!(!m.contains("s3cr"), "{m}");
        let t = PgTarget::parse("postgres://u:s3cr%21t@h:5432/test", None).unwrap();
        assert!(!t.display.contains("s3cr"), "{}", t.display);
        let e = t.message("connection refused for u:s3cr!t and s3cr%21t");
        match e {
            StorageError::Backend { message, .. } => {
                assert!(!message.contains("s3cr"), "{message}");
                assert!(message.contains("***"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let kv = PgTarget::parse("host=h user=u password=hunter2 dbname=test", None).unwrap();
        match kv.message("echo hunter2") {
            StorageError::Backend { message, .. } => assert!(!message.contains("hunter2")),
            other => panic!("{other:?}"),
        }
    }
}
