//! OKX proof-of-reserves files: known answers from OKX's real samples, layouts, tampering,
//! the CLI (verify, import, bench).

#![allow(clippy::indexing_slicing)]

mod cli;
mod layouts;
mod mutation;
mod samples;
mod tamper;

use std::io::Cursor;

use porsign::okx::{verify_stream, Report, RowFailure, VerifyOptions};

/// A fixture of ours under `fixtures/okx/`.
pub(crate) fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(crate::util::fixture(&format!("okx/{name}"))).expect("fixture")
}

/// Verifies `text` in memory.
pub(crate) fn run_with(text: &str, opts: &VerifyOptions) -> Report {
    let mut seen = Vec::new();
    let report = verify_stream(Cursor::new(text.as_bytes().to_vec()), opts, &mut |f| {
        seen.push(f.line)
    })
    .expect("usable file");
    // Failures reach the callback in file order.
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "failures out of order");
    report
}

/// Verifies with the default options (summary check on, each row's own message).
pub(crate) fn run(text: &str) -> Report {
    run_with(text, &VerifyOptions::default())
}

/// The failure of `line`, if that line failed.
pub(crate) fn failure_at(report: &Report, line: u64) -> Option<&RowFailure> {
    report
        .failures
        .iter()
        .find(|f| f.line == line)
        .map(|f| &f.kind)
}
