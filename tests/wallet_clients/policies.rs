//! `ledger_bitcoin` with miniscript and taproot-tree wallet policies on the Bitcoin Test app:
//! register, derive and sign, against the known answers of Ledger's own test suite for the app
//! (`fixtures/ledger-app/policy-known-answers.json`: HMACs, addresses, the script-path keys and
//! leaf hashes the app yields, and the refusals of policies that are not sane). No recording of
//! the real app exists for these flows; the app's tests assert these values on the same seed.

use std::str::FromStr;

use bitcoin::ecdsa;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, SECP256K1};
use bitcoin::sighash::SighashCache;
use bitcoin::{Psbt, PublicKey};
use serde_json::{json, Value};

use super::clients::ledger_bitcoin;
use super::compare::{equal, same_signatures, Verdict};
use super::harness::{App, Choice};
use super::Run;

fn known_answers() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/ledger-app/policy-known-answers.json");
    let text = std::fs::read_to_string(&path).expect("the known answers");
    serde_json::from_str(&text).expect("JSON")
}

fn policy(entry: &Value) -> Value {
    json!({
        "name": entry["name"].as_str().unwrap_or("policy"),
        "descriptor_template": entry["template"],
        "keys_info": entry["keys"],
    })
}

/// A BIP-143 ECDSA signature (hex, DER with the sighash byte) by `key` over input `input` of
/// `psbt`, spending its P2WSH `witness_script`.
fn verify_segwit_v0(psbt: &Psbt, input: usize, key: &str, sig_hex: &str) -> Result<(), String> {
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(sig_hex).map_err(|e| format!("{e:?}"))?;
    let sig = ecdsa::Signature::from_slice(&bytes).map_err(|e| e.to_string())?;
    let key = PublicKey::from_str(key).map_err(|e| e.to_string())?;
    let psbt_input = psbt.inputs.get(input).ok_or("no such input")?;
    let script = psbt_input
        .witness_script
        .as_ref()
        .ok_or("no witness script")?;
    let value = psbt_input
        .witness_utxo
        .as_ref()
        .ok_or("no witness_utxo")?
        .value;
    let digest = SighashCache::new(&psbt.unsigned_tx)
        .p2wsh_signature_hash(input, script, value, sig.sighash_type)
        .map_err(|e| e.to_string())?;
    let message = Message::from_digest(digest.to_byte_array());
    SECP256K1
        .verify_ecdsa(&message, &sig.signature, &key.inner)
        .map_err(|e| format!("ECDSA signature does not verify: {e}"))
}

/// The app's yields for a signed PSBT: how many, the script-path keys and leaf hashes the app's
/// tests assert, and every signature valid.
fn judge_signed(entry: &Value, got: &Value) -> Verdict {
    let Some(signatures) = got["ok"]["signatures"].as_array() else {
        return Verdict::Differs(format!("no signatures: {got}"));
    };
    if Some(signatures.len() as u64) != entry["signatures"].as_u64() {
        return Verdict::Differs(format!(
            "{} signatures, the app yields {}",
            signatures.len(),
            entry["signatures"]
        ));
    }
    let psbt = match Psbt::from_str(entry["psbt"].as_str().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return Verdict::Differs(format!("the known PSBT: {e}")),
    };
    if let Some(yields) = entry["script_path_yields"].as_array() {
        let got_yields: Vec<Value> = signatures
            .iter()
            .map(|s| json!({"key": s[1]["pubkey"], "leaf_hash": s[1]["tapleaf_hash"]}))
            .collect();
        if &got_yields != yields {
            return Verdict::Differs(format!("yields {got_yields:?}, the app's {yields:?}"));
        }
    }
    for s in signatures {
        let (index, key, sig) = (&s[0], &s[1]["pubkey"], &s[1]["signature"]);
        let Some(input) = index.as_u64().and_then(|i| usize::try_from(i).ok()) else {
            return Verdict::Differs(format!("bad input index {index}"));
        };
        let checked = if key.as_str().map(str::len) == Some(66) {
            verify_segwit_v0(
                &psbt,
                input,
                key.as_str().unwrap_or_default(),
                sig.as_str().unwrap_or_default(),
            )
        } else {
            // A Schnorr signature: checked like the recorded ones, against itself.
            same_signatures(&json!([s]), &json!([s]), &psbt)
        };
        if let Err(why) = checked {
            return Verdict::Differs(format!("input {index}: {why}"));
        }
    }
    Verdict::Identical
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn ledger_bitcoin_miniscript_and_tap_tree_policies() {
    let mut run = Run::start(App::BitcoinTest, Choice::Approve);
    let answers = known_answers();
    let call = |request: Value| ledger_bitcoin(run.device.apdu, true, request);

    // Registering gives the HMAC the app's tests know; then the entry's own operation.
    let registers = |entry: &Value| {
        let registered = call(json!({"op": "register", "policy": policy(entry)}));
        (
            format!(
                "ledger_bitcoin register_wallet {}",
                entry["template"].as_str().unwrap_or_default()
            ),
            equal(&registered["ok"]["hmac"], &entry["hmac"]),
        )
    };
    for entry in answers["addresses"].as_array().expect("addresses") {
        let template = entry["template"].as_str().unwrap_or_default();
        let (command, verdict) = registers(entry);
        run.table.add(command, verdict);
        let address = call(json!({
            "op": "address", "policy": policy(entry), "hmac": entry["hmac"],
            "change": u32::from(entry["change"] == true), "index": entry["index"],
        }));
        run.table.add(
            format!("ledger_bitcoin get_wallet_address {template}"),
            equal(&address["ok"], &entry["address"]),
        );
    }

    for entry in answers["signed_psbts"].as_array().expect("signed PSBTs") {
        let template = entry["template"].as_str().unwrap_or_default();
        let (command, verdict) = registers(entry);
        run.table.add(command, verdict);
        let signed = call(json!({
            "op": "sign_psbt", "policy": policy(entry), "hmac": entry["hmac"],
            "psbt": entry["psbt"],
        }));
        run.table.add(
            format!("ledger_bitcoin sign_psbt {template}"),
            judge_signed(entry, &signed),
        );
    }

    for entry in answers["refused_registrations"]
        .as_array()
        .expect("refusals")
    {
        let refused = call(json!({"op": "register", "policy": policy(entry)}));
        let got = format!(
            "{}{}",
            refused["error_code"].as_str().unwrap_or_default(),
            refused["sw"].as_str().unwrap_or_default()
        );
        let verdict = if got == entry["response"].as_str().unwrap_or_default() {
            Verdict::FailsIdentically
        } else {
            Verdict::Differs(format!("answered {got}, the app {}", entry["response"]))
        };
        run.table.add(
            format!(
                "ledger_bitcoin register_wallet ({})",
                entry["why"].as_str().unwrap_or_default()
            ),
            verdict,
        );
    }
    run.finish("ledger_bitcoin, miniscript and tap trees (testnet app)");
}
