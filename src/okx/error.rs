//! Errors of the OKX layer: [`OkxError`] when the file cannot be used at all (exit 2),
//! [`RowFailure`] when one row does not verify (exit 1).

use super::address::AddressError;
use crate::lines::FileError;
use crate::scheme::okx::OkxSchemeError;
use crate::scheme::SchemeError;

/// The file is not a usable OKX proof-of-reserves file. Variants from the file name the line
/// (1-based) and, where one column is at fault, the column (1-based).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OkxError {
    /// Opening, reading or writing a file failed.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("the file is empty")]
    Empty,
    #[error("line {line}, column {column}: {reason}")]
    Header {
        line: u64,
        column: usize,
        reason: String,
    },
    #[error("line {line}: {reason}")]
    Structure { line: u64, reason: String },
    #[error("line {line}, column {column} (`{name}`): {reason}")]
    Field {
        line: u64,
        column: usize,
        name: &'static str,
        reason: String,
    },
    #[error("{path} already exists; choose another output")]
    Exists { path: String },
}

/// Why one detail row failed. Messages are lowercase and name the column or the value at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowFailure {
    #[error("unknown coin {0:?}: not in porsign's table of okx coins (not skipped: an unverified row cannot pass)")]
    UnknownCoin(String),
    #[error("coin {coin} is not supported: {reason}")]
    UnsupportedCoin { coin: String, reason: &'static str },
    #[error("the row has {found} columns, the header has {expected}")]
    ColumnCount { found: usize, expected: usize },
    #[error("column `{0}` is empty")]
    Missing(&'static str),
    #[error("column `{column}` is filled but {reason}")]
    Unexpected {
        column: &'static str,
        reason: &'static str,
    },
    #[error("message {found:?} is not the expected message {expected:?}")]
    MessageMismatch { expected: String, found: String },
    #[error("signs message {found:?}, but the file's first row (line {first_line}) signs {first:?}: every row of a file must sign one message")]
    MixedMessages {
        first_line: u64,
        first: String,
        found: String,
    },
    #[error("repeats the coin and address of line {first_line}: each (coin, address) is listed and counted once")]
    Duplicate { first_line: u64 },
    #[error("column `amount`: {0:?} is not a non-negative decimal with at most 18 decimals")]
    Amount(String),
    #[error("column `{column}`: {source}")]
    Address {
        column: &'static str,
        source: AddressError,
    },
    #[error("column `{column}`: {source}")]
    Signature {
        column: &'static str,
        source: OkxSchemeError,
    },
    #[error("column `{column}` is not a public key: {reason}")]
    PubkeyEncoding {
        column: &'static str,
        reason: &'static str,
    },
    #[error("signature in `{column}` is from {found}, not {expected}")]
    KeyMismatch {
        column: &'static str,
        expected: String,
        found: String,
    },
    #[error(
        "owners eoa1 and eoa2 are the same address {0}: two signatures of one key are one owner"
    )]
    DuplicateOwner(String),
    #[error("redeem script: {0}")]
    ScriptMalformed(String),
    #[error("redeem script does not hash to address {address} (as {wrapping})")]
    ScriptMismatch {
        address: String,
        wrapping: &'static str,
    },
    #[error(
        "signature in `{column}` is from key {pubkey}, which is not a key of the redeem script"
    )]
    SignerNotInScript {
        column: &'static str,
        pubkey: String,
    },
    #[error("signature in `{column}` is from the same key as an earlier signature ({pubkey}): a key counts once")]
    DuplicateSigner {
        column: &'static str,
        pubkey: String,
    },
    #[error("only {distinct} distinct key(s) of the {required}-of-{keys} script signed")]
    Threshold {
        required: usize,
        keys: usize,
        distinct: usize,
    },
    #[error("{kind} address {address} needs a redeem script")]
    ScriptRequired { kind: &'static str, address: String },
    #[error("a {address_type} address cannot be proven by a message signature{hint}")]
    UnsupportedAddressType {
        address_type: &'static str,
        hint: &'static str,
    },
    #[error("signature verified but the key is not bound to address {address}: {reason}")]
    Unbound {
        address: String,
        reason: &'static str,
    },
}

/// Wraps a signature-decoding error with its column.
pub fn sig_err(column: &'static str) -> impl Fn(SchemeError) -> RowFailure {
    move |e| RowFailure::Signature {
        column,
        source: OkxSchemeError::Scheme(e),
    }
}

/// Wraps an address error with its column.
pub fn addr_err(column: &'static str) -> impl Fn(AddressError) -> RowFailure {
    move |source| RowFailure::Address { column, source }
}
