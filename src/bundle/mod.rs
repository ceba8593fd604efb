//! The attestation bundle: format v1 (see `schema/` and the README), a crash-safe append-only
//! writer that signing resumes from, and the streaming verifier.

pub mod merge;
pub mod model;
pub mod reader;
pub mod seal;
pub mod verify;
pub mod writer;

pub use model::{
    Entry, Footer, Header, Line, Named, Scheme, Seal, BUNDLE_FORMAT, BUNDLE_VERSION,
    SUPPORTED_VERSIONS,
};
pub use verify::{verify_bundle, EntryFailure, Failure, Report, VerifyOptions};
pub use writer::{BundleWriter, ResumeState};

use crate::lines::FileError;

/// Why a bundle file could not be read at all (as opposed to an entry that does not verify).
/// Every variant that comes from the file names the line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Opening, reading or writing the file failed.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("line {line}: not valid JSON: {reason}")]
    Json { line: u64, reason: String },
    #[error("line {line}: field `{field}`: {reason}")]
    Field {
        line: u64,
        field: String,
        reason: String,
    },
    #[error("line {line}: {reason}")]
    Structure { line: u64, reason: String },
    #[error("the file is empty: a bundle starts with a header line")]
    Empty,
    #[error(
        "line 1: field `format`: {found:?} is not a porsign bundle (expected {BUNDLE_FORMAT:?})"
    )]
    Format { found: String },
    #[error("line 1: field `version`: bundle version {found} is not supported (this porsign reads versions 1 and 2)")]
    Version { found: u32 },
    #[error("{path} already exists; resume it with the same command or choose another output")]
    Exists { path: String },
    #[error("{path} is already finished (it has a footer line); nothing more can be appended")]
    Finished { path: String },
    #[error("cannot resume {path}: {reason}")]
    Resume { path: String, reason: String },
}

/// Running SHA-256 over the header and entry lines, as the footer's `sha256` defines it.
#[derive(Clone, Default)]
pub struct BundleDigest(sha2::Sha256);

impl BundleDigest {
    pub fn update(&mut self, line: &str) {
        use sha2::Digest;
        self.0.update(line.as_bytes());
        self.0.update(b"\n");
    }

    pub fn hex(&self) -> String {
        use sha2::Digest;
        hex::encode(self.0.clone().finalize())
    }
}
