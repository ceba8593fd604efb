//! Multisig batch proofs: the rows of one registered `wsh(…)` or `sh(wsh(…))` multisig policy
//! are signed with one SIGN_PSBT per cosigner device (one approval each), instead of one
//! SIGN_MESSAGE per cosigner and address. Cosigners present in one run are combined at once;
//! a cosigner alone writes its share in slot form (`scheme::bip322::batch_multisig`), which
//! `porsign bundle merge` completes.

use std::collections::HashMap;

use bitcoin::bip32::Fingerprint;
use bitcoin::hashes::Hash as _;
use bitcoin::secp256k1::{ecdsa, Message, SECP256K1};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{Amount, ScriptBuf};

use super::batch::BatchSizes;
use super::outcome::{device_err, entry_for, host_check};
use super::reserves::{KeySource, Multisig, Reserve};
use super::SignError;
use crate::app::btc;
use crate::bundle::{Entry, Scheme};
use crate::device::Transport;
use crate::scheme::bip322::batch::{self, MAX_INPUTS};
use crate::scheme::bip322::batch_multisig::multisig_input;
use crate::scheme::{self};

/// Rows of one registered multisig policy, signed together.
#[derive(Clone, Debug)]
pub struct MultisigBatchPlan<'r> {
    pub rows: Vec<&'r Reserve>,
}

impl MultisigBatchPlan<'_> {
    /// "multisig batch of 40 addresses (bc1q… … bc1q…)".
    pub fn describe(&self) -> String {
        let first = self.rows.first().map_or("", |r| r.address.as_str());
        let last = self.rows.last().map_or("", |r| r.address.as_str());
        format!(
            "multisig batch of {} addresses ({first} … {last})",
            self.rows.len()
        )
    }
}

fn multisig_of(reserve: &Reserve) -> Option<&Multisig> {
    match &reserve.key {
        KeySource::Multisig(m) => Some(m),
        KeySource::Path(_) => None,
    }
}

/// The multisig of a row a plan holds (a plan holds only multisig rows; anything else is a
/// host-side error, not a panic).
fn multisig_row(reserve: &Reserve) -> Result<&Multisig, SignError> {
    multisig_of(reserve).ok_or_else(|| host_check(reserve, "not a multisig row".into()))
}

/// Whether the script is wrapped so that its inputs are segwit (BIP-143): legacy `sh(multi)`
/// keeps the per-address flow.
fn batchable(m: &Multisig) -> bool {
    let template = m.row.policy.template();
    template.starts_with("wsh(") || template.starts_with("sh(wsh(")
}

/// Splits multisig `rows` into batches of one policy and network (list order kept) and the rows
/// that keep the per-address flow. With `sizes` `None` (`--no-batch`) nothing is batched.
pub fn plan<'r>(
    rows: &[&'r Reserve],
    sizes: Option<BatchSizes>,
) -> (Vec<MultisigBatchPlan<'r>>, Vec<&'r Reserve>) {
    let Some(sizes) = sizes else {
        return (Vec::new(), rows.to_vec());
    };
    let size = sizes.wpkh.clamp(1, MAX_INPUTS);
    let mut singles = Vec::new();
    let mut open: Vec<(([u8; 32], String), MultisigBatchPlan<'r>)> = Vec::new();
    let mut plans = Vec::new();
    for &reserve in rows {
        let Some(m) = multisig_of(reserve).filter(|m| batchable(m)) else {
            singles.push(reserve);
            continue;
        };
        let key = (m.row.policy.id(), reserve.network.to_string());
        match open.iter_mut().find(|(k, _)| *k == key) {
            Some((_, plan)) => plan.rows.push(reserve),
            None => open.push((
                key,
                MultisigBatchPlan {
                    rows: vec![reserve],
                },
            )),
        }
        if let Some(pos) = open.iter().position(|(_, p)| p.rows.len() >= size) {
            plans.push(open.remove(pos).1);
        }
    }
    plans.extend(open.into_iter().map(|(_, p)| p));
    let (plans, lone): (Vec<_>, Vec<_>) = plans.into_iter().partition(|p| p.rows.len() > 1);
    singles.extend(lone.into_iter().flat_map(|p| p.rows));
    singles.sort_by_key(|r| r.line);
    (plans, singles)
}

/// One input's signatures, by the position of their key in the script.
pub type Slots = Vec<Option<Vec<u8>>>;

/// The batch `to_sign` of the plan and each row's witness script and scriptSig.
struct Built {
    tx: bitcoin::Transaction,
    prevouts: Vec<bitcoin::TxOut>,
    scripts: Vec<(ScriptBuf, ScriptBuf)>,
}

fn build(plan: &MultisigBatchPlan<'_>, message: &[u8]) -> Result<Built, SignError> {
    let mut spks = Vec::with_capacity(plan.rows.len());
    let mut scripts = Vec::with_capacity(plan.rows.len());
    for reserve in &plan.rows {
        let m = multisig_row(reserve)?;
        let witness_script = m.row.script_bytes.clone();
        let p2wsh = ScriptBuf::new_p2wsh(&witness_script.wscript_hash());
        let (spk, script_sig) = if m.row.policy.template().starts_with("sh(") {
            let push = <&bitcoin::script::PushBytes>::try_from(p2wsh.as_bytes())
                .map_err(|e| host_check(reserve, e.to_string()))?;
            (
                ScriptBuf::new_p2sh(&p2wsh.script_hash()),
                bitcoin::script::Builder::new()
                    .push_slice(push)
                    .into_script(),
            )
        } else {
            (p2wsh, ScriptBuf::new())
        };
        let listed = scheme::parse_btc_address(&reserve.address, reserve.network)
            .map_err(|e| host_check(reserve, e.to_string()))?;
        if listed.script_pubkey() != spk {
            return Err(host_check(
                reserve,
                "the descriptor's script does not make the listed address".into(),
            ));
        }
        spks.push(spk);
        scripts.push((witness_script, script_sig));
    }
    let (tx, prevouts) = batch::to_sign(message, &spks);
    Ok(Built {
        tx,
        prevouts,
        scripts,
    })
}

/// This device's signatures for every input of the batch, in slots (one approval). The policy
/// is registered (once per session) and the first row's address derived by the app from it.
pub fn sign_share(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    registered: &mut HashMap<[u8; 32], [u8; 32]>,
    plan: &MultisigBatchPlan<'_>,
    message: &[u8],
    on_signature: &mut dyn FnMut(),
) -> Result<Vec<Slots>, SignError> {
    let first = plan.rows.first().ok_or_else(|| SignError::HostVerify {
        address: plan.describe(),
        reason: "an empty batch".into(),
    })?;
    let m = multisig_row(first)?;
    super::cosigner::check_registered_address(transport, registered, first, &m.row)?;
    let hmac = registered
        .get(&m.row.policy.id())
        .copied()
        .ok_or_else(|| host_check(first, "the policy is not registered".into()))?;
    let built = build(plan, message)?;
    let mut psbt = bitcoin::Psbt::from_unsigned_tx(built.tx.clone())
        .map_err(|e| host_check(first, format!("batch psbt: {e}")))?;
    for (i, (input, reserve)) in psbt.inputs.iter_mut().zip(&plan.rows).enumerate() {
        let m = multisig_row(reserve)?;
        let spk = built.prevouts.get(i).map(|o| o.script_pubkey.clone());
        input.non_witness_utxo = spk
            .as_ref()
            .map(|spk| scheme::bip322::to_spend(message, spk));
        input.witness_utxo = built.prevouts.get(i).cloned();
        if let Some((ws, script_sig)) = built.scripts.get(i) {
            input.witness_script = Some(ws.clone());
            if !script_sig.is_empty() {
                input.redeem_script = Some(ScriptBuf::new_p2wsh(&ws.wscript_hash()));
            }
        }
        for key in &m.row.keys {
            input.bip32_derivation.insert(
                key.pubkey.inner,
                (Fingerprint::from(key.fingerprint), key.path.clone()),
            );
        }
    }
    let yielded =
        btc::sign_multisig_batch_psbt(transport, &m.row.policy, &hmac, &psbt, on_signature)
            .map_err(|source| SignError::Device {
                address: plan.describe(),
                source,
            })?;
    let mut slots: Vec<Slots> = plan
        .rows
        .iter()
        .map(|r| vec![None; multisig_of(r).map_or(0, |m| m.row.script.keys.len())])
        .collect();
    for btc::InputSignature {
        input: i,
        key,
        signature,
    } in yielded
    {
        let (Some(reserve), Some(input_slots)) = (plan.rows.get(i), slots.get_mut(i)) else {
            continue;
        };
        let m = multisig_row(reserve)?;
        let position = m
            .row
            .script
            .keys
            .iter()
            .position(|k| k.to_bytes() == key)
            .ok_or_else(|| {
                host_check(
                    reserve,
                    "the device signed with a key not in the script".into(),
                )
            })?;
        if let Some(slot) = input_slots.get_mut(position) {
            *slot = Some(signature);
        }
    }
    // Every input must carry a signature of each of this device's keys.
    for (reserve, input_slots) in plan.rows.iter().zip(&slots) {
        let m = multisig_row(reserve)?;
        for own in m.row.keys_of(fingerprint) {
            let signed = m
                .row
                .script
                .keys
                .iter()
                .position(|k| k.inner == own.pubkey.inner)
                .and_then(|p| input_slots.get(p))
                .is_some_and(Option::is_some);
            if !signed {
                return Err(device_err(
                    reserve,
                    crate::app::DeviceError::Protocol(
                        "the device yielded no signature for one of its keys".into(),
                    ),
                ));
            }
        }
    }
    Ok(slots)
}

/// The batch's entries from the cosigners' slots, every signature checked on the host first
/// (BIP-143, SIGHASH_ALL, by the key of its slot) and complete batches checked whole, exactly
/// as `verify` will.
pub fn entries(
    plan: &MultisigBatchPlan<'_>,
    message: &[u8],
    slots: &[Slots],
    signer: Option<[u8; 4]>,
) -> Result<Vec<Entry>, SignError> {
    let built = build(plan, message)?;
    let id = built.tx.compute_txid().to_string();
    let mut cache = SighashCache::new(&built.tx);
    let mut proofs = Vec::with_capacity(plan.rows.len());
    let mut complete = true;
    for (i, (reserve, input_slots)) in plan.rows.iter().zip(slots).enumerate() {
        let m = multisig_row(reserve)?;
        let (ws, script_sig) = built
            .scripts
            .get(i)
            .ok_or_else(|| host_check(reserve, "no script".into()))?;
        let digest = cache
            .p2wsh_signature_hash(i, ws, Amount::ZERO, EcdsaSighashType::All)
            .map_err(|e| host_check(reserve, e.to_string()))?;
        let digest = Message::from_digest(digest.to_byte_array());
        for (key, slot) in m.row.script.keys.iter().zip(input_slots) {
            let Some(sig) = slot else { continue };
            let (der, hash_type) = sig
                .split_last()
                .map(|(t, der)| (der, *t))
                .ok_or_else(|| host_check(reserve, "an empty signature".into()))?;
            let ok = hash_type == EcdsaSighashType::All as u8
                && ecdsa::Signature::from_der(der)
                    .is_ok_and(|s| SECP256K1.verify_ecdsa(&digest, &s, &key.inner).is_ok());
            if !ok {
                return Err(host_check(
                    reserve,
                    format!("the signature for key {key} does not verify (SIGHASH_ALL, BIP-143)"),
                ));
            }
        }
        let filled = input_slots.iter().flatten().count();
        complete &= filled >= m.row.script.threshold;
        proofs.push(multisig_input(
            script_sig,
            input_slots,
            ws,
            m.row.script.threshold,
        ));
    }
    if complete {
        let addresses: Vec<bitcoin::Address> = plan
            .rows
            .iter()
            .map(|r| scheme::parse_btc_address(&r.address, r.network))
            .collect::<Result<_, _>>()
            .map_err(|e| SignError::HostVerify {
                address: plan.describe(),
                reason: e.to_string(),
            })?;
        super::batch::verify_whole(
            message,
            &id,
            &addresses,
            &proofs,
            &plan.rows,
            &plan.describe(),
        )?;
    }
    Ok(plan
        .rows
        .iter()
        .zip(proofs)
        .enumerate()
        .map(|(i, (reserve, proof))| {
            let mut entry = entry_for(reserve, Scheme::Bip322Batch, vec![proof]);
            entry.batch = Some(id.clone());
            entry.input = u32::try_from(i).ok();
            entry.descriptor = multisig_of(reserve).map(|m| m.descriptor.clone());
            entry.fingerprint = signer.map(hex::encode);
            entry
        })
        .collect())
}
