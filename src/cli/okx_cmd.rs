//! `porsign verify` on OKX proof-of-reserves files, and `porsign import okx`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::okx::{self, FailureRecord, OkxError, Report, VerifyOptions};

/// `porsign import …`
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Convert an OKX proof-of-reserves CSV into a bundle v1 (the rows bundle schemes carry:
    /// BTC single-key and multisig, EVM addresses signing for themselves).
    Okx(ImportOkxArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportOkxArgs {
    /// The OKX CSV file.
    pub file: PathBuf,
    /// The bundle to write (refuses to overwrite).
    #[arg(long, short)]
    pub output: PathBuf,
    /// The bundle's custodian.
    #[arg(long, default_value = "OKX")]
    pub custodian: String,
    /// The challenge of the bundle; rows signed over another message are skipped (default:
    /// the first row's message).
    #[arg(long)]
    pub message: Option<String>,
}

/// Flags of `porsign verify` that only OKX files use.
#[derive(Clone, Debug)]
pub struct OkxFlags {
    pub check_summary: bool,
    pub max_failures: usize,
}

#[derive(Serialize)]
struct VerifyDoc<'a> {
    result: &'static str,
    file: String,
    summary_mismatches: usize,
    #[serde(flatten)]
    report: &'a Report,
}

fn input_error(file: &str, e: &OkxError) -> CliError {
    let mut err = CliError::new(Exit::Input, e);
    if !matches!(e, OkxError::Open { .. }) {
        err.message = format!("{file}: {}", err.message);
    }
    err
}

/// Verifies an OKX file. `message`: the expected message (`--message` / `--challenge`).
pub fn verify(
    out: &Output,
    path: &Path,
    message: Option<String>,
    flags: &OkxFlags,
) -> Result<Exit, CliError> {
    let shown = path.display().to_string();
    let input = okx::open(path).map_err(|e| input_error(&shown, &e))?;
    let opts = VerifyOptions {
        expected_message: message,
        check_summary: flags.check_summary,
        max_failures: flags.max_failures,
        ..VerifyOptions::default()
    };
    let mut print_failure = |f: &FailureRecord| {
        out.line(&format!(
            "FAIL line {} {} {}: {}",
            f.line, f.coin, f.address, f.reason
        ));
    };
    let report = okx::verify_stream(input, &opts, &mut print_failure)
        .map_err(|e| input_error(&shown, &e))?;
    let ok = report.all_valid();
    print_report(out, &report, &shown);
    out.document(
        "okx-verify-report",
        &VerifyDoc {
            result: if ok { "valid" } else { "invalid" },
            file: shown,
            summary_mismatches: report.summary_mismatches().count(),
            report: &report,
        },
    );
    Ok(if ok { Exit::Ok } else { Exit::Invalid })
}

fn print_report(out: &Output, report: &Report, file: &str) {
    for c in report.summary_mismatches() {
        let place = c.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let detail = c.detail_amount.as_deref().unwrap_or("unknown");
        let line = match c.status {
            okx::summary::SummaryStatus::MissingFromSummary => format!(
                "SUMMARY {}: {} detail rows (amount {detail}) but no summary row covers the coin",
                c.coin, c.detail_rows
            ),
            okx::summary::SummaryStatus::UnknownUnit => format!(
                "SUMMARY {}{place}: block says {}, the detail rows' unit is unknown",
                c.coin,
                c.block_amount.as_deref().unwrap_or("")
            ),
            _ => format!(
                "SUMMARY {}{place}: block says {}, the {} detail rows sum to {detail}",
                c.coin,
                c.block_amount.as_deref().unwrap_or(""),
                c.detail_rows
            ),
        };
        out.line(&line);
    }
    out.line(&format!(
        "{:<24} {:>9} {:>9} {:>9} {:>7} {:>28}",
        "coin", "rows", "passed", "failed", "owner", "amount"
    ));
    for c in &report.coins {
        out.line(&format!(
            "{:<24} {:>9} {:>9} {:>9} {:>7} {:>28}",
            c.coin,
            c.rows,
            c.passed,
            c.failed,
            c.owner_attested,
            c.amount.as_deref().unwrap_or("-")
        ));
    }
    if report.expected_message.is_none() {
        out.line(&format!(
            "NOTE: no --message given: each row was checked against its own message (seen: {})",
            report
                .messages_seen
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if report.owner_attested > 0 {
        out.line(&format!(
            "NOTE: {} rows are proven by owner accounts (eoa1/eoa2, aptos auth keys): the keys own the owners; that the owners control the listed address is on-chain state the file cannot prove",
            report.owner_attested
        ));
    }
    if report.skipped_by_status > 0 {
        out.line(&format!(
            "NOTE: {} rows skipped: their status is not 5",
            report.skipped_by_status
        ));
    }
    if report.failures_omitted > 0 {
        out.line(&format!(
            "NOTE: {} more failures are not kept in the report",
            report.failures_omitted
        ));
    }
    let verdict = if report.all_valid() {
        "VALID"
    } else {
        "INVALID"
    };
    out.line(&format!(
        "{verdict}: {file} ({}): {} rows, {} passed, {} failed, {} summary mismatches",
        report.layout,
        report.rows,
        report.passed,
        report.failed,
        report.summary_mismatches().count()
    ));
}

/// `porsign import okx`.
pub fn import(out: &Output, args: ImportOkxArgs) -> Result<Exit, CliError> {
    let shown = args.file.display().to_string();
    let input = okx::open(&args.file).map_err(|e| input_error(&shown, &e))?;
    let opts = okx::import::ImportOptions {
        custodian: args.custodian,
        message: args.message,
    };
    let report =
        okx::import::import_okx(input, &args.output, &opts).map_err(|e| input_error(&shown, &e))?;
    out.line(&format!(
        "imported {} of {} rows into {} (challenge {:?}); skipped {}",
        report.imported,
        report.rows,
        args.output.display(),
        report.challenge,
        report.skipped
    ));
    for (reason, n) in &report.skipped_by_reason {
        out.line(&format!("  skipped {n:>9}: {reason}"));
    }
    out.document("okx-import-report", &report);
    Ok(Exit::Ok)
}
