//! `porsign bundle merge`.

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
    let BundleCommand::Merge(args) = command;
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
