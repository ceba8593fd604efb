//! Printing: results on stdout (human text or one JSON document), diagnostics on stderr.

use std::io::Write;

use serde::Serialize;

use super::Exit;
use crate::escape;

/// The version of every JSON document porsign prints. Bump on incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// An error on its way to the user: the message (with its cause chain), what to do next, and
/// the exit code.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    /// porsign's own advice, printed on its own line after the error (the message itself is one
    /// line: any line break in it comes from untrusted text and is shown escaped).
    pub hint: Option<String>,
}

impl CliError {
    /// Builds the message from an error and its whole `source()` chain.
    pub fn new(exit: Exit, err: &dyn std::error::Error) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        CliError {
            exit,
            message,
            hint: None,
        }
    }

    pub fn msg(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds advice for the operator.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Where results go.
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints a line of human output (ignored in JSON mode). A closed pipe is not an error.
    /// Control characters and bidi overrides in it are shown as escapes: lines carry addresses
    /// and reasons quoted from untrusted files (see [`crate::escape`]).
    pub fn line(&self, text: &str) {
        if !self.json {
            let _ = writeln!(std::io::stdout().lock(), "{}", escape::for_terminal(text));
        }
    }

    /// Prints the JSON document of a command (only in JSON mode), tagged with its type and the
    /// schema version.
    pub fn document<T: Serialize>(&self, kind: &str, body: &T) {
        if !self.json {
            return;
        }
        let mut value = serde_json::json!({ "type": kind, "schema_version": JSON_SCHEMA_VERSION });
        if let (Some(obj), Ok(serde_json::Value::Object(body))) =
            (value.as_object_mut(), serde_json::to_value(body))
        {
            obj.extend(body);
        }
        let _ = writeln!(std::io::stdout().lock(), "{}", escape::json_line(&value));
    }
}

/// Prints one diagnostic line on stderr (progress notes, what the operator must do), escaped
/// like [`Output::line`]. Multi-line notes are printed line by line, each escaped.
pub fn diag(text: &str) {
    let mut err = std::io::stderr().lock();
    for line in text.split('\n') {
        let _ = writeln!(err, "{}", escape::for_terminal(line));
    }
}

/// Prints an error once: on stderr for people, and as a JSON object on stdout under `--json`.
pub fn report_error(err: &CliError, json: bool) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "porsign: error: {}",
        escape::for_terminal(&err.message)
    );
    if let Some(hint) = &err.hint {
        diag(&format!("porsign: {hint}"));
    }
    if json {
        let mut doc = serde_json::json!({
            "type": "error",
            "schema_version": JSON_SCHEMA_VERSION,
            "kind": err.exit.kind(),
            "exit_code": err.exit.code(),
            "message": err.message,
        });
        if let (Some(hint), Some(obj)) = (&err.hint, doc.as_object_mut()) {
            obj.insert("hint".into(), serde_json::Value::String(hint.clone()));
        }
        let _ = writeln!(std::io::stdout().lock(), "{}", escape::json_line(&doc));
    }
}
