//! The Ledger Ethereum app (CLA `E0`): GET_ADDRESS, GET_APP_CONFIGURATION, SIGN_PERSONAL_MESSAGE
//! (EIP-191), SIGN_TRANSACTION (legacy, EIP-2930, EIP-1559) and EIP-712 signing, hashed and
//! full mode.
//!
//! The app takes no interruptions: long requests are cut into 255-byte APDUs, and only the last
//! one's answer carries the signature. [`PersonalMessageAssembler`] and
//! [`TransactionAssembler`] are the device side of that chunking.
//!
//! - `commands`: the APDUs, both directions;
//! - `eip712`: EIP-712 full mode's struct definitions, values and signing;
//! - `personal`, `transaction` (+ `rlp`): chunking and the device's reassembly;
//! - `replies`: what the app answers.

mod commands;
mod eip712;
mod personal;
mod replies;
mod rlp;
mod transaction;

use commands::chunked;
pub use commands::{
    get_address, get_app_configuration, sign_eip712_hashed, sign_transaction, Eip712Hashed,
    EthCommand, GetAddress,
};
pub use eip712::{
    eip712_field_value, sign_eip712_full, Eip712Base, Eip712Command, Eip712FieldDef,
    INS_EIP712_FILTERING, INS_EIP712_STRUCT_DEF, INS_EIP712_STRUCT_IMPL,
};
pub use personal::{sign_personal_message, PersonalMessageAssembler, PersonalMessageChunk};
pub use replies::{AddressReply, AppConfiguration, EthSignature};
pub use rlp::RlpError;
pub use transaction::{EthTransaction, TransactionAssembler, TransactionChunk, TxStep, TxType};

use crate::apdu::ApduError;
use crate::error::DecodeError;
use crate::status::StatusWord;

/// CLA of the Ethereum app.
pub const CLA_ETHEREUM: u8 = 0xe0;
/// INS of GET ETH PUBLIC ADDRESS.
pub const INS_GET_ADDRESS: u8 = 0x02;
/// INS of GET APP CONFIGURATION.
pub const INS_GET_APP_CONFIGURATION: u8 = 0x06;
/// INS of SIGN ETH PERSONAL MESSAGE.
pub const INS_SIGN_PERSONAL_MESSAGE: u8 = 0x08;
/// INS of SIGN ETH TRANSACTION.
pub const INS_SIGN_TRANSACTION: u8 = 0x04;
/// INS of SIGN ETH EIP-712 (P2 = 00: hashed mode, P2 = 01: full mode).
pub const INS_SIGN_EIP712: u8 = 0x0c;
/// P2 of EIP-712 signing in hashed ("legacy", v0) mode: path, domain hash, message hash.
pub const P2_EIP712_HASHED: u8 = 0x00;
/// P2 of EIP-712 signing in full mode (after the struct definitions and values).
pub const P2_EIP712_FULL: u8 = 0x01;
/// The app's "command not allowed" (`SWO_COMMAND_NOT_ALLOWED`, `6980`), e.g. a later
/// transaction chunk with no transaction started. Not the `6986` other apps use.
pub const SW_COMMAND_NOT_ALLOWED: StatusWord = StatusWord::Unknown(0x6980);
/// What the app answers for a typed transaction of a type it does not sign
/// (`SWO_MEMORY_WRITE_ERROR`, `6501`; Ledger's clients read it as "transaction type not
/// supported").
pub const SW_TX_TYPE_NOT_SUPPORTED: StatusWord = StatusWord::Unknown(0x6501);
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
    /// A later chunk, or a signing mode, while the app is not in the state it needs.
    #[error("command not allowed in the app's current state")]
    NotAllowed,
    /// A typed transaction (EIP-2718) of a type the app does not sign.
    #[error("transaction type {0:#04x} not supported")]
    TxTypeNotSupported(u8),
    /// The transaction's RLP is malformed.
    #[error("malformed transaction")]
    Rlp(#[from] RlpError),
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
            Self::Data(_)
            | Self::MessageTooLong { .. }
            | Self::ChunkOutOfSequence
            | Self::Rlp(_) => StatusWord::IncorrectData,
            Self::NotAllowed => SW_COMMAND_NOT_ALLOWED,
            Self::TxTypeNotSupported(_) => SW_TX_TYPE_NOT_SUPPORTED,
            Self::Apdu(_) => StatusWord::WrongDataLengthEth,
        }
    }
}
