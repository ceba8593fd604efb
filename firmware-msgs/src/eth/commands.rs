//! The Ethereum app's APDUs, both directions: [`EthCommand::encode`] for the host,
//! [`EthCommand::decode`] for the device, and the host-side builders.

use super::eip712::Eip712Command;
use super::personal::PersonalMessageChunk;
use super::transaction::TransactionChunk;
use super::*;
use crate::apdu::{ApduCommand, MAX_DATA_LEN};
use crate::path::Bip32Path;
use crate::reader::Reader;

/// GET ETH PUBLIC ADDRESS: `E0 02 display return_chain_code Lc path [u64 BE chain_id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAddress {
    /// Show the address and wait for the user (P1 = 01).
    pub display: bool,
    /// Append the chain code to the reply (P2 = 01).
    pub return_chain_code: bool,
    /// The key.
    pub path: Bip32Path,
    /// Chain id, only used for the display.
    pub chain_id: Option<u64>,
}

/// A command for the Ethereum app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EthCommand {
    /// `E0 02`
    GetAddress(GetAddress),
    /// `E0 06`
    GetAppConfiguration,
    /// `E0 08`
    SignPersonalMessage(PersonalMessageChunk),
    /// `E0 04`, P2 = 00
    SignTransaction(TransactionChunk),
    /// `E0 0C`, P2 = 00 (hashed mode)
    SignEip712Hashed(Eip712Hashed),
    /// `E0 1A`, `E0 1C`, `E0 1E` and `E0 0C` P2 = 01: EIP-712 in full mode.
    Eip712(Eip712Command),
}

/// SIGN ETH EIP-712 in hashed mode: `path ‖ domain separator hash ‖ message hash` (the app
/// ignores any bytes after the two hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eip712Hashed {
    /// The signing key.
    pub path: Bip32Path,
    /// `hashStruct(EIP712Domain)`.
    pub domain_hash: [u8; 32],
    /// `hashStruct(message)`.
    pub message_hash: [u8; 32],
}

impl EthCommand {
    /// The APDU (host side).
    pub fn encode(&self) -> Result<ApduCommand, EthError> {
        let mut data = Vec::new();
        let (ins, p1, p2) = match self {
            Self::GetAddress(c) => {
                c.path.encode_into(&mut data);
                if let Some(chain_id) = c.chain_id {
                    data.extend_from_slice(&chain_id.to_be_bytes());
                }
                (
                    INS_GET_ADDRESS,
                    u8::from(c.display),
                    u8::from(c.return_chain_code),
                )
            }
            Self::GetAppConfiguration => (INS_GET_APP_CONFIGURATION, 0, 0),
            Self::SignPersonalMessage(PersonalMessageChunk::First {
                path,
                message_len,
                data: part,
            }) => {
                path.encode_into(&mut data);
                data.extend_from_slice(&message_len.to_be_bytes());
                data.extend_from_slice(part);
                (INS_SIGN_PERSONAL_MESSAGE, P1_FIRST_CHUNK, 0)
            }
            Self::SignPersonalMessage(PersonalMessageChunk::More { data: part }) => {
                data.extend_from_slice(part);
                (INS_SIGN_PERSONAL_MESSAGE, P1_MORE_CHUNK, 0)
            }
            Self::SignTransaction(TransactionChunk::First { path, data: part }) => {
                path.encode_into(&mut data);
                data.extend_from_slice(part);
                (INS_SIGN_TRANSACTION, P1_FIRST_CHUNK, 0)
            }
            Self::SignTransaction(TransactionChunk::More { data: part }) => {
                data.extend_from_slice(part);
                (INS_SIGN_TRANSACTION, P1_MORE_CHUNK, 0)
            }
            Self::SignEip712Hashed(c) => {
                c.path.encode_into(&mut data);
                data.extend_from_slice(&c.domain_hash);
                data.extend_from_slice(&c.message_hash);
                (INS_SIGN_EIP712, 0, P2_EIP712_HASHED)
            }
            Self::Eip712(c) => return c.encode(),
        };
        Ok(ApduCommand::new(CLA_ETHEREUM, ins, p1, p2, data)?)
    }

    /// Parses an APDU (device side).
    pub fn decode(apdu: &ApduCommand) -> Result<Self, EthError> {
        let (cla, ins, p1, p2) = (apdu.cla(), apdu.ins(), apdu.p1(), apdu.p2());
        if cla != CLA_ETHEREUM {
            return Err(EthError::ClaNotSupported { cla });
        }
        if let Some(command) = Eip712Command::decode(apdu) {
            return command.map(Self::Eip712);
        }
        let mut r = Reader::new(apdu.data());
        let command = match (ins, p1, p2) {
            (INS_GET_ADDRESS, 0 | 1, 0 | 1) => {
                let path = Bip32Path::read(&mut r)?;
                let chain_id = if r.is_empty() {
                    None
                } else {
                    Some(r.u64_be("chain id")?)
                };
                Self::GetAddress(GetAddress {
                    display: p1 == 1,
                    return_chain_code: p2 == 1,
                    path,
                    chain_id,
                })
            }
            // The app reads neither P1/P2 nor the data of this command.
            (INS_GET_APP_CONFIGURATION, _, _) => {
                r.rest();
                Self::GetAppConfiguration
            }
            (INS_SIGN_PERSONAL_MESSAGE, P1_FIRST_CHUNK, 0) => {
                Self::SignPersonalMessage(PersonalMessageChunk::First {
                    path: Bip32Path::read(&mut r)?,
                    message_len: r.u32_be("message length")?,
                    data: r.rest().to_vec(),
                })
            }
            (INS_SIGN_PERSONAL_MESSAGE, P1_MORE_CHUNK, 0) => {
                Self::SignPersonalMessage(PersonalMessageChunk::More {
                    data: r.rest().to_vec(),
                })
            }
            (INS_SIGN_TRANSACTION, P1_FIRST_CHUNK, 0) => {
                Self::SignTransaction(TransactionChunk::First {
                    path: Bip32Path::read(&mut r)?,
                    data: r.rest().to_vec(),
                })
            }
            (INS_SIGN_TRANSACTION, P1_MORE_CHUNK, 0) => {
                Self::SignTransaction(TransactionChunk::More {
                    data: r.rest().to_vec(),
                })
            }
            // P2 = 01 (store the transaction) and 02 (start the generic clear-signing flow)
            // belong to Ledger's generic clear signing, not modelled here; the app answers 6980
            // to the start-flow with no stored transaction, and so does this for both.
            (INS_SIGN_TRANSACTION, P1_FIRST_CHUNK | P1_MORE_CHUNK, 1)
            | (INS_SIGN_TRANSACTION, _, 2) => return Err(EthError::NotAllowed),
            (INS_SIGN_EIP712, 0, P2_EIP712_HASHED) => {
                let command = Eip712Hashed {
                    path: Bip32Path::read(&mut r)?,
                    domain_hash: r.array("domain hash")?,
                    message_hash: r.array("message hash")?,
                };
                r.rest();
                Self::SignEip712Hashed(command)
            }
            (
                INS_GET_ADDRESS
                | INS_SIGN_PERSONAL_MESSAGE
                | INS_SIGN_TRANSACTION
                | INS_SIGN_EIP712,
                _,
                _,
            ) => return Err(EthError::WrongP1P2 { p1, p2 }),
            _ => return Err(EthError::InsNotSupported { ins }),
        };
        r.finish("ethereum command data")?;
        Ok(command)
    }
}

/// GET_ADDRESS as an APDU (host side).
pub fn get_address(
    path: &Bip32Path,
    display: bool,
    return_chain_code: bool,
) -> Result<ApduCommand, EthError> {
    EthCommand::GetAddress(GetAddress {
        display,
        return_chain_code,
        path: path.clone(),
        chain_id: None,
    })
    .encode()
}

/// GET_APP_CONFIGURATION as an APDU (host side).
pub fn get_app_configuration() -> ApduCommand {
    ApduCommand::without_data(CLA_ETHEREUM, INS_GET_APP_CONFIGURATION, 0, 0)
}

/// The APDUs that sign a transaction (host side): `path ‖ type byte ‖ RLP` (the unsigned
/// serialization: EIP-155's `[…, chainId, 0, 0]` for legacy) cut into 255-byte pieces like
/// Ledger's own Python client, P1 = 00 for the first and 80 for the rest. Every answer but the
/// last is an empty `9000`; the last is `v ‖ r ‖ s`.
pub fn sign_transaction(path: &Bip32Path, raw_tx: &[u8]) -> Result<Vec<ApduCommand>, EthError> {
    let mut payload = path.encode();
    payload.extend_from_slice(raw_tx);
    chunked(INS_SIGN_TRANSACTION, &payload)
}

/// `payload` cut into 255-byte APDUs of `ins`, P1 = 00 for the first and 80 for the rest: how
/// Ledger's clients send the app's chunked requests.
pub(super) fn chunked(ins: u8, payload: &[u8]) -> Result<Vec<ApduCommand>, EthError> {
    payload
        .chunks(MAX_DATA_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            let p1 = if i == 0 {
                P1_FIRST_CHUNK
            } else {
                P1_MORE_CHUNK
            };
            Ok(ApduCommand::new(CLA_ETHEREUM, ins, p1, 0, chunk.to_vec())?)
        })
        .collect()
}

/// SIGN ETH EIP-712 in hashed mode as an APDU (host side).
pub fn sign_eip712_hashed(
    path: &Bip32Path,
    domain_hash: &[u8; 32],
    message_hash: &[u8; 32],
) -> Result<ApduCommand, EthError> {
    EthCommand::SignEip712Hashed(Eip712Hashed {
        path: path.clone(),
        domain_hash: *domain_hash,
        message_hash: *message_hash,
    })
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let path: Bip32Path = "m/44'/60'/0'/0/0".parse().expect("path");
        assert_eq!(
            hex::encode(get_address(&path, false, false).expect("fits").encode()),
            "e002000015058000002c8000003c800000000000000000000000"
        );
        let apdus = sign_personal_message(&path, b"Hello World").expect("short");
        let hexes: Vec<String> = apdus.iter().map(|a| hex::encode(a.encode())).collect();
        assert_eq!(
            hexes,
            ["e008000024058000002c8000003c8000000000000000000000000000000b48656c6c6f20576f726c64"]
        );
        assert_eq!(hex::encode(get_app_configuration().encode()), "e006000000");
    }
}
