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

/// A batch of `n` P2WPKH entries of test keys for the fixture header's challenge (proofs are
/// placeholders: the writer checks only that a batch is whole).
fn batch_entries(seed: u8, n: u8) -> Vec<Entry> {
    use porsign::bundle::Scheme;
    use porsign::model::{Chain, Network};
    let addresses: Vec<bitcoin::Address> = (0..n)
        .map(|i| {
            let sk = secp256k1::SecretKey::from_slice(&[seed + i; 32]).unwrap();
            let key = bitcoin::CompressedPublicKey(sk.public_key(secp256k1::SECP256K1));
            bitcoin::Address::p2wpkh(&key, bitcoin::Network::Bitcoin)
        })
        .collect();
    let spks: Vec<bitcoin::ScriptBuf> = addresses.iter().map(|a| a.script_pubkey()).collect();
    let id = porsign::scheme::bip322::batch::batch_id(header().challenge.as_bytes(), &spks);
    addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut e = Entry::new(
                Chain::Bitcoin,
                Network::Mainnet,
                a.to_string(),
                Scheme::Bip322Batch,
                vec!["AA==".into()],
            );
            e.batch = Some(id.to_string());
            e.input = Some(i as u32);
            e
        })
        .collect()
}

/// A batch is written whole; a run that died while writing one resumes without any of it (the
/// addresses are owed again), and whole batches before it are kept.
#[test]
fn resume_drops_a_batch_cut_short_and_keeps_whole_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    let mut w = BundleWriter::create(&path, &header()).unwrap();
    assert_eq!(w.append_batch(batch_entries(0x11, 3)).unwrap(), 0);
    assert_eq!(w.append_batch(batch_entries(0x21, 4)).unwrap(), 3);
    drop(w);
    let whole = std::fs::read_to_string(&path).unwrap();
    assert_eq!(whole.lines().count(), 1 + 3 + 4);

    // Every complete line of the second batch but its last made it to disk.
    let cut: Vec<&str> = whole.lines().take(1 + 3 + 3).collect();
    std::fs::write(&path, cut.join("\n") + "\n").unwrap();
    let (w, state) = BundleWriter::resume(&path).unwrap();
    assert_eq!(state.entries, 3, "the cut batch is dropped whole");
    assert!(state.dropped_partial_bytes > 0);
    let second = batch_entries(0x21, 4);
    assert!(!w.contains(
        second[0].chain,
        porsign::model::Network::Mainnet,
        &second[0].address
    ));
    let first = batch_entries(0x11, 3);
    assert!(w.contains(
        first[2].chain,
        porsign::model::Network::Mainnet,
        &first[2].address
    ));
    drop(w);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        1 + 3
    );

    // The batch written again resumes as whole.
    let (mut w, _) = BundleWriter::resume(&path).unwrap();
    w.append_batch(batch_entries(0x21, 4)).unwrap();
    drop(w);
    let (_, state) = BundleWriter::resume(&path).unwrap();
    assert_eq!(state.entries, 7);
}
