//! One device's part in a multisig row: register the wallet policy (the operator approves it on
//! the device once per session), have the app derive the multisig address from it, and sign the
//! challenge with each of the device's keys, re-checking every share with the verifier's own
//! per-signature rule before it goes near the bundle.

use std::collections::HashMap;

use super::multisig::MultisigRow;
use super::outcome::{b64, device_err, entry_for, host_check};
use super::reserves::{Multisig, Reserve};
use super::{paths, SignError};
use crate::app::btc;
use crate::bundle::{Entry, Scheme};
use crate::device::Transport;
use crate::model::{canonical_address, Chain, Network};
use crate::scheme;

/// Registers the row's policy on the device (once per policy and session) and asks the app for
/// the address; refuses if it is not the listed one.
pub(super) fn check_registered_address(
    transport: &mut dyn Transport,
    registered: &mut HashMap<[u8; 32], [u8; 32]>,
    reserve: &Reserve,
    row: &MultisigRow,
) -> Result<(), SignError> {
    let policy = &row.policy;
    let hmac = match registered.get(&policy.id()) {
        Some(hmac) => *hmac,
        None => {
            let wallet =
                btc::register_multisig(transport, policy).map_err(|e| device_err(reserve, e))?;
            if wallet.wallet_id != policy.id() {
                return Err(host_check(
                    reserve,
                    "the device registered another policy than the one sent".into(),
                ));
            }
            registered.insert(wallet.wallet_id, wallet.hmac);
            wallet.hmac
        }
    };
    let from_device =
        btc::multisig_address(transport, policy, &hmac).map_err(|e| device_err(reserve, e))?;
    if canonical_address(Chain::Bitcoin, &from_device)
        == canonical_address(Chain::Bitcoin, &reserve.address)
    {
        Ok(())
    } else {
        Err(SignError::PolicyAddressMismatch {
            line: reserve.line,
            address: reserve.address.clone(),
            from_device,
            change: u8::from(policy.change),
            index: policy.index,
        })
    }
}

/// Before any signature: the device's own keys of the row must be on paths the app lets porsign
/// read and sign with (which keys are its own is known only once the device is open).
pub(super) fn preflight(
    reserve: &Reserve,
    row: &MultisigRow,
    fingerprint: [u8; 4],
    network: Network,
) -> Result<(), SignError> {
    for key in row.keys_of(fingerprint) {
        paths::check_bitcoin_key(&key.path, network).map_err(|rule| SignError::Reserve {
            line: reserve.line,
            reason: format!(
                "column `descriptor`: the key of device {} at {rule}",
                hex::encode(fingerprint)
            ),
        })?;
    }
    Ok(())
}

/// This device's cosigner signatures of the challenge, as an entry holding only them.
pub(super) fn prove_share(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    reserve: &Reserve,
    multisig: &Multisig,
    message: &[u8],
) -> Result<Entry, SignError> {
    let keys = multisig.row.keys_of(fingerprint);
    if keys.is_empty() {
        return Err(SignError::Reserve {
            line: reserve.line,
            reason: format!(
                "the device {} holds none of this multisig's keys",
                hex::encode(fingerprint)
            ),
        });
    }
    let digest = scheme::bip137::message_hash(message);
    let mut signatures = Vec::new();
    let mut paths = Vec::new();
    for key in keys {
        // The device must really hold the key the descriptor names at that path.
        let xpub = btc::xpub(transport, &key.path, false).map_err(|e| device_err(reserve, e))?;
        if xpub.public_key != key.pubkey.inner {
            return Err(SignError::AddressMismatch {
                line: reserve.line,
                address: reserve.address.clone(),
                path: format!("m/{}", key.path),
            });
        }
        let sig =
            btc::sign_message(transport, &key.path, message).map_err(|e| device_err(reserve, e))?;
        let signature = b64(&sig);
        // Exactly the verifier's rule for one multisig signature: a key of the script, in the
        // key-range headers that say its compression.
        let signer = scheme::multisig::cosigner_signature(
            &digest,
            &multisig.row.script,
            signatures.len(),
            &signature,
        )
        .map_err(|e| host_check(reserve, e.to_string()))?;
        if signer.inner != key.pubkey.inner {
            return Err(host_check(
                reserve,
                "the signature is another cosigner's than the key asked for".into(),
            ));
        }
        signatures.push(signature);
        paths.push(format!("m/{}", key.path));
    }
    let mut entry = entry_for(reserve, Scheme::Bip137Multisig, signatures);
    entry.descriptor = Some(multisig.descriptor.clone());
    if let [only] = paths.as_slice() {
        entry.path = Some(only.clone());
    }
    entry.fingerprint = Some(hex::encode(fingerprint));
    Ok(entry)
}
