//! The mutation suite: every single-byte change to a valid bundle, and every deleted byte and
//! line, must be caught (the file is refused or reported invalid, never passed).

use porsign::bundle::verify_bundle;

use super::*;

/// A different byte of the same class, so the edit stays plausible JSON text where it can.
fn substitute(b: u8) -> u8 {
    match b {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => b + 1,
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        b' ' => b'_',
        b'\n' => b' ',
        _ => b'x',
    }
}

fn passes(bytes: &[u8]) -> bool {
    verify_bundle(bytes, &options(LEDGER_MESSAGE))
        .map(|r| r.all_valid())
        .unwrap_or(false)
}

#[test]
fn every_single_byte_change_is_caught() {
    let original = (ledger_lines().join("\n") + "\n").into_bytes();
    assert!(passes(&original), "the unmodified bundle must verify");
    let mut tried = 0usize;
    let mut missed = Vec::new();
    for i in 0..original.len() {
        let mut substituted = original.clone();
        substituted[i] = substitute(original[i]);
        let mut deleted = original.clone();
        deleted.remove(i);
        for mutated in [substituted, deleted] {
            tried += 1;
            if passes(&mutated) {
                missed.push(i);
            }
        }
    }
    eprintln!(
        "byte mutations tried: {tried}, caught: {}",
        tried - missed.len()
    );
    assert!(
        missed.is_empty(),
        "mutations at byte offsets {missed:?} passed"
    );
    assert!(tried > 5_000);
}

#[test]
fn every_dropped_duplicated_or_swapped_line_is_caught() {
    let lines = ledger_lines();
    let mut tried = 0;
    for i in 0..lines.len() {
        let mut dropped = lines.clone();
        dropped.remove(i);
        let mut duplicated = lines.clone();
        duplicated.insert(i, lines[i].clone());
        for mutated in [dropped, duplicated] {
            tried += 1;
            assert!(!passes((mutated.join("\n") + "\n").as_bytes()), "line {i}");
        }
        for j in i + 1..lines.len() {
            let mut swapped = lines.clone();
            swapped.swap(i, j);
            tried += 1;
            assert!(
                !passes((swapped.join("\n") + "\n").as_bytes()),
                "swap {i} {j}"
            );
        }
    }
    assert!(tried >= 40);
}
