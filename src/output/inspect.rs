//! stdout of `inspect`: docker-exact `docker trust inspect` JSON (4-space indent, Go HTML
//! escaping) and the `--pretty` tables, from a plain model.
#![allow(clippy::print_stdout)] // this module is where `inspect` writes stdout

use std::io::Write;

use serde::Serialize;

fn out(text: &str) -> std::io::Result<()> {
    let mut so = std::io::stdout().lock();
    so.write_all(text.as_bytes())?;
    so.flush()
}

/// One repository as `docker trust inspect` prints it; `cli::inspect` builds this model from
/// verified data. Field names and order are docker's.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectRepo {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "SignedTags")]
    pub signed_tags: Vec<InspectTag>,
    #[serde(rename = "Signers")]
    pub signers: Vec<InspectRole>,
    #[serde(rename = "AdministrativeKeys")]
    pub administrative_keys: Vec<InspectRole>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectTag {
    #[serde(rename = "SignedTag")]
    pub signed_tag: String,
    #[serde(rename = "Digest")]
    pub digest: String,
    #[serde(rename = "Signers")]
    pub signers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectRole {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Keys")]
    pub keys: Vec<InspectKey>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectKey {
    #[serde(rename = "ID")]
    pub id: String,
}

/// docker's JSON: 4-space indent, Go HTML escaping, trailing newline.
pub fn inspect_json_bytes(repos: &[InspectRepo]) -> Vec<u8> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Plain strings and vectors into a Vec: cannot fail.
    let _ = repos.serialize(&mut ser);
    let mut out = crate::tuf::canonical::go_html_escape(&buf);
    out.push(b'\n');
    out
}

/// Go tabwriter with minwidth 10, padding 3, space fill; last column unpadded.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count() + 3)
                .max()
                .unwrap_or(0)
                .max(10)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < r.len() {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// docker's `--pretty` layout for one repository.
pub fn inspect_pretty_text(repo: &InspectRepo) -> String {
    let name = &repo.name;
    let mut out = String::new();
    if repo.signed_tags.is_empty() {
        out.push_str(&format!("\nNo signatures for {name}\n\n"));
    } else {
        out.push_str(&format!("\nSignatures for {name}\n\n"));
        let mut rows = vec![vec!["SIGNED TAG".into(), "DIGEST".into(), "SIGNERS".into()]];
        let mut tags = repo.signed_tags.clone();
        tags.sort_by(|a, b| natord::compare(&a.signed_tag, &b.signed_tag));
        for t in tags {
            let mut s = t.signers.clone();
            let signers = if s == [super::super::client::released::REPO_ADMIN] {
                "(Repo Admin)".to_string()
            } else {
                s.sort();
                s.join(", ")
            };
            rows.push(vec![t.signed_tag.clone(), t.digest.clone(), signers]);
        }
        out.push_str(&table(&rows));
    }
    if !repo.signers.is_empty() {
        out.push_str(&format!("\nList of signers and their keys for {name}\n\n"));
        let mut rows = vec![vec!["SIGNER".into(), "KEYS".into()]];
        let mut signers = repo.signers.clone();
        signers.sort_by(|a, b| natord::compare(&a.name, &b.name));
        for s in signers {
            let mut keys: Vec<String> = s
                .keys
                .iter()
                .map(|k| k.id.chars().take(12).collect())
                .collect();
            keys.sort();
            rows.push(vec![s.name.clone(), keys.join(", ")]);
        }
        out.push_str(&table(&rows));
    }
    out.push_str(&format!("\nAdministrative keys for {name}\n\n"));
    let admin = |n: &str| {
        let mut ids: Vec<String> = repo
            .administrative_keys
            .iter()
            .filter(|r| r.name == n)
            .flat_map(|r| r.keys.iter().map(|k| k.id.clone()))
            .collect();
        ids.sort();
        ids.join(", ")
    };
    out.push_str(&format!("  Repository Key:\t{}\n", admin("Repository")));
    out.push_str(&format!("  Root Key:\t{}\n", admin("Root")));
    out
}

/// Print inspect output: JSON array, or pretty sections separated by a blank pair.
pub fn inspect(repos: &[InspectRepo], pretty: bool) -> std::io::Result<()> {
    if pretty {
        let parts: Vec<String> = repos.iter().map(inspect_pretty_text).collect();
        out(&parts.join("\n\n"))
    } else {
        let mut so = std::io::stdout().lock();
        so.write_all(&inspect_json_bytes(repos))?;
        so.flush()
    }
}
