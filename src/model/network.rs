//! The network an address belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::UnknownName;

/// The network of an address: Bitcoin's four; an Ethereum address is on `Mainnet`, the only
/// network porsign signs and verifies Ethereum entries for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Mainnet,
    Testnet,
    Signet,
    Regtest,
}

impl Network {
    pub const ALL: [Network; 4] = [
        Network::Mainnet,
        Network::Testnet,
        Network::Signet,
        Network::Regtest,
    ];

    /// The name files and the command line use.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Signet => "signet",
            Network::Regtest => "regtest",
        }
    }

    /// The matching `bitcoin` crate network, for address encoding (testnet is testnet3; testnet
    /// and signet share their encodings).
    pub fn to_bitcoin(self) -> bitcoin::Network {
        match self {
            Network::Mainnet => bitcoin::Network::Bitcoin,
            Network::Testnet => bitcoin::Network::Testnet,
            Network::Signet => bitcoin::Network::Signet,
            Network::Regtest => bitcoin::Network::Regtest,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnknownName::find("network", &Network::ALL, Network::as_str, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_have_one_spelling() {
        crate::model::assert_one_spelling(&Network::ALL);
        assert!("Mainnet".parse::<Network>().is_err());
        assert!("moonnet".parse::<Network>().is_err());
    }
}
