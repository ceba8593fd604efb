//! PSBTs as SIGN_PSBT takes them: PSBTv2 key/value maps, each committed to as a merkleized map.
//!
//! A merkleized map is `varint n ‖ keys_root ‖ values_root`, where the keys are sorted
//! lexicographically and both lists are Merkle trees (leaf = `SHA256(0x00 ‖ item)`). The device
//! looks keys up with GET_MERKLE_LEAF_INDEX and fetches values by proof.
//!
//! The crate has no `bitcoin` dependency: the host hands over the maps as raw `(key, value)`
//! pairs, where a key is `keytype ‖ keydata` and neither carries its length prefix. For a
//! serialized PSBT, [`PsbtMaps::from_psbt`] splits it and, for a version-0 PSBT, adds the
//! PSBTv2 fields the app requires (as Ledger's clients do).

use crate::error::DecodeError;
use crate::merkle::{Hash, MerkleTree};
use crate::reader::Reader;
use crate::varint;

use super::client_command::HostInterpreter;

/// One raw key/value pair.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// Errors preparing PSBT maps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PsbtError {
    /// The same key appears twice in one map.
    #[error("duplicate key {} in a psbt map", hex(.key))]
    DuplicateKey {
        /// The repeated key.
        key: Vec<u8>,
    },
    /// A key is empty (PSBT keys always have a type byte).
    #[error("empty key in a psbt map")]
    EmptyKey,
    /// The bytes are not a PSBT.
    #[error("malformed psbt")]
    Malformed(#[from] DecodeError),
    /// The PSBT lacks a field the conversion needs, or has one it must not.
    #[error("psbt {0}")]
    Invalid(&'static str),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key/value map, sorted by key, ready to be merkleized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MerkleizedMap {
    pairs: Vec<KeyValue>,
}

impl MerkleizedMap {
    /// Sorts the pairs by key; rejects empty or duplicate keys.
    pub fn new(mut pairs: Vec<KeyValue>) -> Result<Self, PsbtError> {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        for pair in pairs.windows(2) {
            if let [(a, _), (b, _)] = pair {
                if a == b {
                    return Err(PsbtError::DuplicateKey { key: a.clone() });
                }
            }
        }
        if pairs.iter().any(|(key, _)| key.is_empty()) {
            return Err(PsbtError::EmptyKey);
        }
        Ok(Self { pairs })
    }

    /// The pairs, sorted by key.
    pub fn pairs(&self) -> &[KeyValue] {
        &self.pairs
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<&[u8]> {
        self.pairs.iter().map(|(k, _)| k.as_slice()).collect()
    }

    /// The values, in key order.
    pub fn values(&self) -> Vec<&[u8]> {
        self.pairs.iter().map(|(_, v)| v.as_slice()).collect()
    }

    /// The commitment the device receives.
    pub fn commitment(&self) -> MapCommitment {
        MapCommitment {
            size: self.pairs.len() as u64,
            keys_root: MerkleTree::from_elements(&self.keys()).root(),
            values_root: MerkleTree::from_elements(&self.values()).root(),
        }
    }

    /// Makes both lists known to `interpreter`; returns the commitment.
    pub fn register(&self, interpreter: &mut HostInterpreter) -> MapCommitment {
        let keys_root = interpreter.add_list(&self.keys());
        let values_root = interpreter.add_list(&self.values());
        MapCommitment {
            size: self.pairs.len() as u64,
            keys_root,
            values_root,
        }
    }
}

/// `varint n ‖ 32 keys_root ‖ 32 values_root`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapCommitment {
    /// Number of pairs.
    pub size: u64,
    /// Merkle root of the sorted keys.
    pub keys_root: Hash,
    /// Merkle root of the values in key order.
    pub values_root: Hash,
}

impl MapCommitment {
    /// Appends the encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        varint::encode_into(self.size, out);
        out.extend_from_slice(&self.keys_root);
        out.extend_from_slice(&self.values_root);
    }

    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(73);
        self.encode_into(&mut out);
        out
    }

    /// Parses an encoding (exact length).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let commitment = Self::read(&mut r)?;
        r.finish("map commitment")?;
        Ok(commitment)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            size: r.varint("map size")?,
            keys_root: r.array("map keys root")?,
            values_root: r.array("map values root")?,
        })
    }
}

/// PSBT global map key types used by the v0→v2 conversion.
const GLOBAL_UNSIGNED_TX: u8 = 0x00;
const GLOBAL_TX_VERSION: u8 = 0x02;
const GLOBAL_FALLBACK_LOCKTIME: u8 = 0x03;
const GLOBAL_INPUT_COUNT: u8 = 0x04;
const GLOBAL_OUTPUT_COUNT: u8 = 0x05;
const GLOBAL_VERSION: u8 = 0xfb;
const IN_PREVIOUS_TXID: u8 = 0x0e;
const IN_OUTPUT_INDEX: u8 = 0x0f;
const IN_SEQUENCE: u8 = 0x10;
const OUT_AMOUNT: u8 = 0x03;
const OUT_SCRIPT: u8 = 0x04;

/// The maps of a PSBTv2: global, one per input, one per output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PsbtMaps {
    /// The global map.
    pub global: Vec<KeyValue>,
    /// One map per input.
    pub inputs: Vec<Vec<KeyValue>>,
    /// One map per output.
    pub outputs: Vec<Vec<KeyValue>>,
}

impl PsbtMaps {
    /// Splits a serialized PSBT (BIP-174 `psbt\xff` magic) into PSBTv2 maps.
    ///
    /// A version-0 PSBT is converted as Ledger's clients do: the unsigned transaction is
    /// removed from the global map and replaced by `TX_VERSION`, `FALLBACK_LOCKTIME`,
    /// `INPUT_COUNT`, `OUTPUT_COUNT` and `VERSION = 2`; each input gets `PREVIOUS_TXID`,
    /// `OUTPUT_INDEX` and `SEQUENCE`, each output `AMOUNT` and `SCRIPT`. A version-2 PSBT is
    /// split as it is.
    pub fn from_psbt(bytes: &[u8]) -> Result<Self, PsbtError> {
        let mut r = Reader::new(bytes);
        if r.take(5, "psbt magic")? != b"psbt\xff" {
            return Err(PsbtError::Invalid("magic is not psbt\\xff"));
        }
        let mut global = read_map(&mut r)?;
        let version = match find(&global, &[GLOBAL_VERSION]) {
            None => 0,
            Some(value) => {
                let mut v = Reader::new(value);
                let version = v.u32_le("psbt version")?;
                v.finish("psbt version")?;
                version
            }
        };
        match version {
            0 => {
                let tx = find(&global, &[GLOBAL_UNSIGNED_TX])
                    .ok_or(PsbtError::Invalid("v0 without unsigned transaction"))?;
                let tx = UnsignedTx::decode(tx)?;
                let mut inputs = Vec::with_capacity(tx.inputs.len());
                for _ in 0..tx.inputs.len() {
                    inputs.push(read_map(&mut r)?);
                }
                let mut outputs = Vec::with_capacity(tx.outputs.len());
                for _ in 0..tx.outputs.len() {
                    outputs.push(read_map(&mut r)?);
                }
                r.finish("psbt")?;
                global.retain(|(key, _)| {
                    key.as_slice() != [GLOBAL_UNSIGNED_TX] && key.as_slice() != [GLOBAL_VERSION]
                });
                for (key, value) in [
                    (GLOBAL_TX_VERSION, tx.version.to_vec()),
                    (GLOBAL_FALLBACK_LOCKTIME, tx.lock_time.to_vec()),
                    (GLOBAL_INPUT_COUNT, varint::encode(tx.inputs.len() as u64)),
                    (GLOBAL_OUTPUT_COUNT, varint::encode(tx.outputs.len() as u64)),
                    (GLOBAL_VERSION, 2u32.to_le_bytes().to_vec()),
                ] {
                    push_new(&mut global, key, value)?;
                }
                for (map, input) in inputs.iter_mut().zip(&tx.inputs) {
                    push_new(map, IN_PREVIOUS_TXID, input.txid.to_vec())?;
                    push_new(map, IN_OUTPUT_INDEX, input.vout.to_vec())?;
                    push_new(map, IN_SEQUENCE, input.sequence.to_vec())?;
                }
                for (map, output) in outputs.iter_mut().zip(&tx.outputs) {
                    push_new(map, OUT_AMOUNT, output.amount.to_vec())?;
                    push_new(map, OUT_SCRIPT, output.script.clone())?;
                }
                Ok(Self {
                    global,
                    inputs,
                    outputs,
                })
            }
            2 => {
                let count = |key: u8, what| -> Result<u64, PsbtError> {
                    let value = find(&global, &[key]).ok_or(PsbtError::Invalid(what))?;
                    let mut v = Reader::new(value);
                    let n = v.varint(what)?;
                    v.finish(what)?;
                    Ok(n)
                };
                let n_inputs = count(GLOBAL_INPUT_COUNT, "v2 without input count")?;
                let n_outputs = count(GLOBAL_OUTPUT_COUNT, "v2 without output count")?;
                let mut inputs = Vec::new();
                for _ in 0..n_inputs {
                    inputs.push(read_map(&mut r)?);
                }
                let mut outputs = Vec::new();
                for _ in 0..n_outputs {
                    outputs.push(read_map(&mut r)?);
                }
                r.finish("psbt")?;
                Ok(Self {
                    global,
                    inputs,
                    outputs,
                })
            }
            _ => Err(PsbtError::Invalid("version is neither 0 nor 2")),
        }
    }
}

fn find<'a>(map: &'a [KeyValue], key: &[u8]) -> Option<&'a [u8]> {
    map.iter()
        .find(|(k, _)| k.as_slice() == key)
        .map(|(_, v)| v.as_slice())
}

fn push_new(map: &mut Vec<KeyValue>, key: u8, value: Vec<u8>) -> Result<(), PsbtError> {
    if find(map, &[key]).is_some() {
        return Err(PsbtError::Invalid("v0 map already holds a v2-only field"));
    }
    map.push((vec![key], value));
    Ok(())
}

/// Reads `<keylen> <key> <valuelen> <value>` pairs up to the `00` separator.
fn read_map(r: &mut Reader<'_>) -> Result<Vec<KeyValue>, PsbtError> {
    let mut map = Vec::new();
    loop {
        let key_len = r.varint("psbt key length")?;
        if key_len == 0 {
            return Ok(map);
        }
        let key = r.take(to_usize(key_len), "psbt key")?.to_vec();
        let value_len = r.varint("psbt value length")?;
        let value = r.take(to_usize(value_len), "psbt value")?.to_vec();
        map.push((key, value));
    }
}

/// A length from the input, saturated: `Reader::take` then fails with `Truncated`.
fn to_usize(len: u64) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}

struct TxIn {
    txid: [u8; 32],
    vout: [u8; 4],
    sequence: [u8; 4],
}

struct TxOut {
    amount: [u8; 8],
    script: Vec<u8>,
}

/// The fields of a PSBTv0 unsigned transaction (legacy serialization, empty scriptSigs).
struct UnsignedTx {
    version: [u8; 4],
    inputs: Vec<TxIn>,
    outputs: Vec<TxOut>,
    lock_time: [u8; 4],
}

impl UnsignedTx {
    fn decode(bytes: &[u8]) -> Result<Self, PsbtError> {
        let mut r = Reader::new(bytes);
        let version = r.array("tx version")?;
        let n_inputs = r.varint("tx input count")?;
        if n_inputs == 0 {
            // Zero here is the segwit marker: an unsigned transaction has no witnesses.
            return Err(PsbtError::Invalid("unsigned transaction has no inputs"));
        }
        let mut inputs = Vec::new();
        for _ in 0..n_inputs {
            let txid = r.array("tx input txid")?;
            let vout = r.array("tx input vout")?;
            let script_len = r.varint("tx input script length")?;
            if script_len != 0 {
                return Err(PsbtError::Invalid("unsigned transaction has a scriptSig"));
            }
            let sequence = r.array("tx input sequence")?;
            inputs.push(TxIn {
                txid,
                vout,
                sequence,
            });
        }
        let n_outputs = r.varint("tx output count")?;
        let mut outputs = Vec::new();
        for _ in 0..n_outputs {
            let amount = r.array("tx output amount")?;
            let script_len = r.varint("tx output script length")?;
            let script = r.take(to_usize(script_len), "tx output script")?.to_vec();
            outputs.push(TxOut { amount, script });
        }
        let lock_time = r.array("tx lock time")?;
        r.finish("unsigned transaction")?;
        Ok(Self {
            version,
            inputs,
            outputs,
            lock_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_rules() {
        assert_eq!(
            MerkleizedMap::new(vec![(vec![1], vec![]), (vec![1], vec![2])]),
            Err(PsbtError::DuplicateKey { key: vec![1] })
        );
        assert_eq!(
            MerkleizedMap::new(vec![(vec![], vec![])]),
            Err(PsbtError::EmptyKey)
        );
        let map =
            MerkleizedMap::new(vec![(vec![5], vec![50]), (vec![2], vec![20])]).expect("valid map");
        assert_eq!(map.keys(), [&[2u8][..], &[5u8][..]]);
        let commitment = map.commitment();
        assert_eq!(MapCommitment::decode(&commitment.encode()), Ok(commitment));
        assert_eq!(MerkleizedMap::default().commitment().keys_root, [0; 32]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(PsbtMaps::from_psbt(b"").is_err());
        assert!(PsbtMaps::from_psbt(b"psbt\xff").is_err());
        assert!(PsbtMaps::from_psbt(b"psbt\xff\x00").is_err());
        assert!(PsbtMaps::from_psbt(b"psbt\xff\x01\x00\xff\xff\xff\xff\xff").is_err());
    }
}
