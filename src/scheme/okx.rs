//! OKX's chain-specific message digests and signature encodings (research notes okx-formats.md
//! section 3, read from okx/proof-of-reserves `common/hash.go`, `common/verify.go`).
//!
//! Pure functions: no I/O, no allocation on the hot paths (digests are fixed arrays).
//!
//! | family | signed digest |
//! |---|---|
//! | UTXO coins | SHA256d(varstr(coin header) ‖ varstr(msg)), BIP-137 compact signature |
//! | EVM | keccak("\x19Ethereum Signed Message:\n32" ‖ keccak(msg)) |
//! | TRON v1 | keccak("\x19TRON Signed Message:\n32" ‖ keccak(msg)) |
//! | TRON v2 (TIP-191) | keccak("\x19TRON Signed Message:\n" ‖ decimal(len) ‖ msg) |
//! | "OKX ECDSA" | keccak(varstr("OKX Signed Message:\n") ‖ varstr(msg)) |
//! | EOS | SHA256(varstr("OKX Signed Message:\n") ‖ varstr(msg)) |
//! | Ed25519 | the bytes varstr("OKX Signed Message:\n") ‖ varstr(msg), signed unhashed |

use bitcoin::hashes::{ripemd160, sha256, Hash, HashEngine};
use secp256k1::PublicKey;
use sha3::{Digest, Keccak256};

use super::signed_message::feed_varstrs;
use super::SchemeError;

/// The header OKX puts before the message for its own ("OKX ECDSA", EOS, Ed25519) rules.
pub const OKX_HEADER: &str = "OKX Signed Message:\n";
const TRON_V1_PREFIX: &[u8] = b"\x19TRON Signed Message:\n32";
const TRON_V2_PREFIX: &[u8] = b"\x19TRON Signed Message:\n";

/// Errors of the OKX-specific decodings that [`SchemeError`] has no variant for.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OkxSchemeError {
    #[error(transparent)]
    Scheme(#[from] SchemeError),
    #[error("eos {what} must start with {prefix}")]
    EosPrefix {
        what: &'static str,
        prefix: &'static str,
    },
    #[error("eos {what} is not base58")]
    EosBase58 { what: &'static str },
    #[error("eos {what} has {found} bytes, expected {expected}")]
    EosLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("eos {what} checksum does not match")]
    EosChecksum { what: &'static str },
    #[error("eos public key is not a valid secp256k1 point")]
    EosKey,
    #[error("ed25519 public key must be 32 bytes of hex, found {0:?}")]
    Ed25519KeyEncoding(String),
    #[error("ed25519 public key is not a valid point, or has small order")]
    Ed25519Key,
    #[error("ed25519 signature must be 64 bytes of hex")]
    Ed25519SignatureEncoding,
    #[error("ed25519 signature does not verify for this public key and message")]
    Ed25519Invalid,
}

/// The UTXO-coin message digest: SHA256d(varstr(header) ‖ varstr(message)), where `header` is
/// the coin's, e.g. `"Litecoin Signed Message:\n"` (BIP-137's digest under another header).
pub use super::signed_message::message_hash as utxo_message_hash;

/// OKX's EVM digest: EIP-191 personal_sign over the 32-byte keccak256 of the message.
pub fn evm_message_hash(message: &[u8]) -> [u8; 32] {
    let inner: [u8; 32] = Keccak256::digest(message).into();
    super::eip191::message_hash(&inner)
}

/// TRON v1: like the EVM rule with TRON's prefix.
pub fn tron_v1_hash(message: &[u8]) -> [u8; 32] {
    let inner: [u8; 32] = Keccak256::digest(message).into();
    let mut h = Keccak256::new();
    h.update(TRON_V1_PREFIX);
    h.update(inner);
    h.finalize().into()
}

/// TRON v2 (TIP-191): the prefix, the message length in decimal, then the message.
pub fn tron_v2_hash(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(TRON_V2_PREFIX);
    h.update(message.len().to_string().as_bytes());
    h.update(message);
    h.finalize().into()
}

/// OKX's own secp256k1 rule (OKT, FIL, ATOM, XRP, ...): keccak256 of the two varstrs.
pub fn okx_ecdsa_hash(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    feed_varstrs(OKX_HEADER.as_bytes(), message, |b| h.update(b));
    h.finalize().into()
}

/// EOS: SHA-256 of the two varstrs.
pub fn eos_hash(message: &[u8]) -> [u8; 32] {
    let mut engine = sha256::Hash::engine();
    feed_varstrs(OKX_HEADER.as_bytes(), message, |b| engine.input(b));
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// The bytes an Ed25519 key signs under OKX's rule (not hashed first).
pub fn ed25519_payload(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + OKX_HEADER.len() + 4);
    feed_varstrs(OKX_HEADER.as_bytes(), message, |b| out.extend_from_slice(b));
    out
}

/// Parses 65 bytes r ‖ s ‖ v written as hex, with or without `0x` (OKX's files have both).
pub fn decode_hex_rsv(signature: &str) -> Result<[u8; 65], SchemeError> {
    super::eip191::decode_rsv_hex_body(signature.strip_prefix("0x").unwrap_or(signature))
}

/// Whether high-S signatures are refused. EVM wallets never make them (EIP-2); OKX's TRON and
/// "OKX ECDSA" rules accept them, and so does Bitcoin message signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HighS {
    Reject,
    Accept,
}

/// Recovers the key of an r ‖ s ‖ v signature of `digest`. v is 27..=34 (the compact-header
/// form OKX's Go code requires, the compression flag ignored) or 0..=3.
pub fn recover_rsv(
    digest: &[u8; 32],
    sig: &[u8; 65],
    high_s: HighS,
) -> Result<PublicKey, SchemeError> {
    let v = sig[64];
    let recid = match v {
        27..=34 => (v - 27) % 4,
        0..=3 => v,
        other => return Err(SchemeError::InvalidRecoveryValue(other)),
    };
    super::eip191::recover_key(digest, sig, v, recid, high_s == HighS::Reject)
}

/// RIPEMD-160 of `data`, first four bytes: EOS's key and signature checksum.
fn eos_checksum(data: &[u8], suffix: &[u8]) -> [u8; 4] {
    let mut engine = ripemd160::Hash::engine();
    engine.input(data);
    engine.input(suffix);
    let h = ripemd160::Hash::from_engine(engine).to_byte_array();
    [h[0], h[1], h[2], h[3]]
}

/// EOS's checked encoding: `prefix`, then base58 of `len` data bytes ‖ RIPEMD160(data ‖
/// `suffix`)[..4]. Returns the data.
fn decode_eos_checked(
    text: &str,
    prefix: &'static str,
    suffix: &[u8],
    len: usize,
    what: &'static str,
) -> Result<Vec<u8>, OkxSchemeError> {
    let body = text
        .strip_prefix(prefix)
        .ok_or(OkxSchemeError::EosPrefix { what, prefix })?;
    let mut raw = bitcoin::base58::decode(body).map_err(|_| OkxSchemeError::EosBase58 { what })?;
    if raw.len() != len + 4 {
        return Err(OkxSchemeError::EosLength {
            what,
            expected: len + 4,
            found: raw.len(),
        });
    }
    let check = raw.split_off(len);
    if eos_checksum(&raw, suffix) != check.as_slice() {
        return Err(OkxSchemeError::EosChecksum { what });
    }
    Ok(raw)
}

/// Decodes an EOS `SIG_K1_` signature (base58 of recid ‖ r ‖ s ‖ RIPEMD160(sig ‖ "K1")[..4])
/// into r ‖ s ‖ v with v = the header byte.
pub fn decode_eos_signature(signature: &str) -> Result<[u8; 65], OkxSchemeError> {
    let data = decode_eos_checked(signature, "SIG_K1_", b"K1", 65, "signature")?;
    let mut out = [0u8; 65];
    if let (Some(rs), Some(&v)) = (data.get(1..65), data.first()) {
        out[..64].copy_from_slice(rs);
        out[64] = v;
    }
    Ok(out)
}

/// Decodes a legacy `EOS…` public key (base58 of the 33-byte key ‖ RIPEMD160(key)[..4]).
pub fn decode_eos_pubkey(key: &str) -> Result<PublicKey, OkxSchemeError> {
    let data = decode_eos_checked(key, "EOS", b"", 33, "public key")?;
    PublicKey::from_slice(&data).map_err(|_| OkxSchemeError::EosKey)
}

/// Parses a 32-byte Ed25519 public key from hex (optional `0x`).
pub fn decode_ed25519_pubkey(text: &str) -> Result<[u8; 32], OkxSchemeError> {
    let body = text.strip_prefix("0x").unwrap_or(text);
    let mut out = [0u8; 32];
    hex::decode_to_slice(body, &mut out)
        .map_err(|_| OkxSchemeError::Ed25519KeyEncoding(text.to_owned()))?;
    Ok(out)
}

/// Verifies an Ed25519 signature (hex, optional `0x`) of `payload` with the strict rules
/// (canonical S, no small-order key): a weak key would let anyone sign for it.
pub fn verify_ed25519(
    pubkey: &[u8; 32],
    payload: &[u8],
    signature_hex: &str,
) -> Result<(), OkxSchemeError> {
    let body = signature_hex.strip_prefix("0x").unwrap_or(signature_hex);
    let mut sig = [0u8; 64];
    hex::decode_to_slice(body, &mut sig).map_err(|_| OkxSchemeError::Ed25519SignatureEncoding)?;
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(pubkey).map_err(|_| OkxSchemeError::Ed25519Key)?;
    if key.is_weak() {
        return Err(OkxSchemeError::Ed25519Key);
    }
    let sig = ed25519_dalek::Signature::from_bytes(&sig);
    key.verify_strict(payload, &sig)
        .map_err(|_| OkxSchemeError::Ed25519Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utxo_hash_with_bitcoin_header_is_bip137() {
        let m = b"I am an OKX address";
        assert_eq!(
            utxo_message_hash("Bitcoin Signed Message:\n", m),
            super::super::bip137::message_hash(m)
        );
    }

    #[test]
    fn ed25519_payload_layout() {
        let p = ed25519_payload(b"abc");
        assert_eq!(p.first(), Some(&20u8));
        assert_eq!(p.get(1..21), Some(OKX_HEADER.as_bytes()));
        assert_eq!(p.get(21..), Some(&[3u8, b'a', b'b', b'c'][..]));
    }

    #[test]
    fn eos_encodings_decode_and_fail_closed() {
        let encode = |prefix: &str, data: &[u8], suffix: &[u8]| {
            let mut engine = ripemd160::Hash::engine();
            engine.input(data);
            engine.input(suffix);
            let check = ripemd160::Hash::from_engine(engine).to_byte_array();
            let raw = [data, check.get(..4).unwrap()].concat();
            format!("{prefix}{}", bitcoin::base58::encode(&raw))
        };
        let secret = secp256k1::SecretKey::from_slice(&[1; 32]).unwrap();
        let key = PublicKey::from_secret_key(secp256k1::SECP256K1, &secret);
        let good = encode("EOS", &key.serialize(), b"");
        assert_eq!(decode_eos_pubkey(&good), Ok(key));
        let what = "public key";
        assert_eq!(
            decode_eos_pubkey(&good[3..]),
            Err(OkxSchemeError::EosPrefix {
                what,
                prefix: "EOS"
            })
        );
        assert_eq!(
            decode_eos_pubkey("EOS0OIl"),
            Err(OkxSchemeError::EosBase58 { what })
        );
        assert_eq!(
            decode_eos_pubkey(&encode("EOS", &key.serialize()[1..], b"")),
            Err(OkxSchemeError::EosLength {
                what,
                expected: 37,
                found: 36
            })
        );
        assert_eq!(
            decode_eos_pubkey(&encode("EOS", &key.serialize(), b"K1")),
            Err(OkxSchemeError::EosChecksum { what })
        );
        assert_eq!(
            decode_eos_pubkey(&encode("EOS", &[7; 33], b"")),
            Err(OkxSchemeError::EosKey)
        );

        let mut sig = [0u8; 65];
        sig[0] = 31;
        sig[1] = 0xaa;
        sig[64] = 0xbb;
        let decoded = decode_eos_signature(&encode("SIG_K1_", &sig, b"K1")).unwrap();
        assert_eq!((decoded[0], decoded[63], decoded[64]), (0xaa, 0xbb, 31));
        let what = "signature";
        assert_eq!(
            decode_eos_signature(&encode("SIG_K1_", &sig, b"")),
            Err(OkxSchemeError::EosChecksum { what })
        );
        assert_eq!(
            decode_eos_signature(&encode("SIG_K1_", &sig[1..], b"K1")),
            Err(OkxSchemeError::EosLength {
                what,
                expected: 69,
                found: 68
            })
        );
        assert_eq!(
            decode_eos_signature(&encode("SIG_R1_", &sig, b"K1")),
            Err(OkxSchemeError::EosPrefix {
                what,
                prefix: "SIG_K1_"
            })
        );
    }
}
