//! `porsign bench verify`: generate a realistic OKX file and time the OKX verifier on it
//! against the cost of the secp256k1 recoveries it needs.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::okx::bench::{self, Generated, BENCH_MESSAGE};
use crate::okx::{self, VerifyOptions};

/// `porsign bench …`
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Generate an OKX-style file from fixed seeds, verify it as `porsign verify` does, and
    /// print rows/s, peak RSS and the secp256k1 bound.
    Verify(BenchVerifyArgs),
    /// Sign a generated reserves list on the in-process emulator and print the host's cost per
    /// address (total time minus the time spent inside the emulated device).
    Sign(BenchSignArgs),
    /// Generate a bundle of single-key proofs and time the bundle verifier against the
    /// secp256k1 bound.
    Bundle(BenchBundleArgs),
    /// Generate that bundle and time the HTML report of it (verification included), with its
    /// size.
    Report(BenchReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct BenchReportArgs {
    /// Entries to generate.
    #[arg(long, default_value_t = 100_000)]
    pub entries: u32,
    /// The report's --max-table-rows.
    #[arg(long, default_value_t = super::report_cmd::DEFAULT_MAX_TABLE_ROWS)]
    pub max_table_rows: usize,
    /// Keep the bundle and its report in this folder (default: a temporary folder, removed
    /// afterwards).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BenchBundleArgs {
    /// Entries to generate.
    #[arg(long, default_value_t = 200_000)]
    pub entries: u32,
    /// Generate P2WPKH batch proofs (`bip322-batch`, batches of 500) instead of BIP-137 and
    /// EIP-191 entries.
    #[arg(long)]
    pub batched: bool,
}

#[derive(Debug, clap::Args)]
pub struct BenchSignArgs {
    /// Addresses to sign (cycling through P2PKH, P2SH-P2WPKH, P2WPKH and P2TR).
    #[arg(long, default_value_t = 1000)]
    pub addresses: u32,
}

#[derive(Debug, clap::Args)]
pub struct BenchVerifyArgs {
    /// Rows to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Seed of the keys and the row plan.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Keep the generated file at this path (default: a temporary file, removed afterwards).
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

#[derive(Serialize)]
struct BenchDoc {
    rows: u64,
    cores: usize,
    generated: Generated,
    secp_ops: u64,
    recover_ns: f64,
    bound_seconds: f64,
    bound_rows_per_second: f64,
    verify_seconds: f64,
    rows_per_second: f64,
    ratio_to_bound: f64,
    peak_rss_verify_kib: Option<u64>,
    peak_rss_process_kib: Option<u64>,
    all_valid: bool,
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

pub fn run_bundle(out: &Output, args: BenchBundleArgs) -> Result<Exit, CliError> {
    super::bench_bundle::run(out, args)
}

pub fn run_sign(out: &Output, args: BenchSignArgs) -> Result<Exit, CliError> {
    super::bench_sign::run(out, args)
}

pub fn run(out: &Output, args: BenchVerifyArgs) -> Result<Exit, CliError> {
    let path = args.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "porsign-bench-{}-{}.csv",
            std::process::id(),
            args.seed
        ))
    });
    let shown = path.display().to_string();
    let generated = bench::generate(&path, args.rows, args.seed)
        .map_err(|e| CliError::new(Exit::Input, &e))
        .map_err(|mut e| {
            e.message = format!("cannot write {shown}: {}", e.message);
            e
        })?;
    let peak_process_generate = bench::peak_rss_kib();
    let recover_ns = bench::recover_ns(3000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let reset = bench::reset_peak_rss();
    let opts = VerifyOptions {
        expected_message: Some(BENCH_MESSAGE.to_owned()),
        ..VerifyOptions::default()
    };
    let input = okx::open(&path).map_err(|e| CliError::new(Exit::Input, &e))?;
    let start = Instant::now();
    let report = okx::verify_stream(input, &opts, &mut |_| {});
    let verify_seconds = start.elapsed().as_secs_f64();
    let peak_verify = if reset { bench::peak_rss_kib() } else { None };
    if args.keep.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let report = report.map_err(|e| CliError::new(Exit::Input, &e))?;
    let secp_ops = generated.mix.secp_ops();
    let bound_seconds = secp_ops as f64 * recover_ns * 1e-9 / cores as f64;
    let rows = generated.rows;
    let doc = BenchDoc {
        rows,
        cores,
        secp_ops,
        recover_ns,
        bound_seconds,
        bound_rows_per_second: rows as f64 / bound_seconds.max(1e-12),
        verify_seconds,
        rows_per_second: rows as f64 / verify_seconds.max(1e-12),
        ratio_to_bound: verify_seconds / bound_seconds.max(1e-12),
        peak_rss_verify_kib: peak_verify,
        peak_rss_process_kib: bench::peak_rss_kib().max(peak_process_generate),
        all_valid: report.all_valid(),
        generated,
    };
    let m = doc.generated.mix;
    out.line(&format!(
        "rows: {} (btc 2-of-3 multisig {}, btc single-key {}, evm {}, tron {}); file {:.1} MiB generated in {:.1} s",
        rows,
        m.btc_multisig,
        m.btc_single,
        m.evm,
        m.tron,
        doc.generated.bytes as f64 / 1048576.0,
        doc.generated.seconds
    ));
    out.line(&format!("cores: {cores}"));
    out.line(&format!(
        "secp256k1 recoveries needed: {secp_ops}; time per recovery: {:.1} us (secp256k1 crate, one core)",
        recover_ns / 1000.0
    ));
    out.line(&format!(
        "bound: {secp_ops} x {:.1} us / {cores} cores = {:.2} s = {:.0} rows/s",
        recover_ns / 1000.0,
        doc.bound_seconds,
        doc.bound_rows_per_second
    ));
    out.line(&format!(
        "verify: {:.2} s = {:.0} rows/s; ratio to bound {:.2}x (target <= 1.3x)",
        verify_seconds, doc.rows_per_second, doc.ratio_to_bound
    ));
    out.line(&format!(
        "peak RSS: verification {}, whole process {}",
        mib(doc.peak_rss_verify_kib),
        mib(doc.peak_rss_process_kib)
    ));
    out.line(&format!(
        "result: {} rows, {} passed, {} failed, summary {}",
        report.rows,
        report.proven,
        report.failed,
        if report.summary_mismatches().next().is_none() {
            "matches"
        } else {
            "MISMATCH"
        }
    ));
    out.document("bench-verify-report", &doc);
    Ok(if doc.all_valid {
        Exit::Ok
    } else {
        Exit::Invalid
    })
}
