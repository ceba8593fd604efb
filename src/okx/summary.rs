//! Per-coin tallies of the detail rows, and their comparison with the file's summary block.

use std::collections::BTreeMap;

use serde::Serialize;

use super::amount::Amount;
use super::csv::SummaryRow;
use super::verify::Proof;

/// Counts and summed amount of one coin's detail rows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CoinStats {
    pub coin: String,
    pub rows: u64,
    pub passed: u64,
    pub failed: u64,
    /// Passed rows proven through owner accounts (contracts, staking, rotated keys).
    pub owner_attested: u64,
    /// Passed rows proven by an m-of-n multisig.
    pub multisig: u64,
    /// Sum of `amount` in the coin's main unit; None when the unit is unknown (2022 layout
    /// with an integer amount of an unknown coin) or the file has no amounts.
    pub amount: Option<String>,
    #[serde(skip)]
    pub sum: Amount,
    #[serde(skip)]
    pub unit_unknown: bool,
    #[serde(skip)]
    pub has_amounts: bool,
}

/// Tallies rows per coin in file order.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub coins: BTreeMap<String, CoinStats>,
}

impl Tally {
    /// Records one row. `amount`: Some(None) = an amount of unknown unit.
    pub fn record(
        &mut self,
        coin: &str,
        amount: Option<Option<Amount>>,
        outcome: Result<Proof, ()>,
    ) {
        let stats = match self.coins.get_mut(coin) {
            Some(s) => s,
            None => self
                .coins
                .entry(coin.to_owned())
                .or_insert_with(|| CoinStats {
                    coin: coin.to_owned(),
                    ..CoinStats::default()
                }),
        };
        stats.rows += 1;
        match outcome {
            Ok(proof) => {
                stats.passed += 1;
                match proof {
                    Proof::Owners(_) => stats.owner_attested += 1,
                    Proof::Multisig { .. } => stats.multisig += 1,
                    Proof::SingleKey => {}
                }
            }
            Err(()) => stats.failed += 1,
        }
        match amount {
            Some(Some(a)) => {
                stats.has_amounts = true;
                // i128 in 1e-18 units holds 1.7e20 whole coins; a file that overflows it is
                // not a real balance sheet, and the sum is then reported as unknown.
                match stats.sum.checked_add(a) {
                    Some(s) => stats.sum = s,
                    None => stats.unit_unknown = true,
                }
            }
            Some(None) => {
                stats.has_amounts = true;
                stats.unit_unknown = true;
            }
            None => {}
        }
    }

    /// The per-coin list, with amounts rendered.
    pub fn finish(&self) -> Vec<CoinStats> {
        self.coins
            .values()
            .map(|s| {
                let mut s = s.clone();
                s.amount = (s.has_amounts && !s.unit_unknown).then(|| s.sum.to_string());
                s
            })
            .collect()
    }
}

/// How a summary-block row compares with the detail rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SummaryStatus {
    /// Equal to the printed precision (less than one unit of its last digit apart).
    Match,
    Mismatch,
    /// A coin has detail rows but no summary row covers it.
    MissingFromSummary,
    /// The detail amounts' unit is unknown, so the sum cannot be compared.
    UnknownUnit,
}

/// One comparison, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryCheck {
    pub coin: String,
    /// Line of the summary row (None for a coin missing from the block).
    pub line: Option<u64>,
    pub snapshot_height: Option<String>,
    /// The amount printed in the summary block.
    pub block_amount: Option<String>,
    /// The sum of the detail rows it covers.
    pub detail_amount: Option<String>,
    pub detail_rows: u64,
    pub status: SummaryStatus,
}

/// Whether summary name `name` covers detail coin `coin`: `ETH` covers `ETH`; `ETH(ALL)`
/// covers `ETH` and every `ETH-…` / `ETH_…` network of it.
fn covers(name: &str, coin: &str) -> bool {
    let name = name.trim();
    match name.strip_suffix("(ALL)") {
        Some(base) => {
            let base = base.trim();
            coin.eq_ignore_ascii_case(base)
                || (coin.len() > base.len()
                    && coin
                        .get(..base.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(base))
                    && matches!(coin.as_bytes().get(base.len()), Some(b'-' | b'_')))
        }
        None => name.eq_ignore_ascii_case(coin),
    }
}

/// Compares every summary row with the detail rows it covers, and lists detail coins no
/// summary row covers.
pub fn compare(block: &[SummaryRow], coins: &BTreeMap<String, CoinStats>) -> Vec<SummaryCheck> {
    let mut out = Vec::with_capacity(block.len());
    for row in block {
        let mut sum = Amount::default();
        let mut rows = 0u64;
        let mut unknown = false;
        for stats in coins.values().filter(|s| covers(&row.coin, &s.coin)) {
            rows += stats.rows;
            unknown |= stats.unit_unknown || !stats.has_amounts;
            sum = sum.checked_add(stats.sum).unwrap_or_else(|| {
                unknown = true;
                sum
            });
        }
        let status = if unknown && rows > 0 {
            SummaryStatus::UnknownUnit
        } else if sum.abs_diff(row.amount) < Amount::ulp(row.decimals) {
            SummaryStatus::Match
        } else {
            SummaryStatus::Mismatch
        };
        out.push(SummaryCheck {
            coin: row.coin.clone(),
            line: Some(row.line),
            snapshot_height: Some(row.height.clone()),
            block_amount: Some(row.amount_text.clone()),
            detail_amount: (!unknown || rows == 0).then(|| sum.to_string()),
            detail_rows: rows,
            status,
        });
    }
    for stats in coins.values() {
        if !block.iter().any(|r| covers(&r.coin, &stats.coin)) {
            out.push(SummaryCheck {
                coin: stats.coin.clone(),
                line: None,
                snapshot_height: None,
                block_amount: None,
                detail_amount: (!stats.unit_unknown).then(|| stats.sum.to_string()),
                detail_rows: stats.rows,
                status: SummaryStatus::MissingFromSummary,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_rows_cover_networks() {
        assert!(covers("ETH(ALL)", "ETH-ARBITRUM"));
        assert!(covers("ETH(ALL)", "ETH"));
        assert!(!covers("ETH(ALL)", "ETHW"));
        assert!(covers("USDT(ALL)", "USDT-TRC20"));
        assert!(!covers("ETH", "ETH-ARBITRUM"));
    }
}
