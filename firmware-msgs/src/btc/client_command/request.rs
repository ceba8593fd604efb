//! The device's requests (the data of an `E000` reply) and their wire format.

use crate::error::DecodeError;
use crate::merkle::Hash;
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
