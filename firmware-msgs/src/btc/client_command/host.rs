//! The host's side of the client-command protocol: the preimages and Merkle trees it can
//! serve, the queue of elements that did not fit one answer, and the values the device yielded.

use std::collections::{HashMap, VecDeque};

use super::request::ClientCommand;
use super::response::ClientResponse;
use crate::error::DecodeError;
use crate::merkle::{self, Hash, MerkleTree};
use crate::varint;

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
