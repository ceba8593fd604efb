//! Bundle version 2: batch entries verified as whole batches in a bundle, and the seal. The
//! batches are signed by software keys through rust-bitcoin's sighash cache (an independent
//! route from porsign's signer); the attacks are edits an attacker can make to the file.

use bitcoin::secp256k1::SecretKey;
use porsign::bundle::verify::SealStatus;
use porsign::bundle::{verify_bundle, BundleError, EntryFailure, Report};
use serde_json::{json, Value};

use super::{edit_line, failure_kinds, options, with_fresh_footer};
use crate::scheme::bip137::sign_with_header;
use crate::scheme::bip322::batch::{signed_batch, Batch};

const MESSAGE: &str = "porsign batch bundle test";

fn header(version: u32) -> String {
    json!({
        "type": "header",
        "format": "porsign-bundle",
        "version": version,
        "challenge": MESSAGE,
        "challenge_sha256": porsign::bundle::verify::sha256_hex(MESSAGE),
        "custodian": "Test custody",
        "created_at": "2026-11-20T00:00:00Z",
        "tool": "test",
    })
    .to_string()
}

fn batch_entries(b: &Batch, first_index: usize) -> Vec<String> {
    b.addresses
        .iter()
        .zip(&b.proofs)
        .enumerate()
        .map(|(i, (address, proof))| {
            json!({
                "type": "entry",
                "index": first_index + i,
                "chain": "bitcoin",
                "network": "mainnet",
                "address": address.to_string(),
                "scheme": "bip322-batch",
                "signatures": [proof],
                "amount": "1.5",
                "batch": b.id,
                "input": i,
            })
            .to_string()
        })
        .collect()
}

/// Two batches (five inputs of every single-key type, then two P2WPKH) with footer.
fn two_batches() -> Vec<String> {
    let first = signed_batch(
        MESSAGE.as_bytes(),
        &[
            (0x41, "pkh"),
            (0x42, "sh-wpkh"),
            (0x43, "wpkh"),
            (0x44, "tr"),
            (0x45, "wpkh"),
        ],
        None,
    );
    let second = signed_batch(MESSAGE.as_bytes(), &[(0x46, "wpkh"), (0x47, "wpkh")], None);
    let mut lines = vec![header(2)];
    lines.extend(batch_entries(&first, 0));
    lines.extend(batch_entries(&second, 5));
    with_fresh_footer(&lines)
}

fn verify(lines: &[String]) -> Report {
    let text = lines.join("\n") + "\n";
    verify_bundle(text.as_bytes(), &options(MESSAGE)).expect("readable")
}

fn unusable(lines: &[String]) -> BundleError {
    let text = lines.join("\n") + "\n";
    verify_bundle(text.as_bytes(), &options(MESSAGE)).expect_err("unusable")
}

fn batch_failures(report: &Report) -> usize {
    failure_kinds(report)
        .iter()
        .filter(|k| matches!(k, EntryFailure::Batch { .. }))
        .count()
}

#[test]
fn batches_verify_and_are_reported_per_input() {
    let report = verify(&two_batches());
    assert!(report.all_valid(), "{:?}", report.failures);
    assert_eq!(report.entries, 7);
    assert_eq!(report.summary["bitcoin/bip322-batch"].valid, 7);
    assert_eq!(report.seal, SealStatus::Unsealed);
    // Every entry's detail names its input.
    let mut details = Vec::new();
    let text = two_batches().join("\n") + "\n";
    porsign::bundle::verify::verify_bundle_streaming(
        text.as_bytes(),
        &options(MESSAGE),
        &mut |r| details.push(r.detail.map(str::to_owned)),
    )
    .unwrap();
    assert_eq!(
        details[0].as_deref(),
        Some("bip322-batch p2pkh input 0 of 5")
    );
    assert_eq!(
        details[6].as_deref(),
        Some("bip322-batch p2wpkh input 1 of 2")
    );
}

#[test]
fn swapped_witnesses_fail_the_inputs() {
    let lines = two_batches();
    // Entries 2 and 4 are both P2WPKH in the first batch: swap their proofs.
    let proof = |l: &str| serde_json::from_str::<Value>(l).unwrap()["signatures"][0].clone();
    let (a, b) = (proof(&lines[3]), proof(&lines[5]));
    let lines = edit_line(&lines, 3, |v| v["signatures"][0] = b);
    let lines = edit_line(&lines, 5, |v| v["signatures"][0] = a);
    let report = verify(&with_fresh_footer(&lines));
    assert!(!report.all_valid());
    let failed: Vec<u64> = report.failures.iter().filter_map(|f| f.entry).collect();
    assert_eq!(failed, vec![2, 4]);
}

#[test]
fn reordered_dropped_moved_or_added_entries_fail_the_whole_batch() {
    let lines = two_batches();
    let renumber = |mut lines: Vec<String>| {
        for (i, line) in lines.iter_mut().enumerate().skip(1) {
            let mut v: Value = serde_json::from_str(line).unwrap();
            if v["type"] == "entry" {
                v["index"] = json!(i - 1);
                *line = v.to_string();
            }
        }
        with_fresh_footer(&lines)
    };
    // Reordered: inputs 1 and 2 swap places, their `input` fields swapped too.
    let mut reordered = lines.clone();
    reordered.swap(2, 3);
    let reordered = edit_line(&reordered, 2, |v| v["input"] = json!(1));
    let reordered = edit_line(&reordered, 3, |v| v["input"] = json!(2));
    // Dropped: the last input of the first batch.
    let mut dropped = lines.clone();
    dropped.remove(5);
    // Moved: the second batch's first entry joins the first batch as input 5.
    let first_id = serde_json::from_str::<Value>(&lines[1]).unwrap()["batch"].clone();
    let moved = edit_line(&lines, 6, |v| {
        v["batch"] = first_id.clone();
        v["input"] = json!(5);
    });
    // Added: an entry of another valid batch (same message) appended to the first batch.
    let other = signed_batch(MESSAGE.as_bytes(), &[(0x48, "wpkh")], None);
    let mut added = lines.clone();
    let extra = batch_entries(&other, 0).remove(0);
    let extra: Value = serde_json::from_str(&extra).unwrap();
    let mut extra = extra;
    extra["batch"] = first_id;
    extra["input"] = json!(5);
    added.insert(6, extra.to_string());
    for (what, case, failing_batch_len) in [
        ("reordered", renumber(reordered), 5),
        ("dropped", renumber(dropped), 4),
        ("moved", renumber(moved), 6),
        ("added", renumber(added), 6),
    ] {
        let report = verify(&case);
        assert!(!report.all_valid(), "{what}");
        assert!(
            batch_failures(&report) >= failing_batch_len,
            "{what}: every entry of the batch fails: {:?}",
            report.failures
        );
    }
}

#[test]
fn batch_fields_are_required_where_they_belong_and_refused_elsewhere() {
    let lines = two_batches();
    let no_input = edit_line(&lines, 1, |v| {
        v.as_object_mut().unwrap().remove("input");
    });
    let report = verify(&with_fresh_footer(&no_input));
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::MissingField { field: "input", .. })));
    let bad_id = edit_line(&lines, 1, |v| v["batch"] = json!("ABC"));
    let report = verify(&with_fresh_footer(&bad_id));
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::BadField { field: "batch", .. })));
    // A BIP-137 entry that claims a batch carries an unchecked field.
    let ledger = super::ledger_lines();
    let claimed = edit_line(&ledger, 1, |v| v["input"] = json!(0));
    let report = super::verify_lines(&with_fresh_footer(&claimed), super::LEDGER_MESSAGE);
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::UncheckedField { field: "input", .. })));
}

#[test]
fn version_one_cannot_hold_batches_or_seals() {
    let mut lines = two_batches();
    lines[0] = header(1);
    let lines = with_fresh_footer(&lines);
    assert!(matches!(
        unusable(&lines),
        BundleError::Structure { line: 2, .. }
    ));
    let mut sealed = sealed(&two_batches(), 0x51);
    sealed[0] = header(1);
    // The seal now follows a v1 header (its text no longer matches either; the version
    // refuses it first).
    let seal = sealed.pop().unwrap();
    let mut v1 = with_fresh_footer(&sealed);
    v1.retain(|l| !l.contains("\"bip322-batch\""));
    let mut v1 = with_fresh_footer(&v1);
    v1.push(seal);
    assert!(matches!(unusable(&v1), BundleError::Structure { .. }));
}

/// `lines` (ending with the footer) sealed by the P2WPKH key `n`.
fn sealed(lines: &[String], n: u8) -> Vec<String> {
    let footer: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let text = format!(
        "porsign seal v1: bundle {} entries {} challenge {}",
        footer["sha256"].as_str().unwrap(),
        footer["entries"],
        porsign::bundle::verify::sha256_hex(MESSAGE)
    );
    let sk = SecretKey::from_slice(&[n; 32]).unwrap();
    let pk = bitcoin::CompressedPublicKey(sk.public_key(bitcoin::secp256k1::SECP256K1));
    let address = bitcoin::Address::p2wpkh(&pk, bitcoin::Network::Bitcoin);
    let mut out = lines.to_vec();
    out.push(
        json!({
            "type": "seal",
            "text": text,
            "chain": "bitcoin",
            "network": "mainnet",
            "address": address.to_string(),
            "path": "m/84'/0'/0'/0/0",
            "scheme": "bip137",
            "signature": sign_with_header(&sk, text.as_bytes(), 39),
        })
        .to_string(),
    );
    out
}

#[test]
fn a_seal_names_who_vouches_and_any_later_edit_breaks_it() {
    let lines = sealed(&two_batches(), 0x51);
    let report = verify(&lines);
    assert!(report.all_valid(), "{:?}", report.failures);
    let SealStatus::Valid(info) = &report.seal else {
        panic!("sealed: {:?}", report.seal)
    };
    assert!(info.address.starts_with("bc1q"));

    // An amount edited after sealing, with the footer recomputed: the seal's text no longer
    // names the bundle.
    let seal = lines.last().unwrap().clone();
    let mut edited = edit_line(&lines[..lines.len() - 1], 1, |v| v["amount"] = json!("9"));
    edited = with_fresh_footer(&edited);
    edited.push(seal.clone());
    let report = verify(&edited);
    assert!(!report.all_valid());
    assert!(matches!(report.seal, SealStatus::Invalid { .. }));
    assert!(failure_kinds(&report)
        .iter()
        .any(|k| matches!(k, EntryFailure::Seal(_))));

    // A seal whose signature is another key's.
    let forged = edit_line(&lines, lines.len() - 1, |v| {
        let other = sealed(&two_batches(), 0x52);
        let o: Value = serde_json::from_str(other.last().unwrap()).unwrap();
        v["signature"] = o["signature"].clone();
    });
    assert!(!verify(&forged).all_valid());

    // Two seals: the second is a line after the footer's seal.
    let mut twice = lines.clone();
    twice.push(seal);
    let report = verify(&twice);
    assert!(failure_kinds(&report).contains(&EntryFailure::AfterFooter));
}
