//! porsign's batch proof (`bip322-batch`): known answers from the real Ledger app's batch
//! SIGN_PSBT transcripts, checked by a second route (rust-bitcoin's sighash cache and secp256k1
//! directly), and the attacks a batch must refuse.
#![allow(clippy::indexing_slicing)]

use base64::Engine as _;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::{Address, CompressedPublicKey, Network, ScriptBuf, Witness};
use porsign::scheme::bip322::batch::{self, BatchError};
use secp256k1::{Message, SECP256K1};

use super::super::speculos;
use super::build::{pk, sk};

const MSG: &[u8] = b"porsign batch test message";

fn addresses_of(fixture: &serde_json::Value) -> Vec<Address> {
    fixture["result"]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a[1].as_str()
                .unwrap()
                .parse::<Address<bitcoin::address::NetworkUnchecked>>()
                .unwrap()
                .require_network(Network::Bitcoin)
                .unwrap()
        })
        .collect()
}

/// The real app signed the PSBT that the recording script built independently: our
/// construction gives the same transaction (txid and every outpoint), every signature the app
/// returned verifies against rust-bitcoin's sighash for its input, and our batch verifier
/// accepts the proofs made from them.
#[test]
fn ledger_batch_transcripts_are_known_answers() {
    for (name, kind) in [
        ("btc-batch-wpkh-3.json", "wpkh"),
        ("btc-batch-pkh-3.json", "pkh"),
        ("btc-batch-tr-3.json", "tr"),
    ] {
        let f = speculos(name);
        let message = f["message"].as_str().unwrap().as_bytes();
        let addresses = addresses_of(&f);
        let spks: Vec<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
        let psbt_bytes = base64::engine::general_purpose::STANDARD
            .decode(f["psbt"].as_str().unwrap())
            .unwrap();
        let psbt = bitcoin::Psbt::deserialize(&psbt_bytes).unwrap();
        // The transcripts use BIP-322's empty OP_RETURN; bundles use the tagged one.
        let empty = ScriptBuf::from_hex("6a").unwrap();
        let (ours, prevouts) = batch::to_sign_with_output(message, &spks, empty.clone());
        assert_eq!(ours, psbt.unsigned_tx, "{name}");
        let spend_txids: Vec<String> = f["result"]["to_spend_txids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        for (i, txin) in ours.input.iter().enumerate() {
            assert_eq!(
                txin.previous_output.txid.to_string(),
                spend_txids[i],
                "{name} {i}"
            );
        }

        let mut cache = SighashCache::new(&ours);
        let mut proofs = Vec::new();
        for (i, sig) in f["result"]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(sig[0], i);
            let pubkey = hex::decode(sig[1]["pubkey"].as_str().unwrap()).unwrap();
            let signature = hex::decode(sig[1]["signature"].as_str().unwrap()).unwrap();
            match kind {
                "wpkh" | "pkh" => {
                    let key = secp256k1::PublicKey::from_slice(&pubkey).unwrap();
                    let (der, hash_type) = signature.split_at(signature.len() - 1);
                    assert_eq!(hash_type, [EcdsaSighashType::All as u8]);
                    let digest = if kind == "wpkh" {
                        cache
                            .p2wpkh_signature_hash(
                                i,
                                &spks[i],
                                bitcoin::Amount::ZERO,
                                EcdsaSighashType::All,
                            )
                            .unwrap()
                            .to_byte_array()
                    } else {
                        cache
                            .legacy_signature_hash(i, &spks[i], EcdsaSighashType::All.to_u32())
                            .unwrap()
                            .to_byte_array()
                    };
                    let ecdsa = secp256k1::ecdsa::Signature::from_der(der).unwrap();
                    SECP256K1
                        .verify_ecdsa(&Message::from_digest(digest), &ecdsa, &key)
                        .unwrap_or_else(|e| panic!("{name} input {i}: {e}"));
                    proofs.push(if kind == "wpkh" {
                        batch::encode_input(
                            &ScriptBuf::new(),
                            &Witness::from_slice(&[signature, pubkey]),
                        )
                    } else {
                        let script_sig = bitcoin::script::Builder::new()
                            .push_slice(
                                <&bitcoin::script::PushBytes>::try_from(signature.as_slice())
                                    .unwrap(),
                            )
                            .push_slice(
                                <&bitcoin::script::PushBytes>::try_from(pubkey.as_slice()).unwrap(),
                            )
                            .into_script();
                        batch::encode_input(&script_sig, &Witness::new())
                    });
                }
                _ => {
                    // Key path: the app names the output key (the BIP-86 tweak of its key),
                    // which is the address's witness program.
                    let output_key = secp256k1::XOnlyPublicKey::from_slice(&pubkey).unwrap();
                    assert_eq!(&spks[i].as_bytes()[2..], pubkey.as_slice());
                    assert_eq!(signature.len(), 64, "SIGHASH_DEFAULT");
                    let digest = cache
                        .taproot_key_spend_signature_hash(
                            i,
                            &Prevouts::All(&prevouts),
                            TapSighashType::Default,
                        )
                        .unwrap()
                        .to_byte_array();
                    let schnorr = secp256k1::schnorr::Signature::from_slice(&signature).unwrap();
                    SECP256K1
                        .verify_schnorr(&schnorr, &Message::from_digest(digest), &output_key)
                        .unwrap_or_else(|e| panic!("{name} input {i}: {e}"));
                    proofs.push(batch::encode_input(
                        &ScriptBuf::new(),
                        &Witness::from_slice(&[signature]),
                    ));
                }
            }
        }
        let refs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let id = ours.compute_txid().to_string();
        let verdicts = batch::verify_with_output(message, empty, &id, &addresses, &refs).unwrap();
        assert!(verdicts.iter().all(Result::is_ok), "{name}: {verdicts:?}");
        // The same signatures do not prove the batch with porsign's tagged output.
        let tagged_id = batch::batch_id(message, &spks).to_string();
        let verdicts = batch::verify(message, &tagged_id, &addresses, &refs).unwrap();
        assert!(verdicts.iter().all(Result::is_err), "{name}: {verdicts:?}");
    }
}

/// A software-signed batch of every single-key type, as the signer would produce it.
pub(crate) struct Batch {
    pub addresses: Vec<Address>,
    pub proofs: Vec<String>,
    pub id: String,
}

pub(crate) fn signed_batch(message: &[u8], seeds: &[(u8, &str)], hash_byte: Option<u8>) -> Batch {
    let mut addresses = Vec::new();
    for &(n, kind) in seeds {
        let key = CompressedPublicKey(pk(n));
        addresses.push(match kind {
            "wpkh" => Address::p2wpkh(&key, Network::Bitcoin),
            "sh-wpkh" => Address::p2shwpkh(&key, Network::Bitcoin),
            "pkh" => Address::p2pkh(key, Network::Bitcoin),
            _ => Address::p2tr(
                SECP256K1,
                key.0.x_only_public_key().0,
                None,
                Network::Bitcoin,
            ),
        });
    }
    let spks: Vec<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
    let (tx, prevouts) = batch::to_sign(message, &spks);
    let mut cache = SighashCache::new(&tx);
    let ecdsa_type = hash_byte.unwrap_or(EcdsaSighashType::All as u8);
    let mut proofs = Vec::new();
    for (i, &(n, kind)) in seeds.iter().enumerate() {
        let key = CompressedPublicKey(pk(n));
        let ecdsa = |digest: [u8; 32]| {
            let mut der = SECP256K1
                .sign_ecdsa(&Message::from_digest(digest), &sk(n))
                .serialize_der()
                .to_vec();
            der.push(ecdsa_type);
            der
        };
        let sighash_type = EcdsaSighashType::from_consensus(u32::from(ecdsa_type));
        proofs.push(match kind {
            "wpkh" | "sh-wpkh" => {
                let code = ScriptBuf::new_p2wpkh(&key.wpubkey_hash());
                let digest = cache
                    .p2wpkh_signature_hash(i, &code, bitcoin::Amount::ZERO, sighash_type)
                    .unwrap()
                    .to_byte_array();
                let witness = Witness::from_slice(&[ecdsa(digest), key.to_bytes().to_vec()]);
                let script_sig = if kind == "sh-wpkh" {
                    bitcoin::script::Builder::new()
                        .push_slice(
                            <&bitcoin::script::PushBytes>::try_from(code.as_bytes()).unwrap(),
                        )
                        .into_script()
                } else {
                    ScriptBuf::new()
                };
                batch::encode_input(&script_sig, &witness)
            }
            "pkh" => {
                let digest = cache
                    .legacy_signature_hash(i, &spks[i], u32::from(ecdsa_type))
                    .unwrap()
                    .to_byte_array();
                let sig = ecdsa(digest);
                let script_sig = bitcoin::script::Builder::new()
                    .push_slice(<&bitcoin::script::PushBytes>::try_from(sig.as_slice()).unwrap())
                    .push_slice(key.to_bytes())
                    .into_script();
                batch::encode_input(&script_sig, &Witness::new())
            }
            _ => {
                let keypair =
                    Keypair::from_secret_key(SECP256K1, &sk(n)).tap_tweak(SECP256K1, None);
                let tap_type = match hash_byte {
                    None => TapSighashType::Default,
                    Some(b) => TapSighashType::from_consensus_u8(b).unwrap(),
                };
                // SIGHASH_SINGLE of an input with no matching output has no BIP-341 digest:
                // any signature will do, none can be valid.
                let digest = cache
                    .taproot_key_spend_signature_hash(i, &Prevouts::All(&prevouts), tap_type)
                    .map_or([1; 32], |d| d.to_byte_array());
                let mut sig = SECP256K1
                    .sign_schnorr_no_aux_rand(&Message::from_digest(digest), &keypair.to_keypair())
                    .as_ref()
                    .to_vec();
                if tap_type != TapSighashType::Default {
                    sig.push(tap_type as u8);
                }
                batch::encode_input(&ScriptBuf::new(), &Witness::from_slice(&[sig]))
            }
        });
    }
    Batch {
        addresses,
        proofs,
        id: tx.compute_txid().to_string(),
    }
}

const MIXED: &[(u8, &str)] = &[
    (0x31, "pkh"),
    (0x32, "sh-wpkh"),
    (0x33, "wpkh"),
    (0x34, "tr"),
    (0x35, "wpkh"),
];

fn verdicts(b: &Batch, message: &[u8]) -> Result<Vec<bool>, BatchError> {
    let refs: Vec<&str> = b.proofs.iter().map(String::as_str).collect();
    batch::verify(message, &b.id, &b.addresses, &refs)
        .map(|v| v.iter().map(Result::is_ok).collect())
}

#[test]
fn a_signed_batch_of_every_single_key_type_verifies() {
    let b = signed_batch(MSG, MIXED, None);
    assert_eq!(verdicts(&b, MSG), Ok(vec![true; 5]));
    // Another message: every input fails (its to_spend and the tag differ).
    assert!(matches!(
        verdicts(&b, b"another message"),
        Err(BatchError::Id { .. })
    ));
}

#[test]
fn swapped_witnesses_fail() {
    let mut b = signed_batch(MSG, MIXED, None);
    b.proofs.swap(2, 4); // two P2WPKH inputs: each proof now sits at the other's input
    assert_eq!(verdicts(&b, MSG), Ok(vec![true, true, false, true, false]));
}

#[test]
fn reordered_dropped_added_or_moved_entries_fail() {
    let b = signed_batch(MSG, MIXED, None);
    let mut reordered = signed_batch(MSG, MIXED, None);
    reordered.addresses.swap(0, 1);
    reordered.proofs.swap(0, 1);
    assert!(matches!(
        verdicts(&reordered, MSG),
        Err(BatchError::Id { .. })
    ));

    let mut dropped = signed_batch(MSG, MIXED, None);
    dropped.addresses.pop();
    dropped.proofs.pop();
    assert!(matches!(
        verdicts(&dropped, MSG),
        Err(BatchError::Id { .. })
    ));

    // An entry moved in from another batch: its proof was made for that batch's transaction.
    let other = signed_batch(MSG, &[(0x41, "wpkh"), (0x42, "wpkh")], None);
    let mut moved = signed_batch(MSG, MIXED, None);
    moved.addresses.push(other.addresses[0].clone());
    moved.proofs.push(other.proofs[0].clone());
    assert!(matches!(verdicts(&moved, MSG), Err(BatchError::Id { .. })));
    // ... even when the id is recomputed for the new list, every signature is now wrong.
    let spks: Vec<ScriptBuf> = moved.addresses.iter().map(Address::script_pubkey).collect();
    moved.id = batch::batch_id(MSG, &spks).to_string();
    assert_eq!(verdicts(&moved, MSG), Ok(vec![false; 6]));

    // The same address twice.
    let mut twice = signed_batch(MSG, MIXED, None);
    twice.addresses[1] = twice.addresses[0].clone();
    assert!(matches!(
        verdicts(&twice, MSG),
        Err(BatchError::RepeatedAddress { .. })
    ));
    assert_eq!(verdicts(&b, MSG), Ok(vec![true; 5]));
}

#[test]
fn sighash_types_other_than_all_or_default_fail() {
    // ALL|ANYONECANPAY would let an input be moved into another transaction; NONE and SINGLE
    // would not commit to the tagged output.
    for bad in [0x81u8, 0x02, 0x03] {
        let b = signed_batch(MSG, MIXED, Some(bad));
        let v = verdicts(&b, MSG).unwrap();
        assert!(v.iter().all(|ok| !ok), "hash type {bad:#04x}: {v:?}");
    }
    // Explicit SIGHASH_ALL is accepted for every type (Schnorr: the 65-byte form).
    let b = signed_batch(MSG, MIXED, Some(0x01));
    assert_eq!(verdicts(&b, MSG), Ok(vec![true; 5]));
}

#[test]
fn an_extra_input_cannot_be_smuggled_in() {
    // The transaction is rebuilt from the addresses and the message alone: a proof cannot name
    // a real outpoint. A full transaction with an extra input spending a real coin, its input
    // proof put at position 0, does not verify as this batch's input.
    let b = signed_batch(MSG, &[(0x51, "wpkh")], None);
    let spks = vec![b.addresses[0].script_pubkey()];
    let (mut tx, _) = batch::to_sign(MSG, &spks);
    tx.input.push(bitcoin::TxIn {
        previous_output: bitcoin::OutPoint {
            txid: bitcoin::Txid::from_byte_array([7; 32]),
            vout: 1,
        },
        ..Default::default()
    });
    let id = tx.compute_txid().to_string();
    let refs: Vec<&str> = b.proofs.iter().map(String::as_str).collect();
    assert!(matches!(
        batch::verify(MSG, &id, &b.addresses, &refs),
        Err(BatchError::Id { .. })
    ));
}
