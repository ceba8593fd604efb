//! `porsign bundle merge` and `porsign bundle seal`.

use std::path::PathBuf;

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::bundle::merge::{merge_bundles, MergeError};

#[derive(Debug, clap::Subcommand)]
pub enum BundleCommand {
    /// Combine partial bundles (one per cosigner or device) for the same challenge into one;
    /// multisig entries get every cosigner's signature. Conflicting inputs are refused.
    Merge(MergeArgs),
    /// Seal a finished bundle: the custodian's device signs (and shows) a text naming the
    /// bundle's digest, entry count and challenge; verify then reports who vouches for it, and
    /// any later edit fails.
    Seal(SealArgs),
}

#[derive(Debug, clap::Args)]
pub struct SealArgs {
    /// The finished bundle to seal (the seal line is appended to it).
    pub bundle: PathBuf,
    /// The device with the Bitcoin app open: hid, hid:<index>, speculos:<host>:<port>.
    #[arg(long, default_value = "hid")]
    pub device: crate::device::DeviceSpec,
    /// Path of the sealing key (BIP-44, BIP-49 or BIP-84), e.g. m/84'/0'/0'/0/0.
    #[arg(long)]
    pub path: bitcoin::bip32::DerivationPath,
    /// Seconds to wait for the device (it waits for a person to approve).
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Serialize)]
struct SealDoc {
    bundle: String,
    text: String,
    address: String,
    path: Option<String>,
}

/// Seals `bundle` with the key at `path` on `session`'s device and reports the seal.
pub fn seal_and_report(
    out: &Output,
    session: &mut crate::sign::Session<'_>,
    path: &bitcoin::bip32::DerivationPath,
    bundle: &std::path::Path,
) -> Result<(), CliError> {
    super::output::diag(&format!(
        "porsign: sealing {} with the key at m/{path}: the device shows the seal text; approve it if it matches",
        bundle.display()
    ));
    let seal = crate::sign::seal::seal_bundle(session, path, bundle)
        .map_err(|e| super::sign_cmd::sign_error(&e))?;
    let shown = bundle.display().to_string();
    out.line(&format!(
        "sealed {shown} by {}: \"{}\"",
        seal.address, seal.text
    ));
    out.document(
        "seal-report",
        &SealDoc {
            bundle: shown,
            text: seal.text,
            address: seal.address,
            path: seal.path,
        },
    );
    Ok(())
}

fn run_seal(out: &Output, args: SealArgs) -> Result<Exit, CliError> {
    let timeout = std::time::Duration::from_secs(args.timeout);
    let transport = crate::app::open(&args.device, timeout).map_err(|e| {
        let mut err = CliError::new(Exit::Device, &e);
        err.message = format!("{}: {}", args.device, err.message);
        err
    })?;
    let mut transports = vec![transport];
    let mut sessions =
        crate::sign::open_sessions(&mut transports).map_err(|e| super::sign_cmd::sign_error(&e))?;
    let session = sessions
        .first_mut()
        .ok_or_else(|| CliError::msg(Exit::Device, "no device"))?;
    seal_and_report(out, session, &args.path, &args.bundle)?;
    Ok(Exit::Ok)
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The finished partial bundles.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The merged bundle to write (must not exist).
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Serialize)]
struct MergeDoc {
    output: String,
    inputs: usize,
    entries: u64,
    multisig_entries: u64,
}

pub fn run(out: &Output, command: BundleCommand) -> Result<Exit, CliError> {
    let args = match command {
        BundleCommand::Merge(args) => args,
        BundleCommand::Seal(args) => return run_seal(out, args),
    };
    let inputs: Vec<&std::path::Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    let summary =
        merge_bundles(&inputs, &args.output, crate::sign::now_rfc3339()).map_err(|e| {
            let exit = match e {
                MergeError::Conflict { .. } | MergeError::Challenge { .. } => Exit::Invalid,
                _ => Exit::Input,
            };
            CliError::new(exit, &e)
        })?;
    let shown = args.output.display().to_string();
    out.line(&format!(
        "merged {} bundles into {shown}: {} entries ({} multisig)",
        summary.inputs, summary.entries, summary.multisig_entries
    ));
    out.document(
        "merge-report",
        &MergeDoc {
            output: shown,
            inputs: summary.inputs,
            entries: summary.entries,
            multisig_entries: summary.multisig_entries,
        },
    );
    Ok(Exit::Ok)
}
