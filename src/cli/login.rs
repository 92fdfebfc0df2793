//! `trustctl login SERVER` and `trustctl logout SERVER`: check credentials against a trust
//! server or registry (answering its Basic or Bearer challenge), then store them through the
//! configured docker credential helper; plaintext only with `--insecure-store`.

use std::io::{IsTerminal, Read, Write};

use zeroize::Zeroizing;

use super::{Context, LoginArgs, LogoutArgs};
use crate::client::http::HttpError;
use crate::credentials::{server_key, CredentialStore, Credentials, Origin, SecretKind};
use crate::error::{Error, Result};
use crate::output::publish as out;

/// Largest password read from stdin.
const MAX_PASSWORD: u64 = 64 * 1024;

pub async fn login(ctx: &Context, args: LoginArgs) -> Result<()> {
    let key = server_key(&args.server);
    let creds = Credentials {
        username: username(&args)?,
        secret: password(&args)?,
        kind: SecretKind::Password,
    };
    // Only the credentials given here are tried (no stored ones, no env password). A token
    // service that hands out an identity token for them has that kept instead of the
    // password, as `docker login` keeps it.
    let identity = check(
        ctx,
        &args.server,
        CredentialStore::given(creds.clone(), &ctx.trust_dir),
    )
    .await?;
    let creds = match identity {
        Some(token) => Credentials::identity_token(creds.username, token.as_str()),
        None => creds,
    };
    let stored =
        CredentialStore::from_env(&ctx.trust_dir).store(&key, &creds, args.insecure_store)?;
    if let Origin::Plaintext(path) = &stored {
        let what = match creds.kind {
            SecretKind::Password => "password",
            SecretKind::IdentityToken => "identity token",
        };
        let _ = writeln!(
            std::io::stderr(),
            "trustctl: WARNING! the {what} for {key} is stored unencrypted in {} (--insecure-store)",
            path.display()
        );
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "trustctl: credentials for {key} stored in {stored}"
        );
    }
    out::line("Login Succeeded").map_err(|e| Error::io("writing", "stdout", e))
}

pub async fn logout(ctx: &Context, args: LogoutArgs) -> Result<()> {
    let key = server_key(&args.server);
    let erased = CredentialStore::from_env(&ctx.trust_dir).erase(&key)?;
    let line = if erased.is_empty() {
        format!("Not logged in to {key}")
    } else {
        format!("Removing login credentials for {key}")
    };
    out::line(&line).map_err(|e| Error::io("writing", "stdout", e))
}

fn username(args: &LoginArgs) -> Result<String> {
    if let Some(u) = args.username.clone().filter(|u| !u.is_empty()) {
        return Ok(u);
    }
    if let Ok(u) = std::env::var("TRUSTCTL_USERNAME") {
        if !u.is_empty() {
            return Ok(u);
        }
    }
    if args.password_stdin || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "login: no username: pass -u USER or set TRUSTCTL_USERNAME".into(),
        ));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "Username: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::io("reading", "stdin", e))?;
    let u = line.trim().to_string();
    if u.is_empty() {
        return Err(Error::Usage("login: the username is empty".into()));
    }
    Ok(u)
}

fn password(args: &LoginArgs) -> Result<Zeroizing<String>> {
    let secret = if args.password_stdin {
        let mut buf = Zeroizing::new(Vec::new());
        std::io::stdin()
            .take(MAX_PASSWORD)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("reading", "stdin", e))?;
        let text = std::str::from_utf8(&buf)
            .map_err(|_| Error::Usage("login: the password on stdin is not UTF-8".into()))?;
        Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_string())
    } else if std::io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password("Password: ")
                .map_err(|e| Error::io("reading", "the terminal", e))?,
        )
    } else {
        return Err(Error::Usage(
            "login: no terminal to ask the password on: use --password-stdin".into(),
        ));
    };
    if secret.is_empty() {
        return Err(Error::Usage("login: the password is empty".into()));
    }
    Ok(secret)
}

/// `GET /v2/` with the credentials: accepted means a 2xx answer after any challenge. The
/// identity token a token service handed out meanwhile, if any.
async fn check(
    ctx: &Context,
    server: &str,
    store: CredentialStore,
) -> Result<Option<Zeroizing<String>>> {
    let http = ctx.transport(store);
    http.ask_identity_token();
    let given = if server_key(server) == server_key("docker.io") {
        // Docker Hub's login key names the v1 index; the registry API lives here.
        Some("https://registry-1.docker.io/v2/".to_string())
    } else if server.contains("://") {
        Some(format!("{}/v2/", server.trim_end_matches('/')))
    } else {
        None
    };
    let sent = match given {
        Some(url) => http
            .send(&url, None, |c| c.get(&url))
            .await
            .map(|r| (url, r)),
        None => {
            http.send_https_or_loopback(server.trim_end_matches('/'), "/v2/", None, |c, url| {
                c.get(url)
            })
            .await
        }
    };
    let (url, resp) = match sent {
        Ok(sent) => sent,
        // A token was issued for the credentials, but without the `registry:catalog:*` a
        // trust server's `/v2/` asks for (as notary-server's does; usually an admin's right).
        // The login is good if the token service shows it checked them: it handed out an
        // identity token, or it refuses the same request made anonymously.
        Err(HttpError::InsufficientScope { host, scope }) => {
            let identity = http.take_identity_token();
            if identity.is_some() || http.token_needs_login(&host).await? {
                return Ok(identity);
            }
            return Err(HttpError::LoginUnchecked { host, scope }.into());
        }
        Err(e) => return Err(e.into()),
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(http.take_identity_token());
    }
    Err(HttpError::Network {
        url,
        message: format!("login check answered HTTP {status}"),
    }
    .into())
}
