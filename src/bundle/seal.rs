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

/// What a bundle to be sealed shows: the text its seal must sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealTarget {
    pub text: String,
    pub entries: u64,
}

/// Reads a finished, unsealed bundle and returns the text a seal of it signs. The bundle must
/// verify against its own challenge first: a custodian's key never vouches for a bundle that
/// fails.
pub fn seal_target(path: &std::path::Path) -> Result<SealTarget, super::BundleError> {
    use super::reader::{decode_line, LineReader};
    use super::{BundleError, Line};
    let structure = |line: u64, reason: &str| BundleError::Structure {
        line,
        reason: reason.to_owned(),
    };
    let mut reader = LineReader::open(path)?;
    let mut header = None;
    let mut footer = None;
    while let Some(raw) = reader.next_line()? {
        if !raw.complete {
            return Err(structure(raw.number, "cut off"));
        }
        match decode_line(raw.number, &raw.text)? {
            Line::Header(h) => header = Some(h),
            Line::Footer(f) => footer = Some(f),
            Line::Seal(_) => return Err(structure(raw.number, "the bundle is already sealed")),
            Line::Entry(_) => {}
        }
    }
    let header = header.ok_or(BundleError::Empty)?;
    let footer = footer.ok_or_else(|| {
        structure(
            1,
            "the bundle has no footer: only a finished bundle can be sealed",
        )
    })?;
    let file = crate::lines::open_for_reading(path)?;
    let opts = super::VerifyOptions::new(header.challenge.clone());
    let report = super::verify_bundle(std::io::BufReader::new(file), &opts)?;
    if !report.all_valid() {
        return Err(structure(
            report.failures.first().map_or(1, |f| f.line),
            &format!(
                "the bundle does not verify ({} failures; first: {}): a seal would vouch for it",
                report.failure_count,
                report
                    .failures
                    .first()
                    .map_or("?".to_owned(), |f| f.reason.clone())
            ),
        ));
    }
    Ok(SealTarget {
        text: seal_text(&footer, &header.challenge_sha256),
        entries: footer.entries,
    })
}

/// Appends `seal` to the finished bundle at `path` and syncs it to disk.
pub fn append_seal(path: &std::path::Path, seal: &Seal) -> Result<(), super::BundleError> {
    use std::io::Write;
    let shown = path.display().to_string();
    let line = super::model::encode_line(&super::Line::Seal(seal.clone()));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|source| crate::lines::FileError::Open {
            path: shown.clone(),
            source,
        })?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|source| crate::lines::FileError::Write {
            path: shown,
            source,
        })?;
    Ok(())
}
