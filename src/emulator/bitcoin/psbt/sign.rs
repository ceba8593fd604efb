//! The signing pass: for each of our keys that derives an input, every such input is scanned
//! again, its derivation path checked, and its spent output and script read; the input then goes
//! to [`sign_ecdsa`](super::sign_ecdsa) (legacy and segwit v0) or
//! [`sign_schnorr`](super::sign_schnorr) (taproot), by the policy's segwit version.

use bitcoin::sighash::SighashCache;
use bitcoin::taproot::TapLeafHash;
use bitcoin::{ScriptBuf, Transaction};
use firmware_msgs::StatusWord;

use super::fields::{from_witness_utxo, IN_REDEEM_SCRIPT, MAX_PREVOUT_SCRIPT_LEN};
use super::policy_match::{scan_map, Callback, Scan};
use super::sign_input::InputToSign;
use super::state::{InternalKey, State};
use super::tx_hashes::TxData;
use super::{error_codes, sign_ecdsa, sign_schnorr};
use crate::emulator::session::{Host, Refusal};

pub(super) async fn sign_transaction(
    st: &mut State<'_>,
    host: &Host,
    internal_inputs: &[bool],
    tx: &TxData,
) -> Result<(), Refusal> {
    let unsigned = tx.unsigned(st.version, st.locktime);
    for k in 0..st.internal.len() {
        let Some(key) = st.internal.get(k).cloned() else {
            continue;
        };
        if !key.to_sign {
            continue;
        }
        let info = st.keys.fetch(host, key.expr.index).await?;
        if info.is_ours(&st.ctx.signer, st.ctx.chain) != Some(true) {
            continue;
        }
        for (i, internal) in (0u64..).zip(internal_inputs) {
            if !internal {
                continue;
            }
            let (root, size) = (st.inputs_root, st.n_inputs);
            let scan = scan_map(&mut st.internal, host, root, size, i, Callback::Input).await?;
            // A key in a script leaf: the app computes the leaf's hash first.
            let leaf = match st.template.tap_leaf_of(&key.expr) {
                Some(leaf) => {
                    let (is_change, index) = scan.ours.ok_or(StatusWord::BadState)?;
                    Some(st.keys.tap_leaf_hash(host, leaf, is_change, index).await?)
                }
                None => None,
            };
            sign_input(st, host, &key, &scan, i, &unsigned, tx, leaf).await?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)] // the app's own argument list, one per thing it reads
async fn sign_input(
    st: &State<'_>,
    host: &Host,
    key: &InternalKey,
    scan: &Scan,
    index: u64,
    unsigned: &Transaction,
    tx: &TxData,
    leaf: Option<TapLeafHash>,
) -> Result<(), Refusal> {
    let input = InputToSign::read(st, host, key, scan, index).await?;
    let mut cache = SighashCache::new(unsigned);
    if !scan.witness_utxo {
        return sign_ecdsa::legacy(st, host, &input, &mut cache).await;
    }
    let spent = from_witness_utxo(host, &scan.map)
        .await?
        .ok_or(StatusWord::IncorrectData)?;
    let script = if scan.redeem_script {
        let redeem = host
            .required_value(&scan.map, &[IN_REDEEM_SCRIPT], MAX_PREVOUT_SCRIPT_LEN)
            .await?;
        let redeem = ScriptBuf::from_bytes(redeem);
        if ScriptBuf::new_p2sh(&redeem.script_hash()) != spent.script_pubkey {
            return Err(Refusal::coded(
                StatusWord::IncorrectData,
                error_codes::MISMATCHING_REDEEM_SCRIPT,
            ));
        }
        redeem
    } else {
        spent.script_pubkey.clone()
    };
    match st.template.segwit_version() {
        Some(0) => sign_ecdsa::segwit_v0(st, host, &input, &mut cache, &script, spent.value).await,
        Some(1) => Ok(sign_schnorr::taproot(st, host, &input, &mut cache, &tx.spent, leaf).await?),
        _ => Err(StatusWord::BadState.into()),
    }
}
