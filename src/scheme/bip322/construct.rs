//! The virtual transactions of BIP-322: `to_spend` (committing to the message and the address)
//! and the simple variant's unsigned `to_sign`.

use bitcoin::blockdata::opcodes::all as op;
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::script::Builder;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Txid, Witness,
};

const TAG: &[u8] = b"BIP0322-signed-message";

/// The BIP-340 tagged hash of `message` with tag `BIP0322-signed-message`.
pub fn message_hash(message: &[u8]) -> [u8; 32] {
    let tag = sha256::Hash::hash(TAG);
    let mut engine = sha256::Hash::engine();
    engine.input(tag.as_byte_array());
    engine.input(tag.as_byte_array());
    engine.input(message);
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// The virtual `to_spend` transaction of `message` for `script_pubkey` (the address's script).
pub fn to_spend(message: &[u8], script_pubkey: &Script) -> Transaction {
    let script_sig = Builder::new()
        .push_opcode(op::OP_PUSHBYTES_0)
        .push_slice(message_hash(message))
        .into_script();
    Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::all_zeros(),
                vout: 0xFFFF_FFFF,
            },
            script_sig,
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: script_pubkey.to_owned(),
        }],
    }
}

/// The unsigned `to_sign` of the simple variant: spends `to_spend:0`, one OP_RETURN output, all
/// numbers 0 (its txid, which excludes the witness, is the vectors' `to_sign` hash).
pub fn to_sign(to_spend: &Transaction) -> Transaction {
    Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: to_spend.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: op_return(),
        }],
    }
}

/// `to_sign`'s only output script.
pub(super) fn op_return() -> ScriptBuf {
    Builder::new().push_opcode(op::OP_RETURN).into_script()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hash_of_empty_and_hello() {
        assert_eq!(
            hex::encode(message_hash(b"")),
            "c90c269c4f8fcbe6880f72a721ddfbf1914268a794cbb21cfafee13770ae19f1"
        );
        assert_eq!(
            hex::encode(message_hash(b"Hello World")),
            "f0eb03b1a75ac6d9847f55c624a99169b5dccba2a31f5b23bea77ba270de0a7a"
        );
    }
}
