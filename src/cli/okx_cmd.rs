//! `porsign verify` on OKX proof-of-reserves files, and `porsign import okx`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::output::Output;
use super::verify_cmd::{Observer, OkxRun, Verified};
use super::{CliError, Exit};
use crate::lines::FileError;
use crate::okx::{self, OkxError, Report, RowEvent, VerifyOptions};

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
    /// `--accept-owner-attested`.
    pub accept_owner_attested: bool,
    /// `--accept-status-excluded`.
    pub accept_status_excluded: bool,
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
    if !matches!(e, OkxError::File(FileError::Open { .. })) {
        err.message = format!("{file}: {}", err.message);
    }
    err
}

/// Verifies an OKX file. `message`: the expected message (`--message` / `--challenge`).
/// `observer` sees every row and then the finished run (`wrap` makes it from the report)
/// before the report is printed.
pub fn verify(
    out: &Output,
    path: &Path,
    message: Option<String>,
    flags: &OkxFlags,
    observer: &mut dyn Observer,
    wrap: impl FnOnce(Report) -> Verified,
) -> Result<Verified, CliError> {
    let shown = path.display().to_string();
    let input = okx::open(path).map_err(|e| input_error(&shown, &e))?;
    let opts = VerifyOptions {
        expected_message: message,
        check_summary: flags.check_summary,
        accept_owner_attested: flags.accept_owner_attested,
        accept_status_excluded: flags.accept_status_excluded,
        max_failures: flags.max_failures,
        ..VerifyOptions::default()
    };
    let verification =
        okx::Verification::start(input, &opts).map_err(|e| input_error(&shown, &e))?;
    // First line: which format and rule set apply, before anything the rows say.
    let head = verification.report_head();
    out.line(&format!("format: {}; rules: {}", head.format, head.rules));
    let mut print_row = |e: RowEvent<'_>| {
        super::okx_report::print_event(out, e, &opts);
        observer.okx_event(&e);
    };
    let report = verification
        .run(&mut print_row)
        .map_err(|e| input_error(&shown, &e))?;
    let verified = wrap(report);
    observer.finished(&verified)?;
    let Verified::Okx(OkxRun { report, .. }) = &verified else {
        return Ok(verified);
    };
    let ok = report.all_valid();
    super::okx_report::print_report(out, report, &shown);
    out.document(
        "okx-verify-report",
        &VerifyDoc {
            result: if ok { "valid" } else { "invalid" },
            file: shown,
            summary_mismatches: report.summary_mismatches().count(),
            report,
        },
    );
    Ok(verified)
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
    for d in &report.duplicate_rows {
        out.line(&format!(
            "  DUPLICATE line {} repeats line {} (same coin and address): not imported again",
            d.line, d.first_line
        ));
    }
    out.document("okx-import-report", &report);
    Ok(Exit::Ok)
}
