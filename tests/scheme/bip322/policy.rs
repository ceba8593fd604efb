//! Proofs that libbitcoinconsensus accepts but BIP-322's required rules (Bitcoin Core's standard
//! script flags) refuse: each must be invalid, or inconclusive for the upgradable rules. Every
//! case has a control proof that differs only in the broken rule and is accepted, so a failure
//! is the rule's doing.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::Hash;
use bitcoin::key::Keypair;
use bitcoin::opcodes::all::*;
use bitcoin::script::Builder;
use bitcoin::{Address, Network, Script, ScriptBuf};
use porsign::scheme::bip322::{self, Bip322Variant};
use porsign::scheme::SchemeError;
use secp256k1::SECP256K1;

use super::build::*;

#[track_caller]
fn assert_invalid(got: Result<Bip322Variant, SchemeError>, rule: &str) {
    assert!(
        matches!(&got, Err(SchemeError::Bip322Invalid(m)) if m.contains(rule)),
        "expected invalid ({rule}), got {got:?}"
    );
}

/// A full legacy proof for `address` whose scriptSig is `[OP_1] <sig over code> <last>`.
fn legacy_proof(address: &Address, code: &Script, key: u8, extra: bool, last: &[u8]) -> String {
    let mut tx = to_sign(address, 0, 0, 0);
    let sig = sign_legacy(&tx, code, &sk(key));
    let mut b = Builder::new();
    if extra {
        b = b.push_int(1);
    }
    tx.input[0].script_sig = b
        .push_slice(push(&sig))
        .push_slice(push(last))
        .into_script();
    full(&tx)
}

/// A full proof for the P2SH address of `redeem`, signed by `key`, optionally with an extra OP_1
/// under the signature.
fn p2sh_proof(redeem: &ScriptBuf, key: u8, extra: bool) -> (Address, String) {
    let address = Address::p2sh(redeem, Network::Bitcoin).unwrap();
    let proof = legacy_proof(&address, redeem, key, extra, redeem.as_bytes());
    (address, proof)
}

/// CLEANSTACK for P2SH: an extra OP_1 under the signature stays on the stack.
#[test]
fn p2sh_spend_must_leave_a_clean_stack() {
    let redeem = checksig(&pk(1).serialize());
    let proof = |extra| p2sh_proof(&redeem, 1, extra).1;
    let address = p2sh_proof(&redeem, 1, false).0;
    assert_eq!(
        bip322::verify(MSG, &address, &proof(false)),
        Ok(Bip322Variant::Full)
    );
    assert_invalid(bip322::verify(MSG, &address, &proof(true)), "CLEANSTACK");
}

/// CLEANSTACK for a bare legacy spend (P2PKH): `OP_1 <sig> <pubkey>`.
#[test]
fn legacy_spend_must_leave_a_clean_stack() {
    let key = bitcoin::CompressedPublicKey(pk(2));
    let address = Address::p2pkh(key, Network::Bitcoin);
    let spk = address.script_pubkey();
    let proof = |extra| legacy_proof(&address, &spk, 2, extra, &key.to_bytes());
    assert_eq!(
        bip322::verify(MSG, &address, &proof(false)),
        Ok(Bip322Variant::Full)
    );
    assert_invalid(bip322::verify(MSG, &address, &proof(true)), "CLEANSTACK");
}

/// A tapscript key that is neither 32 bytes nor empty is an upgrade hook: any non-empty
/// signature passes for it today, so nobody is proven to own the address (inconclusive).
#[test]
fn tapscript_key_of_unknown_type_is_inconclusive() {
    let signer = Keypair::from_secret_key(SECP256K1, &sk(3));
    // Control: a 32-byte key and its real signature.
    let leaf = checksig(&signer.x_only_public_key().0.serialize());
    let (address, control, sig) = tapscript(&leaf, &signer);
    let proof = simple(&[sig, leaf.to_bytes(), control]);
    assert_eq!(
        bip322::verify(MSG, &address, &proof),
        Ok(Bip322Variant::Simple)
    );

    // A 33-byte key in the leaf, "signed" with 64 arbitrary bytes.
    let leaf = checksig(&pk(3).serialize());
    let (address, control, _) = tapscript(&leaf, &signer);
    let proof = simple(&[vec![0x01; 64], leaf.to_bytes(), control]);
    let got = bip322::verify(MSG, &address, &proof);
    assert!(
        matches!(&got, Err(SchemeError::Bip322Unsupported(m)) if m.contains("public key of unknown type")),
        "{got:?}"
    );

    // The same with the key taken from the witness instead of the leaf.
    let leaf = Builder::new().push_opcode(OP_CHECKSIG).into_script();
    let (address, control, _) = tapscript(&leaf, &signer);
    let proof = simple(&[vec![0x01; 64], vec![0x02; 20], leaf.to_bytes(), control]);
    let got = bip322::verify(MSG, &address, &proof);
    assert!(
        matches!(&got, Err(SchemeError::Bip322Unsupported(m)) if m.contains("public key of unknown type")),
        "{got:?}"
    );
}

/// WITNESS_PUBKEYTYPE: segwit v0 scripts take compressed keys only.
#[test]
fn segwit_v0_uncompressed_key_is_invalid() {
    for (key, ok) in [
        (pk(4).serialize().to_vec(), true),
        (pk(4).serialize_uncompressed().to_vec(), false),
    ] {
        // P2WSH `<key> CHECKSIG`.
        let ws = checksig(&key);
        let address = p2wsh(&ws);
        let tx = to_sign(&address, 0, 0, 0);
        let p2wsh_proof = simple(&[sign_v0(&tx, &ws, &sk(4)), ws.to_bytes()]);
        // P2WPKH of the key's hash: no wallet makes one for an uncompressed key, but the output
        // script can be written.
        let spk = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::hash(&key));
        let wpkh = Address::from_script(&spk, Network::Bitcoin).unwrap();
        let tx = to_sign(&wpkh, 0, 0, 0);
        let code = spk.p2wpkh_script_code().unwrap();
        let wpkh_proof = simple(&[sign_v0(&tx, &code, &sk(4)), key.clone()]);
        for (address, proof) in [(address, p2wsh_proof), (wpkh, wpkh_proof)] {
            let got = bip322::verify(MSG, &address, &proof);
            if ok {
                assert_eq!(got, Ok(Bip322Variant::Simple));
            } else {
                assert_invalid(got, "WITNESS_PUBKEYTYPE");
            }
        }
    }
}

/// NULLFAIL: a signature check that fails must have been given an empty signature. Here the
/// failing CHECKSIG sits in a NOTIF branch whose result is inverted: consensus lets anyone
/// "sign" with any well-formed signature.
#[test]
fn failed_check_with_non_empty_signature_is_invalid() {
    let ws = Builder::new()
        .push_opcode(OP_NOTIF)
        .push_slice(push(&pk(5).serialize()))
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_NOT)
        .push_opcode(OP_ELSE)
        .push_slice(push(&pk(6).serialize()))
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ENDIF)
        .into_script();
    let address = p2wsh(&ws);
    let control = simple(&[vec![], vec![], ws.to_bytes()]);
    assert_eq!(
        bip322::verify(MSG, &address, &control),
        Ok(Bip322Variant::Simple)
    );
    let proof = simple(&[wrong_sig(&sk(5)), vec![], ws.to_bytes()]);
    assert_invalid(bip322::verify(MSG, &address, &proof), "NULLFAIL");
}

/// MINIMALIF: the IF argument must be empty or exactly 0x01.
#[test]
fn non_minimal_if_argument_is_invalid() {
    let ws = Builder::new()
        .push_opcode(OP_IF)
        .push_slice(push(&pk(7).serialize()))
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ELSE)
        .push_int(0)
        .push_opcode(OP_ENDIF)
        .into_script();
    let address = p2wsh(&ws);
    let tx = to_sign(&address, 0, 0, 0);
    let sig = sign_v0(&tx, &ws, &sk(7));
    let ok = simple(&[sig.clone(), vec![0x01], ws.to_bytes()]);
    assert_eq!(
        bip322::verify(MSG, &address, &ok),
        Ok(Bip322Variant::Simple)
    );
    let proof = simple(&[sig, vec![0x02], ws.to_bytes()]);
    assert_invalid(bip322::verify(MSG, &address, &proof), "MINIMALIF");
}

/// MINIMALDATA also covers numbers taken from the witness: 0x0100 is a non-minimal 1.
#[test]
fn non_minimal_number_operand_is_invalid() {
    let ws = Builder::new()
        .push_opcode(OP_1ADD)
        .push_int(2)
        .push_opcode(OP_EQUALVERIFY)
        .push_slice(push(&pk(8).serialize()))
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let address = p2wsh(&ws);
    let tx = to_sign(&address, 0, 0, 0);
    let sig = sign_v0(&tx, &ws, &sk(8));
    let ok = simple(&[sig.clone(), vec![0x01], ws.to_bytes()]);
    assert_eq!(
        bip322::verify(MSG, &address, &ok),
        Ok(Bip322Variant::Simple)
    );
    let proof = simple(&[sig, vec![0x01, 0x00], ws.to_bytes()]);
    assert_invalid(bip322::verify(MSG, &address, &proof), "SCRIPTNUM");
}

/// The required rules come before the upgradable ones: a proof that breaks CLEANSTACK is
/// invalid even when it also executes a NOP reserved for upgrades.
#[test]
fn required_rules_win_over_upgradable_ones() {
    let redeem = Builder::new()
        .push_opcode(OP_NOP4)
        .push_slice(push(&pk(9).serialize()))
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let proof = |extra| p2sh_proof(&redeem, 9, extra).1;
    let address = p2sh_proof(&redeem, 9, false).0;
    assert!(matches!(
        bip322::verify(MSG, &address, &proof(false)),
        Err(SchemeError::Bip322Unsupported(_))
    ));
    assert_invalid(bip322::verify(MSG, &address, &proof(true)), "CLEANSTACK");
}

/// BIP-322 states MINIMALIF for every IF/NOTIF, not only in segwit v0 as Core's flag does: a
/// P2SH script fed 0x02 is invalid too.
#[test]
fn non_minimal_if_argument_in_p2sh_is_invalid() {
    let redeem = Builder::new()
        .push_opcode(OP_IF)
        .push_slice(push(&pk(10).serialize()))
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ELSE)
        .push_int(0)
        .push_opcode(OP_ENDIF)
        .into_script();
    let address = Address::p2sh(&redeem, Network::Bitcoin).unwrap();
    // The IF argument as a minimal push: OP_1 (control), OP_2, and the 2-byte 0x0100.
    let proof = |arg: Builder| {
        let mut tx = to_sign(&address, 0, 0, 0);
        let sig = sign_legacy(&tx, &redeem, &sk(10));
        let mut script_sig = Builder::new()
            .push_slice(push(&sig))
            .into_script()
            .into_bytes();
        script_sig.extend(arg.into_script().into_bytes());
        script_sig.extend(
            Builder::new()
                .push_slice(push(redeem.as_bytes()))
                .into_script()
                .into_bytes(),
        );
        tx.input[0].script_sig = ScriptBuf::from_bytes(script_sig);
        full(&tx)
    };
    assert_eq!(
        bip322::verify(MSG, &address, &proof(Builder::new().push_int(1))),
        Ok(Bip322Variant::Full)
    );
    assert_invalid(
        bip322::verify(MSG, &address, &proof(Builder::new().push_int(2))),
        "MINIMALIF",
    );
    assert_invalid(
        bip322::verify(MSG, &address, &proof(Builder::new().push_slice([1u8, 0]))),
        "MINIMALIF",
    );
}

/// The taproot annex is reserved for upgrades: a key-path proof that carries one (and signs
/// it, so consensus accepts it) is inconclusive.
#[test]
fn taproot_annex_is_inconclusive() {
    use bitcoin::key::TapTweak;
    use bitcoin::sighash::{Annex, Prevouts, SighashCache, TapSighashType};
    let kp = Keypair::from_secret_key(SECP256K1, &sk(11));
    let address = Address::p2tr(SECP256K1, kp.x_only_public_key().0, None, Network::Bitcoin);
    let tx = to_sign(&address, 0, 0, 0);
    let spend = bip322::to_spend(MSG, &address.script_pubkey());
    let annex = vec![0x50, 0x00];
    let sign = |annex: Option<&[u8]>| {
        let h = SighashCache::new(&tx)
            .taproot_signature_hash(
                0,
                &Prevouts::All(&spend.output),
                annex.map(|a| Annex::new(a).unwrap()),
                None,
                TapSighashType::Default,
            )
            .unwrap();
        let tweaked = kp.tap_tweak(SECP256K1, None).to_keypair();
        SECP256K1
            .sign_schnorr_no_aux_rand(&secp256k1::Message::from(h), &tweaked)
            .as_ref()
            .to_vec()
    };
    let ok = simple(&[sign(None)]);
    assert_eq!(
        bip322::verify(MSG, &address, &ok),
        Ok(Bip322Variant::Simple)
    );
    let proof = simple(&[sign(Some(&annex)), annex.clone()]);
    let got = bip322::verify(MSG, &address, &proof);
    assert!(
        matches!(&got, Err(SchemeError::Bip322Unsupported(m)) if m.contains("annex")),
        "{got:?}"
    );
}
