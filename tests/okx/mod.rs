//! OKX proof-of-reserves files: known answers from OKX's real samples, layouts, tampering,
//! the CLI (verify, import, bench).

#![allow(clippy::indexing_slicing)]

mod cli;
mod duplicates;
mod layouts;
mod mutation;
mod policy;
mod policy_cli;
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
    let report = verify_stream(Cursor::new(text.as_bytes().to_vec()), opts, &mut |e| {
        seen.extend(e.line())
    })
    .expect("usable file");
    // Failures reach the callback in file order.
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "failures out of order");
    report
}

/// Verifies with the default options (summary check on, one message per file taken from the
/// first row, owner-attested and status-excluded rows not accepted).
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

/// The lines of a fixture of ours.
pub(crate) fn fixture_lines(name: &str) -> Vec<String> {
    fixture_text(name).lines().map(str::to_owned).collect()
}

/// Lines joined back into a file.
pub(crate) fn join(lines: &[String]) -> String {
    lines.join("\n") + "\n"
}

/// An EVM account of ours (secret key `[seed; 32]`) and its OKX-rule signature of `message`:
/// (address, 0x r‖s‖v).
pub(crate) fn evm_signed(seed: u8, message: &str) -> (String, String) {
    use secp256k1::{Message, SecretKey, SECP256K1};
    let sk = SecretKey::from_slice(&[seed; 32]).expect("valid secret key");
    let digest = porsign::scheme::okx::evm_message_hash(message.as_bytes());
    let sig = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), &sk);
    let (recid, rs) = sig.serialize_compact();
    let mut rsv = rs.to_vec();
    rsv.push(27 + u8::try_from(recid.to_i32()).expect("recovery id"));
    let address = porsign::scheme::EthAddress::from_public_key(&sk.public_key(SECP256K1));
    (
        format!("0x{}", hex::encode(address.0)),
        format!("0x{}", hex::encode(rsv)),
    )
}
