//! The single integration-test binary (one `mod` per area, as ripgrep does).

#[allow(dead_code)]
mod util;

/// Known-answer tests for the signature schemes (BIP-137, BIP-322, EIP-191, multisig).
mod scheme;
