//! The docker credential helper protocol: `docker-credential-<name> get|store|erase`, the
//! server key or a JSON record on stdin, a JSON record on stdout. The secret only travels
//! through the helper's pipes and zeroized buffers.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Credentials, Error, SecretKind};

/// What helpers print when they hold nothing for the server.
const NOT_FOUND: &str = "credentials not found in native keychain";
/// The username of a helper record whose secret is an identity token (docker's convention).
const TOKEN_USERNAME: &str = "<token>";

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: Zeroizing<String>,
}

#[derive(Serialize)]
struct StoreRecord<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

/// Run `docker-credential-<name> <action>` with `input` on stdin. `Ok(None)`: the helper
/// said it holds nothing for the server.
fn run(
    name: &str,
    action: &'static str,
    input: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let fail = |message: String| Error::Helper {
        helper: name.to_string(),
        action,
        message,
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(fail("invalid helper name".into()));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => fail(format!("{program} is not on PATH")),
            _ => fail(e.to_string()),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input reports its own error below.
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    let stdout = Zeroizing::new(out.stdout);
    if out.status.success() {
        return Ok(Some(stdout));
    }
    let said = String::from_utf8_lossy(&stdout);
    if said.trim() == NOT_FOUND {
        return Ok(None);
    }
    // Helpers print their error on stdout; stdout of a failed call carries no secret.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = [said.trim(), stderr.trim()]
        .into_iter()
        .find(|s| !s.is_empty())
        .and_then(|s| s.lines().next())
        .unwrap_or("failed")
        .to_string();
    Err(fail(format!("{message} ({})", out.status)))
}

/// The helper's credentials for `key`, if it holds any.
pub fn get(name: &str, key: &str) -> Result<Option<Credentials>, Error> {
    let Some(out) = run(name, "get", key.as_bytes())? else {
        return Ok(None);
    };
    let record: Record = serde_json::from_slice(&out).map_err(|e| Error::Helper {
        helper: name.to_string(),
        action: "get",
        message: format!("unreadable answer: {}", e.classify_name()),
    })?;
    if record.username.is_empty() && record.secret.is_empty() {
        return Ok(None);
    }
    if record.username == TOKEN_USERNAME {
        if record.secret.is_empty() {
            return Ok(None);
        }
        return Ok(Some(Credentials {
            username: String::new(),
            secret: record.secret,
            kind: SecretKind::IdentityToken,
        }));
    }
    Ok(Some(Credentials {
        username: record.username,
        secret: record.secret,
        kind: SecretKind::Password,
    }))
}

/// Store `creds` for `key`.
pub fn store(name: &str, key: &str, creds: &Credentials) -> Result<(), Error> {
    let record = Zeroizing::new(
        serde_json::to_vec(&StoreRecord {
            server_url: key,
            username: match creds.kind {
                SecretKind::Password => &creds.username,
                SecretKind::IdentityToken => TOKEN_USERNAME,
            },
            secret: &creds.secret,
        })
        .map_err(|e| Error::Helper {
            helper: name.to_string(),
            action: "store",
            message: e.to_string(),
        })?,
    );
    run(name, "store", &record)?.ok_or_else(|| Error::Helper {
        helper: name.to_string(),
        action: "store",
        message: NOT_FOUND.into(),
    })?;
    Ok(())
}

/// Erase the credentials of `key`; false when the helper held none.
pub fn erase(name: &str, key: &str) -> Result<bool, Error> {
    Ok(run(name, "erase", key.as_bytes())?.is_some())
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    /// The error class only: the message could quote the secret.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "not a credentials record",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}
