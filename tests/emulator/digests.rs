//! The message digests pinned to answers nobody in porsign computed: Bitcoin Core's signmessage
//! vectors, BIP-322's published message hashes and `to_spend`/`to_sign` txids, EIP-191 vectors
//! from ethers.js and eth-account, and signatures made by the real Ledger apps. Each check runs
//! on both the verifier's functions (`porsign::scheme`) and the emulator's own
//! (`porsign::emulator::digests`), which share no code: a bug in either cannot hide behind the
//! other in an end-to-end test.
#![allow(clippy::indexing_slicing)] // tests index known vectors; a panic is a test failure.

use std::str::FromStr;

use bitcoin::base64::Engine;
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, PublicKey, SECP256K1};
use porsign::emulator::digests;
use porsign::emulator::keys::{path, SoftwareSigner};
use porsign::scheme::{bip137, bip322, eip191};
use serde_json::Value;

use crate::util::{fixture, shared_json};

type Digest = fn(&[u8]) -> [u8; 32];

/// Both implementations of each digest, named for failure messages.
const BITCOIN: [(&str, Digest); 2] = [
    ("scheme::bip137::message_hash", bip137::message_hash),
    (
        "emulator::digests::bitcoin_signed_message",
        digests::bitcoin_signed_message,
    ),
];
const ETHEREUM: [(&str, Digest); 2] = [
    ("scheme::eip191::message_hash", eip191::message_hash),
    (
        "emulator::digests::ethereum_personal_message",
        digests::ethereum_personal_message,
    ),
];

/// The key that made a 65-byte compact signature (`recid` given separately) over `digest`.
fn recover(digest: [u8; 32], recid: u8, rs: &[u8]) -> PublicKey {
    let id = RecoveryId::from_i32(i32::from(recid)).unwrap();
    let sig = RecoverableSignature::from_compact(rs, id).unwrap();
    SECP256K1
        .recover_ecdsa(&Message::from_digest(digest), &sig)
        .unwrap()
}

fn b64(text: &str) -> Vec<u8> {
    bitcoin::base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn bitcoin_core_signmessage_vectors_recover_their_addresses() {
    let Some(v) = shared_json("research/vectors/bitcoin-core-signmessage-vectors.json") else {
        return;
    };
    let mut checked = 0;
    for vector in v["vectors"].as_array().unwrap() {
        if !vector["expected"].as_str().unwrap().starts_with("valid") {
            continue;
        }
        let address = vector["address"].as_str().unwrap();
        // Mainnet P2PKH addresses start with 1; the others here are testnet's m/n.
        let network = if address.starts_with('1') {
            bitcoin::Network::Bitcoin
        } else {
            bitcoin::Network::Testnet
        };
        let sig = b64(vector["signature"].as_str().unwrap());
        let header = sig[0];
        for (name, digest) in BITCOIN {
            let key = recover(
                digest(vector["message"].as_str().unwrap().as_bytes()),
                (header - 27) & 3,
                &sig[1..],
            );
            let key = bitcoin::PublicKey {
                compressed: header >= 31,
                inner: key,
            };
            assert_eq!(
                bitcoin::Address::p2pkh(key, network).to_string(),
                address,
                "{name}: {}",
                vector["message"]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn real_ledger_message_signatures_recover_the_key_at_their_path() {
    let Some(v) = shared_json("research/vectors/ledger-app-bitcoin-sign-message-vectors.json")
    else {
        return;
    };
    let signer = SoftwareSigner::from_mnemonic(v["mnemonic"].as_str().unwrap(), "").unwrap();
    for (p, message, signature) in super::keys::ledger_message_vectors(&v) {
        let sig = b64(&signature);
        let expected = signer.public_key(&path(&p)).unwrap();
        for (name, digest) in BITCOIN {
            let key = recover(digest(message.as_bytes()), (sig[0] - 27) & 3, &sig[1..]);
            assert_eq!(key, expected, "{name}: {p}");
        }
    }
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn bip322_message_hashes_and_virtual_transactions() {
    let Some(v) = shared_json("research/vectors/bip322-basic-test-vectors.json") else {
        return;
    };
    let cases = v["tx_hashes"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let message = case["message"].as_str().unwrap().as_bytes();
        let address = bitcoin::Address::from_str(case["address"].as_str().unwrap())
            .unwrap()
            .assume_checked();
        assert_eq!(
            hex::encode(bip322::message_hash(message)),
            case["message_hash"].as_str().unwrap()
        );
        let to_spend = bip322::to_spend(message, &address.script_pubkey());
        assert_eq!(
            to_spend.compute_txid().to_string(),
            case["to_spend_tx_hash"].as_str().unwrap()
        );
        assert_eq!(
            bip322::to_sign(&to_spend).compute_txid().to_string(),
            case["to_sign_tx_hash"].as_str().unwrap()
        );
    }
}

/// The real app's BIP-322 proof (SIGN_PSBT of `to_sign`, P2WPKH, deterministic ECDSA): the
/// verifier's `to_spend` must be the one the device signed, the proof must verify, and the
/// emulator, fed the same PSBT, must compute the same sighash and so sign the same bytes.
#[test]
fn the_real_apps_bip322_proof_pins_to_spend_and_the_emulators_sighash() {
    use firmware_msgs::btc::{KeyInfo, SingleKeyPolicy, WalletPolicy, YieldedItem};
    use porsign::app::btc;
    use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport};

    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("speculos/btc-bip322-signpsbt-wpkh.json")).unwrap(),
    )
    .unwrap();
    let r = &t["result"];
    let message = r["message"].as_str().unwrap().as_bytes();
    let address = bitcoin::Address::from_str(r["address"].as_str().unwrap())
        .unwrap()
        .assume_checked();
    let to_spend = bip322::to_spend(message, &address.script_pubkey());
    // The transcript writes the txid in internal byte order (as it sits in the PSBT).
    assert_eq!(
        hex::encode(bitcoin::hashes::Hash::to_byte_array(
            to_spend.compute_txid()
        )),
        r["to_spend_txid"].as_str().unwrap()
    );
    bip322::verify(
        message,
        &address,
        r["bip322_simple_signature_base64"].as_str().unwrap(),
    )
    .unwrap();

    let mut device =
        InProcessTransport::new(Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).unwrap());
    let account = path("m/84'/0'/0'");
    let xpub = btc::xpub(&mut device, &account, false).unwrap();
    let policy = WalletPolicy::single_key(
        SingleKeyPolicy::Wpkh,
        KeyInfo::new(
            [0xf5, 0xac, 0xc2, 0xfd],
            btc::wire_path(&account).unwrap(),
            xpub.to_string(),
        ),
    );
    let psbt = bitcoin::Psbt::from_str(r["psbt_base64"].as_str().unwrap()).unwrap();
    let reply = btc::sign_psbt(&mut device, &psbt.serialize(), &policy).unwrap();
    let signature = reply
        .yielded
        .iter()
        .find_map(|item| match item {
            YieldedItem::PartialSignature { signature, .. } => Some(hex::encode(signature)),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        signature,
        r["yielded"][0][2]["signature"].as_str().unwrap(),
        "the emulator's sighash differs from the real app's"
    );
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn eip191_vectors_give_their_message_hashes() {
    let Some(v) = shared_json("research/vectors/eip191-personal-sign-vectors.json") else {
        return;
    };
    let mut checked = 0;
    for vector in v["vectors"].as_array().unwrap() {
        let message = if let Some(text) = vector["message_utf8"].as_str() {
            text.as_bytes().to_vec()
        } else if let Some(hex_text) = vector["message_hex"]
            .as_str()
            .or(vector["derived_message_hex"].as_str())
        {
            hex::decode(hex_text.trim_start_matches("0x")).unwrap()
        } else {
            continue;
        };
        let Some(expected) = vector["message_hash"]
            .as_str()
            .or(vector["derived_message_hash"].as_str())
        else {
            continue;
        };
        for (name, digest) in ETHEREUM {
            assert_eq!(digest(&message), hex32(expected), "{name}: {vector}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn real_ledger_personal_signatures_recover_the_seeds_address() {
    let expected = SoftwareSigner::speculos_default()
        .public_key(&path("m/44'/60'/0'/0/0"))
        .unwrap();
    for name in [
        "eth-personal-sign-short",
        "eth-personal-sign-long",
        "eth-personal-sign-okx-keccak",
    ] {
        let t: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture(&format!("speculos/{name}.json"))).unwrap(),
        )
        .unwrap();
        let r = &t["result"];
        let message = hex::decode(r["message_hex"].as_str().unwrap()).unwrap();
        // The app answers v || r || s.
        let vrs = hex::decode(r["v_r_s"].as_str().unwrap()).unwrap();
        for (digest_name, digest) in ETHEREUM {
            let key = recover(digest(&message), vrs[0] - 27, &vrs[1..]);
            assert_eq!(key, expected, "{digest_name}: {name}");
        }
    }
}
