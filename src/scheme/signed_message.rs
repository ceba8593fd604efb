//! The "signed message" framing of Bitcoin-family wallets: `varstr(header) ‖ varstr(message)`, a
//! varstr being the length as a CompactSize, then the bytes.
//!
//! Its SHA256d is the message digest of BIP-137 / Bitcoin Core's `signmessage` (header
//! [`BITCOIN_HEADER`]) and of every UTXO coin in OKX's files (each under its own header, e.g.
//! `"Litecoin Signed Message:\n"`); OKX's own rules hash the same framing with other hashes (see
//! [`okx`](super::okx)). This is the one implementation for all of them. It takes bytes, where
//! `bitcoin::sign_message::signed_msg_hash` takes a `&str` and only Bitcoin's header; the tests
//! pin the two to the same digest. CompactSize is the `bitcoin` crate's consensus encoding.
//!
//! (The emulator computes the Bitcoin digest with its own code on purpose, see
//! `emulator::digests`; `firmware_msgs::varint` is the sans-io crate's CompactSize.)

use bitcoin::consensus::encode::VarInt;
use bitcoin::consensus::Encodable as _;
use bitcoin::hashes::{sha256d, Hash, HashEngine};

/// The header Bitcoin wallets sign messages under.
pub const BITCOIN_HEADER: &str = "Bitcoin Signed Message:\n";

/// SHA256d(varstr(header) ‖ varstr(message)): the digest a Bitcoin-family wallet signs for
/// `message` under its coin's `header` ([`BITCOIN_HEADER`] for Bitcoin).
pub fn message_hash(header: &str, message: &[u8]) -> [u8; 32] {
    let mut engine = sha256d::Hash::engine();
    feed_varstrs(header.as_bytes(), message, |b| engine.input(b));
    sha256d::Hash::from_engine(engine).to_byte_array()
}

/// Feeds varstr(header) ‖ varstr(message) to `sink`, without allocating.
pub fn feed_varstrs(header: &[u8], message: &[u8], mut sink: impl FnMut(&[u8])) {
    for part in [header, message] {
        let (prefix, n) = compact_size(part.len() as u64);
        sink(prefix.get(..n).unwrap_or_default());
        sink(part);
    }
}

/// The CompactSize prefix of `len`, as bytes and their count.
fn compact_size(len: u64) -> ([u8; 9], usize) {
    let varint = VarInt(len);
    let mut out = [0u8; 9];
    // Nine bytes hold every CompactSize, so encoding into `out` cannot fail.
    let _ = varint.consensus_encode(&mut out.as_mut_slice());
    (out, varint.size())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_encoding() {
        let (b, n) = compact_size(0xfc);
        assert_eq!(n, 1);
        assert_eq!(b[0], 0xfc);
        let (b, n) = compact_size(0xfd);
        assert_eq!(n, 3);
        assert_eq!(&b[..3], &[0xfd, 0xfd, 0x00]);
        let (b, n) = compact_size(0x1_0000);
        assert_eq!(n, 5);
        assert_eq!(&b[..5], &[0xfe, 0, 0, 1, 0]);
        let (b, n) = compact_size(0x1_0000_0000);
        assert_eq!(n, 9);
        assert_eq!(&b[..9], &[0xff, 0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn compact_size_boundaries() {
        assert_eq!(compact_size(0xfc).1, 1);
        assert_eq!(compact_size(0xfd).1, 3);
        assert_eq!(compact_size(0x1_0000).1, 5);
    }
}
