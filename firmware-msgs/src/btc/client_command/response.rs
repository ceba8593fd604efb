//! The host's answers to the client commands, and their wire format (the layout of each depends
//! on the request it answers).

use super::request::ClientCommandCode;
use crate::error::DecodeError;
use crate::merkle::Hash;
use crate::reader::Reader;
use crate::varint;

/// The host's answer to a [`ClientCommand`](super::ClientCommand), carried in a CONTINUE command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientResponse {
    /// Answer to YIELD: empty.
    Empty,
    /// Answer to GET_PREIMAGE: `varint total_len ‖ u8 n ‖ first n bytes`.
    Preimage {
        /// Full preimage length.
        total_len: u64,
        /// The bytes that fit this answer; the rest follow as 1-byte elements.
        partial: Vec<u8>,
    },
    /// Answer to GET_MERKLE_LEAF_PROOF: `32 leaf ‖ u8 proof_len ‖ u8 n ‖ n × 32`.
    LeafProof {
        /// The leaf hash.
        leaf_hash: Hash,
        /// Full proof length.
        proof_len: u8,
        /// The hashes that fit this answer; the rest follow as 32-byte elements.
        partial_proof: Vec<Hash>,
    },
    /// Answer to GET_MERKLE_LEAF_INDEX: `u8 found ‖ varint index`.
    LeafIndex {
        /// Whether the leaf is in the tree.
        found: bool,
        /// Its index (0 when not found).
        index: u64,
    },
    /// Answer to GET_MORE_ELEMENTS: `u8 n ‖ u8 element_len ‖ n × element_len`.
    MoreElements {
        /// The length of every element.
        element_len: u8,
        /// The elements, each `element_len` bytes.
        elements: Vec<Vec<u8>>,
    },
}

impl ClientResponse {
    /// The CONTINUE data (host side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::Empty => {}
            Self::Preimage { total_len, partial } => {
                varint::encode_into(*total_len, &mut out);
                out.push(u8::try_from(partial.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(partial);
            }
            Self::LeafProof {
                leaf_hash,
                proof_len,
                partial_proof,
            } => {
                out.extend_from_slice(leaf_hash);
                out.push(*proof_len);
                out.push(u8::try_from(partial_proof.len()).unwrap_or(u8::MAX));
                for hash in partial_proof {
                    out.extend_from_slice(hash);
                }
            }
            Self::LeafIndex { found, index } => {
                out.push(u8::from(*found));
                varint::encode_into(*index, &mut out);
            }
            Self::MoreElements {
                element_len,
                elements,
            } => {
                out.push(u8::try_from(elements.len()).unwrap_or(u8::MAX));
                out.push(*element_len);
                for element in elements {
                    out.extend_from_slice(element);
                }
            }
        }
        out
    }

    /// Parses CONTINUE data (device side); the layout depends on the request it answers.
    pub fn decode(request: ClientCommandCode, data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let response = match request {
            ClientCommandCode::Yield => Self::Empty,
            ClientCommandCode::GetPreimage => {
                let total_len = r.varint("preimage length")?;
                let n = r.u8("preimage part length")?;
                if u64::from(n) > total_len {
                    return Err(DecodeError::InvalidValue {
                        what: "preimage part length",
                        value: u64::from(n),
                    });
                }
                Self::Preimage {
                    total_len,
                    partial: r.take(usize::from(n), "preimage part")?.to_vec(),
                }
            }
            ClientCommandCode::GetMerkleLeafProof => {
                let leaf_hash = r.array("leaf hash")?;
                let proof_len = r.u8("proof length")?;
                let n = r.u8("proof part length")?;
                if n > proof_len {
                    return Err(DecodeError::InvalidValue {
                        what: "proof part length",
                        value: u64::from(n),
                    });
                }
                let mut partial_proof = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    partial_proof.push(r.array("proof hash")?);
                }
                Self::LeafProof {
                    leaf_hash,
                    proof_len,
                    partial_proof,
                }
            }
            ClientCommandCode::GetMerkleLeafIndex => Self::LeafIndex {
                found: r.flag("leaf found flag")?,
                index: r.varint("leaf index")?,
            },
            ClientCommandCode::GetMoreElements => {
                let n = r.u8("element count")?;
                let element_len = r.u8("element length")?;
                let mut elements = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    elements.push(r.take(usize::from(element_len), "element")?.to_vec());
                }
                Self::MoreElements {
                    element_len,
                    elements,
                }
            }
        };
        r.finish("client command response")?;
        Ok(response)
    }
}
