//! porsign's batch proof, `bip322-batch`: N addresses proven by ONE transaction that a Ledger
//! signs with one approval (one `SIGN_PSBT` with N inputs).
//!
//! It is BIP-322's construction widened to N inputs, and so porsign's own scheme: a BIP-322
//! verifier expects one input and an empty OP_RETURN. Precisely (the README's "Batch proofs"
//! section says the same for an independent implementer):
//!
//! - `message`: the challenge message's bytes; `tag` = the first 8 bytes of SHA-256(message).
//! - For each address `A_i` (i = 0..N-1, in the bundle's entry order), `to_spend_i` is BIP-322's
//!   `to_spend` of `message` for `A_i`'s output script (version 0, lock time 0, one input
//!   spending `0000…0000:0xFFFFFFFF` with script `OP_0 PUSH32(BIP-322 tagged hash of message)`
//!   and sequence 0, one output of value 0 paying `A_i`'s script).
//! - The batch `to_sign`: version 0, lock time 0; input i spends `to_spend_i:0` with sequence 0;
//!   one output of value 0 whose script is `OP_RETURN PUSH8(tag)` (`6a 08 <tag>`); the device
//!   shows it as `OP_RETURN 0x<tag hex>`, which the operator compares with what porsign printed.
//! - The batch id is the txid of that `to_sign` with every scriptSig empty (it does not depend on
//!   the signatures).
//! - Each input is signed with SIGHASH_ALL (ECDSA: legacy sighash for P2PKH, BIP-143 for
//!   segwit v0) or SIGHASH_DEFAULT / SIGHASH_ALL (Schnorr, BIP-341 key path); every one of them
//!   commits to all inputs (so to every address and the message) and to the tagged output.
//! - An input's proof is written as base64 of `CompactSize(len) ‖ scriptSig ‖ witness`, where
//!   the witness is its consensus encoding (a CompactSize count of items, each CompactSize-
//!   prefixed). A native segwit input has an empty scriptSig (first byte 0x00); P2PKH an empty
//!   witness (last byte 0x00).
//! - Verification rebuilds every `to_spend_i` and the `to_sign` from the message and the
//!   addresses alone (nothing in the proof chooses an outpoint or an output), puts each input's
//!   scriptSig and witness in place, and checks every input exactly as a BIP-322 input is
//!   checked (libbitcoinconsensus with all spent outputs, then porsign's policy interpreter with
//!   every standard flag, signature hash types, lints).
//!
//! The Ledger Bitcoin app takes at most [`MAX_INPUTS`] inputs in one SIGN_PSBT.

use base64::Engine as _;
use bitcoin::blockdata::opcodes::all as op;
use bitcoin::consensus::encode::{Decodable, Encodable};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::script::Builder;
use bitcoin::{
    absolute, transaction, Address, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Txid, Witness,
};
use rayon::prelude::*;

use super::construct::to_spend;
use super::forms::check_script_pubkey_supported;
use super::rules::verify_input;
use super::SchemeError;

/// The most inputs the Ledger Bitcoin app signs in one SIGN_PSBT (513 is refused with 6A82).
pub const MAX_INPUTS: usize = 512;

/// Upper bound on one input's encoded proof (a 20-key multisig witness is about 1.5 kB).
const MAX_INPUT_PROOF_CHARS: usize = 40_000;

/// The first 8 bytes of SHA-256(message): what the batch's OP_RETURN carries and the device
/// shows.
pub fn tag(message: &[u8]) -> [u8; 8] {
    let digest = sha256::Hash::hash(message).to_byte_array();
    let mut tag = [0u8; 8];
    tag.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
    tag
}

/// `OP_RETURN PUSH8(tag)`.
pub fn output_script(tag: [u8; 8]) -> ScriptBuf {
    Builder::new()
        .push_opcode(op::OP_RETURN)
        .push_slice(tag)
        .into_script()
}

/// The unsigned batch `to_sign` of `message` for these output scripts (one input each, in
/// order), paying `output`, and the outputs its inputs spend.
pub fn to_sign_with_output(
    message: &[u8],
    script_pubkeys: &[ScriptBuf],
    output: ScriptBuf,
) -> (Transaction, Vec<TxOut>) {
    let mut inputs = Vec::with_capacity(script_pubkeys.len());
    let mut prevouts = Vec::with_capacity(script_pubkeys.len());
    for spk in script_pubkeys {
        let spend = to_spend(message, spk);
        inputs.push(TxIn {
            previous_output: OutPoint {
                txid: spend.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0),
            witness: Witness::new(),
        });
        prevouts.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: spk.clone(),
        });
    }
    let tx = Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: inputs,
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: output,
        }],
    };
    (tx, prevouts)
}

/// The batch `to_sign` as porsign builds it (output `OP_RETURN PUSH8(tag(message))`).
pub fn to_sign(message: &[u8], script_pubkeys: &[ScriptBuf]) -> (Transaction, Vec<TxOut>) {
    to_sign_with_output(message, script_pubkeys, output_script(tag(message)))
}

/// The batch id: the txid of the unsigned batch `to_sign`.
pub fn batch_id(message: &[u8], script_pubkeys: &[ScriptBuf]) -> Txid {
    to_sign(message, script_pubkeys).0.compute_txid()
}

/// One input's proof as a bundle entry stores it.
pub fn encode_input(script_sig: &ScriptBuf, witness: &Witness) -> String {
    let mut bytes = Vec::with_capacity(script_sig.len() + witness.size() + 4);
    // Writing to a Vec cannot fail.
    let _ = script_sig.consensus_encode(&mut bytes);
    let _ = witness.consensus_encode(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads one input's proof back: its scriptSig and witness. Trailing bytes are refused.
pub fn decode_input(text: &str) -> Result<(ScriptBuf, Witness), SchemeError> {
    let bad = |why: String| SchemeError::Bip322Invalid(format!("batch input proof: {why}"));
    if text.len() > MAX_INPUT_PROOF_CHARS {
        return Err(bad(format!(
            "longer than {MAX_INPUT_PROOF_CHARS} characters"
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| SchemeError::SignatureNotBase64)?;
    let mut reader = bytes.as_slice();
    let script_sig =
        ScriptBuf::consensus_decode(&mut reader).map_err(|e| bad(format!("scriptSig: {e}")))?;
    let witness =
        Witness::consensus_decode(&mut reader).map_err(|e| bad(format!("witness: {e}")))?;
    if !reader.is_empty() {
        return Err(bad(format!("{} bytes after the witness", reader.len())));
    }
    Ok((script_sig, witness))
}

/// Why a batch as a whole cannot be checked (every entry of it fails).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    #[error("a batch has {found} inputs; at most {MAX_INPUTS} (the Ledger app's limit)")]
    TooLarge { found: usize },
    #[error("a batch needs at least one input")]
    Empty,
    #[error("{addresses} addresses but {proofs} input proofs")]
    Count { addresses: usize, proofs: usize },
    #[error("the entries name batch {declared}, but their addresses and the message make batch {computed} (an entry was added, dropped, moved or reordered)")]
    Id { declared: String, computed: Txid },
    #[error("address {address} is listed twice in one batch")]
    RepeatedAddress { address: String },
}

/// Verifies a whole batch: `addresses[i]` proven by `inputs[i]`, batch id `declared_id`.
/// `Err` means the batch cannot be checked at all; otherwise each input has its own verdict.
pub fn verify(
    message: &[u8],
    declared_id: &str,
    addresses: &[Address],
    inputs: &[&str],
) -> Result<Vec<Result<(), SchemeError>>, BatchError> {
    let output = output_script(tag(message));
    verify_with_output(message, output, declared_id, addresses, inputs)
}

/// [`verify`] for a batch paying another output script. Bundles always use the tagged output
/// ([`verify`]); this exists to check transcripts of batches recorded with other outputs (the
/// real app's batch transcripts use BIP-322's empty OP_RETURN).
pub fn verify_with_output(
    message: &[u8],
    output: ScriptBuf,
    declared_id: &str,
    addresses: &[Address],
    inputs: &[&str],
) -> Result<Vec<Result<(), SchemeError>>, BatchError> {
    if addresses.is_empty() {
        return Err(BatchError::Empty);
    }
    if addresses.len() > MAX_INPUTS {
        return Err(BatchError::TooLarge {
            found: addresses.len(),
        });
    }
    if addresses.len() != inputs.len() {
        return Err(BatchError::Count {
            addresses: addresses.len(),
            proofs: inputs.len(),
        });
    }
    let spks: Vec<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
    for (i, spk) in spks.iter().enumerate() {
        if spks.iter().skip(i + 1).any(|other| other == spk) {
            return Err(BatchError::RepeatedAddress {
                address: addresses
                    .get(i)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            });
        }
    }
    let (mut tx, prevouts) = to_sign_with_output(message, &spks, output);
    let computed = tx.compute_txid();
    if declared_id != computed.to_string() {
        return Err(BatchError::Id {
            declared: declared_id.to_owned(),
            computed,
        });
    }
    // Every input's scriptSig and witness go in first: each signature commits to the whole
    // transaction, and legacy inputs' scriptSigs are part of it.
    let mut results: Vec<Result<(), SchemeError>> = Vec::with_capacity(inputs.len());
    for (txin, proof) in tx.input.iter_mut().zip(inputs) {
        match decode_input(proof) {
            Ok((script_sig, witness)) => {
                txin.script_sig = script_sig;
                txin.witness = witness;
                results.push(Ok(()));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    // Inputs are independent checks of one transaction: all cores share them. Each input is
    // checked in a copy of the transaction that carries only its own scriptSig and witness: no
    // signature hash reads another input's (the legacy digest blanks them, BIP-143 and BIP-341
    // never include them), so the verdict is the same, while libbitcoinconsensus, which parses
    // the whole transaction for every input, reads a fraction of the bytes.
    let bare = {
        let mut bare = tx.clone();
        for txin in &mut bare.input {
            txin.script_sig = ScriptBuf::new();
            txin.witness = Witness::new();
        }
        bare
    };
    results.par_iter_mut().enumerate().for_each(|(i, result)| {
        if result.is_err() {
            return;
        }
        let (Some(own), Some(prevout)) = (tx.input.get(i), prevouts.get(i)) else {
            *result = Err(SchemeError::Bip322Invalid(format!("no input {i}")));
            return;
        };
        let mut alone = bare.clone();
        if let Some(slot) = alone.input.get_mut(i) {
            slot.script_sig = own.script_sig.clone();
            slot.witness = own.witness.clone();
        }
        *result = check_script_pubkey_supported(&prevout.script_pubkey)
            .and_then(|()| verify_input(&alone, &prevouts, i).map(|_| ()));
    });
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_and_output_script() {
        // SHA-256("") = e3b0c442 98fc1c14 …
        assert_eq!(hex::encode(tag(b"")), "e3b0c44298fc1c14");
        assert_eq!(
            output_script(tag(b"")).to_hex_string(),
            "6a08e3b0c44298fc1c14"
        );
    }

    #[test]
    fn input_proofs_round_trip_and_refuse_trailing_bytes() {
        let script_sig =
            ScriptBuf::from_hex("160014aabbccddeeff00112233445566778899aabbccdd").unwrap();
        let witness = Witness::from_slice(&[vec![0x30, 0x44], vec![0x02; 33]]);
        let text = encode_input(&script_sig, &witness);
        assert_eq!(
            decode_input(&text),
            Ok((script_sig.clone(), witness.clone()))
        );
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap();
        bytes.push(0);
        let padded = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert!(decode_input(&padded).is_err());
    }
}
