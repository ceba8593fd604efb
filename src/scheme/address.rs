//! Address parsing with network checks, for Bitcoin and Ethereum.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::SchemeError;

/// The Bitcoin network an address must belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BitcoinNetwork {
    Mainnet,
    Testnet,
    Signet,
    Regtest,
}

/// The single-key address encodings a recovered public key can be checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SingleKeyType {
    P2pkhCompressed,
    P2pkhUncompressed,
    P2shP2wpkh,
    P2wpkh,
    P2tr,
}

/// A 20-byte Ethereum address. Parsing rejects a mixed-case string whose EIP-55 checksum is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EthAddress(pub [u8; 20]);

impl FromStr for EthAddress {
    type Err = SchemeError;
    fn from_str(_s: &str) -> Result<Self, Self::Err> {
        Err(SchemeError::Unimplemented("EthAddress::from_str"))
    }
}

/// Parses a Bitcoin address and requires it to belong to `network` (bad checksum, unknown
/// encoding and wrong network are all errors).
pub fn parse_btc_address(
    _s: &str,
    _network: BitcoinNetwork,
) -> Result<bitcoin::Address, SchemeError> {
    Err(SchemeError::Unimplemented("parse_btc_address"))
}
