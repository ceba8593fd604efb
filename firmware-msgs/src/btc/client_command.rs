//! The client-command protocol: how the Bitcoin app fetches data from the host.
//!
//! Instead of taking large inputs in one APDU, the app answers a command with status `E000`
//! ("interrupted execution") and a request in the data: `u8 code ‖ request`. The host answers
//! with CONTINUE (`F8 01 00 01 Lc response`), and the app either asks again or finishes.
//!
//! - [`ClientCommand`]: the requests (encoded by the device, decoded by the host);
//! - [`ClientResponse`]: the answers (encoded by the host, decoded by the device);
//! - [`HostInterpreter`]: the host's state (known preimages, Merkle trees, the queue of elements
//!   that did not fit one answer, the yielded values) that turns each request into its answer.
//!
//! Answer sizing follows Ledger's clients byte for byte, so recorded transcripts replay
//! exactly: a preimage answer carries at most `255 − len(varint) − 1` bytes, the rest queued as
//! 1-byte elements; a proof answer carries at most 6 hashes, the rest queued as 32-byte
//! elements; GET_MORE_ELEMENTS packs elements while the total stays at most 253 bytes.

use std::collections::{HashMap, VecDeque};

use crate::error::DecodeError;
use crate::merkle::{self, Hash, MerkleTree};
use crate::reader::Reader;
use crate::varint;

/// The request codes (first byte of an `E000` reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientCommandCode {
    /// `10`: the device hands the host a result (SIGN_PSBT signatures).
    Yield,
    /// `40`: the device asks for the preimage of a SHA-256 hash.
    GetPreimage,
    /// `41`: the device asks for a leaf hash and its Merkle proof.
    GetMerkleLeafProof,
    /// `42`: the device asks for the index of a leaf hash in a tree.
    GetMerkleLeafIndex,
    /// `A0`: the device asks for the queued elements that did not fit an earlier answer.
    GetMoreElements,
}

impl ClientCommandCode {
    /// The code byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Yield => 0x10,
            Self::GetPreimage => 0x40,
            Self::GetMerkleLeafProof => 0x41,
            Self::GetMerkleLeafIndex => 0x42,
            Self::GetMoreElements => 0xa0,
        }
    }

    /// The code for a byte, if defined.
    pub fn from_byte(byte: u8) -> Option<Self> {
        [
            Self::Yield,
            Self::GetPreimage,
            Self::GetMerkleLeafProof,
            Self::GetMerkleLeafIndex,
            Self::GetMoreElements,
        ]
        .into_iter()
        .find(|c| c.byte() == byte)
    }
}

/// A request from the device, carried in the data of an `E000` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// `10 ‖ data`
    Yield(Vec<u8>),
    /// `40 ‖ 00 ‖ 32 hash` (the `00` byte is reserved).
    GetPreimage {
        /// `SHA256` of the wanted bytes.
        hash: Hash,
    },
    /// `41 ‖ 32 root ‖ varint tree_size ‖ varint leaf_index`
    GetMerkleLeafProof {
        /// The tree's root.
        root: Hash,
        /// The number of leaves the device believes the tree has.
        tree_size: u64,
        /// The wanted leaf.
        leaf_index: u64,
    },
    /// `42 ‖ 32 root ‖ 32 leaf_hash`
    GetMerkleLeafIndex {
        /// The tree's root.
        root: Hash,
        /// The leaf hash to look up.
        leaf_hash: Hash,
    },
    /// `A0`
    GetMoreElements,
}

impl ClientCommand {
    /// The request's code.
    pub fn code(&self) -> ClientCommandCode {
        match self {
            Self::Yield(_) => ClientCommandCode::Yield,
            Self::GetPreimage { .. } => ClientCommandCode::GetPreimage,
            Self::GetMerkleLeafProof { .. } => ClientCommandCode::GetMerkleLeafProof,
            Self::GetMerkleLeafIndex { .. } => ClientCommandCode::GetMerkleLeafIndex,
            Self::GetMoreElements => ClientCommandCode::GetMoreElements,
        }
    }

    /// The `E000` reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.code().byte()];
        match self {
            Self::Yield(data) => out.extend_from_slice(data),
            Self::GetPreimage { hash } => {
                out.push(0x00);
                out.extend_from_slice(hash);
            }
            Self::GetMerkleLeafProof {
                root,
                tree_size,
                leaf_index,
            } => {
                out.extend_from_slice(root);
                varint::encode_into(*tree_size, &mut out);
                varint::encode_into(*leaf_index, &mut out);
            }
            Self::GetMerkleLeafIndex { root, leaf_hash } => {
                out.extend_from_slice(root);
                out.extend_from_slice(leaf_hash);
            }
            Self::GetMoreElements => {}
        }
        out
    }

    /// The `E000` reply, ready to send (device side).
    pub fn to_response(&self) -> crate::apdu::ApduResponse {
        crate::apdu::ApduResponse::new(
            self.encode(),
            crate::status::StatusWord::InterruptedExecution,
        )
    }

    /// Parses `E000` reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let byte = r.u8("client command code")?;
        let code = ClientCommandCode::from_byte(byte).ok_or(DecodeError::InvalidValue {
            what: "client command code",
            value: u64::from(byte),
        })?;
        let command = match code {
            ClientCommandCode::Yield => Self::Yield(r.rest().to_vec()),
            ClientCommandCode::GetPreimage => {
                let reserved = r.u8("get_preimage reserved byte")?;
                if reserved != 0 {
                    return Err(DecodeError::InvalidValue {
                        what: "get_preimage reserved byte",
                        value: u64::from(reserved),
                    });
                }
                Self::GetPreimage {
                    hash: r.array("preimage hash")?,
                }
            }
            ClientCommandCode::GetMerkleLeafProof => Self::GetMerkleLeafProof {
                root: r.array("merkle root")?,
                tree_size: r.varint("tree size")?,
                leaf_index: r.varint("leaf index")?,
            },
            ClientCommandCode::GetMerkleLeafIndex => Self::GetMerkleLeafIndex {
                root: r.array("merkle root")?,
                leaf_hash: r.array("leaf hash")?,
            },
            ClientCommandCode::GetMoreElements => Self::GetMoreElements,
        };
        r.finish("client command")?;
        Ok(command)
    }
}

/// The host's answer to a [`ClientCommand`], carried in a CONTINUE command.
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

/// Why the host cannot answer a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InterpreterError {
    /// The request bytes are malformed.
    #[error("malformed client command")]
    Malformed(#[from] DecodeError),
    /// The device asked for a preimage the host does not have.
    #[error("unknown preimage requested for hash {}", hex32(.hash))]
    UnknownPreimage {
        /// The requested hash.
        hash: Hash,
    },
    /// The device named a Merkle root the host does not have.
    #[error("unknown merkle root {}", hex32(.root))]
    UnknownTree {
        /// The requested root.
        root: Hash,
    },
    /// The device's tree size or leaf index disagrees with the host's tree.
    #[error(
        "leaf {leaf_index} of a {tree_size}-leaf tree requested, but the tree has {actual} leaves"
    )]
    BadLeafRequest {
        /// The size the device sent.
        tree_size: u64,
        /// The index the device sent.
        leaf_index: u64,
        /// The host tree's size.
        actual: usize,
    },
    /// A new request arrived while elements of an earlier answer were still queued.
    #[error("new request while {queued} queued elements were not fetched")]
    QueueNotEmpty {
        /// How many elements were still queued.
        queued: usize,
    },
    /// GET_MORE_ELEMENTS arrived with nothing queued.
    #[error("get_more_elements with an empty queue")]
    QueueEmpty,
}

fn hex32(bytes: &Hash) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Most hashes a GET_MERKLE_LEAF_PROOF answer carries inline: `(255 − 32 − 1 − 1) / 32`.
const MAX_INLINE_PROOF: usize = 6;
/// GET_MORE_ELEMENTS packs elements while their total stays at most this.
const MAX_ELEMENTS_BYTES: usize = 253;

/// The host's side of the client-command protocol: what it knows, and the pending queue.
#[derive(Debug, Clone, Default)]
pub struct HostInterpreter {
    preimages: HashMap<Hash, Vec<u8>>,
    trees: HashMap<Hash, MerkleTree>,
    queue: VecDeque<Vec<u8>>,
    yielded: Vec<Vec<u8>>,
}

impl HostInterpreter {
    /// An interpreter that knows nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `preimage` available to GET_PREIMAGE; returns its hash.
    pub fn add_preimage(&mut self, preimage: Vec<u8>) -> Hash {
        let hash = merkle::sha256(&preimage);
        self.preimages.insert(hash, preimage);
        hash
    }

    /// Makes a list available as a Merkle tree: proofs by root, and every leaf preimage
    /// `0x00 ‖ element` by its leaf hash. Returns the root.
    pub fn add_list<T: AsRef<[u8]>>(&mut self, elements: &[T]) -> Hash {
        let mut leaves = Vec::with_capacity(elements.len());
        for element in elements {
            let mut preimage = Vec::with_capacity(element.as_ref().len() + 1);
            preimage.push(0x00);
            preimage.extend_from_slice(element.as_ref());
            leaves.push(self.add_preimage(preimage));
        }
        let tree = MerkleTree::from_leaf_hashes(leaves);
        let root = tree.root();
        self.trees.insert(root, tree);
        root
    }

    /// The values yielded so far, in order.
    pub fn yielded(&self) -> &[Vec<u8>] {
        &self.yielded
    }

    /// Takes the yielded values out.
    pub fn take_yielded(&mut self) -> Vec<Vec<u8>> {
        core::mem::take(&mut self.yielded)
    }

    /// Answers `E000` reply data with the CONTINUE data to send.
    pub fn answer_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, InterpreterError> {
        let request = ClientCommand::decode(request)?;
        Ok(self.answer(&request)?.encode())
    }

    /// Answers one request, updating the queue and the yielded values.
    pub fn answer(&mut self, request: &ClientCommand) -> Result<ClientResponse, InterpreterError> {
        if !matches!(request, ClientCommand::GetMoreElements) && !self.queue.is_empty() {
            return Err(InterpreterError::QueueNotEmpty {
                queued: self.queue.len(),
            });
        }
        match request {
            ClientCommand::Yield(data) => {
                self.yielded.push(data.clone());
                Ok(ClientResponse::Empty)
            }
            ClientCommand::GetPreimage { hash } => self.preimage(hash),
            ClientCommand::GetMerkleLeafProof {
                root,
                tree_size,
                leaf_index,
            } => self.leaf_proof(root, *tree_size, *leaf_index),
            ClientCommand::GetMerkleLeafIndex { root, leaf_hash } => {
                let tree = self
                    .trees
                    .get(root)
                    .ok_or(InterpreterError::UnknownTree { root: *root })?;
                Ok(match tree.leaf_index(leaf_hash) {
                    Some(index) => ClientResponse::LeafIndex {
                        found: true,
                        index: index as u64,
                    },
                    None => ClientResponse::LeafIndex {
                        found: false,
                        index: 0,
                    },
                })
            }
            ClientCommand::GetMoreElements => self.more_elements(),
        }
    }

    fn preimage(&mut self, hash: &Hash) -> Result<ClientResponse, InterpreterError> {
        let preimage = self
            .preimages
            .get(hash)
            .ok_or(InterpreterError::UnknownPreimage { hash: *hash })?;
        let total_len = preimage.len() as u64;
        let inline = 255 - varint::encoded_len(total_len) - 1;
        let (partial, rest) = preimage.split_at(inline.min(preimage.len()));
        self.queue.extend(rest.iter().map(|b| vec![*b]));
        Ok(ClientResponse::Preimage {
            total_len,
            partial: partial.to_vec(),
        })
    }

    fn leaf_proof(
        &mut self,
        root: &Hash,
        tree_size: u64,
        leaf_index: u64,
    ) -> Result<ClientResponse, InterpreterError> {
        let tree = self
            .trees
            .get(root)
            .ok_or(InterpreterError::UnknownTree { root: *root })?;
        let bad = InterpreterError::BadLeafRequest {
            tree_size,
            leaf_index,
            actual: tree.len(),
        };
        if tree_size != tree.len() as u64 || leaf_index >= tree_size {
            return Err(bad);
        }
        let index = usize::try_from(leaf_index).map_err(|_| bad.clone())?;
        let (Some(leaf_hash), Some(proof)) = (tree.leaf(index).copied(), tree.proof(index)) else {
            return Err(bad);
        };
        // A tree of at most 2^64 leaves has a proof of at most 64 hashes.
        let proof_len = u8::try_from(proof.len()).map_err(|_| bad)?;
        let inline = proof.len().min(MAX_INLINE_PROOF);
        let (partial, rest) = proof.split_at(inline);
        self.queue.extend(rest.iter().map(|h| h.to_vec()));
        Ok(ClientResponse::LeafProof {
            leaf_hash,
            proof_len,
            partial_proof: partial.to_vec(),
        })
    }

    fn more_elements(&mut self) -> Result<ClientResponse, InterpreterError> {
        let element_len = self
            .queue
            .front()
            .map(Vec::len)
            .ok_or(InterpreterError::QueueEmpty)?;
        // The queue only ever holds 1-byte (preimage) or 32-byte (proof) elements, and a new
        // request is refused while it is not empty, so all queued elements have one size.
        let mut elements = Vec::new();
        let mut total = 0;
        while let Some(next) = self.queue.front() {
            if next.len() != element_len || total + element_len > MAX_ELEMENTS_BYTES {
                break;
            }
            total += element_len;
            elements.extend(self.queue.pop_front());
        }
        Ok(ClientResponse::MoreElements {
            element_len: u8::try_from(element_len).unwrap_or(u8::MAX),
            elements,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_sign_message_answers() {
        // btc-signmessage-short-84: the two interruptions and the host's answers.
        let message = b"porsign test challenge";
        let mut interpreter = HostInterpreter::new();
        let root = interpreter.add_list(&[&message[..]]);
        let request = hex::decode(format!("41{}0100", hex::encode(root))).expect("hex");
        assert_eq!(
            hex::encode(interpreter.answer_bytes(&request).expect("known tree")),
            format!("{}0000", hex::encode(root))
        );
        let request = hex::decode(format!("4000{}", hex::encode(root))).expect("hex");
        assert_eq!(
            hex::encode(interpreter.answer_bytes(&request).expect("known leaf")),
            "171700706f727369676e2074657374206368616c6c656e6765"
        );
    }

    #[test]
    fn long_preimage_is_queued_in_one_byte_elements() {
        let mut interpreter = HostInterpreter::new();
        let hash = interpreter.add_preimage(vec![7u8; 600]);
        let first = interpreter
            .answer(&ClientCommand::GetPreimage { hash })
            .expect("known");
        assert_eq!(
            first,
            ClientResponse::Preimage {
                total_len: 600,
                partial: vec![7u8; 251]
            }
        );
        let mut fetched = 251;
        while fetched < 600 {
            match interpreter.answer(&ClientCommand::GetMoreElements) {
                Ok(ClientResponse::MoreElements {
                    element_len: 1,
                    elements,
                }) => {
                    assert!(elements.len() <= 253);
                    fetched += elements.len();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(fetched, 600);
        assert_eq!(
            interpreter.answer(&ClientCommand::GetMoreElements),
            Err(InterpreterError::QueueEmpty)
        );
    }

    #[test]
    fn unknown_requests_are_errors_not_panics() {
        let mut interpreter = HostInterpreter::new();
        assert!(matches!(
            interpreter.answer_bytes(&[]),
            Err(InterpreterError::Malformed(_))
        ));
        assert!(matches!(
            interpreter.answer_bytes(&[0x40, 0x00]),
            Err(InterpreterError::Malformed(_))
        ));
        assert_eq!(
            interpreter.answer(&ClientCommand::GetPreimage { hash: [1; 32] }),
            Err(InterpreterError::UnknownPreimage { hash: [1; 32] })
        );
        let root = interpreter.add_list(&[b"a", b"b"]);
        assert!(matches!(
            interpreter.answer(&ClientCommand::GetMerkleLeafProof {
                root,
                tree_size: 3,
                leaf_index: 0
            }),
            Err(InterpreterError::BadLeafRequest { .. })
        ));
        assert_eq!(
            interpreter.answer(&ClientCommand::GetMerkleLeafIndex {
                root,
                leaf_hash: [9; 32]
            }),
            Ok(ClientResponse::LeafIndex {
                found: false,
                index: 0
            })
        );
    }
}
