//! The command line: clap definitions, dispatch, and the one place errors become messages and
//! exit codes. Results go to stdout, diagnostics to stderr.

// The commands that need software keys (the emulator, the demo, the benchmarks) exist only with
// the `emulator` feature: a build without it carries no software signer.
#[cfg(feature = "emulator")]
mod bench_bundle;
#[cfg(feature = "emulator")]
mod bench_cmd;
#[cfg(feature = "emulator")]
mod bench_report;
#[cfg(feature = "emulator")]
mod bench_sign;
mod bundle_cmd;
mod challenge_cmd;
#[cfg(feature = "emulator")]
mod demo_cmd;
mod devices_cmd;
#[cfg(feature = "emulator")]
pub mod emulate_cmd;
pub mod exit;
mod okx_cmd;
mod okx_report;
mod output;
mod report_cmd;
pub mod sign_cmd;
mod verify_cmd;
mod verify_json;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::Exit;
pub use output::CliError;

/// porsign: prove ownership of reserve addresses with hardware signers, and verify the proofs.
#[derive(Debug, Parser)]
#[command(name = "porsign", version, about, long_about = None)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Machine-readable output on stdout (a versioned JSON document; errors too).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES_HELP: &str = "Exit codes: 0 ok, 1 verification failed, 2 unusable input, \
3 device/transport error, 4 rejected on the device, 5 device locked, review pending on the \
device, wrong/old app or refused path, 6 a device signature failed host re-verification, 7 the device's key does not \
produce a listed address, 70 internal error.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make or show the audit challenge that every address signs.
    #[command(subcommand)]
    Challenge(ChallengeCommand),
    /// Verify an attestation bundle against the challenge, or an OKX proof-of-reserves CSV.
    Verify(VerifyArgs),
    /// Verify like `verify` (same checks, output and exit code) and write the auditor's
    /// self-contained HTML report.
    Report(report_cmd::ReportArgs),
    /// Convert another tool's file into a bundle.
    #[command(subcommand)]
    Import(okx_cmd::ImportCommand),
    /// Measure porsign's verifiers.
    #[cfg(feature = "emulator")]
    #[command(subcommand)]
    Bench(bench_cmd::BenchCommand),
    /// Sign the challenge with the key of every reserve address on the named devices.
    Sign(sign_cmd::SignArgs),
    /// Work with bundles (merge cosigners' partial bundles).
    #[command(subcommand)]
    Bundle(bundle_cmd::BundleCommand),
    /// Run the built-in Ledger emulator (Speculos-compatible; tests and demos only).
    #[cfg(feature = "emulator")]
    Emulate(emulate_cmd::EmulateArgs),
    /// The whole flow on built-in emulated Ledgers: challenge, sign a sample reserves list
    /// (every address type, a 2-of-3 multisig of three devices, Ethereum), merge, verify.
    #[cfg(feature = "emulator")]
    Demo(demo_cmd::DemoArgs),
    /// List the Ledger devices plugged in over USB (and the --device name of each).
    Devices,
}

#[derive(Debug, Subcommand)]
pub enum ChallengeCommand {
    /// Write a new challenge file with fresh randomness.
    New(ChallengeNewArgs),
    /// Print a challenge's message and its SHA-256.
    Show(ChallengeShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct ChallengeNewArgs {
    /// Audit identifier, e.g. AUD-2026-11 (printable ASCII, no '=').
    #[arg(long)]
    pub audit: String,
    /// Audit period, YYYY-MM.
    #[arg(long)]
    pub period: String,
    /// Auditor name.
    #[arg(long)]
    pub auditor: Option<String>,
    /// A recent block hash (64 hex digits): the signatures cannot predate it.
    #[arg(long)]
    pub anchor: Option<String>,
    /// Where to write the challenge (refuses to overwrite an existing file).
    #[arg(long, short, default_value = "challenge.json")]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ChallengeShowArgs {
    /// The challenge file.
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The file to verify: a porsign bundle (JSON Lines, versions 1 and 2) or an OKX proof-of-reserves CSV.
    pub bundle: PathBuf,
    /// The challenge file the bundle must have signed.
    #[arg(long, conflicts_with = "message")]
    pub challenge: Option<PathBuf>,
    /// The exact message the bundle must have signed (instead of --challenge). Required for
    /// bundles; for OKX files every row must have signed it (without it, the first row's).
    #[arg(long)]
    pub message: Option<String>,
    /// The file's format (default: detected from its first bytes).
    #[arg(long, value_enum, default_value_t = FileFormatArg::Auto)]
    pub format: FileFormatArg,
    /// OKX files: do not compare the detail rows with the summary block (for excerpts).
    #[arg(long)]
    pub no_summary_check: bool,
    /// OKX files: how many failed rows the JSON report lists (all are printed in text mode).
    #[arg(long, default_value_t = 1000)]
    pub max_failures: usize,
    /// Bundles, with --json: leave out the per-entry results (counts, totals and failures
    /// only), for very large bundles.
    #[arg(long)]
    pub summary_only: bool,
    /// Bundles: the chain tip's block height now. BIP-322 proofs locked to a block height
    /// (nLockTime below 500,000,000) are valid only from that height; without this they
    /// cannot be shown valid and fail.
    #[arg(long, value_name = "HEIGHT")]
    pub tip_height: Option<u32>,
    /// OKX files: accept rows proven only by owner keys (eoa1/eoa2 of contracts and staking
    /// validators, Aptos authentication keys); they stay totalled apart from proven rows.
    #[arg(long)]
    pub accept_owner_attested: bool,
    /// OKX files: accept that a status column leaves verified rows out (OKX counts status 5
    /// only); the excluded rows are still listed.
    #[arg(long)]
    pub accept_status_excluded: bool,
}

/// `--format` of `porsign verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormatArg {
    Auto,
    Bundle,
    Okx,
}

/// Entry point for `main`: parse, run, print, map to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout with exit 0 and usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(Exit::Input.code()));
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            output::report_error(&err, json);
            err.exit.into()
        }
    }
}

/// Runs a parsed command. Returns the exit status of a command that ran to its end (which may
/// be `Invalid` for a verification that found failures), or the error that stopped it.
pub fn run(cli: Cli) -> Result<Exit, CliError> {
    let out = output::Output::new(cli.json);
    match cli.command {
        Command::Challenge(ChallengeCommand::New(args)) => challenge_cmd::new(&out, args),
        Command::Challenge(ChallengeCommand::Show(args)) => challenge_cmd::show(&out, args),
        Command::Verify(args) => verify_cmd::run(&out, args),
        Command::Report(args) => report_cmd::run(&out, args),
        Command::Import(okx_cmd::ImportCommand::Okx(args)) => okx_cmd::import(&out, args),
        #[cfg(feature = "emulator")]
        Command::Bench(bench_cmd::BenchCommand::Verify(args)) => bench_cmd::run(&out, args),
        #[cfg(feature = "emulator")]
        Command::Bench(bench_cmd::BenchCommand::Sign(args)) => bench_cmd::run_sign(&out, args),
        #[cfg(feature = "emulator")]
        Command::Bench(bench_cmd::BenchCommand::Bundle(args)) => bench_cmd::run_bundle(&out, args),
        #[cfg(feature = "emulator")]
        Command::Bench(bench_cmd::BenchCommand::Report(args)) => bench_report::run(&out, args),
        Command::Sign(args) => sign_cmd::run(&out, args),
        Command::Bundle(cmd) => bundle_cmd::run(&out, cmd),
        #[cfg(feature = "emulator")]
        Command::Emulate(args) => emulate_cmd::run(&out, args),
        #[cfg(feature = "emulator")]
        Command::Demo(args) => demo_cmd::run(&out, args),
        Command::Devices => devices_cmd::run(&out),
    }
}
