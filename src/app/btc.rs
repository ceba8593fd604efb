//! The Ledger Bitcoin app (protocol v2): which app is open, keys, message and PSBT signing.

use std::str::FromStr;

use bitcoin::bip32::{DerivationPath, Xpub};
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{SignPsbtReply, WalletPolicy};
use firmware_msgs::{Bip32Path, StatusWord};

use super::{app_info, parse_version, run_exchange, DeviceError};
use crate::device::Transport;

/// Oldest Bitcoin app porsign drives: protocol v2 arrived in 2.1.0, and naked OP_RETURN outputs
/// (the BIP-322 `to_sign` transaction) are accepted since 2.1.3.
pub const MIN_VERSION: (u32, u32, u32) = (2, 1, 3);

/// The open Bitcoin app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitcoinApp {
    /// "Bitcoin Test" (testnet, signet, regtest keys) rather than "Bitcoin".
    pub testnet: bool,
    pub version: String,
}

/// Checks that a Bitcoin app new enough is open.
pub fn check_app(transport: &mut dyn Transport) -> Result<BitcoinApp, DeviceError> {
    check_info(app_info(transport)?)
}

/// Checks a `B0 01` answer: a Bitcoin app new enough.
pub fn check_info(info: super::AppInfo) -> Result<BitcoinApp, DeviceError> {
    let testnet = match info.name.as_str() {
        "Bitcoin" => false,
        "Bitcoin Test" => true,
        "BOLOS" => {
            return Err(DeviceError::NoApp {
                expected: "Bitcoin".into(),
            })
        }
        other => {
            return Err(DeviceError::WrongApp {
                expected: "Bitcoin".into(),
                found: other.to_owned(),
            })
        }
    };
    if parse_version(&info.version) < MIN_VERSION {
        return Err(DeviceError::AppTooOld {
            app: info.name,
            found: info.version,
            need: "2.1.3".into(),
        });
    }
    Ok(BitcoinApp {
        testnet,
        version: info.version,
    })
}

/// Converts a path for the wire, refusing one the app cannot take.
pub fn wire_path(path: &DerivationPath) -> Result<Bip32Path, DeviceError> {
    let steps: Vec<u32> = path.into_iter().map(|c| u32::from(*c)).collect();
    Bip32Path::from_steps(&steps).map_err(|e| DeviceError::Protocol(format!("path {path}: {e}")))
}

/// Status words with which the app (or the OS under it) refuses a derivation path.
fn path_refusal(err: DeviceError, path: &DerivationPath) -> DeviceError {
    match err {
        DeviceError::Status {
            status: status @ (StatusWord::BadState | StatusWord::NotSupported),
            ..
        } => DeviceError::PathRefused {
            path: format!("m/{path}"),
            status,
        },
        other => other,
    }
}

/// The master key fingerprint.
pub fn master_fingerprint(transport: &mut dyn Transport) -> Result<[u8; 4], DeviceError> {
    Ok(run_exchange(transport, ops::get_master_fingerprint())?.0)
}

/// The extended public key at `path` (shown on the device when `display`).
pub fn xpub(
    transport: &mut dyn Transport,
    path: &DerivationPath,
    display: bool,
) -> Result<Xpub, DeviceError> {
    let exchange = ops::get_extended_pubkey(&wire_path(path)?, display)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let reply = run_exchange(transport, exchange).map_err(|e| path_refusal(e, path))?;
    Xpub::from_str(&reply.0)
        .map_err(|e| DeviceError::Protocol(format!("xpub from the device: {e}")))
}

/// SIGN_MESSAGE: the 65-byte `header || r || s` signature.
pub fn sign_message(
    transport: &mut dyn Transport,
    path: &DerivationPath,
    message: &[u8],
) -> Result<[u8; 65], DeviceError> {
    let exchange = ops::sign_message(&wire_path(path)?, message)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let reply = run_exchange(transport, exchange).map_err(|e| path_refusal(e, path))?;
    Ok(reply.to_bytes())
}

/// SIGN_PSBT with a wallet policy; the partial signatures come back as yields.
pub fn sign_psbt(
    transport: &mut dyn Transport,
    psbt: &[u8],
    policy: &WalletPolicy,
) -> Result<SignPsbtReply, DeviceError> {
    let maps = firmware_msgs::btc::PsbtMaps::from_psbt(psbt)
        .map_err(|e| DeviceError::Protocol(format!("psbt: {e}")))?;
    let exchange =
        ops::sign_psbt(&maps, policy, None).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    run_exchange(transport, exchange)
}

/// GET_WALLET_ADDRESS for a default (unregistered) wallet policy: the address the app itself
/// derives, shown on the device when `display`.
pub fn wallet_address(
    transport: &mut dyn Transport,
    policy: &WalletPolicy,
    change: bool,
    index: u32,
    display: bool,
) -> Result<String, DeviceError> {
    let exchange = ops::get_wallet_address(policy, None, change, index, display)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    Ok(run_exchange(transport, exchange)?.0)
}

/// REGISTER_WALLET: the user reviews the policy on the device and approves it; the app answers
/// the policy id and its HMAC, which every later use of the policy must present.
pub fn register_wallet(
    transport: &mut dyn Transport,
    policy: &WalletPolicy,
) -> Result<firmware_msgs::btc::RegisteredWallet, DeviceError> {
    let exchange =
        ops::register_wallet(policy).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    run_exchange(transport, exchange)
}

/// GET_WALLET_ADDRESS for a registered policy (with its HMAC).
pub fn registered_wallet_address(
    transport: &mut dyn Transport,
    policy: &WalletPolicy,
    hmac: &[u8; 32],
    change: bool,
    index: u32,
) -> Result<String, DeviceError> {
    let exchange = ops::get_wallet_address(policy, Some(hmac), change, index, false)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    Ok(run_exchange(transport, exchange)?.0)
}
