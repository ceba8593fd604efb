//! The Ledger Ethereum app: which app is open, addresses, personal_sign.

use bitcoin::bip32::DerivationPath;
use firmware_msgs::eth::{self, AddressReply, EthSignature};
use firmware_msgs::StatusWord;

use super::btc::wire_path;
use super::{app_info, parse_version, send, DeviceError};
use crate::device::Transport;

/// Oldest Ethereum app porsign drives (personal_sign with the current chunking).
pub const MIN_VERSION: (u32, u32, u32) = (1, 9, 0);

/// Checks that an Ethereum app new enough is open; returns its version.
pub fn check_app(transport: &mut dyn Transport) -> Result<String, DeviceError> {
    check_info(app_info(transport)?)
}

/// Checks a `B0 01` answer: an Ethereum app new enough; returns its version.
pub fn check_info(info: super::AppInfo) -> Result<String, DeviceError> {
    match info.name.as_str() {
        "Ethereum" => {}
        "BOLOS" => {
            return Err(DeviceError::NoApp {
                expected: "Ethereum".into(),
            })
        }
        other => {
            return Err(DeviceError::WrongApp {
                expected: "Ethereum".into(),
                found: other.to_owned(),
            })
        }
    }
    if parse_version(&info.version) < MIN_VERSION {
        return Err(DeviceError::AppTooOld {
            app: info.name,
            found: info.version,
            need: "1.9.0".into(),
        });
    }
    Ok(info.version)
}

fn ok_or_status(status: StatusWord, path: &DerivationPath) -> Result<(), DeviceError> {
    match status {
        StatusWord::Ok => Ok(()),
        // The Ethereum app answers 6A80/6B00 for a path outside what it may derive.
        s @ (StatusWord::IncorrectData | StatusWord::NotSupported) => {
            Err(DeviceError::PathRefused {
                path: format!("m/{path}"),
                status: s,
            })
        }
        s => Err(DeviceError::from_status(s)),
    }
}

/// The address (and uncompressed public key) at `path`.
pub fn address(
    transport: &mut dyn Transport,
    path: &DerivationPath,
    display: bool,
) -> Result<AddressReply, DeviceError> {
    let command = eth::get_address(&wire_path(path)?, display, false)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let response = send(transport, &command)?;
    ok_or_status(response.status, path)?;
    AddressReply::decode(&response.data)
        .map_err(|e| DeviceError::Protocol(format!("address reply: {e}")))
}

/// personal_sign of `message`: the device's `v || r || s`.
pub fn sign_personal(
    transport: &mut dyn Transport,
    path: &DerivationPath,
    message: &[u8],
) -> Result<EthSignature, DeviceError> {
    let chunks = eth::sign_personal_message(&wire_path(path)?, message)
        .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let count = chunks.len();
    for (i, command) in chunks.iter().enumerate() {
        let response = send(transport, command)?;
        ok_or_status(response.status, path)?;
        if i + 1 == count {
            return EthSignature::decode(&response.data)
                .map_err(|e| DeviceError::Protocol(format!("signature reply: {e}")));
        }
        if !response.data.is_empty() {
            return Err(DeviceError::Protocol(
                "data in the reply to a non-final chunk".into(),
            ));
        }
    }
    Err(DeviceError::Protocol("no chunks to send".into()))
}
