//! The words signing and verifying share: the chain and network an address is on, which
//! spellings of an address are the same address, and how an amount is written.
//!
//! Why a module of its own: `sign` writes what `bundle::verify` reads, and both must judge a
//! listed address, network and amount by the same rules, or a list that signs would not verify.
//! Neither may own the rules: the signer must not reach into the verifier (nor the verifier into
//! the signer), so the rules stand below both. `scheme` is not their home either: it holds the
//! signature schemes, cryptographic verdicts, while these are names and spellings. Nothing here
//! does I/O or cryptography; the types parse from and print as the names files use (`FromStr`,
//! `Display` and serde agree).

mod address;
mod amount;
mod network;

pub use address::{canonical_address, duplicate_key};
pub use amount::{check_amount, AmountError};
pub use network::Network;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that is not one of a type's names: a chain, network or scheme this build does not
/// know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {text:?}")]
pub struct UnknownName {
    /// What was named: "chain", "network", "scheme".
    pub kind: &'static str,
    pub text: String,
}

/// The chain an address lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    Bitcoin,
    Ethereum,
}

impl Chain {
    pub const ALL: [Chain; 2] = [Chain::Bitcoin, Chain::Ethereum];

    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Bitcoin => "bitcoin",
            Chain::Ethereum => "ethereum",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Chain {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chain::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "chain",
                text: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_agree_with_serde() {
        for chain in Chain::ALL {
            let json = serde_json::to_string(&chain).unwrap();
            assert_eq!(json, format!("\"{chain}\""));
            assert_eq!(chain.to_string().parse::<Chain>(), Ok(chain));
        }
        assert!("Bitcoin".parse::<Chain>().is_err());
    }
}
