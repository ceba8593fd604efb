//! Which spellings of an address are the same address: signing compares the address a device
//! derives with the listed one, and the verifier finds an address listed twice, by this one rule.

use super::Chain;

/// The spelling of an address under which duplicates are found: bech32 and Ethereum hex are
/// case-insensitive and written lowercase canonically; base58 is case-sensitive and kept
/// (the rule is `address_key`'s, shared with the OKX verifier).
pub fn canonical_address(chain: Chain, address: &str) -> String {
    use crate::address_key::{canonical, case_of, Case};
    let case = match chain {
        Chain::Bitcoin => case_of(address),
        Chain::Ethereum => Case::Insensitive,
    };
    canonical(address, case).into_owned()
}

/// Duplicate detection keys on a hash of the canonical address, so that memory stays small for
/// millions of entries and two spellings of one address (bech32 case, EIP-55 case) still collide.
pub fn duplicate_key(chain: Chain, address: &str) -> crate::address_key::AddressKey {
    crate::address_key::key(chain.as_str(), canonical_address(chain, address).as_bytes())
}
