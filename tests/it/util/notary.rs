//! The real `notary-server` (TLS on 127.0.0.1, memory storage, local trust service unless the
//! given config says otherwise) and the real `notary` client with its own trust dir and config.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use super::{
    free_port, http_request, pass, run_command, wait_until, ChildServer, CmdOutput, Env, TestDir,
    TlsFiles, DEFAULT_CMD_TIMEOUT,
};

/// How long a server may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Start attempts (a new free port each time) before giving up.
const START_ATTEMPTS: usize = 3;

/// A running `notary-server`; killed on Drop.
pub struct NotaryServer {
    proc: ChildServer,
    port: u16,
    tls: TlsFiles,
    /// False when started with [`NotaryServer::start_plain`].
    https: bool,
    config: PathBuf,
    /// The notary-signer behind a remote trust service; dropped after the server.
    signer: Option<ChildServer>,
}

impl NotaryServer {
    /// The default server: memory storage, local trust service (ed25519 server keys), TLS with
    /// the test CA.
    #[track_caller]
    pub fn start(dir: &TestDir) -> NotaryServer {
        Self::start_with_config(dir, default_config())
    }

    /// Start with `config` (notary-server JSON, e.g. with an `auth` section). `server.http_addr`
    /// is always set to 127.0.0.1:<free port>; `server.tls_cert_file`/`tls_key_file` default
    /// to the test certificate; `storage`/`trust_service` default as in [`NotaryServer::start`].
    #[track_caller]
    pub fn start_with_config(dir: &TestDir, config: Value) -> NotaryServer {
        Self::start_inner(dir, config, true)
    }

    /// Memory storage and local signing, with registry token auth (`token` options).
    pub fn start_with_token_auth(
        dir: &TestDir,
        realm: &str,
        service: &str,
        issuer: &str,
        rootcertbundle: &Path,
    ) -> NotaryServer {
        Self::start_with_config(
            dir,
            serde_json::json!({
                "storage": {"backend": "memory"},
                "trust_service": {"type": "local"},
                "auth": {"type": "token", "options": {
                    "realm": realm, "service": service, "issuer": issuer,
                    "rootcertbundle": rootcertbundle.to_string_lossy(),
                }}
            }),
        )
    }

    /// A server whose timestamp/snapshot keys live in a real `notary-signer` (memory storage,
    /// gRPC with mutual TLS on 127.0.0.1) and are **ecdsa**, like Docker Hub's
    /// (`trust_service.type = remote`, `key_algorithm = ecdsa`).
    #[track_caller]
    pub fn start_with_signer(dir: &TestDir) -> NotaryServer {
        let tls = dir.tls();
        let (signer, port) = start_signer(dir, &tls);
        let mut cfg = default_config();
        cfg["trust_service"] = json!({
            "type": "remote", "hostname": "localhost", "port": port.to_string(),
            "tls_ca_file": tls.ca, "key_algorithm": "ecdsa",
            "tls_client_cert": tls.cert, "tls_client_key": tls.key
        });
        let mut server = Self::start_inner(dir, cfg, true);
        server.signer = Some(signer);
        server
    }

    /// Plain HTTP on 127.0.0.1 (the notary CLI accepts `http://` servers; docker does not).
    /// `url()` is then `http://127.0.0.1:PORT`.
    #[track_caller]
    pub fn start_plain(dir: &TestDir) -> NotaryServer {
        Self::start_inner(dir, default_config(), false)
    }

    /// Plain HTTP with a given config (any TLS settings in it are removed).
    #[track_caller]
    pub fn start_plain_with_config(dir: &TestDir, config: Value) -> NotaryServer {
        Self::start_inner(dir, config, false)
    }

    #[track_caller]
    fn start_inner(dir: &TestDir, config: Value, https: bool) -> NotaryServer {
        let tls = dir.tls();
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let cfg = fill_config(config.clone(), port, https.then_some(&tls));
            let cfg_path = dir.write(
                format!("notary-server-{port}.json"),
                serde_json::to_string(&cfg).expect("config json"),
            );
            let log = dir.join(format!("notary-server-{port}.log"));
            let mut cmd = Env::default().command("notary-server");
            cmd.arg("-config").arg(&cfg_path).current_dir(dir.path());
            let mut proc = ChildServer::spawn("notary-server", &mut cmd, &log);
            let ca = tls.ca.clone();
            let url = format!("{}/_notary_server/health", base_url(port, https));
            let healthy = wait_until(START_TIMEOUT, || {
                if proc.exited().is_some() {
                    return Some(false);
                }
                match http_request("GET", &url, Some(&ca), None, &[]) {
                    Ok(r) if r.status == 200 => Some(true),
                    _ => None,
                }
            });
            match healthy {
                Some(true) => {
                    return NotaryServer {
                        proc,
                        port,
                        tls,
                        https,
                        config: cfg_path,
                        signer: None,
                    }
                }
                Some(false) => last_log = proc.log(), // exited: maybe the port was taken; retry
                None => {
                    proc.dump_log();
                    panic!("notary-server on port {port} not healthy within {START_TIMEOUT:?}");
                }
            }
        }
        panic!(
            "notary-server did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}"
        );
    }

    /// `https://localhost:PORT` (the name in the test certificate), or `http://127.0.0.1:PORT`
    /// for a plain server.
    pub fn url(&self) -> String {
        base_url(self.port, self.https)
    }

    /// `localhost:PORT` (TLS; the directory name docker uses under `$DOCKER_CONFIG/tls/`) or
    /// `127.0.0.1:PORT` (plain): the host part of `url()`.
    pub fn host_port(&self) -> String {
        let host = if self.https { "localhost" } else { "127.0.0.1" };
        format!("{host}:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA certificate that signed the server certificate (written even for a plain server,
    /// where nothing uses it).
    pub fn ca(&self) -> PathBuf {
        self.tls.ca.clone()
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    pub fn dump_log(&self) {
        self.proc.dump_log();
    }

    /// GET `path` (e.g. `/v2/<gun>/_trust/tuf/root.json`) on this server, trusting the test CA.
    pub fn get(&self, path: &str) -> super::HttpResponse {
        let url = format!("{}{path}", self.url());
        http_request("GET", &url, Some(&self.tls.ca), None, &[])
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }
}

/// Start notary-signer on a free port; ready when its gRPC port accepts connections.
#[track_caller]
fn start_signer(dir: &TestDir, tls: &TlsFiles) -> (ChildServer, u16) {
    let mut last_log = String::new();
    for _ in 0..START_ATTEMPTS {
        let port = free_port();
        let cfg = json!({
            "server": {"grpc_addr": format!("127.0.0.1:{port}"), "tls_cert_file": tls.cert,
                       "tls_key_file": tls.key, "client_ca_file": tls.ca},
            "logging": {"level": "info"},
            "storage": {"backend": "memory"}
        });
        let cfg_path = dir.write(format!("notary-signer-{port}.json"), cfg.to_string());
        let log = dir.join(format!("notary-signer-{port}.log"));
        let mut env = Env::default();
        env.set("NOTARY_SIGNER_DEFAULT_ALIAS", "testalias");
        env.set("NOTARY_SIGNER_TESTALIAS", pass::TRUSTCTL_SERVER);
        let mut cmd = env.command("notary-signer");
        cmd.arg("-config").arg(&cfg_path).current_dir(dir.path());
        let mut proc = ChildServer::spawn("notary-signer", &mut cmd, &log);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let up = wait_until(START_TIMEOUT, || {
            if proc.exited().is_some() {
                return Some(false);
            }
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(|_| true)
        });
        match up {
            Some(true) => return (proc, port),
            Some(false) => last_log = proc.log(),
            None => {
                proc.dump_log();
                panic!("notary-signer on port {port} not listening within {START_TIMEOUT:?}");
            }
        }
    }
    panic!("notary-signer did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
}

fn default_config() -> Value {
    json!({
        "trust_service": {"type": "local", "hostname": "", "port": "", "key_algorithm": "ecdsa"},
        "storage": {"backend": "memory"},
        "logging": {"level": "info"}
    })
}

fn base_url(port: u16, https: bool) -> String {
    if https {
        format!("https://localhost:{port}")
    } else {
        format!("http://127.0.0.1:{port}")
    }
}

fn fill_config(mut cfg: Value, port: u16, tls: Option<&TlsFiles>) -> Value {
    if !cfg.is_object() {
        cfg = json!({});
    }
    let obj = cfg.as_object_mut().expect("object");
    let server = obj.entry("server").or_insert_with(|| json!({}));
    if let Some(s) = server.as_object_mut() {
        s.insert("http_addr".into(), json!(format!("127.0.0.1:{port}")));
        match tls {
            Some(tls) => {
                s.entry("tls_cert_file").or_insert_with(|| json!(tls.cert));
                s.entry("tls_key_file").or_insert_with(|| json!(tls.key));
            }
            None => {
                s.remove("tls_cert_file");
                s.remove("tls_key_file");
            }
        }
    }
    obj.entry("storage")
        .or_insert_with(|| json!({"backend": "memory"}));
    obj.entry("trust_service")
        .or_insert_with(|| json!({"type": "local"}));
    cfg
}

/// One line of `notary list` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotaryTarget {
    pub name: String,
    /// Hex sha256.
    pub digest: String,
    pub size: u64,
    pub role: String,
}

/// The real `notary` client with its own trust dir (`<dir>/<name>`) and config file
/// (`remote_server.url` + `root_ca`), passphrases from [`pass`] via `NOTARY_*_PASSPHRASE`.
#[derive(Debug, Clone)]
pub struct NotaryClient {
    trust_dir: PathBuf,
    config: PathBuf,
    cwd: PathBuf,
    env: Env,
}

impl NotaryClient {
    pub fn new(dir: &TestDir, name: &str, server_url: &str, ca: &Path) -> NotaryClient {
        let trust_dir = dir.mkdir(name);
        Self::with_trust_dir(dir, name, server_url, ca, &trust_dir)
    }

    /// A client using an existing trust dir (e.g. docker's `$DOCKER_CONFIG/trust`, as the
    /// samples did to sign tags into delegations). Config and HOME still go to `<dir>/<name>-*`.
    pub fn with_trust_dir(
        dir: &TestDir,
        name: &str,
        server_url: &str,
        ca: &Path,
        trust_dir: &Path,
    ) -> NotaryClient {
        let trust_dir = trust_dir.to_path_buf();
        let home = dir.mkdir(format!("{name}-home"));
        let config = dir.write(
            format!("{name}-config.json"),
            serde_json::to_string(&json!({
                "trust_dir": trust_dir,
                "remote_server": {"url": server_url, "root_ca": ca},
            }))
            .expect("json"),
        );
        let mut env = Env::default();
        env.set("HOME", &home);
        env.set("NOTARY_ROOT_PASSPHRASE", pass::ROOT);
        env.set("NOTARY_TARGETS_PASSPHRASE", pass::TARGETS);
        env.set("NOTARY_SNAPSHOT_PASSPHRASE", pass::SNAPSHOT);
        env.set("NOTARY_DELEGATION_PASSPHRASE", pass::DELEGATION);
        NotaryClient {
            trust_dir,
            config,
            cwd: dir.path().to_path_buf(),
            env,
        }
    }

    /// A client of `server` (its URL and CA).
    pub fn for_server(dir: &TestDir, name: &str, server: &NotaryServer) -> NotaryClient {
        Self::new(dir, name, &server.url(), &server.ca())
    }

    /// The client's trust dir (`private/`, `tuf/<gun>/metadata/`).
    pub fn trust_dir(&self) -> &Path {
        &self.trust_dir
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Set or override an environment variable (e.g. a passphrase).
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> NotaryClient {
        self.env.set(k, v);
        self
    }

    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = self.env.command("notary");
        cmd.arg("-c")
            .arg(&self.config)
            .args(args)
            .current_dir(&self.cwd);
        cmd
    }

    /// `notary -c CONFIG ARGS…`, whatever the outcome.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> CmdOutput {
        run_command(&mut self.command(args), None, DEFAULT_CMD_TIMEOUT)
    }

    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> CmdOutput {
        run_command(&mut self.command(args), Some(stdin), DEFAULT_CMD_TIMEOUT)
    }

    #[track_caller]
    fn ok<S: AsRef<OsStr>>(&self, args: &[S]) -> CmdOutput {
        let out = self.run(args);
        out.assert_success();
        out
    }

    /// `notary init GUN -p` (client-managed snapshot key).
    #[track_caller]
    pub fn init(&self, gun: &str) -> CmdOutput {
        self.ok(&["init", gun, "-p"])
    }

    /// `notary init GUN -p` then `notary key rotate GUN snapshot -r` (server-managed snapshot,
    /// the way docker initialises repositories).
    #[track_caller]
    pub fn init_server_snapshot(&self, gun: &str) -> CmdOutput {
        self.init(gun);
        self.ok(&["key", "rotate", gun, "snapshot", "-r"])
    }

    /// `notary add GUN TARGET FILE [-r ROLE]… -p`.
    #[track_caller]
    pub fn add(&self, gun: &str, target: &str, file: &Path, roles: &[&str]) -> CmdOutput {
        let mut args: Vec<&OsStr> =
            vec!["add".as_ref(), gun.as_ref(), target.as_ref(), file.as_ref()];
        for r in roles {
            args.push("-r".as_ref());
            args.push(r.as_ref());
        }
        args.push("-p".as_ref());
        self.ok(&args)
    }

    /// `notary addhash GUN TARGET SIZE --sha256 HEX [-r ROLE]… -p`.
    #[track_caller]
    pub fn addhash(
        &self,
        gun: &str,
        target: &str,
        size: u64,
        sha256_hex: &str,
        roles: &[&str],
    ) -> CmdOutput {
        let size = size.to_string();
        let mut args = vec!["addhash", gun, target, &size, "--sha256", sha256_hex];
        for r in roles {
            args.extend(["-r", r]);
        }
        args.push("-p");
        self.ok(&args)
    }

    /// `notary remove GUN TARGET [-r ROLE]… -p`.
    #[track_caller]
    pub fn remove(&self, gun: &str, target: &str, roles: &[&str]) -> CmdOutput {
        let mut args = vec!["remove", gun, target];
        for r in roles {
            args.extend(["-r", r]);
        }
        args.push("-p");
        self.ok(&args)
    }

    /// `notary publish GUN`.
    #[track_caller]
    pub fn publish(&self, gun: &str) -> CmdOutput {
        self.ok(&["publish", gun])
    }

    /// `notary list GUN` parsed (asserts success).
    #[track_caller]
    pub fn list(&self, gun: &str) -> Vec<NotaryTarget> {
        parse_list(&self.ok(&["list", gun]).stdout)
    }

    /// `notary list GUN -r ROLE` parsed (asserts success).
    #[track_caller]
    pub fn list_role(&self, gun: &str, role: &str) -> Vec<NotaryTarget> {
        parse_list(&self.ok(&["list", gun, "-r", role]).stdout)
    }

    /// `notary lookup GUN TARGET` (not asserted: a missing target exits 1).
    pub fn lookup(&self, gun: &str, target: &str) -> CmdOutput {
        self.run(&["lookup", gun, target])
    }

    /// `notary delegation add GUN ROLE KEYFILE… (--paths P…|--all-paths) -p`. `paths` empty =
    /// `--all-paths`. `KEYFILE` is a PEM certificate or public key.
    #[track_caller]
    pub fn delegation_add(
        &self,
        gun: &str,
        role: &str,
        keys: &[&Path],
        paths: &[&str],
    ) -> CmdOutput {
        let mut args: Vec<&OsStr> = vec![
            "delegation".as_ref(),
            "add".as_ref(),
            gun.as_ref(),
            role.as_ref(),
        ];
        args.extend(keys.iter().map(|k| k.as_os_str()));
        let joined = paths.join(",");
        if paths.is_empty() {
            args.push("--all-paths".as_ref());
        } else {
            args.push("--paths".as_ref());
            args.push(joined.as_ref());
        }
        args.push("-p".as_ref());
        self.ok(&args)
    }

    /// `notary key generate ecdsa --role ROLE -o <dir>/<stem>`: returns (public PEM, private PEM).
    #[track_caller]
    pub fn key_generate(&self, role: &str, out_stem: &Path) -> (PathBuf, PathBuf) {
        let stem = out_stem.to_string_lossy().into_owned();
        self.ok(&["key", "generate", "ecdsa", "--role", role, "-o", &stem]);
        (
            PathBuf::from(format!("{stem}.pem")),
            PathBuf::from(format!("{stem}-key.pem")),
        )
    }

    /// `notary key rotate GUN ROLE [-r]`.
    #[track_caller]
    pub fn key_rotate(&self, gun: &str, role: &str, server_managed: bool) -> CmdOutput {
        let mut args = vec!["key", "rotate", gun, role];
        if server_managed {
            args.push("-r");
        }
        self.ok(&args)
    }

    /// Path of cached metadata `<trust>/tuf/<gun>/metadata/<role>.json`.
    pub fn cached_metadata(&self, gun: &str, role: &str) -> PathBuf {
        self.trust_dir
            .join("tuf")
            .join(gun)
            .join("metadata")
            .join(format!("{role}.json"))
    }
}

/// Parse `notary list` output (two header lines, then `NAME DIGEST SIZE ROLE` rows). Target
/// names containing spaces are not supported by this parser.
pub fn parse_list(stdout: &str) -> Vec<NotaryTarget> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("----"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != 4 {
                return None;
            }
            Some(NotaryTarget {
                name: f[0].to_string(),
                digest: f[1].to_string(),
                size: f[2].parse().ok()?,
                role: f[3].to_string(),
            })
        })
        .collect()
}
