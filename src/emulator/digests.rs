//! The digests the emulated apps sign, written here from the specs rather than taken from
//! `crate::scheme`: if the verifier's digest code had a bug, an emulator that signed with that
//! same code would produce signatures the buggy verifier accepts, and every end-to-end test would
//! pass by accident. Built only from the `bitcoin` crate's hashes and CompactSize encoding and the
//! `sha3` crate's Keccak; tests pin both these and the scheme's digests to independent published
//! values and to signatures made by the real Ledger apps.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256d, Hash};
use sha3::{Digest, Keccak256};

/// What the Bitcoin app hashes for SIGN_MESSAGE (Bitcoin Core's `signmessage`): SHA256d of the
/// 0x18-byte-prefixed magic "Bitcoin Signed Message:\n", the message length as a CompactSize,
/// and the message.
pub fn bitcoin_signed_message(message: &[u8]) -> [u8; 32] {
    let mut preimage = Vec::with_capacity(message.len() + 34);
    preimage.push(0x18);
    preimage.extend_from_slice(b"Bitcoin Signed Message:\n");
    // Writing to a Vec cannot fail.
    let _ = bitcoin::VarInt(message.len() as u64).consensus_encode(&mut preimage);
    preimage.extend_from_slice(message);
    sha256d::Hash::hash(&preimage).to_byte_array()
}

/// What the Ethereum app hashes for SIGN_PERSONAL_MESSAGE (EIP-191 version 0x45): Keccak-256 of
/// 0x19, "Ethereum Signed Message:\n", the message length in decimal ASCII, and the message.
pub fn ethereum_personal_message(message: &[u8]) -> [u8; 32] {
    let mut keccak = Keccak256::new();
    keccak.update([0x19]);
    keccak.update(b"Ethereum Signed Message:\n");
    keccak.update(message.len().to_string().as_bytes());
    keccak.update(message);
    keccak.finalize().into()
}
