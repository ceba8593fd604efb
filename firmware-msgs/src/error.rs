//! The wire-level decoding error shared by every decoder in the crate.

use crate::path::PathError;

/// Why a byte string could not be decoded into a typed message.
///
/// `what` names the field being read, so a report says which part of a device answer was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the field was complete.
    #[error("{what}: truncated, {needed} more bytes needed")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// How many bytes were missing.
        needed: usize,
    },
    /// Bytes were left over after a complete message.
    #[error("{what}: {extra} unexpected trailing bytes")]
    TrailingBytes {
        /// The message being decoded.
        what: &'static str,
        /// How many bytes were left over.
        extra: usize,
    },
    /// A CompactSize integer was not in its shortest form (re-encoding would change the bytes).
    #[error("{what}: non-minimal compact-size integer")]
    NonMinimalVarInt {
        /// The field being read.
        what: &'static str,
    },
    /// A field had a value the protocol does not allow.
    #[error("{what}: unexpected value {value:#x}")]
    InvalidValue {
        /// The field being read.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// A text field was not printable ASCII.
    #[error("{what}: not printable ascii")]
    NotAscii {
        /// The field being read.
        what: &'static str,
    },
    /// A BIP-32 path inside the message was invalid.
    #[error("bip32 path")]
    Path(#[from] PathError),
}
