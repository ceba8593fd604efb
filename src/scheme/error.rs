//! Errors of the signature-scheme layer.

/// Why a signature, address or binding did not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemeError {
    /// Placeholder until the scheme layer lands.
    #[error("not implemented yet: {0}")]
    Unimplemented(&'static str),
}
