//! The bundle verifier. It streams the file (memory grows with the count of distinct addresses
//! only, for duplicate detection), checks every entry against the expected challenge, and fails
//! closed: anything it cannot check is a failure, never a pass.
//!
//! - [`entry`]: one entry against the message (pure, run on all cores);
//! - this module: the structure of the file (header, order, duplicates, footer), in file order;
//! - [`report`]: what was found, with every entry's result handed out as it is decided.

pub mod entry;
pub mod report;

use std::collections::HashMap;
use std::io::BufRead;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::model::{Header, Line};
use super::reader::{decode_line, LineReader, RawLine};
use super::writer::check_header_kind;
use super::{BundleDigest, BundleError};
use crate::model::duplicate_key;

pub use entry::{check_entry, EntryContext, Verified};
pub use report::{
    ClaimedSum, Counts, EntryFailure, EntryResult, Failure, NetworkTotals, Report, Verdict,
    MAX_LISTED_FAILURES,
};

/// How long a header's `created_at` may lie ahead of the verifier's clock (clock skew).
pub const MAX_FUTURE_SKEW: time::Duration = time::Duration::minutes(5);

/// What the verifier checks the bundle against.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The challenge message every entry must have signed.
    pub expected_message: String,
    /// The verifier's clock, for refusing headers from the future.
    pub now: time::OffsetDateTime,
    /// When the challenge was made (known when it is given as a file): a bundle header dated
    /// earlier cannot have answered it.
    pub challenge_created_at: Option<time::OffsetDateTime>,
    /// The chain tip's height, if known: BIP-322 proofs locked to a block height are checked
    /// against it (without it they cannot be shown valid, and fail).
    pub tip_height: Option<u32>,
}

impl VerifyOptions {
    /// Options for verifying against `expected_message` now, with nothing else known.
    pub fn new(expected_message: impl Into<String>) -> Self {
        VerifyOptions {
            expected_message: expected_message.into(),
            now: time::OffsetDateTime::now_utc(),
            challenge_created_at: None,
            tip_height: None,
        }
    }

    fn entry_context(&self) -> EntryContext<'_> {
        EntryContext {
            message: self.expected_message.as_bytes(),
            now_unix: self.now.unix_timestamp(),
            tip_height: self.tip_height,
        }
    }
}

/// Lines decoded and checked in parallel at a time: enough to keep every core busy, small
/// enough that memory stays flat however long the bundle is.
const BATCH_LINES: usize = 2048;

/// One line, decoded and (for an entry) checked against the message, ahead of the in-order pass.
struct CheckedLine {
    raw: RawLine,
    line: Result<Line, BundleError>,
    outcome: Option<Result<Verified, EntryFailure>>,
}

impl CheckedLine {
    fn new(raw: RawLine, ctx: &EntryContext<'_>) -> Self {
        if !raw.complete {
            // A cut-off line is reported as truncation before it would be decoded.
            return CheckedLine {
                line: Err(BundleError::Structure {
                    line: raw.number,
                    reason: "cut off".into(),
                }),
                outcome: None,
                raw,
            };
        }
        let line = decode_line(raw.number, &raw.text);
        let outcome = match &line {
            Ok(Line::Entry(entry)) => Some(check_entry(entry, ctx)),
            _ => None,
        };
        CheckedLine { raw, line, outcome }
    }
}

/// Verifies a whole bundle from a reader. `Err` means the input is unusable (exit 2);
/// otherwise the report says which entries failed.
pub fn verify_bundle<R: BufRead>(input: R, opts: &VerifyOptions) -> Result<Report, BundleError> {
    verify_bundle_streaming(input, opts, &mut |_| {})
}

/// Like [`verify_bundle`], handing every entry's result to `on_entry` in file order as soon as
/// it is decided, so that a caller can report every entry of a bundle of any size.
pub fn verify_bundle_streaming<R: BufRead>(
    input: R,
    opts: &VerifyOptions,
    on_entry: &mut dyn FnMut(&EntryResult<'_>),
) -> Result<Report, BundleError> {
    let mut reader = LineReader::new(input);
    let mut report = Report::new();
    let expected_sha = sha256_hex(&opts.expected_message);
    let mut digest = BundleDigest::default();
    let mut seen: HashMap<[u8; 16], u64> = HashMap::new();
    let mut footer_seen = false;
    let mut last_line = 1u64;

    let first = reader.next_line()?.ok_or(BundleError::Empty)?;
    let header = match decode_line(first.number, &first.text)? {
        Line::Header(h) => h,
        _ => {
            return Err(BundleError::Structure {
                line: 1,
                reason: "the first line must be the header".into(),
            })
        }
    };
    check_header_kind(&header)?;
    digest.update(&first.text);
    let bundle_failure = |line: u64, kind: EntryFailure| Failure {
        line,
        entry: None,
        address: None,
        reason: kind.to_string(),
        kind: Some(kind),
    };
    for kind in check_header(&header, &expected_sha, opts) {
        report.record(bundle_failure(1, kind));
    }
    report.header = Some(header);

    let ctx = opts.entry_context();
    let mut done = false;
    while !done {
        let mut batch = Vec::with_capacity(BATCH_LINES);
        while batch.len() < BATCH_LINES {
            match reader.next_line()? {
                Some(raw) => {
                    let cut_off = !raw.complete;
                    batch.push(raw);
                    if cut_off {
                        break;
                    }
                }
                None => {
                    done = true;
                    break;
                }
            }
        }
        // Decoding and signature checks are pure and dominate the cost: they run on all cores.
        // Everything that depends on order (index, duplicates, digest, footer) runs after, in
        // file order, so the report is the same as a sequential pass.
        let checked: Vec<CheckedLine> = batch
            .into_par_iter()
            .map(|raw| CheckedLine::new(raw, &ctx))
            .collect();
        for CheckedLine { raw, line, outcome } in checked {
            last_line = raw.number;
            if footer_seen {
                report.record(bundle_failure(raw.number, EntryFailure::AfterFooter));
                done = true;
                break;
            }
            if !raw.complete {
                report.record(bundle_failure(
                    raw.number,
                    EntryFailure::Truncated("the last line is cut off".into()),
                ));
                done = true;
                break;
            }
            match line? {
                Line::Header(_) => {
                    return Err(BundleError::Structure {
                        line: raw.number,
                        reason: "a second header".into(),
                    })
                }
                Line::Seal(_) => {
                    return Err(BundleError::Structure {
                        line: raw.number,
                        reason: "a seal before the footer".into(),
                    })
                }
                Line::Footer(footer) => {
                    footer_seen = true;
                    if footer.entries != report.entries {
                        report.record(bundle_failure(
                            raw.number,
                            EntryFailure::FooterCount {
                                declared: footer.entries,
                                found: report.entries,
                            },
                        ));
                    }
                    if footer.sha256 != digest.hex() {
                        report.record(bundle_failure(raw.number, EntryFailure::FooterDigest));
                    }
                }
                Line::Entry(entry) => {
                    digest.update(&raw.text);
                    let position = report.entries;
                    report.entries += 1;
                    let counts = report
                        .summary
                        .entry(format!("{}/{}", entry.chain.as_str(), entry.scheme))
                        .or_default();
                    counts.entries += 1;
                    let outcome = if entry.index != position {
                        Err(EntryFailure::Index {
                            expected: position,
                            found: entry.index,
                        })
                    } else {
                        outcome
                            .unwrap_or_else(|| check_entry(&entry, &ctx))
                            .and_then(|v| {
                                match seen
                                    .insert(duplicate_key(entry.chain, &entry.address), entry.index)
                                {
                                    Some(first) => Err(EntryFailure::Duplicate { first }),
                                    None => Ok(v),
                                }
                            })
                    };
                    let verdict = if outcome.is_ok() {
                        Verdict::Valid
                    } else {
                        Verdict::Invalid
                    };
                    let reason = outcome.as_ref().err().map(ToString::to_string);
                    on_entry(&EntryResult {
                        line: raw.number,
                        index: entry.index,
                        chain: entry.chain,
                        network: &entry.network,
                        address: &entry.address,
                        scheme: &entry.scheme,
                        amount: entry.amount.as_deref(),
                        verdict,
                        reason: reason.clone(),
                        detail: outcome.as_ref().ok().map(|v| v.detail.as_str()),
                        time_lock: outcome.as_ref().ok().and_then(|v| v.time_lock.as_deref()),
                    });
                    if verdict == Verdict::Valid
                        && outcome.as_ref().is_ok_and(|v| v.time_lock.is_some())
                    {
                        report.time_locked += 1;
                    }
                    report
                        .totals
                        .entry(format!("{}/{}", entry.chain.as_str(), entry.network))
                        .or_default()
                        .add(entry.amount.as_deref(), verdict);
                    match outcome {
                        Ok(_) => {
                            counts.valid += 1;
                            report.valid += 1;
                        }
                        Err(kind) => {
                            counts.invalid += 1;
                            report.record(Failure {
                                line: raw.number,
                                entry: Some(entry.index),
                                address: Some(entry.address.clone()),
                                reason: reason.unwrap_or_default(),
                                kind: Some(kind),
                            });
                        }
                    }
                }
            }
        }
    }
    if !footer_seen {
        report.record(bundle_failure(
            last_line,
            EntryFailure::Truncated(
                "no footer line (the bundle was cut short or is unfinished)".into(),
            ),
        ));
    }
    Ok(report)
}

fn check_header(header: &Header, expected_sha: &str, opts: &VerifyOptions) -> Vec<EntryFailure> {
    let mut failures = Vec::new();
    let own_sha = sha256_hex(&header.challenge);
    if header.challenge_sha256 != own_sha {
        failures.push(EntryFailure::ChallengeDigest);
    }
    if own_sha != expected_sha {
        failures.push(EntryFailure::ChallengeMismatch {
            expected_sha256: expected_sha.to_owned(),
            found_sha256: own_sha,
        });
    }
    // RFC 3339 allows a lowercase `t` and `z`; the schema (and so porsign) writes them upper.
    let parsed = time::OffsetDateTime::parse(
        &header.created_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|e| e.to_string())
    .and_then(|t| {
        if header.created_at.contains(['t', 'z']) {
            Err("`T` and `Z` are written uppercase".to_owned())
        } else {
            Ok(t)
        }
    });
    match parsed {
        Ok(t) if t > opts.now + MAX_FUTURE_SKEW => failures.push(EntryFailure::CreatedAt(format!(
            "{} is in the future",
            header.created_at
        ))),
        Ok(t) => {
            if let Some(challenge_t) = opts.challenge_created_at.filter(|c| t < *c) {
                failures.push(EntryFailure::CreatedBeforeChallenge {
                    created_at: header.created_at.clone(),
                    challenge_created_at: challenge_t
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_else(|_| challenge_t.to_string()),
                });
            }
        }
        Err(e) => failures.push(EntryFailure::CreatedAt(format!(
            "{:?} is not an RFC 3339 time: {e}",
            header.created_at
        ))),
    }
    failures
}

/// SHA-256 of a text, lowercase hex (how challenges are identified).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
