//! Calling libbitcoinconsensus (Bitcoin Core's consensus code) on the same input, and comparing.
#![allow(clippy::indexing_slicing)]

use bitcoin::consensus::serialize;
use bitcoin::{Transaction, TxOut};
use porsign::scheme::script::{self, Flags};

/// libbitcoinconsensus's verdict on input `index` under `flags` (consensus flags only).
pub fn core_ok(tx: &Transaction, index: usize, prevouts: &[TxOut], flags: Flags) -> bool {
    let bytes = serialize(tx);
    let utxos: Vec<bitcoinconsensus::Utxo> = prevouts
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let spent = &prevouts[index];
    bitcoinconsensus::verify_with_flags(
        spent.script_pubkey.as_bytes(),
        spent.value.to_sat(),
        &bytes,
        Some(&utxos),
        index,
        flags.bits(),
    )
    .is_ok()
}

/// A disagreement between porsign's interpreter and Core, described for the failure message.
pub fn disagreement(
    what: &str,
    tx: &Transaction,
    index: usize,
    prevouts: &[TxOut],
    flags: Flags,
) -> Option<String> {
    let core = core_ok(tx, index, prevouts, flags);
    let ours = script::verify_input(tx, index, prevouts, flags);
    if core == ours.is_ok() {
        return None;
    }
    Some(format!(
        "{what}: core {} ours {ours:?} flags {:#x}\n  tx {}\n  prevouts {}",
        if core { "OK" } else { "FAIL" },
        flags.bits(),
        hex::encode(serialize(tx)),
        prevouts
            .iter()
            .map(|o| format!(
                "{}:{}",
                o.value.to_sat(),
                hex::encode(o.script_pubkey.as_bytes())
            ))
            .collect::<Vec<_>>()
            .join(" "),
    ))
}

/// A random subset of the consensus flags Core accepts (WITNESS only with P2SH, as Core
/// requires).
pub fn random_consensus_flags(rng: &mut impl rand::Rng) -> Flags {
    if rng.gen_bool(0.6) {
        return Flags::CONSENSUS;
    }
    let mut f = Flags::NONE;
    for flag in [
        Flags::P2SH,
        Flags::DERSIG,
        Flags::NULLDUMMY,
        Flags::CHECKLOCKTIMEVERIFY,
        Flags::CHECKSEQUENCEVERIFY,
        Flags::TAPROOT,
    ] {
        if rng.gen_bool(0.5) {
            f = f | flag;
        }
    }
    if f.contains(Flags::P2SH) && rng.gen_bool(0.7) {
        f = f | Flags::WITNESS;
    }
    f
}

/// Fails with the first disagreements, if any.
#[track_caller]
pub fn assert_agreement(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
