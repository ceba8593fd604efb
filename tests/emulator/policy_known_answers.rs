//! Miniscript and taproot-script policies against known answers of the real Bitcoin app
//! (2.4.6, "Bitcoin Test", Speculos's default seed), taken from the app's own test suite into
//! `fixtures/ledger-app/policy-known-answers.json` (each entry names its source): the HMAC
//! REGISTER_WALLET returns, the addresses GET_WALLET_ADDRESS derives, what SIGN_PSBT yields
//! (count, keys, tapleaf hashes), and the refusals of insane policies with their error code.
//! Every yielded signature is also checked against the digest computed here with the
//! `bitcoin` crate: BIP-143 over the PSBT's witness script, BIP-341 script path over the
//! yielded leaf hash.
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;

use base64::Engine as _;
use bitcoin::hashes::Hash as _;
use bitcoin::secp256k1::{ecdsa, schnorr, Message, PublicKey, XOnlyPublicKey, SECP256K1};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Psbt, TxOut};
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{KeyInfo, PsbtMaps, WalletPolicy, YieldedItem};
use porsign::app::{run_exchange, run_exchange_observed};
use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport};
use serde_json::Value;

use crate::util::fixture;

/// The default seed's master fingerprint.
const OURS: [u8; 4] = [0xf5, 0xac, 0xc2, 0xfd];

fn known_answers() -> Value {
    let path = fixture("ledger-app/policy-known-answers.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn testnet_device() -> InProcessTransport {
    let config = EmulatorConfig::new(AppMode::BitcoinTest);
    InProcessTransport::new(Emulator::new(config).expect("emulator"))
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}"))
        .to_owned()
}

fn policy(case: &Value, name: &str) -> WalletPolicy {
    let keys = case["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| KeyInfo::from_str(k.as_str().expect("key")).expect("key info"))
        .collect();
    WalletPolicy::new(name, text(case, "template"), keys).expect("policy")
}

/// Registers the policy and checks the device's HMAC is the real app's.
fn register(t: &mut InProcessTransport, case: &Value) -> (WalletPolicy, [u8; 32]) {
    let policy = policy(case, &text(case, "name"));
    let registered = run_exchange(t, ops::register_wallet(&policy).expect("request"))
        .unwrap_or_else(|e| panic!("{}: register: {e:?}", text(case, "template")));
    assert_eq!(
        hex::encode(registered.hmac),
        text(case, "hmac"),
        "{}: the HMAC the real app returns",
        text(case, "template")
    );
    (policy, registered.hmac)
}

fn address(
    t: &mut InProcessTransport,
    policy: &WalletPolicy,
    hmac: &[u8; 32],
    change: bool,
    index: u32,
) -> String {
    run_exchange(
        t,
        ops::get_wallet_address(policy, Some(hmac), change, index, false).expect("request"),
    )
    .expect("address")
    .0
}

#[test]
fn tap_tree_policies_register_and_derive_the_apps_addresses() {
    let answers = known_answers();
    for case in answers["addresses"].as_array().expect("addresses") {
        let mut t = testnet_device();
        let (policy, hmac) = register(&mut t, case);
        let change = case["change"].as_bool().expect("change");
        let index = u32::try_from(case["index"].as_u64().expect("index")).expect("u32");
        assert_eq!(
            address(&mut t, &policy, &hmac, change, index),
            text(case, "address"),
            "{}",
            text(case, "template")
        );
    }
}

/// `(change, index)` of our key's derivation in an input (the one ending in `/<0;1>/index`).
fn our_derivation(input: &bitcoin::psbt::Input) -> (bool, u32) {
    let origins = input
        .bip32_derivation
        .values()
        .chain(input.tap_key_origins.values().map(|(_, origin)| origin));
    for (fingerprint, path) in origins {
        let steps: Vec<u32> = path.into_iter().map(|c| u32::from(*c)).collect();
        if fingerprint.to_bytes() == OURS {
            if let [.., change @ (0 | 1), index] = steps.as_slice() {
                return (*change == 1, *index);
            }
        }
    }
    panic!("no derivation of ours in the input");
}

/// Checks one yielded signature against the digest of its input.
fn check_signature(psbt: &Psbt, spent: &[TxOut], item: &YieldedItem) -> Vec<u8> {
    let YieldedItem::PartialSignature {
        input_index,
        key,
        signature,
    } = item
    else {
        panic!("unexpected yield {item:?}");
    };
    let i = usize::try_from(*input_index).expect("index");
    let mut cache = SighashCache::new(&psbt.unsigned_tx);
    if key.len() == 64 {
        // Script path: x-only key ‖ tapleaf hash, a Schnorr signature over BIP-341's digest.
        let leaf = TapLeafHash::from_slice(&key[32..]).expect("leaf hash");
        let (sig, kind) = match signature.len() {
            64 => (&signature[..], TapSighashType::Default),
            65 => (
                &signature[..64],
                TapSighashType::from_consensus_u8(signature[64]).expect("sighash"),
            ),
            n => panic!("a {n}-byte Schnorr signature"),
        };
        let digest = cache
            .taproot_script_spend_signature_hash(i, &Prevouts::All(spent), leaf, kind)
            .expect("digest");
        SECP256K1
            .verify_schnorr(
                &schnorr::Signature::from_slice(sig).expect("signature"),
                &Message::from_digest(digest.to_byte_array()),
                &XOnlyPublicKey::from_slice(&key[..32]).expect("key"),
            )
            .expect("the Schnorr signature verifies against the script-path digest");
        return digest.to_byte_array().to_vec();
    }
    // ECDSA in a P2WSH input: BIP-143 over the PSBT's witness script.
    let (der, byte) = signature.split_at(signature.len() - 1);
    let kind = EcdsaSighashType::from_standard(u32::from(byte[0])).expect("sighash");
    let witness_script = psbt.inputs[i]
        .witness_script
        .as_ref()
        .expect("witness script");
    let digest = cache
        .p2wsh_signature_hash(i, witness_script, spent[i].value, kind)
        .expect("digest");
    SECP256K1
        .verify_ecdsa(
            &Message::from_digest(digest.to_byte_array()),
            &ecdsa::Signature::from_der(der).expect("DER"),
            &PublicKey::from_slice(key).expect("key"),
        )
        .expect("the ECDSA signature verifies against the BIP-143 digest");
    digest.to_byte_array().to_vec()
}

#[test]
fn miniscript_and_tap_tree_psbts_are_signed_as_the_app_signs_them() {
    let answers = known_answers();
    for case in answers["signed_psbts"].as_array().expect("signed_psbts") {
        let template = text(case, "template");
        let mut t = testnet_device();
        let (policy, hmac) = register(&mut t, case);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text(case, "psbt"))
            .expect("base64");
        let psbt = Psbt::deserialize(&bytes).expect("PSBT");
        let spent: Vec<TxOut> = psbt
            .inputs
            .iter()
            .map(|input| input.witness_utxo.clone().expect("witness UTXO"))
            .collect();
        // The device derives the script each input spends, at our key's derivation.
        for (input, out) in psbt.inputs.iter().zip(&spent) {
            let (change, index) = our_derivation(input);
            let shown = address(&mut t, &policy, &hmac, change, index);
            let expected =
                bitcoin::Address::from_script(&out.script_pubkey, bitcoin::Network::Testnet)
                    .expect("address");
            assert_eq!(shown, expected.to_string(), "{template}: input address");
        }
        let maps = PsbtMaps::from_psbt(&bytes).expect("maps");
        let reply = run_exchange(
            &mut t,
            ops::sign_psbt(&maps, &policy, Some(&hmac)).expect("request"),
        )
        .unwrap_or_else(|e| panic!("{template}: sign: {e:?}"));
        assert_eq!(
            reply.yielded.len() as u64,
            case["signatures"].as_u64().expect("count"),
            "{template}: signatures yielded"
        );
        let digests: Vec<Vec<u8>> = reply
            .yielded
            .iter()
            .map(|item| check_signature(&psbt, &spent, item))
            .collect();
        if let Some(expected) = case["script_path_yields"].as_array() {
            let yielded: Vec<(String, String)> = reply
                .yielded
                .iter()
                .map(|item| match item {
                    YieldedItem::PartialSignature { key, .. } => {
                        (hex::encode(&key[..32]), hex::encode(&key[32..]))
                    }
                    other => panic!("{other:?}"),
                })
                .collect();
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|y| (text(y, "key"), text(y, "leaf_hash")))
                .collect();
            assert_eq!(
                yielded, expected,
                "{template}: keys and leaf hashes, in the app's order"
            );
        }
        if let Some(sighashes) = case["sighashes"].as_array() {
            let expected: Vec<String> = sighashes
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            let ours: Vec<String> = digests.iter().map(hex::encode).collect();
            assert_eq!(
                ours, expected,
                "{template}: the digests Bitcoin Core computed"
            );
        }
    }
}

#[test]
fn insane_policies_are_refused_with_the_apps_error_code() {
    let answers = known_answers();
    for case in answers["refused_registrations"]
        .as_array()
        .expect("refusals")
    {
        let mut t = testnet_device();
        let policy = policy(case, "Unsupported policy");
        let mut last = Vec::new();
        let result = run_exchange_observed(
            &mut t,
            ops::register_wallet(&policy).expect("request"),
            &mut |response| last = response.encode(),
        );
        assert!(result.is_err(), "{}: registered", text(case, "template"));
        assert_eq!(
            hex::encode(&last),
            text(case, "response"),
            "{} ({})",
            text(case, "template"),
            text(case, "why")
        );
    }
}
