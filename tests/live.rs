//! The live lane: porsign end to end against a running Speculos-compatible device, driven over
//! the APDU TCP port with every approval given on screen through the REST API, as a tester at
//! the emulator would.
//!
//! Run it with `bash .ci/live-lane`. Two forms:
//! - with `PORSIGN_BTC_ELF` and `PORSIGN_ETH_ELF` naming Ledger app ELFs (Bitcoin and Ethereum
//!   for a Nano S Plus), it starts real Speculos (`speculos` on PATH, or `PORSIGN_SPECULOS`);
//! - without them, it starts `porsign emulate` in its Speculos-compatible mode, waiting for
//!   buttons like the real app. CI runs this form on every change.
//!
//! The tests are `#[ignore]`d so that the plain `cargo test` never needs a device; the lane runs
//! them with `--ignored --test-threads=1` (they share ports and processes).
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

#[path = "live/harness.rs"]
mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use bitcoin::bip32::DerivationPath;
use bitcoin::Network;
use harness::*;
use porsign::emulator::keys::SoftwareSigner;

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_mixed_list_with_multisig_signs_and_verifies() {
    announce();
    let s = SoftwareSigner::speculos_default();
    let mut csv = String::from("chain,network,address,path,descriptor,amount\n");
    for purpose in [44, 49, 84, 86] {
        let (a, p) = address(&s, purpose, 0, 0);
        csv.push_str(&format!("bitcoin,mainnet,{a},{p},,1\n"));
    }
    csv.push_str(&format!(
        "bitcoin,mainnet,bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej,,\"{}\",7\n",
        multisig_descriptor()
    ));
    csv.push_str(
        "ethereum,mainnet,0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D,m/44'/60'/0'/0/0,,3\n",
    );
    let ws = Workspace::new(&csv);

    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        decisions >= 5,
        "every signature was approved on screen ({decisions})"
    );
    assert!(
        text(&o).contains("1 Ethereum row still needs the Ethereum app"),
        "{}",
        text(&o)
    );

    let eth = Device::start(App::Ethereum);
    let approver = Approver::start(eth.api, Choice::Approve);
    let o = ws.sign(&eth);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("bundle complete"), "{}", text(&o));

    let o = ws.verify();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("VALID"));
    assert_eq!(ws.addresses().len(), 6);
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_rejection_exits_4_and_a_resume_finishes() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 3));
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Reject);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let (first, _) = address(&s, 84, 0, 0);
    assert!(
        text(&o).contains(&first),
        "the rejected address is named: {}",
        text(&o)
    );

    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(ws.verify().status.code(), Some(0));
    assert_eq!(ws.addresses().len(), 3);
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_refused_path_is_named() {
    let s = SoftwareSigner::speculos_default();
    // A Bitcoin key on Ethereum's coin type: the mainnet Bitcoin app may not derive it, so the
    // row is refused with the list, before the device is asked anything.
    let (a, p) = address(&s, 84, 60, 0);
    let ws = Workspace::new(&format!(
        "chain,network,address,path\nbitcoin,mainnet,{a},{p}\n"
    ));
    let btc = Device::start(App::Bitcoin);
    let o = ws.sign(&btc);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("line 2, column `path`: m/84'/60'/0'/0/0"),
        "{}",
        text(&o)
    );
    assert!(ws.addresses().is_empty());
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_review_left_pending_by_a_timed_out_run() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 2));
    let btc = Device::start(App::Bitcoin);
    let sign = |timeout: &str| ws.sign_waiting(&btc, timeout);
    // Nobody at the device: the run gives up, the review stays on the screen.
    let o = sign("3");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // The device refuses the next run until the review is resolved on it.
    let o = sign("10");
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        text(&o).contains(
            "a review is still pending on the device: approve or reject it there, then run again"
        ),
        "{}",
        text(&o)
    );
    let rejecter = Approver::start(btc.api, Choice::Reject);
    let start = Instant::now();
    while !screen_text(btc.api).contains("is ready") {
        assert!(
            start.elapsed() < READY_TIMEOUT,
            "the review was not resolved"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    rejecter.stop();
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = sign("60");
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(ws.addresses().len(), 2);
    assert_eq!(ws.verify().status.code(), Some(0));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_wrong_app_open() {
    let s = SoftwareSigner::speculos_default();
    let (a, p) = address(&s, 84, 0, 0);
    let ws = Workspace::new(&format!(
        "chain,network,address,path\nbitcoin,mainnet,{a},{p}\n"
    ));
    let eth = Device::start(App::Ethereum);
    let o = ws.sign(&eth);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("Bitcoin app"), "{}", text(&o));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_device_killed_mid_run_resumes_without_signing_twice() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 30));
    let mut btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let bundle = ws.dir.path().join("bundle.jsonl");
    // Batches of five, so that the run is killed between batches and inside one.
    let mut child = ws
        .sign_command(&btc, "60", &["--batch-size", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while ws.addresses().len() < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "signing made no progress"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    btc.kill();
    let status = child.wait().unwrap();
    approver.stop();
    assert_eq!(
        status.code(),
        Some(3),
        "a vanished device is a device error"
    );
    let before = ws.addresses().len();
    assert!(before < 30 && bundle.exists());

    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let addresses = ws.addresses();
    let mut unique = addresses.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), addresses.len(), "no address signed twice");
    assert_eq!(addresses.len(), 30);
    assert_eq!(ws.verify().status.code(), Some(0));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_seconds_per_address_for_100() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 100));
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let start = Instant::now();
    let o = ws.sign_with(&btc, "60", &["--no-batch"]);
    let seconds = start.elapsed().as_secs_f64();
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(decisions, 100, "each signature approved on screen");
    assert_eq!(ws.verify().status.code(), Some(0));
    eprintln!(
        "live lane: 100 addresses signed one by one (--no-batch) with on-screen approval in {seconds:.2} s = {:.3} s per address",
        seconds / 100.0
    );
}

/// The batched scenario: 100 addresses of one account (receive and change) in one batch proof,
/// one approval given on screen after reading the OP_RETURN tag `sign` announced.
#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_batch_of_100_takes_one_approval() {
    let s = SoftwareSigner::speculos_default();
    let mut csv = String::from("chain,network,address,path\n");
    for i in 0..100u32 {
        let path: DerivationPath = format!("m/84'/0'/0'/{}/{}", i % 2, i / 2).parse().unwrap();
        let a = s.address_at(&path, Network::Bitcoin).unwrap();
        csv.push_str(&format!("bitcoin,mainnet,{a},m/{path}\n"));
    }
    let ws = Workspace::new(&csv);
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let start = Instant::now();
    let o = ws.sign_with(&btc, "300", &["--seal", "m/84'/0'/0'/0/0"]);
    let seconds = start.elapsed().as_secs_f64();
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("batch of 100 addresses") && text(&o).contains("OP_RETURN 0x"),
        "the operator is told what the screen shows: {}",
        text(&o)
    );
    // One approval for the batch, one for the seal.
    assert_eq!(decisions, 2, "approvals on screen");
    let v = ws.verify();
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("seal: sealed by"), "{}", text(&v));
    assert_eq!(ws.addresses().len(), 100);
    eprintln!(
        "live lane: 100 addresses in one batch proof (+ seal), {decisions} approvals on screen, {seconds:.2} s = {:.3} s per address",
        seconds / 100.0
    );
}
