//! Server and TLS resolution from the trust directory: `server` in `<trust dir>/config.json`
//! and the CA at `<trust dir>/tls/<host:port>/ca.crt`, with no flags or environment.

use crate::util::{require_peers, write_file, TestDir, Trustctl, TrustctlServer};

#[test]
fn config_json_server_and_per_host_ca_are_used() {
    if !require_peers(&["openssl"]) {
        return;
    }
    let dir = TestDir::new("config-server-ca");
    let server = TrustctlServer::start(&dir, &[]);
    let url = server.url();
    let t = Trustctl::new(&dir, "t")
        .env_remove("TRUSTCTL_SERVER")
        .env_remove("TRUSTCTL_TLS_CA");
    let host = url.trim_start_matches("https://").trim_end_matches('/');
    let ca_dir = t.trust_dir().join("tls").join(host);
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(server.ca().unwrap(), ca_dir.join("ca.crt")).unwrap();

    // Without config.json the docker rule picks https://localhost:5000: nothing listens there.
    let image = "localhost:5000/cfg/app";
    let digest = format!("sha256:{}", "ab".repeat(32));
    t.sign(&format!("{image}:v1"), &digest, 10).assert_exit(1);

    write_file(
        &t.trust_dir().join("config.json"),
        format!(r#"{{"server":"{url}"}}"#).as_bytes(),
    );
    t.sign(&format!("{image}:v1"), &digest, 10).assert_success();
    let out = t.run(&["verify", &format!("{image}:v1")]);
    out.assert_success();
    assert_eq!(out.stdout.trim(), digest);
}
