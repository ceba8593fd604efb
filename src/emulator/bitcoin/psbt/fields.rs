//! The PSBT fields the app reads, and one reader for each: the key types (PSBT v2), the size
//! limit the app reads each value with, and how an absent or malformed value is treated (each
//! as the app treats it, so a bad PSBT fails where a real device fails).

use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Txid};
use firmware_msgs::btc::MapCommitment;
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use crate::emulator::session::Host;

// Key types (BIP-174/BIP-370) of the input, output and global maps.
pub(super) const IN_NON_WITNESS_UTXO: u8 = 0x00;
pub(super) const IN_WITNESS_UTXO: u8 = 0x01;
pub(super) const IN_SIGHASH_TYPE: u8 = 0x03;
pub(super) const IN_REDEEM_SCRIPT: u8 = 0x04;
pub(super) const IN_WITNESS_SCRIPT: u8 = 0x05;
pub(super) const IN_BIP32_DERIVATION: u8 = 0x06;
pub(super) const IN_PREVIOUS_TXID: u8 = 0x0e;
pub(super) const IN_OUTPUT_INDEX: u8 = 0x0f;
pub(super) const IN_SEQUENCE: u8 = 0x10;
pub(super) const IN_TAP_BIP32_DERIVATION: u8 = 0x16;
pub(super) const OUT_BIP32_DERIVATION: u8 = 0x02;
pub(super) const OUT_AMOUNT: u8 = 0x03;
pub(super) const OUT_SCRIPT: u8 = 0x04;
pub(super) const OUT_TAP_BIP32_DERIVATION: u8 = 0x07;
pub(super) const GLOBAL_TX_VERSION: u8 = 0x02;
pub(super) const GLOBAL_FALLBACK_LOCKTIME: u8 = 0x03;

/// Longest map key the app reads when it checks a map's key order.
pub(super) const MAX_MAP_KEY_LEN: usize = 34 + 32 * 8;
/// Longest BIP-32 derivation value (taproot: hashes, fingerprint, path).
pub(super) const MAX_DERIVATION_LEN: usize = 1 + 32 * 128 + 4 * 11;
/// Longest previous transaction read (the app streams it; any size fits).
pub(super) const MAX_RAW_TX_LEN: usize = 4_000_000;
/// Longest prevout scriptPubKey (P2WSH's).
pub(super) const MAX_PREVOUT_SCRIPT_LEN: usize = 34;
/// Longest output script (an OP_RETURN of 80 bytes).
pub(super) const MAX_OUTPUT_SCRIPT_LEN: usize = 83;

// Sighash type values the app tells apart.
pub(super) const SIGHASH_DEFAULT: u32 = 0x00;
pub(super) const SIGHASH_ALL: u32 = 0x01;
pub(super) const SIGHASH_SINGLE: u32 = 0x03;
pub(super) const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// Any decoding failure of a field: the app answers 6A80.
pub(super) fn incorrect<T>(_: T) -> StatusWord {
    StatusWord::IncorrectData
}

/// A 4-byte little-endian value; `None` for any other size.
pub(super) fn u32_le(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// An 8-byte little-endian value; `None` for any other size.
pub(super) fn u64_le(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// Reads every key of a map and checks they are strictly sorted (the app does this each time
/// it opens a map).
pub(super) async fn check_sorted(host: &Host, root: Hash, size: u64) -> Result<(), StatusWord> {
    let mut previous: Option<Vec<u8>> = None;
    for i in 0..size {
        let key = host.element(root, size, i, MAX_MAP_KEY_LEN).await?;
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(StatusWord::IncorrectData);
        }
        previous = Some(key);
    }
    Ok(())
}

/// Opens map `index` of a list of maps, checking its key order as the app does.
pub(super) async fn open_map(
    host: &Host,
    root: Hash,
    size: u64,
    index: u64,
) -> Result<MapCommitment, StatusWord> {
    let map = host.map_commitment(root, size, index).await?;
    check_sorted(host, map.keys_root, map.size).await?;
    Ok(map)
}

/// Amount and scriptPubKey of the spent output, from the previous transaction; checks its txid
/// when `expected_txid` is given.
pub(super) async fn from_non_witness_utxo(
    host: &Host,
    map: &MapCommitment,
    expected_txid: Option<&[u8]>,
) -> Result<TxOut, StatusWord> {
    let vout = required_u32(host, map, IN_OUTPUT_INDEX).await?;
    let raw = host
        .required_value(map, &[IN_NON_WITNESS_UTXO], MAX_RAW_TX_LEN)
        .await?;
    let tx: Transaction = bitcoin::consensus::deserialize(&raw).map_err(incorrect)?;
    if let Some(expected) = expected_txid {
        if tx.compute_txid().as_byte_array().as_slice() != expected {
            return Err(StatusWord::IncorrectData);
        }
    }
    let index = usize::try_from(vout).map_err(incorrect)?;
    tx.output
        .get(index)
        .cloned()
        .ok_or(StatusWord::IncorrectData)
}

/// Amount and scriptPubKey from the witness UTXO field; `None` when absent or malformed.
pub(super) async fn from_witness_utxo(
    host: &Host,
    map: &MapCommitment,
) -> Result<Option<TxOut>, StatusWord> {
    let Some(value) = host
        .map_value(map, &[IN_WITNESS_UTXO], 8 + 1 + MAX_PREVOUT_SCRIPT_LEN)
        .await?
    else {
        return Ok(None);
    };
    let (amount, rest) = value.split_at(value.len().min(8));
    let Some(amount) = u64_le(amount) else {
        return Ok(None);
    };
    match rest.split_first() {
        Some((&len, script)) if script.len() == usize::from(len) => Ok(Some(TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
        })),
        _ => Ok(None),
    }
}

/// A 4-byte little-endian field that must be present and of that size.
async fn required_u32(host: &Host, map: &MapCommitment, key_type: u8) -> Result<u32, StatusWord> {
    host.map_value(map, &[key_type], 4)
        .await?
        .and_then(|v| u32_le(&v))
        .ok_or(StatusWord::IncorrectData)
}

/// The input's sighash type (call only when the key is present).
pub(super) async fn sighash_type(host: &Host, map: &MapCommitment) -> Result<u32, StatusWord> {
    required_u32(host, map, IN_SIGHASH_TYPE).await
}

/// An output's amount and script.
pub(super) async fn read_output(host: &Host, map: &MapCommitment) -> Result<TxOut, StatusWord> {
    let amount = host
        .map_value(map, &[OUT_AMOUNT], 8)
        .await?
        .and_then(|v| u64_le(&v))
        .ok_or(StatusWord::IncorrectData)?;
    let script = host
        .required_value(map, &[OUT_SCRIPT], MAX_OUTPUT_SCRIPT_LEN)
        .await?;
    Ok(TxOut {
        value: Amount::from_sat(amount),
        script_pubkey: ScriptBuf::from_bytes(script),
    })
}

/// The outpoint and sequence of an input already opened.
pub(super) async fn outpoint(host: &Host, map: &MapCommitment) -> Result<(Txid, u32), StatusWord> {
    let txid = host.required_value(map, &[IN_PREVIOUS_TXID], 32).await?;
    let txid: [u8; 32] = txid.try_into().map_err(incorrect)?;
    let vout = required_u32(host, map, IN_OUTPUT_INDEX).await?;
    Ok((Txid::from_byte_array(txid), vout))
}

/// nSequence; absent (or malformed) means 0xFFFFFFFF, as the app reads it.
pub(super) async fn sequence(host: &Host, map: &MapCommitment) -> u32 {
    host.map_value(map, &[IN_SEQUENCE], 4)
        .await
        .ok()
        .flatten()
        .and_then(|v| u32_le(&v))
        .unwrap_or(u32::MAX)
}
