//! The real `docker-registry` (distribution 2.8) on 127.0.0.1 with filesystem storage in the
//! test dir and optional htpasswd auth / TLS; small OCI images built on disk in plain Rust and
//! pushed with the real `skopeo`; htpasswd files made by the real `htpasswd`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    free_port, http_request, run_command, wait_until, write_file, ChildServer, Env, TestDir,
    TlsFiles, DEFAULT_CMD_TIMEOUT,
};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const START_ATTEMPTS: usize = 3;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// An htpasswd file with one bcrypt entry, and the clear-text credentials.
#[derive(Debug, Clone)]
pub struct Htpasswd {
    pub path: PathBuf,
    pub user: String,
    pub password: String,
}

/// `htpasswd -Bbn USER PASS` (the real tool) written to `<dir>/htpasswd-<user>`.
#[track_caller]
pub fn htpasswd_file(dir: &TestDir, user: &str, password: &str) -> Htpasswd {
    let out = run_command(
        Env::default()
            .command("htpasswd")
            .args(["-Bbn", user, password]),
        None,
        DEFAULT_CMD_TIMEOUT,
    );
    out.assert_success();
    let line = out.stdout.lines().next().unwrap_or_default().to_string();
    let path = dir.write(format!("htpasswd-{user}"), format!("{line}\n"));
    Htpasswd {
        path,
        user: user.to_string(),
        password: password.to_string(),
    }
}

/// A running `docker-registry`; killed on Drop.
pub struct Registry {
    proc: ChildServer,
    port: u16,
    auth: Option<Htpasswd>,
    tls: Option<TlsFiles>,
    root: PathBuf,
    /// A token the harness itself presents (token-auth registries).
    bearer: Option<String>,
    /// The login skopeo presents to a token realm.
    token_login: Option<(String, String)>,
}

/// Docker registry token authentication settings (distribution's `auth.token`).
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub realm: String,
    pub service: String,
    pub issuer: String,
    pub rootcertbundle: PathBuf,
    /// A token with every access the harness needs (HEAD manifests); skopeo gets its own
    /// tokens from the realm.
    pub harness_token: String,
    /// The login skopeo presents to the realm, if it requires one.
    pub login: Option<(String, String)>,
}

/// An image written as an OCI layout on disk.
#[derive(Debug, Clone)]
pub struct OciImage {
    pub dir: PathBuf,
    pub tag: String,
    /// `sha256:<hex>` of the manifest as written on disk (skopeo may re-serialise it on push).
    pub manifest_digest: String,
    pub manifest_size: u64,
}

/// An image pushed to a [`Registry`], as the registry reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// `127.0.0.1:PORT/REPO:TAG`.
    pub reference: String,
    /// `sha256:<hex>` from the registry's `Docker-Content-Digest`.
    pub digest: String,
    /// Manifest size in bytes (`Content-Length` of the manifest).
    pub size: u64,
    /// Media type of the stored manifest.
    pub media_type: String,
}

impl Registry {
    /// Plain-HTTP registry, optional htpasswd auth.
    #[track_caller]
    pub fn start(dir: &TestDir, htpasswd: Option<&Htpasswd>) -> Registry {
        Self::start_inner(dir, htpasswd, None, false)
    }

    /// HTTPS registry with token authentication against `token.realm`.
    #[track_caller]
    pub fn start_token(dir: &TestDir, token: &TokenAuth) -> Registry {
        Self::start_inner(dir, None, Some(token), true)
    }

    /// HTTPS registry with the test certificate (SAN 127.0.0.1 and localhost).
    #[track_caller]
    pub fn start_tls(dir: &TestDir, htpasswd: Option<&Htpasswd>) -> Registry {
        Self::start_inner(dir, htpasswd, None, true)
    }

    #[track_caller]
    fn start_inner(
        dir: &TestDir,
        htpasswd: Option<&Htpasswd>,
        token: Option<&TokenAuth>,
        tls: bool,
    ) -> Registry {
        let tls = tls.then(|| dir.tls());
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let root = dir.mkdir(format!("registry-{port}"));
            let cfg = dir.write(
                format!("registry-{port}.yml"),
                config_yaml(port, &root, htpasswd, token, tls.as_ref()),
            );
            let log = dir.join(format!("registry-{port}.log"));
            let mut cmd = Env::default().command("docker-registry");
            cmd.arg("serve").arg(&cfg).current_dir(dir.path());
            let mut proc = ChildServer::spawn("docker-registry", &mut cmd, &log);
            let scheme = if tls.is_some() { "https" } else { "http" };
            let url = format!("{scheme}://127.0.0.1:{port}/v2/");
            let ca = tls.as_ref().map(|t| t.ca.clone());
            let up = wait_until(START_TIMEOUT, || {
                if proc.exited().is_some() {
                    return Some(false);
                }
                match http_request("GET", &url, ca.as_deref(), None, &[]) {
                    Ok(r) if r.status == 200 || r.status == 401 => Some(true),
                    _ => None,
                }
            });
            match up {
                Some(true) => {
                    return Registry {
                        proc,
                        port,
                        auth: htpasswd.cloned(),
                        tls,
                        root,
                        bearer: token.map(|t| t.harness_token.clone()),
                        token_login: token.and_then(|t| t.login.clone()),
                    };
                }
                Some(false) => last_log = proc.log(),
                None => {
                    proc.dump_log();
                    panic!("docker-registry on port {port} not up within {START_TIMEOUT:?}");
                }
            }
        }
        panic!(
            "docker-registry did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}"
        );
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http(s)://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The CA when started with TLS.
    pub fn ca(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|t| t.ca.clone())
    }

    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.auth
            .as_ref()
            .map(|h| (h.user.as_str(), h.password.as_str()))
    }

    /// Storage root directory.
    pub fn storage_dir(&self) -> &Path {
        &self.root
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    /// Build a small OCI image (content derived from `seed`) and push it as `REPO:TAG` with
    /// skopeo (manifest format left to skopeo); returns digest and size as the registry reports.
    #[track_caller]
    pub fn push_image(&self, dir: &TestDir, repo: &str, tag: &str, seed: &str) -> PushedImage {
        self.push_image_format(dir, repo, tag, seed, None)
    }

    /// Like [`Registry::push_image`] with `skopeo copy --format FORMAT` (`oci` or `v2s2`).
    #[track_caller]
    pub fn push_image_format(
        &self,
        dir: &TestDir,
        repo: &str,
        tag: &str,
        seed: &str,
        format: Option<&str>,
    ) -> PushedImage {
        let safe: String = format!("{repo}-{tag}-{seed}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let img = oci_image_layout(&dir.join(format!("oci-{safe}")), tag, seed);
        let policy = dir.write(
            "skopeo-policy.json",
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        );
        let digestfile = dir.join(format!("oci-{safe}.digest"));
        let reference = format!("{}/{repo}:{tag}", self.host_port());
        let mut cmd = Env::default().command("skopeo");
        cmd.env("HOME", dir.mkdir("skopeo-home"))
            .env("REGISTRY_AUTH_FILE", dir.join("skopeo-home/auth.json"))
            .arg("--policy")
            .arg(&policy)
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg("--digestfile")
            .arg(&digestfile);
        if let Some(f) = format {
            cmd.args(["--format", f]);
        }
        if let Some((u, p)) = self.credentials() {
            cmd.arg("--dest-creds").arg(format!("{u}:{p}"));
        } else if let Some((u, p)) = &self.token_login {
            cmd.arg("--dest-creds").arg(format!("{u}:{p}"));
        }
        cmd.arg(format!("oci:{}:{tag}", img.dir.display()))
            .arg(format!("docker://{reference}"));
        run_command(&mut cmd, None, DEFAULT_CMD_TIMEOUT).assert_success();
        let pushed = self.manifest_head(repo, tag);
        let from_skopeo = std::fs::read_to_string(&digestfile).unwrap_or_default();
        assert_eq!(
            from_skopeo.trim(),
            pushed.digest,
            "skopeo --digestfile vs registry HEAD for {reference}"
        );
        pushed
    }

    /// HEAD `/v2/REPO/manifests/REF`: digest, size and media type as the registry reports.
    #[track_caller]
    pub fn manifest_head(&self, repo: &str, reference: &str) -> PushedImage {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.url());
        let accept = format!("{OCI_MANIFEST}, {DOCKER_MANIFEST}");
        let bearer = self.bearer.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Accept", accept.as_str())];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b));
        }
        let r = http_request(
            "HEAD",
            &url,
            self.ca().as_deref(),
            self.credentials(),
            &headers,
        )
        .unwrap_or_else(|e| panic!("HEAD {url}: {e}"));
        assert_eq!(r.status, 200, "HEAD {url}: {:?}", r.headers);
        let digest = r
            .header("docker-content-digest")
            .unwrap_or_default()
            .to_string();
        let size = r
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let media_type = r.header("content-type").unwrap_or_default().to_string();
        PushedImage {
            reference: format!("{}/{repo}:{reference}", self.host_port()),
            digest,
            size,
            media_type,
        }
    }
}

fn config_yaml(
    port: u16,
    root: &Path,
    htpasswd: Option<&Htpasswd>,
    token: Option<&TokenAuth>,
    tls: Option<&TlsFiles>,
) -> String {
    let mut y = format!(
        "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        root.display()
    );
    if let Some(t) = tls {
        y.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            t.cert.display(),
            t.key.display()
        ));
    }
    if let Some(h) = htpasswd {
        y.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: trustctl-test\n    path: {}\n",
            h.path.display()
        ));
    }
    if let Some(t) = token {
        y.push_str(&format!(
            "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
            t.realm,
            t.service,
            t.issuer,
            t.rootcertbundle.display()
        ));
    }
    y
}

/// Write an OCI image layout at `dir`: a one-file tar layer and config derived from `seed`,
/// a manifest, and `index.json` naming it `tag`. Deterministic for a given seed.
pub fn oci_image_layout(dir: &Path, tag: &str, seed: &str) -> OciImage {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir oci blobs");
    let put = |bytes: &[u8]| -> (String, u64) {
        let hex = hex::encode(Sha256::digest(bytes));
        write_file(&blobs.join(&hex), bytes);
        (format!("sha256:{hex}"), bytes.len() as u64)
    };
    let layer = tar_one_file("hello.txt", format!("hello from {seed}\n").as_bytes());
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&layer)));
    let (layer_digest, layer_size) = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"trustctl.test.seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]}
    }))
    .expect("json");
    let (config_digest, config_size) = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}]
    }))
    .expect("json");
    let (manifest_digest, manifest_size) = put(&manifest);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }]
    }))
    .expect("json");
    write_file(&dir.join("index.json"), &index);
    write_file(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    );
    OciImage {
        dir: dir.to_path_buf(),
        tag: tag.to_string(),
        manifest_digest,
        manifest_size,
    }
}

/// A ustar archive holding one regular file (mode 0644, mtime 0).
fn tar_one_file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[148..156].copy_from_slice(b"        ");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0u8; 1024]);
    out
}
