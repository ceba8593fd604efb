//! The bundle verifier. It streams the file (memory grows with the count of distinct addresses
//! only, for duplicate detection), checks every entry against the expected challenge, and fails
//! closed: anything it cannot check is a failure, never a pass.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::str::FromStr;

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{Chain, Entry, Header, Line, Scheme};
use super::reader::{decode_line, LineReader, RawLine};
use super::writer::check_header_kind;
use super::{BundleDigest, BundleError};
use crate::scheme::{self, BitcoinNetwork, EthAddress, SchemeError};

/// How many failures a report lists; the rest are counted.
pub const MAX_LISTED_FAILURES: usize = 10_000;

/// How long a header's `created_at` may lie ahead of the verifier's clock (clock skew).
pub const MAX_FUTURE_SKEW: time::Duration = time::Duration::minutes(5);

/// What the verifier checks the bundle against.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The challenge message every entry must have signed.
    pub expected_message: String,
    /// The verifier's clock, for refusing headers from the future.
    pub now: time::OffsetDateTime,
}

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
    #[error("bundle is truncated: {0}")]
    Truncated(String),
    #[error("footer counts {declared} entries, the file has {found}")]
    FooterCount { declared: u64, found: u64 },
    #[error("footer `sha256` does not match the lines before it (the header or an entry was edited, dropped or added)")]
    FooterDigest,
    #[error("a line follows the footer")]
    AfterFooter,
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
}

impl Report {
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

/// What a valid entry proved, for the summary and `--json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// e.g. `p2wpkh`, `bip322 simple`, `2-of-3`, `eip191`.
    pub detail: String,
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
    fn new(raw: RawLine, message: &[u8]) -> Self {
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
            Ok(Line::Entry(entry)) => Some(check_entry(entry, message)),
            _ => None,
        };
        CheckedLine { raw, line, outcome }
    }
}

/// Verifies a whole bundle from a reader. `Err` means the input is unusable (exit 2);
/// otherwise the report says which entries failed.
pub fn verify_bundle<R: BufRead>(input: R, opts: &VerifyOptions) -> Result<Report, BundleError> {
    let mut reader = LineReader::new(input);
    let mut report = Report {
        header: None,
        entries: 0,
        valid: 0,
        failures: Vec::new(),
        failure_count: 0,
        summary: BTreeMap::new(),
    };
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

    let message = opts.expected_message.as_bytes();
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
            .map(|raw| CheckedLine::new(raw, message))
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
                            .unwrap_or_else(|| check_entry(&entry, message))
                            .and_then(|v| {
                                match seen
                                    .insert(duplicate_key(entry.chain, &entry.address), entry.index)
                                {
                                    Some(first) => Err(EntryFailure::Duplicate { first }),
                                    None => Ok(v),
                                }
                            })
                    };
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
                                reason: kind.to_string(),
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
    match time::OffsetDateTime::parse(
        &header.created_at,
        &time::format_description::well_known::Rfc3339,
    ) {
        Ok(t) if t > opts.now + MAX_FUTURE_SKEW => failures.push(EntryFailure::CreatedAt(format!(
            "{} is in the future",
            header.created_at
        ))),
        Ok(_) => {}
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

/// Duplicate detection keys on a hash of the canonical address, so that memory stays small for
/// millions of entries and two spellings of one address (bech32 case, EIP-55 case) still collide.
pub fn duplicate_key(chain: Chain, address: &str) -> [u8; 16] {
    crate::address_key::key(chain.as_str(), canonical_address(chain, address).as_bytes())
}

/// The spelling of an address under which duplicates are found: bech32 and Ethereum hex are
/// case-insensitive and written lowercase canonically; base58 is case-sensitive and kept
/// (the rule is [`crate::address_key`]'s, shared with the OKX verifier).
pub fn canonical_address(chain: Chain, address: &str) -> String {
    use crate::address_key::{canonical, case_of, Case};
    let case = match chain {
        Chain::Bitcoin => case_of(address),
        Chain::Ethereum => Case::Insensitive,
    };
    canonical(address, case).into_owned()
}

/// Verifies one entry against the message. Pure: no I/O, no shared state, so entries can be
/// checked in parallel.
pub fn check_entry(entry: &Entry, message: &[u8]) -> Result<Verified, EntryFailure> {
    let scheme = Scheme::parse(&entry.scheme)
        .ok_or_else(|| EntryFailure::UnknownScheme(entry.scheme.clone()))?;
    if scheme.chain() != entry.chain {
        return Err(EntryFailure::ChainMismatch {
            scheme,
            expected: scheme.chain().as_str(),
            found: entry.chain.as_str(),
        });
    }
    check_informational_fields(entry)?;
    match entry.chain {
        Chain::Bitcoin => check_bitcoin_entry(entry, scheme, message),
        Chain::Ethereum => check_ethereum_entry(entry, scheme, message),
    }
}

fn check_bitcoin_entry(
    entry: &Entry,
    scheme: Scheme,
    message: &[u8],
) -> Result<Verified, EntryFailure> {
    let network = parse_bitcoin_network(&entry.network)?;
    let address =
        scheme::parse_btc_address(&entry.address, network).map_err(EntryFailure::Address)?;
    let descriptor = entry
        .descriptor
        .as_deref()
        .map(|d| parse_descriptor(d, &address, network))
        .transpose()?;
    match scheme {
        Scheme::Bip137 => {
            forbid(entry.script.is_some(), "script", scheme)?;
            let signature = single_signature(entry, scheme)?;
            let matched = scheme::bip137::verify(message, &address, signature)
                .map_err(EntryFailure::Signature)?;
            if let Some(pubkey) = &entry.pubkey {
                let given =
                    bitcoin::PublicKey::from_str(pubkey).map_err(|e| EntryFailure::BadField {
                        field: "pubkey",
                        reason: e.to_string(),
                    })?;
                if given.inner != matched.pubkey.inner {
                    return Err(EntryFailure::PubkeyMismatch {
                        pubkey: pubkey.clone(),
                        signer: matched.pubkey.to_string(),
                    });
                }
            }
            Ok(Verified {
                detail: serde_json::to_value(matched.address_type)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
        }
        Scheme::Bip322 => {
            forbid(entry.script.is_some(), "script", scheme)?;
            forbid(entry.pubkey.is_some(), "pubkey", scheme)?;
            let signature = single_signature(entry, scheme)?;
            let variant = scheme::bip322::verify(message, &address, signature)
                .map_err(EntryFailure::Signature)?;
            Ok(Verified {
                detail: format!("bip322 {variant:?}").to_lowercase(),
            })
        }
        Scheme::Bip137Multisig => {
            forbid(entry.pubkey.is_some(), "pubkey", scheme)?;
            if entry.signatures.is_empty() {
                return Err(EntryFailure::SignatureCount {
                    scheme,
                    expected: "at least one",
                    found: 0,
                });
            }
            let script = match (&entry.script, &descriptor) {
                (Some(hex_script), from_descriptor) => {
                    let bytes = hex::decode(hex_script).map_err(|e| EntryFailure::BadField {
                        field: "script",
                        reason: format!("not hex: {e}"),
                    })?;
                    let script = bitcoin::ScriptBuf::from_bytes(bytes);
                    if let Some(Some(d)) = from_descriptor {
                        if d != &script {
                            return Err(EntryFailure::BadField {
                                field: "script",
                                reason: "differs from the descriptor's script".into(),
                            });
                        }
                    }
                    script
                }
                (None, Some(Some(d))) => d.clone(),
                (None, _) => {
                    return Err(EntryFailure::MissingField {
                        field: "script",
                        scheme,
                    })
                }
            };
            let signatures: Vec<&str> = entry.signatures.iter().map(String::as_str).collect();
            let matched = scheme::multisig::verify(message, &address, &script, &signatures)
                .map_err(EntryFailure::Signature)?;
            // The threshold already counts each key once; an entry that lists a key's signature
            // twice is still malformed, and a strict verifier says so.
            if matched.signers.len() != signatures.len() {
                return Err(EntryFailure::RepeatedSigner {
                    signatures: signatures.len(),
                    distinct: matched.signers.len(),
                });
            }
            Ok(Verified {
                detail: format!("{}-of-{}", matched.threshold, matched.keys),
            })
        }
        Scheme::Eip191 | Scheme::Eip191Keccak => unreachable_chain(scheme),
    }
}

fn check_ethereum_entry(
    entry: &Entry,
    scheme: Scheme,
    message: &[u8],
) -> Result<Verified, EntryFailure> {
    if entry.network != "mainnet" {
        return Err(EntryFailure::Network(entry.network.clone()));
    }
    forbid(entry.script.is_some(), "script", scheme)?;
    forbid(entry.descriptor.is_some(), "descriptor", scheme)?;
    let address = EthAddress::from_str(&entry.address).map_err(EntryFailure::Address)?;
    if let Some(pubkey) = &entry.pubkey {
        let derived = eth_address_of_pubkey(pubkey)?;
        if derived != address {
            return Err(EntryFailure::PubkeyMismatch {
                pubkey: pubkey.clone(),
                signer: format!("the key of {}", entry.address),
            });
        }
    }
    let signature = single_signature(entry, scheme)?;
    let verified = match scheme {
        Scheme::Eip191 => scheme::eip191::verify(message, &address, signature),
        Scheme::Eip191Keccak => scheme::eip191::verify_keccak_variant(message, &address, signature),
        _ => return unreachable_chain(scheme),
    };
    verified.map_err(EntryFailure::Signature)?;
    Ok(Verified {
        detail: scheme.as_str().to_owned(),
    })
}

/// `check_entry` has already matched scheme and chain; this keeps the match exhaustive without
/// a panic path.
fn unreachable_chain(scheme: Scheme) -> Result<Verified, EntryFailure> {
    Err(EntryFailure::ChainMismatch {
        scheme,
        expected: scheme.chain().as_str(),
        found: "another chain",
    })
}

fn eth_address_of_pubkey(pubkey: &str) -> Result<EthAddress, EntryFailure> {
    let bad = |reason: String| EntryFailure::BadField {
        field: "pubkey",
        reason,
    };
    let bytes = hex::decode(pubkey.trim_start_matches("0x")).map_err(|e| bad(e.to_string()))?;
    let key = k256::PublicKey::from_sec1_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    let point = key.to_encoded_point(false);
    let xy = point
        .as_bytes()
        .get(1..)
        .ok_or_else(|| bad("empty key".into()))?;
    let hash = <sha3::Keccak256 as sha3::Digest>::digest(xy);
    let tail: [u8; 20] = hash
        .get(12..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("hash too short".into()))?;
    Ok(EthAddress(tail))
}

fn parse_bitcoin_network(network: &str) -> Result<BitcoinNetwork, EntryFailure> {
    serde_json::from_value(serde_json::Value::String(network.to_owned()))
        .map_err(|_| EntryFailure::Network(network.to_owned()))
}

/// Parses a descriptor with concrete keys, requires it to produce `address`, and returns the
/// script it commits to for script-hash outputs (None for single-key outputs).
fn parse_descriptor(
    text: &str,
    address: &bitcoin::Address,
    network: BitcoinNetwork,
) -> Result<Option<bitcoin::ScriptBuf>, EntryFailure> {
    use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
    let bad = |reason: String| EntryFailure::BadField {
        field: "descriptor",
        reason,
    };
    let parsed =
        Descriptor::<DescriptorPublicKey>::from_str(text).map_err(|e| bad(e.to_string()))?;
    if parsed.has_wildcard() {
        return Err(bad(
            "names a range (has a wildcard); an entry needs one address".into(),
        ));
    }
    let definite = parsed
        .at_derivation_index(0)
        .map_err(|e| bad(e.to_string()))?;
    let concrete = definite
        .derived_descriptor(bitcoin::secp256k1::SECP256K1)
        .map_err(|e| bad(e.to_string()))?;
    let produced = concrete
        .address(bitcoin_network(network))
        .map_err(|e| bad(e.to_string()))?;
    if &produced != address {
        return Err(EntryFailure::DescriptorMismatch {
            produced: produced.to_string(),
        });
    }
    Ok(concrete.explicit_script().ok().filter(|s| {
        // explicit_script is the output script for single-key descriptors; only a script that
        // differs from the output script is a redeem/witness script.
        s != &address.script_pubkey()
    }))
}

/// The bitcoin crate's network for address encoding. Testnet and signet share encodings.
pub fn bitcoin_network(network: BitcoinNetwork) -> bitcoin::Network {
    match network {
        BitcoinNetwork::Mainnet => bitcoin::Network::Bitcoin,
        BitcoinNetwork::Testnet => bitcoin::Network::Testnet,
        BitcoinNetwork::Signet => bitcoin::Network::Signet,
        BitcoinNetwork::Regtest => bitcoin::Network::Regtest,
    }
}

fn forbid(present: bool, field: &'static str, scheme: Scheme) -> Result<(), EntryFailure> {
    if present {
        Err(EntryFailure::UncheckedField { field, scheme })
    } else {
        Ok(())
    }
}

fn single_signature(entry: &Entry, scheme: Scheme) -> Result<&str, EntryFailure> {
    match entry.signatures.as_slice() {
        [one] => Ok(one.as_str()),
        other => Err(EntryFailure::SignatureCount {
            scheme,
            expected: "exactly one",
            found: other.len(),
        }),
    }
}

/// `path`, `fingerprint` and `amount` are not signed, but they must be well-formed: a verifier
/// that passes garbage in them would lend it credibility.
fn check_informational_fields(entry: &Entry) -> Result<(), EntryFailure> {
    if let Some(path) = &entry.path {
        bitcoin::bip32::DerivationPath::from_str(path).map_err(|e| EntryFailure::BadField {
            field: "path",
            reason: e.to_string(),
        })?;
    }
    if let Some(fpr) = &entry.fingerprint {
        let ok = fpr.len() == 8 && fpr.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(EntryFailure::BadField {
                field: "fingerprint",
                reason: format!("{fpr:?} is not 8 lowercase hex digits"),
            });
        }
    }
    if let Some(amount) = &entry.amount {
        check_amount(amount)?;
    }
    Ok(())
}

/// A non-negative decimal with at most 18 fractional digits (wei precision), no sign, no
/// exponent: amounts are summed by auditors and must not be ambiguous.
pub fn check_amount(amount: &str) -> Result<(), EntryFailure> {
    let bad = || EntryFailure::BadField {
        field: "amount",
        reason: format!("{amount:?} is not a non-negative decimal with at most 18 decimals"),
    };
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 30 || !digits(int) || !digits(frac) || frac.len() > 18 {
        return Err(bad());
    }
    if amount.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_beyond_the_listing_cap_are_counted_not_kept() {
        let mut report = Report {
            header: None,
            entries: 1,
            valid: 1,
            failures: Vec::new(),
            failure_count: 0,
            summary: BTreeMap::new(),
        };
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
    fn amounts_are_plain_decimals() {
        for good in ["0", "1.5", "10.000000000000000001", "123456789"] {
            assert!(check_amount(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-1",
            "1.",
            ".5",
            "1e3",
            "1.0000000000000000001",
            "1,5",
            " 1",
        ] {
            assert!(check_amount(bad).is_err(), "{bad}");
        }
    }
}
