//! `porsign demo`: the whole custody-to-audit flow on built-in emulated Ledgers, in-process.
//!
//! Three emulated devices (public test seeds) play a custodian's signers: device A holds the
//! single-key reserves (Bitcoin P2PKH, P2SH-P2WPKH, P2WPKH, P2TR and Ethereum) and is one cosigner
//! of a 2-of-3 P2WSH multisig; B and C are the other cosigners. Every step goes through the same
//! APDUs a real Ledger would see.

use std::path::{Path, PathBuf};

use bitcoin::bip32::DerivationPath;
use bitcoin::secp256k1::SECP256K1;
use bitcoin::{Address, CompressedPublicKey, Network};
use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::app::{btc, eth};
use crate::challenge::{Challenge, ChallengeParams};
use crate::device::Transport;
use crate::emulator::keys::SPECULOS_DEFAULT_MNEMONIC;
use crate::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Faults, InProcessTransport};

/// The cosigners' seeds: public BIP-39 test mnemonics, never to hold funds.
const COSIGNER_B: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const COSIGNER_C: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

/// Makes one address type from a key.
type AddressOfKey = fn(&CompressedPublicKey) -> Address;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the demo's files; a fresh sub-folder is made inside it for each run.
    #[arg(long, default_value = "porsign-demo")]
    pub dir: PathBuf,
}

#[derive(Serialize)]
struct DemoDoc {
    dir: String,
    challenge: String,
    reserves: String,
    bundle: String,
    report: String,
    entries: u64,
    valid: u64,
    result: &'static str,
}

fn emulator(mnemonic: &str, app: AppMode) -> Result<Box<dyn Transport + Send>, CliError> {
    let emu = Emulator::new(EmulatorConfig {
        app,
        mnemonic: mnemonic.to_owned(),
        approval: Approval::Auto,
        faults: Faults::default(),
    })
    .map_err(|e| CliError::new(Exit::Internal, &e))?;
    Ok(Box::new(InProcessTransport::new(emu)))
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::msg(Exit::Internal, format!("demo: {e}"))
}

fn path(p: &str) -> DerivationPath {
    p.parse().expect("demo paths are valid literals")
}

fn say(text: &str) {
    super::output::diag(&format!("demo: {text}"));
}

pub fn run(out: &Output, args: DemoArgs) -> Result<Exit, CliError> {
    say("EMULATED DEVICES WITH PUBLIC TEST SEEDS: NOT FOR REAL FUNDS");
    let stamp = crate::sign::now_rfc3339().replace([':', '-'], "");
    let dir = fresh_dir(&args.dir, &stamp)?;

    // The devices' keys, asked of the devices themselves.
    let mut a = emulator(SPECULOS_DEFAULT_MNEMONIC, AppMode::Bitcoin)?;
    let mut b = emulator(COSIGNER_B, AppMode::Bitcoin)?;
    let mut c = emulator(COSIGNER_C, AppMode::Bitcoin)?;
    let fpr_a = btc::master_fingerprint(a.as_mut()).map_err(fail)?;
    let mut cosigner_keys = Vec::new();
    for device in [&mut a, &mut b, &mut c] {
        let fpr = btc::master_fingerprint(device.as_mut()).map_err(fail)?;
        let account = path("m/48'/0'/0'/2'");
        let xpub = btc::xpub(device.as_mut(), &account, false).map_err(fail)?;
        cosigner_keys.push(format!("[{}/48'/0'/0'/2']{xpub}/0/0", hex::encode(fpr)));
    }
    let descriptor = format!("wsh(sortedmulti(2,{}))", cosigner_keys.join(","));
    let multisig_address =
        crate::sign::reserves::descriptor_address(&descriptor, crate::model::Network::Mainnet)
            .map_err(fail)?;

    let mut rows: Vec<String> =
        vec!["chain,network,address,path,descriptor,amount,fingerprint".into()];
    let fpr_hex = hex::encode(fpr_a);
    let kinds: [(&str, AddressOfKey); 4] = [
        ("m/44'/0'/0'/0/", |k| Address::p2pkh(k, Network::Bitcoin)),
        ("m/49'/0'/0'/0/", |k| Address::p2shwpkh(k, Network::Bitcoin)),
        ("m/84'/0'/0'/0/", |k| Address::p2wpkh(k, Network::Bitcoin)),
        ("m/86'/0'/0'/0/", |k| {
            Address::p2tr(SECP256K1, k.0.x_only_public_key().0, None, Network::Bitcoin)
        }),
    ];
    for (prefix, make) in kinds {
        for index in 0..2u32 {
            let p = path(&format!("{prefix}{index}"));
            let key =
                CompressedPublicKey(btc::xpub(a.as_mut(), &p, false).map_err(fail)?.public_key);
            rows.push(format!(
                "bitcoin,mainnet,{},m/{p},,{}.{index}5,{fpr_hex}",
                make(&key),
                index + 1
            ));
        }
    }
    rows.push(format!(
        "bitcoin,mainnet,{multisig_address},,\"{descriptor}\",42.5,"
    ));
    let mut a_eth = emulator(SPECULOS_DEFAULT_MNEMONIC, AppMode::Ethereum)?;
    for index in 0..2u32 {
        let p = path(&format!("m/44'/60'/0'/0/{index}"));
        let reply = eth::address(a_eth.as_mut(), &p, false).map_err(fail)?;
        rows.push(format!(
            "ethereum,mainnet,0x{},m/{p},,{index}.75,{fpr_hex}",
            reply.address
        ));
    }
    let reserves_path = dir.join("reserves.csv");
    write_file(&reserves_path, &(rows.join("\n") + "\n"))?;
    say(&format!(
        "reserves list: {} ({} addresses)",
        reserves_path.display(),
        rows.len() - 1
    ));

    let (year, month, _) = time::OffsetDateTime::now_utc().to_calendar_date();
    let challenge = Challenge::new(ChallengeParams {
        audit: format!("DEMO-{stamp}"),
        period: format!("{year:04}-{:02}", u8::from(month)),
        auditor: Some("porsign demo auditor".into()),
        anchor: None,
    })
    .map_err(|e| CliError::new(Exit::Internal, &e))?;
    let challenge_path = dir.join("challenge.json");
    write_file(&challenge_path, &challenge.to_json())?;
    say(&format!("challenge sha256 {}", challenge.message_sha256()));

    let reserves = crate::sign::reserves::load_csv(&reserves_path)
        .map_err(|e| CliError::new(Exit::Internal, &e))?;
    let custodian = "porsign demo custodian";
    let sign = |devices: &mut [Box<dyn crate::device::Transport + Send>], bundle: &Path| {
        super::sign_cmd::sign_with(
            devices,
            &reserves,
            &challenge,
            bundle,
            custodian,
            &Default::default(),
        )
    };
    // Device A, Bitcoin app: its single-key reserves and its multisig share.
    let bundle_a = dir.join("bundle-device-a.jsonl");
    let s = sign(&mut [a], &bundle_a)?;
    say(&format!(
        "device A (Bitcoin app): signed {}, finished: {}",
        s.signed, s.finished
    ));
    // The operator switches device A to the Ethereum app and runs the same command again.
    let s = sign(&mut [a_eth], &bundle_a)?;
    say(&format!(
        "device A (Ethereum app): signed {}, finished: {}",
        s.signed, s.finished
    ));
    // Cosigners B and C sign their shares of the multisig on their own runs.
    let bundle_b = dir.join("bundle-device-b.jsonl");
    let s = sign(&mut [b], &bundle_b)?;
    say(&format!(
        "device B (cosigner): signed {}, finished: {}",
        s.signed, s.finished
    ));
    let bundle_c = dir.join("bundle-device-c.jsonl");
    let s = sign(&mut [c], &bundle_c)?;
    say(&format!(
        "device C (cosigner): signed {}, finished: {}",
        s.signed, s.finished
    ));

    let bundle = dir.join("bundle.jsonl");
    crate::bundle::merge::merge_bundles(
        &[&bundle_a, &bundle_b, &bundle_c],
        &bundle,
        crate::sign::now_rfc3339(),
    )
    .map_err(|e| CliError::new(Exit::Internal, &e))?;

    // The custodian seals the merged bundle with device A's key: the device shows the seal text
    // (the bundle's digest, entry count and challenge) and signs it, so that a key vouches for
    // the claims (amounts, custodian) and any later edit fails.
    let mut sealer = vec![emulator(SPECULOS_DEFAULT_MNEMONIC, AppMode::Bitcoin)?];
    let mut sessions =
        crate::sign::open_sessions(&mut sealer).map_err(|e| super::sign_cmd::sign_error(&e))?;
    let session = sessions
        .first_mut()
        .ok_or_else(|| fail("no sealing device"))?;
    let seal = crate::sign::seal::seal_bundle(session, &path("m/84'/0'/0'/0/0"), &bundle)
        .map_err(|e| super::sign_cmd::sign_error(&e))?;
    say(&format!(
        "sealed by {} (device A, m/84'/0'/0'/0/0): \"{}\"",
        seal.address, seal.text
    ));

    // The auditor's page is written from this verification.
    let report_path = dir.join("report.html");
    let report = super::report_cmd::quiet_bundle_report(
        &bundle,
        Ok((&challenge, &challenge_path)),
        &report_path,
        super::report_cmd::DEFAULT_MAX_TABLE_ROWS,
    )?;
    let ok = report.all_valid();
    for f in &report.failures {
        out.line(&format!("FAIL line {}: {}", f.line, f.reason));
    }
    for (key, counts) in &report.summary {
        out.line(&format!(
            "{key:<24} {:>3} entries, {:>3} valid",
            counts.entries, counts.valid
        ));
    }
    out.line(&format!(
        "{}: {} entries, {} valid",
        if ok { "VALID" } else { "INVALID" },
        report.entries,
        report.valid
    ));
    out.line(&format!("bundle: {}", bundle.display()));
    out.line(&format!(
        "report: {} (open it in a browser: what an auditor sees)",
        report_path.display()
    ));
    out.line(&format!(
        "verify it yourself: porsign verify {} --challenge {}",
        bundle.display(),
        challenge_path.display()
    ));
    out.document(
        "demo-report",
        &DemoDoc {
            dir: dir.display().to_string(),
            challenge: challenge_path.display().to_string(),
            reserves: reserves_path.display().to_string(),
            bundle: bundle.display().to_string(),
            report: report_path.display().to_string(),
            entries: report.entries,
            valid: report.valid,
            result: if ok { "valid" } else { "invalid" },
        },
    );
    Ok(if ok { Exit::Ok } else { Exit::Invalid })
}

/// A new folder `run-<time>[-n]` inside `parent`: a demo never writes into an earlier run's files.
fn fresh_dir(parent: &Path, stamp: &str) -> Result<PathBuf, CliError> {
    let err = |p: &Path, e: std::io::Error| {
        CliError::msg(Exit::Input, format!("cannot create {}: {e}", p.display()))
    };
    std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
    for n in 0..1000 {
        let name = if n == 0 {
            format!("run-{stamp}")
        } else {
            format!("run-{stamp}-{n}")
        };
        let dir = parent.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(&dir, e)),
        }
    }
    Err(CliError::msg(
        Exit::Input,
        format!("too many demo runs in {}", parent.display()),
    ))
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .map_err(|e| CliError::msg(Exit::Input, format!("cannot write {}: {e}", path.display())))
}
