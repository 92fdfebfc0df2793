//! `trustctl server`: the router driven with `tower::ServiceExt::oneshot` on a real SQLite
//! storage in a temp dir (every route, status, header and error body, compared with the
//! captures of the real notary-server in `fixtures/samples/server/`), publish validation and
//! attack cases (nothing stored), restart, TLS + graceful shutdown, and the real `notary` and
//! `docker` clients against the running binary.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod cache;
mod interop;
mod lifecycle;
mod publish;
mod reads;
mod repo;
mod shutdown;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use chrono::{DateTime, Duration, Utc};
use tower::ServiceExt;

use trustctl::clock::Clock;
use trustctl::server::storage::{SqliteStorage, Storage};
use trustctl::server::{router, AppState, KeyAlgorithm, KeyVault, Settings};

use crate::util::TestDir;

pub const PASSPHRASE: &str = "server-test-passphrase";

/// A clock tests can move.
#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn new(at: DateTime<Utc>) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(at)))
    }
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// "Now" of the tests: inside the validity of freshly made certificates.
pub fn start_time() -> DateTime<Utc> {
    trustctl::clock::SystemClock.now()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) -> &Resp {
        assert_eq!(
            (self.status, self.text().as_str()),
            (status, body),
            "unexpected answer"
        );
        self
    }
}

/// The router over a SQLite database in a temp dir, with a movable clock.
pub struct App {
    pub dir: TestDir,
    pub storage: Arc<SqliteStorage>,
    pub clock: Arc<TestClock>,
    pub router: axum::Router,
}

impl App {
    pub fn new(name: &str) -> App {
        App::with_settings(name, Settings::default())
    }

    pub fn with_settings(name: &str, settings: Settings) -> App {
        let dir = TestDir::new(name);
        let clock = TestClock::new(start_time());
        App::open(dir, clock, PASSPHRASE, settings)
    }

    fn open(dir: TestDir, clock: Arc<TestClock>, passphrase: &str, settings: Settings) -> App {
        let storage = Arc::new(
            SqliteStorage::open(dir.join("db/trust.db"))
                .unwrap()
                .with_clock(clock.clone()),
        );
        let vault = KeyVault::new(passphrase, KeyAlgorithm::Ed25519).unwrap();
        let state = AppState::new(storage.clone(), vault, clock.clone(), settings);
        App {
            dir,
            storage,
            clock,
            router: router(state),
        }
    }

    /// A second server instance on the same database and clock, running at the same time
    /// (own state, key cache and body cache), like two servers sharing one PostgreSQL.
    pub fn sibling(&self, name: &str, settings: Settings) -> App {
        let storage = Arc::new(
            SqliteStorage::open(self.dir.join("db/trust.db"))
                .unwrap()
                .with_clock(self.clock.clone()),
        );
        let vault = KeyVault::new(PASSPHRASE, KeyAlgorithm::Ed25519).unwrap();
        let state = AppState::new(storage.clone(), vault, self.clock.clone(), settings);
        App {
            dir: TestDir::new(name),
            storage,
            clock: self.clock.clone(),
            router: router(state),
        }
    }

    /// The same database and clock in a new server process (new state, new key cache).
    pub fn restart(self, passphrase: &str) -> App {
        let App {
            dir,
            storage,
            clock,
            router,
        } = self;
        drop(router);
        drop(storage);
        App::open(dir, clock, passphrase, Settings::default())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None, Vec::new()).await
    }

    /// `GET /v2/{gun}/_trust/tuf/{file}`.
    pub async fn tuf(&self, gun: &str, file: &str) -> Resp {
        self.get(&format!("/v2/{gun}/_trust/tuf/{file}")).await
    }

    /// Publish `parts` (filename, bytes) as one multipart POST.
    pub async fn publish(&self, gun: &str, parts: &[(&str, &[u8])]) -> Resp {
        let (ct, body) = multipart(parts);
        self.call(
            Method::POST,
            &format!("/v2/{gun}/_trust/tuf/"),
            Some(&ct),
            body,
        )
        .await
    }

    /// Number of changefeed records for `gun`.
    pub fn changes(&self, gun: &str) -> usize {
        let gun = trustctl::tuf::Gun::new(gun).unwrap();
        self.storage.changes(Some(&gun), 0, 1000).unwrap().len()
    }
}

pub const BOUNDARY: &str = "3e7513a5b6c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5";

/// A multipart body as the Go notary client writes it.
pub fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The error body a real notary-server answered for the case `desc` in a capture file of
/// `fixtures/samples/server/` (`### desc -> STATUS BODY` lines).
pub fn captured(file: &str, desc: &str) -> (u16, String) {
    let text = String::from_utf8(crate::util::fixture_bytes(&format!(
        "samples/server/{file}"
    )))
    .unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("### {desc} -> ")))
        .unwrap_or_else(|| panic!("no capture {desc:?} in {file}"));
    let (status, body) = line.split_once(' ').unwrap();
    let body = if body.is_empty() {
        String::new()
    } else {
        format!("{body}\n")
    };
    (status.parse().unwrap(), body)
}
