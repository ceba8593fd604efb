//! Running Bitcoin Core `script_tests.json` rows on porsign's interpreter: Core's script
//! notation, the crediting/spending transaction pair the vectors are signed over, and the
//! taproot placeholders Core's harness fills in.
#![allow(clippy::indexing_slicing)]

use bitcoin::hashes::Hash;
use bitcoin::key::Keypair;
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};
use porsign::scheme::script::{self, Flags, ScriptError};
use secp256k1::{SecretKey, SECP256K1};
use serde_json::Value;

/// Core's opcode names (without the `OP_` prefix) for 0x50 and 0x61..=0xba, 0xff.
fn opcode(name: &str) -> Option<u8> {
    const NAMES: &[(&str, u8)] = &[
        ("RESERVED", 0x50),
        ("NOP", 0x61),
        ("VER", 0x62),
        ("IF", 0x63),
        ("NOTIF", 0x64),
        ("VERIF", 0x65),
        ("VERNOTIF", 0x66),
        ("ELSE", 0x67),
        ("ENDIF", 0x68),
        ("VERIFY", 0x69),
        ("RETURN", 0x6a),
        ("TOALTSTACK", 0x6b),
        ("FROMALTSTACK", 0x6c),
        ("2DROP", 0x6d),
        ("2DUP", 0x6e),
        ("3DUP", 0x6f),
        ("2OVER", 0x70),
        ("2ROT", 0x71),
        ("2SWAP", 0x72),
        ("IFDUP", 0x73),
        ("DEPTH", 0x74),
        ("DROP", 0x75),
        ("DUP", 0x76),
        ("NIP", 0x77),
        ("OVER", 0x78),
        ("PICK", 0x79),
        ("ROLL", 0x7a),
        ("ROT", 0x7b),
        ("SWAP", 0x7c),
        ("TUCK", 0x7d),
        ("CAT", 0x7e),
        ("SUBSTR", 0x7f),
        ("LEFT", 0x80),
        ("RIGHT", 0x81),
        ("SIZE", 0x82),
        ("INVERT", 0x83),
        ("AND", 0x84),
        ("OR", 0x85),
        ("XOR", 0x86),
        ("EQUAL", 0x87),
        ("EQUALVERIFY", 0x88),
        ("RESERVED1", 0x89),
        ("RESERVED2", 0x8a),
        ("1ADD", 0x8b),
        ("1SUB", 0x8c),
        ("2MUL", 0x8d),
        ("2DIV", 0x8e),
        ("NEGATE", 0x8f),
        ("ABS", 0x90),
        ("NOT", 0x91),
        ("0NOTEQUAL", 0x92),
        ("ADD", 0x93),
        ("SUB", 0x94),
        ("MUL", 0x95),
        ("DIV", 0x96),
        ("MOD", 0x97),
        ("LSHIFT", 0x98),
        ("RSHIFT", 0x99),
        ("BOOLAND", 0x9a),
        ("BOOLOR", 0x9b),
        ("NUMEQUAL", 0x9c),
        ("NUMEQUALVERIFY", 0x9d),
        ("NUMNOTEQUAL", 0x9e),
        ("LESSTHAN", 0x9f),
        ("GREATERTHAN", 0xa0),
        ("LESSTHANOREQUAL", 0xa1),
        ("GREATERTHANOREQUAL", 0xa2),
        ("MIN", 0xa3),
        ("MAX", 0xa4),
        ("WITHIN", 0xa5),
        ("RIPEMD160", 0xa6),
        ("SHA1", 0xa7),
        ("SHA256", 0xa8),
        ("HASH160", 0xa9),
        ("HASH256", 0xaa),
        ("CODESEPARATOR", 0xab),
        ("CHECKSIG", 0xac),
        ("CHECKSIGVERIFY", 0xad),
        ("CHECKMULTISIG", 0xae),
        ("CHECKMULTISIGVERIFY", 0xaf),
        ("NOP1", 0xb0),
        ("CHECKLOCKTIMEVERIFY", 0xb1),
        ("CHECKSEQUENCEVERIFY", 0xb2),
        ("NOP4", 0xb3),
        ("NOP5", 0xb4),
        ("NOP6", 0xb5),
        ("NOP7", 0xb6),
        ("NOP8", 0xb7),
        ("NOP9", 0xb8),
        ("NOP10", 0xb9),
        ("CHECKSIGADD", 0xba),
        ("INVALIDOPCODE", 0xff),
    ];
    let name = name.strip_prefix("OP_").unwrap_or(name);
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// A minimal number push as Core's `CScript << int64` writes it.
fn push_int(n: i64) -> Vec<u8> {
    match n {
        0 => vec![0x00],
        -1 => vec![0x4f],
        1..=16 => vec![0x50 + n as u8],
        _ => {
            let mut mag = n.unsigned_abs();
            let mut bytes = Vec::new();
            while mag > 0 {
                bytes.push((mag & 0xff) as u8);
                mag >>= 8;
            }
            let last = bytes.last_mut().unwrap();
            if *last & 0x80 != 0 {
                bytes.push(if n < 0 { 0x80 } else { 0 });
            } else if n < 0 {
                *last |= 0x80;
            }
            push_data(&bytes)
        }
    }
}

/// A data push as Core's `CScript << vector` writes it.
fn push_data(data: &[u8]) -> Vec<u8> {
    let mut out = match data.len() {
        n if n < 0x4c => vec![n as u8],
        n if n <= 0xff => vec![0x4c, n as u8],
        n if n <= 0xffff => {
            let mut v = vec![0x4d];
            v.extend((n as u16).to_le_bytes());
            v
        }
        n => {
            let mut v = vec![0x4e];
            v.extend((n as u32).to_le_bytes());
            v
        }
    };
    out.extend_from_slice(data);
    out
}

/// Core's `ParseScript`: decimal numbers, `0x` raw bytes, `'text'` pushes, opcode names.
pub fn parse_script(asm: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for w in asm.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let digits = w.strip_prefix('-').unwrap_or(w);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(push_int(w.parse::<i64>().unwrap()));
        } else if let Some(hex) = w.strip_prefix("0x").filter(|h| !h.is_empty()) {
            out.extend(hex::decode(hex).unwrap_or_else(|_| panic!("bad hex {w}")));
        } else if w.len() >= 2 && w.starts_with('\'') && w.ends_with('\'') {
            out.extend(push_data(&w.as_bytes()[1..w.len() - 1]));
        } else {
            out.push(opcode(w).unwrap_or_else(|| panic!("unknown opcode {w}")));
        }
    }
    out
}

/// The pair of transactions every vector is evaluated on: a crediting transaction paying
/// `amount` to `spk`, and one spending it with `script_sig` and `witness`.
pub fn credit_and_spend(
    spk: &[u8],
    script_sig: &[u8],
    witness: Witness,
    amount: u64,
) -> (Transaction, TxOut) {
    let prevout = TxOut {
        value: Amount::from_sat(amount),
        script_pubkey: ScriptBuf::from_bytes(spk.to_vec()),
    };
    let credit = Transaction {
        version: transaction::Version(1),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::all_zeros(),
                vout: u32::MAX,
            },
            script_sig: ScriptBuf::from_bytes(vec![0x00, 0x00]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![prevout.clone()],
    };
    let spend = Transaction {
        version: transaction::Version(1),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: credit.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::from_bytes(script_sig.to_vec()),
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    (spend, prevout)
}

/// One parsed vector.
pub struct Vector {
    pub spend: Transaction,
    pub prevout: TxOut,
    pub flags: Flags,
    pub expected: String,
    pub label: String,
}

/// Parses a row `[[wit..., amount]?, scriptSig, scriptPubKey, flags, expected, comment?]`;
/// None for comment rows.
pub fn parse_row(row: &Value) -> Option<Vector> {
    let cells = row.as_array()?;
    let (witness_cell, rest) = match cells.first()? {
        Value::Array(w) => (Some(w), &cells[1..]),
        _ => (None, &cells[..]),
    };
    if rest.len() < 4 {
        return None;
    }
    let text = |i: usize| rest[i].as_str().unwrap();
    let mut spk_asm = text(1).to_owned();
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut amount = 0;
    if let Some(w) = witness_cell {
        let (amount_cell, elems) = w.split_last().unwrap();
        amount = (amount_cell.as_f64().unwrap() * 1e8).round() as u64;
        let tap_script = elems
            .iter()
            .find_map(|e| e.as_str().unwrap().strip_prefix("#SCRIPT#"))
            .map(parse_script);
        for e in elems {
            let e = e.as_str().unwrap();
            if e.starts_with("#SCRIPT#") {
                items.push(tap_script.clone().unwrap());
            } else if e == "#CONTROLBLOCK#" {
                let (control, output) = taproot_placeholders(tap_script.as_ref().unwrap());
                items.push(control);
                spk_asm = spk_asm.replace("#TAPROOTOUTPUT#", &format!("0x{}", hex::encode(output)));
            } else {
                items.push(hex::decode(e).unwrap());
            }
        }
    }
    let mut flags = Flags::from_names(text(2)).unwrap_or_else(|| panic!("flags {}", text(2)));
    // As Core's harness: CLEANSTACK is only defined together with P2SH and WITNESS.
    if flags.contains(Flags::CLEANSTACK) {
        flags = flags | Flags::P2SH | Flags::WITNESS;
    }
    let (spend, prevout) = credit_and_spend(
        &parse_script(&spk_asm),
        &parse_script(text(0)),
        Witness::from_slice(&items),
        amount,
    );
    Some(Vector {
        spend,
        prevout,
        flags,
        expected: text(3).to_owned(),
        label: format!("{row}"),
    })
}

/// The control block and output key of a one-leaf tree holding `leaf` (any internal key will
/// do: no vector spends the key path).
fn taproot_placeholders(leaf: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let internal = Keypair::from_secret_key(SECP256K1, &SecretKey::from_slice(&[7; 32]).unwrap())
        .x_only_public_key()
        .0;
    let leaf = ScriptBuf::from_bytes(leaf.to_vec());
    let info = TaprootBuilder::new()
        .add_leaf(0, leaf.clone())
        .unwrap()
        .finalize(SECP256K1, internal)
        .unwrap();
    let control = info.control_block(&(leaf, LeafVersion::TapScript)).unwrap();
    (
        control.serialize(),
        info.output_key().to_x_only_public_key().serialize(),
    )
}

/// Runs a vector: Core's error name, or "OK".
pub fn run(v: &Vector) -> String {
    match script::verify_input(&v.spend, 0, std::slice::from_ref(&v.prevout), v.flags) {
        Ok(_) => "OK".to_owned(),
        Err(e) => ScriptError::core_name(e).to_owned(),
    }
}
