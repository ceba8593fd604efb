//! `porsign sign` end to end on the built-in emulator: every address type signs and verifies,
//! faults give their errors, and interrupted runs resume without signing anything twice.
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

/// Rows the apps cannot sign are refused with the list, before any device traffic.
mod app_rules;
mod batch;
mod batch_multisig;
mod cli;
/// Several cosigner devices in one run; each share re-checked like the verifier does.
mod cosigners;
mod flows;
/// The operator's messages, word for word.
mod messages;
mod soak;

use std::path::Path;

use porsign::bundle::{verify_bundle, Report, VerifyOptions};
use porsign::challenge::{Challenge, ChallengeParams};
use porsign::device::Transport;
use porsign::emulator::keys::SPECULOS_DEFAULT_MNEMONIC;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};
use porsign::sign::reserves::parse_csv;
use porsign::sign::Reserve;

/// The Speculos default seed's 2-of-3 `wsh(sortedmulti)` of three accounts, from the recorded
/// REGISTER_WALLET transcript, at index 0/0 (address bc1q5uaa...).
pub fn speculos_multisig_descriptor() -> String {
    let text = std::fs::read_to_string(crate::util::fixture(
        "speculos/btc-register-wsh-sortedmulti-2of3.json",
    ))
    .unwrap();
    let t: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<String> = t["result"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| format!("{}/0/0", k.as_str().unwrap()))
        .collect();
    format!("wsh(sortedmulti(2,{}))", keys.join(","))
}

/// Every address kind of the Speculos default seed (addresses from the recorded transcripts).
pub fn mixed_reserves_csv() -> String {
    format!(
        "chain,network,address,path,descriptor,amount\n\
         bitcoin,mainnet,1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB,m/44'/0'/0'/0/0,,1\n\
         bitcoin,mainnet,31mceY4tx8cr75vQLLFcK1Gp2VkGdyZfZy,m/49'/0'/0'/0/0,,2\n\
         bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0,,3\n\
         bitcoin,mainnet,bc1psuhflkktuk89nj67rflwcnf0j33269kd0jnvvcpgusdxsspk9ceswgu99p,m/86'/0'/0'/0/0,,4\n\
         bitcoin,mainnet,bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej,,\"{}\",5\n\
         ethereum,mainnet,0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D,m/44'/60'/0'/0/0,,6\n",
        speculos_multisig_descriptor()
    )
}

pub fn reserves(csv: &str) -> Vec<Reserve> {
    parse_csv(csv.as_bytes()).unwrap()
}

pub fn challenge() -> Challenge {
    Challenge::from_parts(
        ChallengeParams {
            audit: "TEST-1".into(),
            period: "2026-11".into(),
            auditor: Some("Test Auditor".into()),
            anchor: None,
        },
        &[9u8; 32],
        "2026-11-01T00:00:00Z".into(),
    )
    .unwrap()
}

pub fn emulator(app: AppMode, approval: Approval, faults: Faults) -> Box<dyn Transport + Send> {
    Box::new(InProcessTransport::new(
        Emulator::new(EmulatorConfig {
            app,
            mnemonic: SPECULOS_DEFAULT_MNEMONIC.into(),
            approval,
            faults,
        })
        .unwrap(),
    ))
}

pub fn auto(app: AppMode) -> Box<dyn Transport + Send> {
    emulator(app, Approval::Auto, Faults::default())
}

pub fn verify_file(path: &Path, challenge: &Challenge) -> Report {
    let file = std::fs::File::open(path).unwrap();
    verify_bundle(
        std::io::BufReader::new(file),
        &VerifyOptions::new(challenge.message.clone()),
    )
    .unwrap()
}

/// The addresses in a bundle, in order (to check that none appears twice).
pub fn bundle_addresses(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "entry")
        .map(|v| v["address"].as_str().unwrap().to_owned())
        .collect()
}
