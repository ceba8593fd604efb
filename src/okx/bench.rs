//! `porsign bench verify`: a realistic OKX-style file from fixed seeds, verified by the same
//! code as `porsign verify`, measured against the secp256k1 work it cannot avoid.
//!
//! The mix follows the real files (research notes §6): BTC 2-of-3 multisig (P2WSH and P2SH),
//! single-key BTC (P2PKH, P2WPKH), EVM chains and TRON. Rows draw their coins and amounts from
//! a seeded SplitMix64 sequence, so the file is the same on every run. Every address is listed
//! once, as in a real file (the verifier fails a repeated coin and address): single-key rows
//! and each multisig's third (non-signing) cosigner get a key of their own, derived from the
//! seed and the row number; the two multisig signers come from a fixed pool of seeded keys
//! (ChaCha20, one stream per key), whose signatures are made once. Every signature in the file
//! is a real signature that the verifier recovers in full: nothing is cached across rows.
//!
//! The bound: (secp256k1 recoveries the mix needs) x (time of one recovery, measured in the
//! same run on one core) / cores. A verifier within 1.3x of it spends little besides the curve
//! arithmetic.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use bitcoin::hashes::Hash;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};

use super::address;
use crate::scheme::okx as rules;
use crate::scheme::signed_message::BITCOIN_HEADER;

/// The message of the generated file (OKX's fixed public message).
pub const BENCH_MESSAGE: &str = "I am an OKX address";

/// Share of each row kind, in per-mille, after research notes §6 (27k BTC 2-of-3, 51k EVM,
/// 21k TRC20 of 99k real rows) plus single-key BTC.
const MULTISIG_PERMILLE: u64 = 270;
const BTC_SINGLE_PERMILLE: u64 = 50;
const EVM_PERMILLE: u64 = 470;

/// secp256k1 recoveries per row kind.
const OPS_MULTISIG: u64 = 2;
const OPS_SINGLE: u64 = 1;

/// Counts of the generated rows.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Mix {
    pub btc_multisig: u64,
    pub btc_single: u64,
    pub evm: u64,
    pub tron: u64,
}

impl Mix {
    /// secp256k1 public-key recoveries a verifier must do for this mix.
    pub fn secp_ops(&self) -> u64 {
        self.btc_multisig * OPS_MULTISIG + (self.btc_single + self.evm + self.tron) * OPS_SINGLE
    }
}

/// A pool key (a multisig signer) with its BIP-137 signature of [`BENCH_MESSAGE`].
struct PoolKey {
    pubkey: PublicKey,
    bip137: String,
}

fn sign(sk: &SecretKey, digest: [u8; 32]) -> (u8, [u8; 64]) {
    let sig = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(digest), sk);
    let (recid, rs) = sig.serialize_compact();
    (u8::try_from(recid.to_i32()).unwrap_or(0), rs)
}

fn rsv_hex(recid: u8, rs: &[u8; 64]) -> String {
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(rs);
    out[64] = 27 + recid;
    format!("0x{}", hex::encode(out))
}

fn pool(seed: u64, size: usize) -> Vec<PoolKey> {
    let btc = rules::utxo_message_hash(BITCOIN_HEADER, BENCH_MESSAGE.as_bytes());
    (0..size)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            rng.set_stream(i as u64);
            let sk = SecretKey::new(&mut rng);
            PoolKey {
                pubkey: sk.public_key(SECP256K1),
                bip137: bip137(&sk, btc),
            }
        })
        .collect()
}

/// SplitMix64: the row plan's cheap, seeded sequence.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Copy)]
enum Kind {
    Multisig { p2sh: bool },
    BtcSingle { p2pkh: bool },
    Evm(&'static str),
    Tron(&'static str),
}

/// What row `i` is: kind, coin, amount in base units, and its pool keys.
struct Plan {
    kind: Kind,
    units: u64,
    keys: [usize; 3],
}

const EVM_COINS: [&str; 4] = ["ETH", "ETH-ARBITRUM", "ETH-OPTIMISM", "USDT-ERC20"];
const TRON_COINS: [&str; 2] = ["USDT-TRC20", "TRX"];

fn plan(seed: u64, i: u64, pool: usize) -> Plan {
    let r = |k: u64| splitmix(seed ^ splitmix(i.wrapping_mul(8).wrapping_add(k)));
    let pick = r(0) % 1000;
    let kind = if pick < MULTISIG_PERMILLE {
        Kind::Multisig {
            p2sh: r(1) % 2 == 0,
        }
    } else if pick < MULTISIG_PERMILLE + BTC_SINGLE_PERMILLE {
        Kind::BtcSingle {
            p2pkh: r(1) % 2 == 0,
        }
    } else if pick < MULTISIG_PERMILLE + BTC_SINGLE_PERMILLE + EVM_PERMILLE {
        Kind::Evm(EVM_COINS.get((r(1) % 4) as usize).copied().unwrap_or("ETH"))
    } else {
        Kind::Tron(
            TRON_COINS
                .get((r(1) % 2) as usize)
                .copied()
                .unwrap_or("TRX"),
        )
    };
    let n = pool.max(3) as u64;
    let a = (r(2) % n) as usize;
    let b = ((a as u64 + 1 + r(3) % (n - 1)) % n) as usize;
    let mut c = (r(4) % n) as usize;
    while c == a || c == b {
        c = (c + 1) % n as usize;
    }
    Plan {
        kind,
        units: r(5) % 5_000_000_000,
        keys: [a, b, c],
    }
}

/// Decimals of a generated coin.
fn decimals(coin: &str) -> u32 {
    match coin {
        "BTC" => 8,
        "USDT-ERC20" | "USDT-TRC20" | "TRX" => 6,
        _ => 18,
    }
}

fn coin_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Multisig { .. } | Kind::BtcSingle { .. } => "BTC",
        Kind::Evm(c) | Kind::Tron(c) => c,
    }
}

fn decimal(units: u64, decimals: u32) -> String {
    let unit = 10u128.pow(decimals);
    let v = u128::from(units);
    format!(
        "{}.{:0width$}",
        v / unit,
        v % unit,
        width = decimals as usize
    )
}

fn multisig_script(keys: [&PublicKey; 3]) -> Vec<u8> {
    let mut s = Vec::with_capacity(105);
    s.push(0x52);
    for k in keys {
        s.push(33);
        s.extend_from_slice(&k.serialize());
    }
    s.push(0x53);
    s.push(0xae);
    s
}

/// The key of row `i` alone: SHA-256 of the seed and the row number (rehashed in the
/// negligible case that it is not a valid secret key).
fn row_key(seed: u64, i: u64) -> SecretKey {
    let mut h = bitcoin::hashes::sha256::Hash::hash(
        &[
            b"porsign bench row".as_slice(),
            &seed.to_be_bytes(),
            &i.to_be_bytes(),
        ]
        .concat(),
    );
    loop {
        if let Ok(sk) = SecretKey::from_slice(h.as_byte_array()) {
            return sk;
        }
        h = bitcoin::hashes::sha256::Hash::hash(h.as_byte_array());
    }
}

/// Signs `digest` with `sk` in BIP-137 base64 form (compressed P2PKH header).
fn bip137(sk: &SecretKey, digest: [u8; 32]) -> String {
    use base64::Engine as _;
    let (recid, rs) = sign(sk, digest);
    let mut compact = [0u8; 65];
    compact[0] = 31 + recid;
    compact[1..].copy_from_slice(&rs);
    base64::engine::general_purpose::STANDARD.encode(compact)
}

fn row_text(seed: u64, i: u64, plan: &Plan, pool: &[PoolKey]) -> String {
    let [a, b, _] = plan.keys;
    let (ka, kb) = match (pool.get(a), pool.get(b)) {
        (Some(x), Some(y)) => (x, y),
        _ => return String::new(),
    };
    let own = row_key(seed, i);
    let own_pub = own.public_key(SECP256K1);
    let m = BENCH_MESSAGE.as_bytes();
    let coin = coin_of(plan.kind);
    let amount = decimal(plan.units, decimals(coin));
    let net = bitcoin::Network::Bitcoin;
    let (network, address, sig1, sig2, script) = match plan.kind {
        Kind::Multisig { p2sh } => {
            // The row's own key is the third (non-signing) cosigner: the script, and so the
            // address, is the row's alone.
            let script = multisig_script([&ka.pubkey, &kb.pubkey, &own_pub]);
            let sb = bitcoin::ScriptBuf::from_bytes(script.clone());
            let address = if p2sh {
                bitcoin::Address::p2sh(&sb, net)
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            } else {
                bitcoin::Address::p2wsh(&sb, net).to_string()
            };
            // Two of the three cosigners sign; the file lists them in key order.
            (
                "BTC",
                address,
                ka.bip137.clone(),
                kb.bip137.as_str(),
                hex::encode(script),
            )
        }
        Kind::BtcSingle { p2pkh } => {
            let ck = bitcoin::CompressedPublicKey(own_pub);
            let address = if p2pkh {
                bitcoin::Address::p2pkh(ck, net).to_string()
            } else {
                bitcoin::Address::p2wpkh(&ck, net).to_string()
            };
            let sig = bip137(&own, rules::utxo_message_hash(BITCOIN_HEADER, m));
            ("BTC", address, sig, "", String::new())
        }
        Kind::Evm(_) => {
            let address = format!("0x{}", hex::encode(address::eth_account(&own_pub)));
            let (r, rs) = sign(&own, rules::evm_message_hash(m));
            ("ETH", address, rsv_hex(r, &rs), "", String::new())
        }
        Kind::Tron(_) => {
            let address = address::tron_address(&address::eth_account(&own_pub));
            let (r, rs) = sign(&own, rules::tron_v1_hash(m));
            ("TRX", address, rsv_hex(r, &rs), "", String::new())
        }
    };
    format!("{coin},{network},840000,{address},{amount},{BENCH_MESSAGE},{sig1},{sig2},{script},,\n")
}

/// What generation produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Generated {
    pub rows: u64,
    pub bytes: u64,
    pub pool_keys: usize,
    pub mix: Mix,
    pub seconds: f64,
}

/// Writes a `rows`-row OKX file (11-column layout, with a matching summary block) to `path`.
pub fn generate(path: &Path, rows: u64, seed: u64) -> std::io::Result<Generated> {
    let start = Instant::now();
    let pool_size = usize::try_from(rows.clamp(3, 16_384)).unwrap_or(16_384);
    let keys = pool(seed, pool_size);
    // First pass: the plan only (cheap), for the mix and the summary block.
    let mut mix = Mix::default();
    let mut sums: std::collections::BTreeMap<&'static str, u128> = Default::default();
    for i in 0..rows {
        let p = plan(seed, i, pool_size);
        match p.kind {
            Kind::Multisig { .. } => mix.btc_multisig += 1,
            Kind::BtcSingle { .. } => mix.btc_single += 1,
            Kind::Evm(_) => mix.evm += 1,
            Kind::Tron(_) => mix.tron += 1,
        }
        *sums.entry(coin_of(p.kind)).or_default() += u128::from(p.units);
    }
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "coin,snapshot height,amount")?;
    for (coin, units) in &sums {
        let unit = 10u128.pow(decimals(coin));
        writeln!(
            out,
            "{coin},840000,{}.{:0width$}",
            units / unit,
            units % unit,
            width = decimals(coin) as usize
        )?;
    }
    writeln!(out)?;
    writeln!(out, "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2")?;
    const CHUNK: u64 = 4096;
    let mut first = 0u64;
    while first < rows {
        let last = (first + CHUNK).min(rows);
        let texts: Vec<String> = (first..last)
            .into_par_iter()
            .map(|i| row_text(seed, i, &plan(seed, i, pool_size), &keys))
            .collect();
        for t in texts {
            out.write_all(t.as_bytes())?;
        }
        first = last;
    }
    out.flush()?;
    let bytes = out.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Generated {
        rows,
        bytes,
        pool_keys: pool_size,
        mix,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Nanoseconds of one secp256k1 public-key recovery (the `secp256k1` crate, global context),
/// on one core: the best of three timed runs of `iterations`.
pub fn recover_ns(iterations: u32) -> f64 {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let sk = SecretKey::new(&mut rng);
    let digest = bitcoin::hashes::sha256::Hash::hash(b"porsign bench").to_byte_array();
    let msg = Message::from_digest(digest);
    let sig = SECP256K1.sign_ecdsa_recoverable(&msg, &sk);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for _ in 0..iterations {
            let key =
                SECP256K1.recover_ecdsa(std::hint::black_box(&msg), std::hint::black_box(&sig));
            std::hint::black_box(key.ok());
        }
        let per = start.elapsed().as_secs_f64() * 1e9 / f64::from(iterations.max(1));
        best = best.min(per);
    }
    best
}

/// Peak resident set size of this process in KiB (VmHWM), where /proc has it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the peak-RSS counter (Linux: writing 5 to /proc/self/clear_refs), so the peak of
/// the verification alone can be read. False where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
