//! Device-side drivers of the client-command protocol, for porsign's emulator.
//!
//! Each fetcher is a small state machine: it yields the next [`ClientCommand`] to send (as an
//! `E000` reply) and consumes the host's CONTINUE data, checking everything the real app checks
//! (hashes, Merkle proofs, element sizes) so the emulator rejects a wrong host as the app would.

use crate::error::DecodeError;
use crate::merkle::{self, Hash};
use crate::status::StatusWord;

use super::request::{ClientCommand, ClientCommandCode};
use super::response::ClientResponse;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The CONTINUE data is malformed for the pending request.
    #[error("malformed client command response")]
    Malformed(#[from] DecodeError),
    /// The host answered with a different kind of response than the request needs.
    #[error("unexpected client command response")]
    UnexpectedResponse,
    /// The preimage's hash is not the requested one.
    #[error("preimage does not match its hash")]
    HashMismatch,
    /// The Merkle proof does not lead to the root.
    #[error("invalid merkle proof")]
    InvalidProof,
    /// The declared preimage is longer than the caller allows.
    #[error("preimage of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Declared length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A Merkle leaf preimage does not start with the `00` leaf prefix.
    #[error("leaf preimage lacks the 00 prefix")]
    NotALeaf,
    /// The host reported the leaf as absent from the tree.
    #[error("leaf not found in the tree")]
    LeafNotFound,
}

impl FetchError {
    /// What the app answers when its fetch fails this way.
    pub fn status_word(&self) -> StatusWord {
        StatusWord::IncorrectData
    }
}

/// One step of a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchStep<T> {
    /// Send this request (as an `E000` reply) and feed the answer to `on_response`.
    Request(ClientCommand),
    /// The fetch is complete.
    Done(T),
}

/// Fetches the preimage of a hash: GET_PREIMAGE, then GET_MORE_ELEMENTS until complete.
#[derive(Debug, Clone)]
pub struct PreimageFetch {
    hash: Hash,
    max_len: usize,
    total: Option<usize>,
    buf: Vec<u8>,
    pending: ClientCommandCode,
}

impl PreimageFetch {
    /// Starts fetching the preimage of `hash`, refusing any longer than `max_len` bytes.
    /// Returns the fetcher and the first request.
    pub fn new(hash: Hash, max_len: usize) -> (Self, ClientCommand) {
        let fetch = Self {
            hash,
            max_len,
            total: None,
            buf: Vec::new(),
            pending: ClientCommandCode::GetPreimage,
        };
        (fetch, ClientCommand::GetPreimage { hash })
    }

    /// Consumes the host's CONTINUE data.
    pub fn on_response(&mut self, data: &[u8]) -> Result<FetchStep<Vec<u8>>, FetchError> {
        match ClientResponse::decode(self.pending, data)? {
            ClientResponse::Preimage { total_len, partial } if self.total.is_none() => {
                let total = usize::try_from(total_len)
                    .ok()
                    .filter(|len| *len <= self.max_len)
                    .ok_or(FetchError::TooLong {
                        len: total_len,
                        max: self.max_len,
                    })?;
                self.total = Some(total);
                self.buf = partial;
            }
            ClientResponse::MoreElements {
                element_len: 1,
                elements,
            } if self.total.is_some() && !elements.is_empty() => {
                self.buf.extend(elements.into_iter().flatten());
            }
            _ => return Err(FetchError::UnexpectedResponse),
        }
        let total = self.total.unwrap_or(0);
        if self.buf.len() > total {
            return Err(FetchError::UnexpectedResponse);
        }
        if self.buf.len() < total {
            self.pending = ClientCommandCode::GetMoreElements;
            return Ok(FetchStep::Request(ClientCommand::GetMoreElements));
        }
        if merkle::sha256(&self.buf) != self.hash {
            return Err(FetchError::HashMismatch);
        }
        Ok(FetchStep::Done(core::mem::take(&mut self.buf)))
    }
}

/// Fetches a leaf hash with its proof and checks the proof against the root.
#[derive(Debug, Clone)]
pub struct LeafProofFetch {
    root: Hash,
    tree_size: u64,
    leaf_index: u64,
    leaf: Option<(Hash, usize)>,
    proof: Vec<Hash>,
    pending: ClientCommandCode,
}

impl LeafProofFetch {
    /// Starts fetching leaf `leaf_index` of the `tree_size`-leaf tree with root `root`.
    pub fn new(root: Hash, tree_size: u64, leaf_index: u64) -> (Self, ClientCommand) {
        let fetch = Self {
            root,
            tree_size,
            leaf_index,
            leaf: None,
            proof: Vec::new(),
            pending: ClientCommandCode::GetMerkleLeafProof,
        };
        let request = ClientCommand::GetMerkleLeafProof {
            root,
            tree_size,
            leaf_index,
        };
        (fetch, request)
    }

    /// Consumes the host's CONTINUE data; finishes with the verified leaf hash.
    pub fn on_response(&mut self, data: &[u8]) -> Result<FetchStep<Hash>, FetchError> {
        match ClientResponse::decode(self.pending, data)? {
            ClientResponse::LeafProof {
                leaf_hash,
                proof_len,
                partial_proof,
            } if self.leaf.is_none() => {
                self.leaf = Some((leaf_hash, usize::from(proof_len)));
                self.proof = partial_proof;
            }
            ClientResponse::MoreElements {
                element_len: 32,
                elements,
            } if self.leaf.is_some() && !elements.is_empty() => {
                for element in elements {
                    let hash = Hash::try_from(element.as_slice())
                        .map_err(|_| FetchError::UnexpectedResponse)?;
                    self.proof.push(hash);
                }
            }
            _ => return Err(FetchError::UnexpectedResponse),
        }
        let Some((leaf_hash, proof_len)) = self.leaf else {
            return Err(FetchError::UnexpectedResponse);
        };
        if self.proof.len() > proof_len {
            return Err(FetchError::UnexpectedResponse);
        }
        if self.proof.len() < proof_len {
            self.pending = ClientCommandCode::GetMoreElements;
            return Ok(FetchStep::Request(ClientCommand::GetMoreElements));
        }
        if !merkle::verify_proof(
            &self.root,
            self.tree_size,
            self.leaf_index,
            &leaf_hash,
            &self.proof,
        ) {
            return Err(FetchError::InvalidProof);
        }
        Ok(FetchStep::Done(leaf_hash))
    }
}

/// Fetches element `i` of a Merkleized list: its proof, then its preimage without the `00`
/// prefix. This is how SIGN_MESSAGE reads each 64-byte chunk and how the app reads policy keys
/// and PSBT values.
#[derive(Debug, Clone)]
pub struct ListElementFetch {
    max_len: usize,
    state: ElementState,
}

#[derive(Debug, Clone)]
enum ElementState {
    Proof(LeafProofFetch),
    Preimage(PreimageFetch),
    Finished,
}

impl ListElementFetch {
    /// Starts fetching element `leaf_index` (at most `max_len` bytes) of the list with `root`.
    pub fn new(root: Hash, size: u64, leaf_index: u64, max_len: usize) -> (Self, ClientCommand) {
        let (proof, request) = LeafProofFetch::new(root, size, leaf_index);
        let fetch = Self {
            max_len,
            state: ElementState::Proof(proof),
        };
        (fetch, request)
    }

    /// Consumes the host's CONTINUE data; finishes with the element's bytes.
    pub fn on_response(&mut self, data: &[u8]) -> Result<FetchStep<Vec<u8>>, FetchError> {
        match &mut self.state {
            ElementState::Proof(fetch) => match fetch.on_response(data)? {
                FetchStep::Request(next) => Ok(FetchStep::Request(next)),
                FetchStep::Done(leaf_hash) => {
                    let (preimage, request) =
                        PreimageFetch::new(leaf_hash, self.max_len.saturating_add(1));
                    self.state = ElementState::Preimage(preimage);
                    Ok(FetchStep::Request(request))
                }
            },
            ElementState::Preimage(fetch) => match fetch.on_response(data)? {
                FetchStep::Request(next) => Ok(FetchStep::Request(next)),
                FetchStep::Done(preimage) => {
                    self.state = ElementState::Finished;
                    match preimage.split_first() {
                        Some((0x00, element)) => Ok(FetchStep::Done(element.to_vec())),
                        _ => Err(FetchError::NotALeaf),
                    }
                }
            },
            ElementState::Finished => Err(FetchError::UnexpectedResponse),
        }
    }
}

/// GET_MERKLE_LEAF_INDEX as a one-shot fetch: how the app finds a PSBT key in a map.
#[derive(Debug, Clone)]
pub struct LeafIndexFetch;

impl LeafIndexFetch {
    /// The request for the index of `leaf_hash` in the tree with `root`.
    pub fn new(root: Hash, leaf_hash: Hash) -> (Self, ClientCommand) {
        (Self, ClientCommand::GetMerkleLeafIndex { root, leaf_hash })
    }

    /// Consumes the host's CONTINUE data; finishes with the index, or fails if not found.
    pub fn on_response(&mut self, data: &[u8]) -> Result<FetchStep<u64>, FetchError> {
        match ClientResponse::decode(ClientCommandCode::GetMerkleLeafIndex, data)? {
            ClientResponse::LeafIndex { found: true, index } => Ok(FetchStep::Done(index)),
            ClientResponse::LeafIndex { found: false, .. } => Err(FetchError::LeafNotFound),
            _ => Err(FetchError::UnexpectedResponse),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btc::client_command::HostInterpreter;

    /// Runs a device fetch against the host interpreter until it finishes.
    fn run<T>(
        host: &mut HostInterpreter,
        first: ClientCommand,
        mut step: impl FnMut(&[u8]) -> Result<FetchStep<T>, FetchError>,
    ) -> Result<T, FetchError> {
        let mut request = first;
        for _ in 0..10_000 {
            let answer = host
                .answer_bytes(&request.encode())
                .map_err(|_| FetchError::UnexpectedResponse)?;
            match step(&answer)? {
                FetchStep::Request(next) => request = next,
                FetchStep::Done(value) => return Ok(value),
            }
        }
        Err(FetchError::UnexpectedResponse)
    }

    #[test]
    fn fetches_long_elements_of_big_lists() {
        let mut host = HostInterpreter::new();
        let elements: Vec<Vec<u8>> = (0..130u32)
            .map(|i| vec![(i % 251) as u8; 300 + i as usize])
            .collect();
        let root = host.add_list(&elements);
        for index in [0usize, 1, 64, 127, 129] {
            let (mut fetch, first) = ListElementFetch::new(root, 130, index as u64, 1000);
            let got = run(&mut host, first, |data| fetch.on_response(data)).expect("fetch");
            assert_eq!(Some(&got), elements.get(index));
        }
        let leaf = crate::merkle::leaf_hash(elements.get(5).expect("130 elements"));
        let (mut fetch, first) = LeafIndexFetch::new(root, leaf);
        assert_eq!(run(&mut host, first, |d| fetch.on_response(d)), Ok(5));
    }

    #[test]
    fn rejects_a_lying_host() {
        let (mut fetch, _) = PreimageFetch::new([0; 32], 100);
        assert_eq!(
            fetch.on_response(&[0x01, 0x01, 0x00]),
            Err(FetchError::HashMismatch)
        );
        let (mut fetch, _) = PreimageFetch::new([0; 32], 10);
        assert!(matches!(
            fetch.on_response(&[0xfd, 0x00, 0x01, 0x00]),
            Err(FetchError::TooLong { len: 256, max: 10 })
        ));
        let (mut fetch, _) = LeafProofFetch::new([1; 32], 1, 0);
        let mut data = vec![2u8; 32];
        data.extend_from_slice(&[0, 0]);
        assert_eq!(fetch.on_response(&data), Err(FetchError::InvalidProof));
    }
}
