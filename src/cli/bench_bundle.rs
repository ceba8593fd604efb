//! `porsign bench bundle`: generate a bundle of single-key signatures (BIP-137 P2WPKH and
//! EIP-191, as a custodian's monthly bundle mostly is) and time the bundle verifier on it against
//! the secp256k1 bound (one key recovery per entry / cores).

use std::time::Instant;

use bitcoin::base64::Engine;
use bitcoin::bip32::DerivationPath;
use bitcoin::hashes::Hash as _;
use rayon::prelude::*;
use serde::Serialize;

use super::bench_cmd::BenchBundleArgs;
use super::output::Output;
use super::{CliError, Exit};
use crate::bundle::{verify_bundle, BundleWriter, Entry, Header, Scheme, VerifyOptions};
use crate::emulator::keys::SoftwareSigner;
use crate::model::{Chain, Network};
use crate::okx::bench::{peak_rss_kib, recover_ns, reset_peak_rss};

/// The challenge every generated entry signs.
pub const MESSAGE: &str = "porsign bench challenge";

#[derive(Serialize)]
struct BenchBundleDoc {
    entries: u64,
    cores: usize,
    bytes: u64,
    generate_seconds: f64,
    recover_ns: f64,
    bound_seconds: f64,
    verify_seconds: f64,
    entries_per_second: f64,
    ratio_to_bound: f64,
    peak_rss_verify_kib: Option<u64>,
    all_valid: bool,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::msg(Exit::Internal, format!("bench: {e}"))
}

/// One entry: even indexes a P2WPKH BIP-137 proof, odd ones an Ethereum personal_sign.
fn entry(signer: &SoftwareSigner, i: u32) -> Result<Entry, CliError> {
    let b64 = |b: &[u8]| bitcoin::base64::engine::general_purpose::STANDARD.encode(b);
    let (chain, path, address, signature) = if i % 2 == 0 {
        let p: DerivationPath = format!("m/84'/0'/0'/0/{}", i / 2).parse().map_err(fail)?;
        let address = signer
            .address_at(&p, bitcoin::Network::Bitcoin)
            .map_err(fail)?;
        let sig = signer
            .sign_bitcoin_message(&p, MESSAGE.as_bytes())
            .map_err(fail)?;
        (Chain::Bitcoin, p, address.to_string(), b64(&sig))
    } else {
        let p: DerivationPath = format!("m/44'/60'/0'/0/{}", i / 2).parse().map_err(fail)?;
        let key = signer.public_key(&p).map_err(fail)?;
        let address = crate::scheme::EthAddress::from_public_key(&key);
        let vrs = signer
            .sign_eth_personal(&p, MESSAGE.as_bytes())
            .map_err(fail)?;
        let (v, rs) = vrs.split_at(1);
        (
            Chain::Ethereum,
            p,
            address.to_string(),
            format!("0x{}{}", hex::encode(rs), hex::encode(v)),
        )
    };
    Ok(Entry {
        index: 0,
        chain,
        network: Network::Mainnet.into(),
        address,
        scheme: if chain == Chain::Bitcoin {
            Scheme::Bip137
        } else {
            Scheme::Eip191
        }
        .into(),
        signatures: vec![signature],
        pubkey: None,
        script: None,
        descriptor: None,
        path: Some(format!("m/{path}")),
        fingerprint: None,
        amount: Some("1.5".into()),
        batch: None,
        input: None,
    })
}

/// Writes a bundle of `entries` generated proofs over [`MESSAGE`] to `path` (P2WPKH BIP-137 and
/// EIP-191 in turn, each claiming 1.5), as `porsign bench bundle` and `bench report` use.
pub fn write_bundle(path: &std::path::Path, entries: u32) -> Result<(), CliError> {
    let signer = SoftwareSigner::speculos_default();
    let mut writer = BundleWriter::create_bulk(path, &bench_header()).map_err(fail)?;
    for chunk_start in (0..entries).step_by(4096) {
        let chunk_end = chunk_start.saturating_add(4096).min(entries);
        let chunk: Vec<Entry> = (chunk_start..chunk_end)
            .into_par_iter()
            .map(|i| entry(&signer, i))
            .collect::<Result<_, _>>()?;
        for e in chunk {
            writer.append(e).map_err(fail)?;
        }
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

/// Addresses per generated batch: the default P2WPKH batch `sign` makes.
const BENCH_BATCH: u32 = 500;

/// One batch proof of the P2WPKH addresses `m/84'/0'/0'/0/first..end`, signed in software over
/// rust-bitcoin's BIP-143 sighash (not porsign's signer), as entries in input order.
fn batch_entries(signer: &SoftwareSigner, first: u32, end: u32) -> Result<Vec<Entry>, CliError> {
    use crate::scheme::bip322::batch;
    let paths: Vec<DerivationPath> = (first..end)
        .map(|i| format!("m/84'/0'/0'/0/{i}").parse().map_err(fail))
        .collect::<Result<_, _>>()?;
    let keys: Vec<bitcoin::CompressedPublicKey> = paths
        .iter()
        .map(|p| {
            signer
                .public_key(p)
                .map(bitcoin::CompressedPublicKey)
                .map_err(fail)
        })
        .collect::<Result<_, _>>()?;
    let spks: Vec<bitcoin::ScriptBuf> = keys
        .iter()
        .map(|k| bitcoin::ScriptBuf::new_p2wpkh(&k.wpubkey_hash()))
        .collect();
    let (tx, _) = batch::to_sign(MESSAGE.as_bytes(), &spks);
    let id = tx.compute_txid().to_string();
    let proofs: Vec<String> = (0..paths.len())
        .into_par_iter()
        .map(|i| {
            let (Some(path), Some(key), Some(spk)) = (paths.get(i), keys.get(i), spks.get(i))
            else {
                return Err(fail("input out of range"));
            };
            let digest = bitcoin::sighash::SighashCache::new(&tx)
                .p2wpkh_signature_hash(
                    i,
                    spk,
                    bitcoin::Amount::ZERO,
                    bitcoin::EcdsaSighashType::All,
                )
                .map_err(fail)?;
            let sig = signer
                .sign_ecdsa(path, &digest.to_byte_array())
                .map_err(fail)?;
            let mut der = sig.serialize_der().to_vec();
            der.push(0x01);
            let witness = bitcoin::Witness::from_slice(&[der, key.to_bytes().to_vec()]);
            Ok(batch::encode_input(&bitcoin::ScriptBuf::new(), &witness))
        })
        .collect::<Result<_, _>>()?;
    Ok(keys
        .iter()
        .zip(proofs)
        .zip(&paths)
        .enumerate()
        .map(|(i, ((key, proof), path))| {
            let address = bitcoin::Address::p2wpkh(key, bitcoin::Network::Bitcoin);
            let mut e = Entry::new(
                Chain::Bitcoin,
                Network::Mainnet,
                address.to_string(),
                Scheme::Bip322Batch,
                vec![proof],
            );
            e.batch = Some(id.clone());
            e.input = u32::try_from(i).ok();
            e.path = Some(format!("m/{path}"));
            e.amount = Some("1.5".into());
            e
        })
        .collect())
}

/// Writes a bundle of `entries` P2WPKH batch proofs over [`MESSAGE`] (batches of 500).
fn write_batched_bundle(path: &std::path::Path, entries: u32) -> Result<(), CliError> {
    let signer = SoftwareSigner::speculos_default();
    let mut writer = BundleWriter::create_bulk(path, &bench_header()).map_err(fail)?;
    for first in (0..entries).step_by(BENCH_BATCH as usize) {
        let end = first.saturating_add(BENCH_BATCH).min(entries);
        writer
            .append_batch(batch_entries(&signer, first, end)?)
            .map_err(fail)?;
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

fn bench_header() -> Header {
    Header {
        format: crate::bundle::BUNDLE_FORMAT.into(),
        version: crate::bundle::BUNDLE_VERSION,
        challenge: MESSAGE.into(),
        challenge_sha256: crate::bundle::verify::sha256_hex(MESSAGE),
        custodian: "bench".into(),
        created_at: "2026-11-01T00:00:00Z".into(),
        tool: format!("porsign {}", env!("CARGO_PKG_VERSION")),
    }
}

pub fn run(out: &Output, args: BenchBundleArgs) -> Result<Exit, CliError> {
    let path =
        std::env::temp_dir().join(format!("porsign-bench-bundle-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let start = Instant::now();
    if args.batched {
        write_batched_bundle(&path, args.entries)?;
    } else {
        write_bundle(&path, args.entries)?;
    }
    let generate_seconds = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    let recover = recover_ns(3000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let reset = reset_peak_rss();
    let file = std::fs::File::open(&path).map_err(fail)?;
    let start = Instant::now();
    let report = verify_bundle(
        std::io::BufReader::with_capacity(1 << 20, file),
        &VerifyOptions::new(MESSAGE),
    );
    let verify_seconds = start.elapsed().as_secs_f64();
    let peak = if reset { peak_rss_kib() } else { None };
    let _ = std::fs::remove_file(&path);
    let report = report.map_err(fail)?;
    let n = u64::from(args.entries);
    let bound_seconds = n as f64 * recover * 1e-9 / cores as f64;
    let doc = BenchBundleDoc {
        entries: n,
        cores,
        bytes,
        generate_seconds,
        recover_ns: recover,
        bound_seconds,
        verify_seconds,
        entries_per_second: n as f64 / verify_seconds.max(1e-12),
        ratio_to_bound: verify_seconds / bound_seconds.max(1e-12),
        peak_rss_verify_kib: peak,
        all_valid: report.all_valid(),
    };
    out.line(&format!(
        "bundle: {n} entries ({}), {:.1} MiB, generated in {generate_seconds:.1} s",
        if args.batched {
            "P2WPKH bip322-batch, batches of 500"
        } else {
            "P2WPKH BIP-137 and EIP-191"
        },
        bytes as f64 / 1048576.0
    ));
    out.line(&format!(
        "bound: {n} recoveries x {:.1} us / {cores} cores = {bound_seconds:.2} s",
        recover / 1000.0
    ));
    out.line(&format!(
        "verify: {verify_seconds:.2} s = {:.0} entries/s; ratio to bound {:.2}x; peak RSS {}",
        doc.entries_per_second,
        doc.ratio_to_bound,
        peak.map_or("unknown".into(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        ))
    ));
    out.line(&format!(
        "result: {}",
        if doc.all_valid { "VALID" } else { "INVALID" }
    ));
    out.document("bench-bundle-report", &doc);
    Ok(if doc.all_valid {
        Exit::Ok
    } else {
        Exit::Invalid
    })
}
