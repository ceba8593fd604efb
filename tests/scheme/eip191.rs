//! EIP-191 personal_sign known answers: ethers.js and eth-account vectors, Ledger Ethereum app
//! transcripts (including OKX's keccak variant), and the encoding errors.
#![allow(clippy::indexing_slicing)]

use porsign::scheme::eip191;
use porsign::scheme::{EthAddress, SchemeError};
use sha3::{Digest, Keccak256};

use super::{arr, s, speculos};

fn hex0x(x: &str) -> Vec<u8> {
    hex::decode(x.strip_prefix("0x").unwrap_or(x)).unwrap()
}

/// The message bytes of a vector: utf8 text, raw hex bytes, or the derived bytes.
fn message_of(case: &serde_json::Value) -> Vec<u8> {
    if let Some(m) = case.get("message_utf8").and_then(|v| v.as_str()) {
        m.as_bytes().to_vec()
    } else if let Some(h) = case.get("message_hex").and_then(|v| v.as_str()) {
        hex0x(h)
    } else {
        hex0x(s(case, "derived_message_hex"))
    }
}

/// Flips a signature to its high-s twin (s -> n - s, v toggled): the same signer, malleated.
fn high_s_twin(sig_hex: &str) -> String {
    let b = hex0x(sig_hex);
    // n - s, computed with the library: negate the scalar s.
    let s_scalar = secp256k1::SecretKey::from_slice(&b[32..64])
        .unwrap()
        .negate();
    let mut out = b[..32].to_vec();
    out.extend_from_slice(&s_scalar.secret_bytes());
    let v = b[64];
    out.push(match v {
        27 => 28,
        28 => 27,
        0 => 1,
        _ => 0,
    });
    format!("0x{}", hex::encode(out))
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn ethers_and_eth_account_vectors() {
    let Some(v) = crate::util::shared_json("research/vectors/eip191-personal-sign-vectors.json")
    else {
        return;
    };
    let cases = arr(&v, "vectors");
    assert_eq!(cases.len(), 6);
    for case in cases {
        let address: EthAddress = s(case, "address").parse().unwrap();
        let msg = message_of(case);
        let hash = case
            .get("message_hash")
            .or_else(|| case.get("derived_message_hash"))
            .and_then(|h| h.as_str())
            .unwrap();
        assert_eq!(eip191::message_hash(&msg).to_vec(), hex0x(hash));
        let sig = match case.get("signature").and_then(|x| x.as_str()) {
            Some(sig) => sig.to_owned(),
            None => format!(
                "{}{}{:02x}",
                s(case, "r"),
                &s(case, "s")[2..],
                case["v"].as_u64().unwrap()
            ),
        };
        eip191::verify(&msg, &address, &sig).unwrap_or_else(|e| panic!("{address}: {e}"));
        // v as 0/1 is accepted too.
        let v = u8::from_str_radix(&sig[130..132], 16).unwrap();
        let sig01 = format!("{}{:02x}", &sig[..130], v - 27);
        eip191::verify(&msg, &address, &sig01).unwrap();
        // A different message recovers someone else.
        let mut other = msg.clone();
        other.push(b'!');
        assert!(matches!(
            eip191::verify(&other, &address, &sig),
            Err(SchemeError::EthAddressMismatch { .. })
        ));
        // The high-s twin is refused.
        assert_eq!(
            eip191::verify(&msg, &address, &high_s_twin(&sig)),
            Err(SchemeError::HighS)
        );
        // Not the OKX variant.
        assert!(eip191::verify_keccak_variant(&msg, &address, &sig).is_err());
    }
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn hash_only_vectors() {
    let Some(v) = crate::util::shared_json("research/vectors/eip191-personal-sign-vectors.json")
    else {
        return;
    };
    let cases = arr(&v, "hash_only_vectors");
    assert_eq!(cases.len(), 6);
    for case in cases {
        assert_eq!(
            eip191::message_hash(&message_of(case)).to_vec(),
            hex0x(s(case, "message_hash"))
        );
    }
}

/// The Ledger Ethereum app answers v || r || s; our format is 0x r || s || v.
fn vrs_to_rsv(vrs: &str) -> String {
    format!("0x{}{}", &vrs[2..], &vrs[..2])
}

fn device_address() -> EthAddress {
    // GET_ADDRESS of m/44'/60'/0'/0/0 on the same device (see the address tests).
    "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
        .parse()
        .unwrap()
}

#[test]
fn ledger_personal_sign_transcripts() {
    if let Some(seed) =
        crate::util::shared_json("research/vectors/speculos-default-seed-fixtures.json")
    {
        let a: EthAddress = s(&seed["ethereum_m_44h_60h_0h_0_0"], "address_checksummed")
            .parse()
            .unwrap();
        assert_eq!(a, device_address());
    }
    for f in [
        "eth-personal-sign-short.json",
        "eth-personal-sign-long.json",
    ] {
        let r = &speculos(f)["result"];
        let msg = hex::decode(s(r, "message_hex")).unwrap();
        let sig = vrs_to_rsv(s(r, "v_r_s"));
        eip191::verify(&msg, &device_address(), &sig).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(eip191::verify_keccak_variant(&msg, &device_address(), &sig).is_err());
    }
}

#[test]
fn okx_keccak_variant_transcript() {
    let r = &speculos("eth-personal-sign-okx-keccak.json")["result"];
    let signed = hex::decode(s(r, "message_hex")).unwrap();
    let text = b"I am an OKX address";
    assert_eq!(Keccak256::digest(text).to_vec(), signed);
    let sig = vrs_to_rsv(s(r, "v_r_s"));
    eip191::verify_keccak_variant(text, &device_address(), &sig).unwrap();
    // It is plain personal_sign over the 32 hash bytes...
    eip191::verify(&signed, &device_address(), &sig).unwrap();
    // ...and not personal_sign over the text.
    assert!(matches!(
        eip191::verify(text, &device_address(), &sig),
        Err(SchemeError::EthAddressMismatch { .. })
    ));
    let other: EthAddress = "0x14791697260E4c9A71f18484C9f997B308e59325"
        .parse()
        .unwrap();
    assert!(matches!(
        eip191::verify_keccak_variant(text, &other, &sig),
        Err(SchemeError::EthAddressMismatch { ref expected, ref found })
            if *expected == other.to_string() && *found == device_address().to_string()
    ));
}

#[test]
fn encoding_errors() {
    let r = &speculos("eth-personal-sign-short.json")["result"];
    let msg = hex::decode(s(r, "message_hex")).unwrap();
    let good = vrs_to_rsv(s(r, "v_r_s"));
    let a = device_address();
    assert_eq!(
        eip191::verify(&msg, &a, &good[2..]),
        Err(SchemeError::SignatureMissing0x)
    );
    assert_eq!(
        eip191::verify(&msg, &a, &good[..130]),
        Err(SchemeError::SignatureLength {
            expected: 65,
            found: 64
        })
    );
    assert!(matches!(
        eip191::verify(&msg, &a, &format!("{good}00")),
        Err(SchemeError::SignatureLength { .. })
    ));
    let nonhex = format!("0x{}zz", &good[4..]);
    assert_eq!(
        eip191::verify(&msg, &a, &nonhex),
        Err(SchemeError::SignatureNotHex)
    );
    for v in [2u8, 26, 29, 37, 38] {
        let sig = format!("{}{v:02x}", &good[..130]);
        assert_eq!(
            eip191::verify(&msg, &a, &sig),
            Err(SchemeError::InvalidRecoveryValue(v))
        );
    }
    let zero = format!("0x{}1b", "00".repeat(64));
    assert!(matches!(
        eip191::verify(&msg, &a, &zero),
        Err(SchemeError::InvalidScalar | SchemeError::PubkeyNotRecovered)
    ));
    let big = format!("0x{}1b", "ff".repeat(64));
    assert_eq!(
        eip191::verify(&msg, &a, &big),
        Err(SchemeError::InvalidScalar)
    );
}
