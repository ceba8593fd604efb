//! The bundle verifier. It streams the file (memory grows with the count of distinct addresses
//! only, for duplicate detection), checks every entry against the expected challenge, and fails
//! closed: anything it cannot check is a failure, never a pass.
//!
//! - [`entry`]: one entry against the message (pure, run on all cores);
//! - this module: the structure of the file (header, order, duplicates, footer), in file order;
//! - [`report`]: what was found, with every entry's result handed out as it is decided.

mod batch;
pub mod entry;
pub mod report;

use std::collections::HashMap;
use std::io::BufRead;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::model::{Entry, Footer, Header, Line, Scheme};
use super::reader::{decode_line, LineReader, RawLine};
use super::seal::verify_seal;
use super::writer::check_header_kind;
use super::{BundleDigest, BundleError};
use crate::model::duplicate_key;

use batch::PendingBatch;
pub use entry::{check_entry, precheck_batch_entry, EntryContext, Verified};
pub use report::{
    ClaimedSum, Counts, EntryFailure, EntryResult, Failure, NetworkTotals, Report, SealStatus,
    Verdict, MAX_LISTED_FAILURES,
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
const CHUNK_LINES: usize = 2048;

/// What the parallel stage found for one entry line.
enum Checked {
    /// A self-contained entry: its verdict.
    Entry(Result<Verified, EntryFailure>),
    /// A batch entry: its own fields checked, the proof waiting for the whole batch.
    BatchMember(Result<bitcoin::Address, EntryFailure>),
}

/// One line, decoded and (for an entry) checked against the message, ahead of the in-order pass.
struct CheckedLine {
    raw: RawLine,
    line: Result<Line, BundleError>,
    outcome: Option<Checked>,
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
            Ok(Line::Entry(entry)) if entry.scheme == Scheme::Bip322Batch => {
                Some(Checked::BatchMember(precheck_batch_entry(entry)))
            }
            Ok(Line::Entry(entry)) => Some(Checked::Entry(check_entry(entry, ctx))),
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

/// The in-order pass: everything that depends on order (index, duplicates, batches, digest,
/// footer, seal) over the lines the parallel stage decoded and checked.
struct Pass<'a, 'f> {
    report: Report,
    version: u32,
    ctx: EntryContext<'a>,
    seen: HashMap<[u8; 16], u64>,
    pending: Option<PendingBatch>,
    /// Entries decided so far: the index the next one must carry.
    finished: u64,
    on_entry: &'f mut dyn FnMut(&EntryResult<'_>),
}

impl Pass<'_, '_> {
    fn bundle_failure(&mut self, line: u64, kind: EntryFailure) {
        self.report.record(Failure {
            line,
            entry: None,
            address: None,
            reason: kind.to_string(),
            kind: Some(kind),
        });
    }

    /// Takes one entry line (its digest already counted).
    fn entry(
        &mut self,
        line: u64,
        entry: Entry,
        outcome: Option<Checked>,
    ) -> Result<(), BundleError> {
        let is_batch = entry.scheme == Scheme::Bip322Batch;
        if is_batch && self.version < 2 {
            return Err(BundleError::Structure {
                line,
                reason: format!(
                    "a bip322-batch entry in a bundle of version {} (batches came with version 2)",
                    self.version
                ),
            });
        }
        if !self
            .pending
            .as_ref()
            .is_some_and(|p| p.continues_with(&entry))
        {
            self.settle_pending();
        }
        if !is_batch {
            let outcome = match outcome {
                Some(Checked::Entry(result)) => result,
                // Not reached (the parallel stage checks every entry); checked again rather
                // than assumed.
                _ => check_entry(&entry, &self.ctx),
            };
            self.finish(line, &entry, outcome);
            return Ok(());
        }
        let address = match outcome {
            Some(Checked::BatchMember(result)) => result,
            _ => precheck_batch_entry(&entry),
        };
        let pending = self
            .pending
            .get_or_insert_with(|| PendingBatch::new(entry.batch.clone().unwrap_or_default()));
        pending.members.push(batch::Member {
            line,
            entry,
            address,
        });
        Ok(())
    }

    /// Decides the batch in progress, if any, and reports its entries in file order.
    fn settle_pending(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let results = batch::settle(&pending, self.ctx.message);
        for (member, outcome) in pending.members.iter().zip(results) {
            self.finish(member.line, &member.entry, outcome);
        }
    }

    /// Records one entry's result: position, duplicates, counts, totals, the caller's callback.
    fn finish(&mut self, line: u64, entry: &Entry, outcome: Result<Verified, EntryFailure>) {
        let position = self.finished;
        self.finished += 1;
        let outcome = if entry.index != position {
            Err(EntryFailure::Index {
                expected: position,
                found: entry.index,
            })
        } else {
            outcome.and_then(|v| {
                match self
                    .seen
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
        (self.on_entry)(&EntryResult {
            line,
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
        let report = &mut self.report;
        if verdict == Verdict::Valid && outcome.as_ref().is_ok_and(|v| v.time_lock.is_some()) {
            report.time_locked += 1;
        }
        report
            .totals
            .entry(format!("{}/{}", entry.chain.as_str(), entry.network))
            .or_default()
            .add(entry.amount.as_deref(), verdict);
        let counts = report
            .summary
            .entry(format!("{}/{}", entry.chain.as_str(), entry.scheme))
            .or_default();
        counts.entries += 1;
        match outcome {
            Ok(_) => {
                counts.valid += 1;
                report.valid += 1;
            }
            Err(kind) => {
                counts.invalid += 1;
                report.record(Failure {
                    line,
                    entry: Some(entry.index),
                    address: Some(entry.address.clone()),
                    reason: reason.unwrap_or_default(),
                    kind: Some(kind),
                });
            }
        }
    }
}

/// Like [`verify_bundle`], handing every entry's result to `on_entry` in file order as soon as
/// it is decided, so that a caller can report every entry of a bundle of any size.
pub fn verify_bundle_streaming<R: BufRead>(
    input: R,
    opts: &VerifyOptions,
    on_entry: &mut dyn FnMut(&EntryResult<'_>),
) -> Result<Report, BundleError> {
    let mut reader = LineReader::new(input);
    let expected_sha = sha256_hex(&opts.expected_message);
    let mut digest = BundleDigest::default();
    let mut footer: Option<(u64, Footer)> = None;
    let mut sealed = false;
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
    let ctx = opts.entry_context();
    let mut pass = Pass {
        report: Report::new(),
        version: header.version,
        ctx,
        seen: HashMap::new(),
        pending: None,
        finished: 0,
        on_entry,
    };
    for kind in check_header(&header, &expected_sha, opts) {
        pass.bundle_failure(1, kind);
    }
    let challenge_sha256 = header.challenge_sha256.clone();
    pass.report.header = Some(header);

    let mut done = false;
    while !done {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        while chunk.len() < CHUNK_LINES {
            match reader.next_line()? {
                Some(raw) => {
                    let cut_off = !raw.complete;
                    chunk.push(raw);
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
        // Everything that depends on order (index, duplicates, batches, digest, footer) runs
        // after, in file order, so the report is the same as a sequential pass.
        let checked: Vec<CheckedLine> = chunk
            .into_par_iter()
            .map(|raw| CheckedLine::new(raw, &ctx))
            .collect();
        for CheckedLine { raw, line, outcome } in checked {
            last_line = raw.number;
            if !raw.complete {
                pass.settle_pending();
                pass.bundle_failure(
                    raw.number,
                    EntryFailure::Truncated("the last line is cut off".into()),
                );
                done = true;
                break;
            }
            if let Some((_, footer)) = &footer {
                // After the footer only one seal may follow (version 2).
                match line? {
                    Line::Seal(seal) if pass.version >= 2 && !sealed => {
                        sealed = true;
                        pass.report.seal = match verify_seal(&seal, footer, &challenge_sha256) {
                            Ok(info) => SealStatus::Valid(info),
                            Err(e) => {
                                let reason = e.to_string();
                                pass.bundle_failure(raw.number, EntryFailure::Seal(e));
                                SealStatus::Invalid { reason }
                            }
                        };
                    }
                    Line::Seal(_) if pass.version < 2 => {
                        return Err(BundleError::Structure {
                            line: raw.number,
                            reason: format!(
                                "a seal in a bundle of version {} (seals came with version 2)",
                                pass.version
                            ),
                        })
                    }
                    _ => {
                        pass.bundle_failure(raw.number, EntryFailure::AfterFooter);
                        done = true;
                        break;
                    }
                }
                continue;
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
                Line::Footer(f) => {
                    pass.settle_pending();
                    if f.entries != pass.report.entries {
                        pass.bundle_failure(
                            raw.number,
                            EntryFailure::FooterCount {
                                declared: f.entries,
                                found: pass.report.entries,
                            },
                        );
                    }
                    if f.sha256 != digest.hex() {
                        pass.bundle_failure(raw.number, EntryFailure::FooterDigest);
                    }
                    footer = Some((raw.number, f));
                }
                Line::Entry(entry) => {
                    digest.update(&raw.text);
                    pass.report.entries += 1;
                    pass.entry(raw.number, entry, outcome)?;
                }
            }
        }
    }
    pass.settle_pending();
    if footer.is_none() {
        pass.bundle_failure(
            last_line,
            EntryFailure::Truncated(
                "no footer line (the bundle was cut short or is unfinished)".into(),
            ),
        );
    }
    Ok(pass.report)
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
