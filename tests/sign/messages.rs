//! What `porsign sign` tells the operator, word for word, in the situations that went wrong
//! before: a status word's meaning printed once, the app that is open and the one needed, a
//! cosigner's bundle that needs a merge, advice on its own line, a recording never overwritten,
//! and a review left pending on the device by a run that timed out.

use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use porsign::emulator::server::{serve, ServerHandle};
use porsign::emulator::{AppMode, Approval, Button, EmulatorConfig, Faults};

use super::cli::{sign_in, workdir};
use super::cosigners::{three_seed_multisig, SEEDS};
use super::*;
use crate::cli::porsign;

const P2WPKH_ROW: &str =
    "bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0\n";
const P2PKH_ROW: &str = "bitcoin,mainnet,1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB,m/44'/0'/0'/0/0\n";

fn server(app: AppMode, seed: &str, approval: Approval, faults: Faults) -> ServerHandle {
    serve(
        EmulatorConfig {
            app,
            mnemonic: seed.into(),
            approval,
            faults,
        },
        "127.0.0.1:0",
        None,
    )
    .unwrap()
}

fn auto_server(app: AppMode) -> ServerHandle {
    server(
        app,
        SPECULOS_DEFAULT_MNEMONIC,
        Approval::Auto,
        Faults::default(),
    )
}

/// `porsign sign` in `dir` on the emulator listening on `port`.
fn sign(dir: &Path, out: &str, port: u16, extra: &[&str]) -> Output {
    let device = format!("speculos:127.0.0.1:{port}");
    let mut args = vec!["--device", device.as_str()];
    args.extend_from_slice(extra);
    sign_in(dir, out, &args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr without the two lines every run starts with (challenge hash and message).
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| {
            !l.starts_with("porsign: challenge sha256") && !l.starts_with("porsign: message:")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_status_words_meaning_is_printed_once() {
    let dir = workdir(&format!("chain,network,address,path\n{P2WPKH_ROW}"));
    let mut btc = auto_server(AppMode::Bitcoin);
    let o = sign(
        dir.path(),
        "a.jsonl",
        btc.apdu_port(),
        &["--record", "t.json"],
    );
    btc.stop();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The recorded session, with the app answering 6A80 to SIGN_MESSAGE.
    let path = dir.path().join("t.json");
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let exchanges = t["exchanges"].as_array_mut().unwrap();
    let at = exchanges
        .iter()
        .position(|x| x["command"].as_str().unwrap().starts_with("e110"))
        .unwrap();
    exchanges.truncate(at + 1);
    exchanges[at]["response"] = "6a80".into();
    std::fs::write(dir.path().join("6a80.json"), t.to_string()).unwrap();
    let o = sign_in(dir.path(), "b.jsonl", &["--device", "replay:6a80.json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        "porsign: signing with the Bitcoin app on device f5acc2fd\n\
         porsign: error: bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg: the device answered 6A80 (incorrect data)\n\
         porsign: everything signed before this is saved; run the same command again to resume\n"
    );
}

#[test]
fn the_wrong_app_message_names_the_open_app_and_the_needed_one() {
    let dir = workdir(&format!(
        "chain,network,address,path\n{P2WPKH_ROW}{P2PKH_ROW}"
    ));
    let mut eth = auto_server(AppMode::Ethereum);
    let o = sign(dir.path(), "b.jsonl", eth.apdu_port(), &[]);
    eth.stop();
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(
        stderr(&o),
        "porsign: signing with the Ethereum app\n\
         porsign: error: the Ethereum app is open, but 2 pending rows need the Bitcoin app: open it and run the same command again\n"
    );

    // Rows for two apps: both are named.
    let signer = porsign::emulator::keys::SoftwareSigner::speculos_default();
    let key = signer
        .public_key(&porsign::emulator::keys::path("m/84'/1'/0'/0/0"))
        .unwrap();
    let tb1 = bitcoin::Address::p2wpkh(
        &bitcoin::CompressedPublicKey(key),
        bitcoin::Network::Testnet,
    );
    let dir = workdir(&format!(
        "chain,network,address,path\n{P2WPKH_ROW}bitcoin,testnet,{tb1},m/84'/1'/0'/0/0\n"
    ));
    let mut eth = auto_server(AppMode::Ethereum);
    let o = sign(dir.path(), "b.jsonl", eth.apdu_port(), &[]);
    eth.stop();
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(
        stderr(&o),
        "porsign: signing with the Ethereum app\n\
         porsign: error: the Ethereum app is open, but 1 pending row needs the Bitcoin app and 1 the Bitcoin Test app: open one of them and run the same command again\n"
    );

    let dir = workdir(&format!("chain,network,address,path\n{P2WPKH_ROW}"));
    let mut test_app = auto_server(AppMode::BitcoinTest);
    let o = sign(dir.path(), "b.jsonl", test_app.apdu_port(), &[]);
    test_app.stop();
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(
        stderr(&o),
        "porsign: signing with the Bitcoin Test app on device f5acc2fd\n\
         porsign: error: the Bitcoin Test app on device f5acc2fd is open, but 1 pending row needs the Bitcoin app: open it and run the same command again\n"
    );
}

#[test]
fn a_cosigners_partial_bundle_says_it_needs_a_merge() {
    let (d, a) = three_seed_multisig();
    let dir = workdir(&format!(
        "chain,network,address,path,descriptor\nbitcoin,mainnet,{a},,\"{d}\"\n"
    ));
    for (seed, out) in [(SEEDS[1], "b.jsonl"), (SEEDS[2], "c.jsonl")] {
        let mut cosigner = server(AppMode::Bitcoin, seed, Approval::Auto, Faults::default());
        let o = sign(dir.path(), out, cosigner.apdu_port(), &[]);
        cosigner.stop();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "signed 1 address (0 already done), 1 entry in {out}\n\
                 bundle finished, but 1 multisig entry holds fewer signatures than the threshold (this device's share): it verifies only once merged with the other cosigners' bundles: porsign bundle merge {out} <other cosigners' bundles> -o <merged bundle>\n"
            )
        );
    }
    // As it says: alone it does not verify, merged it does.
    let verify = |file: &str| {
        porsign(
            &["verify", file, "--challenge", "challenge.json"],
            dir.path(),
        )
    };
    assert_eq!(verify("b.jsonl").status.code(), Some(1));
    let o = porsign(
        &["bundle", "merge", "b.jsonl", "c.jsonl", "-o", "m.jsonl"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(verify("m.jsonl").status.code(), Some(0));
}

#[test]
fn advice_is_its_own_line_and_counts_are_in_words() {
    let dir = workdir(&format!("chain,network,address,path\n{P2PKH_ROW}"));
    let mut rejecting = server(
        AppMode::Bitcoin,
        SPECULOS_DEFAULT_MNEMONIC,
        Approval::Reject,
        Faults::default(),
    );
    let o = sign(dir.path(), "b.jsonl", rejecting.apdu_port(), &[]);
    rejecting.stop();
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(
        stderr(&o),
        "porsign: signing with the Bitcoin app on device f5acc2fd\n\
         porsign: error: 1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB: rejected on the device\n\
         porsign: everything signed before this is saved; run the same command again to resume\n"
    );
    let mut btc = auto_server(AppMode::Bitcoin);
    let o = sign(dir.path(), "b.jsonl", btc.apdu_port(), &[]);
    btc.stop();
    assert_eq!(
        stdout(&o),
        "signed 1 address (0 already done), 1 entry in b.jsonl\n\
         bundle complete: porsign verify b.jsonl --challenge <challenge file>\n"
    );
}

#[test]
fn an_existing_recording_is_never_overwritten() {
    let dir = workdir(&format!("chain,network,address,path\n{P2WPKH_ROW}"));
    std::fs::write(dir.path().join("t.json"), "an earlier recording\n").unwrap();
    let mut btc = auto_server(AppMode::Bitcoin);
    let o = sign(
        dir.path(),
        "b.jsonl",
        btc.apdu_port(),
        &["--record", "t.json"],
    );
    btc.stop();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "porsign: error: --record t.json: the file exists and porsign never overwrites a recording; choose another name\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.json")).unwrap(),
        "an earlier recording\n"
    );
    assert!(!dir.path().join("b.jsonl").exists(), "no device was used");
}

/// What the person at the device does about a review left on its screen: steps to the reject
/// page and presses both buttons.
fn reject_on_screen(server: &ServerHandle) {
    let ui = server.ui();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ui.in_review() {
        assert!(
            std::time::Instant::now() < deadline,
            "review never resolved"
        );
        let reject_page = ui.current_screen().text().starts_with("Reject");
        ui.press(if reject_page {
            Button::Both
        } else {
            Button::Right
        });
    }
}

#[test]
fn a_review_left_pending_by_a_timed_out_run_is_named_and_then_resolved() {
    let dir = workdir(&format!("chain,network,address,path\n{P2WPKH_ROW}"));
    let mut btc = server(
        AppMode::Bitcoin,
        SPECULOS_DEFAULT_MNEMONIC,
        Approval::Buttons,
        Faults::default(),
    );
    // Nobody at the device: the run gives up while the review stays on its screen.
    let o = sign(dir.path(), "b.jsonl", btc.apdu_port(), &["--timeout", "1"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(btc.ui().in_review());
    // The next run is refused by the device until the review is resolved there.
    let o = sign(dir.path(), "b.jsonl", btc.apdu_port(), &["--timeout", "5"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "porsign: error: opening the device: a review is still pending on the device: approve or reject it there, then run again\n"
    );
    reject_on_screen(&btc);
    assert_eq!(btc.ui().current_screen().text(), "Bitcoin app is ready");
    // Resolved: the same command now signs (approved on screen by a person at the device).
    let stop = Arc::new(AtomicBool::new(false));
    let person = {
        let stop = Arc::clone(&stop);
        let ui = btc.ui();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let text = ui.current_screen().text();
                if ui.in_review() {
                    ui.press(if text.starts_with("Sign message") {
                        Button::Both
                    } else {
                        Button::Right
                    });
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let o = sign(dir.path(), "b.jsonl", btc.apdu_port(), &["--timeout", "30"]);
    stop.store(true, Ordering::Relaxed);
    person.join().unwrap();
    btc.stop();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(bundle_addresses(&dir.path().join("b.jsonl")).len(), 1);
}
