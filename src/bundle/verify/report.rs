//! What verification found: per-entry results (streamed as they are decided), failures, and
//! the counts and claimed totals per chain and network.

use std::collections::BTreeMap;

use crate::bundle::seal::SealInfo;
use serde::{Serialize, Serializer};

use super::super::model::{Header, Named, Scheme};
use crate::model::{Chain, Network};
use crate::scheme::SchemeError;

/// How many failures a report lists; the rest are counted.
pub const MAX_LISTED_FAILURES: usize = 10_000;

/// Why one entry (or the bundle as a whole) did not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryFailure {
    #[error("unknown scheme {0:?}")]
    UnknownScheme(String),
    #[error("scheme {scheme} is for chain {expected}, but the entry says {found}")]
    ChainMismatch {
        scheme: Scheme,
        expected: &'static str,
        found: &'static str,
    },
    #[error("field `network`: {0:?} is not a network of this chain")]
    Network(String),
    #[error("field `address`: {0}")]
    Address(SchemeError),
    #[error("field `signatures`: scheme {scheme} takes {expected}, found {found}")]
    SignatureCount {
        scheme: Scheme,
        expected: &'static str,
        found: usize,
    },
    #[error("field `{field}` is not checked by scheme {scheme}; a verifier cannot vouch for it")]
    UncheckedField { field: &'static str, scheme: Scheme },
    #[error("field `{field}` is required by scheme {scheme}")]
    MissingField { field: &'static str, scheme: Scheme },
    #[error("field `{field}`: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("signature: {0}")]
    Signature(SchemeError),
    #[error("signature: BIP-322 proof with a time lock that does not hold now ({lock}): {why}")]
    TimeLocked { lock: String, why: String },
    #[error("field `signatures`: {signatures} signatures from only {distinct} distinct keys (a key's signature is listed twice)")]
    RepeatedSigner { signatures: usize, distinct: usize },
    #[error("field `pubkey`: {pubkey} is not the key that signed ({signer})")]
    PubkeyMismatch { pubkey: String, signer: String },
    #[error("field `descriptor`: produces {produced}, not the entry's address")]
    DescriptorMismatch { produced: String },
    #[error("address is listed twice (first as entry {first})")]
    Duplicate { first: u64 },
    #[error("entry index {found} where {expected} was expected (entries reordered, dropped or inserted)")]
    Index { expected: u64, found: u64 },
    #[error("bundle signed challenge {found_sha256}, expected {expected_sha256}")]
    ChallengeMismatch {
        expected_sha256: String,
        found_sha256: String,
    },
    #[error("header field `challenge_sha256` does not match its `challenge`")]
    ChallengeDigest,
    #[error("header field `created_at`: {0}")]
    CreatedAt(String),
    #[error("header field `created_at`: {created_at} is earlier than the challenge itself (created {challenge_created_at}): a bundle cannot predate its challenge")]
    CreatedBeforeChallenge {
        created_at: String,
        challenge_created_at: String,
    },
    #[error("bundle is truncated: {0}")]
    Truncated(String),
    #[error("footer counts {declared} entries, the file has {found}")]
    FooterCount { declared: u64, found: u64 },
    #[error("footer `sha256` does not match the lines before it (the header or an entry was edited, dropped or added)")]
    FooterDigest,
    #[error("a line follows the footer")]
    AfterFooter,
    #[error("batch {batch}: {reason}")]
    Batch { batch: String, reason: String },
    #[error("{0}")]
    Seal(crate::bundle::seal::SealError),
}

/// A failure located in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// 1-based line number.
    pub line: u64,
    /// The entry's `index` where the failure is about an entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub reason: String,
    #[serde(skip)]
    pub kind: Option<EntryFailure>,
}

/// Counts for one (chain, scheme) pair.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub entries: u64,
    pub valid: u64,
    pub invalid: u64,
}

/// The outcome of verifying a bundle.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub header: Option<Header>,
    pub entries: u64,
    pub valid: u64,
    /// The first [`MAX_LISTED_FAILURES`] failures, in file order.
    pub failures: Vec<Failure>,
    /// Every failure, listed or not.
    pub failure_count: u64,
    /// Keyed by `chain/scheme` (the scheme as written, so unknown ones are counted too).
    pub summary: BTreeMap<String, Counts>,
    /// Keyed by `chain/network`: a mainnet total never includes a test network's entries.
    pub totals: BTreeMap<String, NetworkTotals>,
    /// Valid entries whose BIP-322 proof carries a time lock (holding now); each result says
    /// which lock.
    pub time_locked: u64,
    /// Whether a key vouches for the bundle (its seal line), and whose.
    pub seal: SealStatus,
}

/// What the bundle's seal line showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum SealStatus {
    /// No seal line: the digest is intact but no key vouches for the claims.
    #[default]
    Unsealed,
    /// The seal holds: the sealing address's key signed this bundle's digest.
    Valid(SealInfo),
    /// A seal line that does not hold (also recorded as a failure).
    Invalid { reason: String },
}

impl Report {
    pub(super) fn new() -> Self {
        Report {
            header: None,
            entries: 0,
            valid: 0,
            failures: Vec::new(),
            failure_count: 0,
            summary: BTreeMap::new(),
            totals: BTreeMap::new(),
            time_locked: 0,
            seal: SealStatus::Unsealed,
        }
    }

    /// True only when every entry verified and the bundle as a whole is intact.
    pub fn all_valid(&self) -> bool {
        self.failure_count == 0 && self.entries > 0 && self.valid == self.entries
    }

    /// Counts a failure and keeps it for the listing while there is room: a bundle of millions of
    /// bad entries must not make the verifier's memory grow without bound.
    pub fn record(&mut self, failure: Failure) {
        self.failure_count += 1;
        if self.failures.len() < MAX_LISTED_FAILURES {
            self.failures.push(failure);
        }
    }
}

/// The verdict on one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Invalid,
}

/// One entry's result, handed to the caller as soon as it is decided (in file order), so that
/// a report of every entry needs no memory per entry.
#[derive(Clone, Debug, Serialize)]
pub struct EntryResult<'a> {
    /// 1-based line number.
    pub line: u64,
    pub index: u64,
    pub chain: Chain,
    pub network: &'a Named<Network>,
    pub address: &'a str,
    pub scheme: &'a Named<Scheme>,
    /// The claimed amount as written (not signed: see the README on what a bundle proves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<&'a str>,
    pub verdict: Verdict,
    /// Why the entry failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What a valid entry proved, e.g. `p2wpkh`, `bip322 full`, `2-of-3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    /// The time lock a BIP-322 proof is bound to, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_lock: Option<&'a str>,
}

/// Counts and claimed amounts for one chain and network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NetworkTotals {
    pub entries: u64,
    pub valid: u64,
    pub invalid: u64,
    /// Sum of the claimed amounts of the valid entries (BTC, ETH).
    pub claimed_valid: ClaimedSum,
    /// Sum of the claimed amounts of the entries that failed.
    pub claimed_invalid: ClaimedSum,
    /// Valid entries that claim no amount.
    pub valid_without_amount: u64,
}

impl NetworkTotals {
    pub(super) fn add(&mut self, amount: Option<&str>, verdict: Verdict) {
        self.entries += 1;
        match verdict {
            Verdict::Valid => {
                self.valid += 1;
                match amount {
                    Some(a) => self.claimed_valid.add(a),
                    None => self.valid_without_amount += 1,
                }
            }
            Verdict::Invalid => {
                self.invalid += 1;
                if let Some(a) = amount {
                    self.claimed_invalid.add(a);
                }
            }
        }
    }
}

/// Units of 10^-18 in one whole coin (wei precision, the most decimals an amount may have).
const ATTO: u128 = 1_000_000_000_000_000_000;

/// An exact sum of decimal amounts (at most 18 decimals each): whole coins and 10^-18 parts, so
/// that millions of amounts of up to 30 digits add up without rounding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimedSum {
    whole: u128,
    atto: u128,
    /// Set when the sum left the range of 128 bits: shown as such, never wrapped.
    overflow: bool,
}

impl ClaimedSum {
    /// Adds an amount already checked by `check_amount` (digits, optional point and 1–18
    /// decimals). Anything else marks the sum as unusable rather than being skipped.
    pub fn add(&mut self, amount: &str) {
        let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
        let whole = int.parse::<u128>().ok();
        let atto = if frac.is_empty() {
            Some(0)
        } else {
            format!("{frac:0<18}")
                .parse::<u128>()
                .ok()
                .filter(|_| frac.len() <= 18)
        };
        let (Some(whole), Some(atto)) = (whole, atto) else {
            self.overflow = true;
            return;
        };
        let atto = self.atto + atto;
        let sum = self
            .whole
            .checked_add(whole)
            .and_then(|w| w.checked_add(atto / ATTO));
        match sum {
            Some(w) => {
                self.whole = w;
                self.atto = atto % ATTO;
            }
            None => self.overflow = true,
        }
    }
}

impl std::fmt::Display for ClaimedSum {
    /// Plain decimal without trailing zeros (`80.46`, `6`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.overflow {
            return f.write_str("overflow");
        }
        if self.atto == 0 {
            return write!(f, "{}", self.whole);
        }
        let frac = format!("{:018}", self.atto);
        write!(f, "{}.{}", self.whole, frac.trim_end_matches('0'))
    }
}

impl Serialize for ClaimedSum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_beyond_the_listing_cap_are_counted_not_kept() {
        let mut report = Report::new();
        report.entries = 1;
        report.valid = 1;
        assert!(report.all_valid());
        for line in 0..(MAX_LISTED_FAILURES as u64 + 5) {
            report.record(Failure {
                line,
                entry: None,
                address: None,
                reason: "x".into(),
                kind: None,
            });
        }
        assert_eq!(report.failures.len(), MAX_LISTED_FAILURES);
        assert_eq!(report.failure_count, MAX_LISTED_FAILURES as u64 + 5);
        assert!(!report.all_valid());
    }

    #[test]
    fn claimed_sums_are_exact() {
        let mut sum = ClaimedSum::default();
        for a in [
            "80.46",
            "0.000000000000000001",
            "999999999999999999999999999999",
            "0.54",
        ] {
            sum.add(a);
        }
        assert_eq!(
            sum.to_string(),
            "1000000000000000000000000000080.000000000000000001"
        );
        let mut bad = ClaimedSum::default();
        bad.add("1.5");
        bad.add("1e3");
        assert_eq!(bad.to_string(), "overflow");
    }
}
