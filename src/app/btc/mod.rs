//! The Ledger Bitcoin app (protocol v2), in porsign's terms: the callers speak `bitcoin` and
//! `miniscript` types (paths, keys, addresses, PSBTs, descriptors); the app's own objects
//! (wallet policies, key information, wire paths, yielded items) are made and read here.
//!
//! - this module: which app is open, keys, message signing;
//! - [`address`]: addresses the app derives itself with its default single-key policies;
//! - [`psbt`]: SIGN_PSBT, and the BIP-322 proof of a taproot key through it;
//! - [`register`]: multisig descriptors as the wallet policies the app registers.

pub mod address;
pub mod psbt;
pub mod register;

use std::str::FromStr;

use bitcoin::bip32::{DerivationPath, Xpub};
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::KeyInfo;
use firmware_msgs::{Bip32Path, StatusWord};

use super::{app_info, parse_version, run_exchange, DeviceError};
use crate::device::Transport;

pub use address::default_policy_address;
/// The app's default single-key policies, by script type (what a batch proof signs under).
pub use firmware_msgs::btc::SingleKeyPolicy;
pub use psbt::{
    sign_batch_psbt, sign_multisig_batch_psbt, sign_psbt, sign_taproot_psbt, InputSignature,
};
pub use register::{
    multisig_address, register_multisig, MultisigPolicy, PolicyError, Registration,
};

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
    bip32_path(path).map_err(|e| DeviceError::Protocol(format!("path {path}: {e}")))
}

fn bip32_path(path: &DerivationPath) -> Result<Bip32Path, firmware_msgs::PathError> {
    let steps: Vec<u32> = path.into_iter().map(|c| u32::from(*c)).collect();
    Bip32Path::from_steps(&steps)
}

/// An account key as the app's wallet policies name it: `[fingerprint/path]xpub`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountKey {
    /// The device's master fingerprint.
    pub fingerprint: [u8; 4],
    /// The account's path from the master key, e.g. `m/86'/0'/0'`.
    pub path: DerivationPath,
    pub xpub: Xpub,
}

impl AccountKey {
    /// The key as a policy's key information.
    fn key_info(&self) -> Result<KeyInfo, DeviceError> {
        Ok(KeyInfo::new(
            self.fingerprint,
            wire_path(&self.path)?,
            self.xpub.to_string(),
        ))
    }
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
    xpub_for(transport, path, display, path)
}

/// The extended public key at `path`, asked for on behalf of the key at `wanted` (a refusal
/// names `wanted`, the path the caller was asked about).
fn xpub_for(
    transport: &mut dyn Transport,
    path: &DerivationPath,
    display: bool,
    wanted: &DerivationPath,
) -> Result<Xpub, DeviceError> {
    let exchange = ops::get_extended_pubkey(&wire_path(path)?, display)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let reply = run_exchange(transport, exchange).map_err(|e| path_refusal(e, wanted))?;
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
