//! The Bitcoin app's commands (CLA `E1`) and the framework's CONTINUE (CLA `F8`).
//!
//! The host encodes them ([`BtcCommand::encode`]); the device decodes them
//! ([`BtcCommand::decode`]) and, on a malformed command, answers the status word the app would
//! ([`BtcCommandError::status_word`]).

use crate::apdu::{ApduCommand, ApduError};
use crate::error::DecodeError;
use crate::merkle::Hash;
use crate::path::Bip32Path;
use crate::reader::Reader;
use crate::status::StatusWord;

use super::psbt::MapCommitment;
use super::wallet_policy::WalletPolicyHeader;
use super::{CLA_BITCOIN, CLA_FRAMEWORK, INS_CONTINUE, PROTOCOL_VERSION};

/// Instruction codes of the Bitcoin app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BtcIns {
    /// `00`
    GetExtendedPubkey,
    /// `02`
    RegisterWallet,
    /// `03`
    GetWalletAddress,
    /// `04`
    SignPsbt,
    /// `05`
    GetMasterFingerprint,
    /// `10`
    SignMessage,
}

impl BtcIns {
    /// The INS byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::GetExtendedPubkey => 0x00,
            Self::RegisterWallet => 0x02,
            Self::GetWalletAddress => 0x03,
            Self::SignPsbt => 0x04,
            Self::GetMasterFingerprint => 0x05,
            Self::SignMessage => 0x10,
        }
    }

    /// The instruction for an INS byte, if the app has one.
    pub fn from_byte(ins: u8) -> Option<Self> {
        [
            Self::GetExtendedPubkey,
            Self::RegisterWallet,
            Self::GetWalletAddress,
            Self::SignPsbt,
            Self::GetMasterFingerprint,
            Self::SignMessage,
        ]
        .into_iter()
        .find(|i| i.byte() == ins)
    }
}

/// GET_EXTENDED_PUBKEY: `u8 display ‖ path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetExtendedPubkey {
    /// Show the xpub on the device and wait for the user.
    pub display: bool,
    /// The key to export.
    pub path: Bip32Path,
}

/// REGISTER_WALLET: `varint len ‖ wallet policy serialization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterWallet {
    /// The policy's serialization (the device fetches the template and keys by hash).
    pub policy: WalletPolicyHeader,
}

/// GET_WALLET_ADDRESS:
/// `u8 display ‖ 32 wallet_id ‖ 32 hmac ‖ u8 change ‖ u32 BE address_index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetWalletAddress {
    /// Show the address on the device and wait for the user.
    pub display: bool,
    /// `SHA256` of the policy serialization.
    pub wallet_id: Hash,
    /// The registration HMAC; 32 zero bytes for a default policy.
    pub wallet_hmac: Hash,
    /// Change (`1`) or receive (`0`) branch.
    pub change: bool,
    /// Address index.
    pub address_index: u32,
}

/// SIGN_PSBT: `map_commitment(global) ‖ varint n_in ‖ 32 inputs_root ‖ varint n_out ‖
/// 32 outputs_root ‖ 32 wallet_id ‖ 32 hmac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignPsbt {
    /// Commitment to the PSBTv2 global map.
    pub global_map: MapCommitment,
    /// Number of inputs.
    pub n_inputs: u64,
    /// Merkle root of the input map commitments.
    pub inputs_root: Hash,
    /// Number of outputs.
    pub n_outputs: u64,
    /// Merkle root of the output map commitments.
    pub outputs_root: Hash,
    /// The signing policy's id.
    pub wallet_id: Hash,
    /// Its HMAC; zeros for a default policy.
    pub wallet_hmac: Hash,
}

/// SIGN_MESSAGE: `path ‖ varint message_len ‖ 32 merkle_root(64-byte chunks)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignMessage {
    /// The signing key.
    pub path: Bip32Path,
    /// Message length in bytes.
    pub message_len: u64,
    /// Merkle root of the message's 64-byte chunks (zeros for an empty message).
    pub message_root: Hash,
}

/// A command the host sends to the Bitcoin app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtcCommand {
    /// `E1 00`
    GetExtendedPubkey(GetExtendedPubkey),
    /// `E1 02`
    RegisterWallet(RegisterWallet),
    /// `E1 03`
    GetWalletAddress(GetWalletAddress),
    /// `E1 04`
    SignPsbt(SignPsbt),
    /// `E1 05`, no data.
    GetMasterFingerprint,
    /// `E1 10`
    SignMessage(SignMessage),
    /// `F8 01`: the answer to an interruption. The data is a
    /// [`ClientResponse`](super::ClientResponse), whose decoding depends on the pending request.
    Continue(Vec<u8>),
}

/// Why the device refuses a command; each maps to the status word the app answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtcCommandError {
    /// Neither `E1` nor `F8`.
    #[error("class {cla:#04x} not supported")]
    ClaNotSupported {
        /// The CLA received.
        cla: u8,
    },
    /// An INS the app does not have.
    #[error("instruction {ins:#04x} not supported")]
    InsNotSupported {
        /// The INS received.
        ins: u8,
    },
    /// P1 is not 0, or P2 is above the protocol version.
    #[error("wrong p1/p2 {p1:#04x}/{p2:#04x}")]
    WrongP1P2 {
        /// P1 received.
        p1: u8,
        /// P2 received.
        p2: u8,
    },
    /// The data field is malformed.
    #[error("malformed command data")]
    Data(#[from] DecodeError),
    /// The encoded command does not fit a short APDU.
    #[error("command does not fit an apdu")]
    Apdu(#[from] ApduError),
}

impl BtcCommandError {
    /// The status word the Bitcoin app answers for this error.
    pub fn status_word(&self) -> StatusWord {
        match self {
            Self::ClaNotSupported { .. } => StatusWord::ClaNotSupported,
            Self::InsNotSupported { .. } => StatusWord::InsNotSupported,
            Self::WrongP1P2 { .. } => StatusWord::WrongP1P2,
            Self::Data(
                DecodeError::Truncated { .. }
                | DecodeError::TrailingBytes { .. }
                | DecodeError::Path(_),
            )
            | Self::Apdu(_) => StatusWord::WrongDataLength,
            Self::Data(_) => StatusWord::IncorrectData,
        }
    }
}

impl BtcCommand {
    /// The APDU (host side). Fails only if the data exceeds 255 bytes, which no well-formed
    /// command does (a policy name is at most 64 bytes).
    pub fn encode(&self) -> Result<ApduCommand, BtcCommandError> {
        let (cla, ins) = match self {
            Self::Continue(_) => (CLA_FRAMEWORK, INS_CONTINUE),
            Self::GetExtendedPubkey(_) => (CLA_BITCOIN, BtcIns::GetExtendedPubkey.byte()),
            Self::RegisterWallet(_) => (CLA_BITCOIN, BtcIns::RegisterWallet.byte()),
            Self::GetWalletAddress(_) => (CLA_BITCOIN, BtcIns::GetWalletAddress.byte()),
            Self::SignPsbt(_) => (CLA_BITCOIN, BtcIns::SignPsbt.byte()),
            Self::GetMasterFingerprint => (CLA_BITCOIN, BtcIns::GetMasterFingerprint.byte()),
            Self::SignMessage(_) => (CLA_BITCOIN, BtcIns::SignMessage.byte()),
        };
        let mut data = Vec::new();
        match self {
            Self::GetExtendedPubkey(c) => {
                data.push(u8::from(c.display));
                c.path.encode_into(&mut data);
            }
            Self::RegisterWallet(c) => {
                let serialized = c.policy.encode();
                crate::varint::encode_into(serialized.len() as u64, &mut data);
                data.extend_from_slice(&serialized);
            }
            Self::GetWalletAddress(c) => {
                data.push(u8::from(c.display));
                data.extend_from_slice(&c.wallet_id);
                data.extend_from_slice(&c.wallet_hmac);
                data.push(u8::from(c.change));
                data.extend_from_slice(&c.address_index.to_be_bytes());
            }
            Self::SignPsbt(c) => {
                c.global_map.encode_into(&mut data);
                crate::varint::encode_into(c.n_inputs, &mut data);
                data.extend_from_slice(&c.inputs_root);
                crate::varint::encode_into(c.n_outputs, &mut data);
                data.extend_from_slice(&c.outputs_root);
                data.extend_from_slice(&c.wallet_id);
                data.extend_from_slice(&c.wallet_hmac);
            }
            Self::GetMasterFingerprint => {}
            Self::SignMessage(c) => {
                c.path.encode_into(&mut data);
                crate::varint::encode_into(c.message_len, &mut data);
                data.extend_from_slice(&c.message_root);
            }
            Self::Continue(response) => data.extend_from_slice(response),
        }
        Ok(ApduCommand::new(cla, ins, 0, PROTOCOL_VERSION, data)?)
    }

    /// Parses an APDU (device side). Accepts P2 = 0 or 1 like the app.
    pub fn decode(apdu: &ApduCommand) -> Result<Self, BtcCommandError> {
        let (cla, ins, p1, p2) = (apdu.cla(), apdu.ins(), apdu.p1(), apdu.p2());
        if cla == CLA_FRAMEWORK {
            if ins != INS_CONTINUE {
                return Err(BtcCommandError::InsNotSupported { ins });
            }
            return Ok(Self::Continue(apdu.data().to_vec()));
        }
        if cla != CLA_BITCOIN {
            return Err(BtcCommandError::ClaNotSupported { cla });
        }
        let ins = BtcIns::from_byte(ins).ok_or(BtcCommandError::InsNotSupported { ins })?;
        if p1 != 0 || p2 > PROTOCOL_VERSION {
            return Err(BtcCommandError::WrongP1P2 { p1, p2 });
        }
        let mut r = Reader::new(apdu.data());
        let command = match ins {
            BtcIns::GetExtendedPubkey => Self::GetExtendedPubkey(GetExtendedPubkey {
                display: r.flag("display flag")?,
                path: Bip32Path::read(&mut r)?,
            }),
            BtcIns::RegisterWallet => {
                let len = r.varint("policy length")?;
                let bytes = r.take(
                    usize::try_from(len).unwrap_or(usize::MAX),
                    "policy serialization",
                )?;
                Self::RegisterWallet(RegisterWallet {
                    policy: WalletPolicyHeader::decode(bytes)?,
                })
            }
            BtcIns::GetWalletAddress => Self::GetWalletAddress(GetWalletAddress {
                display: r.flag("display flag")?,
                wallet_id: r.array("wallet id")?,
                wallet_hmac: r.array("wallet hmac")?,
                change: r.flag("change flag")?,
                address_index: r.u32_be("address index")?,
            }),
            BtcIns::SignPsbt => Self::SignPsbt(SignPsbt {
                global_map: MapCommitment::read(&mut r)?,
                n_inputs: r.varint("input count")?,
                inputs_root: r.array("inputs root")?,
                n_outputs: r.varint("output count")?,
                outputs_root: r.array("outputs root")?,
                wallet_id: r.array("wallet id")?,
                wallet_hmac: r.array("wallet hmac")?,
            }),
            BtcIns::GetMasterFingerprint => Self::GetMasterFingerprint,
            BtcIns::SignMessage => Self::SignMessage(SignMessage {
                path: Bip32Path::read(&mut r)?,
                message_len: r.varint("message length")?,
                message_root: r.array("message merkle root")?,
            }),
        };
        r.finish("command data")?;
        Ok(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_message_hello_world_vector() {
        let command = BtcCommand::SignMessage(SignMessage {
            path: "m/84'/0'/0'/0/0".parse().expect("valid path"),
            message_len: 11,
            message_root: crate::merkle::leaf_hash(b"Hello World"),
        });
        let apdu = command.encode().expect("fits");
        assert_eq!(
            hex::encode(apdu.encode()),
            "e1100001360580000054800000008000000000000000000000000bc22c4ddbc77672159cca89fb6f14ee88728cb52781b10cf476311cb6b0b70df9"
        );
        assert_eq!(BtcCommand::decode(&apdu), Ok(command));
    }

    #[test]
    fn refusals_map_to_app_status_words() {
        let decode = |hex_apdu: &str| {
            let apdu = ApduCommand::decode(&hex::decode(hex_apdu).expect("hex")).expect("frame");
            BtcCommand::decode(&apdu).map_err(|e| e.status_word())
        };
        assert_eq!(decode("e17f000100"), Err(StatusWord::InsNotSupported));
        assert_eq!(decode("e005000100"), Err(StatusWord::ClaNotSupported));
        assert_eq!(decode("e105000200"), Err(StatusWord::WrongP1P2));
        assert_eq!(decode("e105010100"), Err(StatusWord::WrongP1P2));
        assert_eq!(decode("e10500010100"), Err(StatusWord::WrongDataLength));
        assert_eq!(decode("e10000010100"), Err(StatusWord::WrongDataLength));
        assert_eq!(decode("e1000001020200"), Err(StatusWord::IncorrectData));
        // An 11-step path: the app answers 6A87.
        let eleven = format!("e10000012e000b{}", "00".repeat(44));
        assert_eq!(decode(&eleven), Err(StatusWord::WrongDataLength));
        assert_eq!(decode("e105000000"), Ok(BtcCommand::GetMasterFingerprint));
    }
}
