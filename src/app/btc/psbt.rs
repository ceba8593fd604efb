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
    let maps = PsbtMaps::from_psbt(&psbt.serialize())
        .map_err(|e| DeviceError::Protocol(format!("psbt: {e}")))?;
    let exchange =
        ops::sign_psbt(&maps, &policy, None).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    // A yield is the client command 0x10 under the "interrupted" status.
    let reply = crate::app::run_exchange_observed(transport, exchange, &mut |response| {
        if response.data.first() == Some(&0x10)
            && response.status == firmware_msgs::StatusWord::InterruptedExecution
        {
            on_signature();
        }
    })?;
    let inputs = psbt.inputs.len();
    let mut signatures: Vec<Option<Vec<u8>>> = vec![None; inputs];
    for item in reply.yielded {
        let YieldedItem::PartialSignature {
            input_index,
            signature,
            ..
        } = item
        else {
            continue;
        };
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
