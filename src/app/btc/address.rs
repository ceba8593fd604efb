//! Addresses the app derives itself: GET_WALLET_ADDRESS with a default single-key policy
//! (`pkh(@0/**)`, `sh(wpkh(@0/**))`, `wpkh(@0/**)`, `tr(@0/**)`), which the app uses without
//! registration on the standard paths of its address type.

use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::AddressType;
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{SingleKeyPolicy, WalletPolicy};

use super::{xpub_for, AccountKey};
use crate::app::{run_exchange, DeviceError};
use crate::device::Transport;

/// The highest address index GET_WALLET_ADDRESS takes with a default policy
/// (`MAX_BIP44_ADDRESS_INDEX_RECOMMENDED`).
const MAX_DEFAULT_POLICY_INDEX: u32 = 50_000;

/// Where a default policy derives the key at `path`.
struct DefaultPolicyPath {
    policy: SingleKeyPolicy,
    /// `m/purpose'/coin'/account'`.
    account: DerivationPath,
    change: bool,
    index: u32,
}

/// The default wallet policy of a standard path `m/purpose'/coin'/account'/change/index` whose
/// purpose names the address type, split into the account path and the tail.
fn default_policy_of(
    address_type: Option<AddressType>,
    path: &DerivationPath,
) -> Option<DefaultPolicyPath> {
    let steps: Vec<ChildNumber> = path.into_iter().copied().collect();
    let [purpose @ ChildNumber::Hardened { .. }, coin @ ChildNumber::Hardened { .. }, account @ ChildNumber::Hardened { .. }, ChildNumber::Normal { index: change }, ChildNumber::Normal { index }] =
        steps.as_slice()
    else {
        return None;
    };
    let policy = match (u32::from(*purpose) & 0x7fff_ffff, address_type?) {
        (44, AddressType::P2pkh) => SingleKeyPolicy::Pkh,
        (49, AddressType::P2sh) => SingleKeyPolicy::ShWpkh,
        (84, AddressType::P2wpkh) => SingleKeyPolicy::Wpkh,
        (86, AddressType::P2tr) => SingleKeyPolicy::Tr,
        _ => return None,
    };
    let change = match change {
        0 => false,
        1 => true,
        _ => return None,
    };
    // The app derives default-policy addresses only up to this index (6A80 beyond); the key
    // check alone then binds the key to the address.
    if *index > MAX_DEFAULT_POLICY_INDEX {
        return None;
    }
    Some(DefaultPolicyPath {
        policy,
        account: DerivationPath::from(vec![*purpose, *coin, *account]),
        change,
        index: *index,
    })
}

/// The address the app derives, with its default policy for `address_type`, for the key at
/// `path` of the device whose master fingerprint is `fingerprint` (not shown on the device).
/// `None` where `path` is not a path of that policy: `m/purpose'/coin'/account'/change/index`
/// with the purpose of the address type, change 0 or 1, index at most 50000. A refusal of the
/// account key names `path`.
pub fn default_policy_address(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    address_type: Option<AddressType>,
    path: &DerivationPath,
) -> Result<Option<String>, DeviceError> {
    let Some(at) = default_policy_of(address_type, path) else {
        return Ok(None);
    };
    let account = AccountKey {
        fingerprint,
        xpub: xpub_for(transport, &at.account, false, path)?,
        path: at.account,
    };
    let policy = WalletPolicy::single_key(at.policy, account.key_info()?);
    let exchange = ops::get_wallet_address(&policy, None, at.change, at.index, false)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    Ok(Some(run_exchange(transport, exchange)?.0))
}
