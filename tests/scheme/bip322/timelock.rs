//! Full proofs whose `to_sign` nLockTime / nSequence, or whose script's CHECKLOCKTIMEVERIFY /
//! CHECKSEQUENCEVERIFY, make them valid only from a time T or an age S: the proof carries T and
//! S, and `valid_at` says whether they hold.
#![allow(clippy::indexing_slicing)]

use bitcoin::opcodes::all::*;
use bitcoin::script::Builder;
use bitcoin::{Address, CompressedPublicKey, Network, ScriptBuf, Witness};
use porsign::scheme::bip322::{self, Absolute, Bip322Variant, NotYetValid, Relative, TimeLock};

use super::build::*;

/// 2027-01-15, the "now" of these tests.
const NOW: i64 = 1_800_000_000;

/// A full P2WPKH proof with these `to_sign` fields; returns the verified time lock.
fn p2wpkh_full(version: i32, lock_time: u32, sequence: u32) -> TimeLock {
    let key = CompressedPublicKey(pk(0x21));
    let address = Address::p2wpkh(&key, Network::Bitcoin);
    let mut tx = to_sign(&address, version, lock_time, sequence);
    let code = address.script_pubkey().p2wpkh_script_code().unwrap();
    tx.input[0].witness =
        Witness::from_slice(&[sign_v0(&tx, &code, &sk(0x21)), key.to_bytes().to_vec()]);
    let proof = full(&tx);
    // Existing callers still get the variant.
    assert_eq!(
        bip322::verify(MSG, &address, &proof),
        Ok(Bip322Variant::Full)
    );
    let detailed = bip322::verify_detailed(MSG, &address, &proof).unwrap();
    assert_eq!(
        (detailed.lock_time, detailed.sequence),
        (lock_time, sequence)
    );
    detailed.time_lock
}

#[test]
fn block_height_lock_needs_the_tip() {
    let t = p2wpkh_full(0, 800_000, 0);
    assert_eq!(t.absolute, Some(Absolute::Height(800_000)));
    assert_eq!(t.relative, None);
    assert_eq!(
        t.valid_at(NOW, None),
        Err(NotYetValid::HeightUnknown { height: 800_000 })
    );
    assert_eq!(
        t.valid_at(NOW, Some(799_999)),
        Err(NotYetValid::BeforeHeight {
            height: 800_000,
            tip: 799_999
        })
    );
    assert_eq!(t.valid_at(NOW, Some(800_000)), Ok(()));
    assert!(t.to_string().contains("800000"), "{t}");
    let e = t.valid_at(NOW, None).unwrap_err().to_string();
    assert!(e.contains("800000") && e.contains("tip"), "{e}");
}

#[test]
fn unix_time_lock_in_the_future_and_the_past() {
    let future = p2wpkh_full(0, 2_000_000_000, 0);
    assert_eq!(future.absolute, Some(Absolute::Time(2_000_000_000)));
    assert_eq!(
        future.valid_at(NOW, Some(900_000)),
        Err(NotYetValid::BeforeTime {
            time: 2_000_000_000,
            now: NOW
        })
    );
    assert_eq!(future.valid_at(2_000_000_000, None), Ok(()));
    let e = future.valid_at(NOW, None).unwrap_err().to_string();
    assert!(e.contains("2033-05-18"), "{e}");

    let past = p2wpkh_full(0, 1_600_000_000, 0);
    assert_eq!(past.absolute, Some(Absolute::Time(1_600_000_000)));
    assert_eq!(past.valid_at(NOW, None), Ok(()));
    assert!(past.to_string().contains("2020-09-13"), "{past}");
}

#[test]
fn relative_lock_cannot_be_proven_offline() {
    let blocks = p2wpkh_full(2, 0, 10);
    assert_eq!(blocks.relative, Some(Relative::Blocks(10)));
    assert_eq!(blocks.absolute, None);
    assert_eq!(
        blocks.valid_at(NOW, Some(900_000)),
        Err(NotYetValid::Relative {
            lock: Relative::Blocks(10)
        })
    );
    assert!(blocks.to_string().contains("10 blocks"), "{blocks}");

    let time = p2wpkh_full(2, 0, 0x0040_0005);
    assert_eq!(time.relative, Some(Relative::Time512(5)));
    assert!(time.valid_at(NOW, Some(900_000)).is_err());
    assert!(time.to_string().contains("2560 seconds"), "{time}");

    // No BIP-68 meaning: the disable bit, or a version below 2.
    assert_eq!(p2wpkh_full(2, 0, 0x8000_000a).relative, None);
    let v0 = p2wpkh_full(0, 0, 10);
    assert_eq!(v0.relative, None);
    assert_eq!(v0.valid_at(NOW, None), Ok(()));
}

#[test]
fn script_time_locks_are_reported() {
    let key = pk(0x22).serialize();
    let cases: [(_, i32, u32, u32); 2] = [
        (
            Builder::new().push_int(800_000).push_opcode(OP_CLTV),
            0,
            800_000,
            0xffff_fffe,
        ),
        (Builder::new().push_int(10).push_opcode(OP_CSV), 2, 0, 10),
    ];
    for (i, (prefix, version, lock_time, sequence)) in cases.into_iter().enumerate() {
        let mut ws = prefix.push_opcode(OP_DROP).into_script().into_bytes();
        ws.extend_from_slice(checksig(&key).as_bytes());
        let ws = ScriptBuf::from_bytes(ws);
        let address = p2wsh(&ws);
        let mut tx = to_sign(&address, version, lock_time, sequence);
        tx.input[0].witness = Witness::from_slice(&[sign_v0(&tx, &ws, &sk(0x22)), ws.to_bytes()]);
        let proof = bip322::verify_detailed(MSG, &address, &full(&tx)).unwrap();
        let t = proof.time_lock;
        if i == 0 {
            assert_eq!(t.absolute, Some(Absolute::Height(800_000)));
            assert!(t.script_cltv && !t.script_csv && t.script_checks());
            assert!(t.to_string().contains("CHECKLOCKTIMEVERIFY"), "{t}");
        } else {
            assert_eq!(t.relative, Some(Relative::Blocks(10)));
            assert!(t.script_csv && !t.script_cltv);
            assert!(t.valid_at(NOW, Some(900_000)).is_err());
        }
    }
}

#[test]
fn simple_proofs_have_no_time_lock() {
    let key = CompressedPublicKey(pk(0x23));
    let address = Address::p2wpkh(&key, Network::Bitcoin);
    let tx = to_sign(&address, 0, 0, 0);
    let code = address.script_pubkey().p2wpkh_script_code().unwrap();
    let proof = simple(&[sign_v0(&tx, &code, &sk(0x23)), key.to_bytes().to_vec()]);
    let p = bip322::verify_detailed(MSG, &address, &proof).unwrap();
    assert_eq!(p.time_lock, TimeLock::default());
    assert!(p.time_lock.is_none() && !p.time_lock.script_checks());
    assert_eq!(p.time_lock.valid_at(NOW, None), Ok(()));
    assert_eq!(p.time_lock.to_string(), "no time lock");
}
