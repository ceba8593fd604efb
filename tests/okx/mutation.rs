//! The mutation suite over an OKX file: every single-byte change to a file that verifies must be
//! caught, or be listed here as a byte that no verifier can check (and why).

use porsign::okx::{verify_stream, VerifyOptions};

use crate::util::fixture;

fn substitute(b: u8) -> u8 {
    match b {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => b + 1,
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        _ => b'x',
    }
}

fn passes(bytes: &[u8]) -> bool {
    let opts = VerifyOptions {
        expected_message: Some("I am an OKX address".into()),
        check_summary: true,
        ..VerifyOptions::default()
    };
    verify_stream(bytes, &opts, &mut |_| {})
        .map(|r| r.all_valid())
        .unwrap_or(false)
}

/// The column of the byte at `offset` in its line (0-based), and the line's first cell.
fn column_of(text: &[u8], offset: usize) -> (usize, String) {
    let start = text[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = text[start..offset].iter().filter(|&&b| b == b',').count();
    let end = text[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| start + p);
    let first = String::from_utf8_lossy(&text[start..end])
        .split(',')
        .next()
        .unwrap_or("")
        .to_owned();
    (column, first)
}

#[test]
fn every_checkable_byte_change_is_caught() {
    let original = std::fs::read(fixture("okx/layout-9.csv")).unwrap();
    assert!(passes(&original), "the fixture must verify");
    let header_line = original
        .split(|&b| b == b'\n')
        .position(|l| l.starts_with(b"coin,Network"))
        .unwrap();
    let mut tried = 0;
    let mut missed = Vec::new();
    for i in 0..original.len() {
        let mut mutated = original.clone();
        mutated[i] = substitute(original[i]);
        tried += 1;
        if passes(&mutated) {
            missed.push(i);
        }
    }
    // What an OKX file cannot prove: the detail rows' `Network` and `Snapshot Height` columns
    // and the summary block's `snapshot height` are labels no signature covers (nor any
    // checksum). Everything else (coin, address, amount via the summary block, message,
    // signatures, script) must be caught.
    let line_of = |i: usize| original[..i].iter().filter(|&&b| b == b'\n').count();
    let unexplained: Vec<(usize, usize, String)> = missed
        .iter()
        .map(|&i| {
            let (col, first) = column_of(&original, i);
            (i, col, first)
        })
        .filter(|(i, col, _)| {
            let detail = line_of(*i) > header_line;
            // Detail rows: `Network` and `Snapshot Height`; summary rows: `snapshot height`.
            let label = if detail {
                *col == 1 || *col == 2
            } else {
                *col == 1
            };
            !label
        })
        .collect();
    eprintln!(
        "okx byte mutations tried: {tried}, caught: {}, uncheckable label bytes: {}",
        tried - missed.len(),
        missed.len() - unexplained.len()
    );
    assert!(
        unexplained.is_empty(),
        "caught nothing at (offset, column, coin): {unexplained:?}"
    );
}
