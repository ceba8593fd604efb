//! SIGN_PSBT for the default single-key policies (`pkh`, `wpkh`, `sh(wpkh)`, `tr` key path):
//! enough for BIP-322 proofs, which sign a `to_sign` transaction through this command.
//!
//! The app never holds the PSBT: it reads each map entry through client commands, often more
//! than once (it checks every map's key order each time it opens a map). The functions here
//! follow its passes in order — global map, inputs, outputs, transaction-wide hashes, review,
//! signing — so the requests match a real device's byte for byte. The digests themselves come
//! from the `bitcoin` crate's sighash code, over the transaction rebuilt from what was read.
//! Registered policies (multisig) are answered with 6A82.
//!
//! One file per concern, in the order of the passes:
//!
//! - this file: the command's entry, its limits and the global map;
//! - [`fields`]: the PSBT key types the app reads and one reader per field (with its size limit);
//! - [`policy_match`]: which policy keys are ours, and which inputs and outputs they derive;
//! - [`preprocess`]: the checks of every input and output before the review;
//! - [`tx_hashes`]: the pass over the whole transaction, and the unsigned transaction rebuilt
//!   from it;
//! - [`review`]: the screens the user approves;
//! - [`sign`]: the signing pass (which key signs which input), handing each input to
//!   [`sign_ecdsa`] (legacy, segwit v0) or [`sign_schnorr`] (taproot).

mod fields;
mod policy_match;
mod preprocess;
mod review;
mod sign;
mod sign_ecdsa;
mod sign_schnorr;
mod tx_hashes;

use firmware_msgs::btc::commands::SignPsbt;
use firmware_msgs::btc::wallet_policy::WalletPolicyHeader;
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use self::fields::{check_sorted, GLOBAL_FALLBACK_LOCKTIME, GLOBAL_TX_VERSION};
use self::policy_match::InternalKey;
use super::policy::{KeyList, Template};
use super::{fetch_policy, Ctx};
use crate::emulator::session::{Host, Outcome};

/// Most inputs or outputs the app signs for.
const MAX_IN_OUT: u64 = 512;

/// What every pass reads: the command's counts and roots, the wallet policy, and which policy
/// keys are ours (found by the input pass).
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
    let (internal_inputs, total_in, warnings) = preprocess::inputs(&mut st, host).await?;
    let outputs = preprocess::outputs(&st, host, total_in).await?;
    let tx = tx_hashes::compute_tx_hashes(&st, host).await?;
    review::review(&st, &warnings, &outputs, total_in)?;
    sign::sign_transaction(&mut st, host, &internal_inputs, &tx).await?;
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
