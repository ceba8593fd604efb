//! BIP-322 known answers: the official basic and generated vectors (bitcoin/bips, v2.0.0), the
//! pre-2026 unprefixed vectors, the Ledger SIGN_PSBT transcripts, and legacy P2PKH.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::Hash;
use porsign::scheme::bip322::{self, Bip322Variant};
use porsign::scheme::{parse_btc_address, BitcoinNetwork, SchemeError};

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

/// Proofs built here with rust-bitcoin's sighash code, to reach the rules the official vectors
/// do not exercise (they only have valid proofs and wrong-message/wrong-signer errors).
mod constructed {
    use base64::Engine as _;
    use bitcoin::key::{Keypair, TapTweak};
    use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
    use bitcoin::taproot::{LeafVersion, TaprootBuilder};
    use bitcoin::{Address, Amount, CompressedPublicKey, Network, ScriptBuf, Witness};
    use porsign::scheme::bip322::{self, Bip322Variant};
    use porsign::scheme::SchemeError;
    use secp256k1::{Message, SecretKey, SECP256K1};

    const MSG: &[u8] = b"porsign constructed proof";

    fn encode(prefix: &str, w: &Witness) -> String {
        let bytes = bitcoin::consensus::serialize(w);
        format!(
            "{prefix}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    fn key() -> SecretKey {
        SecretKey::from_slice(&[0x11; 32]).unwrap()
    }

    /// A P2WPKH simple proof with the given hash type, optionally with s flipped to high.
    fn p2wpkh_proof(ty: EcdsaSighashType, high_s: bool) -> (Address, String) {
        let pk = CompressedPublicKey(key().public_key(SECP256K1));
        let address = Address::p2wpkh(&pk, Network::Bitcoin);
        let spend = bip322::to_spend(MSG, &address.script_pubkey());
        let sign = bip322::to_sign(&spend);
        let sighash = SighashCache::new(&sign)
            .p2wpkh_signature_hash(0, &address.script_pubkey(), Amount::ZERO, ty)
            .unwrap();
        let mut sig = SECP256K1.sign_ecdsa(&Message::from(sighash), &key());
        if high_s {
            let mut compact = sig.serialize_compact();
            let neg = SecretKey::from_slice(&compact[32..]).unwrap().negate();
            compact[32..].copy_from_slice(&neg.secret_bytes());
            sig = secp256k1::ecdsa::Signature::from_compact(&compact).unwrap();
        }
        let mut der = sig.serialize_der().to_vec();
        der.push(ty.to_u32() as u8);
        let w = Witness::from_slice(&[der, pk.to_bytes().to_vec()]);
        (address, encode("smp", &w))
    }

    #[test]
    fn p2sh_p2wpkh_simple_proof_of_pre_1_0_signers() {
        // Pre-1.0 BIP-322 allowed simple proofs for P2SH-wrapped segwit: the witness alone,
        // the redeem script implied by the pubkey.
        let pk = CompressedPublicKey(key().public_key(SECP256K1));
        let address = Address::p2shwpkh(&pk, Network::Bitcoin);
        let spend = bip322::to_spend(MSG, &address.script_pubkey());
        let sign = bip322::to_sign(&spend);
        let wpkh_spk = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash());
        let sighash = SighashCache::new(&sign)
            .p2wpkh_signature_hash(0, &wpkh_spk, Amount::ZERO, EcdsaSighashType::All)
            .unwrap();
        let sig = SECP256K1.sign_ecdsa(&Message::from(sighash), &key());
        let mut der = sig.serialize_der().to_vec();
        der.push(0x01);
        let w = Witness::from_slice(&[der, pk.to_bytes().to_vec()]);
        for prefix in ["", "smp"] {
            assert_eq!(
                bip322::verify(MSG, &address, &encode(prefix, &w)),
                Ok(Bip322Variant::Simple)
            );
        }
        // The native address of the same key needs its own sighash: this witness fails there.
        let native = Address::p2wpkh(&pk, Network::Bitcoin);
        assert!(matches!(
            bip322::verify(MSG, &native, &encode("smp", &w)),
            Err(SchemeError::Bip322Invalid(_))
        ));
        // Another P2SH address: no redeem script implied by the witness hashes to it.
        let other = Address::p2shwpkh(
            &CompressedPublicKey(
                SecretKey::from_slice(&[0x22; 32])
                    .unwrap()
                    .public_key(SECP256K1),
            ),
            Network::Bitcoin,
        );
        assert!(matches!(
            bip322::verify(MSG, &other, &encode("smp", &w)),
            Err(SchemeError::Bip322Invalid(_))
        ));
    }

    #[test]
    fn ecdsa_sighash_all_low_s_only() {
        let (a, sig) = p2wpkh_proof(EcdsaSighashType::All, false);
        assert_eq!(bip322::verify(MSG, &a, &sig), Ok(Bip322Variant::Simple));
        // Consensus accepts these two; BIP-322's required rules do not.
        let (a, sig) = p2wpkh_proof(EcdsaSighashType::None, false);
        let got = bip322::verify(MSG, &a, &sig);
        assert!(
            matches!(got, Err(SchemeError::Bip322Invalid(ref m)) if m.contains("SIGHASH_ALL")),
            "{got:?}"
        );
        let (a, sig) = p2wpkh_proof(EcdsaSighashType::All, true);
        let got = bip322::verify(MSG, &a, &sig);
        assert!(
            matches!(got, Err(SchemeError::Bip322Invalid(ref m)) if m.contains("LOW_S")),
            "{got:?}"
        );
    }

    #[test]
    fn taproot_key_path_hash_types() {
        let kp = Keypair::from_secret_key(SECP256K1, &key());
        let (internal, _) = kp.x_only_public_key();
        let address = Address::p2tr(SECP256K1, internal, None, Network::Bitcoin);
        let spend = bip322::to_spend(MSG, &address.script_pubkey());
        let sign = bip322::to_sign(&spend);
        let tweaked = kp.tap_tweak(SECP256K1, None).to_keypair();
        for (ty, ok) in [
            (TapSighashType::Default, true),
            (TapSighashType::All, true),
            (TapSighashType::Single, false),
            (TapSighashType::AllPlusAnyoneCanPay, false),
        ] {
            let sighash = SighashCache::new(&sign)
                .taproot_key_spend_signature_hash(0, &Prevouts::All(&spend.output), ty)
                .unwrap();
            let sig = SECP256K1.sign_schnorr_no_aux_rand(&Message::from(sighash), &tweaked);
            let mut bytes = sig.as_ref().to_vec();
            if ty != TapSighashType::Default {
                bytes.push(ty as u8);
            }
            let proof = encode("smp", &Witness::from_slice(&[bytes]));
            let got = bip322::verify(MSG, &address, &proof);
            if ok {
                assert_eq!(got, Ok(Bip322Variant::Simple), "{ty:?}");
            } else {
                assert!(
                    matches!(got, Err(SchemeError::Bip322Invalid(_))),
                    "{ty:?}: {got:?}"
                );
            }
        }
    }

    /// A script-path proof for a one-leaf tree.
    fn script_path(leaf: ScriptBuf, version: LeafVersion) -> (Address, String) {
        let internal = Keypair::from_secret_key(SECP256K1, &key())
            .x_only_public_key()
            .0;
        let info = TaprootBuilder::new()
            .add_leaf_with_ver(0, leaf.clone(), version)
            .unwrap()
            .finalize(SECP256K1, internal)
            .unwrap();
        let control = info.control_block(&(leaf.clone(), version)).unwrap();
        let address = Address::p2tr_tweaked(info.output_key(), Network::Bitcoin);
        let w = Witness::from_slice(&[leaf.to_bytes(), control.serialize()]);
        (address, encode("smp", &w))
    }

    #[test]
    fn tapscript_upgrade_hooks_are_inconclusive() {
        // OP_TRUE in a known leaf version: anyone can spend, so anyone can sign (valid).
        let (a, sig) = script_path(ScriptBuf::from_bytes(vec![0x51]), LeafVersion::TapScript);
        assert_eq!(bip322::verify(MSG, &a, &sig), Ok(Bip322Variant::Simple));
        // OP_SUCCESS80 and an unknown leaf version pass consensus today: inconclusive.
        let (a, sig) = script_path(ScriptBuf::from_bytes(vec![0x50]), LeafVersion::TapScript);
        assert!(matches!(
            bip322::verify(MSG, &a, &sig),
            Err(SchemeError::Bip322Unsupported(_))
        ));
        let (a, sig) = script_path(
            ScriptBuf::from_bytes(vec![0x51]),
            LeafVersion::from_consensus(0xc2).unwrap(),
        );
        assert!(matches!(
            bip322::verify(MSG, &a, &sig),
            Err(SchemeError::Bip322Unsupported(_))
        ));
    }

    #[test]
    fn future_witness_programs_are_inconclusive() {
        let (_, sig) = p2wpkh_proof(EcdsaSighashType::All, false);
        // Witness v2, and pay-to-anchor (v1, 2 bytes): consensus would let anything through.
        let v2 = "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs";
        let p2a = bitcoin::Address::from_script(
            &ScriptBuf::from_hex("51024e73").unwrap(),
            Network::Bitcoin,
        )
        .unwrap()
        .to_string();
        for a in [v2, p2a.as_str()] {
            let a = porsign::scheme::parse_btc_address(a, porsign::scheme::BitcoinNetwork::Mainnet)
                .unwrap();
            assert!(
                matches!(
                    bip322::verify(MSG, &a, &sig),
                    Err(SchemeError::Bip322Unsupported(_))
                ),
                "{a}"
            );
        }
    }

    #[test]
    fn full_shape_checks() {
        let (a, sig) = p2wpkh_proof(EcdsaSighashType::All, false);
        let witness: Witness = bitcoin::consensus::deserialize(
            &base64::engine::general_purpose::STANDARD
                .decode(sig.trim_start_matches("smp"))
                .unwrap(),
        )
        .unwrap();
        let spend = bip322::to_spend(MSG, &a.script_pubkey());
        let mut tx = bip322::to_sign(&spend);
        tx.input[0].witness = witness;
        let full = |tx: &bitcoin::Transaction| {
            format!(
                "ful{}",
                base64::engine::general_purpose::STANDARD.encode(bitcoin::consensus::serialize(tx))
            )
        };
        assert_eq!(bip322::verify(MSG, &a, &full(&tx)), Ok(Bip322Variant::Full));
        // Version 1: upgradeable rule -> inconclusive (checked before the signature).
        let mut v1 = tx.clone();
        v1.version = bitcoin::transaction::Version(1);
        assert!(matches!(
            bip322::verify(MSG, &a, &full(&v1)),
            Err(SchemeError::Bip322Unsupported(_))
        ));
        // A second output, a non-zero output, another prevout: invalid.
        let mut two = tx.clone();
        two.output.push(two.output[0].clone());
        let mut paid = tx.clone();
        paid.output[0].value = Amount::from_sat(1);
        let mut elsewhere = tx.clone();
        elsewhere.input[0].previous_output.vout = 1;
        for bad in [two, paid, elsewhere] {
            assert!(matches!(
                bip322::verify(MSG, &a, &full(&bad)),
                Err(SchemeError::Bip322Invalid(_))
            ));
        }
    }
}
