//! Micro-measure of BIP-322 verification: time to verify 1,000 simple proofs each of P2WPKH and
//! P2TR (key path), built here with test keys. Run with
//! `cargo run --release --example bip322_bench`.

use std::time::Instant;

use base64::Engine as _;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::{Address, Amount, CompressedPublicKey, Network, Witness};
use porsign::scheme::bip322;
use secp256k1::{Message, SecretKey, SECP256K1};

const N: usize = 1_000;
const MSG: &[u8] = b"porsign bench challenge";

fn encode(w: &Witness) -> String {
    let b = bitcoin::consensus::serialize(w);
    format!("smp{}", base64::engine::general_purpose::STANDARD.encode(b))
}

fn key(i: usize) -> SecretKey {
    let mut b = [0x01u8; 32];
    b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    SecretKey::from_slice(&b).expect("valid key")
}

fn p2wpkh(i: usize) -> (Address, String) {
    let sk = key(i);
    let pk = CompressedPublicKey(sk.public_key(SECP256K1));
    let address = Address::p2wpkh(&pk, Network::Bitcoin);
    let spend = bip322::to_spend(MSG, &address.script_pubkey());
    let sign = bip322::to_sign(&spend);
    let h = SighashCache::new(&sign)
        .p2wpkh_signature_hash(
            0,
            &address.script_pubkey(),
            Amount::ZERO,
            EcdsaSighashType::All,
        )
        .expect("sighash");
    let mut sig = SECP256K1
        .sign_ecdsa(&Message::from(h), &sk)
        .serialize_der()
        .to_vec();
    sig.push(0x01);
    let w = Witness::from_slice(&[sig, pk.to_bytes().to_vec()]);
    (address, encode(&w))
}

fn p2tr(i: usize) -> (Address, String) {
    let kp = Keypair::from_secret_key(SECP256K1, &key(i));
    let address = Address::p2tr(SECP256K1, kp.x_only_public_key().0, None, Network::Bitcoin);
    let spend = bip322::to_spend(MSG, &address.script_pubkey());
    let sign = bip322::to_sign(&spend);
    let h = SighashCache::new(&sign)
        .taproot_key_spend_signature_hash(0, &Prevouts::All(&spend.output), TapSighashType::Default)
        .expect("sighash");
    let tweaked = kp.tap_tweak(SECP256K1, None).to_keypair();
    let sig = SECP256K1.sign_schnorr_no_aux_rand(&Message::from(h), &tweaked);
    (
        address,
        encode(&Witness::from_slice(&[sig.as_ref().to_vec()])),
    )
}

fn measure(name: &str, proofs: &[(Address, String)]) {
    // One warm-up pass, then the best of three.
    let mut best = f64::MAX;
    for round in 0..4 {
        let start = Instant::now();
        for (a, s) in proofs {
            assert!(bip322::verify(MSG, a, s).is_ok());
        }
        let took = start.elapsed().as_secs_f64();
        if round > 0 {
            best = best.min(took);
        }
    }
    println!(
        "{name}: {} proofs in {:.1} ms ({:.1} µs each)",
        proofs.len(),
        best * 1e3,
        best * 1e6 / proofs.len() as f64
    );
}

fn main() {
    let wpkh: Vec<_> = (0..N).map(p2wpkh).collect();
    let tr: Vec<_> = (0..N).map(p2tr).collect();
    measure("bip322 simple p2wpkh", &wpkh);
    measure("bip322 simple p2tr", &tr);
}
