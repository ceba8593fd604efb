//! The Ledger Ethereum app (CLA `E0`): GET_ADDRESS, SIGN_PERSONAL_MESSAGE (EIP-191) and
//! GET_APP_CONFIGURATION.
//!
//! The app takes no interruptions: a long message is cut into 255-byte APDUs, and only the last
//! one's answer carries the signature. [`PersonalMessageAssembler`] is the device side of that
//! chunking.

use crate::apdu::{ApduCommand, ApduError, MAX_DATA_LEN};
use crate::error::DecodeError;
use crate::path::Bip32Path;
use crate::reader::{ascii, Reader};
use crate::status::StatusWord;

/// CLA of the Ethereum app.
pub const CLA_ETHEREUM: u8 = 0xe0;
/// INS of GET ETH PUBLIC ADDRESS.
pub const INS_GET_ADDRESS: u8 = 0x02;
/// INS of GET APP CONFIGURATION.
pub const INS_GET_APP_CONFIGURATION: u8 = 0x06;
/// INS of SIGN ETH PERSONAL MESSAGE.
pub const INS_SIGN_PERSONAL_MESSAGE: u8 = 0x08;
/// P1 of the first personal-message chunk.
pub const P1_FIRST_CHUNK: u8 = 0x00;
/// P1 of every later chunk.
pub const P1_MORE_CHUNK: u8 = 0x80;
/// The longest message the app signs: it keeps the length in 16 bits and refuses more than this
/// at the end of the transfer (`6A80`).
pub const MAX_PERSONAL_MESSAGE_LEN: usize = 32_766;

/// Errors of the Ethereum layer.
///
/// The first three (class, instruction, P1/P2) read like those of
/// [`BtcCommandError`](crate::btc::BtcCommandError), but each app answers them with its own
/// status words (a wrong P1/P2 is `6B00` here, `6A86` in the Bitcoin app), so each layer keeps
/// its own enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EthError {
    /// Not CLA `E0`.
    #[error("class {cla:#04x} not supported")]
    ClaNotSupported {
        /// The CLA received.
        cla: u8,
    },
    /// An INS this crate does not model.
    #[error("instruction {ins:#04x} not supported")]
    InsNotSupported {
        /// The INS received.
        ins: u8,
    },
    /// P1/P2 not allowed for the instruction.
    #[error("wrong p1/p2 {p1:#04x}/{p2:#04x}")]
    WrongP1P2 {
        /// P1 received.
        p1: u8,
        /// P2 received.
        p2: u8,
    },
    /// Malformed data.
    #[error("malformed data")]
    Data(#[from] DecodeError),
    /// The message does not fit the u32 length field.
    #[error("message of {len} bytes is too long")]
    MessageTooLong {
        /// The message length.
        len: usize,
    },
    /// A chunk arrived out of order or overflows the declared length.
    #[error("personal message chunk out of sequence")]
    ChunkOutOfSequence,
    /// Building an APDU failed.
    #[error("apdu")]
    Apdu(#[from] ApduError),
}

impl EthError {
    /// The status word the Ethereum app answers for this error.
    pub fn status_word(&self) -> StatusWord {
        match self {
            Self::ClaNotSupported { .. } => StatusWord::ClaNotSupported,
            Self::InsNotSupported { .. } => StatusWord::InsNotSupported,
            Self::WrongP1P2 { .. } => StatusWord::WrongParameters,
            Self::Data(_) | Self::MessageTooLong { .. } | Self::ChunkOutOfSequence => {
                StatusWord::IncorrectData
            }
            Self::Apdu(_) => StatusWord::WrongDataLengthEth,
        }
    }
}

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

/// One SIGN ETH PERSONAL MESSAGE APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalMessageChunk {
    /// P1 = 00: `path ‖ u32 BE message_len ‖ first message bytes`.
    First {
        /// The signing key.
        path: Bip32Path,
        /// The whole message's length.
        message_len: u32,
        /// The message bytes in this APDU.
        data: Vec<u8>,
    },
    /// P1 = 80: more message bytes.
    More {
        /// The message bytes in this APDU.
        data: Vec<u8>,
    },
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
        };
        Ok(ApduCommand::new(CLA_ETHEREUM, ins, p1, p2, data)?)
    }

    /// Parses an APDU (device side).
    pub fn decode(apdu: &ApduCommand) -> Result<Self, EthError> {
        let (cla, ins, p1, p2) = (apdu.cla(), apdu.ins(), apdu.p1(), apdu.p2());
        if cla != CLA_ETHEREUM {
            return Err(EthError::ClaNotSupported { cla });
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
            (INS_GET_APP_CONFIGURATION, 0, 0) => Self::GetAppConfiguration,
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
            (INS_GET_ADDRESS | INS_GET_APP_CONFIGURATION | INS_SIGN_PERSONAL_MESSAGE, _, _) => {
                return Err(EthError::WrongP1P2 { p1, p2 })
            }
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

/// The APDUs that sign `message` (host side), as Ledger's client cuts them: `path ‖ u32 BE
/// len ‖ message` in 255-byte pieces, P1 = 00 for the first and 80 for the rest. Send them in
/// order; every answer but the last is an empty `9000`.
pub fn sign_personal_message(
    path: &Bip32Path,
    message: &[u8],
) -> Result<Vec<ApduCommand>, EthError> {
    let message_len = u32::try_from(message.len())
        .map_err(|_| EthError::MessageTooLong { len: message.len() })?;
    let mut payload = path.encode();
    payload.extend_from_slice(&message_len.to_be_bytes());
    payload.extend_from_slice(message);
    payload
        .chunks(MAX_DATA_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            let p1 = if i == 0 {
                P1_FIRST_CHUNK
            } else {
                P1_MORE_CHUNK
            };
            Ok(ApduCommand::new(
                CLA_ETHEREUM,
                INS_SIGN_PERSONAL_MESSAGE,
                p1,
                0,
                chunk.to_vec(),
            )?)
        })
        .collect()
}

/// Device side: collects personal-message chunks until the declared length is reached.
#[derive(Debug, Clone, Default)]
pub struct PersonalMessageAssembler {
    pending: Option<(Bip32Path, usize, Vec<u8>)>,
}

impl PersonalMessageAssembler {
    /// An idle assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a chunk. Returns the path and the whole message once complete (answer it with the
    /// signature), `None` while more is expected (answer `9000`). A first chunk restarts.
    pub fn push(
        &mut self,
        chunk: PersonalMessageChunk,
    ) -> Result<Option<(Bip32Path, Vec<u8>)>, EthError> {
        match chunk {
            PersonalMessageChunk::First {
                path,
                message_len,
                data,
            } => {
                let len = usize::try_from(message_len)
                    .map_err(|_| EthError::MessageTooLong { len: usize::MAX })?;
                self.pending = Some((path, len, Vec::new()));
                self.append(data)
            }
            PersonalMessageChunk::More { data } => {
                if self.pending.is_none() {
                    return Err(EthError::ChunkOutOfSequence);
                }
                self.append(data)
            }
        }
    }

    fn append(&mut self, data: Vec<u8>) -> Result<Option<(Bip32Path, Vec<u8>)>, EthError> {
        let Some((_, len, buf)) = self.pending.as_mut() else {
            return Err(EthError::ChunkOutOfSequence);
        };
        if buf.len() + data.len() > *len {
            self.pending = None;
            return Err(EthError::ChunkOutOfSequence);
        }
        buf.extend_from_slice(&data);
        if buf.len() < *len {
            return Ok(None);
        }
        Ok(self
            .pending
            .take()
            .map(|(path, _, message)| (path, message)))
    }
}

/// GET_ADDRESS reply: `u8 65 ‖ 04‖X‖Y ‖ u8 40 ‖ hex address ‖ [32 chain code]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressReply {
    /// The uncompressed public key (65 bytes, `04 ‖ X ‖ Y`).
    pub public_key: Vec<u8>,
    /// The address as 40 hex characters, no `0x`, in the app's EIP-55 mixed case.
    pub address: String,
    /// The chain code, when requested.
    pub chain_code: Option<[u8; 32]>,
}

impl AddressReply {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for field in [self.public_key.as_slice(), self.address.as_bytes()] {
            let field = field.get(..255).unwrap_or(field);
            out.push(u8::try_from(field.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(field);
        }
        if let Some(chain_code) = &self.chain_code {
            out.extend_from_slice(chain_code);
        }
        out
    }

    /// Parses reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let key_len = r.u8("public key length")?;
        if key_len != 65 {
            return Err(DecodeError::InvalidValue {
                what: "public key length",
                value: u64::from(key_len),
            });
        }
        let public_key = r.take(65, "public key")?.to_vec();
        let address_len = r.u8("address length")?;
        if address_len != 40 {
            return Err(DecodeError::InvalidValue {
                what: "address length",
                value: u64::from(address_len),
            });
        }
        let address_bytes = r.take(40, "address")?;
        if !address_bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(DecodeError::NotAscii {
                what: "address (hex)",
            });
        }
        let address = ascii(address_bytes, "address")?;
        let chain_code = if r.is_empty() {
            None
        } else {
            Some(r.array("chain code")?)
        };
        r.finish("get_address reply")?;
        Ok(Self {
            public_key,
            address,
            chain_code,
        })
    }
}

/// SIGN_PERSONAL_MESSAGE reply: `v ‖ r ‖ s` (v first, 27 or 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthSignature {
    /// `27 + recovery id`.
    pub v: u8,
    /// `r`, big-endian.
    pub r: [u8; 32],
    /// `s`, big-endian.
    pub s: [u8; 32],
}

impl EthSignature {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        [&[self.v][..], &self.r, &self.s].concat()
    }

    /// The usual `r ‖ s ‖ v` order of ethers/web3 signatures.
    pub fn to_rsv(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        for (dst, src) in out
            .iter_mut()
            .zip(self.r.iter().chain(&self.s).chain([&self.v]))
        {
            *dst = *src;
        }
        out
    }

    /// Parses reply data (exactly 65 bytes).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let sig = Self {
            v: r.u8("signature v")?,
            r: r.array("signature r")?,
            s: r.array("signature s")?,
        };
        r.finish("personal message signature")?;
        Ok(sig)
    }
}

/// GET_APP_CONFIGURATION reply: `flags ‖ major ‖ minor ‖ patch`, plus anything a newer app
/// appends (kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfiguration {
    /// `01` blind signing enabled, `02` ERC-20 info external, `10`/`20` transaction checks.
    pub flags: u8,
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
    /// Bytes after the four defined ones.
    pub extra: Vec<u8>,
}

impl AppConfiguration {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.flags, self.major, self.minor, self.patch];
        out.extend_from_slice(&self.extra);
        out
    }

    /// Parses reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        Ok(Self {
            flags: r.u8("app flags")?,
            major: r.u8("app major version")?,
            minor: r.u8("app minor version")?,
            patch: r.u8("app patch version")?,
            extra: r.rest().to_vec(),
        })
    }

    /// `major.minor.patch`.
    pub fn version(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }
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

    #[test]
    fn assembler_enforces_sequence() {
        let mut assembler = PersonalMessageAssembler::new();
        assert_eq!(
            assembler.push(PersonalMessageChunk::More { data: vec![1] }),
            Err(EthError::ChunkOutOfSequence)
        );
        let first = PersonalMessageChunk::First {
            path: Bip32Path::master(),
            message_len: 2,
            data: vec![1],
        };
        assert_eq!(assembler.push(first), Ok(None));
        assert_eq!(
            assembler.push(PersonalMessageChunk::More { data: vec![2, 3] }),
            Err(EthError::ChunkOutOfSequence)
        );
        let empty = PersonalMessageChunk::First {
            path: Bip32Path::master(),
            message_len: 0,
            data: vec![],
        };
        assert_eq!(
            assembler.push(empty),
            Ok(Some((Bip32Path::master(), vec![])))
        );
    }
}
