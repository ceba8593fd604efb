//! Address parsing: networks, checksums, EIP-55.
#![allow(clippy::indexing_slicing)]

use porsign::model::Network as BitcoinNetwork;
use porsign::scheme::{parse_btc_address, EthAddress, SchemeError};

use super::{s, speculos};

use BitcoinNetwork::*;

#[test]
fn mainnet_addresses_of_every_type_from_the_device() {
    for f in [
        "btc-address-pkh-0-0.json",
        "btc-address-sh-wpkh-0-0.json",
        "btc-address-wpkh-0-0.json",
        "btc-address-tr-0-0.json",
        "btc-address-wsh-sortedmulti-0-0.json",
    ] {
        let a = speculos(f)["result"].as_str().unwrap().to_owned();
        let parsed = parse_btc_address(&a, Mainnet).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(parsed.to_string(), a);
        for other in [Testnet, Signet, Regtest] {
            assert!(
                matches!(
                    parse_btc_address(&a, other),
                    Err(SchemeError::WrongNetwork { expected, ref found, .. }) if expected == other && found == "mainnet"
                ),
                "{a} must fail for {other:?}"
            );
        }
    }
}

#[test]
fn testnet_signet_regtest_rules() {
    // Base58 test addresses are shared by testnet, signet and regtest.
    for a in [
        "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB",
        "2N7KtPvyq595eQFT7pRPUDAbfo5mg2RL7ef",
    ] {
        for n in [Testnet, Signet, Regtest] {
            assert!(parse_btc_address(a, n).is_ok(), "{a} {n:?}");
        }
        assert!(matches!(
            parse_btc_address(a, Mainnet),
            Err(SchemeError::WrongNetwork { .. })
        ));
    }
    // tb1 is testnet and signet; bcrt1 is regtest only.
    let tb = speculos("btc-testnet-address-wpkh-0-0.json")["result"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(parse_btc_address(&tb, Testnet).is_ok());
    assert!(parse_btc_address(&tb, Signet).is_ok());
    assert!(matches!(
        parse_btc_address(&tb, Regtest),
        Err(SchemeError::WrongNetwork { .. })
    ));
    assert!(matches!(
        parse_btc_address(&tb, Mainnet),
        Err(SchemeError::WrongNetwork { .. })
    ));
    // Build the regtest address of the same program rather than trusting a typed string.
    let program = parse_btc_address(&tb, Testnet)
        .unwrap()
        .witness_program()
        .unwrap();
    let regtest = bitcoin::Address::from_witness_program(program, bitcoin::KnownHrp::Regtest);
    let regtest = regtest.to_string();
    assert!(regtest.starts_with("bcrt1q"));
    assert!(parse_btc_address(&regtest, Regtest).is_ok());
    assert!(matches!(
        parse_btc_address(&regtest, Testnet),
        Err(SchemeError::WrongNetwork { .. })
    ));
}

/// Changes one data character (keeping it in the alphabet) so only the checksum breaks.
fn flip_char(a: &str, idx: usize, alphabet: &str) -> String {
    let mut chars: Vec<char> = a.chars().collect();
    let c = chars[idx];
    let replacement = alphabet.chars().find(|x| *x != c).unwrap();
    chars[idx] = replacement;
    chars.into_iter().collect()
}

#[test]
fn bad_checksums_are_their_own_error() {
    let b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let bech = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let cases = [
        (
            flip_char("1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB", 10, b58),
            Mainnet,
        ),
        (
            flip_char("31mceY4tx8cr75vQLLFcK1Gp2VkGdyZfZy", 10, b58),
            Mainnet,
        ),
        (
            flip_char("bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg", 12, bech),
            Mainnet,
        ),
        (
            flip_char(
                "bc1psuhflkktuk89nj67rflwcnf0j33269kd0jnvvcpgusdxsspk9ceswgu99p",
                20,
                bech,
            ),
            Mainnet,
        ),
        (
            flip_char("tb1qzdr7s2sr0dwmkwx033r4nujzk86u0cy6fmzfjk", 12, bech),
            Testnet,
        ),
    ];
    for (a, n) in cases {
        assert!(
            matches!(parse_btc_address(&a, n), Err(SchemeError::AddressBadChecksum { ref address }) if *address == a),
            "{a}: {:?}",
            parse_btc_address(&a, n)
        );
    }
}

#[test]
fn undecodable_strings() {
    for a in [
        "",
        "invalid address",
        "0x14791697260E4c9A71f18484C9f997B308e59325",
        "bc1",
        "1111",
        "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vy!",
    ] {
        assert!(
            matches!(
                parse_btc_address(a, Mainnet),
                Err(SchemeError::AddressUndecodable { .. })
            ),
            "{a:?}: {:?}",
            parse_btc_address(a, Mainnet)
        );
    }
}

#[test]
fn network_serde_is_lowercase() {
    assert_eq!(serde_json::to_string(&Signet).unwrap(), "\"signet\"");
    let n: BitcoinNetwork = serde_json::from_str("\"regtest\"").unwrap();
    assert_eq!(n, Regtest);
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn eth_addresses_from_vectors_roundtrip_eip55() {
    let Some(v) = crate::util::shared_json("research/vectors/eip191-personal-sign-vectors.json")
    else {
        return;
    };
    let vectors = v["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty());
    for case in vectors {
        let a = s(case, "address");
        let parsed: EthAddress = a.parse().unwrap();
        assert_eq!(parsed.to_string(), a, "display is the checksummed form");
        assert_eq!(a.to_lowercase().parse::<EthAddress>().unwrap(), parsed);
        let upper = format!("0x{}", a[2..].to_uppercase());
        assert_eq!(upper.parse::<EthAddress>().unwrap(), parsed);
    }
}

#[test]
fn eth_address_errors() {
    let good = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";
    // One letter's case changed: fails EIP-55.
    let bad = good.replacen("Dad", "DaD", 1);
    assert!(matches!(
        bad.parse::<EthAddress>(),
        Err(SchemeError::EthAddressBadChecksum { ref expected, .. }) if expected == good
    ));
    for malformed in [
        "Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D",
        "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8",
        "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D00",
        "0xZad77910DbDFdE764fC21FCD4E74D71bBACA6D8D",
        "0X",
        "",
    ] {
        assert!(
            matches!(
                malformed.parse::<EthAddress>(),
                Err(SchemeError::EthAddressMalformed { .. })
            ),
            "{malformed}"
        );
    }
}

#[test]
fn eth_address_of_device_pubkey() {
    // GET_ADDRESS response: 0x41 || 65-byte pubkey || 0x28 || 40 ASCII hex chars || 9000.
    let resp = hex::decode(speculos("eth-address-0.json")["result"].as_str().unwrap()).unwrap();
    assert_eq!(resp[0], 65);
    let pubkey = secp256k1::PublicKey::from_slice(&resp[1..66]).unwrap();
    assert_eq!(resp[66], 40);
    let ascii = std::str::from_utf8(&resp[67..107]).unwrap();
    let derived = EthAddress::from_public_key(&pubkey);
    assert_eq!(derived.to_string(), format!("0x{ascii}"));
    assert_eq!(
        derived.to_string(),
        "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
    );
}
