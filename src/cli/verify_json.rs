//! The `--json` document of `porsign verify` on a bundle: head, every entry's result (spilled
//! to a temporary file while the bundle is verified), then the counts and failures.

use std::io::{Seek, SeekFrom, Write};

use serde::Serialize;

use super::output::CliError;
use super::Exit;
use crate::bundle::verify::EntryResult;
use crate::escape;

/// The `--json` report: one JSON document with the head, every entry's result (unless
/// `--summary-only`), then the counts and failures. Results are spilled to an unnamed temporary
/// file as they come, not held in memory, and the document is printed only once verification
/// has finished: an unusable file (exit 2) still prints the `error` document and nothing else.
pub(super) struct JsonReport {
    head: String,
    spill: Option<std::io::BufWriter<std::fs::File>>,
    first: bool,
}

impl JsonReport {
    pub(super) fn start<T: Serialize>(head: &T, list_entries: bool) -> Result<Self, CliError> {
        let spill = if list_entries {
            let file = tempfile::tempfile().map_err(|e| {
                CliError::msg(
                    Exit::Input,
                    format!("cannot create a temporary file for the JSON report: {e}"),
                )
            })?;
            Some(std::io::BufWriter::with_capacity(1 << 16, file))
        } else {
            None
        };
        Ok(JsonReport {
            head: object_text(head),
            spill,
            first: true,
        })
    }

    pub(super) fn entry(&mut self, result: &EntryResult<'_>) -> std::io::Result<()> {
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        let sep = if self.first { "\n" } else { ",\n" };
        self.first = false;
        write!(spill, "{sep}{}", object_text(result))
    }

    /// Prints the whole document: head, results, tail.
    pub(super) fn finish<T: Serialize>(self, tail: &T) -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        // `{...}` without its closing brace; the results array and the tail follow.
        let head = self.head.strip_suffix('}').unwrap_or(&self.head);
        write!(out, "{head}")?;
        if let Some(spill) = self.spill {
            let mut file = spill.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            write!(out, ",\"results\":[")?;
            std::io::copy(&mut file, &mut out)?;
            write!(out, "\n]")?;
        }
        let tail = object_text(tail);
        let body = tail.strip_prefix('{').unwrap_or(&tail);
        writeln!(out, ",{body}")?;
        out.flush()
    }
}

/// A serializable object as JSON text with no raw bidi or invisible characters.
fn object_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(v) => escape::json_line(&v),
        Err(e) => escape::json_line(&serde_json::json!({ "serialize_error": e.to_string() })),
    }
}
