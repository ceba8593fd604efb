//! The seal (bundle version 2): after the footer, the custodian's device signs a short text that
//! names the bundle's digest, its entry count and the challenge. The footer's digest alone is
//! unkeyed (anyone can recompute it after an edit); a seal says whose key vouches for the
//! bundle's unsigned claims (`amount`, `custodian`), and any edit after sealing fails it.
//!
//! The text is one printable line so that a Ledger's SIGN_MESSAGE shows it on screen:
//! `porsign seal v1: bundle <footer sha256> entries <N> challenge <challenge sha256>`.
//! The signature is BIP-137 over that text by the key of the seal's `address`.

use super::model::{Footer, Scheme, Seal};
use crate::model::{Chain, Network};
use crate::scheme::{self, SchemeError};

/// The text a seal signs for a bundle whose footer is `footer` and whose header names the
/// challenge with SHA-256 `challenge_sha256` (lowercase hex).
pub fn seal_text(footer: &Footer, challenge_sha256: &str) -> String {
    format!(
        "porsign seal v1: bundle {} entries {} challenge {}",
        footer.sha256, footer.entries, challenge_sha256
    )
}

/// What a checked seal tells a reader.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SealInfo {
    /// The sealing address: whose key vouches for the bundle.
    pub address: String,
    pub network: String,
    /// The sealing key's path on its device, as written (informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Why a seal does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    #[error("seal field `text` is not the text of this bundle (expected {expected:?}): the bundle was edited after sealing, or the seal belongs to another bundle")]
    Text { expected: String },
    #[error("seal field `chain`: a seal is a Bitcoin BIP-137 signature, not {0}")]
    Chain(&'static str),
    #[error("seal field `scheme`: {0:?} is not bip137")]
    Scheme(String),
    #[error("seal field `network`: {0:?} is not a Bitcoin network")]
    Network(String),
    #[error("seal field `address`: {0}")]
    Address(SchemeError),
    #[error("seal field `signature`: {0}")]
    Signature(SchemeError),
    #[error("seal field `path`: {0}")]
    Path(String),
}

/// Checks `seal` against the footer the verifier checked and the header's challenge digest.
pub fn verify_seal(
    seal: &Seal,
    footer: &Footer,
    challenge_sha256: &str,
) -> Result<SealInfo, SealError> {
    let expected = seal_text(footer, challenge_sha256);
    if seal.text != expected {
        return Err(SealError::Text { expected });
    }
    if seal.chain != Chain::Bitcoin {
        return Err(SealError::Chain(seal.chain.as_str()));
    }
    if seal.scheme != Scheme::Bip137 {
        return Err(SealError::Scheme(seal.scheme.to_string()));
    }
    let network: Network = seal
        .network
        .known()
        .ok_or_else(|| SealError::Network(seal.network.to_string()))?;
    if let Some(path) = &seal.path {
        crate::model::check_path_text(path).map_err(SealError::Path)?;
    }
    let address = scheme::parse_btc_address(&seal.address, network).map_err(SealError::Address)?;
    scheme::bip137::verify(seal.text.as_bytes(), &address, &seal.signature)
        .map_err(SealError::Signature)?;
    Ok(SealInfo {
        address: seal.address.clone(),
        network: network.to_string(),
        path: seal.path.clone(),
    })
}
