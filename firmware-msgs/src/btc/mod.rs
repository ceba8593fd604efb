//! The Ledger Bitcoin app, protocol v2 (app 2.1.0 and later; CLA `E1`, P2 = 1).
//!
//! - [`commands`]: the typed APDUs, encoded by the host and decoded by the device;
//! - [`replies`]: what each command answers with `9000`;
//! - [`client_command`]: the `E000` interruptions, the host's [`HostInterpreter`] and the
//!   device-side fetchers that drive them ([`client_command::device`], for the emulator);
//! - [`wallet_policy`] and [`psbt`]: the data the device fetches through interruptions;
//! - [`exchange`]: one state machine per host operation, from first APDU to typed result.

pub mod client_command;
pub mod commands;
pub mod exchange;
pub mod psbt;
pub mod replies;
pub mod wallet_policy;

pub use client_command::{ClientCommand, ClientCommandCode, ClientResponse, HostInterpreter};
pub use commands::{BtcCommand, BtcCommandError};
pub use exchange::{Exchange, ExchangeError, RequestError, Step};
pub use psbt::{MapCommitment, MerkleizedMap, PsbtMaps};
pub use replies::{
    ExtendedPubkey, MasterFingerprint, MessageSignature, RegisteredWallet, SignPsbtReply,
    WalletAddress, YieldedItem,
};
pub use wallet_policy::{KeyInfo, SingleKeyPolicy, WalletPolicy, WalletPolicyHeader};

/// CLA of the Bitcoin app's commands.
pub const CLA_BITCOIN: u8 = 0xe1;
/// CLA of the framework's CONTINUE command.
pub const CLA_FRAMEWORK: u8 = 0xf8;
/// INS of CONTINUE (answer to an interruption).
pub const INS_CONTINUE: u8 = 0x01;
/// The protocol version sent in P2. The app also accepts 0 and answers `6A86` above 1.
pub const PROTOCOL_VERSION: u8 = 1;
