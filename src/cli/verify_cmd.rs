//! `porsign verify`, and the one verification that `porsign report` shares with it: the same
//! checks, printed output, `--json` document and exit code, with an [`Observer`] that sees
//! every entry's result as it is decided and the finished report before it is printed.

use std::io::BufReader;

use serde::Serialize;

use super::output::{CliError, Output};
use super::verify_json::JsonReport;
use super::{Exit, FileFormatArg, VerifyArgs};
use crate::bundle::verify::{EntryResult, SealStatus, Verdict};
use crate::bundle::{self, Report, VerifyOptions};
use crate::challenge::Challenge;
use crate::okx::RowEvent;

/// The format and rule set a bundle is verified under; the report's first line says so.
pub const BUNDLE_FORMAT: &str = "porsign-bundle";
pub const BUNDLE_RULES: &str = "porsign bundle versions 1 and 2: every entry proves its own \
address with a signature over the challenge (a batch entry with its whole batch); no claim is \
accepted on an owner's word";

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

/// Sees a verification as it runs: every result in file order, then the finished report
/// before anything about it is printed (an `Err` from [`Observer::finished`] stops the command
/// with that error, and no report is printed).
pub trait Observer {
    fn bundle_entry(&mut self, _result: &EntryResult<'_>) {}
    fn okx_event(&mut self, _event: &RowEvent<'_>) {}
    fn finished(&mut self, _verified: &Verified) -> Result<(), CliError> {
        Ok(())
    }
}

/// `porsign verify` itself watches nothing.
struct Plain;
impl Observer for Plain {}

/// A verified bundle: what it was checked against, and what was found.
pub struct BundleRun {
    pub file: String,
    /// `detected` or `--format`.
    pub format_source: &'static str,
    /// The expected message and its SHA-256.
    pub message: String,
    pub challenge_sha256: String,
    /// The challenge file, when given with `--challenge`.
    pub challenge: Option<Challenge>,
    pub report: Report,
}

/// A verified OKX file.
pub struct OkxRun {
    pub file: String,
    pub format_source: &'static str,
    pub challenge: Option<Challenge>,
    pub report: crate::okx::Report,
}

/// What a verification of a usable input found.
pub enum Verified {
    Bundle(BundleRun),
    Okx(OkxRun),
}

impl Verified {
    /// The exit code of `verify`: 0 when everything verified, 1 otherwise.
    pub fn exit(&self) -> Exit {
        let ok = match self {
            Verified::Bundle(b) => b.report.all_valid(),
            Verified::Okx(o) => o.report.all_valid(),
        };
        if ok {
            Exit::Ok
        } else {
            Exit::Invalid
        }
    }
}

pub fn run(out: &Output, args: VerifyArgs) -> Result<Exit, CliError> {
    verify(out, &args, &mut Plain).map(|v| v.exit())
}

/// Loads `--challenge FILE` when given.
fn load_challenge(args: &VerifyArgs) -> Result<Option<Challenge>, CliError> {
    args.challenge
        .as_deref()
        .map(Challenge::load)
        .transpose()
        .map_err(|e| CliError::new(Exit::Input, &e))
}

/// Verifies the input named by `args` exactly as `porsign verify` does (printing the same
/// lines and `--json` document), telling `observer` what it finds. `Err`: unusable input
/// (exit 2) or an error from the observer.
pub fn verify(
    out: &Output,
    args: &VerifyArgs,
    observer: &mut dyn Observer,
) -> Result<Verified, CliError> {
    let format_source = match args.format {
        FileFormatArg::Auto => "detected",
        _ => "--format",
    };
    if is_okx(args)? {
        return verify_okx(out, args, format_source, observer);
    }
    let challenge = load_challenge(args)?;
    let (message, challenge_created_at) = match (&challenge, &args.message) {
        (Some(challenge), _) => {
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
            (challenge.message.clone(), Some(created))
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
    let file =
        crate::lines::open_for_reading(&args.bundle).map_err(|e| CliError::new(Exit::Input, &e))?;
    let mut opts = VerifyOptions::new(message);
    opts.challenge_created_at = challenge_created_at;
    opts.tip_height = args.tip_height;
    let challenge_sha256 = bundle::verify::sha256_hex(&opts.expected_message);

    out.line(&format!(
        "format: porsign bundle ({format_source}); rules: {BUNDLE_RULES}"
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
        observer.bundle_entry(r);
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
    let verified = Verified::Bundle(BundleRun {
        file: shown,
        format_source,
        message: opts.expected_message,
        challenge_sha256,
        challenge,
        report,
    });
    observer.finished(&verified)?;
    if let Verified::Bundle(run) = &verified {
        let ok = run.report.all_valid();
        print_report(out, &run.report, &run.file);
        if let Some(j) = json {
            j.finish(&VerifyDocTail {
                report: &run.report,
                result: if ok { "valid" } else { "invalid" },
            })
            .map_err(report_io)?;
        }
    }
    Ok(verified)
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
    out.line(&match &report.seal {
        SealStatus::Valid(info) => format!(
            "seal: sealed by {} ({}{}): that key vouches for this bundle's digest, entries and challenge",
            info.address,
            info.network,
            info.path
                .as_deref()
                .map_or(String::new(), |p| format!(", key {p}"))
        ),
        SealStatus::Invalid { reason } => format!("seal: INVALID: {reason}"),
        SealStatus::Unsealed => "seal: none (unsealed: the digest is intact, but no key vouches for the amounts and custodian)".to_owned(),
    });
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

fn verify_okx(
    out: &Output,
    args: &VerifyArgs,
    format_source: &'static str,
    observer: &mut dyn Observer,
) -> Result<Verified, CliError> {
    let challenge = load_challenge(args)?;
    let message = match &challenge {
        Some(c) => Some(c.message.clone()),
        None => args.message.clone(),
    };
    let flags = super::okx_cmd::OkxFlags {
        check_summary: !args.no_summary_check,
        max_failures: args.max_failures,
        accept_owner_attested: args.accept_owner_attested,
        accept_status_excluded: args.accept_status_excluded,
    };
    let file = args.bundle.display().to_string();
    let wrap = |report| {
        Verified::Okx(OkxRun {
            file,
            format_source,
            challenge,
            report,
        })
    };
    super::okx_cmd::verify(out, &args.bundle, message, &flags, observer, wrap)
}
