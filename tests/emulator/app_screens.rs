//! Screens the recorded transcripts do not show, written as the app and Ledger's SDK draw them
//! on a Nano: the home page (the SDK's "<name> / app is ready" when the app gives no tagline;
//! the Bitcoin Test app calls itself "Bitcoin Testnet" there) and the security warning flow of
//! SIGN_PSBT (the SDK's choice flow with an icon: the title, then the title again above the
//! warning, then "Continue anyway" / "Back to safety").
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;

use bitcoin::Psbt;
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{KeyInfo, PsbtMaps, WalletPolicy};
use porsign::app::run_exchange;
use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport};

use crate::util::fixture;

#[test]
fn home_pages_read_like_the_apps() {
    for (app, home) in [
        (AppMode::Bitcoin, "Bitcoin app is ready"),
        (AppMode::BitcoinTest, "Bitcoin Testnet app is ready"),
        (AppMode::Ethereum, "Ethereum app is ready"),
    ] {
        let emulator = Emulator::new(EmulatorConfig::new(app)).expect("emulator");
        assert_eq!(emulator.current_screen().text(), home, "{app:?}");
    }
}

#[test]
fn unverified_inputs_warn_with_the_title_repeated_then_sign() {
    // HWI's recorded wpkh PSBT (no warning on the real app), without its non-witness UTXOs:
    // the app then warns about unverified inputs before the review, and still signs.
    let text =
        std::fs::read_to_string(fixture("speculos/btc-hwi-signtx-wpkh.json")).expect("fixture");
    let recorded: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut psbt = Psbt::from_str(recorded["psbt"].as_str().expect("psbt")).expect("PSBT");
    for input in &mut psbt.inputs {
        input.non_witness_utxo = None;
    }
    let policy = &recorded["wallet_policy"];
    let key: KeyInfo = policy["keys_info"][0]
        .as_str()
        .expect("key")
        .parse()
        .expect("key info");
    let policy = WalletPolicy::new(
        String::new(),
        policy["descriptor_template"].as_str().expect("template"),
        vec![key],
    )
    .expect("the default wpkh policy");
    let mut transport = InProcessTransport::new(
        Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).expect("emulator"),
    );
    let maps = PsbtMaps::from_psbt(&psbt.serialize()).expect("maps");
    let reply = run_exchange(
        &mut transport,
        ops::sign_psbt(&maps, &policy, None).expect("request"),
    )
    .expect("signed after the warning");
    assert_eq!(reply.yielded.len(), 2, "both inputs signed");

    let screens = transport.emulator().lock().unwrap().reviewed_screens();
    // Where a line wraps depends on the font; the words and their pages do not.
    let warning: Vec<String> = screens
        .iter()
        .take(4)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        warning,
        [
            "Security risk",
            "Security risk Unverified inputs Update your wallet software",
            "Continue anyway",
            "Review transaction to send bitcoin",
        ],
        "{screens:?}"
    );
}
