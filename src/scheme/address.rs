//! Address parsing with network checks, for Bitcoin and Ethereum.

use std::fmt;
use std::str::FromStr;

use bitcoin::address::NetworkUnchecked;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use super::SchemeError;
use crate::model::Network;

/// The single-key address encodings a recovered public key can be checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SingleKeyType {
    P2pkhCompressed,
    P2pkhUncompressed,
    P2shP2wpkh,
    P2wpkh,
    /// Listed for completeness: BIP-137 never returns it (a P2TR address is proven by BIP-322).
    P2tr,
}

impl fmt::Display for SingleKeyType {
    /// The name reports use (`p2wpkh`, `p2pkh-compressed`...), as serde writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SingleKeyType::P2pkhCompressed => "p2pkh-compressed",
            SingleKeyType::P2pkhUncompressed => "p2pkh-uncompressed",
            SingleKeyType::P2shP2wpkh => "p2sh-p2wpkh",
            SingleKeyType::P2wpkh => "p2wpkh",
            SingleKeyType::P2tr => "p2tr",
        })
    }
}

impl SingleKeyType {
    /// The address of `pubkey` under this type, or None where the type does not apply (a
    /// compressed-only type for an uncompressed key, or P2TR).
    pub fn address_of(
        self,
        pubkey: &bitcoin::PublicKey,
        network: bitcoin::Network,
    ) -> Option<bitcoin::Address> {
        let compressed = bitcoin::CompressedPublicKey::try_from(*pubkey).ok();
        match self {
            SingleKeyType::P2pkhUncompressed if !pubkey.compressed => {
                Some(bitcoin::Address::p2pkh(pubkey, network))
            }
            SingleKeyType::P2pkhCompressed if pubkey.compressed => {
                Some(bitcoin::Address::p2pkh(pubkey, network))
            }
            SingleKeyType::P2shP2wpkh => {
                compressed.map(|c| bitcoin::Address::p2shwpkh(&c, network))
            }
            SingleKeyType::P2wpkh => compressed.map(|c| bitcoin::Address::p2wpkh(&c, network)),
            _ => None,
        }
    }
}

/// A 20-byte Ethereum address. Parsing rejects a mixed-case string whose EIP-55 checksum is wrong.
///
/// `Display` writes the EIP-55 checksummed form (`0x` + mixed-case hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EthAddress(pub [u8; 20]);

impl EthAddress {
    /// The address of a secp256k1 public key: the last 20 bytes of keccak256 of the 64-byte
    /// uncompressed point (without the 0x04 tag).
    pub fn from_public_key(pubkey: &secp256k1::PublicKey) -> Self {
        let uncompressed = pubkey.serialize_uncompressed();
        let hash = Keccak256::digest(uncompressed.get(1..).unwrap_or_default());
        let mut out = [0u8; 20];
        if let Some(tail) = hash.get(12..32) {
            out.copy_from_slice(tail);
        }
        EthAddress(out)
    }

    /// The 40 EIP-55 checksummed hex characters (no `0x`).
    fn checksummed_hex(&self) -> [u8; 40] {
        let mut lower = [0u8; 40];
        // hex::encode_to_slice only fails on a wrong output length, which is fixed here.
        let _ = hex::encode_to_slice(self.0, &mut lower);
        let hash = Keccak256::digest(lower);
        let mut out = lower;
        for (i, c) in out.iter_mut().enumerate() {
            let byte = hash.get(i / 2).copied().unwrap_or(0);
            let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
            if c.is_ascii_alphabetic() && nibble >= 8 {
                c.make_ascii_uppercase();
            }
        }
        out
    }
}

impl FromStr for EthAddress {
    type Err = SchemeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |reason| SchemeError::EthAddressMalformed {
            address: s.to_owned(),
            reason,
        };
        let body = s
            .strip_prefix("0x")
            .ok_or_else(|| malformed("must start with 0x"))?;
        if body.len() != 40 {
            return Err(malformed("must have 40 hex digits after 0x"));
        }
        let mut bytes = [0u8; 20];
        hex::decode_to_slice(body, &mut bytes).map_err(|_| malformed("not hex"))?;
        let address = EthAddress(bytes);
        let has_lower = body.bytes().any(|c| c.is_ascii_lowercase());
        let has_upper = body.bytes().any(|c| c.is_ascii_uppercase());
        if has_lower && has_upper {
            let expected = address.checksummed_hex();
            if body.as_bytes() != expected {
                return Err(SchemeError::EthAddressBadChecksum {
                    address: s.to_owned(),
                    expected: address.to_string(),
                });
            }
        }
        Ok(address)
    }
}

impl fmt::Display for EthAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.checksummed_hex();
        f.write_str("0x")?;
        // The buffer is ASCII hex by construction.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

/// Parses a Bitcoin address and requires it to belong to `network` (bad checksum, unknown
/// encoding and wrong network are all errors).
///
/// Base58 addresses are shared by testnet, signet and regtest; bech32 ones are `tb1` for testnet
/// and signet and `bcrt1` for regtest, so a `tb1` address fails for regtest.
pub fn parse_btc_address(s: &str, network: Network) -> Result<bitcoin::Address, SchemeError> {
    let unchecked = match bitcoin::Address::<NetworkUnchecked>::from_str(s) {
        Ok(a) => a,
        Err(e) => return Err(classify_parse_error(s, e)),
    };
    if unchecked.is_valid_for_network(network.to_bitcoin()) {
        return Ok(unchecked.assume_checked());
    }
    let found: Vec<&str> = Network::ALL
        .iter()
        .filter(|n| unchecked.is_valid_for_network(n.to_bitcoin()))
        .map(|n| n.as_str())
        .collect();
    Err(SchemeError::WrongNetwork {
        address: s.to_owned(),
        expected: network,
        found: found.join("/"),
    })
}

/// Tells a checksum failure (a typo in a well-formed address) from an undecodable string.
/// `bitcoin` falls back to base58 when bech32 fails, so a bech32-looking string is decoded again
/// with `bech32` to see why it failed.
fn classify_parse_error(s: &str, e: bitcoin::address::ParseError) -> SchemeError {
    use bitcoin::bech32::primitives::decode::UncheckedHrpstring;
    use bitcoin::bech32::{hrp, Bech32, Bech32m};
    let lower = s.to_ascii_lowercase();
    // The human-readable parts of Bitcoin's networks are the bech32 crate's (`bc`, `tb`, `bcrt`),
    // followed by the separator `1`.
    let looks_bech32 = [hrp::BC, hrp::TB, hrp::BCRT].iter().any(|h| {
        lower
            .strip_prefix(h.as_str())
            .is_some_and(|rest| rest.starts_with('1'))
    });
    if looks_bech32 {
        // Well-formed characters and separator, but neither bech32 nor bech32m checksum holds.
        if let Ok(unchecked) = UncheckedHrpstring::new(s) {
            use bitcoin::bech32::primitives::decode::ChecksumError::InvalidResidue;
            if matches!(unchecked.validate_checksum::<Bech32>(), Err(InvalidResidue))
                && matches!(
                    unchecked.validate_checksum::<Bech32m>(),
                    Err(InvalidResidue)
                )
            {
                return SchemeError::AddressBadChecksum {
                    address: s.to_owned(),
                };
            }
        }
        let reason = match bitcoin::bech32::segwit::decode(s) {
            Err(be) => be.to_string(),
            Ok(_) => e.to_string(),
        };
        return SchemeError::AddressUndecodable {
            address: s.to_owned(),
            reason,
        };
    }
    match e {
        // A 25-byte base58 string (version, 20-byte hash, checksum) whose checksum fails.
        bitcoin::address::ParseError::Base58(bitcoin::base58::Error::IncorrectChecksum(_))
            if bitcoin::base58::decode(s).map(|d| d.len()) == Ok(25) =>
        {
            SchemeError::AddressBadChecksum {
                address: s.to_owned(),
            }
        }
        other => SchemeError::AddressUndecodable {
            address: s.to_owned(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_key_type_names_agree_with_serde() {
        use SingleKeyType::*;
        for kind in [P2pkhCompressed, P2pkhUncompressed, P2shP2wpkh, P2wpkh, P2tr] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }

    #[test]
    fn eip55_roundtrip_and_case_rules() {
        let a: EthAddress = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
            .parse()
            .unwrap();
        assert_eq!(a.to_string(), "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
        let lower: EthAddress = "0xdad77910dbdfde764fc21fcd4e74d71bbaca6d8d"
            .parse()
            .unwrap();
        let upper: EthAddress = "0xDAD77910DBDFDE764FC21FCD4E74D71BBACA6D8D"
            .parse()
            .unwrap();
        assert_eq!(a, lower);
        assert_eq!(a, upper);
        assert!(matches!(
            "0xdAd77910DbDFdE764fC21FCD4E74D71bBACA6D8D".parse::<EthAddress>(),
            Err(SchemeError::EthAddressBadChecksum { .. })
        ));
    }
}
