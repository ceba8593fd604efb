//! EIP-191 `personal_sign` signatures, and OKX's EVM variant (personal_sign over keccak(message)).
//!
//! Digest: keccak256(0x19 "Ethereum Signed Message:\n" || decimal(len) || message). The signature
//! string is `0x` + 130 hex digits, r (32) || s (32) || v (1), with v in 27/28 or 0/1. A signature
//! whose s is in the upper half of the curve order is rejected ([`SchemeError::HighS`]): every
//! wallet and Ledger emits low-s (EIP-2), and the high-s twin is a malleated copy.

use secp256k1::ecdsa::{RecoverableSignature, RecoveryId, Signature};
use secp256k1::{Message, PublicKey, SECP256K1};
use sha3::{Digest, Keccak256};

use super::{EthAddress, SchemeError};

/// The EIP-191 version 0x45 digest of `message`.
pub fn message_hash(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(b"\x19Ethereum Signed Message:\n");
    let mut digits = [0u8; 20];
    let mut n = message.len();
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    h.update(digits.get(i..).unwrap_or_default());
    h.update(message);
    h.finalize().into()
}

/// Parses `0x` + 130 hex digits (r || s || v) into the 65 bytes.
pub fn decode_signature(signature_hex: &str) -> Result<[u8; 65], SchemeError> {
    let body = signature_hex
        .strip_prefix("0x")
        .ok_or(SchemeError::SignatureMissing0x)?;
    decode_rsv_hex_body(body)
}

/// 130 hex digits (no prefix) into the 65 bytes r || s || v. Shared with OKX's looser form.
pub(crate) fn decode_rsv_hex_body(body: &str) -> Result<[u8; 65], SchemeError> {
    if body.len() != 130 {
        return Err(SchemeError::SignatureLength {
            expected: 65,
            found: body.len() / 2,
        });
    }
    let mut sig = [0u8; 65];
    hex::decode_to_slice(body, &mut sig).map_err(|_| SchemeError::SignatureNotHex)?;
    Ok(sig)
}

/// Recovers the Ethereum address that made the 65-byte signature `sig` (r || s || v) of
/// `digest`.
pub fn recover_address(digest: &[u8; 32], sig: &[u8; 65]) -> Result<EthAddress, SchemeError> {
    let v = sig[64];
    let recid = match v {
        27 | 28 => v - 27,
        0 | 1 => v,
        other => return Err(SchemeError::InvalidRecoveryValue(other)),
    };
    let pubkey = recover_key(digest, sig, v, recid, true)?;
    Ok(EthAddress::from_public_key(&pubkey))
}

fn verify_digest(
    digest: &[u8; 32],
    address: &EthAddress,
    signature_hex: &str,
) -> Result<(), SchemeError> {
    let sig = decode_signature(signature_hex)?;
    let found = recover_address(digest, &sig)?;
    if found == *address {
        Ok(())
    } else {
        Err(SchemeError::EthAddressMismatch {
            expected: address.to_string(),
            found: found.to_string(),
        })
    }
}

/// Verifies a 65-byte `personal_sign` signature (0x-hex, r || s || v with v in 27/28 or 0/1).
pub fn verify(
    message: &[u8],
    address: &EthAddress,
    signature_hex: &str,
) -> Result<(), SchemeError> {
    verify_digest(&message_hash(message), address, signature_hex)
}

/// OKX's EVM rule: the signed payload is the 32-byte keccak256 of the message, then EIP-191.
pub fn verify_keccak_variant(
    message: &[u8],
    address: &EthAddress,
    signature_hex: &str,
) -> Result<(), SchemeError> {
    let inner: [u8; 32] = Keccak256::digest(message).into();
    verify_digest(&message_hash(&inner), address, signature_hex)
}

/// Recovers the key of the `r || s` in the first 64 bytes of `sig`, with recovery id `recid`
/// (taken from the byte `v`, named in errors). With `reject_high_s`, a signature whose s is in
/// the upper half (a malleated copy) is refused. Shared by every r || s || v scheme.
pub(crate) fn recover_key(
    digest: &[u8; 32],
    sig: &[u8; 65],
    v: u8,
    recid: u8,
    reject_high_s: bool,
) -> Result<PublicKey, SchemeError> {
    let rs = sig.get(..64).unwrap_or_default();
    if reject_high_s {
        let plain = Signature::from_compact(rs).map_err(|_| SchemeError::InvalidScalar)?;
        let mut low = plain;
        low.normalize_s();
        if low != plain {
            return Err(SchemeError::HighS);
        }
    }
    let recid =
        RecoveryId::from_i32(i32::from(recid)).map_err(|_| SchemeError::InvalidRecoveryValue(v))?;
    let rsig =
        RecoverableSignature::from_compact(rs, recid).map_err(|_| SchemeError::InvalidScalar)?;
    SECP256K1
        .recover_ecdsa(&Message::from_digest(*digest), &rsig)
        .map_err(|_| SchemeError::PubkeyNotRecovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_length_prefix() {
        let mut h = Keccak256::new();
        h.update(b"\x19Ethereum Signed Message:\n1234");
        let msg = vec![7u8; 1234];
        h.update(&msg);
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(message_hash(&msg), expected);
        let mut h = Keccak256::new();
        h.update(b"\x19Ethereum Signed Message:\n0");
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(message_hash(b""), expected);
    }
}
