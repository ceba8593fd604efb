//! The signing run through the library, on in-process emulators.

use porsign::app::DeviceError;
use porsign::device::TransportError;
use porsign::emulator::{AppMode, Approval, Faults};
use porsign::sign::{open_bundle, open_sessions, sign_all, Progress, SignError};

use super::*;

struct Count(std::sync::atomic::AtomicU64);
impl Progress for Count {
    fn start(&self, _total: u64) {}
    fn working_on(&self, _address: &str) {}
    fn advance(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn finish(&self) {}
    fn notice(&self, _text: &str) {}
}

pub(super) fn run(
    transports: &mut [Box<dyn Transport + Send>],
    list: &[Reserve],
    out: &Path,
) -> Result<porsign::sign::SignSummary, SignError> {
    let c = challenge();
    let mut sessions = open_sessions(transports)?;
    let (writer, _) = open_bundle(out, &c, "test custodian")?;
    sign_all(&mut sessions, list, &c, writer, &Count(0.into()))
}

#[test]
fn every_address_type_signs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&mixed_reserves_csv());
    let transcript = dir.path().join("session.json");
    let recorded = porsign::device::Recorder::new(auto(AppMode::Bitcoin), &transcript, "test");
    let s = run(&mut [Box::new(recorded)], &list, &out).unwrap();
    assert_eq!(s.signed, 5);
    // The device itself derived the addresses: default policies for the single-key rows, and
    // the multisig's policy registered (E1 02) and then asked for its address (E1 03).
    let t = porsign::device::Transcript::load(&transcript).unwrap();
    let sent = |prefix: &str| {
        t.exchanges
            .iter()
            .filter(|x| x.command.starts_with(prefix))
            .count()
    };
    assert_eq!(sent("e102"), 1, "the multisig policy is registered once");
    assert!(
        sent("e103") >= 4,
        "GET_WALLET_ADDRESS for each standard row and the multisig"
    );
    assert!(!s.finished, "the Ethereum row is still owed");
    assert_eq!(
        s.left_for_others,
        vec![(porsign::model::Chain::Ethereum, 1)]
    );
    let s = run(&mut [auto(AppMode::Ethereum)], &list, &out).unwrap();
    assert_eq!((s.signed, s.already_done), (1, 5));
    assert!(s.finished);
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid(), "{:#?}", report.failures);
    assert_eq!(report.entries, 6);
    for key in [
        "bitcoin/bip137",
        "bitcoin/bip322",
        "bitcoin/bip137-multisig",
        "ethereum/eip191",
    ] {
        assert!(
            report.summary.contains_key(key),
            "{key}: {:?}",
            report.summary.keys()
        );
    }
    // The one seed holds all three cosigner keys: the multisig entry carries three signatures.
    let text = std::fs::read_to_string(&out).unwrap();
    let multisig: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["scheme"] == "bip137-multisig")
        .unwrap();
    assert_eq!(multisig["signatures"].as_array().unwrap().len(), 3);
}

#[test]
fn rejection_stops_keeps_work_and_resume_finishes_without_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&mixed_reserves_csv());
    let faults = Faults {
        reject_nth_signature: Some(3),
        ..Faults::default()
    };
    let err = run(
        &mut [emulator(AppMode::Bitcoin, Approval::Auto, faults)],
        &list,
        &out,
    )
    .unwrap_err();
    match &err {
        SignError::Device {
            address,
            source: DeviceError::Rejected,
        } => {
            assert_eq!(address, "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
        }
        other => panic!("expected a rejection, got {other}"),
    }
    assert_eq!(
        bundle_addresses(&out).len(),
        2,
        "the two signed before the rejection are kept"
    );
    run(&mut [auto(AppMode::Bitcoin)], &list, &out).unwrap();
    run(&mut [auto(AppMode::Ethereum)], &list, &out).unwrap();
    let addresses = bundle_addresses(&out);
    let mut unique = addresses.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), addresses.len(), "an address was signed twice");
    assert_eq!(addresses.len(), 6);
    assert!(verify_file(&out, &challenge()).all_valid());
}

#[test]
fn disconnect_mid_run_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&mixed_reserves_csv());
    let faults = Faults {
        disconnect_after_apdus: Some(12),
        ..Faults::default()
    };
    let err = run(
        &mut [emulator(AppMode::Bitcoin, Approval::Auto, faults)],
        &list,
        &out,
    )
    .unwrap_err();
    assert!(
        matches!(
            &err,
            SignError::Device {
                source: DeviceError::Transport(TransportError::Disconnected),
                ..
            }
        ),
        "{err}"
    );
    let before = bundle_addresses(&out).len();
    assert!(before < 5);
    run(&mut [auto(AppMode::Bitcoin)], &list, &out).unwrap();
    assert_eq!(bundle_addresses(&out).len(), 5);
}

#[test]
fn listed_address_not_held_by_the_device_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    // The P2WPKH address of index 0 listed at the path of index 1.
    let list = reserves(
        "chain,network,address,path\nbitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/1\n",
    );
    let err = run(&mut [auto(AppMode::Bitcoin)], &list, &out).unwrap_err();
    assert!(
        matches!(err, SignError::AddressMismatch { line: 2, .. }),
        "{err}"
    );
    assert!(
        bundle_addresses(&out).is_empty(),
        "nothing is written for it"
    );
}

#[test]
fn locked_and_wrong_app_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let list = reserves(&mixed_reserves_csv());
    let locked = Faults {
        locked: true,
        ..Faults::default()
    };
    let err = run(
        &mut [emulator(AppMode::Bitcoin, Approval::Auto, locked)],
        &list,
        &dir.path().join("a"),
    )
    .unwrap_err();
    assert!(matches!(err, SignError::Open(DeviceError::Locked)), "{err}");
    // The Ethereum app is open where only Bitcoin rows are owed.
    let bitcoin_only: Vec<Reserve> = list
        .iter()
        .filter(|r| r.chain == porsign::model::Chain::Bitcoin)
        .cloned()
        .collect();
    let wrong = Faults {
        wrong_app: true,
        ..Faults::default()
    };
    let err = run(
        &mut [emulator(AppMode::Bitcoin, Approval::Auto, wrong)],
        &bitcoin_only,
        &dir.path().join("b"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, SignError::WrongAppForRows { needed, .. } if needed == &[("Bitcoin", 5)]),
        "{err}"
    );
}

#[test]
fn several_devices_share_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let mut csv = String::from("chain,network,address,path\n");
    let signer = porsign::emulator::keys::SoftwareSigner::speculos_default();
    for i in 0..12 {
        let p: bitcoin::bip32::DerivationPath = format!("m/84'/0'/0'/0/{i}").parse().unwrap();
        let key = bitcoin::CompressedPublicKey(signer.public_key(&p).unwrap());
        let addr = bitcoin::Address::p2wpkh(&key, bitcoin::Network::Bitcoin);
        csv.push_str(&format!("bitcoin,mainnet,{addr},m/{p}\n"));
    }
    let list = reserves(&csv);
    let mut devices = [
        auto(AppMode::Bitcoin),
        auto(AppMode::Bitcoin),
        auto(AppMode::Bitcoin),
    ];
    let s = run(&mut devices, &list, &out).unwrap();
    assert_eq!(s.signed, 12);
    assert!(s.finished);
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid());
    assert_eq!(report.entries, 12);
}

#[test]
fn a_bundle_for_another_challenge_is_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&mixed_reserves_csv());
    run(&mut [auto(AppMode::Ethereum)], &list, &out).unwrap();
    let other = Challenge::from_parts(
        ChallengeParams {
            audit: "OTHER".into(),
            period: "2026-12".into(),
            auditor: None,
            anchor: None,
        },
        &[1u8; 32],
        "2026-12-01T00:00:00Z".into(),
    )
    .unwrap();
    let err = open_bundle(&out, &other, "x").err().unwrap();
    assert!(matches!(err, SignError::OtherChallenge { .. }), "{err}");
}
