//! `porsign bench sign`: the host's cost per signed address, measured against the in-process
//! emulator. Everything the host does per address is counted (checking the device's key against
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

#[derive(Serialize)]
struct BenchSignDoc {
    addresses: u32,
    exchanges: u64,
    total_seconds: f64,
    device_seconds: f64,
    host_seconds: f64,
    host_ms_per_address: f64,
    with_fsync_ms_per_address: f64,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::msg(Exit::Internal, format!("bench: {e}"))
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
    let dir = std::env::temp_dir().join(format!("porsign-bench-sign-{}", std::process::id()));
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
    let mut transports: Vec<Box<dyn Transport + Send>> = vec![Box::new(Timed::new(
        InProcessTransport::new(emulator),
        clock.clone(),
    ))];
    let start = Instant::now();
    let mut sessions = crate::sign::open_sessions(&mut transports).map_err(fail)?;
    let (writer, _) = crate::sign::open_bundle(&output, &challenge, "bench").map_err(fail)?;
    let summary = crate::sign::sign_all(&mut sessions, &reserves, &challenge, writer, &Quiet)
        .map_err(fail)?;
    let total = start.elapsed().as_secs_f64();
    drop(sessions);
    let _ = std::fs::remove_dir_all(&dir);

    let device = clock.seconds();
    let host = (total - device).max(0.0);
    let n = f64::from(args.addresses.max(1));
    // The fsync per entry is the price of never losing work; show it apart from compute.
    let fsync_ms = measure_fsync_ms();
    let doc = BenchSignDoc {
        addresses: args.addresses,
        exchanges: clock.exchanges(),
        total_seconds: total,
        device_seconds: device,
        host_seconds: host,
        host_ms_per_address: host * 1000.0 / n,
        with_fsync_ms_per_address: fsync_ms,
    };
    out.line(&format!(
        "signed {} addresses ({} APDU exchanges) in {:.2} s: device (emulator) {:.2} s, host {:.2} s",
        summary.signed, doc.exchanges, total, device, host
    ));
    out.line(&format!(
        "host cost per address: {:.3} ms (target < 1 ms), of which one fsync is about {:.3} ms on this disk",
        doc.host_ms_per_address, fsync_ms
    ));
    out.document("bench-sign-report", &doc);
    Ok(if summary.finished {
        Exit::Ok
    } else {
        Exit::Internal
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
