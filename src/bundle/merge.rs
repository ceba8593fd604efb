//! `porsign bundle merge`: combine the partial bundles that cosigners (or several devices)
//! produced for the same challenge into one bundle.
//!
//! Single-key entries are taken as they are. Multisig entries for the same address are combined
//! into one entry carrying every distinct signature. Anything that disagrees (another challenge,
//! another descriptor or script for the same address, the same single-key address with different
//! proofs) is refused: a merge never guesses which side is right.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use super::model::{Entry, Header, Line, Scheme};
use super::reader::{decode_line, LineReader};
use super::writer::check_header_kind;
use super::{BundleDigest, BundleError, BundleWriter};
use crate::model::{canonical_address, Chain};

/// Why bundles could not be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    #[error("{path}")]
    Bundle {
        path: String,
        #[source]
        source: BundleError,
    },
    #[error("{path}: {reason}")]
    Incomplete { path: String, reason: String },
    #[error("{path} signed another challenge than {first}")]
    Challenge { path: String, first: String },
    #[error("{path} line {line}: address {address} conflicts with {other}: {reason}")]
    Conflict {
        path: String,
        line: u64,
        address: String,
        other: String,
        reason: String,
    },
    #[error("nothing to merge: give at least one bundle")]
    NoInput,
}

/// One input bundle, read whole (partial bundles are small: one per cosigner or device).
struct Input {
    path: String,
    header: Header,
    entries: Vec<(u64, Entry)>,
}

fn read_input(path: &Path) -> Result<Input, MergeError> {
    let shown = path.display().to_string();
    let wrap = |source: BundleError| MergeError::Bundle {
        path: shown.clone(),
        source,
    };
    let incomplete = |reason: &str| MergeError::Incomplete {
        path: shown.clone(),
        reason: reason.to_owned(),
    };
    let mut reader = LineReader::open(path).map_err(wrap)?;
    let mut header = None;
    let mut entries = Vec::new();
    let mut digest = BundleDigest::default();
    let mut footer = None;
    while let Some(raw) = reader.next_line().map_err(wrap)? {
        if !raw.complete {
            return Err(incomplete("the last line is cut off"));
        }
        if footer.is_some() {
            return Err(incomplete("a line follows the footer"));
        }
        match decode_line(raw.number, &raw.text).map_err(wrap)? {
            Line::Header(h) if header.is_none() => {
                check_header_kind(&h).map_err(wrap)?;
                digest.update(&raw.text);
                header = Some(h);
            }
            Line::Header(_) => return Err(incomplete("a second header")),
            Line::Entry(e) => {
                digest.update(&raw.text);
                entries.push((raw.number, e));
            }
            Line::Footer(f) => footer = Some(f),
            // A seal vouches for one finished bundle; merging makes another, sealed afresh.
            Line::Seal(_) => {
                return Err(incomplete(
                    "it is sealed: merge the unsealed partial bundles, then seal the result",
                ))
            }
        }
    }
    let header = header.ok_or_else(|| wrap(BundleError::Empty))?;
    let footer = footer
        .ok_or_else(|| incomplete("no footer: the signing run is unfinished (resume it first)"))?;
    if footer.entries != entries.len() as u64 || footer.sha256 != digest.hex() {
        return Err(incomplete(
            "the footer does not match the entries (edited or damaged)",
        ));
    }
    Ok(Input {
        path: shown,
        header,
        entries,
    })
}

/// What a merge produced.
#[derive(Debug)]
pub struct MergeSummary {
    pub inputs: usize,
    pub entries: u64,
    pub multisig_entries: u64,
}

/// Merges `inputs` into a new bundle at `output` (which must not exist).
pub fn merge_bundles(
    inputs: &[&Path],
    output: &Path,
    created_at: String,
) -> Result<MergeSummary, MergeError> {
    let parsed = inputs
        .iter()
        .map(|p| read_input(p))
        .collect::<Result<Vec<_>, _>>()?;
    let first = parsed.first().ok_or(MergeError::NoInput)?;
    for input in &parsed {
        if input.header.challenge != first.header.challenge {
            return Err(MergeError::Challenge {
                path: input.path.clone(),
                first: first.path.clone(),
            });
        }
    }
    // Keyed by chain and canonical address; BTreeMap keeps first-seen order through `order`.
    let mut merged: BTreeMap<(Chain, String), (usize, Entry, String)> = BTreeMap::new();
    let mut order = 0usize;
    for input in &parsed {
        for (line, entry) in &input.entries {
            let key = (entry.chain, canonical_address(entry.chain, &entry.address));
            let place = format!("{} line {line}", input.path);
            match merged.get_mut(&key) {
                None => {
                    merged.insert(key, (order, entry.clone(), place));
                    order += 1;
                }
                Some((_, existing, existing_place)) => {
                    combine(existing, entry).map_err(|reason| MergeError::Conflict {
                        path: input.path.clone(),
                        line: *line,
                        address: entry.address.clone(),
                        other: existing_place.clone(),
                        reason,
                    })?;
                }
            }
        }
    }
    let mut entries: Vec<(usize, Entry)> = merged.into_values().map(|(o, e, _)| (o, e)).collect();
    entries.sort_by_key(|(o, _)| *o);

    let header = Header {
        created_at,
        tool: format!("porsign {}", env!("CARGO_PKG_VERSION")),
        ..first.header.clone()
    };
    let wrap = |source: BundleError| MergeError::Bundle {
        path: output.display().to_string(),
        source,
    };
    let mut writer = BundleWriter::create(output, &header).map_err(wrap)?;
    let mut multisig_entries = 0;
    for (_, entry) in entries {
        if entry.scheme == Scheme::Bip137Multisig {
            multisig_entries += 1;
        }
        writer.append(entry).map_err(wrap)?;
    }
    let footer = writer.finish().map_err(wrap)?;
    Ok(MergeSummary {
        inputs: parsed.len(),
        entries: footer.entries,
        multisig_entries,
    })
}

/// Folds `other` into `existing` (same chain and address), or says why they conflict.
fn combine(existing: &mut Entry, other: &Entry) -> Result<(), String> {
    if existing.scheme != other.scheme || existing.network != other.network {
        return Err(format!(
            "scheme/network {}/{} against {}/{}",
            other.scheme, other.network, existing.scheme, existing.network
        ));
    }
    if existing.scheme == Scheme::Bip322Batch {
        return combine_batch_input(existing, other);
    }
    if existing.scheme != Scheme::Bip137Multisig {
        // The same single-key proof twice is harmless (a device signed on two runs); two
        // different proofs for one address mean the inputs disagree about something.
        return if existing.signatures == other.signatures
            && existing.pubkey == other.pubkey
            && existing.descriptor == other.descriptor
        {
            Ok(())
        } else {
            Err("two different single-key proofs".into())
        };
    }
    if existing.script != other.script || existing.descriptor != other.descriptor {
        return Err("another script or descriptor for the same multisig address".into());
    }
    if existing.amount != other.amount {
        return Err(format!(
            "amount {:?} against {:?}",
            other.amount, existing.amount
        ));
    }
    for sig in &other.signatures {
        if !existing.signatures.contains(sig) {
            existing.signatures.push(sig.clone());
        }
    }
    // Cosigner-specific fields do not describe the merged entry.
    if existing.path != other.path {
        existing.path = None;
    }
    if existing.fingerprint != other.fingerprint {
        existing.fingerprint = None;
    }
    Ok(())
}

/// Two bundles' entries for one input of a batch: the same batch and input, and either the same
/// proof or two cosigners' shares of a multisig input, whose signatures are united.
fn combine_batch_input(existing: &mut Entry, other: &Entry) -> Result<(), String> {
    if existing.batch != other.batch || existing.input != other.input {
        return Err(format!(
            "batch {:?} input {:?} against batch {:?} input {:?}: a merge cannot mix different batches",
            other.batch, other.input, existing.batch, existing.input
        ));
    }
    if existing.descriptor != other.descriptor || existing.amount != other.amount {
        return Err("another descriptor or amount for the same batch input".into());
    }
    if existing.signatures == other.signatures {
        return Ok(());
    }
    let (Some(mine), Some(theirs), true) = (
        existing.signatures.first(),
        other.signatures.first(),
        existing.descriptor.is_some(),
    ) else {
        return Err("two different proofs of one single-key batch input".into());
    };
    let merged = crate::scheme::bip322::batch_multisig::merge_multisig_inputs(mine, theirs)?;
    existing.signatures = vec![merged];
    if existing.fingerprint != other.fingerprint {
        existing.fingerprint = None;
    }
    Ok(())
}

/// Reads the header of a bundle, for commands that only need to know what it signed.
pub fn read_header<R: BufRead>(input: R) -> Result<Header, BundleError> {
    let mut reader = LineReader::new(input);
    let first = reader.next_line()?.ok_or(BundleError::Empty)?;
    match decode_line(first.number, &first.text)? {
        Line::Header(h) => {
            check_header_kind(&h)?;
            Ok(h)
        }
        _ => Err(BundleError::Structure {
            line: 1,
            reason: "the first line must be the header".into(),
        }),
    }
}
