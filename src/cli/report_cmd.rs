//! `porsign report`: verifies exactly as `porsign verify` does (the same function: same checks,
//! output, `--json` document and exit code) and writes the auditor's HTML page.

use std::path::{Path, PathBuf};

use super::output::{CliError, Output};
use super::verify_cmd::{self, Observer, Verified, BUNDLE_RULES};
use super::{Exit, VerifyArgs};
use crate::bundle::verify::EntryResult;
use crate::okx::RowEvent;
use crate::report::{
    self, BundleSource, Collected, Collector, Listing, OkxSource, PageOptions, ReportError,
};

/// The address table's default limit.
pub const DEFAULT_MAX_TABLE_ROWS: usize = 100_000;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Where to write the HTML report (an earlier report there is replaced).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Last period's bundle or OKX file: the report shows the addresses added and removed,
    /// the claimed amounts that changed and the change of each asset's claimed total.
    #[arg(long, value_name = "OLD")]
    pub previous: Option<PathBuf>,
    /// Most rows in the page's address table; beyond it the table holds every failure and an
    /// even sample of the other rows, and the page says how to get every row's result.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_TABLE_ROWS)]
    pub max_table_rows: usize,
}

fn report_error(e: &ReportError) -> CliError {
    let exit = match e {
        ReportError::PreviousBundle { .. }
        | ReportError::PreviousOkx { .. }
        | ReportError::Write { .. } => Exit::Input,
        _ => Exit::Internal,
    };
    CliError::new(exit, e)
}

/// A shell word for the page's "how to get every row" command.
fn quoted(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command that prints every row's result as JSON.
fn full_json_command(args: &VerifyArgs, okx: bool) -> String {
    let file = quoted(&args.bundle.display().to_string());
    if okx {
        return format!(
            "porsign --json verify {file} --max-failures 1000000 (lists the rows that fail; \
             the file itself lists every row)"
        );
    }
    let against = match (&args.challenge, &args.message) {
        (Some(c), _) => format!("--challenge {}", quoted(&c.display().to_string())),
        (None, Some(m)) => format!("--message {}", quoted(m)),
        (None, None) => String::new(),
    };
    format!("porsign --json verify {file} {against}")
}

/// Renders a bundle's page and writes it to `output`.
pub(super) fn write_bundle_report(
    output: &Path,
    source: &BundleSource<'_>,
    report: &crate::bundle::Report,
    collected: Collected,
    previous: Option<(&str, &Listing)>,
    opts: &PageOptions,
) -> Result<(), CliError> {
    let page = report::bundle_page(source, report, collected, previous, opts)
        .map_err(|e| report_error(&e))?;
    let html = report::render(&page).map_err(|e| report_error(&e))?;
    report::write_page(output, &html).map_err(|e| report_error(&e))
}

/// Verifies a bundle against a challenge (or a bare message) and writes its report, printing
/// nothing: for the demo and `porsign bench report`. Returns the verifier's report.
#[cfg(feature = "emulator")]
pub(super) fn quiet_bundle_report(
    bundle: &Path,
    challenge: Result<(&crate::challenge::Challenge, &Path), &str>,
    output: &Path,
    max_table_rows: usize,
) -> Result<crate::bundle::Report, CliError> {
    let message = match challenge {
        Ok((c, _)) => c.message.as_str(),
        Err(m) => m,
    };
    let shown = bundle.display().to_string();
    let file =
        crate::lines::open_for_reading(bundle).map_err(|e| CliError::new(Exit::Input, &e))?;
    let mut collector = Collector::new(max_table_rows, false);
    let report = crate::bundle::verify::verify_bundle_streaming(
        std::io::BufReader::with_capacity(1 << 20, file),
        &crate::bundle::VerifyOptions::new(message),
        &mut |r| collector.bundle_entry(r),
    )
    .map_err(|e| CliError::new(Exit::Input, &e))?;
    let against = match challenge {
        Ok((_, path)) => format!("--challenge {}", quoted(&path.display().to_string())),
        Err(m) => format!("--message {}", quoted(m)),
    };
    let source = BundleSource {
        file: &shown,
        format_source: "detected",
        rules: BUNDLE_RULES,
        message,
        challenge_sha256: &crate::bundle::verify::sha256_hex(message),
        challenge: challenge.ok().map(|(c, _)| c),
    };
    let opts = PageOptions {
        max_table_rows,
        full_json: format!("porsign --json verify {} {against}", quoted(&shown)),
    };
    write_bundle_report(output, &source, &report, collector.finish(), None, &opts)?;
    Ok(report)
}

/// Builds the page from the verification as it runs, and writes it once it is finished.
struct PageWriter<'a> {
    args: &'a ReportArgs,
    collector: Option<Collector>,
    previous: Option<(String, Listing)>,
}

impl Observer for PageWriter<'_> {
    fn bundle_entry(&mut self, result: &EntryResult<'_>) {
        if let Some(c) = self.collector.as_mut() {
            c.bundle_entry(result);
        }
    }

    fn okx_event(&mut self, event: &RowEvent<'_>) {
        if let Some(c) = self.collector.as_mut() {
            c.okx_event(event);
        }
    }

    fn finished(&mut self, verified: &Verified) -> Result<(), CliError> {
        let Some(collector) = self.collector.take() else {
            return Ok(());
        };
        let collected = collector.finish();
        let previous = self.previous.as_ref().map(|(f, l)| (f.as_str(), l));
        let output = &self.args.output;
        let opts = |okx| PageOptions {
            max_table_rows: self.args.max_table_rows,
            full_json: full_json_command(&self.args.verify, okx),
        };
        match verified {
            Verified::Bundle(run) => {
                let source = BundleSource {
                    file: &run.file,
                    format_source: run.format_source,
                    rules: BUNDLE_RULES,
                    message: &run.message,
                    challenge_sha256: &run.challenge_sha256,
                    challenge: run.challenge.as_ref(),
                };
                write_bundle_report(
                    output,
                    &source,
                    &run.report,
                    collected,
                    previous,
                    &opts(false),
                )
            }
            Verified::Okx(run) => {
                let source = OkxSource {
                    file: &run.file,
                    format_source: run.format_source,
                    challenge: run.challenge.as_ref(),
                };
                let page = report::okx_page(&source, &run.report, collected, previous, &opts(true))
                    .map_err(|e| report_error(&e))?;
                let html = report::render(&page).map_err(|e| report_error(&e))?;
                report::write_page(output, &html).map_err(|e| report_error(&e))
            }
        }
    }
}

pub fn run(out: &Output, args: ReportArgs) -> Result<Exit, CliError> {
    // Last period's file is read first: an unusable one stops the command before any work.
    let previous = match &args.previous {
        Some(path) => Some((
            path.display().to_string(),
            report::read_previous(path).map_err(|e| report_error(&e))?,
        )),
        None => None,
    };
    let mut writer = PageWriter {
        args: &args,
        collector: Some(Collector::new(args.max_table_rows, previous.is_some())),
        previous,
    };
    let verified = verify_cmd::verify(out, &args.verify, &mut writer)?;
    let shown = args.output.display().to_string();
    if out.json {
        super::output::diag(&format!("report: {shown}"));
    } else {
        out.line(&format!("report: {shown}"));
    }
    Ok(verified.exit())
}
