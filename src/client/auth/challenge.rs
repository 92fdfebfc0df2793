//! `WWW-Authenticate` challenges (RFC 7235) as registries and trust servers send them:
//! `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`.

use std::collections::BTreeMap;

/// One authentication challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lowercased scheme: `basic` or `bearer` (others are kept but not answered).
    pub scheme: String,
    /// Parameters with lowercased names.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn is_basic(&self) -> bool {
        self.scheme == "basic"
    }

    pub fn is_bearer(&self) -> bool {
        self.scheme == "bearer"
    }
}

/// Every challenge in the given header values, in order. Malformed parts end the parse of
/// that value; what was read before them is kept.
pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for value in values {
        parse_one(value, &mut out);
    }
    out
}

fn parse_one(value: &str, out: &mut Vec<Challenge>) {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    loop {
        p.skip_separators();
        let Some(scheme) = p.token() else { return };
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        };
        // auth-params: name=value pairs separated by commas, until the next scheme.
        loop {
            p.skip_separators();
            let mark = p.i;
            let Some(name) = p.token() else { break };
            p.skip_ws();
            if !p.eat(b'=') {
                // A bare token: the next challenge's scheme.
                p.i = mark;
                break;
            }
            p.skip_ws();
            let value = if p.peek() == Some(b'"') {
                match p.quoted() {
                    Some(v) => v,
                    None => {
                        out.push(challenge);
                        return;
                    }
                }
            } else {
                p.token().unwrap_or_default()
            };
            challenge.params.insert(name.to_ascii_lowercase(), value);
        }
        out.push(challenge);
        if p.i >= p.s.len() {
            return;
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    /// An RFC 7230 token (plus `/` and `=`-free token68 characters).
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/:".contains(&b) {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A quoted string with `\` escapes; `None` when unterminated.
    fn quoted(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let escaped = self.peek()?;
                    self.i += 1;
                    out.push(escaped);
                }
                _ => out.push(b),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_challenges() {
        let c = parse([
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        ]);
        assert_eq!(c.len(), 1);
        assert!(c[0].is_bearer());
        assert_eq!(c[0].param("realm"), Some("https://auth.example/token"));
        assert_eq!(c[0].param("service"), Some("registry.example"));
        assert_eq!(c[0].param("scope"), Some("repository:a/b:pull,push"));

        let c = parse([r#"Basic realm="trustctl""#, "basic Realm=x"]);
        assert_eq!(c.len(), 2);
        assert!(c[0].is_basic() && c[1].is_basic());
        assert_eq!(c[1].param("realm"), Some("x"));
    }

    #[test]
    fn several_in_one_value_escapes_and_garbage() {
        let c =
            parse([r#"Newauth realm="apps", type=1, title="Login \"x\"", Basic realm="simple""#]);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].scheme, "newauth");
        assert_eq!(c[0].param("title"), Some("Login \"x\""));
        assert_eq!(c[0].param("type"), Some("1"));
        assert!(c[1].is_basic());
        assert_eq!(c[1].param("realm"), Some("simple"));

        assert!(parse([""]).is_empty());
        let c = parse([r#"Bearer realm="unterminated"#]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("realm"), None);
        let c = parse(["Bearer"]);
        assert!(c[0].is_bearer() && c[0].params.is_empty());
    }
}
