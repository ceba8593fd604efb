//! porsign: proof-of-reserves address ownership.
//!
//! Custody teams sign an audit challenge with the key of every reserve address and bundle the
//! signatures into one attestation file; auditors verify such bundles.

pub mod address_key;
pub mod app;
pub mod bundle;
pub mod challenge;
pub mod cli;
pub mod device;
pub mod emulator;
pub mod escape;
pub mod lines;
pub mod okx;
pub mod report;
pub mod scheme;
pub mod sign;
