//! `porsign bench sign`: approvals, APDU round trips and the host's cost per signed address,
//! batched and one address at a time, measured against the in-process emulator. Everything the host does per address is counted (checking the device's key against
//! the address, building APDUs and the BIP-322 PSBT, re-verifying the signature, writing and
//! fsyncing the entry); the time spent inside the emulated device is subtracted.

use std::time::Instant;

use serde::Serialize;

use super::bench_cmd::BenchSignArgs;
use super::output::Output;
use super::{CliError, Exit};
use crate::challenge::{Challenge, ChallengeParams};
use crate::device::timed::{DeviceClock, Timed};
use crate::device::Transport;
use crate::emulator::keys::{SoftwareSigner, SPECULOS_DEFAULT_MNEMONIC};
use crate::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};
use crate::sign::progress::Quiet;
use crate::sign::SignOptions;

#[derive(Serialize)]
struct BenchSignDoc {
    addresses: u32,
    /// Batch proofs (the default): one SIGN_PSBT per account and script type.
    batched: ModeNumbers,
    /// `--no-batch`: one SIGN_MESSAGE (or BIP-322 PSBT for taproot) per address.
    per_address: ModeNumbers,
    with_fsync_ms_per_address: f64,
}

/// One signing run's numbers.
#[derive(Serialize)]
struct ModeNumbers {
    signed: u64,
    /// Reviews the operator approves: SIGN_PSBT and SIGN_MESSAGE commands.
    approvals: u64,
    approvals_per_1000_addresses: f64,
    exchanges: u64,
    exchanges_per_address: f64,
    total_seconds: f64,
    device_seconds: f64,
    host_seconds: f64,
    host_ms_per_address: f64,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::msg(Exit::Internal, format!("bench: {e}"))
}

/// Counts the commands that put a review on the device's screen.
struct Approvals<T> {
    inner: T,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<T: Transport> Transport for Approvals<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, crate::device::TransportError> {
        // SIGN_PSBT (E1 04) and SIGN_MESSAGE (E1 10): one review each.
        if matches!(apdu, [0xe1, 0x04, ..] | [0xe1, 0x10, ..]) {
            self.count
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.inner.exchange(apdu)
    }
}

pub fn run(out: &Output, args: BenchSignArgs) -> Result<Exit, CliError> {
    let signer = SoftwareSigner::speculos_default();
    let csv = signer.mixed_reserves_csv(args.addresses).map_err(fail)?;
    let reserves = crate::sign::reserves::parse_csv(csv.as_bytes()).map_err(fail)?;
    let challenge = Challenge::new(ChallengeParams {
        audit: "BENCH".into(),
        period: "2026-11".into(),
        auditor: None,
        anchor: None,
    })
    .map_err(fail)?;
    let n = args.addresses;
    let batched = measure(&reserves, &challenge, &SignOptions::default())?;
    let per_address = measure(&reserves, &challenge, &SignOptions { batch: None })?;
    // The fsync per entry is the price of never losing work; show it apart from compute.
    let fsync_ms = measure_fsync_ms();
    for (name, m) in [
        ("batched", &batched),
        ("per address (--no-batch)", &per_address),
    ] {
        out.line(&format!(
            "{name}: signed {} addresses in {:.2} s (device/emulator {:.2} s, host {:.2} s): {} approvals ({:.1} per 1,000 addresses), {} APDU exchanges ({:.1} per address), host {:.3} ms per address",
            m.signed,
            m.total_seconds,
            m.device_seconds,
            m.host_seconds,
            m.approvals,
            m.approvals_per_1000_addresses,
            m.exchanges,
            m.exchanges_per_address,
            m.host_ms_per_address
        ));
    }
    out.line(&format!(
        "(list: {n} addresses, a quarter each P2PKH, P2SH-P2WPKH, P2WPKH, P2TR on one account; host target < 1 ms per address; one fsync is about {fsync_ms:.3} ms on this disk)"
    ));
    let finished = batched.signed == u64::from(n) && per_address.signed == u64::from(n);
    out.document(
        "bench-sign-report",
        &BenchSignDoc {
            addresses: n,
            batched,
            per_address,
            with_fsync_ms_per_address: fsync_ms,
        },
    );
    Ok(if finished { Exit::Ok } else { Exit::Internal })
}

/// Signs the whole list once on a fresh in-process emulator.
fn measure(
    reserves: &[crate::sign::Reserve],
    challenge: &Challenge,
    options: &SignOptions,
) -> Result<ModeNumbers, CliError> {
    let dir = std::env::temp_dir().join(format!(
        "porsign-bench-sign-{}-{}",
        std::process::id(),
        options.batch.is_some()
    ));
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let output = dir.join("bundle.jsonl");
    let _ = std::fs::remove_file(&output);
    let emulator = Emulator::new(EmulatorConfig {
        app: AppMode::Bitcoin,
        mnemonic: SPECULOS_DEFAULT_MNEMONIC.into(),
        approval: Approval::Auto,
        faults: Faults::default(),
    })
    .map_err(fail)?;
    let clock = DeviceClock::default();
    let approvals = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut transports: Vec<Box<dyn Transport + Send>> = vec![Box::new(Approvals {
        inner: Timed::new(InProcessTransport::new(emulator), clock.clone()),
        count: approvals.clone(),
    })];
    let start = Instant::now();
    let mut sessions = crate::sign::open_sessions(&mut transports).map_err(fail)?;
    let (writer, _) = crate::sign::open_bundle(&output, challenge, "bench").map_err(fail)?;
    let summary =
        crate::sign::sign_all_with(&mut sessions, reserves, challenge, writer, &Quiet, options)
            .map_err(fail)?;
    let total = start.elapsed().as_secs_f64();
    drop(sessions);
    let _ = std::fs::remove_dir_all(&dir);
    let device = clock.seconds();
    let host = (total - device).max(0.0);
    let count = (reserves.len() as f64).max(1.0);
    let approvals = approvals.load(std::sync::atomic::Ordering::Relaxed);
    let exchanges = clock.exchanges();
    Ok(ModeNumbers {
        signed: summary.signed,
        approvals,
        approvals_per_1000_addresses: approvals as f64 * 1000.0 / count,
        exchanges,
        exchanges_per_address: exchanges as f64 / count,
        total_seconds: total,
        device_seconds: device,
        host_seconds: host,
        host_ms_per_address: host * 1000.0 / count,
    })
}

/// The cost of one small append + fsync on the temp directory's disk, in ms.
fn measure_fsync_ms() -> f64 {
    use std::io::Write;
    let path = std::env::temp_dir().join(format!("porsign-fsync-{}", std::process::id()));
    let Ok(mut f) = std::fs::File::create(&path) else {
        return 0.0;
    };
    let start = Instant::now();
    for _ in 0..50 {
        let _ = f.write_all(b"{\"x\":1}\n");
        let _ = f.sync_data();
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / 50.0;
    let _ = std::fs::remove_file(&path);
    ms
}
