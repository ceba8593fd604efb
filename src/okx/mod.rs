//! OKX proof-of-reserves files: the published monthly CSV (summary block, blank line, 7-, 9-,
//! 11- or 12-column detail rows) and the auditor bulk layout (`digitalAsset,network,...`).
//!
//! [`verify_stream`] verifies a file in parallel with bounded memory; [`import`] converts the
//! rows the bundle v1 schemes can carry; `bench` (feature `emulator`, for `porsign bench`)
//! generates a realistic file and measures the verifier against the cost of its secp256k1
//! operations.
//!
//! Stricter than OKX's `VerifyAddress` (research notes okx-formats.md §3.1): distinct keys and
//! the threshold for multisig; undecodable addresses fail; every signature's key is bound to
//! an address listed in the row or the row fails; unknown coins fail instead of being skipped;
//! every row signs one message (the expected one, or the first row's); a repeated (coin,
//! address) fails and is counted once; rows proven only through owner accounts and rows a
//! status column leaves out fail the file unless the caller accepts them; the summary block is
//! checked against the rows.

pub(crate) mod accounts;
pub mod address;
pub(crate) mod amount;
// Benchmark data signed with seeded software keys: for the CLI only, and only in builds that
// carry software signers.
#[cfg(feature = "emulator")]
pub(crate) mod bench;
pub(crate) mod coins;
pub mod csv;
pub(crate) mod driver;
pub(crate) mod ed25519;
pub(crate) mod eos;
pub(crate) mod error;
pub(crate) mod identity;
pub mod import;
pub mod outcome;
pub(crate) mod report;
pub mod summary;
pub(crate) mod utxo;
pub(crate) mod verify;

pub use driver::{verify_stream, Verification, VerifyOptions};
pub use error::{OkxError, RowFailure};
pub use report::{FailureRecord, MessageConflict, Report, RowEvent, RowNote, RowSeen};
pub use verify::{MessageRule, Proof, RowInput, Verifier};

use std::io::Read;
use std::path::Path;

use crate::lines::FileError;

/// The kinds of file `porsign verify` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// porsign bundle, versions 1 and 2 (JSON Lines).
    Bundle,
    /// An OKX CSV (any layout).
    Okx,
}

/// Tells a bundle from an OKX file by its first bytes: a bundle starts with `{`, an OKX file
/// with `coin,` (summary block or detail header) or `digitalAsset,`. None for anything else.
pub fn sniff(head: &[u8]) -> Option<FileFormat> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = head.get(start..)?;
    if head.starts_with(b"{") {
        return Some(FileFormat::Bundle);
    }
    let lower: Vec<u8> = head.iter().take(16).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"coin,") || lower.starts_with(b"digitalasset,") {
        return Some(FileFormat::Okx);
    }
    None
}

/// Reads the first bytes of a file and sniffs its format.
pub fn detect_file(path: &Path) -> Result<Option<FileFormat>, OkxError> {
    let mut f = crate::lines::open_for_reading(path)?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        let got = f
            .read(head.get_mut(n..).unwrap_or_default())
            .map_err(|source| FileError::Read { line: 1, source })?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(sniff(head.get(..n).unwrap_or_default()))
}

/// Opens an OKX file for [`verify_stream`], with a large read buffer.
pub fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, OkxError> {
    let f = crate::lines::open_for_reading(path)?;
    Ok(std::io::BufReader::with_capacity(1 << 20, f))
}
