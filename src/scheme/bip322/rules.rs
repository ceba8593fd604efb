//! Checking one input of `to_sign`: Bitcoin Core's consensus code first, then porsign's policy
//! interpreter with all of Core's standard script flags, then the rules no interpreter flag
//! covers (signature hash types, code separators and pushes anywhere in a script).

use bitcoin::consensus::serialize;
use bitcoin::{Transaction, TxOut};

use super::lint::lint_input;
use super::SchemeError;
use crate::scheme::script::{self, Flags, Report, ScriptError, SignatureUse};

/// Consensus flags passed to libbitcoinconsensus (all of them).
const CONSENSUS_FLAGS: u32 =
    bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT;

/// The script rules BIP-322 requires: all of Core's standard flags, and MINIMALIF in legacy and
/// P2SH scripts too (BIP-322 states it for every IF/NOTIF, Core's flag only covers witness v0).
const POLICY: Flags =
    Flags::from_bits_truncate(Flags::STANDARD.bits() | Flags::MINIMALIF_BASE.bits());

/// Verifies input `index` of `sign` spending `prevouts[index]`; on success returns what the
/// policy interpreter observed (lock-time opcodes executed).
pub(super) fn verify_input(
    sign: &Transaction,
    prevouts: &[TxOut],
    index: usize,
) -> Result<Report, SchemeError> {
    let txin = sign
        .input
        .get(index)
        .ok_or_else(|| SchemeError::Bip322Invalid(format!("no input {index}")))?;
    let prevout = prevouts
        .get(index)
        .ok_or_else(|| SchemeError::Bip322Invalid(format!("no spent output for input {index}")))?;
    verify_consensus(sign, prevouts, index, prevout)?;

    // The required rules are judged before the upgradable ones: when the standard flags stop
    // at an upgrade hook, the script is run again without those hooks (as today's consensus
    // treats them) to find any required rule it also breaks.
    let (report, upgradable) = match script::verify_input(sign, index, prevouts, POLICY) {
        Ok(report) => (report, None),
        Err(e) if e.is_upgradable() => {
            let required = POLICY.without(Flags::UPGRADABLE);
            let report =
                script::verify_input(sign, index, prevouts, required).map_err(policy_invalid)?;
            (report, Some(e))
        }
        Err(e) => return Err(policy_invalid(e)),
    };
    check_hash_types(&report)?;
    lint_input(txin, &prevout.script_pubkey)?;
    match upgradable {
        Some(e) => Err(inconclusive(e)),
        None => Ok(report),
    }
}

/// libbitcoinconsensus with every consensus rule (taproot included: all spent outputs given).
fn verify_consensus(
    sign: &Transaction,
    prevouts: &[TxOut],
    index: usize,
    prevout: &TxOut,
) -> Result<(), SchemeError> {
    let tx_bytes = serialize(sign);
    let mut utxos = Vec::with_capacity(prevouts.len());
    for out in prevouts {
        let value = i64::try_from(out.value.to_sat())
            .map_err(|_| SchemeError::Bip322Invalid("output value out of range".into()))?;
        let len = u32::try_from(out.script_pubkey.len())
            .map_err(|_| SchemeError::Bip322Invalid("script too large".into()))?;
        utxos.push(bitcoinconsensus::Utxo {
            script_pubkey: out.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: len,
            value,
        });
    }
    // `utxos` points into `prevouts`, which outlives this call.
    let result = bitcoinconsensus::verify_with_flags(
        prevout.script_pubkey.as_bytes(),
        prevout.value.to_sat(),
        &tx_bytes,
        Some(&utxos),
        index,
        CONSENSUS_FLAGS,
    );
    match result {
        Ok(()) => Ok(()),
        Err(bitcoinconsensus::Error::ERR_SCRIPT) => Err(SchemeError::Bip322Invalid(
            "script verification failed (wrong message, wrong signer or unsatisfied script)".into(),
        )),
        Err(e) => Err(SchemeError::Bip322Invalid(format!(
            "the script interpreter refused the transaction: {e}"
        ))),
    }
}

/// A required rule broken (or anything else the policy interpreter refuses after consensus
/// accepted: fail closed).
fn policy_invalid(e: ScriptError) -> SchemeError {
    SchemeError::Bip322Invalid(format!(
        "the script breaks a standard rule BIP-322 requires: {e}"
    ))
}

/// An upgrade hook reached: the proof's meaning is not decided today.
fn inconclusive(e: ScriptError) -> SchemeError {
    let message = match e {
        ScriptError::DiscourageUpgradablePubkeyType => {
            "a tapscript signature check uses a public key of unknown type (neither 32 bytes nor \
             empty): BIP-342 lets any signature pass for it today and reserves it for upgrades, \
             so it proves nothing"
                .to_owned()
        }
        other => format!("the script reaches a rule reserved for upgrades: {other}"),
    };
    SchemeError::Bip322Unsupported(message)
}

/// Every signature checked must be SIGHASH_ALL, or SIGHASH_DEFAULT for BIP-340 signatures.
fn check_hash_types(report: &Report) -> Result<(), SchemeError> {
    for used in &report.signatures {
        match *used {
            SignatureUse::Ecdsa { hash_type: 0x01 } => {}
            SignatureUse::Ecdsa { hash_type } => {
                return Err(SchemeError::Bip322Invalid(format!(
                    "signature hash type 0x{hash_type:02x} is not SIGHASH_ALL"
                )))
            }
            SignatureUse::Schnorr {
                hash_type: None | Some(0x01),
            } => {}
            SignatureUse::Schnorr {
                hash_type: Some(hash_type),
            } => {
                return Err(SchemeError::Bip322Invalid(format!(
                    "taproot signature hash type 0x{hash_type:02x} is not SIGHASH_DEFAULT or SIGHASH_ALL"
                )))
            }
        }
    }
    Ok(())
}
