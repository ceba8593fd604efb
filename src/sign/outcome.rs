//! What proving one reserve ends with: its bundle entry, or an error that names the reserve.
//! Shared by the single-key proofs (`prove`) and the multisig shares (`cosigner`).

use bitcoin::base64::Engine;

use super::reserves::Reserve;
use super::SignError;
use crate::app::DeviceError;
use crate::bundle::{Entry, Scheme};

/// The device failed while proving `reserve`.
pub(super) fn device_err(reserve: &Reserve, source: DeviceError) -> SignError {
    SignError::Device {
        address: reserve.address.clone(),
        source,
    }
}

/// What the device answered for `reserve` does not check out on the host.
pub(super) fn host_check(reserve: &Reserve, reason: String) -> SignError {
    SignError::HostVerify {
        address: reserve.address.clone(),
        reason,
    }
}

/// The entry of `reserve` proven under `scheme`; the caller adds the binding (pubkey, path,
/// descriptor) its proof has.
pub(super) fn entry_for(reserve: &Reserve, scheme: Scheme, signatures: Vec<String>) -> Entry {
    let mut entry = Entry::new(
        reserve.chain,
        reserve.network,
        reserve.address.clone(),
        scheme,
        signatures,
    );
    entry.amount = reserve.amount.clone();
    entry
}

/// Standard base64, as Bitcoin signatures are written.
pub(super) fn b64(bytes: &[u8]) -> String {
    bitcoin::base64::engine::general_purpose::STANDARD.encode(bytes)
}
