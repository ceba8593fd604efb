//! The emulator's software signer against public vectors and real device outputs.
#![allow(clippy::indexing_slicing)] // tests index known vectors; a panic is a test failure.

use bitcoin::base64::Engine;
use porsign::emulator::keys::{path, SoftwareSigner};

use crate::util::{fixture, shared_json};

fn b64(bytes: &[u8]) -> String {
    bitcoin::base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn speculos_default_seed_fingerprint_and_keys() {
    let Some(v) = shared_json("research/vectors/speculos-default-seed-fixtures.json") else {
        return;
    };
    let signer = SoftwareSigner::from_mnemonic(v["mnemonic"].as_str().unwrap(), "").unwrap();
    assert_eq!(
        signer.fingerprint().to_string(),
        v["master_fingerprint"].as_str().unwrap()
    );
    for a in v["derived_mainnet_addresses"].as_array().unwrap() {
        let Some(pk) = a["pubkey"].as_str() else {
            continue;
        };
        let key = signer
            .public_key(&path(a["path"].as_str().unwrap()))
            .unwrap();
        assert_eq!(key.to_string(), pk, "{}", a["path"]);
    }
    let tpub = signer
        .xpub(&path("m/84'/1'/0'"), bitcoin::NetworkKind::Test)
        .unwrap();
    assert_eq!(
        tpub.to_string(),
        v["xpub_m_84h_1h_0h_testnet"].as_str().unwrap()
    );
}

/// The Ledger app's own sign-message vectors as (path, message, base64 signature). The last
/// vector's message is built from the one before it (three copies joined by single spaces), as
/// the vector file describes.
pub(super) fn ledger_message_vectors(v: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut previous = String::new();
    for vector in v["vectors"].as_array().unwrap() {
        let message = match vector["message"].as_str() {
            Some(m) => m.to_owned(),
            None => [previous.as_str(); 3].join(" "),
        };
        previous = message.clone();
        out.push((
            vector["path"].as_str().unwrap().to_owned(),
            message,
            vector["signature"].as_str().unwrap().to_owned(),
        ));
    }
    out
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn bitcoin_signatures_are_byte_identical_to_the_ledger_app() {
    let Some(v) = shared_json("research/vectors/ledger-app-bitcoin-sign-message-vectors.json")
    else {
        return;
    };
    let signer = SoftwareSigner::from_mnemonic(v["mnemonic"].as_str().unwrap(), "").unwrap();
    let vectors = ledger_message_vectors(&v);
    for (p, message, signature) in &vectors {
        let sig = signer
            .sign_bitcoin_message(&path(p), message.as_bytes())
            .unwrap();
        assert_eq!(&b64(&sig), signature, "{message}");
    }
    assert_eq!(vectors.len(), 6);
}

#[test]
fn bitcoin_signatures_match_the_speculos_transcripts() {
    let signer = SoftwareSigner::speculos_default();
    let mut checked = 0;
    for name in [
        "btc-signmessage-short-84",
        "btc-signmessage-short-44",
        "btc-signmessage-empty-84",
        "btc-signmessage-64bytes-84",
        "btc-signmessage-65bytes-84",
        "btc-signmessage-long-84",
        "btc-signmessage-cosigner0-48",
        "btc-signmessage-cosigner1-48",
        "btc-signmessage-cosigner2-48",
        "btc-testnet-signmessage-short-84",
    ] {
        let text = std::fs::read_to_string(fixture(&format!("speculos/{name}.json"))).unwrap();
        let t: serde_json::Value = serde_json::from_str(&text).unwrap();
        let r = &t["result"];
        let sig = signer
            .sign_bitcoin_message(
                &path(r["path"].as_str().unwrap()),
                r["message"].as_str().unwrap().as_bytes(),
            )
            .unwrap();
        assert_eq!(b64(&sig), r["signature_base64"].as_str().unwrap(), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 10);
}

#[test]
fn ethereum_signatures_match_the_speculos_transcripts() {
    let signer = SoftwareSigner::speculos_default();
    for name in [
        "eth-personal-sign-short",
        "eth-personal-sign-long",
        "eth-personal-sign-okx-keccak",
    ] {
        let text = std::fs::read_to_string(fixture(&format!("speculos/{name}.json"))).unwrap();
        let t: serde_json::Value = serde_json::from_str(&text).unwrap();
        let r = &t["result"];
        let message = hex::decode(r["message_hex"].as_str().unwrap()).unwrap();
        let sig = signer
            .sign_eth_personal(&path(r["path"].as_str().unwrap()), &message)
            .unwrap();
        assert_eq!(hex::encode(sig), r["v_r_s"].as_str().unwrap(), "{name}");
    }
}
