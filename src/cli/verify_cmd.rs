//! `porsign verify`.

use std::io::BufReader;

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit, FileFormatArg, VerifyArgs};
use crate::bundle::{self, Report, VerifyOptions};
use crate::challenge::Challenge;

#[derive(Serialize)]
struct VerifyDoc<'a> {
    result: &'static str,
    file: String,
    challenge_sha256: String,
    #[serde(flatten)]
    report: &'a Report,
}

pub fn run(out: &Output, args: VerifyArgs) -> Result<Exit, CliError> {
    if is_okx(&args)? {
        return verify_okx(out, &args);
    }
    let message = match (&args.challenge, &args.message) {
        (Some(path), _) => {
            Challenge::load(path)
                .map_err(|e| CliError::new(Exit::Input, &e))?
                .message
        }
        (None, Some(m)) => m.clone(),
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
            &bundle::BundleError::Open {
                path: shown.clone(),
                source,
            },
        )
    })?;
    let opts = VerifyOptions {
        expected_message: message,
        now: time::OffsetDateTime::now_utc(),
    };
    let report = bundle::verify_bundle(BufReader::new(file), &opts).map_err(|e| {
        let mut err = CliError::new(Exit::Input, &e);
        err.message = format!("{shown}: {}", err.message);
        err
    })?;
    let ok = report.all_valid();
    print_report(out, &report, &shown);
    out.document(
        "verify-report",
        &VerifyDoc {
            result: if ok { "valid" } else { "invalid" },
            file: shown,
            challenge_sha256: crate::bundle::verify::sha256_hex(&opts.expected_message),
            report: &report,
        },
    );
    Ok(if ok { Exit::Ok } else { Exit::Invalid })
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
    let verdict = if report.all_valid() {
        "VALID"
    } else {
        "INVALID"
    };
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

fn verify_okx(out: &Output, args: &VerifyArgs) -> Result<Exit, CliError> {
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
