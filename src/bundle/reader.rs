//! Streaming reader for bundle files: one line at a time, bounded memory.

use std::io::BufRead;

use serde::Deserialize;

use super::model::{Entry, Footer, Header, Line, Named, Scheme, Seal};
use super::BundleError;
use crate::lines::{CappedLines, FileError};
use crate::model::{Chain, Network};

/// Longest line accepted. An entry with a 15-of-15 multisig script and its signatures is a few
/// KiB; anything far larger is not a bundle line and must not be buffered without bound.
pub const MAX_LINE_LEN: usize = 256 * 1024;

/// One raw line as read from the file.
#[derive(Debug)]
pub struct RawLine {
    /// 1-based line number in the file.
    pub number: u64,
    /// The line's bytes without the trailing `\n`.
    pub text: String,
    /// False for a last line that does not end in `\n`: it was cut off while being written.
    pub complete: bool,
}

/// Reads lines with a length cap, telling complete lines from a cut-off last line.
pub struct LineReader<R> {
    lines: CappedLines<R>,
    buf: Vec<u8>,
}

impl LineReader<std::io::BufReader<std::fs::File>> {
    /// Opens the bundle file at `path` for reading.
    pub fn open(path: &std::path::Path) -> Result<Self, BundleError> {
        let file = crate::lines::open_for_reading(path)?;
        Ok(LineReader::new(std::io::BufReader::new(file)))
    }
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            lines: CappedLines::new(inner, MAX_LINE_LEN),
            buf: Vec::new(),
        }
    }

    /// The next line, `Ok(None)` at end of file.
    pub fn next_line(&mut self) -> Result<Option<RawLine>, BundleError> {
        self.buf.clear();
        match self.lines.read_into(&mut self.buf)? {
            Some((line, complete)) => self.finish(line, complete).map(Some),
            None => Ok(None),
        }
    }

    fn finish(&mut self, line: u64, complete: bool) -> Result<RawLine, BundleError> {
        let text = String::from_utf8(std::mem::take(&mut self.buf))
            .map_err(|_| FileError::NotUtf8 { line })?;
        Ok(RawLine {
            number: line,
            text,
            complete,
        })
    }
}

/// Every field any bundle line may carry, parsed in one pass straight from the line's text.
///
/// Not through an untyped map: a map keeps one value of a repeated key, while another JSON
/// reader (or a person) may see the other, so a repeated key is refused (serde's derive reports
/// `duplicate field`). `null` is refused too: the schema allows no null anywhere, and a reader
/// that took `null` for "absent" would accept a field the scheme forbids. Which fields a line
/// may carry depends on its `type` and is checked after parsing, in [`decode_line`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFields {
    #[serde(rename = "type")]
    kind: LineKind,
    #[serde(default, deserialize_with = "present")]
    format: Option<String>,
    #[serde(default, deserialize_with = "present")]
    version: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    challenge: Option<String>,
    #[serde(default, deserialize_with = "present")]
    challenge_sha256: Option<String>,
    #[serde(default, deserialize_with = "present")]
    custodian: Option<String>,
    #[serde(default, deserialize_with = "present")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "present")]
    tool: Option<String>,
    #[serde(default, deserialize_with = "present")]
    index: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    chain: Option<Chain>,
    #[serde(default, deserialize_with = "present")]
    network: Option<Named<Network>>,
    #[serde(default, deserialize_with = "present")]
    address: Option<String>,
    #[serde(default, deserialize_with = "present")]
    scheme: Option<Named<Scheme>>,
    #[serde(default, deserialize_with = "present")]
    signatures: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pubkey: Option<String>,
    #[serde(default, deserialize_with = "present")]
    script: Option<String>,
    #[serde(default, deserialize_with = "present")]
    descriptor: Option<String>,
    #[serde(default, deserialize_with = "present")]
    path: Option<String>,
    #[serde(default, deserialize_with = "present")]
    fingerprint: Option<String>,
    #[serde(default, deserialize_with = "present")]
    amount: Option<String>,
    #[serde(default, deserialize_with = "present")]
    entries: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    sha256: Option<String>,
    #[serde(default, deserialize_with = "present")]
    batch: Option<String>,
    #[serde(default, deserialize_with = "present")]
    input: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    text: Option<String>,
    #[serde(default, deserialize_with = "present")]
    signature: Option<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum LineKind {
    Header,
    Entry,
    Footer,
    Seal,
}

/// A field that is present must hold a value of its type: `null` is an error, not "absent"
/// (absence is handled by `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl LineKind {
    fn as_str(self) -> &'static str {
        match self {
            LineKind::Header => "header",
            LineKind::Entry => "entry",
            LineKind::Footer => "footer",
            LineKind::Seal => "seal",
        }
    }

    /// The fields a line of this type may carry (besides `type`).
    fn fields(self) -> &'static [&'static str] {
        match self {
            LineKind::Header => &[
                "format",
                "version",
                "challenge",
                "challenge_sha256",
                "custodian",
                "created_at",
                "tool",
            ],
            LineKind::Entry => &[
                "index",
                "chain",
                "network",
                "address",
                "scheme",
                "signatures",
                "pubkey",
                "script",
                "descriptor",
                "path",
                "fingerprint",
                "amount",
                "batch",
                "input",
            ],
            LineKind::Footer => &["entries", "sha256"],
            LineKind::Seal => &[
                "text",
                "chain",
                "network",
                "address",
                "path",
                "scheme",
                "signature",
            ],
        }
    }
}

impl LineFields {
    /// The names of the fields the line carries, in declaration order.
    fn present(&self) -> impl Iterator<Item = &'static str> {
        [
            ("format", self.format.is_some()),
            ("version", self.version.is_some()),
            ("challenge", self.challenge.is_some()),
            ("challenge_sha256", self.challenge_sha256.is_some()),
            ("custodian", self.custodian.is_some()),
            ("created_at", self.created_at.is_some()),
            ("tool", self.tool.is_some()),
            ("index", self.index.is_some()),
            ("chain", self.chain.is_some()),
            ("network", self.network.is_some()),
            ("address", self.address.is_some()),
            ("scheme", self.scheme.is_some()),
            ("signatures", self.signatures.is_some()),
            ("pubkey", self.pubkey.is_some()),
            ("script", self.script.is_some()),
            ("descriptor", self.descriptor.is_some()),
            ("path", self.path.is_some()),
            ("fingerprint", self.fingerprint.is_some()),
            ("amount", self.amount.is_some()),
            ("entries", self.entries.is_some()),
            ("sha256", self.sha256.is_some()),
            ("batch", self.batch.is_some()),
            ("input", self.input.is_some()),
            ("text", self.text.is_some()),
            ("signature", self.signature.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
    }
}

/// Parses one line into its typed form, naming the line and field on error.
pub fn decode_line(number: u64, text: &str) -> Result<Line, BundleError> {
    let mut json = serde_json::Deserializer::from_str(text);
    let f: LineFields =
        serde_path_to_error::deserialize(&mut json).map_err(|e| json_error(number, &e))?;
    json.end().map_err(|e| BundleError::Json {
        line: number,
        reason: e.to_string(),
    })?;
    if let Some(foreign) = f.present().find(|name| !f.kind.fields().contains(name)) {
        return Err(field_error(
            number,
            foreign,
            &format!("is not a field of a {} line", f.kind.as_str()),
        ));
    }
    let required = |field: &str| field_error(number, field, "is missing");
    Ok(match f.kind {
        LineKind::Header => Line::Header(Header {
            format: f.format.ok_or_else(|| required("format"))?,
            version: f.version.ok_or_else(|| required("version"))?,
            challenge: f.challenge.ok_or_else(|| required("challenge"))?,
            challenge_sha256: f
                .challenge_sha256
                .ok_or_else(|| required("challenge_sha256"))?,
            custodian: f.custodian.ok_or_else(|| required("custodian"))?,
            created_at: f.created_at.ok_or_else(|| required("created_at"))?,
            tool: f.tool.ok_or_else(|| required("tool"))?,
        }),
        LineKind::Entry => Line::Entry(Entry {
            index: f.index.ok_or_else(|| required("index"))?,
            chain: f.chain.ok_or_else(|| required("chain"))?,
            network: f.network.ok_or_else(|| required("network"))?,
            address: f.address.ok_or_else(|| required("address"))?,
            scheme: f.scheme.ok_or_else(|| required("scheme"))?,
            signatures: f.signatures.ok_or_else(|| required("signatures"))?,
            pubkey: f.pubkey,
            script: f.script,
            descriptor: f.descriptor,
            path: f.path,
            fingerprint: f.fingerprint,
            amount: f.amount,
            batch: f.batch,
            input: f.input,
        }),
        LineKind::Footer => Line::Footer(Footer {
            entries: f.entries.ok_or_else(|| required("entries"))?,
            sha256: f.sha256.ok_or_else(|| required("sha256"))?,
        }),
        LineKind::Seal => Line::Seal(Seal {
            text: f.text.ok_or_else(|| required("text"))?,
            chain: f.chain.ok_or_else(|| required("chain"))?,
            network: f.network.ok_or_else(|| required("network"))?,
            address: f.address.ok_or_else(|| required("address"))?,
            path: f.path,
            scheme: f.scheme.ok_or_else(|| required("scheme"))?,
            signature: f.signature.ok_or_else(|| required("signature"))?,
        }),
    })
}

/// Turns a parse error into one that names the field: the path serde tracked, or for a
/// repeated or unknown key the key itself (serde names it in backticks).
fn json_error(line: u64, e: &serde_path_to_error::Error<serde_json::Error>) -> BundleError {
    let inner = e.inner();
    let message = inner.to_string();
    if inner.is_syntax() || inner.is_eof() {
        return BundleError::Json {
            line,
            reason: message,
        };
    }
    // serde_json appends " at line 1 column N"; the column is useful, the line is always 1.
    let reason = match message.rsplit_once(" at line 1 column ") {
        Some((what, column)) => format!("{what} (column {column})"),
        None => message.clone(),
    };
    let path = e.path().to_string();
    let named = serde_field_name(&message);
    let (field, reason) = if message.starts_with("duplicate field") {
        let field = named.unwrap_or(path);
        (
            field,
            format!(
                "{reason}: a repeated key is refused (JSON readers disagree on which value counts)"
            ),
        )
    } else if message.starts_with("invalid type: null") {
        (
            path,
            format!("{reason}: null is not allowed; leave the field out instead"),
        )
    } else if message.starts_with("unknown field") || message.starts_with("missing field") {
        (named.unwrap_or(path), reason)
    } else if message.starts_with("unknown variant") && path == "." {
        ("type".to_owned(), reason)
    } else if path == "." {
        ("(line)".to_owned(), reason)
    } else {
        (path, reason)
    };
    BundleError::Field {
        line,
        field,
        reason,
    }
}
fn field_error(line: u64, field: &str, reason: &str) -> BundleError {
    BundleError::Field {
        line,
        field: field.into(),
        reason: reason.into(),
    }
}

/// serde names the offending key inside backticks (`unknown field `x``, `duplicate field
/// `y``); pull it out so the error can name the field on its own.
fn serde_field_name(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let rest = message.get(start..)?;
    let end = rest.find('`')?;
    rest.get(..end).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_flags_a_cut_off_last_line() {
        let data = b"{\"a\":1}\n{\"b\":2}\n{\"c\":";
        let mut r = LineReader::new(&data[..]);
        let l1 = r.next_line().unwrap().unwrap();
        assert_eq!(
            (l1.number, l1.text.as_str(), l1.complete),
            (1, "{\"a\":1}", true)
        );
        let l2 = r.next_line().unwrap().unwrap();
        assert!(l2.complete);
        let l3 = r.next_line().unwrap().unwrap();
        assert_eq!(
            (l3.number, l3.text.as_str(), l3.complete),
            (3, "{\"c\":", false)
        );
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn caps_line_length() {
        let data = vec![b'x'; MAX_LINE_LEN + 10];
        let mut r = LineReader::new(&data[..]);
        assert!(matches!(
            r.next_line(),
            Err(BundleError::File(FileError::LineTooLong { line: 1, .. }))
        ));
    }

    #[test]
    fn names_unknown_and_missing_fields() {
        let err =
            decode_line(4, r#"{"type":"footer","entries":1,"sha256":"00","x":1}"#).unwrap_err();
        assert!(
            matches!(&err, BundleError::Field { line: 4, field, .. } if field == "x"),
            "{err:?}"
        );
        let err = decode_line(5, r#"{"type":"footer","entries":1}"#).unwrap_err();
        assert!(
            matches!(&err, BundleError::Field { line: 5, field, .. } if field == "sha256"),
            "{err:?}"
        );
        let err = decode_line(6, r#"{"type":"nope"}"#).unwrap_err();
        assert!(matches!(&err, BundleError::Field { field, .. } if field == "type"));
    }

    fn field_of(err: &BundleError) -> Option<(u64, &str)> {
        match err {
            BundleError::Field { line, field, .. } => Some((*line, field.as_str())),
            _ => None,
        }
    }

    const ENTRY: &str = r#"{"type":"entry","index":0,"chain":"bitcoin","network":"mainnet","address":"bc1qexample","scheme":"bip137","signatures":["x"]}"#;

    #[test]
    fn a_repeated_key_is_refused_and_named() {
        assert!(decode_line(2, ENTRY).is_ok());
        for key in ["address", "scheme", "index", "type", "amount", "signatures"] {
            let value = match key {
                "index" => "1",
                "signatures" => r#"["y"]"#,
                "type" => r#""entry""#,
                _ => r#""other""#,
            };
            let line = ENTRY.replacen('{', &format!("{{\"{key}\":{value},"), 1);
            let line = if key == "amount" {
                line.replacen('{', r#"{"amount":"1","#, 1)
            } else {
                line
            };
            let err = decode_line(2, &line).unwrap_err();
            assert_eq!(field_of(&err), Some((2, key)), "{key}: {err}");
            assert!(err.to_string().contains("repeated"), "{err}");
        }
        let header = r#"{"type":"header","format":"porsign-bundle","version":1,"challenge":"a","challenge":"b","challenge_sha256":"00","custodian":"c","created_at":"t","tool":"t"}"#;
        let err = decode_line(1, header).unwrap_err();
        assert_eq!(field_of(&err), Some((1, "challenge")), "{err}");
    }

    #[test]
    fn null_is_not_absent() {
        let line = ENTRY.replacen('{', r#"{"pubkey":null,"#, 1);
        let err = decode_line(3, &line).unwrap_err();
        assert_eq!(field_of(&err), Some((3, "pubkey")), "{err}");
        assert!(err.to_string().contains("null"), "{err}");
        let line = ENTRY.replace(r#""index":0"#, r#""index":null"#);
        let err = decode_line(3, &line).unwrap_err();
        assert_eq!(field_of(&err), Some((3, "index")), "{err}");
    }

    #[test]
    fn fields_of_another_line_type_are_refused() {
        let line = ENTRY.replacen('{', r#"{"sha256":"00","#, 1);
        let err = decode_line(4, &line).unwrap_err();
        assert_eq!(field_of(&err), Some((4, "sha256")), "{err}");
        let err = decode_line(
            4,
            r#"{"type":"footer","entries":1,"sha256":"00","index":0}"#,
        )
        .unwrap_err();
        assert_eq!(field_of(&err), Some((4, "index")), "{err}");
    }
}
