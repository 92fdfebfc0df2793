//! The test CA and server certificate (rcgen, generated once per test process, written into
//! each TestDir on demand) and a small blocking HTTP(S) client for health checks and probes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// PEM texts of the test CA and of a server certificate for `localhost` and `127.0.0.1`.
pub struct TestCerts {
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

/// Paths of the TLS files written into a test dir.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// CA certificate (PEM); give it to clients.
    pub ca: PathBuf,
    /// CA private key (PKCS#8 PEM), to issue more certificates with openssl if needed.
    pub ca_key: PathBuf,
    /// Server certificate (PEM, leaf only), SAN `localhost` + `127.0.0.1`, EKU server and
    /// client auth.
    pub cert: PathBuf,
    /// Server private key (PKCS#8 PEM, P-256).
    pub key: PathBuf,
}

impl TestCerts {
    /// The process-wide certificates (made on first use).
    pub fn get() -> &'static TestCerts {
        static CERTS: OnceLock<TestCerts> = OnceLock::new();
        CERTS.get_or_init(make_certs)
    }
}

fn make_certs() -> TestCerts {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "trustctl test CA");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");

    let srv_key = KeyPair::generate().expect("server key");
    let mut srv_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    srv_params.distinguished_name = dn;
    srv_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    // ClientAuth too: the same certificate is the client certificate for notary-server's
    // mTLS connection to notary-signer.
    srv_params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let srv_cert = srv_params
        .signed_by(&srv_key, &ca_cert, &ca_key)
        .expect("server cert");
    TestCerts {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        server_cert_pem: srv_cert.pem(),
        server_key_pem: srv_key.serialize_pem(),
    }
}

/// Write the test certificates into `dir` (idempotent), keys 0600, dir 0700.
pub fn write_tls_files(dir: &Path) -> TlsFiles {
    let files = TlsFiles {
        ca: dir.join("ca.crt"),
        ca_key: dir.join("ca.key"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    if files.key.exists() {
        return files;
    }
    let c = TestCerts::get();
    std::fs::create_dir_all(dir).expect("mkdir tls");
    super::set_mode(dir, 0o700);
    super::write_file(&files.ca, c.ca_cert_pem.as_bytes());
    super::write_file(&files.ca_key, c.ca_key_pem.as_bytes());
    super::write_file(&files.cert, c.server_cert_pem.as_bytes());
    super::write_file(&files.key, c.server_key_pem.as_bytes());
    super::set_mode(&files.ca_key, 0o600);
    super::set_mode(&files.key, 0o600);
    files
}

/// A response from [`http_request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One blocking HTTP(S) request (5 s timeout), trusting `ca` (PEM file) in addition to the
/// built-in roots. Errors (connection refused, TLS, timeout) come back as text.
pub fn http_request(
    method: &str,
    url: &str,
    ca: Option<&Path>,
    basic_auth: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> Result<HttpResponse, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async {
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).map_err(|e| format!("read {}: {e}", ca.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| format!("CA: {e}"))?;
            b = b.add_root_certificate(cert);
        }
        let client = b.build().map_err(|e| format!("client: {e}"))?;
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = client.request(m, url);
        if let Some((u, p)) = basic_auth {
            req = req.basic_auth(u, Some(p));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e:#}"))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("{method} {url} body: {e}"))?
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    })
}
