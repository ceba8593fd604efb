//! Differential test, part 1: random scripts from a grammar of opcodes and pushes, run as bare
//! legacy, P2SH, P2WSH, P2SH-P2WSH and tapscript spends (with random lock times, sequences,
//! versions, annexes and control-block damage), must get the same verdict from porsign's
//! interpreter as from libbitcoinconsensus under consensus flags.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::Hash;
use bitcoin::key::Keypair;
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use secp256k1::{SecretKey, SECP256K1};

use super::consensus::{assert_agreement, disagreement, random_consensus_flags};

/// Data a push may carry: sizes around the limits and the values the rules single out.
fn random_data(rng: &mut impl Rng) -> Vec<u8> {
    match rng.gen_range(0..10) {
        0 => vec![],
        1 => vec![*[0x00, 0x01, 0x02, 0x80, 0x81, 0x7f, 0x10, 0x11]
            .get(rng.gen_range(0..8))
            .unwrap()],
        2 => vec![0x01, 0x00],
        3 => vec![0x00, 0x80],
        4 => (0..rng.gen_range(2..6)).map(|_| rng.gen()).collect(),
        5 => (0..[20, 32, 33, 64, 65][rng.gen_range(0..5)])
            .map(|_| rng.gen())
            .collect(),
        6 => vec![0xff, 0xff, 0xff, 0x7f],
        7 => vec![0x00, 0x00, 0x00, 0x80, 0x00],
        8 => vec![0u8; [75, 76, 255, 256, 520, 521][rng.gen_range(0..6)]],
        _ => (0..rng.gen_range(1..4))
            .map(|_| rng.gen_range(0..3))
            .collect(),
    }
}

/// A push of `data`, usually minimal, sometimes with a longer form.
fn push(rng: &mut impl Rng, data: &[u8], out: &mut Vec<u8>) {
    let len = data.len();
    match rng.gen_range(0..10) {
        0 if len <= 0xff => out.extend([0x4c, len as u8]),
        1 if len <= 0xffff => {
            out.push(0x4d);
            out.extend((len as u16).to_le_bytes());
        }
        _ if len < 0x4c => out.push(len as u8),
        _ if len <= 0xff => out.extend([0x4c, len as u8]),
        _ => {
            out.push(0x4d);
            out.extend((len as u16).to_le_bytes());
        }
    }
    out.extend_from_slice(data);
}

/// Opcodes the generator favours: every real operation, plus a few reserved ones.
const OPS: &[u8] = &[
    0x61, 0x61, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76,
    0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x82, 0x87, 0x88, 0x8b, 0x8c, 0x8f, 0x90, 0x91, 0x92,
    0x93, 0x94, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb9, 0xba, 0x50, 0x62,
    0x65, 0x89, 0x7e, 0x95, 0xbb, 0xfe, 0xff,
];

fn random_script(rng: &mut impl Rng, max_ops: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let n = rng.gen_range(0..=max_ops);
    for _ in 0..n {
        match rng.gen_range(0..100) {
            0..=24 => s.push(
                *[0x00, 0x4f, 0x51, 0x52, 0x53, 0x60]
                    .get(rng.gen_range(0..6))
                    .unwrap(),
            ),
            25..=44 => {
                let d = random_data(rng);
                push(rng, &d, &mut s);
            }
            45..=59 => s.push(
                *[0x63, 0x64, 0x67, 0x68, 0x68]
                    .get(rng.gen_range(0..5))
                    .unwrap(),
            ),
            60..=98 => s.push(OPS[rng.gen_range(0..OPS.len())]),
            _ => s.push(rng.gen()),
        }
    }
    if rng.gen_bool(0.4) {
        s.push(0x51);
    }
    s
}

fn random_items(rng: &mut impl Rng) -> Vec<Vec<u8>> {
    (0..rng.gen_range(0..4)).map(|_| random_data(rng)).collect()
}

/// The scriptSig pushing `items` minimally (as wallets do).
fn push_all(items: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    for i in items {
        let mut b = bitcoin::script::Builder::new();
        b = b.push_slice(<&bitcoin::script::PushBytes>::try_from(i.as_slice()).unwrap());
        s.extend(b.into_script().into_bytes());
    }
    s
}

/// A spending transaction of `prevout` (at a random input position, beside another input) with
/// random version, lock time and sequence.
fn spend(
    rng: &mut impl Rng,
    spk: Vec<u8>,
    script_sig: Vec<u8>,
    witness: Vec<Vec<u8>>,
) -> (Transaction, usize, Vec<TxOut>) {
    let ours = TxOut {
        value: Amount::from_sat(rng.gen_range(0..100_000)),
        script_pubkey: ScriptBuf::from_bytes(spk),
    };
    let other = TxOut {
        value: Amount::from_sat(1000),
        script_pubkey: ScriptBuf::from_hex("0014000102030405060708090a0b0c0d0e0f10111213").unwrap(),
    };
    let index = rng.gen_range(0..2);
    let mut input = |vout: u32| TxIn {
        previous_output: OutPoint {
            txid: Txid::from_byte_array([vout as u8 + 1; 32]),
            vout,
        },
        script_sig: ScriptBuf::new(),
        sequence: Sequence(
            *[0, 1, 10, 0xffff_fffe, 0xffff_ffff, 0x0040_0005, 0x8000_0000]
                .get(rng.gen_range(0..7))
                .unwrap(),
        ),
        witness: Witness::new(),
    };
    let mut inputs = vec![input(0), input(1)];
    inputs[index].script_sig = ScriptBuf::from_bytes(script_sig);
    inputs[index].witness = Witness::from_slice(&witness);
    let mut prevouts = vec![other.clone(), other];
    prevouts[index] = ours;
    let tx = Transaction {
        version: transaction::Version(*[0, 1, 2, 3, -1].get(rng.gen_range(0..5)).unwrap()),
        lock_time: absolute::LockTime::from_consensus(
            *[0, 5, 100, 499_999_999, 500_000_000, 600_000_000]
                .get(rng.gen_range(0..6))
                .unwrap(),
        ),
        input: inputs,
        output: vec![TxOut {
            value: Amount::from_sat(500),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    (tx, index, prevouts)
}

fn tapscript_spend(rng: &mut impl Rng) -> (Vec<u8>, Vec<Vec<u8>>) {
    let leaf = ScriptBuf::from_bytes(random_script(rng, 8));
    let other = ScriptBuf::from_bytes(vec![0x51]);
    let internal = Keypair::from_secret_key(SECP256K1, &SecretKey::from_slice(&[9; 32]).unwrap())
        .x_only_public_key()
        .0;
    let version = if rng.gen_bool(0.9) {
        LeafVersion::TapScript
    } else {
        LeafVersion::from_consensus(0xc2).unwrap()
    };
    let info = TaprootBuilder::new()
        .add_leaf_with_ver(1, leaf.clone(), version)
        .unwrap()
        .add_leaf(1, other)
        .unwrap()
        .finalize(SECP256K1, internal)
        .unwrap();
    let mut control = info
        .control_block(&(leaf.clone(), version))
        .unwrap()
        .serialize();
    match rng.gen_range(0..20) {
        0 => control[0] ^= 1,
        1 => control.truncate(40),
        2 => control[0] = 0x50 | (control[0] & 1),
        _ => {}
    }
    let mut witness = random_items(rng);
    witness.push(leaf.into_bytes());
    witness.push(control);
    if rng.gen_bool(0.1) {
        witness.push(vec![0x50, 0x01]);
    }
    let spk = ScriptBuf::new_p2tr_tweaked(info.output_key()).into_bytes();
    (spk, witness)
}

#[test]
fn random_scripts_agree_with_libbitcoinconsensus() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5c21_9700);
    let mut failures = Vec::new();
    let mut accepted = 0;
    const CASES: usize = 20_000;
    for case in 0..CASES {
        let kind = rng.gen_range(0..6);
        let (spk, script_sig, witness) = match kind {
            // Bare script.
            0 | 1 => {
                let sig = push_all(&random_items(&mut rng));
                let sig = if rng.gen_bool(0.1) {
                    random_script(&mut rng, 3)
                } else {
                    sig
                };
                (random_script(&mut rng, 12), sig, vec![])
            }
            // P2SH.
            2 => {
                let redeem = random_script(&mut rng, 10);
                let mut items = random_items(&mut rng);
                items.push(redeem.clone());
                let spk = ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(&redeem)).into_bytes();
                (spk, push_all(&items), vec![])
            }
            // P2WSH, sometimes P2SH-wrapped.
            3 | 4 => {
                let ws = random_script(&mut rng, 10);
                let mut witness = random_items(&mut rng);
                witness.push(ws.clone());
                let program = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&ws));
                if kind == 4 {
                    let spk = ScriptBuf::new_p2sh(&program.script_hash()).into_bytes();
                    (spk, push_all(&[program.into_bytes()]), witness)
                } else {
                    (program.into_bytes(), vec![], witness)
                }
            }
            _ => {
                let (spk, witness) = tapscript_spend(&mut rng);
                (spk, vec![], witness)
            }
        };
        let (tx, index, prevouts) = spend(&mut rng, spk, script_sig, witness);
        let flags = random_consensus_flags(&mut rng);
        if porsign::scheme::script::verify_input(&tx, index, &prevouts, flags).is_ok() {
            accepted += 1;
        }
        if let Some(d) = disagreement(
            &format!("case {case} kind {kind}"),
            &tx,
            index,
            &prevouts,
            flags,
        ) {
            failures.push(d);
        }
    }
    assert_agreement(&failures);
    // The generator must reach success as well as failure, or the comparison says little.
    assert!(accepted > CASES / 20, "only {accepted} accepted");
}
