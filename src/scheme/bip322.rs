//! BIP-322 generic signed messages: simple, full, proof of funds, and the legacy format for P2PKH.
//!
//! Forms accepted (prefix per BIP-322 v1.0.0+; no prefix means simple, as the BIP allows):
//! - `smp` / unprefixed: a witness stack for P2WPKH, P2WSH (any script), P2TR (key or script
//!   path); also P2SH-P2WPKH and P2SH-P2WSH as pre-1.0 signers made them (the redeem script is
//!   implied by the witness and must hash to the address). P2PKH has no simple form.
//! - unprefixed 65-byte payload for a P2PKH address: legacy, verified as BIP-137.
//! - `ful`: a whole `to_sign` with one input, for any address type (time locks included).
//! - `pof`: a finalized PSBT of `to_sign` with extra inputs; every input's script is checked
//!   (non-witness UTXOs must hash to the spent txid), not that the UTXOs exist or are unspent.
//!
//! Script evaluation is done by Bitcoin Core's interpreter (libbitcoinconsensus 26, through the
//! `bitcoinconsensus` crate) with every consensus rule on: P2SH, DERSIG, NULLDUMMY,
//! CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, WITNESS and TAPROOT (the spent outputs are passed,
//! so taproot key and script paths are checked). Nothing here interprets script by hand.
//!
//! The library only takes consensus flags, so once it accepts an input the BIP's extra
//! *required* rules are checked (→ [`SchemeError::Bip322Invalid`]) as far as they can be without
//! interpreting:
//! - every ECDSA signature found on the stack (a strict-DER element plus a hash-type byte) must be
//!   SIGHASH_ALL and low-S; every taproot signature must be 64 bytes (DEFAULT) or 65 ending 0x01;
//! - no OP_CODESEPARATOR in any script that runs, and no legacy FindAndDelete (a scriptSig push
//!   repeated inside the redeem script);
//! - every push in scriptSig, redeem, witness and leaf scripts is minimally encoded.
//!
//! and the *upgradeable* rules end in [`SchemeError::Bip322Unsupported`] ("inconclusive"):
//! `to_sign` version other than 0 or 2, witness versions above 1 or non-standard program lengths
//! (which consensus would treat as anyone-can-spend), P2SH-wrapped witness v1+, tapscript leaf
//! versions other than 0xc0, OP_SUCCESSx in a leaf, OP_NOP1 / OP_NOP4..=OP_NOP10.
//!
//! Not checked (documented gaps; none lets a non-owner pass, since consensus already holds):
//! NULLFAIL, MINIMALIF outside tapscript, numeric minimality, CLEANSTACK for non-segwit spends,
//! and tapscript keys of unknown type supplied from the witness.

use base64::Engine as _;
use bitcoin::address::AddressData;
use bitcoin::blockdata::opcodes::{all as op, Class, ClassifyContext};
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::script::{Builder, Instruction, PushBytes};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Txid, Witness,
};
use serde::{Deserialize, Serialize};

use super::{bip137, SchemeError};

/// Which BIP-322 form a valid signature used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bip322Variant {
    Simple,
    Full,
    Legacy,
    /// `pof`: a finalized PSBT of `to_sign` with additional inputs. Only the proof for the
    /// address (input 0) and the scripts of the extra inputs are checked; whether those inputs
    /// exist and are unspent needs the UTXO set.
    #[serde(rename = "proof-of-funds")]
    ProofOfFunds,
}

/// A valid BIP-322 signature: its form and the spec's "valid at time T and age S".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bip322Proof {
    pub variant: Bip322Variant,
    /// nLockTime of `to_sign` (0 for simple and legacy).
    pub lock_time: u32,
    /// nSequence of `to_sign`'s first input (0 for simple and legacy).
    pub sequence: u32,
}

/// Consensus flags passed to the interpreter (all of them).
const FLAGS: u32 = bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT;

/// Upper bound on the signature string: large multisig full proofs are a few kB.
const MAX_SIGNATURE_CHARS: usize = 400_000;

const TAG: &[u8] = b"BIP0322-signed-message";

/// The BIP-340 tagged hash of `message` with tag `BIP0322-signed-message`.
pub fn message_hash(message: &[u8]) -> [u8; 32] {
    let tag = sha256::Hash::hash(TAG);
    let mut engine = sha256::Hash::engine();
    engine.input(tag.as_byte_array());
    engine.input(tag.as_byte_array());
    engine.input(message);
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// The virtual `to_spend` transaction of `message` for `script_pubkey` (the address's script).
pub fn to_spend(message: &[u8], script_pubkey: &Script) -> Transaction {
    let script_sig = Builder::new()
        .push_opcode(op::OP_PUSHBYTES_0)
        .push_slice(message_hash(message))
        .into_script();
    Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::all_zeros(),
                vout: 0xFFFF_FFFF,
            },
            script_sig,
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: script_pubkey.to_owned(),
        }],
    }
}

/// The unsigned `to_sign` of the simple variant: spends `to_spend:0`, one OP_RETURN output, all
/// numbers 0 (its txid, which excludes the witness, is the vectors' `to_sign` hash).
pub fn to_sign(to_spend: &Transaction) -> Transaction {
    Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: to_spend.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: op_return(),
        }],
    }
}

fn op_return() -> ScriptBuf {
    Builder::new().push_opcode(op::OP_RETURN).into_script()
}

/// Verifies a BIP-322 signature (base64, with or without the `smp`/`ful`/`pof` prefix) of
/// `message` for `address`.
///
/// An unprefixed signature is taken as simple, except that for a P2PKH address an unprefixed
/// signature that decodes to 65 bytes is the legacy (BIP-137) format.
pub fn verify(
    message: &[u8],
    address: &bitcoin::Address,
    signature: &str,
) -> Result<Bip322Variant, SchemeError> {
    verify_detailed(message, address, signature).map(|p| p.variant)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Simple,
    Full,
    Pof,
    None,
}

/// Like [`verify`], and also returns the time lock and age the proof is valid at.
pub fn verify_detailed(
    message: &[u8],
    address: &bitcoin::Address,
    signature: &str,
) -> Result<Bip322Proof, SchemeError> {
    let (prefix, payload) = if let Some(rest) = signature.strip_prefix("smp") {
        (Prefix::Simple, rest)
    } else if let Some(rest) = signature.strip_prefix("ful") {
        (Prefix::Full, rest)
    } else if let Some(rest) = signature.strip_prefix("pof") {
        (Prefix::Pof, rest)
    } else {
        (Prefix::None, signature)
    };
    if payload.is_empty() {
        return Err(SchemeError::Bip322TooShort);
    }
    if payload.len() > MAX_SIGNATURE_CHARS {
        return Err(SchemeError::SignatureLength {
            expected: MAX_SIGNATURE_CHARS / 4 * 3,
            found: payload.len() / 4 * 3,
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|_| SchemeError::SignatureNotBase64)?;
    if bytes.is_empty() {
        return Err(SchemeError::Bip322TooShort);
    }
    let is_p2pkh = matches!(address.to_address_data(), AddressData::P2pkh { .. });
    if prefix == Prefix::None && is_p2pkh && bytes.len() == 65 {
        bip137::verify(message, address, payload)?;
        return Ok(Bip322Proof {
            variant: Bip322Variant::Legacy,
            lock_time: 0,
            sequence: 0,
        });
    }
    check_script_pubkey_supported(&address.script_pubkey())?;
    let spend = to_spend(message, &address.script_pubkey());
    match prefix {
        Prefix::Simple | Prefix::None => verify_simple(&spend, address, &bytes),
        Prefix::Full => verify_full(&spend, &bytes),
        Prefix::Pof => verify_pof(&spend, &bytes),
    }
}

fn verify_simple(
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
    verify_input(&sign, &prevouts, 0)?;
    Ok(Bip322Proof {
        variant: Bip322Variant::Simple,
        lock_time: 0,
        sequence: 0,
    })
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

fn verify_full(spend: &Transaction, bytes: &[u8]) -> Result<Bip322Proof, SchemeError> {
    let sign: Transaction =
        deserialize(bytes).map_err(|e| SchemeError::Bip322ParseFull(e.to_string()))?;
    check_to_sign_shape(&sign, spend)?;
    if sign.input.len() > 1 {
        return Err(SchemeError::Bip322Invalid(
            "a full signature has one input; additional inputs need the pof variant".into(),
        ));
    }
    let prevouts = spend.output.clone();
    verify_input(&sign, &prevouts, 0)?;
    Ok(Bip322Proof {
        variant: Bip322Variant::Full,
        lock_time: sign.lock_time.to_consensus_u32(),
        sequence: sign.input.first().map(|i| i.sequence.0).unwrap_or(0),
    })
}

fn verify_pof(spend: &Transaction, bytes: &[u8]) -> Result<Bip322Proof, SchemeError> {
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
    for i in 0..sign.input.len() {
        verify_input(&sign, &prevouts, i).map_err(|e| match e {
            SchemeError::Bip322Invalid(m) if i > 0 => {
                SchemeError::Bip322Invalid(format!("proof-of-funds input {i}: {m}"))
            }
            other => other,
        })?;
    }
    Ok(Bip322Proof {
        variant: Bip322Variant::ProofOfFunds,
        lock_time: sign.lock_time.to_consensus_u32(),
        sequence: sign.input.first().map(|i| i.sequence.0).unwrap_or(0),
    })
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
fn check_script_pubkey_supported(spk: &Script) -> Result<(), SchemeError> {
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

/// Runs the interpreter on input `index`, then the required- and upgradeable-rule checks.
fn verify_input(sign: &Transaction, prevouts: &[TxOut], index: usize) -> Result<(), SchemeError> {
    let txin = sign
        .input
        .get(index)
        .ok_or_else(|| SchemeError::Bip322Invalid(format!("no input {index}")))?;
    let prevout = prevouts
        .get(index)
        .ok_or_else(|| SchemeError::Bip322Invalid(format!("no spent output for input {index}")))?;

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
        FLAGS,
    );
    match result {
        // Consensus says valid: now the rules it does not know (an unknown leaf version or
        // OP_SUCCESS is "valid" to consensus, "inconclusive" to BIP-322).
        Ok(()) => lint_input(txin, &prevout.script_pubkey),
        Err(bitcoinconsensus::Error::ERR_SCRIPT) => Err(SchemeError::Bip322Invalid(
            "script verification failed (wrong message, wrong signer or unsatisfied script)".into(),
        )),
        Err(e) => Err(SchemeError::Bip322Invalid(format!(
            "the script interpreter refused the transaction: {e}"
        ))),
    }
}

/// The BIP-322 required rules (→ invalid) and upgradeable rules (→ unsupported) that the
/// consensus interpreter does not enforce, checked on what the input carries.
fn lint_input(txin: &TxIn, spk: &Script) -> Result<(), SchemeError> {
    let invalid = |m: String| SchemeError::Bip322Invalid(m);
    let script_sig_pushes = pushes(&txin.script_sig)
        .map_err(|_| invalid("scriptSig has a non-minimal push or is not push-only".into()))?;
    let witness: Vec<&[u8]> = txin.witness.iter().collect();

    // Identify the witness program, if any, and the legacy scripts that run.
    let mut program: Option<(u8, Vec<u8>, bool)> = None; // (version, program, nested)
    if let Some(version) = spk.witness_version() {
        let prog = spk.as_bytes().get(2..).unwrap_or_default().to_vec();
        program = Some((version.to_num(), prog, false));
        if !txin.script_sig.is_empty() {
            return Err(invalid(
                "a native segwit spend must have an empty scriptSig".into(),
            ));
        }
    } else if spk.is_p2sh() {
        let (redeem, others) = script_sig_pushes
            .split_last()
            .ok_or_else(|| invalid("p2sh spend without a redeem script".into()))?;
        let redeem = Script::from_bytes(redeem);
        if let Some(version) = redeem.witness_version() {
            if version.to_num() != 0 || !(redeem.is_p2wpkh() || redeem.is_p2wsh()) {
                return Err(SchemeError::Bip322Unsupported(
                    "p2sh-wrapped witness program other than v0 p2wpkh/p2wsh".into(),
                ));
            }
            let prog = redeem.as_bytes().get(2..).unwrap_or_default().to_vec();
            program = Some((0, prog, true));
        } else {
            lint_script(redeem, ClassifyContext::Legacy)?;
            check_ecdsa_candidates(others.iter().copied())?;
            check_find_and_delete(others, redeem)?;
        }
    } else {
        // P2PKH or another legacy script.
        lint_script(spk, ClassifyContext::Legacy)?;
        check_ecdsa_candidates(script_sig_pushes.iter().copied())?;
        check_find_and_delete(&script_sig_pushes, spk)?;
    }

    let Some((version, prog, nested)) = program else {
        return Ok(());
    };
    match (version, prog.len()) {
        (0, 20) => check_ecdsa_candidates(witness.iter().copied()),
        (0, 32) => {
            let (ws, others) = witness
                .split_last()
                .ok_or_else(|| invalid("p2wsh spend with an empty witness".into()))?;
            lint_script(Script::from_bytes(ws), ClassifyContext::Legacy)?;
            check_ecdsa_candidates(others.iter().copied())
        }
        (1, 32) if !nested => lint_taproot(&witness),
        _ => Err(SchemeError::Bip322Unsupported(format!(
            "witness version {version} program of {} bytes",
            prog.len()
        ))),
    }
}

/// The pushed data of a push-only script with minimal pushes; errors otherwise.
fn pushes(script: &Script) -> Result<Vec<&[u8]>, ()> {
    let mut out = Vec::new();
    for ins in script.instructions_minimal() {
        match ins.map_err(|_| ())? {
            Instruction::PushBytes(b) => out.push(b.as_bytes()),
            Instruction::Op(o) => match o.classify(ClassifyContext::Legacy) {
                // OP_1NEGATE, OP_1..OP_16 push numbers.
                Class::PushNum(_) => out.push(&[]),
                _ => return Err(()),
            },
        }
    }
    Ok(out)
}

/// Minimal pushes, no OP_CODESEPARATOR (invalid); no reserved NOPs or OP_SUCCESSx (unsupported).
fn lint_script(script: &Script, ctx: ClassifyContext) -> Result<(), SchemeError> {
    for ins in script.instructions_minimal() {
        let ins = ins.map_err(|_| {
            SchemeError::Bip322Invalid("a script has a non-minimal or truncated push".into())
        })?;
        let Instruction::Op(o) = ins else { continue };
        if o == op::OP_CODESEPARATOR {
            return Err(SchemeError::Bip322Invalid(
                "OP_CODESEPARATOR is forbidden".into(),
            ));
        }
        if o == op::OP_NOP1
            || (o.to_u8() >= op::OP_NOP4.to_u8() && o.to_u8() <= op::OP_NOP10.to_u8())
        {
            return Err(SchemeError::Bip322Unsupported(format!(
                "{o} is reserved for upgrades"
            )));
        }
        if ctx == ClassifyContext::TapScript && o.classify(ctx) == Class::SuccessOp {
            return Err(SchemeError::Bip322Unsupported(format!(
                "{o} is OP_SUCCESS in tapscript"
            )));
        }
    }
    Ok(())
}

/// Every stack element that is a strict-DER ECDSA signature plus a hash-type byte must be
/// SIGHASH_ALL and low-S.
fn check_ecdsa_candidates<'a>(items: impl Iterator<Item = &'a [u8]>) -> Result<(), SchemeError> {
    for item in items {
        let Some((hash_type, der)) = item.split_last() else {
            continue;
        };
        let Ok(sig) = secp256k1::ecdsa::Signature::from_der(der) else {
            continue;
        };
        if *hash_type != 0x01 {
            return Err(SchemeError::Bip322Invalid(format!(
                "signature hash type 0x{hash_type:02x} is not SIGHASH_ALL"
            )));
        }
        let mut low = sig;
        low.normalize_s();
        if low != sig {
            return Err(SchemeError::Bip322Invalid(
                "ecdsa signature with high s (LOW_S)".into(),
            ));
        }
    }
    Ok(())
}

/// Legacy signature checks delete the signature from the script code (FindAndDelete); BIP-322
/// forbids scripts where that matters.
fn check_find_and_delete(sig_pushes: &[&[u8]], script: &Script) -> Result<(), SchemeError> {
    for ins in script.instructions().flatten() {
        if let Instruction::PushBytes(b) = ins {
            let b = b.as_bytes();
            if !b.is_empty() && sig_pushes.contains(&b) {
                return Err(SchemeError::Bip322Invalid(
                    "a scriptSig push also appears in the script (FindAndDelete is forbidden)"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

/// Taproot: key-path signature hash type, or leaf version, leaf script and signature hash types
/// of a script-path spend.
fn lint_taproot(witness: &[&[u8]]) -> Result<(), SchemeError> {
    let invalid = |m: &str| SchemeError::Bip322Invalid(m.to_owned());
    // Drop the annex (last element starting 0x50 when there are at least two).
    let stack = match witness {
        [rest @ .., last] if !rest.is_empty() && last.first() == Some(&0x50) => rest,
        all => all,
    };
    let schnorr_ok = |s: &[u8]| s.len() == 64 || (s.len() == 65 && s.last() == Some(&0x01));
    match stack {
        [] => Err(invalid("empty taproot witness")),
        [sig] => {
            if schnorr_ok(sig) {
                Ok(())
            } else {
                Err(invalid(
                    "taproot key-path signature must be SIGHASH_DEFAULT or SIGHASH_ALL",
                ))
            }
        }
        [args @ .., leaf, control] => {
            let leaf_version = control.first().map(|c| c & 0xfe);
            if leaf_version != Some(0xc0) {
                return Err(SchemeError::Bip322Unsupported(format!(
                    "tapscript leaf version {:#04x}",
                    leaf_version.unwrap_or(0)
                )));
            }
            lint_script(Script::from_bytes(leaf), ClassifyContext::TapScript)?;
            for a in args {
                if a.len() == 65 && a.last() != Some(&0x01) {
                    return Err(invalid("tapscript signature hash type is not SIGHASH_ALL"));
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hash_of_empty_and_hello() {
        assert_eq!(
            hex::encode(message_hash(b"")),
            "c90c269c4f8fcbe6880f72a721ddfbf1914268a794cbb21cfafee13770ae19f1"
        );
        assert_eq!(
            hex::encode(message_hash(b"Hello World")),
            "f0eb03b1a75ac6d9847f55c624a99169b5dccba2a31f5b23bea77ba270de0a7a"
        );
    }

    #[test]
    fn anyone_can_spend_programs_are_unsupported() {
        // Witness v2 and a v1 program of 2 bytes (P2A) would pass any "signature".
        for spk_hex in [
            "52200000000000000000000000000000000000000000000000000000000000000000",
            "51024e73",
        ] {
            let spk = ScriptBuf::from_hex(spk_hex).unwrap();
            assert!(matches!(
                check_script_pubkey_supported(&spk),
                Err(SchemeError::Bip322Unsupported(_))
            ));
        }
    }
}
