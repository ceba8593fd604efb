//! The emulator against every transcript recorded from the real apps: each recorded command,
//! fed in order, must get the recorded response byte for byte, and the review pages it shows
//! must read like the recorded screens.
//!
//! One exception, as on the device: the app's BIP-340 (Schnorr) signatures use fresh
//! randomness, so for those replies every other byte must match and the signature must verify.
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;

use bitcoin::consensus::encode::VarInt;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{schnorr, Message, XOnlyPublicKey, SECP256K1};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Reply};
use serde_json::Value;

use crate::util::fixture;

struct Transcript {
    name: String,
    json: Value,
}

fn transcripts() -> Vec<Transcript> {
    let dir = fixture("speculos");
    let mut out: Vec<Transcript> = std::fs::read_dir(&dir)
        .expect("fixtures/speculos exists")
        .filter_map(|entry| {
            let path = entry.expect("directory entry").path();
            if path.extension()? != "json" {
                return None;
            }
            let name = path.file_stem()?.to_str()?.to_owned();
            let text = std::fs::read_to_string(&path).expect("readable transcript");
            Some(Transcript {
                name,
                json: serde_json::from_str(&text).expect("transcript is JSON"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The emulator a transcript was recorded against.
fn emulator_for(name: &str, seed: &str) -> Emulator {
    let app = if name.starts_with("btc-testnet-") || name.starts_with("btc-hwi-testnet-") {
        AppMode::BitcoinTest
    } else if name.starts_with("eth-") {
        AppMode::Ethereum
    } else {
        AppMode::Bitcoin
    };
    let mut config = EmulatorConfig::new(app);
    config.mnemonic = seed.to_owned();
    if name.ends_with("-rejected") {
        config.approval = Approval::Reject;
    }
    Emulator::new(config).expect("emulator")
}

/// A recorded Schnorr YIELD: the input it signs, the key, the leaf for a script-path
/// signature, and where the signature starts.
struct SchnorrYield {
    input: usize,
    key: XOnlyPublicKey,
    leaf: Option<TapLeafHash>,
    sig_at: usize,
}

/// A YIELD of a taproot signature: `10 ‖ varint input index ‖ 20 ‖ x-only key` (key path) or
/// `‖ 40 ‖ x-only key ‖ leaf hash` (script path), `‖ 64-byte signature [‖ sighash byte]`, then
/// `E000`.
fn schnorr_yield(response: &[u8]) -> Option<SchnorrYield> {
    let (data, sw) = response.split_at(response.len().checked_sub(2)?);
    if sw != [0xe0, 0x00] || data.first() != Some(&0x10) {
        return None;
    }
    let mut rest = data.get(1..)?;
    let input: VarInt = bitcoin::consensus::Decodable::consensus_decode(&mut rest).ok()?;
    let key_len = match rest.first() {
        Some(&0x20) => 32,
        Some(&0x40) => 64,
        _ => return None,
    };
    let key_at = data.len() - rest.len() + 1;
    let sig_at = key_at + key_len;
    let sig_len = data.len().checked_sub(sig_at)?;
    if sig_len != 64 && sig_len != 65 {
        return None;
    }
    let key = XOnlyPublicKey::from_slice(data.get(key_at..key_at + 32)?).ok()?;
    let leaf = match key_len {
        64 => Some(TapLeafHash::from_slice(data.get(key_at + 32..sig_at)?).ok()?),
        _ => None,
    };
    Some(SchnorrYield {
        input: usize::try_from(input.0).ok()?,
        key,
        leaf,
        sig_at,
    })
}

/// The transcript's PSBT: in `psbt` (recorded by the wallet-policy clients) or in
/// `result.psbt_base64` (the BIP-322 recordings).
fn transcript_psbt(json: &Value) -> bitcoin::Psbt {
    let base64 = json["psbt"]
        .as_str()
        .or_else(|| json["result"]["psbt_base64"].as_str())
        .expect("the transcript's PSBT");
    bitcoin::Psbt::from_str(base64).expect("valid PSBT")
}

/// The BIP-341 digest (SIGHASH_DEFAULT) of input `input` of the transcript's PSBT, over every
/// input's spent output: key spend, or script spend of `leaf`.
fn taproot_sighash(json: &Value, input: usize, leaf: Option<TapLeafHash>) -> Message {
    let psbt = transcript_psbt(json);
    let spent: Vec<bitcoin::TxOut> = psbt
        .inputs
        .iter()
        .map(|i| i.witness_utxo.clone().expect("witness utxo"))
        .collect();
    let mut cache = SighashCache::new(&psbt.unsigned_tx);
    let prevouts = Prevouts::All(&spent);
    let digest = match leaf {
        None => cache.taproot_key_spend_signature_hash(input, &prevouts, TapSighashType::Default),
        Some(leaf) => cache.taproot_script_spend_signature_hash(
            input,
            &prevouts,
            leaf,
            TapSighashType::Default,
        ),
    }
    .expect("sighash");
    Message::from_digest(digest.to_byte_array())
}

/// Checks our reply against a recorded Schnorr yield: same bytes but the signature, which
/// must verify for the same key and the digest of the input the yield names (the recorded one
/// too, as a control).
fn check_schnorr(ours: &[u8], recorded: &[u8], json: &Value) -> Result<(), String> {
    let SchnorrYield {
        input,
        key,
        leaf,
        sig_at,
    } = schnorr_yield(recorded).ok_or("not a Schnorr yield")?;
    if ours.len() != recorded.len() {
        return Err(format!("length {} != {}", ours.len(), recorded.len()));
    }
    if ours[..sig_at] != recorded[..sig_at] || ours[sig_at + 64..] != recorded[sig_at + 64..] {
        return Err("bytes around the signature differ".into());
    }
    let digest = taproot_sighash(json, input, leaf);
    for (who, bytes) in [("recorded", recorded), ("emulator", ours)] {
        let sig = schnorr::Signature::from_slice(&bytes[sig_at..sig_at + 64])
            .map_err(|e| format!("{who} signature: {e}"))?;
        SECP256K1
            .verify_schnorr(&sig, &digest, &key)
            .map_err(|e| format!("{who} signature of input {input} does not verify: {e}"))?;
    }
    Ok(())
}

/// Recorded screens that belong to the operation before the recorded one: the status page a
/// signature leaves on screen for a while.
fn is_leftover_status(screen: &str) -> bool {
    matches!(
        screen,
        "Transaction signed" | "Message signed" | "Account registered" | "Address verified"
    )
}

/// Screen texts compared exactly (the transcripts join a screen's lines with spaces, and so
/// does `Screen::text`), except for one reading artefact: Speculos reads text from pixels and
/// takes the low underscore glyph for a separate word (`OP _RETURN`).
fn normalized(screen: &str) -> String {
    screen.replace(" _", "_")
}

#[test]
fn every_recorded_exchange_is_answered_byte_for_byte() {
    let mut failures = Vec::new();
    let mut transcripts_checked = 0;
    let mut exchanges_checked = 0;
    let mut schnorr_checked = 0;
    for t in transcripts() {
        let seed = t.json["seed"].as_str().expect("seed");
        let mut emulator = emulator_for(&t.name, seed);
        for (i, exchange) in t.json["exchanges"]
            .as_array()
            .expect("exchanges")
            .iter()
            .enumerate()
        {
            let command = hex::decode(exchange["command"].as_str().expect("command")).unwrap();
            let recorded = hex::decode(exchange["response"].as_str().expect("response")).unwrap();
            let ours = match emulator.handle(&command) {
                Reply::Data(bytes) => bytes,
                other => {
                    failures.push(format!("{} #{i}: no data ({other:?})", t.name));
                    break;
                }
            };
            exchanges_checked += 1;
            if ours == recorded {
                continue;
            }
            if schnorr_yield(&recorded).is_some() {
                match check_schnorr(&ours, &recorded, &t.json) {
                    Ok(()) => schnorr_checked += 1,
                    Err(e) => failures.push(format!("{} #{i}: schnorr yield: {e}", t.name)),
                }
                continue;
            }
            failures.push(format!(
                "{} #{i}: command {}\n  recorded {}\n  emulator {}",
                t.name,
                hex::encode(&command),
                hex::encode(&recorded),
                hex::encode(&ours)
            ));
            break;
        }
        transcripts_checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(transcripts_checked, 72, "one per fixture");
    assert_eq!(exchanges_checked, 4917, "every recorded exchange");
    assert_eq!(
        schnorr_checked, 12,
        "P2TR yields: BIP-322 1, batch 3, registered tr(@0/**) 2, HWI signtx 2, key tree 2, leaf 2"
    );
}

#[test]
fn screens_read_like_the_recorded_ones() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for t in transcripts() {
        let Some(recorded) = t.json["screens"].as_array() else {
            continue;
        };
        let recorded: Vec<&str> = recorded
            .iter()
            .map(|s| s.as_str().expect("screen text"))
            .skip_while(|s| is_leftover_status(s))
            .collect();
        let seed = t.json["seed"].as_str().expect("seed");
        let mut emulator = emulator_for(&t.name, seed);
        for exchange in t.json["exchanges"].as_array().expect("exchanges") {
            let command = hex::decode(exchange["command"].as_str().expect("command")).unwrap();
            let _ = emulator.handle(&command);
        }
        let ours = emulator.reviewed_screens();
        let same = ours.len() == recorded.len()
            && ours
                .iter()
                .zip(&recorded)
                .all(|(a, b)| normalized(a) == normalized(b));
        if !same {
            failures.push(format!(
                "{}:\n  recorded {recorded:?}\n  emulator {ours:?}",
                t.name
            ));
        }
        compared += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(compared, 35, "transcripts with screens");
}
