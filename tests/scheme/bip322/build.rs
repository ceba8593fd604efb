//! Building BIP-322 proofs in tests: `to_sign` with chosen version, lock time and sequence,
//! signed with secp256k1 test keys through rust-bitcoin's sighash code.
#![allow(clippy::indexing_slicing)]

use base64::Engine as _;
use bitcoin::key::Keypair;
use bitcoin::script::{Builder, PushBytes};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootBuilder};
use bitcoin::{
    absolute, transaction, Address, Amount, Network, Script, ScriptBuf, Sequence, Transaction,
    Witness,
};
use porsign::scheme::bip322;
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};

pub const MSG: &[u8] = b"porsign policy proof";

pub fn sk(n: u8) -> SecretKey {
    SecretKey::from_slice(&[n; 32]).unwrap()
}

pub fn pk(n: u8) -> PublicKey {
    sk(n).public_key(SECP256K1)
}

pub fn push(b: &[u8]) -> &PushBytes {
    b.try_into().unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `smp` proof of a witness.
pub fn simple(items: &[Vec<u8>]) -> String {
    format!(
        "smp{}",
        b64(&bitcoin::consensus::serialize(&Witness::from_slice(items)))
    )
}

/// A `ful` proof of a signed `to_sign`.
pub fn full(tx: &Transaction) -> String {
    format!("ful{}", b64(&bitcoin::consensus::serialize(tx)))
}

/// The `to_spend` output and the unsigned `to_sign` of MSG for `address`, with these fields.
pub fn to_sign(address: &Address, version: i32, lock_time: u32, sequence: u32) -> Transaction {
    let spend = bip322::to_spend(MSG, &address.script_pubkey());
    let mut tx = bip322::to_sign(&spend);
    tx.version = transaction::Version(version);
    tx.lock_time = absolute::LockTime::from_consensus(lock_time);
    tx.input[0].sequence = Sequence(sequence);
    tx
}

fn der_all(sig: secp256k1::ecdsa::Signature) -> Vec<u8> {
    let mut out = sig.serialize_der().to_vec();
    out.push(EcdsaSighashType::All as u8);
    out
}

/// A SIGHASH_ALL legacy signature of input 0 over `code`.
pub fn sign_legacy(tx: &Transaction, code: &Script, key: &SecretKey) -> Vec<u8> {
    let h = SighashCache::new(tx)
        .legacy_signature_hash(0, code, 1)
        .unwrap();
    der_all(SECP256K1.sign_ecdsa(&Message::from(h), key))
}

/// A SIGHASH_ALL segwit v0 signature of input 0 (spending 0 sats) over `code`.
pub fn sign_v0(tx: &Transaction, code: &Script, key: &SecretKey) -> Vec<u8> {
    let h = SighashCache::new(tx)
        .p2wsh_signature_hash(0, code, Amount::ZERO, EcdsaSighashType::All)
        .unwrap();
    der_all(SECP256K1.sign_ecdsa(&Message::from(h), key))
}

/// A DER SIGHASH_ALL signature by `key` of an unrelated digest: well-formed, but fails.
pub fn wrong_sig(key: &SecretKey) -> Vec<u8> {
    der_all(SECP256K1.sign_ecdsa(&Message::from_digest([0x5a; 32]), key))
}

pub fn p2wsh(ws: &ScriptBuf) -> Address {
    Address::p2wsh(ws, Network::Bitcoin)
}

/// A one-leaf taproot address for `leaf`, its control block, and a signature of input 0 by
/// `signer` for that leaf (SIGHASH_DEFAULT).
pub fn tapscript(leaf: &ScriptBuf, signer: &Keypair) -> (Address, Vec<u8>, Vec<u8>) {
    let internal = Keypair::from_secret_key(SECP256K1, &sk(0x31))
        .x_only_public_key()
        .0;
    let info = TaprootBuilder::new()
        .add_leaf(0, leaf.clone())
        .unwrap()
        .finalize(SECP256K1, internal)
        .unwrap();
    let control = info
        .control_block(&(leaf.clone(), LeafVersion::TapScript))
        .unwrap();
    let address = Address::p2tr_tweaked(info.output_key(), Network::Bitcoin);
    let tx = to_sign(&address, 0, 0, 0);
    let spend = bip322::to_spend(MSG, &address.script_pubkey());
    let h = SighashCache::new(&tx)
        .taproot_script_spend_signature_hash(
            0,
            &Prevouts::All(&spend.output),
            TapLeafHash::from_script(leaf, LeafVersion::TapScript),
            TapSighashType::Default,
        )
        .unwrap();
    let sig = SECP256K1.sign_schnorr_no_aux_rand(&Message::from(h), signer);
    (address, control.serialize(), sig.as_ref().to_vec())
}

/// `<key> OP_CHECKSIG`.
pub fn checksig(key: &[u8]) -> ScriptBuf {
    Builder::new()
        .push_slice(push(key))
        .push_opcode(bitcoin::opcodes::all::OP_CHECKSIG)
        .into_script()
}
