//! SIGN_PSBT for the default single-key policies (`pkh`, `wpkh`, `sh(wpkh)`, `tr` key path):
//! enough for BIP-322 proofs, which sign a `to_sign` transaction through this command.
//!
//! The app never holds the PSBT: it reads each map entry through client commands, often more
//! than once (it checks every map's key order each time it opens a map). The functions here
//! follow its passes in order — global map, inputs, outputs, transaction-wide hashes, review,
//! signing — so the requests match a real device's byte for byte. The digests themselves come
//! from the `bitcoin` crate's sighash code, over the transaction rebuilt from what was read.
//! Registered policies (multisig) are answered with 6A82.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash as _;
use bitcoin::key::{Secp256k1, TapTweak};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use firmware_msgs::btc::commands::SignPsbt;
use firmware_msgs::btc::wallet_policy::WalletPolicyHeader;
use firmware_msgs::btc::{MapCommitment, YieldedItem};
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use super::policy::{KeyExpr, KeyList, Template};
use super::{approved, derivation_path, fetch_policy, Ctx};
use crate::emulator::screens::ReviewBuilder;
use crate::emulator::session::{Host, Outcome};
use crate::emulator::ui::ReviewKind;

const IN_NON_WITNESS_UTXO: u8 = 0x00;
const IN_WITNESS_UTXO: u8 = 0x01;
const IN_SIGHASH_TYPE: u8 = 0x03;
const IN_REDEEM_SCRIPT: u8 = 0x04;
const IN_BIP32_DERIVATION: u8 = 0x06;
const IN_PREVIOUS_TXID: u8 = 0x0e;
const IN_OUTPUT_INDEX: u8 = 0x0f;
const IN_SEQUENCE: u8 = 0x10;
const IN_TAP_BIP32_DERIVATION: u8 = 0x16;
const OUT_BIP32_DERIVATION: u8 = 0x02;
const OUT_AMOUNT: u8 = 0x03;
const OUT_SCRIPT: u8 = 0x04;
const OUT_TAP_BIP32_DERIVATION: u8 = 0x07;
const GLOBAL_TX_VERSION: u8 = 0x02;
const GLOBAL_FALLBACK_LOCKTIME: u8 = 0x03;

/// Most inputs or outputs the app signs for.
const MAX_IN_OUT: u64 = 512;
/// Longest map key the app reads when it checks a map's key order.
const MAX_MAP_KEY_LEN: usize = 34 + 32 * 8;
/// Longest BIP-32 derivation value (taproot: hashes, fingerprint, path).
const MAX_DERIVATION_LEN: usize = 1 + 32 * 128 + 4 * 11;
/// Longest previous transaction read (the app streams it; any size fits).
const MAX_RAW_TX_LEN: usize = 4_000_000;
/// Longest prevout scriptPubKey (P2WSH's).
const MAX_PREVOUT_SCRIPT_LEN: usize = 34;
/// Longest output script (an OP_RETURN of 80 bytes).
const MAX_OUTPUT_SCRIPT_LEN: usize = 83;
/// Largest value any amount may have.
const MAX_MONEY: u64 = 21_000_000 * 100_000_000;
/// Outputs reviewed one by one in the simplified flow.
const MAX_SIMPLIFIED_OUTPUTS: usize = 16;

const SIGHASH_DEFAULT: u32 = 0x00;
const SIGHASH_ALL: u32 = 0x01;
const SIGHASH_SINGLE: u32 = 0x03;
const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// A key expression of the policy that is one of our keys.
#[derive(Clone, Debug)]
struct InternalKey {
    expr: KeyExpr,
    fingerprint: [u8; 4],
    origin: Vec<u32>,
    to_sign: bool,
}

/// What a pass over an input's or output's keys found.
#[derive(Clone, Debug)]
struct Scan {
    map: MapCommitment,
    witness_utxo: bool,
    non_witness_utxo: bool,
    redeem_script: bool,
    sighash_type: bool,
    /// `(is_change, address_index)` of our key's derivation, if any.
    ours: Option<(bool, u32)>,
    bad_pubkey: bool,
}

/// Which derivation keys a pass reads the values of (passes without callback use
/// `open_map`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Callback {
    Input,
    Output,
}

/// The transaction as read in the hashing pass.
#[derive(Default)]
struct TxData {
    inputs: Vec<(Txid, u32, u32)>,
    outputs: Vec<TxOut>,
    spent: Vec<TxOut>,
}

struct State<'a> {
    ctx: &'a Ctx,
    header: WalletPolicyHeader,
    template: Template,
    keys: KeyList,
    is_default: bool,
    version: u32,
    locktime: u32,
    n_inputs: u64,
    inputs_root: Hash,
    n_outputs: u64,
    outputs_root: Hash,
    internal: Vec<InternalKey>,
}

fn incorrect<T>(_: T) -> StatusWord {
    StatusWord::IncorrectData
}

fn u32_le(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn u64_le(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

pub(super) async fn sign_psbt(ctx: &Ctx, host: &Host, command: SignPsbt) -> Outcome {
    if command.n_inputs > MAX_IN_OUT || command.n_outputs > MAX_IN_OUT {
        return Err(StatusWord::NotSupported);
    }
    let mut st = init_global_state(ctx, host, &command).await?;
    if !st.is_default {
        // Registered (multisig) policies: not implemented in the emulator.
        return Err(StatusWord::NotSupported);
    }
    let (internal_inputs, total_in, warnings) = preprocess_inputs(&mut st, host).await?;
    let outputs = preprocess_outputs(&st, host, total_in).await?;
    let tx = compute_tx_hashes(&st, host).await?;
    review(&st, &warnings, &outputs, total_in)?;
    sign_transaction(&mut st, host, &internal_inputs, &tx).await?;
    Ok(Vec::new())
}

async fn init_global_state<'a>(
    ctx: &'a Ctx,
    host: &Host,
    command: &SignPsbt,
) -> Result<State<'a>, StatusWord> {
    let global = command.global_map;
    check_sorted(host, global.keys_root, global.size).await?;
    let version = host
        .map_value(&global, &[GLOBAL_TX_VERSION], 9)
        .await?
        .and_then(|v| u32_le(&v))
        .ok_or(StatusWord::IncorrectData)?;
    // Like the app: a fallback locktime that cannot be read counts as absent (0); one of the
    // wrong size is refused.
    let locktime = match host
        .map_value(&global, &[GLOBAL_FALLBACK_LOCKTIME], 9)
        .await
    {
        Ok(Some(v)) => u32_le(&v).ok_or(StatusWord::IncorrectData)?,
        Ok(None) | Err(_) => 0,
    };
    let is_default = command.wallet_hmac == [0u8; 32];
    if !is_default && ctx.signer.wallet_policy_hmac(&command.wallet_id) != command.wallet_hmac {
        return Err(StatusWord::SignatureFail);
    }
    let (header, _, template) = fetch_policy(host, command.wallet_id).await?;
    let keys = KeyList::of(&header);
    if is_default
        && (!keys
            .is_standard(host, &template, &ctx.signer, ctx.chain)
            .await?
            || !header.name.is_empty())
    {
        return Err(StatusWord::IncorrectData);
    }
    Ok(State {
        ctx,
        header,
        template,
        keys,
        is_default,
        version,
        locktime,
        n_inputs: command.n_inputs,
        inputs_root: command.inputs_root,
        n_outputs: command.n_outputs,
        outputs_root: command.outputs_root,
        internal: Vec::new(),
    })
}

/// Reads every key of a map and checks they are strictly sorted (the app does this each time
/// it opens a map).
async fn check_sorted(host: &Host, root: Hash, size: u64) -> Result<(), StatusWord> {
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

/// The policy's key expressions that are ours (one key fetch each).
async fn internal_keys(st: &State<'_>, host: &Host) -> Result<Vec<InternalKey>, StatusWord> {
    let mut out = Vec::new();
    for expr in st.template.key_exprs() {
        let key = st.keys.fetch(host, expr.index).await?;
        if key.is_ours(&st.ctx.signer, st.ctx.chain) != Some(true) {
            continue;
        }
        let Some((fingerprint, origin)) = key.origin else {
            continue;
        };
        out.push(InternalKey {
            expr,
            fingerprint,
            origin,
            to_sign: false,
        });
    }
    Ok(out)
}

/// Opens map `index` of a list of maps and reads its keys; with a callback, also reads the
/// values of BIP-32 derivation keys and matches them against our keys.
async fn scan_map(
    internal: &mut [InternalKey],
    host: &Host,
    root: Hash,
    size: u64,
    index: u64,
    callback: Callback,
) -> Result<Scan, StatusWord> {
    let map = host.map_commitment(root, size, index).await?;
    let mut scan = Scan {
        map,
        witness_utxo: false,
        non_witness_utxo: false,
        redeem_script: false,
        sighash_type: false,
        ours: None,
        bad_pubkey: false,
    };
    let mut previous: Option<Vec<u8>> = None;
    for k in 0..map.size {
        let key = host
            .element(map.keys_root, map.size, k, MAX_MAP_KEY_LEN)
            .await?;
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(StatusWord::IncorrectData);
        }
        let Some((&key_type, key_data)) = key.split_first() else {
            previous = Some(key);
            continue;
        };
        let derivation = match (callback, key_type) {
            (Callback::Input, IN_WITNESS_UTXO) => {
                scan.witness_utxo = true;
                None
            }
            (Callback::Input, IN_NON_WITNESS_UTXO) => {
                scan.non_witness_utxo = true;
                None
            }
            (Callback::Input, IN_REDEEM_SCRIPT) => {
                scan.redeem_script = true;
                None
            }
            (Callback::Input, IN_SIGHASH_TYPE) => {
                scan.sighash_type = true;
                None
            }
            (Callback::Input, IN_BIP32_DERIVATION) | (Callback::Output, OUT_BIP32_DERIVATION) => {
                Some(false)
            }
            (Callback::Input, IN_TAP_BIP32_DERIVATION)
            | (Callback::Output, OUT_TAP_BIP32_DERIVATION) => Some(true),
            _ => None,
        };
        // Outputs stop looking once one derivation matched.
        let wanted = callback == Callback::Input || scan.ours.is_none();
        if let (Some(is_tap), true) = (derivation, wanted) {
            if key_data.len() != if is_tap { 32 } else { 33 } {
                scan.bad_pubkey = true;
            } else {
                let value = host
                    .element(map.values_root, map.size, k, MAX_DERIVATION_LEN)
                    .await?;
                match parse_derivation(&value, is_tap) {
                    None => scan.bad_pubkey = true,
                    Some((fingerprint, path)) if (2..=10).contains(&path.len()) => {
                        match_derivation(internal, &mut scan, callback, fingerprint, &path);
                    }
                    Some(_) => {}
                }
            }
        }
        previous = Some(key);
    }
    Ok(scan)
}

/// `[n_hashes ‖ hashes ‖] fingerprint ‖ u32 LE path…`.
fn parse_derivation(value: &[u8], is_tap: bool) -> Option<([u8; 4], Vec<u32>)> {
    let rest = if is_tap {
        let (&n_hashes, rest) = value.split_first()?;
        if n_hashes > 128 {
            return None;
        }
        rest.get(32 * usize::from(n_hashes)..)?
    } else {
        value
    };
    if rest.len() < 4 || rest.len() % 4 != 0 || rest.len() > 4 * 11 {
        return None;
    }
    let (fingerprint, path) = rest.split_at(4);
    let fingerprint: [u8; 4] = fingerprint.try_into().ok()?;
    let path = path.chunks_exact(4).filter_map(u32_le).collect();
    Some((fingerprint, path))
}

fn match_derivation(
    internal: &mut [InternalKey],
    scan: &mut Scan,
    callback: Callback,
    fingerprint: [u8; 4],
    path: &[u32],
) {
    let [.., change_step, address_index] = path else {
        return;
    };
    for key in internal {
        let compatible = key.fingerprint == fingerprint
            && key.origin.len() + 2 == path.len()
            && path.starts_with(&key.origin)
            && (*change_step == key.expr.receive || *change_step == key.expr.change);
        if compatible {
            if callback == Callback::Input {
                key.to_sign = true;
            }
            scan.ours = Some((*change_step == key.expr.change, *address_index));
            if callback == Callback::Output {
                break;
            }
        }
    }
}

/// Amount and scriptPubKey of the spent output, from the previous transaction; checks its txid
/// when `expected_txid` is given.
async fn from_non_witness_utxo(
    host: &Host,
    map: &MapCommitment,
    expected_txid: Option<&[u8]>,
) -> Result<TxOut, StatusWord> {
    let vout = host
        .map_value(map, &[IN_OUTPUT_INDEX], 4)
        .await?
        .and_then(|v| u32_le(&v))
        .ok_or(StatusWord::IncorrectData)?;
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
async fn from_witness_utxo(host: &Host, map: &MapCommitment) -> Result<Option<TxOut>, StatusWord> {
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

/// Whether our policy produces `script` at the derivation found for the input or output.
async fn is_ours(
    st: &State<'_>,
    host: &Host,
    ours: Option<(bool, u32)>,
    script: &ScriptBuf,
) -> Result<bool, StatusWord> {
    let Some((is_change, index)) = ours else {
        return Ok(false);
    };
    let wallet_script = st.keys.script(host, &st.template, is_change, index).await?;
    Ok(wallet_script == *script)
}

#[derive(Default)]
struct Warnings {
    external_inputs: bool,
    missing_non_witness_utxo: bool,
    non_default_sighash: bool,
}

async fn preprocess_inputs(
    st: &mut State<'_>,
    host: &Host,
) -> Result<(Vec<bool>, u64, Warnings), StatusWord> {
    st.internal = internal_keys(st, host).await?;
    if st.internal.is_empty() {
        return Err(StatusWord::IncorrectData);
    }
    let mut internal_inputs = Vec::new();
    let mut total_in = 0u64;
    let mut warnings = Warnings::default();
    for i in 0..st.n_inputs {
        internal_inputs.push(false);
        let scan = scan_map(
            &mut st.internal,
            host,
            st.inputs_root,
            st.n_inputs,
            i,
            Callback::Input,
        )
        .await?;
        if scan.bad_pubkey || (!scan.non_witness_utxo && !scan.witness_utxo) {
            return Err(StatusWord::IncorrectData);
        }
        let mut spent: Option<TxOut> = None;
        if scan.non_witness_utxo {
            let txid = host
                .required_value(&scan.map, &[IN_PREVIOUS_TXID], 32)
                .await?;
            let out = from_non_witness_utxo(host, &scan.map, Some(&txid)).await?;
            total_in = total_in.saturating_add(out.value.to_sat());
            spent = Some(out);
        }
        if scan.witness_utxo {
            let out = from_witness_utxo(host, &scan.map)
                .await?
                .ok_or(StatusWord::IncorrectData)?;
            match &spent {
                Some(known) if *known != out => return Err(StatusWord::IncorrectData),
                Some(_) => {}
                None => {
                    total_in = total_in.saturating_add(out.value.to_sat());
                    spent = Some(out);
                }
            }
        }
        let spent = spent.ok_or(StatusWord::IncorrectData)?;
        if spent.value.to_sat() > MAX_MONEY {
            return Err(StatusWord::IncorrectData);
        }
        if !is_ours(st, host, scan.ours, &spent.script_pubkey).await? {
            warnings.external_inputs = true;
            continue;
        }
        if let Some(flag) = internal_inputs.last_mut() {
            *flag = true;
        }
        let segwit = st.template.segwit_version();
        match segwit {
            None if !scan.non_witness_utxo || scan.witness_utxo => {
                return Err(StatusWord::IncorrectData)
            }
            Some(_) if !scan.witness_utxo => return Err(StatusWord::IncorrectData),
            Some(0) if !scan.non_witness_utxo => warnings.missing_non_witness_utxo = true,
            _ => {}
        }
        if !scan.sighash_type {
            continue;
        }
        let sighash = sighash_type(host, &scan.map).await?;
        let plain =
            (segwit.is_some_and(|v| v > 0) && sighash == SIGHASH_DEFAULT) || sighash == SIGHASH_ALL;
        if plain {
        } else if segwit.is_some() && matches!(sighash, 0x02 | 0x03 | 0x81 | 0x82 | 0x83) {
            warnings.non_default_sighash = true;
        } else {
            return Err(StatusWord::NotSupported);
        }
        if sighash & SIGHASH_SINGLE == SIGHASH_SINGLE && i >= st.n_outputs {
            return Err(StatusWord::NotSupported);
        }
    }
    if !internal_inputs.contains(&true) {
        return Err(StatusWord::IncorrectData);
    }
    Ok((internal_inputs, total_in, warnings))
}

async fn sighash_type(host: &Host, map: &MapCommitment) -> Result<u32, StatusWord> {
    host.map_value(map, &[IN_SIGHASH_TYPE], 4)
        .await?
        .and_then(|v| u32_le(&v))
        .ok_or(StatusWord::IncorrectData)
}

/// The outputs the user must review (not our change), with amounts.
struct Outputs {
    external: Vec<TxOut>,
    total: u64,
}

async fn preprocess_outputs(
    st: &State<'_>,
    host: &Host,
    total_in: u64,
) -> Result<Outputs, StatusWord> {
    // Output scans only read our derivations; they never change which keys sign.
    let mut internal = st.internal.clone();
    let mut outputs = Outputs {
        external: Vec::new(),
        total: 0,
    };
    let mut n_change = 0u32;
    for j in 0..st.n_outputs {
        let scan = scan_map(
            &mut internal,
            host,
            st.outputs_root,
            st.n_outputs,
            j,
            Callback::Output,
        )
        .await?;
        if scan.bad_pubkey {
            return Err(StatusWord::IncorrectData);
        }
        let out = read_output(host, &scan.map).await?;
        if out.value.to_sat() > MAX_MONEY {
            return Err(StatusWord::IncorrectData);
        }
        outputs.total = outputs.total.saturating_add(out.value.to_sat());
        let change = match scan.ours {
            Some((true, _)) => is_ours(st, host, scan.ours, &out.script_pubkey).await?,
            _ => false,
        };
        if change {
            n_change += 1;
        } else {
            outputs.external.push(out);
        }
    }
    if total_in < outputs.total {
        return Err(StatusWord::IncorrectData);
    }
    if n_change > 10 {
        return Err(StatusWord::NotSupported);
    }
    Ok(outputs)
}

/// An output's amount and script.
async fn read_output(host: &Host, map: &MapCommitment) -> Result<TxOut, StatusWord> {
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
async fn outpoint(host: &Host, map: &MapCommitment) -> Result<(Txid, u32), StatusWord> {
    let txid = host.required_value(map, &[IN_PREVIOUS_TXID], 32).await?;
    let txid: [u8; 32] = txid.try_into().map_err(incorrect)?;
    let vout = host
        .map_value(map, &[IN_OUTPUT_INDEX], 4)
        .await?
        .and_then(|v| u32_le(&v))
        .ok_or(StatusWord::IncorrectData)?;
    Ok((Txid::from_byte_array(txid), vout))
}

/// nSequence; absent (or malformed) means 0xFFFFFFFF, as the app reads it.
async fn sequence(host: &Host, map: &MapCommitment) -> u32 {
    host.map_value(map, &[IN_SEQUENCE], 4)
        .await
        .ok()
        .flatten()
        .and_then(|v| u32_le(&v))
        .unwrap_or(u32::MAX)
}

async fn open_map(
    host: &Host,
    root: Hash,
    size: u64,
    index: u64,
) -> Result<MapCommitment, StatusWord> {
    let map = host.map_commitment(root, size, index).await?;
    check_sorted(host, map.keys_root, map.size).await?;
    Ok(map)
}

/// The pass that computes the transaction-wide hashes: outpoints and sequences, outputs, then
/// spent amounts and scripts.
async fn compute_tx_hashes(st: &State<'_>, host: &Host) -> Result<TxData, StatusWord> {
    let mut tx = TxData::default();
    for i in 0..st.n_inputs {
        let map = open_map(host, st.inputs_root, st.n_inputs, i).await?;
        let (txid, vout) = outpoint(host, &map).await?;
        let seq = sequence(host, &map).await;
        tx.inputs.push((txid, vout, seq));
    }
    for j in 0..st.n_outputs {
        tx.outputs.push(hash_output(st, host, j).await?);
    }
    for i in 0..st.n_inputs {
        let map = open_map(host, st.inputs_root, st.n_inputs, i).await?;
        // The app falls back to the previous transaction when the witness UTXO is absent or
        // unreadable.
        let spent = match from_witness_utxo(host, &map).await.ok().flatten() {
            Some(out) => out,
            None => from_non_witness_utxo(host, &map, None).await?,
        };
        tx.spent.push(spent);
    }
    Ok(tx)
}

async fn hash_output(st: &State<'_>, host: &Host, index: u64) -> Result<TxOut, StatusWord> {
    let map = open_map(host, st.outputs_root, st.n_outputs, index).await?;
    read_output(host, &map).await
}

/// How the app writes an amount: `0.0001 BTC`, `0 BTC`.
fn format_amount(sats: u64, ticker: &str) -> String {
    let whole = sats / 100_000_000;
    let fraction = sats % 100_000_000;
    if fraction == 0 {
        return format!("{whole} {ticker}");
    }
    let digits = format!("{fraction:08}");
    format!("{whole}.{} {ticker}", digits.trim_end_matches('0'))
}

/// How the app names an output: its address, or `OP_RETURN` with the pushed data.
fn describe_output(script: &ScriptBuf, st: &State<'_>) -> Result<String, StatusWord> {
    let bytes = script.as_bytes();
    if bytes.first() == Some(&0x6a) {
        return describe_op_return(bytes).ok_or(StatusWord::NotSupported);
    }
    super::policy::address(script, st.ctx.chain).map_err(|_| StatusWord::NotSupported)
}

fn describe_op_return(script: &[u8]) -> Option<String> {
    if script.len() > 83 {
        return None;
    }
    let mut parts = vec!["OP_RETURN".to_owned()];
    let mut rest = script.get(1..)?;
    while let Some((&op, tail)) = rest.split_first() {
        let (len, tail) = match op {
            0x00 => {
                parts.push("0".into());
                (0, tail)
            }
            1..=75 => (usize::from(op), tail),
            0x4c => {
                let (&len, tail) = tail.split_first()?;
                if len <= 75 {
                    return None;
                }
                (usize::from(len), tail)
            }
            0x4f => {
                parts.push("-1".into());
                (0, tail)
            }
            0x51..=0x60 => {
                parts.push((op - 0x50).to_string());
                (0, tail)
            }
            _ => return None,
        };
        if len > 0 {
            let data = tail.get(..len)?;
            parts.push(format!("0x{}", hex::encode(data)));
            rest = tail.get(len..)?;
        } else {
            rest = tail;
        }
        if parts.len() > 6 {
            return None;
        }
    }
    Some(parts.join(" "))
}

fn review(
    st: &State<'_>,
    warnings: &Warnings,
    outputs: &Outputs,
    total_in: u64,
) -> Result<(), StatusWord> {
    let ui = &st.ctx.ui;
    let ticker = st.ctx.chain.ticker();
    let fee = total_in.saturating_sub(outputs.total);
    for (on, text) in [
        (warnings.non_default_sighash, "Non-default sighash"),
        (
            warnings.external_inputs,
            "There are external inputs\nReject if not sure",
        ),
        (
            warnings.missing_non_witness_utxo,
            "Unverified inputs\nUpdate your wallet software",
        ),
    ] {
        if on {
            let warning = ReviewBuilder::intro("Security risk").info(text).finish(
                "Continue anyway",
                "Back to safety",
                "Transaction\nsigning",
                "Transaction rejected",
            );
            approved(ui.review(&warning, ReviewKind::Other))?;
        }
    }
    let mut builder = ReviewBuilder::intro("Review transaction\nto send bitcoin");
    if !st.is_default {
        builder = builder.pair("From", &st.header.name);
    }
    let count = outputs.external.len();
    if count == 0 {
        builder = builder.pair("Amount", &format!("0 {ticker} (self-transfer)"));
    }
    for (k, out) in outputs.external.iter().enumerate() {
        if count > 1 {
            builder = builder.pair("Transaction output", &format!("{} of {count}", k + 1));
        }
        builder = builder
            .pair("Amount", &format_amount(out.value.to_sat(), ticker))
            .pair("To", &describe_output(&out.script_pubkey, st)?);
        if k + 1 == MAX_SIMPLIFIED_OUTPUTS && count > MAX_SIMPLIFIED_OUTPUTS {
            // The device streams long lists; the emulator shows the first ones.
            break;
        }
    }
    if 10 * u128::from(fee) >= u128::from(total_in) && total_in > 100_000 {
        builder = builder.pair("High fees warning", "Fees are above 10%\n of total amount");
    }
    let review = builder.pair("Fees", &format_amount(fee, ticker)).finish(
        "Sign transaction",
        "Reject transaction",
        "Transaction signed",
        "Transaction rejected",
    );
    approved(ui.review(&review, ReviewKind::Signature))
}

async fn sign_transaction(
    st: &mut State<'_>,
    host: &Host,
    internal_inputs: &[bool],
    tx: &TxData,
) -> Result<(), StatusWord> {
    let unsigned = Transaction {
        version: Version(i32::from_le_bytes(st.version.to_le_bytes())),
        lock_time: LockTime::from_consensus(st.locktime),
        input: tx
            .inputs
            .iter()
            .map(|(txid, vout, seq)| TxIn {
                previous_output: OutPoint::new(*txid, *vout),
                script_sig: ScriptBuf::new(),
                sequence: Sequence(*seq),
                witness: Witness::new(),
            })
            .collect(),
        output: tx.outputs.clone(),
    };
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
            sign_input(st, host, &key, &scan, i, &unsigned, tx).await?;
        }
    }
    Ok(())
}

async fn sign_input(
    st: &State<'_>,
    host: &Host,
    key: &InternalKey,
    scan: &Scan,
    index: u64,
    unsigned: &Transaction,
    tx: &TxData,
) -> Result<(), StatusWord> {
    let input_index = usize::try_from(index).map_err(incorrect)?;
    let sighash_type = if scan.sighash_type {
        Some(sighash_type(host, &scan.map).await?)
    } else {
        None
    };
    let (is_change, address_index) = scan.ours.ok_or(StatusWord::BadState)?;
    let mut path = key.origin.clone();
    path.push(if is_change {
        key.expr.change
    } else {
        key.expr.receive
    });
    path.push(address_index);
    if !st.ctx.chain.may_derive(&path) {
        return Err(StatusWord::BadState);
    }
    let mut cache = SighashCache::new(unsigned);
    if !scan.witness_utxo {
        let spent = from_non_witness_utxo(host, &scan.map, None).await?;
        let byte = sighash_type.unwrap_or(SIGHASH_ALL);
        let script_code =
            legacy_script_code(st, host, scan, input_index, &spent.script_pubkey).await?;
        hash_all_outputs(st, host).await?;
        let digest = cache
            .legacy_signature_hash(input_index, &script_code, byte)
            .map_err(|_| StatusWord::BadState)?;
        return yield_ecdsa(st, host, index, &path, digest.to_byte_array(), byte).await;
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
            return Err(StatusWord::IncorrectData);
        }
        redeem
    } else {
        spent.script_pubkey.clone()
    };
    match st.template.segwit_version() {
        Some(0) => {
            let byte = sighash_type.unwrap_or(SIGHASH_ALL);
            // The reads of the app's BIP-143 digest: outpoint, script code, amount, sequence.
            outpoint(host, &scan.map).await?;
            if !script.is_p2wpkh() {
                return Err(StatusWord::IncorrectData);
            }
            from_witness_utxo(host, &scan.map).await?;
            sequence(host, &scan.map).await;
            if byte & 0x1f == SIGHASH_SINGLE && index < st.n_outputs {
                hash_output(st, host, index).await?;
            }
            let kind =
                EcdsaSighashType::from_standard(byte).map_err(|_| StatusWord::NotSupported)?;
            let digest = cache
                .p2wpkh_signature_hash(input_index, &script, spent.value, kind)
                .map_err(|_| StatusWord::BadState)?;
            yield_ecdsa(st, host, index, &path, digest.to_byte_array(), byte).await
        }
        Some(1) => {
            let byte = sighash_type.unwrap_or(SIGHASH_DEFAULT);
            if byte & SIGHASH_ANYONECANPAY != 0 {
                outpoint(host, &scan.map).await?;
                from_witness_utxo(host, &scan.map).await?;
                sequence(host, &scan.map).await;
            }
            if byte & 3 == SIGHASH_SINGLE {
                hash_output(st, host, index).await?;
            }
            let byte8 = u8::try_from(byte).map_err(|_| StatusWord::NotSupported)?;
            let kind =
                TapSighashType::from_consensus_u8(byte8).map_err(|_| StatusWord::NotSupported)?;
            let digest = cache
                .taproot_key_spend_signature_hash(input_index, &Prevouts::All(&tx.spent), kind)
                .map_err(|_| StatusWord::BadState)?;
            let signer = &st.ctx.signer;
            let der = derivation_path(&path);
            let signature = signer
                .sign_taproot_key_path(&der, &digest.to_byte_array())
                .map_err(|_| StatusWord::BadState)?;
            let internal_key = signer.public_key(&der).map_err(|_| StatusWord::BadState)?;
            let secp = Secp256k1::verification_only();
            let (output_key, _) = XOnlyPublicKey::from(internal_key).tap_tweak(&secp, None);
            let mut sig = signature.serialize().to_vec();
            if byte8 != 0 {
                sig.push(byte8);
            }
            let item = YieldedItem::PartialSignature {
                input_index: index,
                key: output_key.to_x_only_public_key().serialize().to_vec(),
                signature: sig,
            };
            host.yield_data(item.encode()).await;
            Ok(())
        }
        _ => Err(StatusWord::BadState),
    }
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

async fn hash_all_outputs(st: &State<'_>, host: &Host) -> Result<(), StatusWord> {
    for j in 0..st.n_outputs {
        hash_output(st, host, j).await?;
    }
    Ok(())
}

async fn yield_ecdsa(
    st: &State<'_>,
    host: &Host,
    index: u64,
    path: &[u32],
    digest: [u8; 32],
    sighash_byte: u32,
) -> Result<(), StatusWord> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_op_return() {
        assert_eq!(format_amount(0, "BTC"), "0 BTC");
        assert_eq!(format_amount(12_345, "BTC"), "0.00012345 BTC");
        assert_eq!(format_amount(150_000_000, "TEST"), "1.5 TEST");
        assert_eq!(describe_op_return(&[0x6a]).as_deref(), Some("OP_RETURN"));
        assert_eq!(
            describe_op_return(&[0x6a, 0x02, 0xab, 0xcd]).as_deref(),
            Some("OP_RETURN 0xabcd")
        );
        assert_eq!(describe_op_return(&[0x6a, 0x02, 0xab]), None);
    }
}
