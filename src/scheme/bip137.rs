//! BIP-137 / Bitcoin Core `signmessage` signatures (header byte 27..=42 || r || s, base64).

use super::{SchemeError, SingleKeyType};

/// What a valid BIP-137 signature proved: which key signed, and which single-key address type of
/// that key produced the listed address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bip137Match {
    pub pubkey: bitcoin::PublicKey,
    pub address_type: SingleKeyType,
    pub header: u8,
}

/// Verifies a base64 BIP-137 signature of `message` for `address`.
pub fn verify(
    _message: &[u8],
    _address: &bitcoin::Address,
    _signature_b64: &str,
) -> Result<Bip137Match, SchemeError> {
    Err(SchemeError::Unimplemented("bip137::verify"))
}
