//! PEM blocks as Go's `encoding/pem` writes them, with the headers notary puts in key files
//! (`gun:`, `role:`; notary-v1.md §7.2).
//!
//! Owns: parsing the first PEM block of a file (label, headers, body) and encoding one block
//! byte-compatible with Go (`Proc-Type` first, other headers sorted, a blank line after the
//! headers, base64 at 64 columns). Bodies are kept in `Zeroizing` buffers because they hold
//! private keys. Must not: interpret the body (see `pkcs8.rs`) or touch the file system.

use std::collections::BTreeMap;

use base64::Engine;
use zeroize::Zeroizing;

use super::Error;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// One PEM block: its label (`ENCRYPTED PRIVATE KEY`), its headers and its decoded body.
pub struct PemBlock {
    pub label: String,
    pub headers: BTreeMap<String, String>,
    pub body: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl PemBlock {
    pub fn new(label: &str, body: &[u8]) -> PemBlock {
        PemBlock {
            label: label.to_string(),
            headers: BTreeMap::new(),
            body: Zeroizing::new(body.to_vec()),
        }
    }

    /// Add a header (builder style).
    pub fn header(mut self, key: &str, value: &str) -> PemBlock {
        self.headers.insert(key.to_string(), value.to_string());
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers.get(key).map(String::as_str)
    }

    /// The block as Go's `pem.EncodeToMemory` writes it.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(format!("-----BEGIN {}-----\n", self.label));
        if let Some(v) = self.headers.get("Proc-Type") {
            out.push_str(&format!("Proc-Type: {v}\n"));
        }
        for (k, v) in self.headers.iter().filter(|(k, _)| *k != "Proc-Type") {
            out.push_str(&format!("{k}: {v}\n"));
        }
        if !self.headers.is_empty() {
            out.push('\n');
        }
        let b64 = Zeroizing::new(B64.encode(&*self.body));
        for chunk in b64.as_bytes().chunks(64) {
            // base64 output is ASCII, so every chunk is valid UTF-8.
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str(&format!("-----END {}-----\n", self.label));
        out
    }

    /// Parse the first PEM block in `text` (text before it is skipped, as Go does).
    pub fn parse(text: &[u8]) -> Result<PemBlock, Error> {
        let text = std::str::from_utf8(text).map_err(|_| malformed("file is not text"))?;
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let label = lines
            .by_ref()
            .find_map(|l| {
                l.strip_prefix("-----BEGIN ")
                    .and_then(|r| r.strip_suffix("-----"))
            })
            .ok_or(malformed("no PEM block"))?
            .to_string();
        let end = format!("-----END {label}-----");
        let mut headers = BTreeMap::new();
        let mut b64 = Zeroizing::new(String::new());
        let mut in_headers = true;
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            if in_headers {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_string(), v.trim().to_string());
                    continue;
                }
                in_headers = false;
            }
            b64.push_str(line.trim());
        }
        if !ended {
            return Err(malformed("PEM block has no END line"));
        }
        let body = Zeroizing::new(
            B64.decode(b64.as_bytes())
                .map_err(|_| malformed("PEM body is not base64"))?,
        );
        if body.is_empty() {
            return Err(malformed("PEM block is empty"));
        }
        Ok(PemBlock {
            label,
            headers,
            body,
        })
    }
}

fn malformed(what: &'static str) -> Error {
    Error::Malformed { what }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/samples/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// Every sample file written by notary/docker re-encodes to the same bytes.
    #[test]
    fn sample_key_files_round_trip_byte_exact() {
        let dir = format!("{}/fixtures/samples/keys", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            let bytes = sample(&name);
            let block = PemBlock::parse(&bytes).unwrap();
            assert_eq!(block.encode().as_bytes(), &bytes[..], "{name}");
            n += 1;
        }
        assert!(n >= 8);
    }

    #[test]
    fn headers_in_go_order() {
        let bytes = sample("427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key");
        let block = PemBlock::parse(&bytes).unwrap();
        assert_eq!(block.label, "ENCRYPTED PRIVATE KEY");
        assert_eq!(block.get("gun"), Some("localhost:5000/wire/sample2"));
        assert_eq!(block.get("role"), Some("targets"));
        let again = PemBlock::new("X", b"abc")
            .header("role", "r")
            .header("gun", "g")
            .header("Proc-Type", "4,ENCRYPTED");
        assert_eq!(
            &*again.encode(),
            "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\ngun: g\nrole: r\n\nYWJj\n-----END X-----\n"
        );
        assert_eq!(
            &*PemBlock::new("X", b"abc").encode(),
            "-----BEGIN X-----\nYWJj\n-----END X-----\n"
        );
    }

    #[test]
    fn corrupt_input_names_the_problem() {
        let cases: [(&[u8], &str); 5] = [
            (b"hello", "no PEM block"),
            (b"-----BEGIN X-----\nYWJj\n", "PEM block has no END line"),
            (
                b"-----BEGIN X-----\n!!!\n-----END X-----\n",
                "PEM body is not base64",
            ),
            (
                b"-----BEGIN X-----\n-----END X-----\n",
                "PEM block is empty",
            ),
            (b"\xff\xfe", "file is not text"),
        ];
        for (input, what) in cases {
            assert_eq!(
                PemBlock::parse(input).unwrap_err(),
                Error::Malformed { what },
                "{input:?}"
            );
        }
    }
}
