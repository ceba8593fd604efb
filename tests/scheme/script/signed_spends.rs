//! Differential test, part 2: real signed spends (P2PK, P2PKH, bare and P2SH multisig, P2WPKH,
//! P2WSH, both P2SH-wrapped, OP_CODESEPARATOR and FindAndDelete in legacy and segwit v0, lock
//! times, taproot key path and script paths with CHECKSIGADD, code separators and annexes), all
//! hash types and high-s signatures, then random damage. porsign's interpreter must agree with
//! libbitcoinconsensus on every one.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::script::{Builder, PushBytes};
use bitcoin::sighash::{Annex, EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootBuilder};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Txid, Witness,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use secp256k1::{Message, SecretKey, SECP256K1};

use super::consensus::{assert_agreement, core_ok, disagreement, random_consensus_flags};
use porsign::scheme::script::Flags;

fn pb(b: &[u8]) -> &PushBytes {
    b.try_into().unwrap()
}

fn push_all(items: &[Vec<u8>]) -> ScriptBuf {
    items
        .iter()
        .fold(Builder::new(), |b, i| b.push_slice(pb(i)))
        .into_script()
}

struct Case {
    tx: Transaction,
    index: usize,
    prevouts: Vec<TxOut>,
    script_sig: Vec<Vec<u8>>,
    witness: Vec<Vec<u8>>,
}

impl Case {
    fn assemble(&mut self) {
        self.tx.input[self.index].script_sig = push_all(&self.script_sig);
        self.tx.input[self.index].witness = Witness::from_slice(&self.witness);
    }
}

/// An unsigned transaction spending `spk` (ours, at a random position) and one other output.
fn template(rng: &mut impl Rng, spk: ScriptBuf) -> Case {
    let index = rng.gen_range(0..2);
    let mut prevouts = vec![
        TxOut {
            value: Amount::from_sat(7_000),
            script_pubkey: ScriptBuf::from_hex(
                "51200101010101010101010101010101010101010101010101010101010101010101"
            )
            .unwrap()
        };
        2
    ];
    prevouts[index] = TxOut {
        value: Amount::from_sat(rng.gen_range(1..1_000_000)),
        script_pubkey: spk,
    };
    let input = |vout: u32, seq: u32| TxIn {
        previous_output: OutPoint {
            txid: Txid::from_byte_array([0x42; 32]),
            vout,
        },
        script_sig: ScriptBuf::new(),
        sequence: Sequence(seq),
        witness: Witness::new(),
    };
    let seqs = [
        0u32,
        5,
        20,
        0x0040_0003,
        0xffff_fffe,
        0xffff_ffff,
        0x8000_0001,
    ];
    let inputs = vec![
        input(0, seqs[rng.gen_range(0..seqs.len())]),
        input(1, seqs[rng.gen_range(0..seqs.len())]),
    ];
    let outputs = (0..rng.gen_range(1..=2))
        .map(|i| TxOut {
            value: Amount::from_sat(100 + i),
            script_pubkey: ScriptBuf::from_hex("6a").unwrap(),
        })
        .collect();
    let tx = Transaction {
        version: transaction::Version(*[1, 2, 2][..].get(rng.gen_range(0..3)).unwrap()),
        lock_time: absolute::LockTime::from_consensus(
            *[0u32, 10, 800_000, 1_700_000_000][..]
                .get(rng.gen_range(0..4))
                .unwrap(),
        ),
        input: inputs,
        output: outputs,
    };
    Case {
        tx,
        index,
        prevouts,
        script_sig: vec![],
        witness: vec![],
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Ecdsa {
    Legacy,
    SegwitV0,
}

fn hash_type(rng: &mut impl Rng) -> u8 {
    if rng.gen_bool(0.7) {
        return 0x01;
    }
    *[0x02, 0x03, 0x81, 0x82, 0x83, 0x00, 0x04, 0x21, 0x43, 0xff][..]
        .get(rng.gen_range(0..10))
        .unwrap()
}

fn ecdsa_sig(rng: &mut impl Rng, case: &Case, code: &[u8], kind: Ecdsa, sk: &SecretKey) -> Vec<u8> {
    let ty = hash_type(rng);
    let mut cache = SighashCache::new(&case.tx);
    let digest: [u8; 32] = match kind {
        Ecdsa::Legacy => cache
            .legacy_signature_hash(case.index, Script::from_bytes(code), u32::from(ty))
            .unwrap()
            .to_byte_array(),
        Ecdsa::SegwitV0 => {
            // BIP-143 with the raw hash type in the last four bytes (Core's behaviour).
            let norm = EcdsaSighashType::from_consensus(u32::from(ty));
            let mut pre = Vec::new();
            cache
                .segwit_v0_encode_signing_data_to(
                    &mut pre,
                    case.index,
                    Script::from_bytes(code),
                    case.prevouts[case.index].value,
                    norm,
                )
                .unwrap();
            let n = pre.len();
            pre[n - 4..].copy_from_slice(&u32::from(ty).to_le_bytes());
            sha256d::Hash::hash(&pre).to_byte_array()
        }
    };
    let mut sig = SECP256K1.sign_ecdsa(&Message::from_digest(digest), sk);
    if rng.gen_bool(0.15) {
        // High s: consensus accepts it (policy does not).
        let mut c = sig.serialize_compact();
        let s = SecretKey::from_slice(&c[32..]).unwrap().negate();
        c[32..].copy_from_slice(&s.secret_bytes());
        sig = secp256k1::ecdsa::Signature::from_compact(&c).unwrap();
    }
    let mut out = sig.serialize_der().to_vec();
    out.push(ty);
    out
}

fn schnorr_sig(
    rng: &mut impl Rng,
    case: &Case,
    leaf: Option<(TapLeafHash, u32)>,
    annex: Option<&[u8]>,
    kp: &Keypair,
) -> Vec<u8> {
    let types = [
        TapSighashType::Default,
        TapSighashType::All,
        TapSighashType::None,
        TapSighashType::Single,
        TapSighashType::AllPlusAnyoneCanPay,
        TapSighashType::SinglePlusAnyoneCanPay,
    ];
    let ty = if rng.gen_bool(0.6) {
        TapSighashType::Default
    } else {
        types[rng.gen_range(0..types.len())]
    };
    let digest = SighashCache::new(&case.tx).taproot_signature_hash(
        case.index,
        &Prevouts::All(&case.prevouts),
        annex.map(|a| Annex::new(a).unwrap()),
        leaf,
        ty,
    );
    let Ok(digest) = digest else {
        return vec![0x11; 64];
    };
    let sig = SECP256K1.sign_schnorr_no_aux_rand(&Message::from_digest(digest.to_byte_array()), kp);
    let mut out = sig.as_ref().to_vec();
    if ty != TapSighashType::Default || rng.gen_bool(0.05) {
        out.push(ty as u8);
    }
    out
}

fn key(rng: &mut impl Rng) -> (SecretKey, Vec<u8>) {
    let sk = SecretKey::new(rng);
    let pk = sk.public_key(SECP256K1);
    let bytes = if rng.gen_bool(0.2) {
        pk.serialize_uncompressed().to_vec()
    } else {
        pk.serialize().to_vec()
    };
    (sk, bytes)
}

fn multisig(m: u8, keys: &[Vec<u8>]) -> ScriptBuf {
    let mut b = Builder::new().push_int(i64::from(m));
    for k in keys {
        b = b.push_slice(pb(k));
    }
    b.push_int(keys.len() as i64)
        .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
        .into_script()
}

/// Builds one signed spend of scenario `which`.
fn build(rng: &mut impl Rng, which: u8) -> Case {
    use bitcoin::opcodes::all::*;
    let (sk1, pk1) = key(rng);
    let (sk2, pk2) = key(rng);
    let (_, pk3) = key(rng);
    let hash160 = |b: &[u8]| bitcoin::PubkeyHash::hash(b);
    match which {
        0 | 1 => {
            let spk = if which == 0 {
                ScriptBuf::new_p2pkh(&hash160(&pk1))
            } else {
                Builder::new()
                    .push_slice(pb(&pk1))
                    .push_opcode(OP_CHECKSIG)
                    .into_script()
            };
            let mut c = template(rng, spk.clone());
            let sig = ecdsa_sig(rng, &c, spk.as_bytes(), Ecdsa::Legacy, &sk1);
            c.script_sig = if which == 0 {
                vec![sig, pk1]
            } else {
                vec![sig]
            };
            c
        }
        2 | 3 | 6 => {
            let redeem = multisig(2, &[pk1, pk2, pk3]);
            let spk = match which {
                2 => redeem.clone(),
                3 => ScriptBuf::new_p2sh(&redeem.script_hash()),
                _ => ScriptBuf::new_p2wsh(&redeem.wscript_hash()),
            };
            let mut c = template(rng, spk);
            let kind = if which == 6 {
                Ecdsa::SegwitV0
            } else {
                Ecdsa::Legacy
            };
            let s1 = ecdsa_sig(rng, &c, redeem.as_bytes(), kind, &sk1);
            let s2 = ecdsa_sig(rng, &c, redeem.as_bytes(), kind, &sk2);
            let mut items = vec![vec![], s1, s2];
            match which {
                2 => c.script_sig = items,
                3 => {
                    items.push(redeem.into_bytes());
                    c.script_sig = items
                }
                _ => {
                    items.push(redeem.into_bytes());
                    c.witness = items
                }
            }
            c
        }
        4 | 5 => {
            let program = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::hash(&pk1));
            let spk = if which == 4 {
                program.clone()
            } else {
                ScriptBuf::new_p2sh(&program.script_hash())
            };
            let mut c = template(rng, spk);
            let code = program.p2wpkh_script_code().unwrap();
            c.witness = vec![
                ecdsa_sig(rng, &c, code.as_bytes(), Ecdsa::SegwitV0, &sk1),
                pk1,
            ];
            if which == 5 {
                c.script_sig = vec![program.into_bytes()];
            }
            c
        }
        // A code separator between two checks, in legacy (7) and segwit v0 (8).
        7 | 8 => {
            let after = Builder::new()
                .push_slice(pb(&pk2))
                .push_opcode(OP_CHECKSIG)
                .into_script();
            let mut script = Builder::new()
                .push_slice(pb(&pk1))
                .push_opcode(OP_CHECKSIGVERIFY)
                .push_opcode(OP_CODESEPARATOR)
                .into_script()
                .into_bytes();
            script.extend_from_slice(after.as_bytes());
            let script = ScriptBuf::from_bytes(script);
            let spk = if which == 7 {
                script.clone()
            } else {
                ScriptBuf::new_p2wsh(&script.wscript_hash())
            };
            let mut c = template(rng, spk);
            let kind = if which == 7 {
                Ecdsa::Legacy
            } else {
                Ecdsa::SegwitV0
            };
            // Legacy hashes the script code without separators; BIP-143 keeps them.
            let first_code = if which == 7 {
                let mut b = Builder::new()
                    .push_slice(pb(&pk1))
                    .push_opcode(OP_CHECKSIGVERIFY)
                    .into_script()
                    .into_bytes();
                b.extend_from_slice(after.as_bytes());
                b
            } else {
                script.to_bytes()
            };
            let s1 = ecdsa_sig(rng, &c, &first_code, kind, &sk1);
            let s2 = ecdsa_sig(rng, &c, after.as_bytes(), kind, &sk2);
            if which == 7 {
                c.script_sig = vec![s2, s1]
            } else {
                c.witness = vec![s2, s1, script.into_bytes()]
            }
            c
        }
        // FindAndDelete: the signature is also pushed by the script it is checked in.
        9 => {
            let code = Builder::new()
                .push_opcode(OP_DROP)
                .push_slice(pb(&pk1))
                .push_opcode(OP_CHECKSIG)
                .into_script();
            let mut c = template(rng, ScriptBuf::new());
            let sig = ecdsa_sig(rng, &c, code.as_bytes(), Ecdsa::Legacy, &sk1);
            let mut spk = Builder::new()
                .push_slice(pb(&sig))
                .into_script()
                .into_bytes();
            spk.extend_from_slice(code.as_bytes());
            c.prevouts[c.index].script_pubkey = ScriptBuf::from_bytes(spk);
            c.script_sig = vec![sig];
            c
        }
        // Lock times in a P2WSH script.
        10 | 11 => {
            let n = *[0i64, 5, 10, 800_000, 1_600_000_000, 0x0040_0002][..]
                .get(rng.gen_range(0..6))
                .unwrap();
            let op = if which == 10 { OP_CLTV } else { OP_CSV };
            let ws = Builder::new()
                .push_int(n)
                .push_opcode(op)
                .push_opcode(OP_DROP)
                .push_slice(pb(&pk1))
                .push_opcode(OP_CHECKSIG)
                .into_script();
            let mut c = template(rng, ScriptBuf::new_p2wsh(&ws.wscript_hash()));
            c.witness = vec![
                ecdsa_sig(rng, &c, ws.as_bytes(), Ecdsa::SegwitV0, &sk1),
                ws.into_bytes(),
            ];
            c
        }
        _ => taproot(rng, which == 12),
    }
}

fn taproot(rng: &mut impl Rng, key_path: bool) -> Case {
    use bitcoin::opcodes::all::*;
    let kps: Vec<Keypair> = (0..3).map(|_| Keypair::new(SECP256K1, rng)).collect();
    let x: Vec<[u8; 32]> = kps
        .iter()
        .map(|k| k.x_only_public_key().0.serialize())
        .collect();
    let leaves = [
        Builder::new()
            .push_slice(x[0])
            .push_opcode(OP_CHECKSIG)
            .into_script(),
        Builder::new()
            .push_slice(x[0])
            .push_opcode(OP_CHECKSIG)
            .push_slice(x[1])
            .push_opcode(OP_CHECKSIGADD)
            .push_slice(x[2])
            .push_opcode(OP_CHECKSIGADD)
            .push_int(2)
            .push_opcode(OP_NUMEQUAL)
            .into_script(),
        Builder::new()
            .push_opcode(OP_CODESEPARATOR)
            .push_slice(x[0])
            .push_opcode(OP_CHECKSIG)
            .into_script(),
        Builder::new()
            .push_slice(x[1])
            .push_opcode(OP_CHECKSIGVERIFY)
            .push_slice(x[0])
            .push_opcode(OP_CHECKSIG)
            .into_script(),
    ];
    let internal = Keypair::new(SECP256K1, rng);
    let mut builder = TaprootBuilder::new();
    for l in &leaves {
        builder = builder.add_leaf(2, l.clone()).unwrap();
    }
    let info = builder
        .finalize(SECP256K1, internal.x_only_public_key().0)
        .unwrap();
    let mut c = template(rng, ScriptBuf::new_p2tr_tweaked(info.output_key()));
    let annex = rng.gen_bool(0.2).then(|| vec![0x50, rng.gen()]);
    if key_path {
        let tweaked = internal
            .tap_tweak(SECP256K1, info.merkle_root())
            .to_keypair();
        c.witness = vec![schnorr_sig(rng, &c, None, annex.as_deref(), &tweaked)];
    } else {
        let which = rng.gen_range(0..leaves.len());
        let leaf = leaves[which].clone();
        let hash = TapLeafHash::from_script(&leaf, LeafVersion::TapScript);
        let pos = if which == 2 { 0 } else { u32::MAX };
        let leaf_ref = Some((hash, pos));
        let mut items = match which {
            1 => {
                // 2-of-3: one of the three signatures left empty.
                let skip = rng.gen_range(0..3);
                let mut v = Vec::new();
                for i in (0..3).rev() {
                    v.push(if i == skip {
                        vec![]
                    } else {
                        schnorr_sig(rng, &c, leaf_ref, annex.as_deref(), &kps[i])
                    });
                }
                v
            }
            3 => vec![
                schnorr_sig(rng, &c, leaf_ref, annex.as_deref(), &kps[0]),
                schnorr_sig(rng, &c, leaf_ref, annex.as_deref(), &kps[1]),
            ],
            _ => vec![schnorr_sig(rng, &c, leaf_ref, annex.as_deref(), &kps[0])],
        };
        items.push(leaf.clone().into_bytes());
        items.push(
            info.control_block(&(leaf, LeafVersion::TapScript))
                .unwrap()
                .serialize(),
        );
        c.witness = items;
    }
    if let Some(a) = annex {
        c.witness.push(a);
    }
    c
}

/// Random damage to a signed spend (or none).
fn mutate(rng: &mut impl Rng, c: &mut Case) {
    let in_witness = !c.witness.is_empty() && (c.script_sig.is_empty() || rng.gen_bool(0.5));
    let items = if in_witness {
        &mut c.witness
    } else {
        &mut c.script_sig
    };
    let n = items.len();
    match rng.gen_range(0..14) {
        0 | 1 if n > 0 => {
            let item = &mut items[rng.gen_range(0..n)];
            if !item.is_empty() {
                let i = rng.gen_range(0..item.len());
                item[i] ^= 1 << rng.gen_range(0..8);
            }
        }
        2 => c.tx.lock_time = absolute::LockTime::from_consensus(rng.gen_range(0..1_000_000)),
        3 => c.tx.input[c.index].sequence = Sequence(rng.gen()),
        4 => c.prevouts[c.index].value += Amount::from_sat(1),
        5 => items.insert(0, vec![0x01]),
        6 if n > 0 => {
            items.remove(rng.gen_range(0..n));
        }
        7 if n > 0 => items[rng.gen_range(0..n)] = vec![],
        8 => {
            if let Some(longest) = items.iter_mut().max_by_key(|i| i.len()) {
                if let Some(last) = longest.last_mut() {
                    *last = hash_type(rng);
                }
            }
        }
        9 if n > 1 => items.swap(0, n - 1),
        10 => {
            c.prevouts[1 - c.index].script_pubkey =
                ScriptBuf::from_hex("0014ffffffffffffffffffffffffffffffffffffffff").unwrap()
        }
        11 => c.tx.output[0].value = Amount::from_sat(1),
        _ => {}
    }
}

#[test]
fn signed_spends_agree_with_libbitcoinconsensus() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0b19_322d);
    let mut failures = Vec::new();
    let mut core_accepted = [0usize; 14];
    const CASES: usize = 4_000;
    for case in 0..CASES {
        let which = rng.gen_range(0..14u8);
        let mut c = build(&mut rng, which);
        if rng.gen_bool(0.5) {
            mutate(&mut rng, &mut c);
        }
        c.assemble();
        let flags = if rng.gen_bool(0.8) {
            Flags::CONSENSUS
        } else {
            random_consensus_flags(&mut rng)
        };
        if core_ok(&c.tx, c.index, &c.prevouts, flags) {
            core_accepted[usize::from(which)] += 1;
        }
        if let Some(d) = disagreement(
            &format!("case {case} scenario {which}"),
            &c.tx,
            c.index,
            &c.prevouts,
            flags,
        ) {
            failures.push(d);
        }
    }
    assert_agreement(&failures);
    // Every scenario must produce valid spends, or it tests nothing.
    for (which, n) in core_accepted.iter().enumerate() {
        assert!(
            *n > 20,
            "scenario {which}: only {n} spends accepted by Core"
        );
    }
}
