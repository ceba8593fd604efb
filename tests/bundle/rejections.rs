//! Every rejection the foundation issue lists, one test each, on the real-signature bundle.

use porsign::bundle::{verify_bundle, BundleError, EntryFailure};
use serde_json::json;

use super::*;

/// Line numbers (0-based) of the entries in the fixture.
const P2PKH: usize = 1;
const P2WPKH: usize = 2;
const MULTISIG: usize = 4;
const TESTNET: usize = 5;

fn single_failure(lines: &[String]) -> EntryFailure {
    let report = verify_lines(&with_fresh_footer(lines), LEDGER_MESSAGE);
    let kinds = failure_kinds(&report);
    assert_eq!(kinds.len(), 1, "expected exactly one failure: {kinds:#?}");
    assert!(!report.all_valid());
    kinds.into_iter().next().unwrap()
}

#[test]
fn multisig_duplicated_signature_counts_once() {
    let lines = edit_line(&ledger_lines(), MULTISIG, |e| {
        let first = e["signatures"][0].clone();
        e["signatures"] = json!([first.clone(), first]);
    });
    assert!(matches!(single_failure(&lines), EntryFailure::Signature(_)));
}

#[test]
fn multisig_repeated_signature_beside_a_valid_set_fails() {
    // Two distinct cosigners already meet 2-of-3; a third copy of the first is still refused.
    let lines = edit_line(&ledger_lines(), MULTISIG, |e| {
        let first = e["signatures"][0].clone();
        e["signatures"].as_array_mut().unwrap().push(first);
    });
    assert_eq!(
        single_failure(&lines),
        EntryFailure::RepeatedSigner {
            signatures: 3,
            distinct: 2
        }
    );
}

/// Regression (found by the OKX byte-mutation suite): a cosigner signature whose header is
/// rewritten from 31 to 35 recovers the same key, but 35 declares a single-key P2SH-P2WPKH
/// address, not a multisig key. One signature must not be writable several ways.
#[test]
fn multisig_signature_with_a_segwit_header_fails() {
    use bitcoin::base64::Engine;
    let engine = bitcoin::base64::engine::general_purpose::STANDARD;
    let lines = edit_line(&ledger_lines(), MULTISIG, |e| {
        let mut bytes = engine.decode(e["signatures"][0].as_str().unwrap()).unwrap();
        assert!((31..=34).contains(&bytes[0]));
        bytes[0] += 4;
        e["signatures"][0] = json!(engine.encode(bytes));
    });
    assert!(matches!(single_failure(&lines), EntryFailure::Signature(_)));
}

#[test]
fn multisig_below_threshold_fails() {
    let lines = edit_line(&ledger_lines(), MULTISIG, |e| {
        let first = e["signatures"][0].clone();
        e["signatures"] = json!([first]);
    });
    assert!(matches!(single_failure(&lines), EntryFailure::Signature(_)));
}

#[test]
fn address_with_bad_checksum_fails() {
    for line in [P2PKH, P2WPKH] {
        let lines = edit_line(&ledger_lines(), line, |e| {
            let a = e["address"].as_str().unwrap().to_owned();
            let last = a.chars().last().unwrap();
            let swapped = if last == 'q' { 'p' } else { 'q' };
            e["address"] = json!(format!("{}{}", &a[..a.len() - 1], swapped));
        });
        assert!(matches!(single_failure(&lines), EntryFailure::Address(_)));
    }
}

#[test]
fn address_that_does_not_decode_fails() {
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| {
        e["address"] = json!("not an address")
    });
    assert!(matches!(single_failure(&lines), EntryFailure::Address(_)));
}

#[test]
fn key_not_bound_to_address_fails() {
    // The P2PKH key of the fixture's P2WPKH entry is another key than the one that signed.
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| {
        e["pubkey"] = json!("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    });
    assert!(matches!(
        single_failure(&lines),
        EntryFailure::PubkeyMismatch { .. }
    ));
    // A signature from the P2PKH entry's key listed for the P2WPKH address.
    let sig = serde_json::from_str::<serde_json::Value>(&ledger_lines()[P2PKH]).unwrap()
        ["signatures"]
        .clone();
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| e["signatures"] = sig);
    assert!(matches!(single_failure(&lines), EntryFailure::Signature(_)));
}

#[test]
fn script_not_bound_to_address_fails() {
    // The same cosigners at the next index make another script, hence another address.
    let lines = edit_line(&ledger_lines(), MULTISIG, |e| {
        let d = e["descriptor"].as_str().unwrap().replace("/0/0", "/0/1");
        e["descriptor"] = json!(d);
    });
    assert!(matches!(
        single_failure(&lines),
        EntryFailure::DescriptorMismatch { .. }
    ));
}

#[test]
fn wrong_network_address_fails() {
    let lines = edit_line(&ledger_lines(), TESTNET, |e| {
        e["network"] = json!("mainnet")
    });
    assert!(matches!(single_failure(&lines), EntryFailure::Address(_)));
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| e["network"] = json!("regtest"));
    assert!(matches!(single_failure(&lines), EntryFailure::Address(_)));
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| e["network"] = json!("moonnet"));
    assert!(matches!(single_failure(&lines), EntryFailure::Network(_)));
}

#[test]
fn signature_over_another_challenge_fails() {
    let report = verify_lines(&ledger_lines(), "porsign test challenge, next month");
    let kinds = failure_kinds(&report);
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EntryFailure::ChallengeMismatch { .. })));
    // Every entry fails on its own too: none is valid for the other message.
    assert_eq!(report.valid, 0);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| matches!(k, EntryFailure::Signature(_)))
            .count(),
        6
    );
}

#[test]
fn header_claiming_another_challenge_fails() {
    let lines = edit_line(&ledger_lines(), 0, |h| {
        h["challenge"] = json!("porsign test challenge!")
    });
    let report = verify_lines(&lines, LEDGER_MESSAGE);
    let kinds = failure_kinds(&report);
    assert!(kinds.contains(&EntryFailure::ChallengeDigest));
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EntryFailure::ChallengeMismatch { .. })));
}

#[test]
fn truncated_bundle_fails() {
    let lines = ledger_lines();
    // No footer.
    let report = verify_lines(&lines[..lines.len() - 1], LEDGER_MESSAGE);
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::Truncated(_))));
    assert!(!report.all_valid());
    // Cut in the middle of an entry line.
    let text = lines.join("\n");
    let cut = &text[..text.len() / 2];
    let report = verify_bundle(cut.as_bytes(), &options(LEDGER_MESSAGE)).unwrap();
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::Truncated(_))));
    assert!(!report.all_valid());
    // Entries dropped from the end but the footer kept.
    let mut dropped = lines.clone();
    dropped.remove(lines.len() - 2);
    let report = verify_lines(&dropped, LEDGER_MESSAGE);
    let kinds = failure_kinds(&report);
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EntryFailure::FooterCount { .. })));
    assert!(kinds.contains(&EntryFailure::FooterDigest));
}

#[test]
fn entry_listed_twice_fails() {
    let mut lines = ledger_lines();
    let footer = lines.pop().unwrap();
    drop(footer);
    let again = edit_line(&lines, P2WPKH, |e| e["index"] = json!(6));
    lines.push(again[P2WPKH].clone());
    let kind = single_failure(&lines);
    assert_eq!(kind, EntryFailure::Duplicate { first: 1 });
}

#[test]
fn entry_listed_twice_with_other_case_fails() {
    let mut lines = ledger_lines();
    lines.pop();
    let again = edit_line(&lines, P2WPKH, |e| {
        e["index"] = json!(6);
        e["address"] = json!(e["address"].as_str().unwrap().to_uppercase());
    });
    lines.push(again[P2WPKH].clone());
    assert_eq!(single_failure(&lines), EntryFailure::Duplicate { first: 1 });
}

#[test]
fn reordered_entries_fail() {
    let mut lines = ledger_lines();
    lines.swap(P2PKH, P2WPKH);
    let report = verify_lines(&with_fresh_footer(&lines), LEDGER_MESSAGE);
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::Index { .. })));
}

#[test]
fn header_from_the_future_fails() {
    let lines = edit_line(&ledger_lines(), 0, |h| {
        h["created_at"] = json!("2099-01-01T00:00:00Z")
    });
    let report = verify_lines(&with_fresh_footer(&lines), LEDGER_MESSAGE);
    let kinds = failure_kinds(&report);
    assert!(
        matches!(kinds.as_slice(), [EntryFailure::CreatedAt(_)]),
        "{kinds:?}"
    );
}

#[test]
fn unknown_scheme_fails() {
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| e["scheme"] = json!("bip999"));
    assert_eq!(
        single_failure(&lines),
        EntryFailure::UnknownScheme("bip999".into())
    );
}

#[test]
fn scheme_of_another_chain_fails() {
    let lines = edit_line(&ledger_lines(), P2WPKH, |e| e["scheme"] = json!("eip191"));
    assert!(matches!(
        single_failure(&lines),
        EntryFailure::ChainMismatch { .. }
    ));
}

#[test]
fn fields_a_scheme_cannot_check_fail() {
    let lines = edit_line(&ledger_lines(), 3, |e| {
        e["pubkey"] = json!("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    });
    assert!(matches!(
        single_failure(&lines),
        EntryFailure::UncheckedField {
            field: "pubkey",
            ..
        }
    ));
}

#[test]
fn wrong_version_and_malformed_lines_are_unusable_input() {
    // Versions 1 and 2 are read; 3 is not.
    let lines = edit_line(&ledger_lines(), 0, |h| h["version"] = json!(3));
    let text = lines.join("\n") + "\n";
    assert!(matches!(
        verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)),
        Err(BundleError::Version { found: 3 })
    ));
    let mut lines = ledger_lines();
    lines[3] = "{not json".into();
    let text = lines.join("\n") + "\n";
    assert!(matches!(
        verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)),
        Err(BundleError::Json { line: 4, .. })
    ));
    let lines = edit_line(&ledger_lines(), 2, |e| {
        e["colour"] = json!("blue");
    });
    let text = lines.join("\n") + "\n";
    let err = verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)).unwrap_err();
    assert!(
        matches!(&err, BundleError::Field { line: 3, field, .. } if field == "colour"),
        "{err}"
    );
    assert!(matches!(
        verify_bundle(&b""[..], &options(LEDGER_MESSAGE)),
        Err(BundleError::Empty)
    ));
}
