//! `porsign sign` and `porsign demo` as a user runs them: the binary against the emulator's
//! Speculos-compatible TCP port.

use std::process::Output;

use porsign::emulator::keys::SPECULOS_DEFAULT_MNEMONIC;
use porsign::emulator::server::serve;
use porsign::emulator::{AppMode, Approval, EmulatorConfig, Faults};

use super::*;
use crate::cli::porsign;

fn server(app: AppMode, faults: Faults) -> porsign::emulator::server::ServerHandle {
    serve(
        EmulatorConfig {
            app,
            mnemonic: SPECULOS_DEFAULT_MNEMONIC.into(),
            approval: Approval::Auto,
            faults,
        },
        "127.0.0.1:0",
        None,
    )
    .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temporary folder holding the test challenge and `reserves` as `reserves.csv`.
pub(super) fn workdir(reserves: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("challenge.json"), challenge().to_json()).unwrap();
    std::fs::write(dir.path().join("reserves.csv"), reserves).unwrap();
    dir
}

/// `porsign sign` in `dir` with the test challenge, into `out`, plus `extra` arguments.
pub(super) fn sign_in(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["sign", "--challenge", "challenge.json", "-o", out];
    if !extra.contains(&"--reserves") && !extra.contains(&"--descriptor") {
        args.extend(["--reserves", "reserves.csv"]);
    }
    args.extend_from_slice(extra);
    porsign(&args, dir)
}

#[test]
fn sign_rejection_exits_4_naming_the_address_then_resumes() {
    let dir = workdir(&mixed_reserves_csv());
    let sign = |port: u16| {
        let device = format!("speculos:127.0.0.1:{port}");
        sign_in(
            dir.path(),
            "b.jsonl",
            &["--device", &device, "--timeout", "30"],
        )
    };
    let mut rejecting = server(
        AppMode::Bitcoin,
        Faults {
            reject_nth_signature: Some(2),
            ..Faults::default()
        },
    );
    let o = sign(rejecting.apdu_port());
    rejecting.stop();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains("31mceY4tx8cr75vQLLFcK1Gp2VkGdyZfZy"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("challenge sha256"),
        "the operator sees the challenge hash first"
    );

    let mut btc = server(AppMode::Bitcoin, Faults::default());
    let o = sign(btc.apdu_port());
    btc.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("1 Ethereum row still needs the Ethereum app"),
        "{}",
        text(&o)
    );

    // Running the Bitcoin app again when only Ethereum rows are owed: exit 5, says which app.
    let mut btc = server(AppMode::Bitcoin, Faults::default());
    let o = sign(btc.apdu_port());
    btc.stop();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("Ethereum app"), "{}", text(&o));

    let mut eth = server(AppMode::Ethereum, Faults::default());
    let o = sign(eth.apdu_port());
    eth.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("bundle complete"), "{}", text(&o));

    let o = porsign(
        &["verify", "b.jsonl", "--challenge", "challenge.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let addresses = bundle_addresses(&dir.path().join("b.jsonl"));
    assert_eq!(addresses.len(), 6);
}

#[test]
fn no_device_listening_exits_3() {
    let dir = workdir(&mixed_reserves_csv());
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = sign_in(
        dir.path(),
        "b.jsonl",
        &["--speculos", &format!("127.0.0.1:{port}")],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

#[test]
fn locked_device_exits_5() {
    let dir = workdir(&mixed_reserves_csv());
    let mut locked = server(
        AppMode::Bitcoin,
        Faults {
            locked: true,
            ..Faults::default()
        },
    );
    let o = sign_in(
        dir.path(),
        "b.jsonl",
        &["--speculos", &format!("127.0.0.1:{}", locked.apdu_port())],
    );
    locked.stop();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("locked"), "{}", text(&o));
}

#[test]
fn demo_runs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(&["demo", "--dir", "out"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("VALID: 11 entries, 11 valid"), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("NOT FOR REAL FUNDS"));
    let o = porsign(&["--json", "demo", "--dir", "out"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["type"], "demo-report");
    assert_eq!(doc["result"], "valid");
    // The demo's bundle verifies through the CLI too.
    let bundle = doc["bundle"].as_str().unwrap();
    let challenge = doc["challenge"].as_str().unwrap();
    let o = porsign(&["verify", bundle, "--challenge", challenge], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The custodian sealed it with device A's key.
    assert!(
        text(&o).contains("seal: sealed by bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg"),
        "{}",
        text(&o)
    );
}

#[test]
fn bench_sign_prints_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(&["--json", "bench", "sign", "--addresses", "8"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["type"], "bench-sign-report");
    assert_eq!(doc["addresses"], 8);
    for mode in ["batched", "per_address"] {
        let m = &doc[mode];
        assert_eq!(m["signed"], 8, "{mode}");
        assert!(m["exchanges"].as_u64().unwrap() >= 16, "{mode}");
        for key in [
            "total_seconds",
            "device_seconds",
            "host_seconds",
            "host_ms_per_address",
            "exchanges_per_address",
        ] {
            assert!(m[key].as_f64().unwrap() >= 0.0, "{mode} {key}");
        }
    }
    // Eight rows, two of each single-key type on one account: four batches of two, against
    // one approval per address.
    assert_eq!(doc["batched"]["approvals"], 4);
    assert_eq!(doc["per_address"]["approvals"], 8);
}

#[test]
fn record_then_replay_reproduces_the_run_and_fails_on_any_difference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("challenge.json"), challenge().to_json()).unwrap();
    let csv = "chain,network,address,path\n\
        bitcoin,mainnet,1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB,m/44'/0'/0'/0/0\n\
        bitcoin,mainnet,bc1psuhflkktuk89nj67rflwcnf0j33269kd0jnvvcpgusdxsspk9ceswgu99p,m/86'/0'/0'/0/0\n";
    std::fs::write(dir.path().join("reserves.csv"), csv).unwrap();
    let mut btc = server(AppMode::Bitcoin, Faults::default());
    let device = format!("speculos:127.0.0.1:{}", btc.apdu_port());
    let o = sign_in(
        dir.path(),
        "a.jsonl",
        &["--device", &device, "--record", "t.json"],
    );
    btc.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let transcript: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("t.json")).unwrap()).unwrap();
    let exchanges = transcript["exchanges"].as_array().unwrap();
    assert!(exchanges.len() > 10);
    // On standard paths the app itself derives the listed address (GET_WALLET_ADDRESS, E1 03).
    assert!(
        exchanges
            .iter()
            .any(|x| x["command"].as_str().unwrap().starts_with("e103")),
        "no GET_WALLET_ADDRESS in the recorded session"
    );

    let o = sign_in(dir.path(), "b.jsonl", &["--device", "replay:t.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let entries = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"type\":\"entry\""))
            .map(str::to_owned)
            .collect()
    };
    let a = entries("a.jsonl");
    // The Schnorr signature of the taproot proof carries fresh randomness on the device, but
    // the replay answers with the recorded bytes, so the two runs agree entry for entry.
    assert_eq!(a, entries("b.jsonl"));
    assert_eq!(a.len(), 2);

    // Another list asks for other bytes: the replay refuses loudly.
    let other = "chain,network,address,path\nbitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0\n";
    std::fs::write(dir.path().join("other.csv"), other).unwrap();
    let o = sign_in(
        dir.path(),
        "c.jsonl",
        &["--reserves", "other.csv", "--device", "replay:t.json"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("replay"), "{}", text(&o));
}

#[test]
fn descriptor_range_enumerates_and_signs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("challenge.json"), challenge().to_json()).unwrap();
    // The account xpub at m/84'/0'/0' of the Speculos seed, from the recorded transcript.
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::fixture("speculos/btc-xpub-84h-0h-0h.json")).unwrap(),
    )
    .unwrap();
    let descriptor = format!(
        "wpkh([f5acc2fd/84'/0'/0']{}/0/*)",
        t["result"].as_str().unwrap()
    );
    let mut btc = server(AppMode::Bitcoin, Faults::default());
    let o = porsign(
        &[
            "sign",
            "--challenge",
            "challenge.json",
            "--descriptor",
            &descriptor,
            "--range",
            "0..3",
            "-o",
            "b.jsonl",
            "--speculos",
            &format!("127.0.0.1:{}", btc.apdu_port()),
        ],
        dir.path(),
    );
    btc.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let addresses = bundle_addresses(&dir.path().join("b.jsonl"));
    assert_eq!(addresses.len(), 3);
    assert_eq!(addresses[0], "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg");
    let o = porsign(
        &["verify", "b.jsonl", "--challenge", "challenge.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn bench_bundle_prints_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(
        &["--json", "bench", "bundle", "--entries", "20"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["type"], "bench-bundle-report");
    assert_eq!(doc["entries"], 20);
    assert_eq!(doc["all_valid"], true);
    for key in [
        "verify_seconds",
        "bound_seconds",
        "entries_per_second",
        "ratio_to_bound",
    ] {
        assert!(doc[key].as_f64().unwrap() > 0.0, "{key}");
    }
}
