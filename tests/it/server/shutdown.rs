//! Graceful shutdown of the real binary: a publish whose body is still arriving when SIGTERM
//! comes is completed (200), the server exits 0, and a new server on the same SQLite file
//! serves exactly what was published. Deterministic without timing: the server's
//! `100 Continue` proves the publish handler is reading the body, a refused connection proves
//! the server has begun shutting down; every wait is bounded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use trustctl::tuf::{SignedFile, TargetName};

use super::repo::{key_from_body, TestRepo};
use super::{multipart, start_time};
use crate::util::{free_port, pass, wait_until, ChildServer, Env, TestDir, Trustctl};

/// Bound on every wait of this module.
const WAIT: Duration = Duration::from_secs(20);

/// `trustctl server` on plain HTTP, 127.0.0.1, with its SQLite database at `db`.
struct Server {
    proc: ChildServer,
    port: u16,
}

impl Server {
    fn start(dir: &TestDir, db: &Path, name: &str) -> Server {
        for _ in 0..5 {
            let port = free_port();
            let mut env = Env::default();
            env.set("HOME", dir.mkdir("home"));
            env.set("TRUSTCTL_SERVER_PASSPHRASE", pass::TRUSTCTL_SERVER);
            let mut cmd = env.command(Trustctl::bin());
            cmd.args([
                "server",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--storage",
            ])
            .arg(format!("sqlite:{}", db.display()));
            let log = dir.join(format!("{name}-{port}.log"));
            let mut proc = ChildServer::spawn(name, &mut cmd, &log);
            let up = wait_until(WAIT, || {
                if proc.exited().is_some() {
                    return Some(false);
                }
                let (status, _) = request(port, "GET", "/_notary_server/health", &[], b"").ok()?;
                (status == 200).then_some(true)
            });
            match up {
                Some(true) => return Server { proc, port },
                // Only a lost race for the port is worth another try.
                Some(false) if proc.log().contains("ddress") => continue,
                _ => {
                    proc.dump_log();
                    panic!("{name} did not become healthy within {WAIT:?}");
                }
            }
        }
        panic!("{name} did not start");
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        request(self.port, "GET", path, &[], b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    Ok(stream)
}

/// An HTTP/1.1 request head (`Connection: close`, so the answer ends at EOF).
fn head(method: &str, path: &str, headers: &[(&str, &str)], len: usize) -> String {
    let mut h = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {len}\r\n"
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// Read one response head (up to the blank line), byte by byte so nothing after it is taken.
fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The final response on `stream`: (status, body up to EOF).
fn read_response(stream: &mut TcpStream) -> std::io::Result<(u16, Vec<u8>)> {
    let head = read_head(stream)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head:?}")))?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body)?;
    Ok((status, body))
}

/// One exchange on a fresh connection.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = connect(port)?;
    stream.write_all(head(method, path, headers, body.len()).as_bytes())?;
    stream.write_all(body)?;
    read_response(&mut stream)
}

fn publish(port: u16, gun: &str, parts: &[(&str, &[u8])]) -> (u16, Vec<u8>) {
    let (content_type, body) = multipart(parts);
    let path = format!("/v2/{gun}/_trust/tuf/");
    request(
        port,
        "POST",
        &path,
        &[("Content-Type", &content_type)],
        &body,
    )
    .unwrap()
}

fn sigterm(proc: &ChildServer) {
    let status = Command::new("kill")
        .args(["-TERM", &proc.pid().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM {}", proc.pid());
}

/// A repository with a server-managed snapshot, root and targets v1 published normally.
fn published_repo(server: &Server, gun: &str) -> TestRepo {
    let snapshot_key = server.get(&format!("/v2/{gun}/_trust/tuf/snapshot.key"));
    let timestamp_key = server.get(&format!("/v2/{gun}/_trust/tuf/timestamp.key"));
    assert_eq!((snapshot_key.0, timestamp_key.0), (200, 200));
    let repo = TestRepo::with_keys(
        gun,
        None,
        key_from_body(&snapshot_key.1),
        key_from_body(&timestamp_key.1),
        start_time(),
    );
    let (root, targets) = (repo.root_bytes(1), repo.targets_bytes(1));
    let parts: [(&str, &[u8]); 2] = [("root", &root), ("targets", &targets)];
    assert_eq!(publish(server.port, gun, &parts), (200, Vec::new()));
    repo
}

/// Send the head of a publish of a `len`-byte body and, once the server asked for the body
/// (its `100 Continue` proves the publish handler runs), `first`, a part of the body.
fn start_slow_publish(
    port: u16,
    gun: &str,
    content_type: &str,
    len: usize,
    first: &[u8],
) -> TcpStream {
    let mut upload = connect(port).unwrap();
    let request_head = head(
        "POST",
        &format!("/v2/{gun}/_trust/tuf/"),
        &[("Content-Type", content_type), ("Expect", "100-continue")],
        len,
    );
    upload.write_all(request_head.as_bytes()).unwrap();
    let interim = read_head(&mut upload).unwrap();
    assert!(interim.starts_with("HTTP/1.1 100 Continue"), "{interim:?}");
    upload.write_all(first).unwrap();
    upload.flush().unwrap();
    upload
}

#[test]
fn publish_in_flight_at_sigterm_completes_and_is_kept() {
    let dir = TestDir::new("server-graceful-publish");
    let db = dir.join("db/trust.db");
    let gun = "example.com/graceful/app";
    let tuf = |file: &str| format!("/v2/{gun}/_trust/tuf/{file}");
    let mut server = Server::start(&dir, &db, "trustctl server");
    let repo = published_repo(&server, gun);
    let mut targets = repo.targets(2);
    targets.targets.insert(
        TargetName::new("v2").unwrap(),
        SignedFile::new(b"the v2 payload".to_vec()).file_meta(),
    );
    let targets2 = repo.sign_targets(&targets);
    let (content_type, body) = multipart(&[("targets", &targets2)]);
    let (first, rest) = body.split_at(body.len() / 2);
    let mut upload = start_slow_publish(server.port, gun, &content_type, body.len(), first);

    sigterm(&server.proc);
    // Shutdown has begun once the listener is gone; then the rest of the body arrives.
    let refused = wait_until(WAIT, || connect(server.port).is_err().then_some(()));
    assert!(refused.is_some(), "still accepting {WAIT:?} after SIGTERM");
    upload.write_all(rest).unwrap();
    let answer = read_response(&mut upload).unwrap();
    assert_eq!(
        (answer.0, String::from_utf8_lossy(&answer.1).into_owned()),
        (200, String::new()),
        "the in-flight publish is answered"
    );
    let Some(exit) = wait_until(WAIT, || server.proc.exited()) else {
        server.proc.dump_log();
        panic!("server still running {WAIT:?} after SIGTERM");
    };
    assert_eq!(
        exit.code(),
        Some(0),
        "exit status; log:\n{}",
        server.proc.log()
    );
    assert!(server.proc.log().contains("trustctl server stopped"));

    // A new server on the same database serves the publish byte for byte.
    let restarted = Server::start(&dir, &db, "restarted trustctl server");
    assert_eq!(restarted.get(&tuf("targets.json")), (200, targets2.clone()));
    assert_eq!(restarted.get(&tuf("2.targets.json")), (200, targets2));
    assert_eq!(restarted.get(&tuf("2.timestamp.json")).0, 200);
    assert_eq!(restarted.get(&tuf("3.timestamp.json")).0, 404);
}
