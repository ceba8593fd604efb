//! EIP-191 `personal_sign` signatures, and OKX's EVM variant (personal_sign over keccak(message)).

use super::{EthAddress, SchemeError};

/// Verifies a 65-byte `personal_sign` signature (0x-hex, r || s || v with v in 27/28 or 0/1).
pub fn verify(
    _message: &[u8],
    _address: &EthAddress,
    _signature_hex: &str,
) -> Result<(), SchemeError> {
    Err(SchemeError::Unimplemented("eip191::verify"))
}

/// OKX's EVM rule: the signed payload is the 32-byte keccak256 of the message, then EIP-191.
pub fn verify_keccak_variant(
    _message: &[u8],
    _address: &EthAddress,
    _signature_hex: &str,
) -> Result<(), SchemeError> {
    Err(SchemeError::Unimplemented("eip191::verify_keccak_variant"))
}
