//! BIP-137 known answers: Bitcoin Core's signmessage tests, Ledger's app tests, our Speculos
//! transcripts, and every header range on a fixed key.
#![allow(clippy::indexing_slicing)]

use base64::Engine as _;
use porsign::model::Network as BitcoinNetwork;
use porsign::scheme::bip137::{self, Bip137Match};
use porsign::scheme::{parse_btc_address, SchemeError, SingleKeyType};
use secp256k1::{Message, SecretKey, SECP256K1};

use super::{arr, s, speculos};

fn addr(a: &str, n: BitcoinNetwork) -> bitcoin::Address {
    parse_btc_address(a, n).unwrap_or_else(|e| panic!("{a}: {e}"))
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn bitcoin_core_vectors() {
    let Some(v) =
        crate::util::shared_json("research/vectors/bitcoin-core-signmessage-vectors.json")
    else {
        return;
    };
    let cases = arr(&v, "vectors");
    assert_eq!(cases.len(), 9);
    let mut checked = 0;
    for case in cases {
        let (a, m, sig, expected) = (
            s(case, "address"),
            s(case, "message"),
            s(case, "signature"),
            s(case, "expected"),
        );
        let net = if a.starts_with('m') {
            BitcoinNetwork::Testnet
        } else {
            BitcoinNetwork::Mainnet
        };
        let parsed = parse_btc_address(a, net);
        if expected == "ERR_INVALID_ADDRESS" {
            assert!(matches!(
                parsed,
                Err(SchemeError::AddressUndecodable { .. })
            ));
            checked += 1;
            continue;
        }
        let address = parsed.unwrap();
        let result = bip137::verify(m.as_bytes(), &address, sig);
        if expected.starts_with("valid") {
            let got = result.unwrap_or_else(|e| panic!("{a} {m:?}: {e}"));
            assert_eq!(got.address_type, SingleKeyType::P2pkhCompressed, "{a}");
            assert!(got.pubkey.compressed);
            assert_eq!(
                bitcoin::Address::p2pkh(got.pubkey, address_network(&address)).to_string(),
                a
            );
        } else if expected.starts_with("error: Malformed base64") {
            assert_eq!(result, Err(SchemeError::SignatureNotBase64));
        } else if expected == "ERR_NOT_SIGNED" {
            assert!(
                matches!(result, Err(SchemeError::AddressMismatch { .. })),
                "{result:?}"
            );
        } else if expected.starts_with("ERR_ADDRESS_NO_KEY") {
            // Core refuses any P2SH address; here a P2SH address can be P2SH-P2WPKH, so the
            // verdict comes from the (non-base64) signature.
            assert_eq!(result, Err(SchemeError::SignatureNotBase64));
        } else if expected == "ERR_MALFORMED_SIGNATURE" {
            assert_eq!(result, Err(SchemeError::SignatureNotBase64));
        } else if expected == "ERR_PUBKEY_NOT_RECOVERED" {
            // 65 zero bytes: header 0 is outside 27..=42.
            assert_eq!(result, Err(SchemeError::InvalidHeader(0)));
        } else {
            panic!("unhandled expectation {expected}");
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}

fn address_network(a: &bitcoin::Address) -> bitcoin::Network {
    if a.as_unchecked()
        .is_valid_for_network(bitcoin::Network::Bitcoin)
    {
        bitcoin::Network::Bitcoin
    } else {
        bitcoin::Network::Testnet
    }
}

#[test]
fn core_signature_also_proves_segwit_addresses_of_the_same_key() {
    // Core refuses this (P2PKH only); we follow Electrum/Sparrow for header 31..=34.
    let sig =
        "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0=";
    let msg = b"This is just a test message";
    let p2pkh = addr(
        "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB",
        BitcoinNetwork::Regtest,
    );
    let m = bip137::verify(msg, &p2pkh, sig).unwrap();
    assert_eq!(m.header, 32);
    let key = bitcoin::CompressedPublicKey::try_from(m.pubkey).unwrap();
    let wpkh = bitcoin::Address::p2wpkh(&key, bitcoin::KnownHrp::Testnets);
    let shwpkh = bitcoin::Address::p2shwpkh(&key, bitcoin::NetworkKind::Test);
    assert_eq!(
        bip137::verify(msg, &wpkh, sig).unwrap().address_type,
        SingleKeyType::P2wpkh
    );
    assert_eq!(
        bip137::verify(msg, &shwpkh, sig).unwrap().address_type,
        SingleKeyType::P2shP2wpkh
    );
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn ledger_app_vectors_header_31_32_on_every_type() {
    let Some(v) =
        crate::util::shared_json("research/vectors/ledger-app-bitcoin-sign-message-vectors.json")
    else {
        return;
    };
    let Some(seed) =
        crate::util::shared_json("research/vectors/speculos-default-seed-fixtures.json")
    else {
        return;
    };
    let cases = arr(&v, "vectors");
    assert_eq!(cases.len(), 6);
    let mut previous_message = String::new();
    for case in cases {
        let message = match case.get("message").and_then(|m| m.as_str()) {
            Some(m) => m.to_owned(),
            // "the 538-byte message above repeated 3 times joined by single spaces"
            None => [previous_message.as_str(); 3].join(" "),
        };
        previous_message = message.clone();
        let sig = s(case, "signature");
        let header = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap()[0];
        assert_eq!(
            u64::from(header),
            case["derived_header_byte"].as_u64().unwrap()
        );
        let path = s(case, "path");
        // Every single-key address of the signing key: those given with the vector, plus the
        // other types from the seed fixture for that path.
        let mut expect: Vec<(String, SingleKeyType)> = Vec::new();
        for (field, ty) in [
            ("derived_p2pkh", SingleKeyType::P2pkhCompressed),
            ("derived_p2pkh_same_key", SingleKeyType::P2pkhCompressed),
            ("derived_p2wpkh", SingleKeyType::P2wpkh),
        ] {
            if let Some(a) = case.get(field).and_then(|x| x.as_str()) {
                expect.push((a.to_owned(), ty));
            }
        }
        let derived = arr(&seed, "derived_testnet_addresses")
            .iter()
            .find(|d| s(d, "path") == path)
            .unwrap();
        for (field, ty) in [
            ("p2pkh", SingleKeyType::P2pkhCompressed),
            ("p2wpkh", SingleKeyType::P2wpkh),
            ("p2sh_p2wpkh", SingleKeyType::P2shP2wpkh),
        ] {
            expect.push((s(derived, field).to_owned(), ty));
        }
        for (a, ty) in expect {
            for net in [BitcoinNetwork::Testnet, BitcoinNetwork::Signet] {
                let got = bip137::verify(message.as_bytes(), &addr(&a, net), sig)
                    .unwrap_or_else(|e| panic!("{path} {a}: {e}"));
                assert_eq!(got.address_type, ty, "{a}");
                assert_eq!(got.header, header);
            }
        }
        // The message matters.
        let wrong = format!("{message}.");
        let a = s(derived, "p2wpkh");
        assert!(matches!(
            bip137::verify(wrong.as_bytes(), &addr(a, BitcoinNetwork::Testnet), sig),
            Err(SchemeError::AddressMismatch { .. })
        ));
    }
}

#[test]
fn speculos_transcripts_verify_for_the_device_addresses() {
    let cases = [
        (
            "btc-signmessage-short-84.json",
            "btc-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-signmessage-empty-84.json",
            "btc-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-signmessage-64bytes-84.json",
            "btc-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-signmessage-65bytes-84.json",
            "btc-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-signmessage-long-84.json",
            "btc-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-signmessage-short-44.json",
            "btc-address-pkh-0-0.json",
            SingleKeyType::P2pkhCompressed,
            BitcoinNetwork::Mainnet,
        ),
        (
            "btc-testnet-signmessage-short-84.json",
            "btc-testnet-address-wpkh-0-0.json",
            SingleKeyType::P2wpkh,
            BitcoinNetwork::Testnet,
        ),
    ];
    for (sig_file, addr_file, ty, net) in cases {
        let t = speculos(sig_file);
        let r = &t["result"];
        let a = addr(speculos(addr_file)["result"].as_str().unwrap(), net);
        let got = bip137::verify(s(r, "message").as_bytes(), &a, s(r, "signature_base64"))
            .unwrap_or_else(|e| panic!("{sig_file}: {e}"));
        assert_eq!(got.address_type, ty, "{sig_file}");
        assert!((31..=32).contains(&got.header), "Ledger answers 31/32");
        // The same signature is not a proof for another address of the seed.
        let other = addr(
            speculos("btc-address-wpkh-1-0.json")["result"]
                .as_str()
                .unwrap(),
            BitcoinNetwork::Mainnet,
        );
        if net == BitcoinNetwork::Mainnet {
            assert!(matches!(
                bip137::verify(s(r, "message").as_bytes(), &other, s(r, "signature_base64")),
                Err(SchemeError::AddressMismatch { .. })
            ));
        }
    }
}

#[test]
fn p2tr_and_p2wsh_are_not_bip137() {
    let r = &speculos("btc-signmessage-short-84.json")["result"];
    for f in [
        "btc-address-tr-0-0.json",
        "btc-address-wsh-sortedmulti-0-0.json",
    ] {
        let a = addr(
            speculos(f)["result"].as_str().unwrap(),
            BitcoinNetwork::Mainnet,
        );
        assert!(matches!(
            bip137::verify(s(r, "message").as_bytes(), &a, s(r, "signature_base64")),
            Err(SchemeError::UnsupportedAddressType { .. })
        ));
    }
}

/// Signs `msg` with a fixed key and the given header byte.
pub(crate) fn sign_with_header(sk: &SecretKey, msg: &[u8], header_base: u8) -> String {
    let digest = bip137::message_hash(msg);
    let sig = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), sk);
    let (recid, rs) = sig.serialize_compact();
    let mut out = vec![header_base + recid.to_i32() as u8];
    out.extend_from_slice(&rs);
    base64::engine::general_purpose::STANDARD.encode(out)
}

#[test]
fn every_header_range_on_every_type() {
    let sk = SecretKey::from_slice(&[0x42; 32]).unwrap();
    let pk = secp256k1::PublicKey::from_secret_key(SECP256K1, &sk);
    let compressed = bitcoin::PublicKey::new(pk);
    let uncompressed = bitcoin::PublicKey::new_uncompressed(pk);
    let ck = bitcoin::CompressedPublicKey(pk);
    let n = bitcoin::Network::Bitcoin;
    let p2pkh_c = bitcoin::Address::p2pkh(compressed, n);
    let p2pkh_u = bitcoin::Address::p2pkh(uncompressed, n);
    let p2sh_wpkh = bitcoin::Address::p2shwpkh(&ck, n);
    let p2wpkh = bitcoin::Address::p2wpkh(&ck, n);
    let msg = b"porsign header test";
    use SingleKeyType::*;
    // (header base, address, expected type or None for a mismatch)
    let table: [(u8, &bitcoin::Address, Option<SingleKeyType>); 16] = [
        (27, &p2pkh_u, Some(P2pkhUncompressed)),
        (27, &p2pkh_c, None),
        (27, &p2sh_wpkh, None),
        (27, &p2wpkh, None),
        (31, &p2pkh_u, None),
        (31, &p2pkh_c, Some(P2pkhCompressed)),
        (31, &p2sh_wpkh, Some(P2shP2wpkh)),
        (31, &p2wpkh, Some(P2wpkh)),
        (35, &p2pkh_u, None),
        (35, &p2pkh_c, None),
        (35, &p2sh_wpkh, Some(P2shP2wpkh)),
        (35, &p2wpkh, None),
        (39, &p2pkh_u, None),
        (39, &p2pkh_c, None),
        (39, &p2sh_wpkh, None),
        (39, &p2wpkh, Some(P2wpkh)),
    ];
    for (base, address, expected) in table {
        let sig = sign_with_header(&sk, msg, base);
        let got = bip137::verify(msg, address, &sig);
        match expected {
            Some(ty) => {
                let Bip137Match {
                    pubkey,
                    address_type,
                    header,
                } = got.unwrap();
                assert_eq!(address_type, ty, "header {base} {address}");
                assert_eq!(pubkey.inner, pk);
                assert_eq!(pubkey.compressed, base >= 31);
                assert!(header >= base && header < base + 4);
            }
            None => assert!(
                matches!(got, Err(SchemeError::AddressMismatch { ref expected, .. }) if *expected == address.to_string()),
                "header {base} {address}: {got:?}"
            ),
        }
    }
    // Headers outside 27..=42.
    for bad in [0u8, 26, 43, 255] {
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(sign_with_header(&sk, msg, 31))
            .unwrap();
        raw[0] = bad;
        let sig = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(
            bip137::verify(msg, &p2wpkh, &sig),
            Err(SchemeError::InvalidHeader(bad))
        );
    }
}

#[test]
fn encoding_errors() {
    let a = addr(
        "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg",
        BitcoinNetwork::Mainnet,
    );
    let e = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        bip137::verify(b"x", &a, ""),
        Err(SchemeError::SignatureLength {
            expected: 65,
            found: 0
        })
    );
    assert_eq!(
        bip137::verify(b"x", &a, &e.encode([31u8; 64])),
        Err(SchemeError::SignatureLength {
            expected: 65,
            found: 64
        })
    );
    assert_eq!(
        bip137::verify(b"x", &a, &e.encode([31u8; 66])),
        Err(SchemeError::SignatureLength {
            expected: 65,
            found: 66
        })
    );
    assert!(matches!(
        bip137::verify(b"x", &a, &"A".repeat(10_000)),
        Err(SchemeError::SignatureLength { .. })
    ));
    assert_eq!(
        bip137::verify(b"x", &a, "!!!!"),
        Err(SchemeError::SignatureNotBase64)
    );
    // r = s = 0: not a valid signature.
    let mut zero = [0u8; 65];
    zero[0] = 31;
    assert!(matches!(
        bip137::verify(b"x", &a, &e.encode(zero)),
        Err(SchemeError::InvalidScalar | SchemeError::PubkeyNotRecovered)
    ));
    // r, s >= n.
    let mut big = [0xffu8; 65];
    big[0] = 31;
    assert_eq!(
        bip137::verify(b"x", &a, &e.encode(big)),
        Err(SchemeError::InvalidScalar)
    );
}
