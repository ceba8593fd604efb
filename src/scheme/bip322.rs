//! BIP-322 generic signed messages: simple, full, and the legacy format for P2PKH.

use serde::{Deserialize, Serialize};

use super::SchemeError;

/// Which BIP-322 form a valid signature used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bip322Variant {
    Simple,
    Full,
    Legacy,
}

/// Verifies a BIP-322 signature (base64, with or without the `smp`/`ful` prefix) of `message`
/// for `address`.
pub fn verify(
    _message: &[u8],
    _address: &bitcoin::Address,
    _signature: &str,
) -> Result<Bip322Variant, SchemeError> {
    Err(SchemeError::Unimplemented("bip322::verify"))
}
