//! BIP-322 known answers: the official basic and generated vectors (bitcoin/bips, v2.0.0), the
//! pre-2026 unprefixed vectors, the Ledger SIGN_PSBT transcripts, and legacy P2PKH.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::Hash;
use porsign::model::Network as BitcoinNetwork;
use porsign::scheme::bip322::{self, Bip322Variant};
use porsign::scheme::{parse_btc_address, SchemeError};

use super::{arr, s, speculos};

/// Vectors this verifier is expected NOT to accept (fail-closed categories), by (section,
/// address). Empty: every official case passes.
const EXPECTED_UNSUPPORTED: &[(&str, &str)] = &[];

fn mainnet(a: &str) -> bitcoin::Address {
    parse_btc_address(a, BitcoinNetwork::Mainnet).unwrap_or_else(|e| panic!("{a}: {e}"))
}

fn check_tx_hashes(message: &str, address: &str, msg_hash: &str, to_spend: &str, to_sign: &str) {
    assert_eq!(
        hex::encode(bip322::message_hash(message.as_bytes())),
        msg_hash
    );
    let spend = bip322::to_spend(message.as_bytes(), &mainnet(address).script_pubkey());
    assert_eq!(spend.compute_txid().to_string(), to_spend);
    assert_eq!(bip322::to_sign(&spend).compute_txid().to_string(), to_sign);
}

fn expected_variant(sig: &str) -> Bip322Variant {
    if sig.starts_with("ful") {
        Bip322Variant::Full
    } else if sig.starts_with("pof") {
        Bip322Variant::ProofOfFunds
    } else {
        Bip322Variant::Simple
    }
}

/// Runs every valid case of a section; returns (passed, unsupported-as-expected).
fn run_valid(section: &str, cases: &[serde_json::Value]) -> (usize, usize) {
    let (mut passed, mut unsupported) = (0, 0);
    for case in cases {
        let address = s(case, "address");
        let message = s(case, "message");
        let a = mainnet(address);
        let sigs = arr(case, "bip322_signatures");
        assert!(!sigs.is_empty());
        for sig in sigs {
            let sig = sig.as_str().unwrap();
            let got = bip322::verify(message.as_bytes(), &a, sig);
            if EXPECTED_UNSUPPORTED.contains(&(section, address)) {
                assert!(
                    matches!(got, Err(SchemeError::Bip322Unsupported(_))),
                    "{section} {address}: expected unsupported, got {got:?}"
                );
                unsupported += 1;
                continue;
            }
            let got =
                got.unwrap_or_else(|e| panic!("{section} {} {address}: {e}", s(case, "type")));
            assert_eq!(got, expected_variant(sig), "{section} {address}");
            // The same signature does not prove another message.
            let other = format!("{message}x");
            assert!(
                bip322::verify(other.as_bytes(), &a, sig).is_err(),
                "{section} {address}: other message accepted"
            );
            passed += 1;
        }
        // Time locks are reported.
        if section != "simple" {
            let sig = sigs[0].as_str().unwrap();
            let proof = bip322::verify_detailed(message.as_bytes(), &a, sig).unwrap();
            assert_eq!(
                u64::from(proof.lock_time),
                case["lock_time"].as_u64().unwrap()
            );
            assert_eq!(
                u64::from(proof.sequence),
                case["sequence"].as_u64().unwrap()
            );
        }
    }
    (passed, unsupported)
}

fn run_errors(cases: &[serde_json::Value]) -> usize {
    for case in cases {
        let a = mainnet(s(case, "address"));
        let got = bip322::verify(s(case, "message").as_bytes(), &a, s(case, "signature"));
        let substr = s(case, "error_substr");
        match got {
            Ok(v) => panic!("{}: accepted as {v:?}", s(case, "description")),
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains(substr),
                    "{}: error {text:?} lacks {substr:?}",
                    s(case, "description")
                );
                // The error class, not only the text.
                let class_ok = match substr {
                    "invalid signature" => matches!(e, SchemeError::Bip322Invalid(_)),
                    "signature too short" => e == SchemeError::Bip322TooShort,
                    "base64" | "error decoding signature as base64" => {
                        e == SchemeError::SignatureNotBase64
                    }
                    "error parsing signature as full variant" => {
                        matches!(e, SchemeError::Bip322ParseFull(_))
                    }
                    other => panic!("unknown error_substr {other}"),
                };
                assert!(class_ok, "{}: {e:?}", s(case, "description"));
            }
        }
    }
    cases.len()
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn basic_vectors() {
    let Some(v) = crate::util::shared_json("research/vectors/bip322-basic-test-vectors.json")
    else {
        return;
    };
    let hashes = arr(&v, "tx_hashes");
    assert_eq!(hashes.len(), 3);
    for h in hashes {
        check_tx_hashes(
            s(h, "message"),
            s(h, "address"),
            s(h, "message_hash"),
            s(h, "to_spend_tx_hash"),
            s(h, "to_sign_tx_hash"),
        );
    }
    let (passed, unsupported) = run_valid("simple", arr(&v, "simple"));
    assert_eq!((passed, unsupported), (6, 0));
    assert_eq!(run_errors(arr(&v, "error")), 8);
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn generated_vectors() {
    let Some(v) = crate::util::shared_json("research/vectors/bip322-generated-test-vectors.json")
    else {
        return;
    };
    let mut total = (0, 0);
    for (section, count) in [("simple", 4), ("full", 10), ("proof_of_funds", 3)] {
        let (p, u) = run_valid(section, arr(&v, section));
        assert_eq!(p + u, count, "{section}");
        total = (total.0 + p, total.1 + u);
    }
    assert_eq!(total, (17, 0));
    assert_eq!(run_errors(arr(&v, "error")), 28);
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn legacy_unprefixed_vectors() {
    let Some(v) =
        crate::util::shared_json("research/vectors/bip322-legacy-unprefixed-vectors.json")
    else {
        return;
    };
    for h in arr(&v, "message_hashes") {
        assert_eq!(
            hex::encode(bip322::message_hash(s(h, "message").as_bytes())),
            s(h, "message_hash")
        );
    }
    let address = s(&v, "address");
    for h in arr(&v, "tx_hashes") {
        let spend = bip322::to_spend(
            s(h, "message").as_bytes(),
            &mainnet(address).script_pubkey(),
        );
        assert_eq!(spend.compute_txid().to_string(), s(h, "to_spend_txid"));
        assert_eq!(
            bip322::to_sign(&spend).compute_txid().to_string(),
            s(h, "to_sign_txid")
        );
    }
    let sigs = arr(&v, "simple_signatures");
    assert_eq!(sigs.len(), 4);
    for case in sigs {
        assert_eq!(s(case, "expected"), "valid");
        let got = bip322::verify(
            s(case, "message").as_bytes(),
            &mainnet(address),
            s(case, "signature"),
        );
        assert_eq!(got, Ok(Bip322Variant::Simple));
        // With the prefix it is the same proof.
        let prefixed = format!("smp{}", s(case, "signature"));
        assert_eq!(
            bip322::verify(s(case, "message").as_bytes(), &mainnet(address), &prefixed),
            Ok(Bip322Variant::Simple)
        );
    }
}

#[test]
fn ledger_sign_psbt_simple_proofs() {
    for (f, wrong_type) in [
        ("btc-bip322-signpsbt-wpkh.json", "btc-address-tr-0-0.json"),
        ("btc-bip322-signpsbt-tr.json", "btc-address-wpkh-0-0.json"),
    ] {
        let r = &speculos(f)["result"];
        let message = s(r, "message").as_bytes();
        let a = mainnet(s(r, "address"));
        let spend = bip322::to_spend(message, &a.script_pubkey());
        // The transcript records the txid in internal byte order (as in the PSBT's prevout).
        assert_eq!(
            hex::encode(spend.compute_txid().to_byte_array()),
            s(r, "to_spend_txid")
        );
        let sig = s(r, "bip322_simple_signature_base64");
        assert_eq!(
            bip322::verify(message, &a, sig),
            Ok(Bip322Variant::Simple),
            "{f}"
        );
        let prefixed = format!("smp{sig}");
        assert_eq!(
            bip322::verify(message, &a, &prefixed),
            Ok(Bip322Variant::Simple)
        );
        assert!(matches!(
            bip322::verify(b"another challenge", &a, sig),
            Err(SchemeError::Bip322Invalid(_))
        ));
        let other = mainnet(speculos(wrong_type)["result"].as_str().unwrap());
        assert!(matches!(
            bip322::verify(message, &other, sig),
            Err(SchemeError::Bip322Invalid(_))
        ));
        // As a full signature the witness is not a transaction.
        assert!(matches!(
            bip322::verify(message, &a, &format!("ful{sig}")),
            Err(SchemeError::Bip322ParseFull(_))
        ));
    }
}

#[test]
fn legacy_format_for_p2pkh() {
    // Bitcoin Core's MessageSign output for a P2PKH address, unprefixed: BIP-322 legacy.
    let a = mainnet("15CRxFdyRpGZLW9w8HnHvVduizdL5jKNbs");
    let sig =
        "IPojfrX2dfPnH26UegfbGQQLrdK844DlHq5157/P6h57WyuS/Qsl+h/WSVGDF4MUi4rWSswW38oimDYfNNUBUOk=";
    assert_eq!(
        bip322::verify(b"Trust no one", &a, sig),
        Ok(Bip322Variant::Legacy)
    );
    assert!(matches!(
        bip322::verify(b"I never signed this", &a, sig),
        Err(SchemeError::AddressMismatch { .. })
    ));
    // The device's P2PKH address and its SIGN_MESSAGE.
    let r = &speculos("btc-signmessage-short-44.json")["result"];
    let device = mainnet(
        speculos("btc-address-pkh-0-0.json")["result"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        bip322::verify(
            s(r, "message").as_bytes(),
            &device,
            s(r, "signature_base64")
        ),
        Ok(Bip322Variant::Legacy)
    );
    // Legacy is P2PKH only: the same BIP-137 form for a P2WPKH address is not BIP-322.
    let r = &speculos("btc-signmessage-short-84.json")["result"];
    let wpkh = mainnet(
        speculos("btc-address-wpkh-0-0.json")["result"]
            .as_str()
            .unwrap(),
    );
    assert!(bip322::verify(s(r, "message").as_bytes(), &wpkh, s(r, "signature_base64")).is_err());
    // A prefixed 65-byte payload is not legacy either.
    assert!(bip322::verify(b"Trust no one", &a, &format!("smp{sig}")).is_err());
    assert!(bip322::verify(b"Trust no one", &a, &format!("ful{sig}")).is_err());
}

#[test]
fn malformed_inputs_fail_with_typed_errors() {
    let a = mainnet("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l");
    assert_eq!(
        bip322::verify(b"", &a, ""),
        Err(SchemeError::Bip322TooShort)
    );
    assert_eq!(
        bip322::verify(b"", &a, "smp"),
        Err(SchemeError::Bip322TooShort)
    );
    assert_eq!(
        bip322::verify(b"", &a, "ful"),
        Err(SchemeError::Bip322TooShort)
    );
    assert_eq!(
        bip322::verify(b"", &a, "pof"),
        Err(SchemeError::Bip322TooShort)
    );
    assert!(matches!(
        bip322::verify(b"", &a, "pofAAAA"),
        Err(SchemeError::Bip322ParsePof(_))
    ));
    assert!(matches!(
        bip322::verify(b"", &a, "smp/w=="),
        Err(SchemeError::Bip322ParseSimple(_))
    ));
    assert!(matches!(
        bip322::verify(b"", &a, &"A".repeat(500_000)),
        Err(SchemeError::SignatureLength { .. })
    ));
}

pub(crate) mod batch;
/// Proofs built here with rust-bitcoin's sighash code, to reach the rules the official vectors
/// do not exercise (they only have valid proofs and wrong-message/wrong-signer errors).
pub(crate) mod build;
mod constructed;
/// BIP-322 rules beyond consensus (policy interpreter): each proof here passes libbitcoinconsensus.
mod policy;
/// Time locks of full proofs: reported, never dropped.
mod timelock;
