//! `trustctl key generate|load|list` against the real docker CLI: key files move between the
//! tools with the same key IDs; bad input exits 1 with one line and writes nothing.

use std::path::{Path, PathBuf};

use crate::util::{mode_of, pass, require_peer, DockerCli, TestDir, Trustctl};

/// The private key files in a trust directory (sorted file names).
fn key_files(trust_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(trust_dir.join("private"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn docker(dir: &TestDir) -> DockerCli {
    // No trust server is contacted by `docker trust key`; the URL is only required by the helper.
    DockerCli::new(dir, "docker", "https://localhost:1", None)
}

#[test]
fn trustctl_generated_key_loads_in_docker_with_the_same_id() {
    if require_peer("docker").is_none() {
        return;
    }
    let dir = TestDir::new("keys-gen-docker");
    let out_dir = dir.mkdir("pub");
    let t = Trustctl::new(&dir, "t");
    let out = t.run(&[
        "key",
        "generate",
        "alice",
        "--dir",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    out.assert_success();
    let report = out.json();
    let id = report["key_id"].as_str().unwrap().to_string();
    let private = PathBuf::from(report["private_key_file"].as_str().unwrap());
    assert_eq!(
        private,
        t.trust_dir().join("private").join(format!("{id}.key"))
    );
    // Permissions as docker writes them: 0700 directory, 0600 files (the .pub too).
    assert_eq!(mode_of(&t.trust_dir().join("private")), 0o700);
    assert_eq!(mode_of(&private), 0o600);
    assert_eq!(mode_of(&out_dir.join("alice.pub")), 0o600);
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n"),
        "{pem}"
    );

    // `docker trust key load` silently stores nothing for an encrypted key file (it prints
    // success), so the key goes through `trustctl key export` (unencrypted, 0600).
    let exported = dir.join("alice-private.pem");
    t.run(&["key", "export", &id, "--out", exported.to_str().unwrap()])
        .assert_success();
    assert_eq!(mode_of(&exported), 0o600);
    let d = docker(&dir).env(
        "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
        pass::DELEGATION,
    );
    d.key_load(&exported, "alice");
    assert_eq!(key_files(&d.trust_dir()), vec![format!("{id}.key")]);
    // ... and docker's copy (encrypted by docker) loads back into trustctl with the same ID.
    let t2 = Trustctl::new(&dir, "t2").env("TRUSTCTL_IMPORT_PASSPHRASE", pass::DELEGATION);
    let back = d.trust_dir().join("private").join(format!("{id}.key"));
    let out = t2.run(&[
        "key",
        "load",
        back.to_str().unwrap(),
        "--name",
        "alice",
        "--json",
    ]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], id.as_str());

    // docker's signer tooling accepts the .pub trustctl wrote: same key ID as docker computes.
    let listed = t.run(&["key", "list", "--json"]);
    listed.assert_success();
    let rows = listed.json();
    assert_eq!(rows[0]["key_id"], id.as_str());
    assert_eq!(rows[0]["role"], "alice");
    assert!(rows[0]["repository"].is_null());
}

#[test]
fn docker_generated_key_loads_in_trustctl_with_the_same_id() {
    if require_peer("docker").is_none() {
        return;
    }
    let dir = TestDir::new("keys-docker-gen");
    let d = docker(&dir);
    let out_dir = dir.mkdir("pub");
    d.key_generate("bob", &out_dir);
    let files = key_files(&d.trust_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    let docker_id = files[0].trim_end_matches(".key").to_string();
    let docker_key = d.trust_dir().join("private").join(&files[0]);

    let t = Trustctl::new(&dir, "t").env("TRUSTCTL_IMPORT_PASSPHRASE", pass::DOCKER_REPOSITORY);
    let out = t.run(&[
        "key",
        "load",
        docker_key.to_str().unwrap(),
        "--name",
        "bob",
        "--json",
    ]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], docker_id.as_str());
    assert_eq!(key_files(t.trust_dir()), vec![format!("{docker_id}.key")]);
    // Re-encrypted under trustctl's delegation passphrase: docker can read it back with that.
    // Re-encrypted under trustctl's delegation passphrase, same file format as docker's.
    let pem = std::fs::read_to_string(
        t.trust_dir()
            .join("private")
            .join(format!("{docker_id}.key")),
    )
    .unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: bob\n\n"),
        "{pem}"
    );
}

#[test]
fn real_notary_and_docker_key_files_load_with_their_ids() {
    let dir = TestDir::new("keys-samples");
    // (file, passphrase) from fixtures/samples/README.md: ECDSA keys made by docker/notary.
    for (file, passphrase) in [
        (
            "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key",
            pass::DOCKER_REPOSITORY,
        ),
        (
            "87cc5cd3cfe31ce86f67e4a72d9b3ce04146796e1f60e77367116e122c052176.key",
            pass::DOCKER_ROOT,
        ),
        (
            "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key",
            pass::DOCKER_REPOSITORY,
        ),
    ] {
        let t = Trustctl::new(&dir, &file[..8]).env("TRUSTCTL_IMPORT_PASSPHRASE", passphrase);
        let path = crate::util::fixture(&format!("samples/keys/{file}"));
        let out = t.run(&["key", "load", path.to_str().unwrap(), "--json"]);
        out.assert_success();
        assert_eq!(out.json()["key_id"], file.trim_end_matches(".key"));
    }
}

#[test]
fn bad_key_input_exits_1_and_writes_nothing() {
    let dir = TestDir::new("keys-bad");
    let sample = |f: &str| crate::util::fixture(&format!("samples/keys/{f}"));
    let corrupt = dir.write(
        "corrupt.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let not_pem = dir.write("junk.txt", "hello");
    let cases: Vec<(&str, PathBuf, &str, &str)> = vec![
        (
            "wrong passphrase",
            sample("6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key"),
            "not-the-passphrase",
            "wrong passphrase",
        ),
        ("corrupt PEM", corrupt, "x", "not a private key file"),
        ("not PEM", not_pem, "x", "no PEM block"),
        (
            "unsupported key type (ed25519)",
            sample("31790dbdd14816d3a0d72d3d229617aa9b11f5a4a157b211372558449748eb59.key"),
            pass::TARGETS,
            "unsupported key type",
        ),
        (
            "unsupported key type (RSA)",
            sample("65f190b80bedd4ffedb67a2c94eab919c9d0b0d9477f7798bea72ca88fad5d8d.key"),
            pass::DELEGATION,
            "unsupported key type",
        ),
    ];
    for (what, file, passphrase, needle) in cases {
        let t = Trustctl::new(&dir, "t").env("TRUSTCTL_IMPORT_PASSPHRASE", passphrase);
        let out = t.run(&["key", "load", file.to_str().unwrap()]);
        out.assert_exit(1).assert_stderr_contains(needle);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "{what}: {}",
            out.stderr
        );
        assert!(
            key_files(t.trust_dir()).is_empty(),
            "{what}: something was written"
        );
    }
}

#[test]
fn generate_refuses_bad_names_and_existing_pub_files() {
    let dir = TestDir::new("keys-names");
    let t = Trustctl::new(&dir, "t");
    let d = dir.mkdir("pub");
    t.run(&["key", "generate", "Bad", "--dir", d.to_str().unwrap()])
        .assert_exit(2)
        .assert_stderr_contains("must start with lowercase alphanumeric characters");
    dir.write("pub/carol.pub", "x");
    t.run(&["key", "generate", "carol", "--dir", d.to_str().unwrap()])
        .assert_exit(2)
        .assert_stderr_contains("public key file already exists");
    assert!(key_files(t.trust_dir()).is_empty());
    // No passphrase source and no terminal: a clear error naming the variable, nothing written.
    let t2 = Trustctl::new(&dir, "t2").env_remove("TRUSTCTL_DELEGATION_PASSPHRASE");
    t2.run(&["key", "generate", "dave", "--dir", d.to_str().unwrap()])
        .assert_exit(1)
        .assert_stderr_contains("TRUSTCTL_DELEGATION_PASSPHRASE");
    assert!(key_files(t2.trust_dir()).is_empty());
    assert!(!d.join("dave.pub").exists());
}
