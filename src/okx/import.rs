//! `porsign import okx`: converts the OKX rows that bundle v1's schemes can carry into a
//! bundle, so the same file can be checked by `porsign verify` as a bundle.
//!
//! Carried: Bitcoin (`BTC`) single-key rows with base64 signatures (`bip137`), Bitcoin 2-of-3
//! style multisig rows (`bip137-multisig` with the script), and EVM rows signed by the address
//! itself (`eip191-keccak`). Everything else is counted as skipped with its reason: bundle v1
//! has no scheme for it (other chains, OKX's hex form of UTXO signatures). Rows are copied,
//! not verified: `porsign verify` on the bundle judges them.
//!
//! The verifier's rules apply where a bundle could hide what they catch:
//! - a repeated (coin, address) is imported once; the repeat is skipped and reported with the
//!   line it repeats (`identity`, the verifier's key);
//! - owner-attested rows (eoa1/eoa2: contracts, staking validators) are never imported. A
//!   bundle entry states that the key of its `address` signed the challenge; the owner's
//!   signature proves the owner's key, not the contract's or validator's address, and an entry
//!   for the owner's own address would carry an amount that address does not hold;
//! - rows that a status column leaves out (auditor layout: anything but status 5) are not
//!   imported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::amount::Amount;
use super::coins::{self, EvmAddress, Family};
use super::csv::{Cells, LayoutKind, LineReader};
use super::driver::read_preamble;
use super::outcome::{column_count_ok, row_input, row_key};
use super::utxo::{self, UtxoAddress};
use super::OkxError;
use crate::bundle::model::{Entry, Header, Scheme};
use crate::bundle::{BundleError, BundleWriter, BUNDLE_FORMAT, BUNDLE_VERSION};
use crate::lines::FileError;
use crate::model::{duplicate_key, Chain, Network};

/// Import settings.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Who holds the reserves (the bundle header's `custodian`).
    pub custodian: String,
    /// The challenge of the bundle; rows signed over another message are skipped. Default: the
    /// first row's message.
    pub message: Option<String>,
}

/// What an import did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub imported: u64,
    pub skipped: u64,
    /// Skipped rows by reason.
    pub skipped_by_reason: BTreeMap<String, u64>,
    pub challenge: String,
    /// Rows skipped because they repeat an earlier row's (coin, address) (the first
    /// [`MAX_LISTED`]).
    pub duplicate_rows: Vec<DuplicateRow>,
}

/// A row that repeats an earlier row's (coin, address).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct DuplicateRow {
    pub line: u64,
    pub first_line: u64,
}

/// How many duplicate rows the report lists (all are counted).
pub const MAX_LISTED: usize = 1000;

/// Why a row has no bundle form (None: it has one).
fn bundle_form(
    layout_kind: LayoutKind,
    cells: &Cells<'_>,
    layout: &super::csv::Layout,
) -> Result<Entry, &'static str> {
    let row = row_input(layout, cells);
    let sig1 = row.sig1.ok_or("no signature1")?;
    let coin = row.coin.to_ascii_uppercase();
    let amount_text = layout.amount.map(|c| cells.get(c).trim());
    let amount = |decimals: u32| -> Option<String> {
        let text = amount_text?;
        let a = if layout_kind == LayoutKind::Detail7 && !text.contains('.') {
            Amount::parse_base_units(text, decimals)?
        } else {
            Amount::parse_decimal(text)?.0
        };
        Some(a.to_string())
    };
    match coins::lookup(&coin) {
        Some(Family::Utxo(params)) if coin == "BTC" && std::ptr::eq(params, &utxo::BTC) => {
            if row.eoa1.is_some() || row.eoa2.is_some() {
                return Err("utxo row with owner columns");
            }
            if sig1.starts_with("0x") || row.sig2.is_some_and(|s| s.starts_with("0x")) {
                return Err("okx's hex form of utxo signatures has no bundle scheme");
            }
            let decoded =
                utxo::decode_address(params, row.address).map_err(|_| "address does not decode")?;
            let multisig = matches!(decoded, UtxoAddress::P2sh(_) | UtxoAddress::P2wsh(_))
                && row.script.is_some_and(|s| s.len() > 130);
            let (scheme, signatures, script) = if multisig {
                let mut sigs = vec![sig1.to_owned()];
                sigs.extend(row.sig2.map(str::to_owned));
                (Scheme::Bip137Multisig, sigs, row.script.map(str::to_owned))
            } else {
                if row.sig2.is_some() || row.script.is_some() {
                    return Err("single-key utxo row with extra columns");
                }
                (Scheme::Bip137, vec![sig1.to_owned()], None)
            };
            Ok(entry(
                Chain::Bitcoin,
                row.address,
                scheme,
                signatures,
                script,
                amount(8),
            ))
        }
        Some(Family::Utxo(_)) => Err("utxo chain other than bitcoin"),
        Some(Family::Evm(EvmAddress::Hex)) => {
            if row.eoa1.is_some() || row.eoa2.is_some() {
                return Err("owner-attested row (eoa1/eoa2): a bundle entry would claim the listed address's own key signed, which the row does not show");
            }
            if row.sig2.is_some() || row.script.is_some() {
                return Err("evm row with extra columns");
            }
            let amount = if coin == "ETH" { amount(18) } else { None };
            Ok(entry(
                Chain::Ethereum,
                row.address,
                Scheme::Eip191Keccak,
                vec![sig1.to_owned()],
                None,
                amount,
            ))
        }
        Some(Family::Evm(_)) => Err("evm address form other than 0x"),
        Some(Family::Tron) => Err("tron has no bundle scheme"),
        Some(Family::OkxEcdsa(_)) => Err("okx ecdsa chains have no bundle scheme"),
        Some(Family::Ed25519(_)) => Err("ed25519 chains have no bundle scheme"),
        Some(Family::Eos) => Err("eos has no bundle scheme"),
        Some(Family::Unsupported(_)) => Err("coin not supported by porsign"),
        None => Err("unknown coin"),
    }
}

fn entry(
    chain: Chain,
    address: &str,
    scheme: Scheme,
    signatures: Vec<String>,
    script: Option<String>,
    amount: Option<String>,
) -> Entry {
    let mut entry = Entry::new(chain, Network::Mainnet, address, scheme, signatures);
    entry.script = script;
    entry.amount = amount;
    entry
}

/// Converts an OKX file into a new bundle at `output` (refuses to overwrite).
pub fn import_okx<R: BufRead>(
    input: R,
    output: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, OkxError> {
    let mut reader = LineReader::new(input);
    let preamble = read_preamble(&mut reader)?;
    let layout = preamble.layout;
    let shown = output.display().to_string();
    // The bundle writer owns the format (lines, digest, footer); its errors become this
    // command's, naming the output file.
    let bundle_err = |e: BundleError| match e {
        BundleError::Exists { .. } => OkxError::Exists {
            path: shown.clone(),
        },
        other => OkxError::File(FileError::Write {
            path: shown.clone(),
            source: std::io::Error::other(other.to_string()),
        }),
    };
    let mut report = ImportReport::default();
    let mut out: Option<BundleWriter> = None;
    // The first line of every (coin, address); the bundle addresses imported.
    let mut rows_seen: HashMap<[u8; 16], u64> = HashMap::new();
    let mut imported: HashSet<[u8; 16]> = HashSet::new();
    let mut buf = Vec::new();
    let skip = |report: &mut ImportReport, reason: &str| {
        report.skipped += 1;
        *report
            .skipped_by_reason
            .entry(reason.to_owned())
            .or_default() += 1;
    };
    loop {
        buf.clear();
        let Some(n) = reader.read_into(&mut buf)? else {
            break;
        };
        let line = std::str::from_utf8(&buf).map_err(|_| FileError::NotUtf8 { line: n })?;
        if line.trim().is_empty() {
            continue;
        }
        report.rows += 1;
        let cells = Cells::split(line);
        if !column_count_ok(&layout, &cells) {
            skip(&mut report, "wrong number of columns");
            continue;
        }
        if let Some(first_line) = first_seen(&mut rows_seen, row_key(&layout, &cells), n) {
            skip(
                &mut report,
                "(coin, address) listed twice: the repeat is not imported",
            );
            if report.duplicate_rows.len() < MAX_LISTED {
                report.duplicate_rows.push(DuplicateRow {
                    line: n,
                    first_line,
                });
            }
            continue;
        }
        if let Some(col) = layout.status {
            if cells.get(col).trim() != "5" {
                skip(&mut report, "left out by its status (only status 5 counts)");
                continue;
            }
        }
        let message = cells.get(layout.message);
        let challenge = opts.message.clone().unwrap_or_else(|| {
            if report.challenge.is_empty() {
                message.to_owned()
            } else {
                report.challenge.clone()
            }
        });
        if report.challenge.is_empty() {
            report.challenge = challenge.clone();
        }
        if message != report.challenge {
            skip(
                &mut report,
                "signed another message than the bundle's challenge",
            );
            continue;
        }
        let entry = match bundle_form(layout.kind, &cells, &layout) {
            Ok(e) => e,
            Err(reason) => {
                skip(&mut report, reason);
                continue;
            }
        };
        let key = duplicate_key(entry.chain, &entry.address);
        if !imported.insert(key) {
            skip(
                &mut report,
                "address already imported from another coin of its chain (a bundle has one entry per address)",
            );
            continue;
        }
        let writer = match &mut out {
            Some(w) => w,
            None => {
                let header = header(&report.challenge, &opts.custodian);
                out.insert(BundleWriter::create_bulk(output, &header).map_err(bundle_err)?)
            }
        };
        writer.append(entry).map_err(bundle_err)?;
        report.imported += 1;
    }
    let Some(writer) = out else {
        return Err(OkxError::Structure {
            line: reader.line(),
            reason: "no row of this file has a bundle v1 form; nothing was written".into(),
        });
    };
    writer.finish().map_err(bundle_err)?;
    Ok(report)
}

/// The line `key` was first seen on, or None (and `line` is recorded) when it is new.
fn first_seen(seen: &mut HashMap<[u8; 16], u64>, key: [u8; 16], line: u64) -> Option<u64> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(line);
            None
        }
    }
}

fn header(challenge: &str, custodian: &str) -> Header {
    let created_at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Header {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        challenge: challenge.to_owned(),
        challenge_sha256: hex::encode(Sha256::digest(challenge.as_bytes())),
        custodian: custodian.to_owned(),
        created_at,
        tool: format!("porsign {} (import okx)", env!("CARGO_PKG_VERSION")),
    }
}
