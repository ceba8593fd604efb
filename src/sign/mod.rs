//! `porsign sign`: work through a reserves list on one or more devices and append every proof
//! to the bundle, never losing finished work and never signing an address twice.
//!
//! Each entry is written and fsynced before the next request goes to a device, so a run stopped
//! by Ctrl-C, an unplugged device or a rejection resumes with the same command from the file.

pub mod batch;
pub mod batch_multisig;
mod cosigner;
pub mod multisig;
mod outcome;
pub mod paths;
pub mod progress;
pub mod prove;
pub mod reserves;
pub mod seal;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;

use crate::app::DeviceError;
use crate::bundle::{BundleError, BundleWriter, Header, BUNDLE_FORMAT, BUNDLE_VERSION};
use crate::challenge::Challenge;
use crate::device::Transport;
use crate::model::{Chain, Network};
use crate::sync::{into_inner, lock};

pub use progress::Progress;
pub use prove::Session;
pub use reserves::{KeySource, Reserve};

/// Why signing stopped. Everything signed before it is in the bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("{address}")]
    Device {
        address: String,
        #[source]
        source: DeviceError,
    },
    #[error("opening the device")]
    Open(#[source] DeviceError),
    #[error("reserves list line {line}: the device's key at {path} does not produce {address}; refusing to sign")]
    AddressMismatch {
        line: u64,
        address: String,
        path: String,
    },
    #[error("reserves list line {line}: the multisig policy registered on the device produces {from_device} at change {change}, index {index}, not the listed {address}; refusing to sign")]
    PolicyAddressMismatch {
        line: u64,
        address: String,
        from_device: String,
        change: u8,
        index: u32,
    },
    /// The open app (or apps) can sign none of the rows still owed.
    #[error("{open}, but {}: open {} and run the same command again", needed_apps(.needed), if .needed.len() == 1 { "it" } else { "one of them" })]
    WrongAppForRows {
        /// "the Ethereum app is open", "the Bitcoin app on device f5acc2fd is open".
        open: String,
        /// The apps the owed rows need, with how many rows each.
        needed: Vec<(&'static str, u64)>,
    },
    #[error("{address}: the device's signature does not verify on the host ({reason}); nothing was written for it")]
    HostVerify { address: String, reason: String },
    #[error("reserves list line {line}: {reason}")]
    Reserve { line: u64, reason: String },
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(
        "{path} holds a bundle for another challenge (sha256 {found}); use another output file"
    )]
    OtherChallenge { path: String, found: String },
    #[error("seal: {0}")]
    Seal(String),
    #[error("{path} is already finished (it has its footer): nothing is left to sign in it; check it with porsign verify, or sign into another output file")]
    AlreadyFinished { path: String },
}

/// "1 pending row needs the Bitcoin app", "3 pending rows need the Bitcoin app and 1 the
/// Bitcoin Test app".
fn needed_apps(needed: &[(&'static str, u64)]) -> String {
    let mut parts = needed.iter().enumerate().map(|(i, (app, n))| match (i, n) {
        (0, 1) => format!("1 pending row needs the {app} app"),
        (0, n) => format!("{n} pending rows need the {app} app"),
        (_, n) => format!("{n} the {app} app"),
    });
    let first = parts.next().unwrap_or_default();
    parts.fold(first, |all, part| format!("{all} and {part}"))
}

impl SignError {
    /// The device error inside, if any (for exit codes).
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            SignError::Device { source, .. } | SignError::Open(source) => Some(source),
            _ => None,
        }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignSummary {
    /// Entries appended by this run.
    pub signed: u64,
    /// Entries that were already in the bundle (a resumed run skips them).
    pub already_done: u64,
    /// Rows this run's devices cannot sign (other chain or network, other device, other app).
    pub left_for_others: Vec<(Chain, u64)>,
    /// Whether the bundle got its footer (every row is done).
    pub finished: bool,
    pub entries: u64,
}

/// Opens the bundle at `output` for this challenge: a new one, or the one a stopped run left.
pub fn open_bundle(
    output: &Path,
    challenge: &Challenge,
    custodian: &str,
) -> Result<(BundleWriter, u64), SignError> {
    if output.exists() {
        let (writer, state) = match BundleWriter::resume(output) {
            Ok(x) => x,
            Err(BundleError::Finished { .. }) => {
                return Err(SignError::AlreadyFinished {
                    path: output.display().to_string(),
                })
            }
            Err(e) => return Err(e.into()),
        };
        if state.header.challenge != challenge.message {
            return Err(SignError::OtherChallenge {
                path: output.display().to_string(),
                found: state.header.challenge_sha256,
            });
        }
        return Ok((writer, state.entries));
    }
    let header = Header {
        format: BUNDLE_FORMAT.into(),
        version: BUNDLE_VERSION,
        challenge: challenge.message.clone(),
        challenge_sha256: challenge.message_sha256(),
        custodian: custodian.to_owned(),
        created_at: now_rfc3339(),
        tool: format!("porsign {}", env!("CARGO_PKG_VERSION")),
    };
    Ok((BundleWriter::create(output, &header)?, 0))
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Signs every row the given devices can sign, appending to `writer`. Single-key rows are shared
/// out between devices (each device takes the next row it can sign); multisig rows are signed
/// by each cosigner device present, and written once as one entry carrying its signatures.
///
/// On the first error the run stops (other devices finish the row they are on) and the error is
/// returned; what was written stays written.
pub fn sign_all(
    sessions: &mut [Session<'_>],
    reserves: &[Reserve],
    challenge: &Challenge,
    writer: BundleWriter,
    progress: &dyn Progress,
) -> Result<SignSummary, SignError> {
    sign_all_with(
        sessions,
        reserves,
        challenge,
        writer,
        progress,
        &SignOptions::default(),
    )
}

/// How a run signs: batched (the default) or one address at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignOptions {
    /// Batch sizes per script type; `None` signs one address at a time (`--no-batch`).
    pub batch: Option<batch::BatchSizes>,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            batch: Some(batch::BatchSizes::default()),
        }
    }
}

/// One unit of work for a device: a row, or a batch of rows signed with one approval.
enum Work<'r> {
    Single(&'r Reserve),
    Batch(batch::BatchPlan<'r>),
}

impl Work<'_> {
    fn can_sign(&self, session: &Session<'_>) -> bool {
        match self {
            Work::Single(r) => session.can_sign(r),
            Work::Batch(plan) => plan.rows.iter().all(|row| session.can_sign(row.reserve)),
        }
    }
}

/// [`sign_all`] with options.
pub fn sign_all_with(
    sessions: &mut [Session<'_>],
    reserves: &[Reserve],
    challenge: &Challenge,
    writer: BundleWriter,
    progress: &dyn Progress,
    options: &SignOptions,
) -> Result<SignSummary, SignError> {
    let message = challenge.message.as_bytes();
    let already_done = reserves
        .iter()
        .filter(|r| writer.contains(r.chain, r.network, &r.address))
        .count() as u64;
    let pending: Vec<&Reserve> = reserves
        .iter()
        .filter(|r| !writer.contains(r.chain, r.network, &r.address))
        .collect();
    let signable: Vec<&Reserve> = pending
        .iter()
        .copied()
        .filter(|r| sessions.iter().any(|s| s.can_sign(r)))
        .collect();
    if signable.is_empty() {
        // Nothing this device can do, yet rows are owed: the wrong app (or device) is open.
        let owed: Vec<&&Reserve> = pending
            .iter()
            .filter(|r| belongs_to_this_bundle(r, sessions))
            .collect();
        if !owed.is_empty() {
            let mut needed: Vec<(&'static str, u64)> = Vec::new();
            for row in &owed {
                let app = match (row.chain, row.network) {
                    (Chain::Ethereum, _) => "Ethereum",
                    (Chain::Bitcoin, Network::Mainnet) => "Bitcoin",
                    (Chain::Bitcoin, _) => "Bitcoin Test",
                };
                match needed.iter_mut().find(|(a, _)| *a == app) {
                    Some((_, n)) => *n += 1,
                    None => needed.push((app, 1)),
                }
            }
            let apps: Vec<String> = sessions
                .iter()
                .map(|s| format!("the {}", s.describe()))
                .collect();
            let open = match apps.as_slice() {
                [one] => format!("{one} is open"),
                many => format!("{} are open", many.join(", ")),
            };
            return Err(SignError::WrongAppForRows { open, needed });
        }
    }
    // Rows a device can take but the app cannot sign with its keys are refused before the first
    // signature, not half way through the list.
    for reserve in &signable {
        for session in sessions.iter().filter(|s| s.can_sign(reserve)) {
            session.preflight(reserve)?;
        }
    }
    progress.start(signable.len() as u64);

    let single_key: Vec<&Reserve> = signable
        .iter()
        .copied()
        .filter(|r| matches!(r.key, KeySource::Path(_)))
        .collect();
    let (plans, singles) = batch::plan(&single_key, options.batch);
    let queue: Mutex<VecDeque<Work<'_>>> = Mutex::new(
        plans
            .into_iter()
            .map(Work::Batch)
            .chain(singles.into_iter().map(Work::Single))
            .collect(),
    );
    let writer = Mutex::new(writer);
    let failed: Mutex<Option<SignError>> = Mutex::new(None);
    let signed = Mutex::new(0u64);

    // Single-key rows: one worker per device, pulling from a shared queue.
    std::thread::scope(|scope| {
        for session in sessions.iter_mut() {
            let (queue, writer, failed, signed) = (&queue, &writer, &failed, &signed);
            scope.spawn(move || loop {
                if lock(failed).is_some() {
                    break;
                }
                let next = {
                    let mut q = lock(queue);
                    let pos = q.iter().position(|w| w.can_sign(session));
                    pos.and_then(|p| q.remove(p))
                };
                let Some(work) = next else { break };
                let done = match work {
                    Work::Single(reserve) => {
                        progress.working_on(&reserve.address);
                        session.prove(reserve, message).and_then(|entry| {
                            lock(writer).append(entry)?;
                            progress.advance();
                            Ok(1)
                        })
                    }
                    Work::Batch(plan) => {
                        announce_batch(progress, &plan.describe(), session, message);
                        session
                            .prove_batch(&plan, message, &mut || progress.advance())
                            .and_then(|entries| {
                                let n = entries.len() as u64;
                                lock(writer).append_batch(entries)?;
                                Ok(n)
                            })
                    }
                };
                match done {
                    Ok(n) => {
                        *lock(signed) += n;
                    }
                    Err(e) => {
                        let mut f = lock(failed);
                        if f.is_none() {
                            *f = Some(e);
                        }
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = into_inner(failed) {
        progress.finish();
        return Err(e);
    }

    // Multisig rows: every cosigner device present signs; one entry per address. When a
    // cosigner fails, the shares already approved on the others are written before the run
    // stops: an approval is never thrown away (the entry then carries fewer signatures, and a
    // merge with the missing cosigner's own bundle completes it).
    let mut writer = into_inner(writer);
    let mut signed = into_inner(signed);
    let multisig_rows: Vec<&Reserve> = signable
        .iter()
        .copied()
        .filter(|r| matches!(r.key, KeySource::Multisig(_)))
        .collect();
    let (multisig_plans, multisig_singles) = batch_multisig::plan(&multisig_rows, options.batch);
    // Multisig batches: every cosigner device present signs the batch once; the shares are
    // combined, checked on the host and written as one batch (all or nothing).
    for plan in &multisig_plans {
        let mut slots: Option<Vec<batch_multisig::Slots>> = None;
        let mut signers = Vec::new();
        for session in sessions
            .iter_mut()
            .filter(|s| plan.rows.iter().all(|r| s.can_sign(r)))
        {
            announce_batch(progress, &plan.describe(), session, message);
            let share = match session.prove_multisig_batch(plan, message, &mut || {}) {
                Ok(share) => share,
                Err(e) => {
                    progress.finish();
                    return Err(e);
                }
            };
            signers.extend(session.fingerprint());
            slots = Some(match slots {
                None => share,
                Some(mut all) => {
                    for (input, theirs) in all.iter_mut().zip(share) {
                        for (slot, sig) in input.iter_mut().zip(theirs) {
                            if slot.is_none() {
                                *slot = sig;
                            }
                        }
                    }
                    all
                }
            });
        }
        let Some(slots) = slots else { continue };
        let signer = match signers.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let entries = batch_multisig::entries(plan, message, &slots, signer)
            .inspect_err(|_| progress.finish())?;
        let n = entries.len() as u64;
        writer.append_batch(entries)?;
        signed += n;
        for _ in 0..n {
            progress.advance();
        }
    }
    for reserve in multisig_singles {
        progress.working_on(&reserve.address);
        let mut entry: Option<crate::bundle::Entry> = None;
        let mut failure: Option<SignError> = None;
        for session in sessions.iter_mut().filter(|s| s.can_sign(reserve)) {
            let share = match session.prove(reserve, message) {
                Ok(share) => share,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            match &mut entry {
                None => entry = Some(share),
                Some(e) => {
                    // Devices with one seed hold the same keys and sign identically (RFC 6979):
                    // keep each signature once.
                    for sig in share.signatures {
                        if !e.signatures.contains(&sig) {
                            e.signatures.push(sig);
                        }
                    }
                    // The entry now speaks for several devices.
                    e.path = None;
                    e.fingerprint = None;
                }
            }
        }
        if let Some(e) = entry {
            writer.append(e)?;
            signed += 1;
            progress.advance();
        }
        if let Some(e) = failure {
            progress.finish();
            return Err(e);
        }
    }
    progress.finish();

    let left: Vec<&Reserve> = reserves
        .iter()
        .filter(|r| !writer.contains(r.chain, r.network, &r.address))
        .filter(|r| !sessions.iter().any(|s| s.can_sign(r)))
        .filter(|r| belongs_to_this_bundle(r, sessions))
        .collect();
    let mut left_for_others: Vec<(Chain, u64)> = Vec::new();
    for r in &left {
        match left_for_others.iter_mut().find(|(c, _)| *c == r.chain) {
            Some((_, n)) => *n += 1,
            None => left_for_others.push((r.chain, 1)),
        }
    }
    let entries = writer.entries();
    let finished = left.is_empty();
    if finished {
        writer.finish()?;
    }
    Ok(SignSummary {
        signed,
        already_done,
        left_for_others,
        finished,
        entries,
    })
}

/// Tells the operator, before a batch goes to a device, what it covers and what the device's
/// screen will show for it.
fn announce_batch(progress: &dyn Progress, what: &str, session: &Session<'_>, message: &[u8]) {
    progress.notice(&format!(
        "{what} on the {}: one approval; the device will show \"To: OP_RETURN 0x{}\": compare it with this",
        session.describe(),
        batch::screen_tag(message)
    ));
    progress.working_on(what);
}

/// Whether a row the current sessions cannot sign is still owed by this bundle. Rows routed to
/// another device's fingerprint, and multisig rows for which this device holds no key, belong
/// to the other devices' bundles (merged later). Rows of another chain or network, with no
/// routing to rule them out, wait for the right app: the bundle is not finished without them.
fn belongs_to_this_bundle(reserve: &Reserve, sessions: &[Session<'_>]) -> bool {
    let fingerprints: Vec<[u8; 4]> = sessions.iter().filter_map(|s| s.fingerprint()).collect();
    if let Some(want) = reserve.fingerprint {
        if !fingerprints.is_empty() && !fingerprints.contains(&want) {
            return false;
        }
    }
    if let KeySource::Multisig(m) = &reserve.key {
        if !fingerprints.is_empty() && fingerprints.iter().all(|f| m.row.keys_of(*f).is_empty()) {
            return false;
        }
    }
    true
}

/// A multisig entry of a bundle that carries fewer signatures than its threshold: one
/// cosigner's share, which verifies only once merged with the others' (`porsign bundle merge`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialMultisig {
    pub address: String,
    pub signatures: usize,
    pub threshold: usize,
}

/// The multisig entries of the bundle at `path` that need a merge to verify. Entries whose
/// descriptor cannot be read are left to the verifier.
pub fn partial_multisig_entries(path: &Path) -> Result<Vec<PartialMultisig>, SignError> {
    use crate::bundle::reader::{decode_line, LineReader};
    use crate::bundle::{Line, Scheme};
    let mut lines = LineReader::open(path)?;
    let mut partial = Vec::new();
    while let Some(raw) = lines.next_line()? {
        let Ok(Line::Entry(entry)) = decode_line(raw.number, &raw.text) else {
            continue;
        };
        if entry.scheme == Scheme::Bip322Batch && entry.descriptor.is_some() {
            // A cosigner's share of a multisig batch input, in slot form.
            let share = entry
                .signatures
                .first()
                .map(|p| crate::scheme::bip322::batch_multisig::partial_multisig_input(p));
            if let Some(Ok(Some((signatures, threshold)))) = share {
                partial.push(PartialMultisig {
                    address: entry.address,
                    signatures,
                    threshold,
                });
            }
            continue;
        }
        if entry.scheme != Scheme::Bip137Multisig {
            continue;
        }
        let Some(descriptor) = &entry.descriptor else {
            continue;
        };
        let Some(network) = entry.network.known() else {
            continue;
        };
        let Ok(row) = multisig::parse_multisig(descriptor, network) else {
            continue;
        };
        if entry.signatures.len() < row.script.threshold {
            partial.push(PartialMultisig {
                address: entry.address,
                signatures: entry.signatures.len(),
                threshold: row.script.threshold,
            });
        }
    }
    Ok(partial)
}

/// Opens a session on each transport, checking the app.
pub fn open_sessions<'t>(
    transports: &'t mut [Box<dyn Transport + Send>],
) -> Result<Vec<Session<'t>>, SignError> {
    transports
        .iter_mut()
        .map(|t| Session::open(&mut **t).map_err(SignError::Open))
        .collect()
}
