//! Proofs built here with rust-bitcoin's sighash code, to reach the rules the official vectors
//! do not exercise (they only have valid proofs and wrong-message/wrong-signer errors).
#![allow(clippy::indexing_slicing)]

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
    let p2a =
        bitcoin::Address::from_script(&ScriptBuf::from_hex("51024e73").unwrap(), Network::Bitcoin)
            .unwrap()
            .to_string();
    for a in [v2, p2a.as_str()] {
        let a = porsign::scheme::parse_btc_address(a, porsign::model::Network::Mainnet).unwrap();
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
