//! Comparing what a client got from the device under test with what the same client operation
//! got from the real app (the transcript's `result`), and the table of verdicts.
//!
//! ECDSA signatures are deterministic, so they must be byte-identical. BIP-340 signatures carry
//! fresh randomness on the real app, so a Schnorr signature must instead verify for the same key
//! over the input's BIP-341 digest (key path, or script path with the recorded leaf hash).

use std::str::FromStr;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{schnorr, Message, XOnlyPublicKey, SECP256K1};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Psbt, TapSighashType, TxOut};
use serde_json::{json, Value};

/// The verdict on one client command.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Same answer as the real app.
    Identical,
    /// The real app refused it, and so did the device under test, with the same status word
    /// (and error code, where the app sends one).
    FailsIdentically,
    /// A difference, described.
    Differs(String),
}

/// The verdicts of one lane run, printed as a table (the closing note's command table).
#[derive(Default)]
pub(crate) struct Table {
    rows: Vec<(String, Verdict)>,
}

impl Table {
    pub(crate) fn add(&mut self, command: impl Into<String>, verdict: Verdict) {
        let command = command.into();
        eprintln!("{:<18} {command}", label(&verdict));
        self.rows.push((command, verdict));
    }

    /// Prints the tally and fails the test if any command differs.
    pub(crate) fn assert_all_match(self, title: &str) {
        let count = |f: fn(&Verdict) -> bool| self.rows.iter().filter(|(_, v)| f(v)).count();
        let identical = count(|v| matches!(v, Verdict::Identical));
        let failing = count(|v| matches!(v, Verdict::FailsIdentically));
        let differs: Vec<String> = self
            .rows
            .iter()
            .filter_map(|(c, v)| match v {
                Verdict::Differs(why) => Some(format!("{c}: {why}")),
                _ => None,
            })
            .collect();
        eprintln!(
            "{title}: {} commands: {identical} identical, {failing} fail identically, {} differ",
            self.rows.len(),
            differs.len()
        );
        assert!(!self.rows.is_empty(), "{title}: no command ran");
        assert!(
            differs.is_empty(),
            "{title}: differs:\n{}",
            differs.join("\n")
        );
    }
}

fn label(v: &Verdict) -> &'static str {
    match v {
        Verdict::Identical => "identical",
        Verdict::FailsIdentically => "fails identically",
        Verdict::Differs(_) => "DIFFERS",
    }
}

/// The status word a recorded error names: `sw`, or the first item of `detail`
/// (`('0xb007', …)`).
fn recorded_sw(result: &Value) -> Option<String> {
    if let Some(sw) = result["sw"].as_str() {
        return Some(sw.to_lowercase());
    }
    let detail = result["detail"].as_str()?;
    let at = detail.find("0x")?;
    let sw = detail.get(at + 2..at + 6)?;
    Some(format!("{sw:0>4}").to_lowercase())
}

/// A `ledger_bitcoin` answer (`{"ok": …}` or an error) against the recorded `result`; `same`
/// judges two successful answers.
pub(crate) fn judge(
    ours: &Value,
    recorded: &Value,
    same: impl FnOnce(&Value, &Value) -> Result<(), String>,
) -> Verdict {
    match (recorded.get("error"), ours.get("ok")) {
        (Some(_), Some(ok)) => Verdict::Differs(format!("the app refused; the device gave {ok}")),
        (None, None) => Verdict::Differs(format!("the app answered; the device: {ours}")),
        (None, Some(ok)) => match same(ok, recorded) {
            Ok(()) => Verdict::Identical,
            Err(why) => Verdict::Differs(why),
        },
        (Some(_), None) => {
            let want_sw = recorded_sw(recorded);
            let got_sw = ours["sw"].as_str().map(str::to_lowercase);
            let want_code = recorded["error_code"].as_str();
            let got_code = ours["error_code"].as_str();
            if want_sw.is_some() && want_sw == got_sw && want_code == got_code {
                Verdict::FailsIdentically
            } else {
                Verdict::Differs(format!(
                    "the app: sw {want_sw:?} code {want_code:?}; the device: sw {got_sw:?} code {got_code:?}"
                ))
            }
        }
    }
}

/// An HWI error answer against a recorded error: HWI prints the status word in its message.
pub(crate) fn judge_hwi_error(ours: &Value, recorded: &Value) -> Verdict {
    let Some(want) = recorded_sw(recorded) else {
        return Verdict::Differs(format!("the recorded result is no error: {recorded}"));
    };
    match ours["error"].as_str() {
        Some(message) if message.to_lowercase().contains(&format!("0x{want}")) => {
            Verdict::FailsIdentically
        }
        Some(message) => Verdict::Differs(format!("the app: {want}; the device: {message}")),
        None => Verdict::Differs(format!("the app refused ({want}); the device gave {ours}")),
    }
}

pub(crate) fn equal(ours: &Value, recorded: &Value) -> Verdict {
    if ours == recorded {
        Verdict::Identical
    } else {
        Verdict::Differs(format!("the app: {recorded}; the device: {ours}"))
    }
}

/// The signatures a signed PSBT (HWI's `signtx` answer) carries, in `ledger_bitcoin`'s shape:
/// `[[input, {pubkey, signature, tapleaf_hash}]]`.
pub(crate) fn psbt_signatures(psbt: &Psbt) -> Value {
    let mut all = Vec::new();
    for (index, input) in psbt.inputs.iter().enumerate() {
        for (key, sig) in &input.partial_sigs {
            all.push(json!([index, {"pubkey": key.to_string(), "signature": hex(&sig.to_vec()), "tapleaf_hash": null}]));
        }
        // The app reports a key-path signature under the output key (the tweaked key the
        // spent `OP_1 <32 bytes>` script holds), not under the internal key.
        let output_key = input.witness_utxo.as_ref().and_then(|utxo| {
            let script = utxo.script_pubkey.as_bytes();
            script
                .get(2..34)
                .filter(|_| utxo.script_pubkey.is_p2tr())
                .map(hex)
        });
        if let (Some(sig), Some(key)) = (&input.tap_key_sig, output_key) {
            all.push(json!([index, {"pubkey": key, "signature": hex(&sig.to_vec()), "tapleaf_hash": null}]));
        }
        for ((key, leaf), sig) in &input.tap_script_sigs {
            all.push(json!([index, {"pubkey": key.to_string(), "signature": hex(&sig.to_vec()), "tapleaf_hash": leaf.to_string()}]));
        }
    }
    Value::Array(all)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signature lists (`ledger_bitcoin`'s shape) against the recorded ones, for `psbt`.
pub(crate) fn same_signatures(ours: &Value, recorded: &Value, psbt: &Psbt) -> Result<(), String> {
    let (Some(ours), Some(recorded)) = (ours.as_array(), recorded.as_array()) else {
        return Err(format!("no signature list: {ours}"));
    };
    if ours.len() != recorded.len() {
        return Err(format!(
            "{} signatures, the app gave {}",
            ours.len(),
            recorded.len()
        ));
    }
    for want in recorded {
        let (index, key, leaf) = (&want[0], &want[1]["pubkey"], &want[1]["tapleaf_hash"]);
        let got = ours
            .iter()
            .find(|s| &s[0] == index && &s[1]["pubkey"] == key && &s[1]["tapleaf_hash"] == leaf)
            .ok_or_else(|| format!("no signature for input {index} key {key}"))?;
        let (got_sig, want_sig) = (text(&got[1]["signature"]), text(&want[1]["signature"]));
        let is_schnorr = text(key).len() == 64;
        if !is_schnorr {
            if got_sig != want_sig {
                return Err(format!(
                    "input {index}: ECDSA {got_sig} != the app's {want_sig}"
                ));
            }
            continue;
        }
        let input = index
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or("bad index")?;
        if got_sig.len() != want_sig.len() {
            return Err(format!("input {index}: Schnorr signature length differs"));
        }
        verify_schnorr(psbt, input, text(key), leaf.as_str(), got_sig)
            .map_err(|e| format!("input {index}: {e}"))?;
    }
    Ok(())
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// A BIP-340 signature (hex, 64 bytes or 65 with a sighash byte) over input `input` of `psbt`:
/// script path under `leaf` for `key`, or key path for the output key the input spends.
fn verify_schnorr(
    psbt: &Psbt,
    input: usize,
    key: &str,
    leaf: Option<&str>,
    sig_hex: &str,
) -> Result<(), String> {
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(sig_hex).map_err(|e| format!("{e:?}"))?;
    let sighash_type = match bytes.get(64) {
        None => TapSighashType::Default,
        Some(&b) => TapSighashType::from_consensus_u8(b).map_err(|e| e.to_string())?,
    };
    let sig = schnorr::Signature::from_slice(bytes.get(..64).ok_or("short")?)
        .map_err(|e| e.to_string())?;
    let spent: Vec<TxOut> = psbt
        .inputs
        .iter()
        .map(|i| {
            i.witness_utxo
                .clone()
                .ok_or("an input without witness_utxo")
        })
        .collect::<Result<_, _>>()?;
    let mut cache = SighashCache::new(&psbt.unsigned_tx);
    let prevouts = Prevouts::All(&spent);
    let (digest, key) = match leaf {
        Some(leaf) => {
            let leaf = TapLeafHash::from_str(leaf).map_err(|e| e.to_string())?;
            let digest = cache
                .taproot_script_spend_signature_hash(input, &prevouts, leaf, sighash_type)
                .map_err(|e| e.to_string())?;
            let key = XOnlyPublicKey::from_str(key).map_err(|e| e.to_string())?;
            (digest, key)
        }
        None => {
            let digest = cache
                .taproot_key_spend_signature_hash(input, &prevouts, sighash_type)
                .map_err(|e| e.to_string())?;
            // The key path signs for the output key: the x-only key in `OP_1 <32 bytes>`.
            let script = &spent.get(input).ok_or("no such input")?.script_pubkey;
            let key = XOnlyPublicKey::from_slice(script.as_bytes().get(2..34).ok_or("not P2TR")?)
                .map_err(|e| e.to_string())?;
            (digest, key)
        }
    };
    let message = Message::from_digest(digest.to_byte_array());
    SECP256K1
        .verify_schnorr(&sig, &message, &key)
        .map_err(|e| format!("Schnorr signature does not verify: {e}"))
}
