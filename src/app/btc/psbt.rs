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
