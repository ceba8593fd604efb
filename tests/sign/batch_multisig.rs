//! Multisig batch proofs on three emulated cosigner devices: each signs the batch once (one
//! approval), shares are combined in one run or merged from the cosigners' own bundles, and the
//! result verifies; a share alone does not.

use porsign::bundle::merge::merge_bundles;
use porsign::emulator::keys::SoftwareSigner;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};
use porsign::sign::progress::Quiet;
use porsign::sign::{open_bundle, open_sessions, sign_all_with, SignOptions};

use super::cosigners::SEEDS;
use super::*;

/// `n` addresses of a 2-of-3 `wsh(sortedmulti)` with one key on each seed, at `0/i`.
fn multisig_rows(n: u32) -> String {
    let signers: Vec<SoftwareSigner> = SEEDS
        .iter()
        .map(|seed| SoftwareSigner::from_mnemonic(seed, "").unwrap())
        .collect();
    let mut csv = String::new();
    for i in 0..n {
        let keys: Vec<String> = signers
            .iter()
            .map(|s| {
                let xpub = s
                    .xpub(
                        &"m/48'/0'/0'/2'".parse().unwrap(),
                        bitcoin::NetworkKind::Main,
                    )
                    .unwrap();
                format!("[{}/48'/0'/0'/2']{xpub}/0/{i}", s.fingerprint())
            })
            .collect();
        let d = format!("wsh(sortedmulti(2,{}))", keys.join(","));
        let a = porsign::sign::reserves::descriptor_address(&d, porsign::model::Network::Mainnet)
            .unwrap();
        csv.push_str(&format!("bitcoin,mainnet,{a},,\"{d}\",2.5,\n"));
    }
    csv
}

/// Counts the reviews (REGISTER_WALLET `E1 02`, SIGN_PSBT `E1 04`, SIGN_MESSAGE `E1 10`) a
/// device shows.
struct Counting {
    inner: Box<dyn Transport + Send>,
    reviews: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Transport for Counting {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, porsign::device::TransportError> {
        if matches!(apdu, [0xe1, 0x02 | 0x04 | 0x10, ..]) {
            self.reviews
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.inner.exchange(apdu)
    }
}

fn cosigner(
    seed: &str,
) -> (
    Box<dyn Transport + Send>,
    std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    let reviews = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let inner: Box<dyn Transport + Send> = Box::new(InProcessTransport::new(
        Emulator::new(EmulatorConfig {
            app: AppMode::Bitcoin,
            mnemonic: seed.into(),
            approval: Approval::Auto,
            faults: Faults::default(),
        })
        .unwrap(),
    ));
    let counting: Box<dyn Transport + Send> = Box::new(Counting {
        inner,
        reviews: reviews.clone(),
    });
    (counting, reviews)
}

fn sign_into(devices: Vec<Box<dyn Transport + Send>>, list: &[Reserve], out: &Path) {
    let c = challenge();
    let mut devices = devices;
    let mut sessions = open_sessions(&mut devices).unwrap();
    let (writer, _) = open_bundle(out, &c, "test custodian").unwrap();
    let summary = sign_all_with(
        &mut sessions,
        list,
        &c,
        writer,
        &Quiet,
        &SignOptions::default(),
    )
    .unwrap();
    assert!(summary.finished);
}

fn schemes(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "entry")
        .map(|v| v["scheme"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn three_cosigners_in_one_run_sign_a_multisig_batch_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&format!(
        "chain,network,address,path,descriptor,amount,fingerprint\n{}",
        multisig_rows(12)
    ));
    let (a, ra) = cosigner(SEEDS[0]);
    let (b, rb) = cosigner(SEEDS[1]);
    let (c, rc) = cosigner(SEEDS[2]);
    sign_into(vec![a, b, c], &list, &out);
    // Each device: one registration and one SIGN_PSBT for all twelve addresses.
    for reviews in [ra, rb, rc] {
        assert_eq!(reviews.load(std::sync::atomic::Ordering::Relaxed), 2);
    }
    assert!(schemes(&out).iter().all(|s| s == "bip322-batch"));
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid(), "{:?}", report.failures.first());
    assert_eq!(report.entries, 12);
}

#[test]
fn cosigners_bundles_merge_into_a_valid_batch_with_300_single_key_rows() {
    let dir = tempfile::tempdir().unwrap();
    let seed0 = SoftwareSigner::speculos_default();
    let fpr = hex::encode(seed0.fingerprint().to_bytes());
    // 300 single-key rows of device A (routed to it by fingerprint) and 20 multisig rows.
    let mut csv = String::from("chain,network,address,path,descriptor,amount,fingerprint\n");
    for line in seed0.mixed_reserves_csv(300).unwrap().lines().skip(1) {
        csv.push_str(&format!("{line},,1,{fpr}\n"));
    }
    csv.push_str(&multisig_rows(20));
    let list = reserves(&csv);

    let mut bundles = Vec::new();
    let mut reviews = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let out = dir.path().join(format!("cosigner-{i}.jsonl"));
        let (device, count) = cosigner(seed);
        sign_into(vec![device], &list, &out);
        reviews.push(count.load(std::sync::atomic::Ordering::Relaxed));
        // A cosigner's share alone does not verify, and `sign` says it needs a merge.
        let partial = porsign::sign::partial_multisig_entries(&out).unwrap();
        assert_eq!(partial.len(), 20, "cosigner {i}");
        assert!(!verify_file(&out, &challenge()).all_valid(), "cosigner {i}");
        bundles.push(out);
    }
    // Device A: 6 batches of single-key rows (3 legacy of 25, one per other type), one
    // registration and one multisig SIGN_PSBT; B and C: a registration and a SIGN_PSBT.
    assert_eq!(reviews, vec![6 + 2, 2, 2]);

    // Any two cosigners complete the 2-of-3 batch.
    let merged = dir.path().join("merged.jsonl");
    let inputs: Vec<&Path> = vec![&bundles[0], &bundles[2]];
    merge_bundles(&inputs, &merged, "2026-11-30T00:00:00Z".into()).unwrap();
    let report = verify_file(&merged, &challenge());
    assert!(report.all_valid(), "{:?}", report.failures.first());
    assert_eq!(report.entries, 320);
    assert!(porsign::sign::partial_multisig_entries(&merged)
        .unwrap()
        .is_empty());

    // All three merge too (the complete proof keeps the first two signatures in key order).
    let all = dir.path().join("all.jsonl");
    let inputs: Vec<&Path> = bundles.iter().map(|p| p.as_path()).collect();
    merge_bundles(&inputs, &all, "2026-11-30T00:00:00Z".into()).unwrap();
    assert!(verify_file(&all, &challenge()).all_valid());
}

#[test]
fn a_merge_of_different_batches_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let header = "chain,network,address,path,descriptor,amount,fingerprint\n";
    let rows = multisig_rows(4);
    let lines: Vec<&str> = rows.lines().collect();
    // Cosigner A batches rows 0-3; cosigner B only rows 0-2: another batch for the same inputs.
    let full = reserves(&format!("{header}{rows}"));
    let short = reserves(&format!("{header}{}\n", lines[..3].join("\n")));
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    sign_into(vec![cosigner(SEEDS[0]).0], &full, &a);
    sign_into(vec![cosigner(SEEDS[1]).0], &short, &b);
    let merged = dir.path().join("m.jsonl");
    let err = merge_bundles(&[&a, &b], &merged, "2026-11-30T00:00:00Z".into()).unwrap_err();
    assert!(err.to_string().contains("different batches"), "{err}");
}
