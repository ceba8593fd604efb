//! Signature schemes as pure functions: (message, address, signature, binding) -> verdict.
//!
//! Nothing here does I/O. Every function takes untrusted input (a signature string from a file,
//! an address from a CSV) and answers with a typed [`SchemeError`] rather than panicking.

pub mod address;
pub mod bip137;
pub mod bip322;
pub mod eip191;
pub mod error;
pub mod multisig;
pub mod okx;
pub mod script;
pub mod signed_message;

pub use address::{parse_btc_address, EthAddress, SingleKeyType};
pub use bip137::Bip137Match;
pub use bip322::{Bip322Proof, Bip322Variant};
pub use error::SchemeError;
pub use multisig::{MultisigMatch, MultisigWrapping};
