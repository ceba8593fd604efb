//! The single integration-test binary (one `mod` per area, as ripgrep does).

#[allow(dead_code)]
mod util;

/// Bundle v1: known-answer bundle, rejections, tampering sweep, schema, writer.
mod bundle;
/// The `porsign` binary: exit codes, stdout/stderr, `--json`.
mod cli;
/// Device code on recorded transcripts (replay transport).
mod device;
/// The built-in emulator: keys, signatures, APDU answers.
#[cfg(feature = "emulator")]
mod emulator;
/// The module layers: each module of `src/` uses only the ones below it.
mod layers;
/// OKX proof-of-reserves files: real samples, layouts, tampering, verify/import/bench CLI.
mod okx;
/// `porsign report`: the auditor's HTML page, in headless Chromium too.
mod report;
/// Known-answer tests for the signature schemes (BIP-137, BIP-322, EIP-191, multisig).
pub(crate) mod scheme;
/// `porsign sign` on the built-in emulator.
#[cfg(feature = "emulator")]
mod sign;
/// The source tree: file sizes, one copy of each shared encoding.
mod source;
