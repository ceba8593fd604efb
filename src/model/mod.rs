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
mod path;

pub use address::{canonical_address, duplicate_key};
pub use amount::{check_amount, AmountError};
pub use network::Network;
pub use path::check_path_text;

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

impl UnknownName {
    /// The one of `all` whose name (`name_of`) is `text`: how each closed set of names (chains,
    /// networks, schemes) parses.
    pub fn find<T: Copy>(
        kind: &'static str,
        all: &[T],
        name_of: fn(T) -> &'static str,
        text: &str,
    ) -> Result<T, UnknownName> {
        all.iter()
            .copied()
            .find(|value| name_of(*value) == text)
            .ok_or_else(|| UnknownName {
                kind,
                text: text.to_owned(),
            })
    }
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
        UnknownName::find("chain", &Chain::ALL, Chain::as_str, s)
    }
}

/// Checks that a closed set of names reads and writes one spelling: serde's, `Display`'s and
/// `FromStr`'s agree for every value.
#[cfg(test)]
pub(crate) fn assert_one_spelling<T>(all: &[T])
where
    T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr + Serialize,
    T: for<'de> Deserialize<'de>,
    T::Err: fmt::Debug,
{
    for value in all {
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(json, format!("\"{value}\""));
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value, "{json}");
        assert_eq!(value.to_string().parse::<T>().unwrap(), *value, "{value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_have_one_spelling() {
        assert_one_spelling(&Chain::ALL);
        assert!("Bitcoin".parse::<Chain>().is_err());
    }
}
