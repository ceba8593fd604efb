//! `porsign bench report`: the time and size of the auditor's HTML report of a generated
//! bundle (the bundle of `porsign bench bundle`), verification included, as `porsign report`
//! makes it.

use std::time::Instant;

use serde::Serialize;

use super::bench_cmd::BenchReportArgs;
use super::output::Output;
use super::{CliError, Exit};
use crate::okx::bench::{peak_rss_kib, reset_peak_rss};

#[derive(Serialize)]
struct BenchReportDoc {
    entries: u64,
    bundle_bytes: u64,
    generate_seconds: f64,
    report_seconds: f64,
    report_bytes: u64,
    max_table_rows: usize,
    sampled: bool,
    peak_rss_report_kib: Option<u64>,
    all_valid: bool,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::msg(Exit::Internal, format!("bench: {e}"))
}

pub fn run(out: &Output, args: BenchReportArgs) -> Result<Exit, CliError> {
    let temp = tempfile::tempdir().map_err(fail)?;
    let dir = match &args.keep {
        Some(keep) => {
            std::fs::create_dir_all(keep).map_err(fail)?;
            keep.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let bundle = dir.join("bench.jsonl");
    let html = dir.join("report.html");
    let _ = std::fs::remove_file(&bundle);
    let start = Instant::now();
    super::bench_bundle::write_bundle(&bundle, args.entries)?;
    let generate_seconds = start.elapsed().as_secs_f64();
    let reset = reset_peak_rss();
    let start = Instant::now();
    let report = super::report_cmd::quiet_bundle_report(
        &bundle,
        Err(super::bench_bundle::MESSAGE),
        &html,
        args.max_table_rows,
    )?;
    let report_seconds = start.elapsed().as_secs_f64();
    let peak = if reset { peak_rss_kib() } else { None };
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let doc = BenchReportDoc {
        entries: report.entries,
        bundle_bytes: size(&bundle),
        generate_seconds,
        report_seconds,
        report_bytes: size(&html),
        max_table_rows: args.max_table_rows,
        sampled: report.entries > args.max_table_rows as u64,
        peak_rss_report_kib: peak,
        all_valid: report.all_valid(),
    };
    let mib = |b: u64| b as f64 / 1048576.0;
    out.line(&format!(
        "bundle: {} entries, {:.1} MiB, generated in {generate_seconds:.1} s",
        doc.entries,
        mib(doc.bundle_bytes)
    ));
    out.line(&format!(
        "report: verified and written in {report_seconds:.2} s; {:.1} MiB of HTML; table limit {}{}; peak RSS {}",
        mib(doc.report_bytes),
        doc.max_table_rows,
        if doc.sampled { " (sampled)" } else { "" },
        peak.map_or("unknown".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
    ));
    if args.keep.is_some() {
        out.line(&format!(
            "kept: {} and {}",
            bundle.display(),
            html.display()
        ));
    }
    out.document("bench-report-report", &doc);
    Ok(if doc.all_valid {
        Exit::Ok
    } else {
        Exit::Invalid
    })
}
