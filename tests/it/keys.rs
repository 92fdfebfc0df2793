//! `trustctl key generate|load|export|list` against the real docker CLI and OpenSSL 3: key
//! files move between the tools with the same key IDs; every sample key written by notary
//! 0.7 / docker 28 loads with the ID of its file name; bad input exits 1 with one line on
//! stderr and leaves the trust directory byte-for-byte unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Every file and directory under `dir` with its mode and contents (to prove "unchanged").
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), (mode_of(&p), Vec::new()));
                stack.push(p);
            } else {
                out.insert(p.clone(), (mode_of(&p), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn docker(dir: &TestDir) -> DockerCli {
    // No trust server is contacted by `docker trust key`; the URL is only required by the helper.
    DockerCli::new(dir, "docker", "https://localhost:1", None)
}

fn sample(file: &str) -> PathBuf {
    crate::util::fixture(&format!("samples/keys/{file}"))
}

/// OpenSSL 3 cannot read PEM headers other than Proc-Type/DEK-Info; give it the body only.
fn without_headers(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.is_empty() && !l.contains(": "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Run openssl with `args`, feeding `stdin`; returns stdout bytes (asserts success).
fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn generate_writes_notary_files_with_docker_permissions_and_openssl_decrypts_them() {
    let dir = TestDir::new("keys-gen-files");
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
    assert_eq!(
        report["public_key_file"].as_str().unwrap(),
        out_dir.join("alice.pub").to_str().unwrap()
    );
    // Permissions as notary/docker: 0700 directories, 0600 files (the .pub too).
    assert_eq!(mode_of(t.trust_dir()), 0o700);
    assert_eq!(mode_of(&t.trust_dir().join("private")), 0o700);
    assert_eq!(mode_of(&private), 0o600);
    assert_eq!(mode_of(&out_dir.join("alice.pub")), 0o600);
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\nMIH"),
        "{pem}"
    );
    let public = std::fs::read_to_string(out_dir.join("alice.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\nrole: alice\n\n"));

    // The .pub's key ID is the reported one (computed by the library from the file).
    let pub_key = trustctl::crypto::PublicKey::from_spki_pem(public.as_bytes()).unwrap();
    assert_eq!(pub_key.key_id().as_str(), id);

    // OpenSSL 3 decrypts the private key (PBES2/PBKDF2-SHA1/AES-256-CBC) with the delegation
    // passphrase, and its public half is the .pub body; a wrong passphrase fails there too.
    if require_peer("openssl").is_none() {
        return;
    }
    let body = without_headers(&pem);
    let arg = format!("pass:{}", pass::DELEGATION);
    let decrypted = openssl(&["pkcs8", "-passin", &arg], body.as_bytes());
    let spki = openssl(&["pkey", "-pubout", "-outform", "DER"], &decrypted);
    assert_eq!(spki, pem::parse(&public).unwrap().contents());
    let wrong = Command::new("openssl")
        .args(["pkcs8", "-passin", "pass:wrong-pass", "-in"])
        .arg(dir.write("body.pem", &body))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
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
    let id = out.json()["key_id"].as_str().unwrap().to_string();
    let private = t.trust_dir().join("private").join(format!("{id}.key"));

    // docker 28 quirk: `docker trust key load` of an ENCRYPTED file without a `path` header
    // prints success and stores nothing (it decrypts to DER, then finds no PEM in it).
    let d = docker(&dir).env(
        "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
        pass::DELEGATION,
    );
    d.key_load(&private, "alice")
        .assert_stdout_contains("Successfully imported key");
    assert_eq!(key_files(&d.trust_dir()), Vec::<String>::new());

    // So the key goes through `trustctl key export` (unencrypted, 0600, never overwriting).
    let exported = dir.join("alice-private.pem");
    t.run(&["key", "export", &id, "--out", exported.to_str().unwrap()])
        .assert_success();
    assert_eq!(mode_of(&exported), 0o600);
    t.run(&["key", "export", &id, "--out", exported.to_str().unwrap()])
        .assert_exit(2)
        .assert_stderr_contains("already exists");
    d.key_load(&exported, "alice");
    assert_eq!(key_files(&d.trust_dir()), vec![format!("{id}.key")]);
    let docker_copy = d.trust_dir().join("private").join(format!("{id}.key"));
    assert!(std::fs::read_to_string(&docker_copy)
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n"));

    // ... and docker's copy (encrypted by docker with its repository passphrase) loads back
    // into a fresh trustctl with the same ID, re-encrypted under the delegation passphrase.
    let t2 = Trustctl::new(&dir, "t2").env(
        "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
        pass::DELEGATION,
    );
    let out = t2.run(&[
        "key",
        "load",
        docker_copy.to_str().unwrap(),
        "--name",
        "alice",
        "--json",
    ]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], id.as_str());

    let listed = t.run(&["key", "list", "--json"]);
    listed.assert_success();
    let rows = listed.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["key_id"], id.as_str());
    assert_eq!(rows[0]["role"], "alice");
    assert!(rows[0]["repository"].is_null());
    assert_eq!(rows[0]["file"], private.to_str().unwrap());
}

#[test]
fn docker_generated_key_loads_in_trustctl_with_the_same_id() {
    if require_peer("docker").is_none() {
        return;
    }
    let dir = TestDir::new("keys-docker-gen");
    let d = docker(&dir);
    let out_dir = dir.mkdir("pub");
    let pub_file = d.key_generate("bob", &out_dir);
    let files = key_files(&d.trust_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    let docker_id = files[0].trim_end_matches(".key").to_string();
    let docker_key = d.trust_dir().join("private").join(&files[0]);
    let docker_pub = std::fs::read(&pub_file).unwrap();
    let pub_key = trustctl::crypto::PublicKey::from_spki_pem(&docker_pub).unwrap();
    assert_eq!(pub_key.key_id().as_str(), docker_id);

    // Docker encrypts signer keys with its repository passphrase; with only docker's variable
    // set trustctl reads it (delegation keys fall back to it) and stores the key under it.
    let t = Trustctl::new(&dir, "t")
        .env_remove("TRUSTCTL_DELEGATION_PASSPHRASE")
        .env(
            "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
            pass::DOCKER_REPOSITORY,
        );
    let out = t.run(&["key", "load", docker_key.to_str().unwrap(), "--name", "bob"]);
    out.assert_success()
        .assert_stdout_contains(&format!("Loading key from \"{}\"...", docker_key.display()))
        .assert_stdout_contains("Successfully imported key from");
    assert_eq!(key_files(t.trust_dir()), vec![format!("{docker_id}.key")]);

    // With trustctl's own variables: source passphrase from TRUSTCTL_IMPORT_PASSPHRASE,
    // re-encrypted under TRUSTCTL_DELEGATION_PASSPHRASE (checked by decrypting with OpenSSL).
    let t2 = Trustctl::new(&dir, "t2").env("TRUSTCTL_IMPORT_PASSPHRASE", pass::DOCKER_REPOSITORY);
    let out = t2.run(&[
        "key",
        "load",
        docker_key.to_str().unwrap(),
        "--name",
        "bob",
        "--json",
    ]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], docker_id.as_str());
    let stored = t2
        .trust_dir()
        .join("private")
        .join(format!("{docker_id}.key"));
    let pem = std::fs::read_to_string(&stored).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: bob\n\n"));
    if require_peer("openssl").is_some() {
        let arg = format!("pass:{}", pass::DELEGATION);
        let plain = openssl(
            &["pkcs8", "-passin", &arg],
            without_headers(&pem).as_bytes(),
        );
        let spki = openssl(&["pkey", "-pubout", "-outform", "DER"], &plain);
        assert_eq!(spki, pub_key.public_bytes());
    }
}

/// Every key file notary 0.7 / docker 28 wrote (fixtures/samples/keys, passphrases from its
/// README) loads, and the computed ID equals the file name; ECDSA, ed25519 and RSA alike.
#[test]
fn real_notary_and_docker_key_files_load_with_their_ids() {
    let dir = TestDir::new("keys-samples");
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
        (
            "31790dbdd14816d3a0d72d3d229617aa9b11f5a4a157b211372558449748eb59.key",
            pass::TARGETS,
        ),
        (
            "65f190b80bedd4ffedb67a2c94eab919c9d0b0d9477f7798bea72ca88fad5d8d.key",
            pass::DELEGATION,
        ),
    ] {
        let t = Trustctl::new(&dir, &file[..8]).env("TRUSTCTL_IMPORT_PASSPHRASE", passphrase);
        let out = t.run(&["key", "load", sample(file).to_str().unwrap(), "--json"]);
        out.assert_success();
        assert_eq!(
            out.json()["key_id"],
            file.trim_end_matches(".key"),
            "{file}"
        );
        assert_eq!(key_files(t.trust_dir()), vec![file.to_string()]);
    }
    // Unencrypted notary-format ed25519 and notary's `key generate` output.
    let t = Trustctl::new(&dir, "plain").env("TRUSTCTL_IMPORT_PASSPHRASE", pass::DELEGATION);
    for file in [
        "ed25519-unencrypted-notary-format.pem",
        "notary-key-generate-ecout-key.pem",
    ] {
        t.run(&["key", "load", sample(file).to_str().unwrap()])
            .assert_success();
    }
    let ecout = std::fs::read(sample("notary-key-generate-ecout.pem")).unwrap();
    let ecout_id = trustctl::crypto::PublicKey::from_spki_pem(&ecout)
        .unwrap()
        .key_id();
    assert!(key_files(t.trust_dir()).contains(&format!("{ecout_id}.key")));
}

/// OpenSSL 3's default PKCS#8 (PBKDF2 with hmacWithSHA256, which notary cannot read) loads:
/// the PRF is honoured. Stored re-encrypted the notary way (no PRF = SHA-1).
#[test]
fn openssl_default_pkcs8_loads() {
    if require_peer("openssl").is_none() {
        return;
    }
    let dir = TestDir::new("keys-openssl");
    let plain = openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ],
        b"",
    );
    let enc = openssl(&["pkcs8", "-topk8", "-passout", "pass:opensslpw"], &plain);
    let file = dir.write("openssl.pem", &enc);
    let spki = openssl(&["pkey", "-pubout", "-outform", "DER"], &plain);
    let id = trustctl::crypto::PublicKey::new(trustctl::crypto::KeyType::Ecdsa, spki).key_id();
    let t = Trustctl::new(&dir, "t").env("TRUSTCTL_IMPORT_PASSPHRASE", "opensslpw");
    let out = t.run(&["key", "load", file.to_str().unwrap(), "--json"]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], id.as_str());
    assert_eq!(out.json()["name"], "signer");
    let stored = std::fs::read_to_string(t.trust_dir().join(format!("private/{id}.key"))).unwrap();
    assert!(stored.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: signer\n\n"));
}

#[test]
fn bad_key_input_exits_1_with_one_line_and_changes_nothing() {
    let dir = TestDir::new("keys-bad");
    let corrupt = dir.write(
        "corrupt.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let not_pem = dir.write("junk.txt", "hello");
    let mut cases: Vec<(&str, PathBuf, &str, &str)> = vec![
        (
            "wrong passphrase",
            sample("6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key"),
            "not-the-passphrase",
            "wrong passphrase for encrypted key in",
        ),
        (
            "corrupt PEM",
            corrupt,
            "x",
            "malformed private key file: PrivateKeyInfo",
        ),
        (
            "not PEM",
            not_pem,
            "x",
            "malformed private key file: no PEM block",
        ),
        (
            "public key instead of a private key",
            sample("alice.pub"),
            "x",
            "not a private key",
        ),
        ("missing file", dir.join("nope.pem"), "x", "reading"),
    ];
    let p384;
    if require_peer("openssl").is_some() {
        let key = openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
            b"",
        );
        p384 = dir.write("p384.pem", &key);
        cases.push((
            "unsupported key type (P-384)",
            p384.clone(),
            "x",
            "unsupported key type \"ecdsa on curve 1.3.132.0.34 (only P-256)\"",
        ));
    }
    // A trust dir that already holds a key: it must come out byte-for-byte unchanged.
    let t = Trustctl::new(&dir, "t");
    t.run(&[
        "key",
        "generate",
        "existing",
        "--dir",
        dir.path().to_str().unwrap(),
    ])
    .assert_success();
    let before = snapshot(t.trust_dir());
    assert_eq!(before.len(), 2);
    for (what, file, passphrase, needle) in cases {
        let t = t.clone().env("TRUSTCTL_IMPORT_PASSPHRASE", passphrase);
        let out = t.run(&["key", "load", file.to_str().unwrap()]);
        out.assert_exit(1).assert_stderr_contains(needle);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "{what}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(file.to_str().unwrap()),
            "{what}: names the file"
        );
        assert!(!out.stderr.contains(passphrase) || passphrase == "x");
        assert_eq!(snapshot(t.trust_dir()), before, "{what}: trust dir changed");
    }
}

/// A wrong passphrase from a variable is tried once and the error names key, file and variable.
#[test]
fn wrong_env_passphrase_for_a_stored_key_names_key_file_and_variable() {
    let dir = TestDir::new("keys-wrong-env");
    let t = Trustctl::new(&dir, "t");
    let out = t.run(&[
        "key",
        "generate",
        "carol",
        "--dir",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    out.assert_success();
    let id = out.json()["key_id"].as_str().unwrap().to_string();
    let before = snapshot(t.trust_dir());
    let bad = t
        .clone()
        .env("TRUSTCTL_DELEGATION_PASSPHRASE", "not-the-one");
    let target = dir.join("carol-export.pem");
    let out = bad.run(&["key", "export", &id, "--out", target.to_str().unwrap()]);
    out.assert_exit(1).assert_stderr_contains(&format!(
        "wrong passphrase for key {id} in {}",
        t.trust_dir().join(format!("private/{id}.key")).display()
    ));
    out.assert_stderr_contains("(passphrase from $TRUSTCTL_DELEGATION_PASSPHRASE)");
    assert!(!out.stderr.contains("not-the-one"));
    assert!(!target.exists());
    assert_eq!(snapshot(t.trust_dir()), before);
}

#[test]
fn generate_refuses_bad_names_existing_pub_files_and_missing_passphrases() {
    let dir = TestDir::new("keys-names");
    let t = Trustctl::new(&dir, "t");
    let d = dir.mkdir("pub");
    t.run(&["key", "generate", "Bad", "--dir", d.to_str().unwrap()])
        .assert_exit(2)
        .assert_stderr_contains("key name \"Bad\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character");
    dir.write("pub/carol.pub", "x");
    t.run(&["key", "generate", "carol", "--dir", d.to_str().unwrap()])
        .assert_exit(2)
        .assert_stderr_contains(&format!(
            "public key file already exists: \"{}\"",
            d.join("carol.pub").display()
        ));
    assert_eq!(std::fs::read_to_string(d.join("carol.pub")).unwrap(), "x");
    assert!(!t.trust_dir().exists());
    // A --dir that does not exist: exit 1 naming it, no private key left behind.
    t.run(&[
        "key",
        "generate",
        "erin",
        "--dir",
        dir.join("nope").to_str().unwrap(),
    ])
    .assert_exit(1)
    .assert_stderr_contains("nope");
    assert!(key_files(t.trust_dir()).is_empty());
    // No passphrase source and no terminal: a clear error naming the variable, nothing written.
    let t2 = Trustctl::new(&dir, "t2").env_remove("TRUSTCTL_DELEGATION_PASSPHRASE");
    t2.run(&["key", "generate", "dave", "--dir", d.to_str().unwrap()])
        .assert_exit(1)
        .assert_stderr_contains("set TRUSTCTL_DELEGATION_PASSPHRASE");
    assert!(!t2.trust_dir().exists());
    assert!(!d.join("dave.pub").exists());
}

#[test]
fn list_shows_role_and_repository_of_each_key() {
    let dir = TestDir::new("keys-list");
    let t = Trustctl::new(&dir, "t").env("TRUSTCTL_IMPORT_PASSPHRASE", pass::DOCKER_REPOSITORY);
    let empty = t.run(&["key", "list", "--json"]);
    empty.assert_success();
    assert_eq!(empty.json(), serde_json::json!([]));
    // A docker targets key copied in as is (gun + role headers) and a loaded signer key.
    let private = dir.mkdir("t/private");
    let targets = "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key";
    std::fs::copy(sample(targets), private.join(targets)).unwrap();
    let alice = "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key";
    t.run(&[
        "key",
        "load",
        sample(alice).to_str().unwrap(),
        "--name",
        "alice",
    ])
    .assert_success();
    let rows = t.run(&["key", "list", "--json"]);
    rows.assert_success();
    assert_eq!(
        rows.json(),
        serde_json::json!([
            {"key_id": "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9",
             "role": "targets", "repository": "localhost:5000/wire/sample2",
             "file": private.join(targets).to_str().unwrap()},
            {"key_id": "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c",
             "role": "alice", "repository": null,
             "file": private.join(alice).to_str().unwrap()},
        ])
    );
    let table = t.run(&["key", "list"]);
    table.assert_success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("ID "));
    assert!(lines[1].starts_with("427180ee") && lines[1].contains("localhost:5000/wire/sample2"));
    assert!(lines[2].starts_with("6b420ce8") && lines[2].contains(" alice "));
}

/// notary 0.7 imports a trustctl key (exported unencrypted, as notary re-encrypts on import)
/// under the same ID, and notary's re-encrypted file loads back into trustctl.
#[test]
fn notary_key_import_round_trip() {
    if require_peer("notary").is_none() {
        return;
    }
    let dir = TestDir::new("keys-notary");
    let t = Trustctl::new(&dir, "t");
    let out = t.run(&[
        "key",
        "generate",
        "alice",
        "--dir",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    out.assert_success();
    let id = out.json()["key_id"].as_str().unwrap().to_string();
    let exported = dir.join("alice.pem");
    t.run(&["key", "export", &id, "--out", exported.to_str().unwrap()])
        .assert_success();
    let notary_dir = dir.join("notary");
    let mut env = crate::util::Env::default();
    env.set("HOME", dir.path());
    env.set("NOTARY_DELEGATION_PASSPHRASE", pass::DELEGATION);
    let mut cmd = env.command("notary");
    cmd.arg("-d")
        .arg(&notary_dir)
        .args(["key", "import"])
        .arg(&exported)
        .args(["--role", "targets/alice"]);
    let out = crate::util::run_command(&mut cmd, None, crate::util::DEFAULT_CMD_TIMEOUT);
    out.assert_success();
    assert_eq!(key_files(&notary_dir), vec![format!("{id}.key")]);
    let notary_file = notary_dir.join("private").join(format!("{id}.key"));
    assert!(std::fs::read_to_string(&notary_file)
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets/alice\n\n"));
    let t2 = Trustctl::new(&dir, "t2");
    let out = t2.run(&["key", "load", notary_file.to_str().unwrap(), "--json"]);
    out.assert_success();
    assert_eq!(out.json()["key_id"], id.as_str());
}
