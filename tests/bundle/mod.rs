//! Bundle v1: the known-answer bundle of real Ledger signatures, the rejection cases the
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.
//! verifier must catch, the tampering sweep, and the JSON schema.

mod batch;
mod fail_closed;
mod mutation;
mod parsers;
mod rejections;
mod schema;
mod tamper;
mod writer;

use porsign::bundle::{verify_bundle, EntryFailure, Report, VerifyOptions};

use crate::util::fixture;

/// The message every entry of `fixtures/bundles/ledger-speculos.jsonl` signed.
pub const LEDGER_MESSAGE: &str = "porsign test challenge";

/// The lines of the known-answer bundle.
pub fn ledger_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("bundles/ledger-speculos.jsonl"))
        .expect("fixture bundle is readable")
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn options(message: &str) -> VerifyOptions {
    let mut opts = VerifyOptions::new(message);
    opts.now = time::macros::datetime!(2026-11-25 12:00 UTC);
    opts
}

/// Verifies lines joined as a file; panics on an unusable-input error.
pub fn verify_lines(lines: &[String], message: &str) -> Report {
    let text = lines.join("\n") + "\n";
    verify_bundle(text.as_bytes(), &options(message)).expect("bundle is readable")
}

/// Recomputes the footer of a bundle whose entries were edited, so that a test sees the
/// verifier's verdict on the entries themselves rather than on the stale digest.
pub fn with_fresh_footer(lines: &[String]) -> Vec<String> {
    use sha2::Digest;
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains("\"type\":\"footer\""))
        .cloned()
        .collect();
    let entries = out.len().saturating_sub(1);
    let mut h = sha2::Sha256::new();
    for e in &out {
        h.update(e.as_bytes());
        h.update(b"\n");
    }
    let footer = serde_json::json!({
        "type": "footer",
        "entries": entries,
        "sha256": hex::encode(h.finalize()),
    });
    out.push(footer.to_string());
    out
}

/// Edits one field of the JSON object on line `line` (0-based).
pub fn edit_line(
    lines: &[String],
    line: usize,
    f: impl FnOnce(&mut serde_json::Value),
) -> Vec<String> {
    let mut out = lines.to_vec();
    let mut value: serde_json::Value = serde_json::from_str(&out[line]).unwrap();
    f(&mut value);
    out[line] = serde_json::to_string(&value).unwrap();
    out
}

pub fn failure_kinds(report: &Report) -> Vec<EntryFailure> {
    report
        .failures
        .iter()
        .filter_map(|f| f.kind.clone())
        .collect()
}

#[test]
fn real_ledger_signatures_verify() {
    let report = verify_lines(&ledger_lines(), LEDGER_MESSAGE);
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!((report.entries, report.valid), (6, 6));
    assert!(report.all_valid());
    let keys: Vec<&str> = report.summary.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "bitcoin/bip137",
            "bitcoin/bip137-multisig",
            "bitcoin/bip322",
            "ethereum/eip191"
        ]
    );
    assert_eq!(report.summary["bitcoin/bip137"].valid, 3);
}

#[test]
fn empty_bundle_is_not_valid() {
    let lines = ledger_lines();
    let only_header = with_fresh_footer(&lines[..1]);
    let report = verify_lines(&only_header, LEDGER_MESSAGE);
    assert_eq!(report.entries, 0);
    assert!(
        !report.all_valid(),
        "a bundle with no entries proves nothing"
    );
}
