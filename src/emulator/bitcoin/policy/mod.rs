//! Wallet policies on the device side: the descriptor templates the emulator understands, the
//! key information strings, and the scripts they derive, fetching each key from the host in
//! the same order as the app (the order shows in the transcripts, byte for byte).
//!
//! Supported templates: the single-key ones (`pkh`, `wpkh`, `sh(wpkh)`, `tr`), `multi` and
//! `sortedmulti` under `sh`, `wsh` or `sh(wsh)`, miniscript under `wsh`, and `tr(KEY,TREE)`
//! with any script tree of tapminiscript and `sortedmulti_a` leaves. MuSig2 key expressions
//! are answered with 6A82 (not supported).
//!
//! - [`template`]: parsing a template, and what follows from it alone (key expressions, script
//!   type, standard purpose);
//! - [`miniscript_template`]: miniscript with key expressions as keys (parse, sanity, encode);
//! - [`tap_tree`]: taproot script trees and their leaves;
//! - [`keys`]: key information strings and fetching them from the host;
//! - [`scripts`]: the scripts and addresses a policy derives.

mod keys;
mod miniscript_template;
mod scripts;
mod tap_tree;
mod template;

pub(crate) use self::keys::{xpub_at, KeyList, ParsedKey};
pub(crate) use self::scripts::address;
pub(crate) use self::template::{KeyExpr, Template, TemplateError};

/// Longest key information string the app reads (`MAX_POLICY_KEY_INFO_LEN`).
pub(crate) const MAX_KEY_INFO_LEN: usize = 46 + 112 + 3;
/// Longest descriptor template (`MAX_DESCRIPTOR_TEMPLATE_LENGTH`).
pub(crate) const MAX_TEMPLATE_LEN: usize = 512;
/// Longest policy serialization (`MAX_WALLET_POLICY_SERIALIZED_LENGTH`).
pub(crate) const MAX_SERIALIZED_POLICY_LEN: usize = 1 + 1 + 64 + 9 + 32 + 9 + 32;
/// Most keys in a registered policy.
pub(crate) const MAX_KEYS: u64 = 15;
