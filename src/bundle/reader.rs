//! Streaming reader for bundle files: one line at a time, bounded memory.

use std::io::BufRead;

use super::model::{Entry, Footer, Header, Line};
use super::BundleError;
use crate::lines::CappedLines;

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
            .map_err(|_| BundleError::NotUtf8 { line })?;
        Ok(RawLine {
            number: line,
            text,
            complete,
        })
    }
}

/// Parses one line into its typed form, naming the line and field on error.
pub fn decode_line(number: u64, text: &str) -> Result<Line, BundleError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| BundleError::Json {
        line: number,
        reason: e.to_string(),
    })?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(BundleError::Field {
            line: number,
            field: "(line)".into(),
            reason: "is not a JSON object".into(),
        });
    };
    let kind = match map.remove("type") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(field_error(number, "type", "is not a string")),
        None => return Err(field_error(number, "type", "is missing")),
    };
    let object = serde_json::Value::Object(map);
    let parsed = match kind.as_str() {
        "header" => serde_json::from_value::<Header>(object).map(Line::Header),
        "entry" => serde_json::from_value::<Entry>(object).map(Line::Entry),
        "footer" => serde_json::from_value::<Footer>(object).map(Line::Footer),
        other => {
            return Err(field_error(
                number,
                "type",
                &format!("unknown line type {other:?} (expected header, entry or footer)"),
            ))
        }
    };
    parsed.map_err(|e| BundleError::Field {
        line: number,
        field: serde_field_name(&e.to_string()).unwrap_or_else(|| kind.clone()),
        reason: e.to_string(),
    })
}

fn field_error(line: u64, field: &str, reason: &str) -> BundleError {
    BundleError::Field {
        line,
        field: field.into(),
        reason: reason.into(),
    }
}

/// serde_json names the offending field inside backticks (`unknown field `x``, `missing field
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
            Err(BundleError::LineTooLong { line: 1, .. })
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
}
