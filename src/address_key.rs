//! Which spellings of an address are the same address, and a 128-bit key per (namespace,
//! address) for duplicate detection. Shared by the bundle verifier (namespace: the chain) and
//! the OKX verifier (namespace: the coin), so that both find duplicates by one rule.
//!
//! Letter case is part of an address in base58 (Bitcoin legacy, TRON, Solana, XRP...), base64
//! (TON) and base32 strkeys (Stellar): those are compared as written. bech32/bech32m (segwit,
//! cosmos, cardano...) and hex (`0x...`) ignore case, and are compared in lowercase. Encodings
//! with several spellings of one account (TON's raw and user-friendly forms, Aptos's short
//! form, CashAddr and legacy) are decoded by the caller, which then keys on the bytes.

use std::borrow::Cow;

use bitcoin::bech32::primitives::decode::CheckedHrpstring;
use bitcoin::bech32::{Bech32, Bech32m};
use sha2::{Digest, Sha256};

/// A duplicate-detection key: 128 bits of SHA-256 over the namespace and the canonical address.
/// 128 bits keep accidental collisions out of reach for any file size while keeping memory per
/// address small (millions of rows).
pub type AddressKey = [u8; 16];

/// Whether letter case is part of an address's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// bech32/bech32m and hex: written lowercase canonically.
    Insensitive,
    /// Anything else (base58, base64, base32 strkeys, account names): kept as written.
    Sensitive,
}

/// The case rule of `address` as written: `0x` followed by hex digits, or a string that is
/// bech32 or bech32m with a valid checksum once lowercased, is case-insensitive; anything else
/// is taken as case-sensitive. A base58 string cannot pass for bech32 by accident: it would
/// need a valid 30-bit checksum.
pub fn case_of(address: &str) -> Case {
    if is_hex(address) || is_bech32(address) {
        Case::Insensitive
    } else {
        Case::Sensitive
    }
}

fn is_hex(address: &str) -> bool {
    let body = address
        .strip_prefix("0x")
        .or_else(|| address.strip_prefix("0X"));
    body.is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn is_bech32(address: &str) -> bool {
    // bech32 forbids mixed case; either all-lowercase or all-uppercase spelling is the address.
    let has_lower = address.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = address.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return false;
    }
    let lower = address.to_ascii_lowercase();
    CheckedHrpstring::new::<Bech32>(&lower).is_ok()
        || CheckedHrpstring::new::<Bech32m>(&lower).is_ok()
}

/// The canonical spelling of `address` under `case`.
pub fn canonical(address: &str, case: Case) -> Cow<'_, str> {
    match case {
        Case::Insensitive if address.bytes().any(|b| b.is_ascii_uppercase()) => {
            Cow::Owned(address.to_ascii_lowercase())
        }
        _ => Cow::Borrowed(address),
    }
}

/// The canonical spelling of `address` under the case rule of its own encoding
/// ([`case_of`]).
pub fn canonical_text(address: &str) -> Cow<'_, str> {
    canonical(address, case_of(address))
}

/// The key of an address identity (canonical text, or decoded bytes) within a namespace (a
/// chain, a coin). Equal inputs give equal keys; different namespaces never share a key.
pub fn key(namespace: &str, identity: &[u8]) -> AddressKey {
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update([0]);
    h.update(identity);
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_rules_by_encoding() {
        // Segwit bech32 and bech32m, either case.
        let p2wsh = "bc1qxmaqqg9az39uj8pxf6qckqhu2awquhlg24zg4897mv6wnj8aw97svxgu3r";
        assert_eq!(case_of(p2wsh), Case::Insensitive);
        assert_eq!(case_of(&p2wsh.to_ascii_uppercase()), Case::Insensitive);
        assert_eq!(
            canonical_text(&p2wsh.to_ascii_uppercase()),
            Cow::<str>::Borrowed(p2wsh)
        );
        // Mixed case is not bech32 at all: kept as written (and it fails to decode anyway).
        let mixed = format!("BC1Q{}", p2wsh.get(4..).unwrap_or_default());
        assert_eq!(case_of(&mixed), Case::Sensitive);
        // Hex.
        assert_eq!(
            canonical_text("0xE7d5f0677dbc8f27fe57bc8289c0450abd198533"),
            "0xe7d5f0677dbc8f27fe57bc8289c0450abd198533"
        );
        // base58 (TRON, Bitcoin legacy): case is part of the address.
        for b58 in [
            "TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR",
            "3QVtn5nHRxBXX7C7sKw2qdkoGqMMwFUgwF",
        ] {
            assert_eq!(case_of(b58), Case::Sensitive);
            assert_eq!(canonical_text(b58), b58);
        }
    }

    #[test]
    fn keys_separate_namespaces_and_identities() {
        assert_eq!(key("BTC", b"a"), key("BTC", b"a"));
        assert_ne!(key("BTC", b"a"), key("ETH", b"a"));
        assert_ne!(key("BTC", b"a"), key("BTC", b"b"));
        // The separator keeps ("AB", "C") and ("A", "BC") apart.
        assert_ne!(key("AB", b"C"), key("A", b"BC"));
    }
}
