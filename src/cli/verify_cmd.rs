//! `porsign verify`.

use std::io::{BufReader, Seek, SeekFrom, Write};

use serde::Serialize;

use super::output::{CliError, Output};
use super::{Exit, FileFormatArg, VerifyArgs};
use crate::bundle::verify::{EntryResult, Verdict};
use crate::bundle::{self, Report, VerifyOptions};
use crate::challenge::Challenge;
use crate::escape;

/// The format and rule set a bundle is verified under; the report's first line says so.
const BUNDLE_FORMAT: &str = "porsign-bundle-v1";
const BUNDLE_RULES: &str = "porsign-bundle-v1: every entry proves its own address with a \
signature over the challenge; no claim is accepted on an owner's word";

/// The parts of the JSON report known before the first entry.
#[derive(Serialize)]
struct VerifyDocHead<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema_version: u32,
    format: &'static str,
    format_source: &'static str,
    rules: &'static str,
    file: &'a str,
    challenge_sha256: String,
    message: &'a str,
}

/// The parts known at the end.
#[derive(Serialize)]
struct VerifyDocTail<'a> {
    #[serde(flatten)]
    report: &'a Report,
    result: &'static str,
}

pub fn run(out: &Output, args: VerifyArgs) -> Result<Exit, CliError> {
    let format_source = match args.format {
        FileFormatArg::Auto => "detected",
        _ => "--format",
    };
    if is_okx(&args)? {
        return verify_okx(out, &args, format_source);
    }
    let (message, challenge_created_at) = match (&args.challenge, &args.message) {
        (Some(path), _) => {
            let challenge = Challenge::load(path).map_err(|e| CliError::new(Exit::Input, &e))?;
            let created = time::OffsetDateTime::parse(
                &challenge.created_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|e| {
                CliError::msg(
                    Exit::Input,
                    format!("challenge field `created_at`: not an RFC 3339 time: {e}"),
                )
            })?;
            (challenge.message, Some(created))
        }
        (None, Some(m)) => (m.clone(), None),
        (None, None) => {
            return Err(CliError::msg(
                Exit::Input,
                "give the expected challenge with --challenge FILE or --message TEXT",
            ))
        }
    };
    let shown = args.bundle.display().to_string();
    let file = std::fs::File::open(&args.bundle).map_err(|source| {
        CliError::new(
            Exit::Input,
            &crate::lines::FileError::Open {
                path: shown.clone(),
                source,
            },
        )
    })?;
    let mut opts = VerifyOptions::new(message);
    opts.challenge_created_at = challenge_created_at;
    opts.tip_height = args.tip_height;
    let challenge_sha256 = bundle::verify::sha256_hex(&opts.expected_message);

    out.line(&format!(
        "format: porsign bundle v1 ({format_source}); rules: {BUNDLE_RULES}"
    ));
    out.line(&format!(
        "challenge: sha256 {challenge_sha256}: {}",
        opts.expected_message
    ));
    let mut json = if out.json {
        Some(JsonReport::start(
            &VerifyDocHead {
                kind: "verify-report",
                schema_version: super::output::JSON_SCHEMA_VERSION,
                format: BUNDLE_FORMAT,
                format_source,
                rules: BUNDLE_RULES,
                file: &shown,
                challenge_sha256: challenge_sha256.clone(),
                message: &opts.expected_message,
            },
            !args.summary_only,
        )?)
    } else {
        None
    };
    let mut spill_error: Option<std::io::Error> = None;
    let mut on_entry = |r: &EntryResult<'_>| {
        if let (Some(lock), Verdict::Valid) = (r.time_lock, r.verdict) {
            out.line(&format!(
                "TIME-LOCKED entry {} (line {}) {}: valid now; its proof carries a time lock: {lock}",
                r.index, r.line, r.address
            ));
        }
        if let Some(j) = json.as_mut() {
            if let Err(e) = j.entry(r) {
                spill_error.get_or_insert(e);
            }
        }
    };
    let report = bundle::verify::verify_bundle_streaming(
        BufReader::with_capacity(1 << 20, file),
        &opts,
        &mut on_entry,
    )
    .map_err(|e| {
        let mut err = CliError::new(Exit::Input, &e);
        err.message = format!("{shown}: {}", err.message);
        err
    })?;
    let report_io = |e: std::io::Error| {
        CliError::msg(Exit::Input, format!("cannot write the JSON report: {e}"))
    };
    if let Some(e) = spill_error {
        return Err(report_io(e));
    }
    let ok = report.all_valid();
    print_report(out, &report, &shown);
    if let Some(j) = json {
        j.finish(&VerifyDocTail {
            report: &report,
            result: if ok { "valid" } else { "invalid" },
        })
        .map_err(report_io)?;
    }
    Ok(if ok { Exit::Ok } else { Exit::Invalid })
}

/// The `--json` report: one JSON document with the head, every entry's result (unless
/// `--summary-only`), then the counts and failures. Results are spilled to an unnamed temporary
/// file as they come, not held in memory, and the document is printed only once verification
/// has finished: an unusable file (exit 2) still prints the `error` document and nothing else.
struct JsonReport {
    head: String,
    spill: Option<std::io::BufWriter<std::fs::File>>,
    first: bool,
}

impl JsonReport {
    fn start<T: Serialize>(head: &T, list_entries: bool) -> Result<Self, CliError> {
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

    fn entry(&mut self, result: &EntryResult<'_>) -> std::io::Result<()> {
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        let sep = if self.first { "\n" } else { ",\n" };
        self.first = false;
        write!(spill, "{sep}{}", object_text(result))
    }

    /// Prints the whole document: head, results, tail.
    fn finish<T: Serialize>(self, tail: &T) -> std::io::Result<()> {
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

fn print_report(out: &Output, report: &Report, file: &str) {
    for f in &report.failures {
        let place = match (f.entry, &f.address) {
            (Some(i), Some(a)) => format!("entry {i} (line {}) {a}", f.line),
            _ => format!("line {}", f.line),
        };
        out.line(&format!("FAIL {place}: {}", f.reason));
    }
    let unlisted = report
        .failure_count
        .saturating_sub(report.failures.len() as u64);
    if unlisted > 0 {
        out.line(&format!(
            "... and {unlisted} more failures (only the first {} are listed)",
            report.failures.len()
        ));
    }
    out.line(&format!(
        "{:<28} {:>10} {:>10} {:>10}",
        "chain/scheme", "entries", "valid", "invalid"
    ));
    for (key, c) in &report.summary {
        out.line(&format!(
            "{key:<28} {:>10} {:>10} {:>10}",
            c.entries, c.valid, c.invalid
        ));
    }
    out.line(&format!(
        "{:<28} {:>10} {:>10} {:>10} {:>24} {:>24}",
        "chain/network", "entries", "valid", "invalid", "claimed (valid)", "claimed (failed)"
    ));
    for (key, t) in &report.totals {
        out.line(&format!(
            "{key:<28} {:>10} {:>10} {:>10} {:>24} {:>24}",
            t.entries,
            t.valid,
            t.invalid,
            t.claimed_valid.to_string(),
            t.claimed_invalid.to_string()
        ));
    }
    let verdict = if report.all_valid() {
        "VALID"
    } else {
        "INVALID"
    };
    if report.time_locked > 0 {
        out.line(&format!(
            "{} valid entries carry a time lock (listed above as TIME-LOCKED)",
            report.time_locked
        ));
    }
    out.line(&format!(
        "{verdict}: {file}: {} entries, {} valid, {} failures",
        report.entries, report.valid, report.failure_count
    ));
}

/// Whether `--format` or the file's first bytes say OKX CSV.
fn is_okx(args: &VerifyArgs) -> Result<bool, CliError> {
    match args.format {
        FileFormatArg::Okx => Ok(true),
        FileFormatArg::Bundle => Ok(false),
        FileFormatArg::Auto => match crate::okx::detect_file(&args.bundle) {
            Ok(Some(crate::okx::FileFormat::Okx)) => Ok(true),
            // Unknown content goes to the bundle reader, which names what it expected.
            Ok(_) => Ok(false),
            Err(e) => Err(CliError::new(Exit::Input, &e)),
        },
    }
}

fn verify_okx(out: &Output, args: &VerifyArgs, _format_source: &str) -> Result<Exit, CliError> {
    let message = match (&args.challenge, &args.message) {
        (Some(path), _) => Some(
            Challenge::load(path)
                .map_err(|e| CliError::new(Exit::Input, &e))?
                .message,
        ),
        (None, m) => m.clone(),
    };
    let flags = super::okx_cmd::OkxFlags {
        check_summary: !args.no_summary_check,
        max_failures: args.max_failures,
        accept_owner_attested: args.accept_owner_attested,
        accept_status_excluded: args.accept_status_excluded,
    };
    super::okx_cmd::verify(out, &args.bundle, message, &flags)
}
