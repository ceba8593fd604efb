//! ECDSA signatures: the legacy digest (inputs without a witness UTXO) and BIP-143 (segwit v0),
//! each preceded by the reads the app makes to compute it, then the DER signature with its
//! sighash byte, yielded with the signing key.

use bitcoin::hashes::Hash as _;
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{Amount, ScriptBuf, Transaction};
use firmware_msgs::btc::YieldedItem;
use firmware_msgs::StatusWord;

use super::error_codes;
use super::fields::{
    from_non_witness_utxo, from_witness_utxo, open_map, outpoint, sequence, IN_REDEEM_SCRIPT,
    IN_WITNESS_SCRIPT, MAX_RAW_TX_LEN, SIGHASH_ALL, SIGHASH_SINGLE,
};
use super::policy_match::Scan;
use super::sign_input::InputToSign;
use super::state::State;
use super::tx_hashes::{hash_all_outputs, hash_output};
use crate::emulator::bitcoin::derivation_path;
use crate::emulator::session::{Host, Refusal};

/// Signs an input that has no witness UTXO with the legacy digest.
pub(super) async fn legacy(
    st: &State<'_>,
    host: &Host,
    input: &InputToSign<'_>,
    cache: &mut SighashCache<&Transaction>,
) -> Result<(), Refusal> {
    let (scan, input_index) = (input.scan, input.input_index);
    let spent = from_non_witness_utxo(host, &scan.map, None).await?;
    let byte = input.sighash_type.unwrap_or(SIGHASH_ALL);
    let script_code = legacy_script_code(st, host, scan, input_index, &spent.script_pubkey).await?;
    hash_all_outputs(st, host).await?;
    let digest = cache
        .legacy_signature_hash(input_index, &script_code, byte)
        .map_err(|_| StatusWord::BadState)?;
    yield_ecdsa(
        st,
        host,
        input.index,
        &input.path,
        digest.to_byte_array(),
        byte,
    )
    .await
}

/// Signs a segwit v0 input with the BIP-143 digest: P2WPKH or P2WSH (multisig), each perhaps
/// wrapped in P2SH; `script` is the witness program (the redeem script when wrapped).
pub(super) async fn segwit_v0(
    st: &State<'_>,
    host: &Host,
    input: &InputToSign<'_>,
    cache: &mut SighashCache<&Transaction>,
    script: &ScriptBuf,
    value: Amount,
) -> Result<(), Refusal> {
    let (scan, index) = (input.scan, input.index);
    let byte = input.sighash_type.unwrap_or(SIGHASH_ALL);
    // The reads of the app's BIP-143 digest, in its order: outpoint, script code (for P2WSH the
    // witness script, checked against the program), amount, sequence.
    outpoint(host, &scan.map).await?;
    let witness_script = if script.is_p2wpkh() {
        None
    } else if script.is_p2wsh() {
        let witness_script = host
            .required_value(&scan.map, &[IN_WITNESS_SCRIPT], MAX_RAW_TX_LEN)
            .await?;
        let witness_script = ScriptBuf::from_bytes(witness_script);
        if ScriptBuf::new_p2wsh(&witness_script.wscript_hash()) != *script {
            return Err(Refusal::coded(
                StatusWord::IncorrectData,
                error_codes::MISMATCHING_WITNESS_SCRIPT,
            ));
        }
        Some(witness_script)
    } else {
        return Err(StatusWord::IncorrectData.into());
    };
    from_witness_utxo(host, &scan.map).await?;
    sequence(host, &scan.map).await;
    if byte & 0x1f == SIGHASH_SINGLE && index < st.n_outputs {
        hash_output(st, host, index).await?;
    }
    let kind = EcdsaSighashType::from_standard(byte).map_err(|_| StatusWord::NotSupported)?;
    let digest = match &witness_script {
        None => cache
            .p2wpkh_signature_hash(input.input_index, script, value, kind)
            .map_err(|_| StatusWord::BadState)?,
        Some(witness_script) => cache
            .p2wsh_signature_hash(input.input_index, witness_script, value, kind)
            .map_err(|_| StatusWord::BadState)?,
    };
    yield_ecdsa(st, host, index, &input.path, digest.to_byte_array(), byte).await
}

/// The legacy digest's reads: every input's outpoint and sequence (the one being signed also
/// its redeem script), in input order. Returns the script code.
async fn legacy_script_code(
    st: &State<'_>,
    host: &Host,
    own: &Scan,
    input_index: usize,
    script_pubkey: &ScriptBuf,
) -> Result<ScriptBuf, StatusWord> {
    let mut script_code = script_pubkey.clone();
    for (i, k) in (0..st.n_inputs).enumerate() {
        let map = if i == input_index {
            own.map
        } else {
            open_map(host, st.inputs_root, st.n_inputs, k).await?
        };
        outpoint(host, &map).await?;
        if i == input_index && own.redeem_script {
            if let Some(redeem) = host
                .map_value(&map, &[IN_REDEEM_SCRIPT], MAX_RAW_TX_LEN)
                .await?
            {
                script_code = ScriptBuf::from_bytes(redeem);
            }
        }
        sequence(host, &map).await;
    }
    Ok(script_code)
}

async fn yield_ecdsa(
    st: &State<'_>,
    host: &Host,
    index: u64,
    path: &[u32],
    digest: [u8; 32],
    sighash_byte: u32,
) -> Result<(), Refusal> {
    let der = derivation_path(path);
    let signer = &st.ctx.signer;
    let signature = signer
        .sign_ecdsa(&der, &digest)
        .map_err(|_| StatusWord::BadState)?;
    let pubkey = signer.public_key(&der).map_err(|_| StatusWord::BadState)?;
    let mut sig = signature.serialize_der().to_vec();
    sig.push(u8::try_from(sighash_byte).map_err(|_| StatusWord::NotSupported)?);
    let item = YieldedItem::PartialSignature {
        input_index: index,
        key: pubkey.serialize().to_vec(),
        signature: sig,
    };
    host.yield_data(item.encode()).await;
    Ok(())
}
