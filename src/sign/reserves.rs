//! The reserves list that `porsign sign` works through: a CSV with a header row
//! `chain,network,address,path,descriptor,amount` (any column order; `descriptor` and `amount`
//! optional), or addresses enumerated from a ranged descriptor.
//!
//! Every row is checked before the first signature, so a typo in row 900 does not stop a run
//! after the device has signed 899 addresses.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use bitcoin::bip32::DerivationPath;
use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
use miniscript::ForEachKey;

use super::multisig::{parse_multisig, MultisigRow};
use super::paths;
use crate::model::{check_amount, Chain, Network};
use crate::scheme::{self, EthAddress};

/// Rows accepted in one list; a larger file is refused rather than buffered without bound.
pub const MAX_ROWS: usize = 1_000_000;

/// Why the reserves list is unusable. Names the row (1-based line number) and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReservesError {
    #[error("cannot read reserves list {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("reserves list: {0}")]
    Csv(String),
    #[error("reserves list: the header lacks column `{0}`")]
    MissingColumn(&'static str),
    #[error("reserves list line {line}, column `{column}`: {reason}")]
    Field {
        line: u64,
        column: &'static str,
        reason: String,
    },
    #[error("reserves list line {line}: address {address} is already listed on line {first}")]
    Duplicate {
        line: u64,
        first: u64,
        address: String,
    },
    #[error("reserves list has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("descriptor: {0}")]
    Descriptor(String),
}

/// How the device finds the key of an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// A single-key address at this BIP-32 path.
    Path(DerivationPath),
    /// A multisig address described by a descriptor (concrete keys, no wildcard); the device
    /// signs with whichever of its keys it holds.
    Multisig(Box<Multisig>),
}

/// A multisig row's descriptor, as listed and as the wallet policy the device registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multisig {
    pub descriptor: String,
    pub row: MultisigRow,
}

/// One address to prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserve {
    /// Line in the CSV (or position in an enumerated range), for messages.
    pub line: u64,
    pub chain: Chain,
    pub network: Network,
    pub address: String,
    pub key: KeySource,
    pub amount: Option<String>,
    /// Master fingerprint of the device that holds this key, when the list routes rows to
    /// devices (several devices or cosigners working on one list).
    pub fingerprint: Option<[u8; 4]>,
}

/// Reads and checks a reserves CSV.
pub fn load_csv(path: &Path) -> Result<Vec<Reserve>, ReservesError> {
    let file = std::fs::File::open(path).map_err(|source| ReservesError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_csv(file)
}

/// Parses and checks a reserves CSV from any reader.
pub fn parse_csv<R: std::io::Read>(input: R) -> Result<Vec<Reserve>, ReservesError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ReservesError::Csv(e.to_string()))?
        .clone();
    let column = |name: &'static str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let chain_col = column("chain").ok_or(ReservesError::MissingColumn("chain"))?;
    let network_col = column("network").ok_or(ReservesError::MissingColumn("network"))?;
    let address_col = column("address").ok_or(ReservesError::MissingColumn("address"))?;
    let path_col = column("path").ok_or(ReservesError::MissingColumn("path"))?;
    let descriptor_col = column("descriptor");
    let amount_col = column("amount");
    let fingerprint_col = column("fingerprint");

    let mut rows = Vec::new();
    let mut seen: HashMap<(Chain, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReservesError::Csv(e.to_string()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if rows.len() >= MAX_ROWS {
            return Err(ReservesError::TooManyRows);
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let field = |column: &'static str, reason: String| ReservesError::Field {
            line,
            column,
            reason,
        };
        let chain_cell = cell(Some(chain_col));
        let chain = chain_cell
            .as_deref()
            .and_then(|name| name.parse::<Chain>().ok())
            .ok_or_else(|| {
                field(
                    "chain",
                    format!("{:?} is not `bitcoin` or `ethereum`", chain_cell.as_deref()),
                )
            })?;
        let network = cell(Some(network_col)).ok_or_else(|| field("network", "is empty".into()))?;
        let address = cell(Some(address_col)).ok_or_else(|| field("address", "is empty".into()))?;
        let path = cell(Some(path_col));
        let descriptor = cell(descriptor_col);
        let amount = cell(amount_col);
        let fingerprint = cell(fingerprint_col)
            .map(|f| {
                parse_fingerprint(&f)
                    .ok_or_else(|| field("fingerprint", format!("{f:?} is not 8 hex digits")))
            })
            .transpose()?;
        if let Some(a) = &amount {
            check_amount(a).map_err(|e| field("amount", e.to_string()))?;
        }
        let key = match (path, descriptor) {
            (Some(p), None) => RawKey::Path(
                DerivationPath::from_str(&p).map_err(|e| field("path", format!("{p:?}: {e}")))?,
            ),
            (None, Some(d)) if chain == Chain::Bitcoin => RawKey::Descriptor(d),
            (Some(_), Some(_)) => {
                return Err(field(
                    "descriptor",
                    "give either a path (single key) or a descriptor (multisig), not both".into(),
                ))
            }
            _ => {
                return Err(field(
                    "path",
                    "is empty (a single-key address needs its derivation path)".into(),
                ))
            }
        };
        let (network, canonical, key) = check_address(chain, &network, &address, key)
            .map_err(|(column, reason)| field(column, reason))?;
        if let Some(first) = seen.insert((chain, canonical), line) {
            return Err(ReservesError::Duplicate {
                line,
                first,
                address,
            });
        }
        rows.push(Reserve {
            line,
            chain,
            network,
            address,
            key,
            amount,
            fingerprint,
        });
    }
    Ok(rows)
}

/// Parses a master fingerprint written as 8 hex digits.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 4]> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

/// A row's key column as written, before it is checked.
enum RawKey {
    Path(DerivationPath),
    Descriptor(String),
}

/// Checks an address for its chain and network, that the app can sign with the row's key (see
/// [`paths`]), and that a multisig descriptor becomes a wallet policy the app registers and
/// produces the address. Returns the network, the canonical spelling for duplicate detection
/// and the key.
fn check_address(
    chain: Chain,
    network: &str,
    address: &str,
    key: RawKey,
) -> Result<(Network, String, KeySource), (&'static str, String)> {
    match chain {
        Chain::Bitcoin => {
            let net: Network = network
                .parse()
                .map_err(|_| ("network", format!("{network:?} is not a Bitcoin network")))?;
            let parsed =
                scheme::parse_btc_address(address, net).map_err(|e| ("address", e.to_string()))?;
            let key = match key {
                RawKey::Path(path) => {
                    paths::check_bitcoin_single_key(parsed.address_type(), &path, net)
                        .map_err(|e| ("path", e.to_string()))?;
                    KeySource::Path(path)
                }
                RawKey::Descriptor(descriptor) => {
                    let row = parse_multisig(&descriptor, net)
                        .map_err(|e| ("descriptor", e.to_string()))?;
                    let produced =
                        descriptor_address(&descriptor, net).map_err(|e| ("descriptor", e))?;
                    if produced != parsed {
                        return Err((
                            "descriptor",
                            format!("produces {produced}, not the listed address"),
                        ));
                    }
                    KeySource::Multisig(Box::new(Multisig { descriptor, row }))
                }
            };
            Ok((net, parsed.to_string(), key))
        }
        Chain::Ethereum => {
            if network != "mainnet" {
                return Err((
                    "network",
                    format!("{network:?}: Ethereum entries use `mainnet`"),
                ));
            }
            let parsed = EthAddress::from_str(address).map_err(|e| ("address", e.to_string()))?;
            let key = match key {
                RawKey::Path(path) => {
                    paths::check_ethereum(&path).map_err(|e| ("path", e.to_string()))?;
                    KeySource::Path(path)
                }
                RawKey::Descriptor(_) => {
                    return Err(("descriptor", "an Ethereum row needs a path".into()))
                }
            };
            Ok((Network::Mainnet, format!("{parsed:?}"), key))
        }
    }
}

/// The one address a concrete (wildcard-free) descriptor produces.
pub fn descriptor_address(descriptor: &str, network: Network) -> Result<bitcoin::Address, String> {
    let parsed =
        Descriptor::<DescriptorPublicKey>::from_str(descriptor).map_err(|e| e.to_string())?;
    if parsed.has_wildcard() {
        return Err("has a wildcard; a reserves row needs one address".into());
    }
    parsed
        .at_derivation_index(0)
        .map_err(|e| e.to_string())?
        .derived_descriptor(bitcoin::secp256k1::SECP256K1)
        .map_err(|e| e.to_string())?
        .address(network.to_bitcoin())
        .map_err(|e| e.to_string())
}

/// Enumerates the single-key addresses of a ranged descriptor such as
/// `wpkh([f5acc2fd/84'/0'/0']xpub.../0/*)` for indexes `start..end`, with their full paths.
pub fn enumerate_descriptor(
    descriptor: &str,
    network: Network,
    start: u32,
    end: u32,
) -> Result<Vec<Reserve>, ReservesError> {
    let err = |e: String| ReservesError::Descriptor(e);
    let parsed =
        Descriptor::<DescriptorPublicKey>::from_str(descriptor).map_err(|e| err(e.to_string()))?;
    if !parsed.has_wildcard() {
        return Err(err("has no wildcard (`*`) to enumerate".into()));
    }
    let single_key = matches!(
        parsed,
        Descriptor::Pkh(_) | Descriptor::Wpkh(_) | Descriptor::Tr(_)
    ) || matches!(&parsed, Descriptor::Sh(sh) if matches!(sh.as_inner(), miniscript::descriptor::ShInner::Wpkh(_)));
    if !single_key {
        return Err(err(
            "only single-key descriptors (pkh, sh(wpkh), wpkh, tr) can be enumerated".into(),
        ));
    }
    if end <= start || end - start > MAX_ROWS as u32 {
        return Err(err(format!("range {start}..{end} is empty or too large")));
    }
    let mut rows = Vec::new();
    for index in start..end {
        let definite = parsed
            .at_derivation_index(index)
            .map_err(|e| err(e.to_string()))?;
        let address = definite
            .derived_descriptor(bitcoin::secp256k1::SECP256K1)
            .map_err(|e| err(e.to_string()))?
            .address(network.to_bitcoin())
            .map_err(|e| err(e.to_string()))?;
        let mut path = None;
        definite.for_each_key(|k| {
            path = k.full_derivation_path();
            true
        });
        let path = path.ok_or_else(|| {
            err("the key has no origin ([fingerprint/path]); the device needs the full path".into())
        })?;
        paths::check_bitcoin_single_key(address.address_type(), &path, network)
            .map_err(|e| err(format!("index {index}: {e}")))?;
        rows.push(Reserve {
            line: u64::from(index),
            chain: Chain::Bitcoin,
            network,
            address: address.to_string(),
            key: KeySource::Path(path),
            amount: None,
            fingerprint: None,
        });
    }
    Ok(rows)
}
