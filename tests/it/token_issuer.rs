//! A small Docker registry token issuer for tests (standing in for docker_auth / Keycloak):
//! a test CA made with rcgen, a signing certificate issued by it, ES256 JWTs carrying the
//! leaf in `x5c`, and an HTTP token endpoint on 127.0.0.1:0 (`GET /token?service=…&scope=…`)
//! whose grant policy is a closure. `mint` makes arbitrary tokens for attack cases.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, PKCS_ECDSA_P256_SHA256,
    PKCS_RSA_SHA256,
};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use serde_json::{json, Value};
use trustctl::server::auth::token::libtrust_key_id;

use crate::util::TestDir;

enum Signer {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl Signer {
    fn from_rcgen(key: &KeyPair) -> Signer {
        let der = key.serialize_der();
        if key.algorithm() == &PKCS_RSA_SHA256 {
            Signer::Rs256(RsaKeyPair::from_pkcs8(&der).unwrap())
        } else {
            Signer::Es256(
                EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &SystemRandom::new(),
                )
                .unwrap(),
            )
        }
    }

    fn alg(&self) -> &'static str {
        match self {
            Signer::Es256(_) => "ES256",
            Signer::Rs256(_) => "RS256",
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Signer::Es256(k) => k.sign(&rng, msg).unwrap().as_ref().to_vec(),
            Signer::Rs256(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).unwrap();
                sig
            }
        }
    }
}

/// A test CA and a token-signing certificate issued by it.
pub struct TokenCa {
    pub ca_pem: String,
    leaf_der: Vec<u8>,
    leaf: Signer,
    ca: Signer,
    ca_kid: String,
}

impl TokenCa {
    /// ECDSA P-256 CA and signer (ES256 tokens).
    pub fn new(name: &str) -> TokenCa {
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        Self::from_keys(name, ca_key, leaf_key)
    }

    /// RSA-2048 CA and signer (RS256 tokens); keys made by the real `openssl`.
    pub fn new_rsa(name: &str) -> TokenCa {
        let key = || {
            let out = std::process::Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl genpkey failed");
            let pem = String::from_utf8(out.stdout).unwrap();
            KeyPair::from_pem_and_sign_algo(&pem, &PKCS_RSA_SHA256).unwrap()
        };
        Self::from_keys(name, key(), key())
    }

    fn from_keys(name: &str, ca_key: KeyPair, leaf_key: KeyPair) -> TokenCa {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} token CA"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let mut leaf_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} token signer"));
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        TokenCa {
            ca_pem: ca.pem(),
            leaf_der: leaf.der().to_vec(),
            leaf: Signer::from_rcgen(&leaf_key),
            ca: Signer::from_rcgen(&ca_key),
            ca_kid: libtrust_key_id(&ca_key.public_key_der()),
        }
    }

    /// Write the CA certificate (the server's `rootcertbundle`).
    pub fn write_bundle(&self, dir: &TestDir, name: &str) -> PathBuf {
        dir.write(name, &self.ca_pem)
    }

    fn sign(signer: &Signer, header: Value, claims: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
        let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let signing_input = format!("{h}.{p}");
        let sig = signer.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A JWT signed by the signing certificate, which is in `x5c`.
    pub fn mint(&self, claims: &Value) -> String {
        let header =
            json!({"typ": "JWT", "alg": self.leaf.alg(), "x5c": [STANDARD.encode(&self.leaf_der)]});
        Self::sign(&self.leaf, header, claims)
    }

    /// A JWT signed by the CA key itself, named by its libtrust `kid` (no `x5c`).
    pub fn mint_kid(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": self.ca.alg(), "kid": self.ca_kid});
        Self::sign(&self.ca, header, claims)
    }
}

/// Standard claims for `access` valid from now for `ttl_secs` (negative: already expired).
pub fn claims(issuer: &str, service: &str, access: Value, ttl_secs: i64) -> Value {
    let now = trustctl::clock::Clock::now(&trustctl::clock::SystemClock).timestamp();
    json!({
        "iss": issuer,
        "sub": "tester",
        "aud": service,
        "exp": now + ttl_secs,
        "nbf": now - 10,
        "iat": now - 10,
        "jti": format!("jti-{now}"),
        "access": access,
    })
}

/// Grant policy: (type, name, requested actions) → granted actions.
pub type Policy = dyn Fn(&str, &str, &[String]) -> Vec<String> + Send + Sync;

/// The token endpoint, serving until dropped.
pub struct TokenIssuer {
    state: Arc<IssuerState>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct IssuerState {
    ca: TokenCa,
    issuer: String,
    service: String,
    policy: Box<Policy>,
    /// When set, only requests with this `Authorization: Basic` value get a token.
    login: Option<String>,
    /// When set, the identity (refresh) token handed out with a token to a login that asks
    /// for offline access (`offline_token=true`, as `docker login` does), and the one an
    /// OAuth2 POST must exchange.
    refresh: Option<String>,
    /// The OAuth2 POSTs answered: their fields but the refresh token.
    posts: std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>,
    /// Token requests answered so far (granted or refused).
    requests: std::sync::atomic::AtomicUsize,
}

impl TokenIssuer {
    /// Start on 127.0.0.1:0 issuing tokens for `service` as `issuer`.
    pub fn start(ca: TokenCa, issuer: &str, service: &str, policy: Box<Policy>) -> TokenIssuer {
        Self::start_inner(ca, issuer, service, policy, None, None)
    }

    /// Like [`TokenIssuer::start`], but tokens only for Basic `user:password` (401 otherwise),
    /// as docker_auth with a user database does.
    pub fn start_with_login(
        ca: TokenCa,
        issuer: &str,
        service: &str,
        policy: Box<Policy>,
        login: (&str, &str),
    ) -> TokenIssuer {
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", login.0, login.1))
        );
        Self::start_inner(ca, issuer, service, policy, Some(basic), None)
    }

    /// Like [`TokenIssuer::start_with_login`], and a login that asks for offline access also
    /// gets the identity (refresh) token `refresh`, which an OAuth2 POST
    /// (`grant_type=refresh_token`) exchanges for tokens: registries whose `docker login`
    /// leaves an identity token instead of the password.
    pub fn start_with_identity_token(
        ca: TokenCa,
        issuer: &str,
        service: &str,
        policy: Box<Policy>,
        login: (&str, &str),
        refresh: &str,
    ) -> TokenIssuer {
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", login.0, login.1))
        );
        Self::start_inner(
            ca,
            issuer,
            service,
            policy,
            Some(basic),
            Some(refresh.to_string()),
        )
    }

    fn start_inner(
        ca: TokenCa,
        issuer: &str,
        service: &str,
        policy: Box<Policy>,
        login: Option<String>,
        refresh: Option<String>,
    ) -> TokenIssuer {
        let state = Arc::new(IssuerState {
            ca,
            issuer: issuer.to_string(),
            service: service.to_string(),
            policy,
            login,
            refresh,
            posts: std::sync::Mutex::default(),
            requests: std::sync::atomic::AtomicUsize::new(0),
        });
        let posting = state.clone();
        let counted = state.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().route(
                    "/token",
                    axum::routing::get(
                        move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                            let state = state.clone();
                            async move {
                                use axum::response::IntoResponse as _;
                                state
                                    .requests
                                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                let given =
                                    headers.get("authorization").and_then(|v| v.to_str().ok());
                                if state.login.is_some() && state.login.as_deref() != given {
                                    return (
                                        axum::http::StatusCode::UNAUTHORIZED,
                                        axum::Json(json!({"details": "incorrect login"})),
                                    )
                                        .into_response();
                                }
                                let query = uri.query().unwrap_or("");
                                let mut answer = issue(&state, query);
                                let offline = query.split('&').any(|p| p == "offline_token=true");
                                if let (true, Some(refresh)) = (offline, &state.refresh) {
                                    answer["refresh_token"] = json!(refresh);
                                }
                                axum::Json(answer).into_response()
                            }
                        },
                    )
                    .post(move |body: String| {
                        let state = posting.clone();
                        async move {
                            use axum::response::IntoResponse as _;
                            state
                                .requests
                                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let mut form: std::collections::BTreeMap<String, String> =
                                form_urlencoded::parse(body.as_bytes())
                                    .into_owned()
                                    .collect();
                            let given = form.remove("refresh_token");
                            let granted = form.get("grant_type").map(String::as_str)
                                == Some("refresh_token")
                                && state.refresh.is_some()
                                && given == state.refresh
                                && form.get("client_id").is_some_and(|c| !c.is_empty());
                            state.posts.lock().unwrap().push(form);
                            if !granted {
                                // RFC 6749 §5.2.
                                return (
                                    axum::http::StatusCode::BAD_REQUEST,
                                    axum::Json(json!({"error": "invalid_grant"})),
                                )
                                    .into_response();
                            }
                            axum::Json(issue(&state, &body)).into_response()
                        }
                    }),
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        TokenIssuer {
            addr,
            stop: Some(tx),
            thread: Some(thread),
            state: counted,
        }
    }

    /// Token requests answered so far.
    pub fn requests(&self) -> usize {
        self.state
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The OAuth2 POSTs answered so far: every field but the refresh token.
    pub fn posts(&self) -> Vec<std::collections::BTreeMap<String, String>> {
        self.state.posts.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn percent_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Answer one token request: every `scope=type:name:actions` filtered through the policy.
fn issue(state: &IssuerState, query: &str) -> Value {
    let mut access = Vec::new();
    for pair in query.split('&') {
        let Some(("scope", value)) = pair.split_once('=') else {
            continue;
        };
        for scope in percent_decode(value).split(' ') {
            // type:name:actions, where name may contain ':' (host:port).
            let Some((kind, rest)) = scope.split_once(':') else {
                continue;
            };
            let Some((name, actions)) = rest.rsplit_once(':') else {
                continue;
            };
            let wanted: Vec<String> = actions.split(',').map(str::to_string).collect();
            let granted = (state.policy)(kind, name, &wanted);
            access.push(json!({"type": kind, "name": name, "actions": granted}));
        }
    }
    let token = state.ca.mint(&claims(
        &state.issuer,
        &state.service,
        Value::Array(access),
        300,
    ));
    json!({
        "token": token,
        "access_token": token,
        "expires_in": 300,
        "issued_at": trustctl::clock::Clock::now(&trustctl::clock::SystemClock).to_rfc3339(),
    })
}

/// Grant whatever is asked.
pub fn grant_all() -> Box<Policy> {
    Box::new(|_, _, wanted| wanted.to_vec())
}

/// Grant everything while `writable` is set, then only `pull` (a write grant revoked).
pub fn writable_while(writable: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Box<Policy> {
    let (all, pull) = (grant_all(), pull_only());
    Box::new(move |kind, name, wanted| {
        if writable.load(std::sync::atomic::Ordering::SeqCst) {
            all(kind, name, wanted)
        } else {
            pull(kind, name, wanted)
        }
    })
}

/// Grant only `pull` (and the catalog).
pub fn pull_only() -> Box<Policy> {
    Box::new(|kind, _, wanted| {
        wanted
            .iter()
            .filter(|a| kind == "registry" || a.as_str() == "pull")
            .cloned()
            .collect()
    })
}
