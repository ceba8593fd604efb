//! Multisig rows with several cosigner devices: every share is re-checked with the verifier's
//! own per-signature rule, and a share approved on one device is never lost when a later
//! cosigner of the same run fails.

use porsign::app::DeviceError;
use porsign::device::TransportError;
use porsign::emulator::keys::SoftwareSigner;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};
use porsign::sign::SignError;

use super::flows::run;

use super::*;

/// Public BIP-39 test mnemonics for the two other cosigners (the demo's).
pub(super) const SEEDS: [&str; 3] = [
    SPECULOS_DEFAULT_MNEMONIC,
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    "legal winner thank year wave sausage worth useful legal winner thank yellow",
];

fn device(seed: &str, faults: Faults) -> Box<dyn Transport + Send> {
    Box::new(InProcessTransport::new(
        Emulator::new(EmulatorConfig {
            app: AppMode::Bitcoin,
            mnemonic: seed.into(),
            approval: Approval::Auto,
            faults,
        })
        .unwrap(),
    ))
}

/// A 2-of-3 `wsh(sortedmulti)` with one key on each of the three seeds, and its address.
pub(super) fn three_seed_multisig() -> (String, String) {
    let keys: Vec<String> = SEEDS
        .iter()
        .map(|seed| {
            let s = SoftwareSigner::from_mnemonic(seed, "").unwrap();
            let xpub = s
                .xpub(
                    &"m/48'/0'/0'/2'".parse().unwrap(),
                    bitcoin::NetworkKind::Main,
                )
                .unwrap();
            format!("[{}/48'/0'/0'/2']{xpub}/0/0", s.fingerprint())
        })
        .collect();
    let d = format!("wsh(sortedmulti(2,{}))", keys.join(","));
    let a =
        porsign::sign::reserves::descriptor_address(&d, porsign::model::Network::Mainnet).unwrap();
    (d, a.to_string())
}

fn multisig_signatures(out: &Path) -> Vec<usize> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["scheme"] == "bip137-multisig")
        .map(|v| v["signatures"].as_array().unwrap().len())
        .collect()
}

#[test]
fn approved_shares_survive_a_later_cosigner_failing() {
    let (d, a) = three_seed_multisig();
    let list = reserves(&format!(
        "chain,network,address,path,descriptor\nbitcoin,mainnet,{a},,\"{d}\"\n"
    ));
    for (fault, expect_rejected) in [
        (
            Faults {
                reject_nth_signature: Some(1),
                ..Faults::default()
            },
            true,
        ),
        (
            // Past opening and registration, into the signature.
            Faults {
                disconnect_after_apdus: Some(12),
                ..Faults::default()
            },
            false,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.jsonl");
        let mut devices = [
            device(SEEDS[0], Faults::default()),
            device(SEEDS[1], Faults::default()),
            device(SEEDS[2], fault),
        ];
        let err = run(&mut devices, &list, &out).unwrap_err();
        match (&err, expect_rejected) {
            (
                SignError::Device {
                    source: DeviceError::Rejected,
                    ..
                },
                true,
            )
            | (
                SignError::Device {
                    source: DeviceError::Transport(TransportError::Disconnected),
                    ..
                },
                false,
            ) => {}
            _ => panic!("unexpected error {err}"),
        }
        assert_eq!(
            multisig_signatures(&out),
            [2],
            "the two approved shares are in the bundle"
        );
        // A rerun has nothing left to sign for the row, and finishes the bundle.
        let s = run(
            &mut [
                device(SEEDS[0], Faults::default()),
                device(SEEDS[1], Faults::default()),
                device(SEEDS[2], Faults::default()),
            ],
            &list,
            &out,
        )
        .unwrap();
        assert!(s.finished);
        assert_eq!((s.signed, s.already_done), (0, 1));
        let report = verify_file(&out, &challenge());
        assert!(report.all_valid(), "{:#?}", report.failures);
    }
}

/// Passes every exchange through, but rewrites the header byte of each 65-byte SIGN_MESSAGE
/// signature from the key range (31/32) to the P2WPKH range (39/40): the same key recovers, but
/// a multisig verifier refuses the header.
struct SegwitHeaders(Box<dyn Transport + Send>);

impl Transport for SegwitHeaders {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut reply = self.0.exchange(apdu)?;
        if reply.len() == 67 && reply.ends_with(&[0x90, 0x00]) {
            if let Some(h @ (31 | 32)) = reply.first_mut() {
                *h += 8;
            }
        }
        Ok(reply)
    }
}

#[test]
fn a_share_the_verifier_would_refuse_is_refused_by_the_host_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let list = reserves(&format!(
        "chain,network,address,path,descriptor\n\
         bitcoin,mainnet,bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej,,\"{}\"\n",
        speculos_multisig_descriptor()
    ));
    let mut devices: [Box<dyn Transport + Send>; 1] =
        [Box::new(SegwitHeaders(auto(AppMode::Bitcoin)))];
    let err = run(&mut devices, &list, &out).unwrap_err();
    assert!(
        matches!(&err, SignError::HostVerify { reason, .. } if reason.contains("header")),
        "{err}"
    );
    assert!(
        multisig_signatures(&out).is_empty(),
        "nothing is written for it"
    );
}
