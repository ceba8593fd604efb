//! `porsign sign`: sign the challenge with every reserve address the named devices hold.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::app::DeviceError;
use crate::challenge::Challenge;
use crate::device::{DeviceSpec, Recorder, Transport, TransportError};
use crate::model::{Chain, Network};
use crate::sign::{self, progress, SignError, SignSummary};

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The challenge file every address signs.
    #[arg(long)]
    pub challenge: PathBuf,
    /// Reserves list (CSV with header chain,network,address,path[,descriptor][,amount][,fingerprint]).
    #[arg(long, required_unless_present = "descriptor")]
    pub reserves: Option<PathBuf>,
    /// Enumerate single-key addresses from a ranged descriptor instead, e.g.
    /// "wpkh([f5acc2fd/84'/0'/0']xpub.../0/*)".
    #[arg(long, requires = "range")]
    pub descriptor: Option<String>,
    /// Index range for --descriptor, START..END (END excluded).
    #[arg(long, value_parser = parse_range)]
    pub range: Option<(u32, u32)>,
    /// Network of --descriptor addresses.
    #[arg(long, default_value = "mainnet", value_parser = parse_network)]
    pub network: Network,
    /// The bundle to write; an unfinished one with the same challenge is resumed.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Who holds the reserves (goes into the bundle header).
    #[arg(long, default_value = "unnamed custodian")]
    pub custodian: String,
    /// Device to sign with: hid, hid:<index>, speculos, speculos:<host>:<port>. Repeat to sign
    /// with several devices at once.
    #[arg(long = "device", default_value = "hid")]
    pub devices: Vec<DeviceSpec>,
    /// Shorthand for --device speculos:<host:port>.
    #[arg(long)]
    pub speculos: Option<String>,
    /// Record every APDU exchange to this transcript file (one device only).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Seconds to wait for each device reply (the device may wait for a person).
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Addresses per batch proof (one approval each), for every script type, 1 to 512. The
    /// defaults: 500 P2WPKH and P2SH-P2WPKH, 250 P2TR, 25 P2PKH (legacy signing is slow on
    /// the device).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512), conflicts_with = "no_batch")]
    pub batch_size: Option<u16>,
    /// Sign one address at a time (SIGN_MESSAGE per address, the challenge shown each time)
    /// instead of batch proofs.
    #[arg(long)]
    pub no_batch: bool,
    /// When the bundle is finished, seal it with the key at this path on the (first) Bitcoin
    /// device: the device shows and signs the bundle's digest (`porsign bundle seal`).
    #[arg(long, value_name = "PATH")]
    pub seal: Option<bitcoin::bip32::DerivationPath>,
}

impl SignArgs {
    /// The run's options from the flags.
    pub fn options(&self) -> sign::SignOptions {
        sign::SignOptions {
            batch: match (self.no_batch, self.batch_size) {
                (true, _) => None,
                (false, Some(n)) => Some(sign::batch::BatchSizes::all(usize::from(n))),
                (false, None) => Some(sign::batch::BatchSizes::default()),
            },
        }
    }
}

fn parse_range(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once("..").ok_or("write the range as START..END")?;
    let a = a.parse().map_err(|_| format!("{a:?} is not an index"))?;
    let b = b.parse().map_err(|_| format!("{b:?} is not an index"))?;
    Ok((a, b))
}

fn parse_network(s: &str) -> Result<Network, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not mainnet, testnet, signet or regtest"))
}

#[derive(Serialize)]
struct SignDoc {
    output: String,
    challenge_sha256: String,
    signed: u64,
    already_done: u64,
    entries: u64,
    finished: bool,
    /// Multisig entries below their threshold (a cosigner's share): merge before verifying.
    needs_merge: u64,
    left_for_other_apps_or_devices: Vec<(Chain, u64)>,
}

pub fn run(out: &Output, args: SignArgs) -> Result<Exit, CliError> {
    let challenge = Challenge::load(&args.challenge).map_err(|e| CliError::new(Exit::Input, &e))?;
    let reserves = match (&args.reserves, &args.descriptor, args.range) {
        (Some(path), _, _) => sign::reserves::load_csv(path),
        (None, Some(d), Some((a, b))) => {
            sign::reserves::enumerate_descriptor(d, args.network, a, b)
        }
        _ => {
            return Err(CliError::msg(
                Exit::Input,
                "give --reserves FILE or --descriptor D --range A..B",
            ))
        }
    }
    .map_err(|e| CliError::new(Exit::Input, &e))?;

    let mut specs = args.devices.clone();
    if let Some(addr) = &args.speculos {
        specs = vec![DeviceSpec::Speculos { addr: addr.clone() }];
    }
    if args.record.is_some() && specs.len() != 1 {
        return Err(CliError::msg(
            Exit::Input,
            "--record takes exactly one device",
        ));
    }
    if let Some(path) = &args.record {
        // A recording is evidence of what the device said: never replace one, and say so
        // before any device is touched.
        if path.exists() || path.is_symlink() {
            return Err(CliError::msg(
                Exit::Input,
                format!(
                    "--record {}: the file exists and porsign never overwrites a recording; choose another name",
                    path.display()
                ),
            ));
        }
    }
    // The operator compares this with the message shown on the device before approving.
    super::output::diag(&format!(
        "porsign: challenge sha256 {}\nporsign: message: {}",
        challenge.message_sha256(),
        challenge.message
    ));
    let timeout = Duration::from_secs(args.timeout);
    let mut transports: Vec<Box<dyn Transport + Send>> = Vec::new();
    for spec in &specs {
        let t =
            crate::app::open(spec, timeout).map_err(|e| transport_error(&e, &spec.to_string()))?;
        transports.push(match &args.record {
            Some(path) => Box::new(Recorder::new(t, path, &format!("porsign sign on {spec}"))),
            None => t,
        });
    }
    let summary = sign_with(
        &mut transports,
        &reserves,
        &challenge,
        &args.output,
        &args.custodian,
        &args.options(),
    )?;
    let partial = sign::partial_multisig_entries(&args.output).map_err(|e| sign_error(&e))?;
    report(out, &summary, &partial, &args.output, &challenge);
    if let Some(path) = &args.seal {
        if !summary.finished || !partial.is_empty() {
            return Err(CliError::msg(
                Exit::Input,
                "--seal: the bundle is not complete yet (rows are owed, or multisig shares need a merge); seal it when it is, with porsign bundle seal",
            ));
        }
        let mut sessions = sign::open_sessions(&mut transports).map_err(|e| sign_error(&e))?;
        let session = sessions
            .iter_mut()
            .find(|s| s.chain() == Chain::Bitcoin)
            .ok_or_else(|| {
                CliError::msg(Exit::App, "--seal needs a device with the Bitcoin app open")
            })?;
        super::bundle_cmd::seal_and_report(out, session, path, &args.output)?;
    }
    Ok(Exit::Ok)
}

/// Opens sessions, the bundle, and signs; shared by `sign` and `demo`.
pub fn sign_with(
    transports: &mut [Box<dyn Transport + Send>],
    reserves: &[sign::Reserve],
    challenge: &Challenge,
    output: &std::path::Path,
    custodian: &str,
    options: &sign::SignOptions,
) -> Result<SignSummary, CliError> {
    let mut sessions = sign::open_sessions(transports).map_err(|e| sign_error(&e))?;
    for s in &sessions {
        super::output::diag(&format!("porsign: signing with the {}", s.describe()));
    }
    let (writer, _) =
        sign::open_bundle(output, challenge, custodian).map_err(|e| sign_error(&e))?;
    let bar = progress::Bar::for_terminal();
    let progress: &dyn sign::Progress = match &bar {
        Some(b) => b,
        None => &progress::NoticesOnly,
    };
    sign::sign_all_with(
        &mut sessions,
        reserves,
        challenge,
        writer,
        progress,
        options,
    )
    .map_err(|e| sign_error(&e))
}

/// `n` and the noun, singular or plural: "1 address", "2 addresses".
fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn report(
    out: &Output,
    s: &SignSummary,
    partial: &[sign::PartialMultisig],
    output: &std::path::Path,
    challenge: &Challenge,
) {
    let shown = output.display().to_string();
    out.line(&format!(
        "signed {} ({} already done), {} in {shown}",
        count(s.signed, "address", "addresses"),
        s.already_done,
        count(s.entries, "entry", "entries")
    ));
    for (chain, n) in &s.left_for_others {
        let (app, what) = match chain {
            Chain::Bitcoin => ("the Bitcoin app (or another device)", "Bitcoin"),
            Chain::Ethereum => ("the Ethereum app", "Ethereum"),
        };
        let rows = count(
            *n,
            &format!("{what} row still needs"),
            &format!("{what} rows still need"),
        );
        out.line(&format!(
            "{rows} {app}: open it and run the same command again"
        ));
    }
    if s.finished && partial.is_empty() {
        out.line(&format!(
            "bundle complete: porsign verify {shown} --challenge <challenge file>"
        ));
    } else if s.finished {
        // A cosigner's bundle: its multisig entries carry only this device's signatures.
        let entries = count(
            partial.len() as u64,
            "multisig entry holds",
            "multisig entries hold",
        );
        out.line(&format!(
            "bundle finished, but {entries} fewer signatures than the threshold (this device's share): it verifies only once merged with the other cosigners' bundles: porsign bundle merge {shown} <other cosigners' bundles> -o <merged bundle>"
        ));
    }
    out.document(
        "sign-report",
        &SignDoc {
            output: shown,
            challenge_sha256: challenge.message_sha256(),
            signed: s.signed,
            already_done: s.already_done,
            entries: s.entries,
            finished: s.finished,
            needs_merge: partial.len() as u64,
            left_for_other_apps_or_devices: s.left_for_others.clone(),
        },
    );
}

fn transport_error(e: &TransportError, device: &str) -> CliError {
    let mut err = CliError::new(Exit::Device, e);
    // A connect error names the address already; the others say which device they are about.
    if !matches!(e, TransportError::Connect { .. }) {
        err.message = format!("{device}: {}", err.message);
    }
    err
}

/// The exit code of a device error: rejected 4; locked, review pending, wrong or old app,
/// refused path 5; transport and protocol 3.
pub fn device_exit(e: &DeviceError) -> Exit {
    match e {
        DeviceError::Rejected => Exit::Rejected,
        // A state of the device the operator fixes at the device, not a broken link.
        DeviceError::Locked
        | DeviceError::ReviewPending
        | DeviceError::NoApp { .. }
        | DeviceError::WrongApp { .. }
        | DeviceError::NotThisApp { .. }
        | DeviceError::AppTooOld { .. }
        | DeviceError::PathRefused { .. } => Exit::App,
        _ => Exit::Device,
    }
}

const SAVED: &str = "everything signed before this is saved";

pub fn sign_error(e: &SignError) -> CliError {
    let exit = match e {
        SignError::Device { source, .. } | SignError::Open(source) => device_exit(source),
        SignError::WrongAppForRows { .. } => Exit::App,
        SignError::AddressMismatch { .. } | SignError::PolicyAddressMismatch { .. } => {
            Exit::AddressMismatch
        }
        SignError::HostVerify { .. } => Exit::BadDeviceSignature,
        _ => Exit::Input,
    };
    let err = CliError::new(exit, e);
    // What the operator does next, on its own line. Errors before the first signature (opening
    // the device, the wrong app) and unusable input say it in the message already.
    let hint = match e {
        SignError::Open(_) | SignError::WrongAppForRows { .. } => None,
        SignError::Device {
            source: DeviceError::Transport(TransportError::Timeout { .. }),
            ..
        } => Some(format!(
            "{SAVED}; run the same command again to resume (if the device still shows a review, approve or reject it there first)"
        )),
        // The device's state is named in the message, with what to do about it.
        SignError::Device { .. } if exit == Exit::App => Some(SAVED.to_owned()),
        SignError::AddressMismatch { .. } | SignError::PolicyAddressMismatch { .. } => Some(format!(
            "{SAVED}; correct that row of the reserves list (or sign it with the device that holds its key), then run the same command again"
        )),
        _ if exit == Exit::Input => None,
        _ => Some(format!("{SAVED}; run the same command again to resume")),
    };
    match hint {
        Some(hint) => err.with_hint(hint),
        None => err,
    }
}
