//! The three encodings of a BIP-322 signature after its prefix: simple (a witness), full (a
//! whole `to_sign`) and proof of funds (a finalized PSBT of `to_sign`), and the shape checks
//! of `to_sign`.

use bitcoin::address::AddressData;
use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytes};
use bitcoin::{Amount, OutPoint, Script, ScriptBuf, Transaction, TxOut, Witness};

use super::construct::{op_return, to_sign};
use super::rules::verify_input;
use super::timelock::TimeLock;
use super::{Bip322Proof, Bip322Variant, SchemeError};
use crate::scheme::script::Report;

/// The verdict of a valid proof: its form, `to_sign`'s nLockTime and first nSequence, and the
/// time lock they (and the script's lock-time opcodes) impose.
fn proof(variant: Bip322Variant, sign: &Transaction, reports: &[Report]) -> Bip322Proof {
    let time_lock = TimeLock::of_to_sign(
        sign,
        reports.iter().any(|r| r.checked_lock_time),
        reports.iter().any(|r| r.checked_sequence),
    );
    Bip322Proof {
        variant,
        lock_time: sign.lock_time.to_consensus_u32(),
        sequence: sign.input.first().map(|i| i.sequence.0).unwrap_or(0),
        time_lock,
    }
}

pub(super) fn verify_simple(
    spend: &Transaction,
    address: &bitcoin::Address,
    bytes: &[u8],
) -> Result<Bip322Proof, SchemeError> {
    let witness: Witness =
        deserialize(bytes).map_err(|e| SchemeError::Bip322ParseSimple(e.to_string()))?;
    let mut sign = to_sign(spend);
    let script_sig = match address.to_address_data() {
        AddressData::P2pkh { .. } => {
            return Err(SchemeError::Bip322Invalid(
                "the simple variant cannot prove a p2pkh address (use legacy or full)".into(),
            ))
        }
        // Pre-1.0 signers produced simple proofs for P2SH-wrapped segwit; the redeem script is
        // then implied by the witness. Only a redeem script that hashes to the address is used,
        // and the interpreter checks the rest.
        AddressData::P2sh { script_hash } => p2sh_wrapped_script_sig(&witness, &script_hash)
            .ok_or_else(|| {
                SchemeError::Bip322Invalid(
                    "simple signature for a p2sh address: the witness implies no redeem script of this address".into(),
                )
            })?,
        _ => ScriptBuf::new(),
    };
    if let Some(input) = sign.input.first_mut() {
        input.witness = witness;
        input.script_sig = script_sig;
    }
    let prevouts = spend.output.clone();
    let report = verify_input(&sign, &prevouts, 0)?;
    Ok(proof(Bip322Variant::Simple, &sign, &[report]))
}

/// The scriptSig pushing the P2WPKH or P2WSH program implied by a simple witness, if it hashes
/// to `script_hash`.
fn p2sh_wrapped_script_sig(
    witness: &Witness,
    script_hash: &bitcoin::ScriptHash,
) -> Option<ScriptBuf> {
    let last = witness.last()?;
    let mut candidates = Vec::with_capacity(2);
    if last.len() == 33 {
        candidates.push(ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::hash(last)));
    }
    candidates.push(ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(last)));
    let redeem = candidates
        .into_iter()
        .find(|c| c.script_hash() == *script_hash)?;
    let push: &PushBytes = redeem.as_bytes().try_into().ok()?;
    Some(Builder::new().push_slice(push).into_script())
}

/// Checks the fixed parts of a decoded `to_sign`: first input spends `to_spend:0`, exactly one
/// output of 0 to OP_RETURN, version 0 or 2, no input twice.
fn check_to_sign_shape(sign: &Transaction, spend: &Transaction) -> Result<(), SchemeError> {
    let first = sign
        .input
        .first()
        .ok_or_else(|| SchemeError::Bip322Invalid("to_sign has no input".into()))?;
    let expected = OutPoint {
        txid: spend.compute_txid(),
        vout: 0,
    };
    if first.previous_output != expected {
        return Err(SchemeError::Bip322Invalid(format!(
            "to_sign's first input spends {}, not {expected} (the to_spend of this message and address)",
            first.previous_output
        )));
    }
    match sign.output.as_slice() {
        [out] if out.value == Amount::ZERO && out.script_pubkey == op_return() => {}
        _ => {
            return Err(SchemeError::Bip322Invalid(
                "to_sign must have exactly one output: 0 to OP_RETURN".into(),
            ))
        }
    }
    for (i, input) in sign.input.iter().enumerate() {
        if sign
            .input
            .iter()
            .skip(i + 1)
            .any(|other| other.previous_output == input.previous_output)
        {
            return Err(SchemeError::Bip322Invalid(format!(
                "to_sign spends {} twice",
                input.previous_output
            )));
        }
        if i > 0 && input.previous_output.is_null() {
            return Err(SchemeError::Bip322Invalid(format!(
                "to_sign input {i} has a null prevout"
            )));
        }
    }
    let version = sign.version.0;
    if version != 0 && version != 2 {
        return Err(SchemeError::Bip322Unsupported(format!(
            "to_sign version {version} (only 0 and 2 are defined)"
        )));
    }
    Ok(())
}

pub(super) fn verify_full(spend: &Transaction, bytes: &[u8]) -> Result<Bip322Proof, SchemeError> {
    let sign: Transaction =
        deserialize(bytes).map_err(|e| SchemeError::Bip322ParseFull(e.to_string()))?;
    check_to_sign_shape(&sign, spend)?;
    if sign.input.len() > 1 {
        return Err(SchemeError::Bip322Invalid(
            "a full signature has one input; additional inputs need the pof variant".into(),
        ));
    }
    let prevouts = spend.output.clone();
    let report = verify_input(&sign, &prevouts, 0)?;
    Ok(proof(Bip322Variant::Full, &sign, &[report]))
}

pub(super) fn verify_pof(spend: &Transaction, bytes: &[u8]) -> Result<Bip322Proof, SchemeError> {
    let psbt = bitcoin::Psbt::deserialize(bytes)
        .map_err(|e| SchemeError::Bip322ParsePof(e.to_string()))?;
    let mut sign = psbt.unsigned_tx.clone();
    check_to_sign_shape(&sign, spend)?;
    if psbt.inputs.len() != sign.input.len() {
        return Err(SchemeError::Bip322ParsePof("input count mismatch".into()));
    }
    let spend_txid = spend.compute_txid();
    let mut prevouts: Vec<TxOut> = Vec::with_capacity(sign.input.len());
    for (i, (txin, pin)) in sign.input.iter_mut().zip(psbt.inputs.iter()).enumerate() {
        let prevout = if i == 0 {
            let own = spend
                .output
                .first()
                .cloned()
                .ok_or_else(|| SchemeError::Bip322Invalid("to_spend has no output".into()))?;
            if pin.witness_utxo.as_ref().is_some_and(|w| *w != own)
                || pin
                    .non_witness_utxo
                    .as_ref()
                    .is_some_and(|t| t.compute_txid() != spend_txid)
            {
                return Err(SchemeError::Bip322Invalid(
                    "the first input's utxo is not to_spend's output".into(),
                ));
            }
            own
        } else {
            utxo_of_input(i, &txin.previous_output, &psbt, pin)?
        };
        check_script_pubkey_supported(&prevout.script_pubkey)?;
        let finalized = pin.final_script_sig.is_some() || pin.final_script_witness.is_some();
        if !finalized {
            return Err(SchemeError::Bip322Invalid(format!(
                "input {i} is not finalized"
            )));
        }
        txin.script_sig = pin.final_script_sig.clone().unwrap_or_default();
        txin.witness = pin.final_script_witness.clone().unwrap_or_default();
        prevouts.push(prevout);
    }
    let mut reports = Vec::with_capacity(sign.input.len());
    for i in 0..sign.input.len() {
        let report = verify_input(&sign, &prevouts, i).map_err(|e| match e {
            SchemeError::Bip322Invalid(m) if i > 0 => {
                SchemeError::Bip322Invalid(format!("proof-of-funds input {i}: {m}"))
            }
            SchemeError::Bip322Unsupported(m) if i > 0 => {
                SchemeError::Bip322Unsupported(format!("proof-of-funds input {i}: {m}"))
            }
            other => other,
        })?;
        reports.push(report);
    }
    Ok(proof(Bip322Variant::ProofOfFunds, &sign, &reports))
}

/// The output an additional proof-of-funds input spends, from its PSBT UTXO fields.
fn utxo_of_input(
    i: usize,
    outpoint: &OutPoint,
    psbt: &bitcoin::Psbt,
    pin: &bitcoin::psbt::Input,
) -> Result<TxOut, SchemeError> {
    // A full previous transaction, on this input or on an earlier one with the same txid.
    let full_tx = pin.non_witness_utxo.as_ref().or_else(|| {
        psbt.unsigned_tx
            .input
            .iter()
            .zip(psbt.inputs.iter())
            .take(i)
            .find(|(txin, p)| {
                txin.previous_output.txid == outpoint.txid && p.non_witness_utxo.is_some()
            })
            .and_then(|(_, p)| p.non_witness_utxo.as_ref())
    });
    if let Some(tx) = full_tx {
        if tx.compute_txid() != outpoint.txid {
            return Err(SchemeError::Bip322Invalid(format!(
                "input {i}: its non-witness utxo is not transaction {}",
                outpoint.txid
            )));
        }
        let vout = usize::try_from(outpoint.vout).unwrap_or(usize::MAX);
        return tx.output.get(vout).cloned().ok_or_else(|| {
            SchemeError::Bip322Invalid(format!("input {i}: output {outpoint} does not exist"))
        });
    }
    match &pin.witness_utxo {
        // A witness UTXO alone is enough only for a segwit spend (the signature commits to the
        // amount, and the witness proves the script).
        Some(w) if w.script_pubkey.is_witness_program() || pin.final_script_witness.is_some() => {
            Ok(w.clone())
        }
        _ => Err(SchemeError::Bip322Invalid(format!(
            "input {i}: no non-witness utxo for {outpoint}"
        ))),
    }
}

/// Refuses output scripts the interpreter would treat as anyone-can-spend for lack of rules:
/// witness versions above 1, and witness programs of non-standard lengths.
pub(super) fn check_script_pubkey_supported(spk: &Script) -> Result<(), SchemeError> {
    if let Some(version) = spk.witness_version() {
        let ok = spk.is_p2wpkh() || spk.is_p2wsh() || spk.is_p2tr();
        if !ok {
            return Err(SchemeError::Bip322Unsupported(format!(
                "witness version {} program of {} bytes cannot be checked",
                version.to_num(),
                spk.len().saturating_sub(2)
            )));
        }
    }
    Ok(())
}
