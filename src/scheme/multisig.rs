//! m-of-n multisig ownership: a P2SH / P2WSH / P2SH-P2WSH script that hashes to the address, and
//! BIP-137 signatures from m distinct keys of that script.

use super::SchemeError;

/// What a valid multisig proof showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigMatch {
    /// m
    pub threshold: usize,
    /// n
    pub keys: usize,
    /// The distinct keys that signed, in the order their signatures were given.
    pub signers: Vec<bitcoin::PublicKey>,
}

/// Verifies that `script` (redeem or witness script) hashes to `address` and that `signatures`
/// (base64 BIP-137) come from at least m distinct keys of it.
pub fn verify(
    _message: &[u8],
    _address: &bitcoin::Address,
    _script: &bitcoin::Script,
    _signatures: &[&str],
) -> Result<MultisigMatch, SchemeError> {
    Err(SchemeError::Unimplemented("multisig::verify"))
}
