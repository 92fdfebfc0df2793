//! `trustctl server` under test, on 127.0.0.1 with TLS (the test certificate) or plain HTTP,
//! killed on Drop (SIGTERM first, so the server's graceful shutdown path runs).

use std::path::PathBuf;
use std::time::Duration;

use super::{
    free_port, http_request, pass, wait_until, ChildServer, Env, TestDir, TlsFiles, Trustctl,
};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const START_ATTEMPTS: usize = 3;

pub struct TrustctlServer {
    proc: ChildServer,
    port: u16,
    tls: Option<TlsFiles>,
}

impl TrustctlServer {
    /// `trustctl server --addr 127.0.0.1:PORT --tls-cert C --tls-key K EXTRA…`; waits (bounded)
    /// until `GET /_notary_server/health` answers 200.
    #[track_caller]
    pub fn start(dir: &TestDir, extra_args: &[&str]) -> TrustctlServer {
        Self::start_inner(dir, extra_args, true)
    }

    /// Plain HTTP on 127.0.0.1 (the notary CLI and trustctl accept it; docker does not).
    #[track_caller]
    pub fn start_plain(dir: &TestDir, extra_args: &[&str]) -> TrustctlServer {
        Self::start_inner(dir, extra_args, false)
    }

    #[track_caller]
    fn start_inner(dir: &TestDir, extra_args: &[&str], tls: bool) -> TrustctlServer {
        let tls = tls.then(|| dir.tls());
        let home = dir.mkdir("trustctl-server-home");
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut env = Env::default();
            env.set("HOME", &home);
            env.set("TRUSTCTL_SERVER_PASSPHRASE", pass::TRUSTCTL_SERVER);
            let mut cmd = env.command(Trustctl::bin());
            cmd.args(["server", "--addr", &format!("127.0.0.1:{port}")]);
            if let Some(t) = &tls {
                cmd.arg("--tls-cert")
                    .arg(&t.cert)
                    .arg("--tls-key")
                    .arg(&t.key);
            }
            cmd.args(extra_args).current_dir(dir.path());
            let log = dir.join(format!("trustctl-server-{port}.log"));
            let mut proc = ChildServer::spawn("trustctl server", &mut cmd, &log);
            let url = base_url(port, tls.is_some());
            let health = format!("{url}/_notary_server/health");
            let ca = tls.as_ref().map(|t| t.ca.clone());
            let up = wait_until(START_TIMEOUT, || {
                if proc.exited().is_some() {
                    return Some(false);
                }
                match http_request("GET", &health, ca.as_deref(), None, &[]) {
                    Ok(r) if r.status == 200 => Some(true),
                    _ => None,
                }
            });
            match up {
                Some(true) => return TrustctlServer { proc, port, tls },
                Some(false) => {
                    last_log = proc.log();
                    // Only a lost port race is worth a retry.
                    if !last_log.to_ascii_lowercase().contains("address") {
                        break;
                    }
                }
                None => {
                    proc.dump_log();
                    panic!("trustctl server on port {port} not healthy within {START_TIMEOUT:?}");
                }
            }
        }
        panic!("trustctl server did not start; log:\n{last_log}");
    }

    /// `https://localhost:PORT` (TLS) or `http://127.0.0.1:PORT` (plain).
    pub fn url(&self) -> String {
        base_url(self.port, self.tls.is_some())
    }

    /// `localhost:PORT` (docker's `tls/<host:port>` directory name).
    pub fn host_port(&self) -> String {
        format!("localhost:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the server certificate (TLS mode).
    pub fn ca(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|t| t.ca.clone())
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    pub fn dump_log(&self) {
        self.proc.dump_log();
    }

    /// GET `path` on this server.
    pub fn get(&self, path: &str) -> super::HttpResponse {
        let url = format!("{}{path}", self.url());
        http_request("GET", &url, self.ca().as_deref(), None, &[])
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// Stop now (SIGTERM, bounded wait, then SIGKILL); returns the log.
    pub fn stop(&mut self) -> String {
        self.proc.stop();
        self.proc.log()
    }
}

fn base_url(port: u16, tls: bool) -> String {
    if tls {
        format!("https://localhost:{port}")
    } else {
        format!("http://127.0.0.1:{port}")
    }
}
