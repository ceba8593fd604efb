//! Sans-io APDU commands and replies for the Ledger Bitcoin app (protocol v2, CLA `E1`) and the
//! Ethereum app (CLA `E0`), plus the OS-level `B0 01` query.
//!
//! This crate knows every byte that porsign and a Ledger device exchange, and performs no I/O:
//! callers own the transport (HID, Speculos TCP, a replay file or the built-in emulator). It is
//! used from both ends of the wire:
//!
//! - the **host** builds requests ([`btc::exchange`], [`eth`]) and feeds each device answer to a
//!   state machine that returns the next APDU to send, answering the Bitcoin app's client-command
//!   interruptions ([`btc::client_command::HostInterpreter`]);
//! - the **device** side (porsign's emulator) decodes incoming APDUs into typed commands
//!   ([`btc::BtcCommand::decode`], [`eth::EthCommand::decode`]), encodes replies, and drives the
//!   client-command protocol through [`btc::client_command::device`].
//!
//! Every decoder takes untrusted bytes: lengths are checked, errors are typed, nothing panics.
//! The wire format of each command is specified in this crate's `README.md`.

pub mod apdu;
pub mod bolos;
pub mod btc;
pub mod error;
pub mod eth;
pub mod merkle;
pub mod path;
pub mod status;
pub mod varint;

mod reader;

pub use apdu::{ApduCommand, ApduError, ApduResponse};
pub use error::DecodeError;
pub use path::{Bip32Path, PathError};
pub use status::StatusWord;
