//! Multisig known answers from the Speculos transcripts: the 2-of-3 wsh(sortedmulti) registered
//! on the device, its address at 0/0, and each cosigner's SIGN_MESSAGE at m/48'/0'/i'/2'/0/0.
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;

use base64::Engine as _;
use bitcoin::bip32::{ChildNumber, Xpub};
use bitcoin::blockdata::opcodes::all::{OP_CHECKMULTISIG, OP_PUSHNUM_2, OP_PUSHNUM_3};
use bitcoin::script::Builder;
use porsign::model::Network as BitcoinNetwork;
use porsign::scheme::multisig::{self, MultisigWrapping};
use porsign::scheme::{parse_btc_address, SchemeError};

use super::{s, speculos};

const MESSAGE: &[u8] = b"porsign test challenge";

/// The cosigner keys at 0/0 of each registered xpub, in cosigner order.
fn cosigner_keys() -> Vec<bitcoin::PublicKey> {
    let reg = speculos("btc-register-wsh-sortedmulti-2of3.json");
    assert_eq!(
        s(&reg["result"], "descriptor_template"),
        "wsh(sortedmulti(2,@0/**,@1/**,@2/**))"
    );
    reg["result"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let k = k.as_str().unwrap();
            let xpub = Xpub::from_str(&k[k.find(']').unwrap() + 1..]).unwrap();
            let child = xpub
                .derive_pub(
                    secp256k1::SECP256K1,
                    &[
                        ChildNumber::Normal { index: 0 },
                        ChildNumber::Normal { index: 0 },
                    ],
                )
                .unwrap();
            bitcoin::PublicKey::new(child.public_key)
        })
        .collect()
}

/// sortedmulti(2, keys): the keys in lexicographic order of their serialization.
fn sortedmulti_script(keys: &[bitcoin::PublicKey]) -> bitcoin::ScriptBuf {
    let mut sorted = keys.to_vec();
    sorted.sort_by_key(|k| k.to_bytes());
    let mut b = Builder::new().push_opcode(OP_PUSHNUM_2);
    for k in &sorted {
        b = b.push_key(k);
    }
    b.push_opcode(OP_PUSHNUM_3)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

fn cosigner_sig(i: usize) -> String {
    let r = &speculos(&format!("btc-signmessage-cosigner{i}-48.json"))["result"];
    assert_eq!(s(r, "message").as_bytes(), MESSAGE);
    assert_eq!(s(r, "path"), format!("m/48'/0'/{i}'/2'/0/0"));
    s(r, "signature_base64").to_owned()
}

fn device_address() -> bitcoin::Address {
    let a = speculos("btc-address-wsh-sortedmulti-0-0.json")["result"]
        .as_str()
        .unwrap()
        .to_owned();
    parse_btc_address(&a, BitcoinNetwork::Mainnet).unwrap()
}

#[test]
fn device_2of3_wsh_sortedmulti() {
    let keys = cosigner_keys();
    let script = sortedmulti_script(&keys);
    let address = device_address();
    // The script we rebuilt hashes to the address the device showed.
    assert_eq!(
        bitcoin::Address::p2wsh(&script, bitcoin::Network::Bitcoin),
        address
    );
    let sigs: Vec<String> = (0..3).map(cosigner_sig).collect();
    for (pair, signers) in [
        ([0usize, 1usize], [0usize, 1usize]),
        ([2, 0], [2, 0]),
        ([1, 2], [1, 2]),
    ] {
        let given: Vec<&str> = pair.iter().map(|i| sigs[*i].as_str()).collect();
        let m = multisig::verify(MESSAGE, &address, &script, &given).unwrap();
        assert_eq!((m.threshold, m.keys), (2, 3));
        assert_eq!(m.wrapping, MultisigWrapping::P2wsh);
        let expected: Vec<_> = signers.iter().map(|i| keys[*i]).collect();
        assert_eq!(m.signers, expected);
    }
    let all: Vec<&str> = sigs.iter().map(String::as_str).collect();
    assert_eq!(
        multisig::verify(MESSAGE, &address, &script, &all)
            .unwrap()
            .signers
            .len(),
        3
    );
}

#[test]
fn the_same_key_twice_counts_once() {
    let keys = cosigner_keys();
    let script = sortedmulti_script(&keys);
    let address = device_address();
    let sig0 = cosigner_sig(0);
    let threshold = |distinct| {
        Err(SchemeError::MultisigThreshold {
            required: 2,
            distinct,
            missing: 2 - distinct,
        })
    };
    assert_eq!(
        multisig::verify(MESSAGE, &address, &script, &[]),
        threshold(0)
    );
    assert_eq!(
        multisig::verify(MESSAGE, &address, &script, &[&sig0]),
        threshold(1)
    );
    assert_eq!(
        multisig::verify(MESSAGE, &address, &script, &[&sig0, &sig0]),
        threshold(1)
    );
    // A second, different signature by the same key: the high-s twin (s -> n - s, other
    // recovery id). It recovers the same key, so it still counts once.
    let e = base64::engine::general_purpose::STANDARD;
    let raw = e.decode(&sig0).unwrap();
    let neg_s = secp256k1::SecretKey::from_slice(&raw[33..65])
        .unwrap()
        .negate();
    let mut twin = vec![if (raw[0] - 27) % 2 == 0 {
        raw[0] + 1
    } else {
        raw[0] - 1
    }];
    twin.extend_from_slice(&raw[1..33]);
    twin.extend_from_slice(&neg_s.secret_bytes());
    let twin = e.encode(twin);
    assert_ne!(twin, sig0);
    assert_eq!(
        multisig::verify(MESSAGE, &address, &script, &[&sig0, &twin]),
        threshold(1)
    );
}

#[test]
fn signer_outside_the_script_is_named() {
    let script = sortedmulti_script(&cosigner_keys());
    let address = device_address();
    // The wpkh key m/84'/0'/0'/0/0 signed the same message: not a cosigner.
    let outsider = s(
        &speculos("btc-signmessage-short-84.json")["result"],
        "signature_base64",
    )
    .to_owned();
    let sig1 = cosigner_sig(1);
    let got = multisig::verify(MESSAGE, &address, &script, &[&sig1, &outsider]);
    assert!(
        matches!(got, Err(SchemeError::MultisigUnknownSigner { index: 1, ref pubkey })
            if pubkey == "031869567d5e88d988ff7baf6827983f89530ddd79dbaeadaa6ec538a8f03dea8b"),
        "{got:?}"
    );
    // A cosigner signature over another message recovers a random key.
    let got = multisig::verify(
        b"another message",
        &address,
        &script,
        &[&sig1, &cosigner_sig(2)],
    );
    assert!(
        matches!(
            got,
            Err(SchemeError::MultisigUnknownSigner { index: 0, .. })
        ),
        "{got:?}"
    );
    // Undecodable signature: its index is named.
    let got = multisig::verify(MESSAGE, &address, &script, &[&sig1, "no!pe"]);
    assert!(matches!(
        got,
        Err(SchemeError::MultisigSignature { index: 1, ref source }) if **source == SchemeError::SignatureNotBase64
    ));
}

#[test]
fn p2sh_and_p2sh_p2wsh_wrappings_and_networks() {
    let script = sortedmulti_script(&cosigner_keys());
    let sigs = [cosigner_sig(0), cosigner_sig(2)];
    let given: Vec<&str> = sigs.iter().map(String::as_str).collect();
    for (network, net) in [
        (bitcoin::Network::Bitcoin, BitcoinNetwork::Mainnet),
        (bitcoin::Network::Testnet, BitcoinNetwork::Testnet),
        (bitcoin::Network::Regtest, BitcoinNetwork::Regtest),
    ] {
        for (address, wrapping) in [
            (
                bitcoin::Address::p2sh(&script, network).unwrap(),
                MultisigWrapping::P2sh,
            ),
            (
                bitcoin::Address::p2shwsh(&script, network),
                MultisigWrapping::P2shP2wsh,
            ),
            (
                bitcoin::Address::p2wsh(&script, network),
                MultisigWrapping::P2wsh,
            ),
        ] {
            let a = parse_btc_address(&address.to_string(), net).unwrap();
            let m = multisig::verify(MESSAGE, &a, &script, &given).unwrap();
            assert_eq!(m.wrapping, wrapping);
        }
    }
}

#[test]
fn script_must_hash_to_the_address() {
    let keys = cosigner_keys();
    let script = sortedmulti_script(&keys);
    // Unsorted order is another script, hence another address.
    let mut b = Builder::new().push_opcode(OP_PUSHNUM_2);
    for k in keys.iter().rev() {
        b = b.push_key(k);
    }
    let other = b
        .push_opcode(OP_PUSHNUM_3)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script();
    let sigs = [cosigner_sig(0), cosigner_sig(1)];
    let given: Vec<&str> = sigs.iter().map(String::as_str).collect();
    if other != script {
        assert!(matches!(
            multisig::verify(MESSAGE, &device_address(), &other, &given),
            Err(SchemeError::MultisigScriptMismatch {
                wrapping: "p2wsh",
                ..
            })
        ));
    }
    let other_p2sh = bitcoin::Address::p2sh(&other, bitcoin::Network::Bitcoin).unwrap();
    assert!(matches!(
        multisig::verify(MESSAGE, &other_p2sh, &script, &given),
        Err(SchemeError::MultisigScriptMismatch {
            wrapping: "p2sh",
            ..
        })
    ));
    // Single-key and taproot addresses are not multisig addresses.
    for f in [
        "btc-address-wpkh-0-0.json",
        "btc-address-tr-0-0.json",
        "btc-address-pkh-0-0.json",
    ] {
        let a = parse_btc_address(
            speculos(f)["result"].as_str().unwrap(),
            BitcoinNetwork::Mainnet,
        )
        .unwrap();
        assert!(matches!(
            multisig::verify(MESSAGE, &a, &script, &given),
            Err(SchemeError::UnsupportedAddressType { .. })
        ));
    }
}

#[test]
fn strict_script_parsing() {
    let keys = cosigner_keys();
    let k = |i: usize| keys[i];
    let build = |m: i64, ks: &[bitcoin::PublicKey], n: i64, tail: bool| {
        let mut b = Builder::new().push_int(m);
        for key in ks {
            b = b.push_key(key);
        }
        b = b.push_int(n);
        if tail {
            b = b.push_opcode(OP_CHECKMULTISIG);
        }
        b.into_script()
    };
    let bad = [
        build(3, &[k(0), k(1)], 2, true),       // m > n
        build(0, &[k(0), k(1)], 2, true),       // m = 0
        build(2, &[k(0), k(1), k(2)], 2, true), // n does not match the key count
        build(2, &[k(0), k(0)], 2, true),       // duplicate key
        build(1, &[k(0)], 1, false),            // no OP_CHECKMULTISIG
        Builder::new().into_script(),
        bitcoin::ScriptBuf::from_bytes(vec![0x52, 0x21, 0x02]), // truncated push
        {
            // trailing opcode
            let mut v = build(1, &[k(0)], 1, true).into_bytes();
            v.push(0x75);
            bitcoin::ScriptBuf::from_bytes(v)
        },
        {
            // a 32-byte push where a key should be
            Builder::new()
                .push_int(1)
                .push_slice([2u8; 32])
                .push_int(1)
                .push_opcode(OP_CHECKMULTISIG)
                .into_script()
        },
        {
            // OP_CHECKSIG instead of OP_CHECKMULTISIG
            let mut v = build(1, &[k(0)], 1, true).into_bytes();
            *v.last_mut().unwrap() = 0xac;
            bitcoin::ScriptBuf::from_bytes(v)
        },
    ];
    for script in bad {
        assert!(
            matches!(
                multisig::parse_script(&script),
                Err(SchemeError::MultisigScriptMalformed(_))
            ),
            "{script}"
        );
    }
    let ok = multisig::parse_script(&build(1, &[k(0), k(1)], 2, true)).unwrap();
    assert_eq!(ok.threshold, 1);
    assert_eq!(ok.keys, vec![k(0), k(1)]);
}
