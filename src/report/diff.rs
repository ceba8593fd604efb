//! `--previous`: what changed since last period's file. Both files are listed as (asset,
//! address) → claimed amount, each address once (its first row, as the verifiers count it);
//! the page shows addresses added and removed, addresses whose claimed amount changed, and the
//! change of each asset's claimed total. The previous file is read, not verified: its
//! signatures answered last period's challenge.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::path::Path;

use serde::Serialize;

use super::{shown, ReportError};
use crate::bundle::model::Line;
use crate::bundle::reader::{decode_line, LineReader};
use crate::bundle::BundleError;
use crate::model::canonical_address;
use crate::model::Chain;
use crate::okx::amount::Amount;
use crate::okx::summary::{RowClass, Sum};
use crate::okx::RowEvent;

/// How many addresses each of the page's change lists shows (all are counted).
pub const LISTED_CHANGES: usize = 500;

/// One listed address.
#[derive(Clone, Debug)]
struct Listed {
    /// The address as written (made safe to show).
    address: String,
    /// The claimed amount as written; `None` when the row has none.
    amount: Option<String>,
}

/// Every address of one file with its claimed amount, keyed by asset and canonical spelling.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    entries: HashMap<(String, String), Listed>,
    /// The keys in file order, so that the page lists changes in file order.
    order: Vec<(String, String)>,
}

impl Listing {
    /// Adds a row unless its (asset, canonical address) was listed before.
    pub fn add(&mut self, asset: &str, canonical: &str, address: &str, amount: Option<&str>) {
        let key = (asset.to_owned(), canonical.to_owned());
        if self.entries.contains_key(&key) {
            return;
        }
        self.order.push(key.clone());
        self.entries.insert(
            key,
            Listed {
                address: shown(address),
                amount: amount.map(str::to_owned),
            },
        );
    }

    /// Adds a bundle entry (asset `chain/network`).
    pub fn add_bundle(&mut self, chain: Chain, network: &str, address: &str, amount: Option<&str>) {
        let asset = format!("{}/{network}", chain.as_str());
        self.add(&asset, &canonical_address(chain, address), address, amount);
    }

    /// Adds an OKX row (asset: the coin); repeats of a (coin, address) are not listed again.
    pub fn add_okx(&mut self, event: &RowEvent<'_>) {
        if let RowEvent::Row(r) = event {
            if r.class != RowClass::Duplicate && !r.address.is_empty() {
                let canonical = crate::address_key::canonical_text(r.address);
                self.add(r.coin, &canonical, r.address, r.amount);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Reads last period's file (a bundle or an OKX CSV, told apart by its first bytes).
pub fn read_previous(path: &Path) -> Result<Listing, ReportError> {
    let okx_error = |source| ReportError::PreviousOkx {
        path: path.display().to_string(),
        source,
    };
    let bundle_error = |source| ReportError::PreviousBundle {
        path: path.display().to_string(),
        source,
    };
    let mut listing = Listing::default();
    if crate::okx::detect_file(path).map_err(okx_error)? == Some(crate::okx::FileFormat::Okx) {
        let input = crate::okx::open(path).map_err(okx_error)?;
        let opts = crate::okx::VerifyOptions {
            check_summary: false,
            max_failures: 0,
            ..crate::okx::VerifyOptions::default()
        };
        crate::okx::verify_stream(input, &opts, &mut |e| listing.add_okx(&e)).map_err(okx_error)?;
        return Ok(listing);
    }
    let file = std::fs::File::open(path).map_err(|source| {
        bundle_error(BundleError::File(crate::lines::FileError::Open {
            path: path.display().to_string(),
            source,
        }))
    })?;
    let mut reader = LineReader::new(BufReader::with_capacity(1 << 20, file));
    while let Some(raw) = reader.next_line().map_err(bundle_error)? {
        if let Line::Entry(e) = decode_line(raw.number, &raw.text).map_err(bundle_error)? {
            listing.add_bundle(
                e.chain,
                &e.network.to_string(),
                &e.address,
                e.amount.as_deref(),
            );
        }
    }
    Ok(listing)
}

/// An address added, removed or whose claimed amount changed.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub asset: String,
    pub address: String,
    pub previous: Option<String>,
    pub current: Option<String>,
}

/// The change of one asset's claimed total (every listed address once, whatever its verdict).
#[derive(Clone, Debug, Serialize)]
pub struct AssetChange {
    pub asset: String,
    pub previous_addresses: u64,
    pub current_addresses: u64,
    /// `None` when a sum cannot be stated (no amounts, or one that is not a plain decimal).
    pub previous_total: Option<String>,
    pub current_total: Option<String>,
    /// Current minus previous, signed (`+1.5`, `-0.25`, `0`).
    pub change: Option<String>,
}

/// What changed since the previous file.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub previous_file: String,
    pub assets: Vec<AssetChange>,
    pub added: Vec<Change>,
    pub added_count: u64,
    pub removed: Vec<Change>,
    pub removed_count: u64,
    pub changed: Vec<Change>,
    pub changed_count: u64,
    pub listed_cap: usize,
}

fn parse(amount: Option<&str>) -> Option<Option<Amount>> {
    amount.map(|a| Amount::parse_decimal(a).map(|(v, _)| v))
}

/// Whether two claimed amounts differ as numbers (`1.50` equals `1.5`).
fn amounts_differ(a: Option<&str>, b: Option<&str>) -> bool {
    match (parse(a), parse(b)) {
        (Some(Some(x)), Some(Some(y))) => x != y,
        _ => a != b,
    }
}

fn push_capped(list: &mut Vec<Change>, count: &mut u64, change: Change) {
    *count += 1;
    if list.len() < LISTED_CHANGES {
        list.push(change);
    }
}

#[derive(Default)]
struct Totals {
    previous: (u64, Sum),
    current: (u64, Sum),
}

/// Compares the current file's listing with the previous one's.
pub fn compare(previous_file: &str, previous: &Listing, current: &Listing) -> Diff {
    let mut diff = Diff {
        previous_file: shown(previous_file),
        assets: Vec::new(),
        added: Vec::new(),
        added_count: 0,
        removed: Vec::new(),
        removed_count: 0,
        changed: Vec::new(),
        changed_count: 0,
        listed_cap: LISTED_CHANGES,
    };
    let mut totals: BTreeMap<&str, Totals> = BTreeMap::new();
    for key in &current.order {
        let Some(now) = current.entries.get(key) else {
            continue;
        };
        let t = totals.entry(key.0.as_str()).or_default();
        t.current.0 += 1;
        t.current.1.add(parse(now.amount.as_deref()));
        let change = |before: Option<&Listed>| Change {
            asset: shown(&key.0),
            address: now.address.clone(),
            previous: before.and_then(|b| b.amount.clone()),
            current: now.amount.clone(),
        };
        match previous.entries.get(key) {
            None => push_capped(&mut diff.added, &mut diff.added_count, change(None)),
            Some(before) if amounts_differ(before.amount.as_deref(), now.amount.as_deref()) => {
                push_capped(
                    &mut diff.changed,
                    &mut diff.changed_count,
                    change(Some(before)),
                );
            }
            Some(_) => {}
        }
    }
    for key in &previous.order {
        let Some(before) = previous.entries.get(key) else {
            continue;
        };
        let t = totals.entry(key.0.as_str()).or_default();
        t.previous.0 += 1;
        t.previous.1.add(parse(before.amount.as_deref()));
        if !current.entries.contains_key(key) {
            let change = Change {
                asset: shown(&key.0),
                address: before.address.clone(),
                previous: before.amount.clone(),
                current: None,
            };
            push_capped(&mut diff.removed, &mut diff.removed_count, change);
        }
    }
    diff.assets = totals
        .into_iter()
        .map(|(asset, t)| {
            // An asset with no address in a file has a total of 0 there.
            let stated = |(n, s): &(u64, Sum)| match n {
                0 => Some(Amount::default()),
                _ => (s.any && !s.unknown).then_some(s.value),
            };
            let (previous_total, current_total) = (stated(&t.previous), stated(&t.current));
            let change = match (previous_total, current_total) {
                (Some(p), Some(c)) => c.0.checked_sub(p.0).map(|d| {
                    let sign = if d > 0 { "+" } else { "" };
                    format!("{sign}{}", Amount(d))
                }),
                _ => None,
            };
            AssetChange {
                asset: shown(asset),
                previous_addresses: t.previous.0,
                current_addresses: t.current.0,
                previous_total: previous_total.map(|a| a.to_string()),
                current_total: current_total.map(|a| a.to_string()),
                change,
            }
        })
        .collect();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_removed_changed_and_totals() {
        let mut old = Listing::default();
        // A bech32 address is the same address in either case (BIP-173's example).
        let kept = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
        old.add_bundle(Chain::Bitcoin, "mainnet", kept, Some("1.5"));
        old.add_bundle(Chain::Bitcoin, "mainnet", "bc1qgone", Some("2"));
        old.add_bundle(Chain::Ethereum, "mainnet", "0xAbC", Some("3"));
        let mut new = Listing::default();
        new.add_bundle(
            Chain::Bitcoin,
            "mainnet",
            &kept.to_uppercase(),
            Some("1.50"),
        );
        new.add_bundle(Chain::Bitcoin, "mainnet", "bc1qnew", Some("0.25"));
        new.add_bundle(Chain::Ethereum, "mainnet", "0xabc", Some("2.5"));
        // A repeat is listed once, as the verifier counts it.
        new.add_bundle(Chain::Ethereum, "mainnet", "0xABC", Some("9"));
        let d = compare("old.jsonl", &old, &new);
        assert_eq!(d.added_count, 1);
        assert_eq!(d.added.first().map(|c| c.address.as_str()), Some("bc1qnew"));
        assert_eq!(d.removed_count, 1);
        assert_eq!(
            d.removed.first().map(|c| c.address.as_str()),
            Some("bc1qgone")
        );
        assert_eq!(d.changed_count, 1, "1.5 and 1.50 are the same amount");
        let eth = d.changed.first().unwrap();
        assert_eq!(
            (eth.previous.as_deref(), eth.current.as_deref()),
            (Some("3"), Some("2.5"))
        );
        let btc = d
            .assets
            .iter()
            .find(|a| a.asset == "bitcoin/mainnet")
            .unwrap();
        assert_eq!(btc.previous_total.as_deref(), Some("3.5"));
        assert_eq!(btc.current_total.as_deref(), Some("1.75"));
        assert_eq!(btc.change.as_deref(), Some("-1.75"));
        let eth = d
            .assets
            .iter()
            .find(|a| a.asset == "ethereum/mainnet")
            .unwrap();
        assert_eq!(eth.change.as_deref(), Some("-0.5"));
        assert_eq!((eth.previous_addresses, eth.current_addresses), (1, 1));
    }

    #[test]
    fn an_asset_gone_from_the_current_file_changes_by_its_whole_total() {
        let mut old = Listing::default();
        old.add_bundle(Chain::Bitcoin, "testnet", "tb1qa", Some("0.5"));
        let d = compare("old", &old, &Listing::default());
        let a = d.assets.first().unwrap();
        assert_eq!(a.current_total.as_deref(), Some("0"));
        assert_eq!(a.change.as_deref(), Some("-0.5"));
    }

    #[test]
    fn an_amount_that_is_not_a_decimal_makes_the_total_unknown() {
        let mut old = Listing::default();
        old.add_bundle(Chain::Bitcoin, "mainnet", "bc1qa", Some("1"));
        let mut new = Listing::default();
        new.add_bundle(Chain::Bitcoin, "mainnet", "bc1qa", Some("1e3"));
        let d = compare("old", &old, &new);
        let btc = d.assets.first().unwrap();
        assert_eq!(btc.current_total, None);
        assert_eq!(btc.change, None);
        assert_eq!(d.changed_count, 1);
    }
}
