//! Batch signing on the in-process emulator: one SIGN_PSBT (one approval) per batch, every
//! address of the list in the bundle once, the bundle VALID; a batch is all or nothing.

use porsign::app::DeviceError;
use porsign::emulator::keys::SoftwareSigner;
use porsign::emulator::{AppMode, Approval, Faults};
use porsign::sign::batch::BatchSizes;
use porsign::sign::progress::Quiet;
use porsign::sign::{open_bundle, open_sessions, sign_all_with, SignError, SignOptions};

use super::*;

/// `n` P2WPKH addresses of account 0, receive and change interleaved.
fn wpkh_list(n: u32) -> String {
    let signer = SoftwareSigner::speculos_default();
    let mut csv = String::from("chain,network,address,path,amount\n");
    for i in 0..n {
        let path: bitcoin::bip32::DerivationPath =
            format!("m/84'/0'/0'/{}/{}", i % 2, i / 2).parse().unwrap();
        let address = signer.address_at(&path, bitcoin::Network::Bitcoin).unwrap();
        csv.push_str(&format!("bitcoin,mainnet,{address},m/{path},0.01\n"));
    }
    csv
}

/// Signs `list` with one emulator (recording its APDUs) and returns the run's result and how
/// many approvals it asked for: SIGN_PSBT (`E1 04`) and SIGN_MESSAGE (`E1 10`) commands, one
/// review each.
fn run_counting(
    list: &[Reserve],
    out: &Path,
    options: &SignOptions,
    faults: Faults,
) -> (Result<porsign::sign::SignSummary, SignError>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("t.json");
    let recorded = porsign::device::Recorder::new(
        emulator(AppMode::Bitcoin, Approval::Auto, faults),
        &transcript,
        "test",
    );
    let c = challenge();
    let mut transports: Vec<Box<dyn Transport + Send>> = vec![Box::new(recorded)];
    let result = open_sessions(&mut transports).and_then(|mut sessions| {
        let (writer, _) = open_bundle(out, &c, "test custodian")?;
        sign_all_with(&mut sessions, list, &c, writer, &Quiet, options)
    });
    drop(transports);
    let t = porsign::device::Transcript::load(&transcript).unwrap();
    let approvals = t
        .exchanges
        .iter()
        .filter(|x| x.command.starts_with("e104") || x.command.starts_with("e110"))
        .count();
    (result, approvals)
}

#[test]
fn five_hundred_addresses_of_one_account_take_one_approval() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&wpkh_list(500));
    let (result, approvals) = run_counting(&list, &out, &SignOptions::default(), Faults::default());
    let summary = result.unwrap();
    assert_eq!(summary.signed, 500);
    assert!(summary.finished);
    assert_eq!(approvals, 1, "one SIGN_PSBT for the whole account");
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid(), "{:?}", report.failures.first());
    assert_eq!(report.summary["bitcoin/bip322-batch"].valid, 500);
}

#[test]
fn every_single_key_type_batches_with_its_own_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    // 75 rows each of P2PKH, P2SH-P2WPKH, P2WPKH and P2TR.
    let list = reserves(
        &SoftwareSigner::speculos_default()
            .mixed_reserves_csv(300)
            .unwrap(),
    );
    let (result, approvals) = run_counting(&list, &out, &SignOptions::default(), Faults::default());
    assert_eq!(result.unwrap().signed, 300);
    // Legacy batches hold 25 (3 approvals); the others one batch each.
    assert_eq!(approvals, 3 + 1 + 1 + 1);
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid(), "{:?}", report.failures.first());
    assert_eq!(report.entries, 300);

    // --no-batch: one approval per address.
    let out = dir.path().join("single.jsonl");
    let few = &list[..8];
    let (result, approvals) =
        run_counting(few, &out, &SignOptions { batch: None }, Faults::default());
    assert_eq!(result.unwrap().signed, 8);
    assert_eq!(approvals, 8);
    // --batch-size 3 over the same 8 rows: two per type → four batches of two.
    let out = dir.path().join("three.jsonl");
    let sized = SignOptions {
        batch: Some(BatchSizes::all(3)),
    };
    let (result, approvals) = run_counting(few, &out, &sized, Faults::default());
    assert_eq!(result.unwrap().signed, 8);
    assert_eq!(approvals, 4);
}

#[test]
fn a_rejected_batch_writes_none_of_it_and_the_rerun_signs_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&wpkh_list(30));
    let sized = SignOptions {
        batch: Some(BatchSizes::all(10)),
    };
    let faults = Faults {
        reject_nth_signature: Some(2),
        ..Faults::default()
    };
    let (result, _) = run_counting(&list, &out, &sized, faults);
    let err = result.unwrap_err();
    assert!(
        matches!(err.device_error(), Some(DeviceError::Rejected)),
        "{err}"
    );
    assert!(err.to_string().contains("batch of 10 addresses"), "{err}");
    // The first batch is on disk whole; nothing of the rejected one.
    assert_eq!(bundle_addresses(&out).len(), 10);
    let (result, approvals) = run_counting(&list, &out, &sized, Faults::default());
    let summary = result.unwrap();
    assert_eq!((summary.signed, summary.already_done), (20, 10));
    assert_eq!(approvals, 2);
    let mut addresses = bundle_addresses(&out);
    assert_eq!(addresses.len(), 30);
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 30, "no address twice");
    assert!(verify_file(&out, &challenge()).all_valid());
}

#[test]
fn a_listed_address_the_account_does_not_make_stops_its_batch_before_signing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let mut csv = wpkh_list(6);
    // Row 4 (line 5) claims index 1's address at index 2's path.
    let lines: Vec<&str> = csv.lines().collect();
    let address_of = |line: &str| line.split(',').nth(2).unwrap().to_owned();
    let wrong = lines[4].replace(&address_of(lines[4]), &address_of(lines[2]));
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    edited[4] = wrong;
    // Keep the list free of duplicates: drop the row whose address was borrowed.
    edited.remove(2);
    csv = edited.join("\n") + "\n";
    let list = reserves(&csv);
    let (result, approvals) = run_counting(&list, &out, &SignOptions::default(), Faults::default());
    let err = result.unwrap_err();
    assert!(
        matches!(err, SignError::AddressMismatch { line: 4, .. }),
        "{err}"
    );
    assert_eq!(approvals, 0, "nothing was signed");
    assert!(bundle_addresses(&out).is_empty());
}
