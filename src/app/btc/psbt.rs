//! SIGN_PSBT: the app signs a PSBT's inputs under a wallet policy and yields the signatures.

use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{PsbtMaps, SignPsbtReply, SingleKeyPolicy, WalletPolicy, YieldedItem};

use super::AccountKey;
use crate::app::{run_exchange, DeviceError};
use crate::device::Transport;

/// SIGN_PSBT of the serialized `psbt` with a wallet policy; the partial signatures come back as
/// yields.
pub fn sign_psbt(
    transport: &mut dyn Transport,
    psbt: &[u8],
    policy: &WalletPolicy,
) -> Result<SignPsbtReply, DeviceError> {
    let maps =
        PsbtMaps::from_psbt(psbt).map_err(|e| DeviceError::Protocol(format!("psbt: {e}")))?;
    let exchange =
        ops::sign_psbt(&maps, policy, None).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    run_exchange(transport, exchange)
}

/// SIGN_PSBT under the app's default taproot policy `tr(@0/**)` of `account`, for a PSBT whose
/// input 0 spends a key of that account (a BIP-322 `to_sign` transaction): the Schnorr signature
/// the app yields for input 0, or `None` if it yields none.
pub fn sign_taproot_psbt(
    transport: &mut dyn Transport,
    account: &AccountKey,
    psbt: &bitcoin::Psbt,
) -> Result<Option<Vec<u8>>, DeviceError> {
    let policy = WalletPolicy::single_key(SingleKeyPolicy::Tr, account.key_info()?);
    let reply = sign_psbt(transport, &psbt.serialize(), &policy)?;
    Ok(reply.yielded.into_iter().find_map(|item| match item {
        YieldedItem::PartialSignature {
            input_index: 0,
            signature,
            ..
        } => Some(signature),
        _ => None,
    }))
}

/// SIGN_PSBT of a batch proof under the default single-key policy `kind` of `account`: every
/// input spends a key of that account. Returns each input's signature, in input order, and
/// calls `on_signature` as each one arrives (the app yields them one by one after approval).
///
/// Fails unless the app yields exactly one signature for every input: a batch is all or
/// nothing.
pub fn sign_batch_psbt(
    transport: &mut dyn Transport,
    account: &AccountKey,
    kind: SingleKeyPolicy,
    psbt: &bitcoin::Psbt,
    on_signature: &mut dyn FnMut(),
) -> Result<Vec<Vec<u8>>, DeviceError> {
    let policy = WalletPolicy::single_key(kind, account.key_info()?);
    let yielded = sign_observed(transport, &policy, None, psbt, on_signature)?;
    one_per_input(yielded, psbt.inputs.len())
}

/// A partial signature the app yielded: (input index, key, signature), as sent.
type Yielded = (u64, Vec<u8>, Vec<u8>);

/// One signature of a multisig batch input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSignature {
    pub input: usize,
    /// The 33-byte public key it was made with.
    pub key: Vec<u8>,
    /// DER signature and sighash byte.
    pub signature: Vec<u8>,
}

/// SIGN_PSBT of a batch proof under a registered multisig policy (with its HMAC): every
/// signature the app yields, with its input and the key it was made with. The app signs each input with every key of the policy it holds.
pub fn sign_multisig_batch_psbt(
    transport: &mut dyn Transport,
    policy: &super::MultisigPolicy,
    hmac: &[u8; 32],
    psbt: &bitcoin::Psbt,
    on_signature: &mut dyn FnMut(),
) -> Result<Vec<InputSignature>, DeviceError> {
    let yielded = sign_observed(
        transport,
        policy.wallet_policy(),
        Some(hmac),
        psbt,
        on_signature,
    )?;
    let inputs = psbt.inputs.len();
    yielded
        .into_iter()
        .map(|(input_index, key, signature)| {
            usize::try_from(input_index)
                .ok()
                .filter(|i| *i < inputs)
                .map(|input| InputSignature {
                    input,
                    key,
                    signature,
                })
                .ok_or_else(|| {
                    DeviceError::Protocol(format!(
                        "a signature for input {input_index} of a {inputs}-input PSBT"
                    ))
                })
        })
        .collect()
}

/// Runs SIGN_PSBT, calling `on_signature` for each yield as it arrives; returns the partial
/// signatures as (input, key, signature).
fn sign_observed(
    transport: &mut dyn Transport,
    policy: &WalletPolicy,
    hmac: Option<&[u8; 32]>,
    psbt: &bitcoin::Psbt,
    on_signature: &mut dyn FnMut(),
) -> Result<Vec<Yielded>, DeviceError> {
    let maps = PsbtMaps::from_psbt(&psbt.serialize())
        .map_err(|e| DeviceError::Protocol(format!("psbt: {e}")))?;
    let exchange =
        ops::sign_psbt(&maps, policy, hmac).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    // A yield is the client command 0x10 under the "interrupted" status.
    let reply = crate::app::run_exchange_observed(transport, exchange, &mut |response| {
        if response.data.first() == Some(&0x10)
            && response.status == firmware_msgs::StatusWord::InterruptedExecution
        {
            on_signature();
        }
    })?;
    Ok(reply
        .yielded
        .into_iter()
        .filter_map(|item| match item {
            YieldedItem::PartialSignature {
                input_index,
                key,
                signature,
            } => Some((input_index, key, signature)),
            _ => None,
        })
        .collect())
}

/// Exactly one signature for every input, in input order.
fn one_per_input(yielded: Vec<Yielded>, inputs: usize) -> Result<Vec<Vec<u8>>, DeviceError> {
    let mut signatures: Vec<Option<Vec<u8>>> = vec![None; inputs];
    for (input_index, _key, signature) in yielded {
        let slot = usize::try_from(input_index)
            .ok()
            .and_then(|i| signatures.get_mut(i))
            .ok_or_else(|| {
                DeviceError::Protocol(format!(
                    "a signature for input {input_index} of a {inputs}-input PSBT"
                ))
            })?;
        if slot.replace(signature).is_some() {
            return Err(DeviceError::Protocol(format!(
                "two signatures for input {input_index}"
            )));
        }
    }
    signatures
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.ok_or_else(|| DeviceError::Protocol(format!("no signature for input {i}"))))
        .collect()
}
