//! The soak test: a list of 1,000 addresses signed on emulators that fail at random (user
//! rejections, disconnects, malformed replies, time-outs). Rerunning `sign` until it finishes must
//! give a complete bundle that verifies, with no address twice and no entry lost.
//!
//! `PORSIGN_SOAK_ADDRESSES=20000 cargo test --test tests soak -- --nocapture` runs a longer soak.

use std::time::Duration;

use porsign::app::DeviceError;
use porsign::device::TransportError;
use porsign::emulator::keys::SoftwareSigner;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};
use porsign::sign::batch::BatchSizes;
use porsign::sign::progress::Quiet;
use porsign::sign::{open_bundle, open_sessions, sign_all_with, SignError, SignOptions};
use rand::{Rng, SeedableRng};

use super::*;

#[derive(Debug, Default)]
struct Tally {
    runs: u32,
    rejected: u32,
    disconnected: u32,
    malformed: u32,
    timed_out: u32,
    caught_by_host_checks: u32,
    clean: u32,
}

/// Where a run's one fault may fall: the nth approval, the nth APDU.
struct FaultRanges {
    approvals: std::ops::Range<u32>,
    apdus: std::ops::Range<u32>,
}

#[test]
fn soak_random_faults_until_complete() {
    soak(
        &SignOptions { batch: None },
        FaultRanges {
            approvals: 1..100,
            apdus: 1..600,
        },
    );
}

/// Batched runs (batches of 20, so a run crosses many batches): a fault anywhere in a batch
/// writes nothing of it, and the rerun signs it again whole.
#[test]
fn soak_batched_random_faults_until_complete() {
    soak(
        &SignOptions {
            batch: Some(BatchSizes::all(20)),
        },
        FaultRanges {
            approvals: 1..8,
            apdus: 1..3000,
        },
    );
}

fn soak(options: &SignOptions, ranges: FaultRanges) {
    let n: u32 = std::env::var("PORSIGN_SOAK_ADDRESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let list = reserves(
        &SoftwareSigner::speculos_default()
            .mixed_reserves_csv(n)
            .unwrap(),
    );
    let c = challenge();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("soak.jsonl");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut tally = Tally::default();
    let mut finished = false;
    while !finished {
        tally.runs += 1;
        assert!(tally.runs < 10_000, "the soak does not converge: {tally:?}");
        let mut faults = Faults::default();
        let mut timeout = None;
        // Every run carries one fault, somewhere within its first ~100 addresses.
        match rng.gen_range(0..4) {
            0 => faults.reject_nth_signature = Some(rng.gen_range(ranges.approvals.clone())),
            1 => faults.disconnect_after_apdus = Some(rng.gen_range(ranges.apdus.clone())),
            2 => faults.malformed_reply_nth = Some(rng.gen_range(ranges.apdus.clone())),
            _ if tally.timed_out < 3 => {
                faults.slow_reply = Some(Duration::from_millis(200));
                timeout = Some(Duration::from_millis(20));
            }
            _ => faults.reject_nth_signature = Some(rng.gen_range(ranges.approvals.clone())),
        }
        let emulator = Emulator::new(EmulatorConfig {
            app: AppMode::Bitcoin,
            mnemonic: porsign::emulator::keys::SPECULOS_DEFAULT_MNEMONIC.into(),
            approval: Approval::Auto,
            faults,
        })
        .unwrap();
        let mut transport = InProcessTransport::new(emulator);
        if let Some(t) = timeout {
            transport = transport.with_timeout(t);
        }
        let mut transports: Vec<Box<dyn Transport + Send>> = vec![Box::new(transport)];
        let result = open_sessions(&mut transports).and_then(|mut sessions| {
            let (writer, _) = open_bundle(&out, &c, "soak")?;
            sign_all_with(&mut sessions, &list, &c, writer, &Quiet, options)
        });
        match result {
            Ok(summary) => {
                tally.clean += 1;
                finished = summary.finished;
            }
            Err(e) => match e.device_error() {
                Some(DeviceError::Rejected) => tally.rejected += 1,
                Some(DeviceError::Transport(TransportError::Disconnected)) => {
                    tally.disconnected += 1
                }
                Some(DeviceError::Transport(TransportError::Timeout { .. })) => {
                    tally.timed_out += 1
                }
                // A corrupted reply that still parses is caught by the host's own checks: the
                // key does not produce the address, or the signature does not verify. Nothing is
                // written for it either way.
                None if matches!(
                    e,
                    SignError::HostVerify { .. } | SignError::AddressMismatch { .. }
                ) =>
                {
                    tally.malformed += 1;
                    tally.caught_by_host_checks += 1;
                }
                Some(DeviceError::Protocol(_)) | Some(DeviceError::Status { .. }) => {
                    tally.malformed += 1
                }
                _ => panic!("unexpected error in the soak: {e}"),
            },
        }
    }
    let addresses = bundle_addresses(&out);
    let mut unique = addresses.clone();
    unique.sort();
    unique.dedup();
    let lost = list.len() - unique.len();
    eprintln!(
        "soak: {n} addresses, {} runs, faults injected: {} rejections, {} disconnects, {} malformed replies ({} of them parsed and were caught by host re-verification), {} time-outs; entries lost: {lost}; duplicates: {}",
        tally.runs,
        tally.rejected,
        tally.disconnected,
        tally.malformed,
        tally.caught_by_host_checks,
        tally.timed_out,
        addresses.len() - unique.len()
    );
    assert_eq!(
        unique.len(),
        addresses.len(),
        "an address is in the bundle twice"
    );
    assert_eq!(lost, 0, "entries lost");
    assert!(
        tally.rejected >= 3 && tally.disconnected >= 3 && tally.malformed >= 3,
        "too few faults: {tally:?}"
    );
    assert!(tally.timed_out >= 1, "{tally:?}");
    let report = verify_file(&out, &c);
    assert!(report.all_valid(), "{:#?}", report.failures.first());
    assert_eq!(report.entries, u64::from(n));
}
