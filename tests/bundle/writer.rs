//! The append-only writer: what it writes verifies, it never overwrites, and a run stopped
//! anywhere resumes without losing or repeating an entry.

use std::io::Write;

use porsign::bundle::reader::decode_line;
use porsign::bundle::{BundleError, BundleWriter, Entry, Header, Line};

use super::*;

fn header() -> Header {
    match decode_line(1, &ledger_lines()[0]).unwrap() {
        Line::Header(h) => h,
        other => panic!("line 1 is not a header: {other:?}"),
    }
}

fn entries() -> Vec<Entry> {
    let lines = ledger_lines();
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| match decode_line(2, l).unwrap() {
            Line::Entry(e) => e,
            other => panic!("not an entry: {other:?}"),
        })
        .collect()
}

#[test]
fn written_bundle_is_byte_identical_to_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    let mut w = BundleWriter::create(&path, &header()).unwrap();
    for e in entries() {
        w.append(e).unwrap();
    }
    w.finish().unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let fixture = ledger_lines().join("\n") + "\n";
    assert_eq!(written, fixture);
}

#[test]
fn never_overwrites_and_refuses_finished_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    let w = BundleWriter::create(&path, &header()).unwrap();
    w.finish().unwrap();
    assert!(matches!(
        BundleWriter::create(&path, &header()),
        Err(BundleError::Exists { .. })
    ));
    assert!(matches!(
        BundleWriter::resume(&path),
        Err(BundleError::Finished { .. })
    ));
}

#[test]
fn resume_after_a_crash_mid_line_keeps_every_complete_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    let all = entries();
    let mut w = BundleWriter::create(&path, &header()).unwrap();
    for e in &all[..3] {
        w.append(e.clone()).unwrap();
    }
    drop(w);
    // A crash while writing the fourth entry leaves half a line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"type\":\"entry\",\"index\":3,\"chain\":\"bitc")
        .unwrap();
    drop(f);

    let (mut w, state) = BundleWriter::resume(&path).unwrap();
    assert_eq!(state.entries, 3);
    assert!(state.dropped_partial_bytes > 0);
    for e in &all[..3] {
        let network = e.network.known().expect("a known network");
        assert!(w.contains(e.chain, network, &e.address));
    }
    // Appending an address that is already done is refused: nothing is signed twice.
    assert!(w.append(all[0].clone()).is_err());
    for e in &all[3..] {
        w.append(e.clone()).unwrap();
    }
    w.finish().unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, ledger_lines().join("\n") + "\n");
}
