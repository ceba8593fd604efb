//! Per-coin tallies of the detail rows, and their comparison with the file's summary block.

use std::collections::BTreeMap;

use serde::Serialize;

use super::amount::Amount;
use super::csv::SummaryRow;
use super::verify::Proof;

/// A sum of row amounts that knows when it cannot be stated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum {
    pub value: Amount,
    /// An amount of unknown unit was added, or the sum overflowed.
    pub unknown: bool,
    /// At least one amount was added.
    pub any: bool,
}

impl Sum {
    /// Adds a row's amount (`Some(None)`: of unknown unit; None: the layout has no amounts).
    pub fn add(&mut self, amount: Option<Option<Amount>>) {
        match amount {
            Some(Some(a)) => {
                self.any = true;
                // i128 in 1e-18 units holds 1.7e20 whole coins; a file that overflows it is
                // not a real balance sheet, and the sum is then reported as unknown.
                match self.value.checked_add(a) {
                    Some(s) => self.value = s,
                    None => self.unknown = true,
                }
            }
            Some(None) => {
                self.any = true;
                self.unknown = true;
            }
            None => {}
        }
    }

    /// The sum as text; None when unknown or when the file has no amounts.
    pub fn render(&self) -> Option<String> {
        (self.any && !self.unknown).then(|| self.value.to_string())
    }
}

/// What one row counts as in the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowClass {
    /// Verified, and the key(s) own the listed address.
    Proven(Proof),
    /// Verified, but only the owner accounts' keys are proven ([`Proof::Owners`]).
    OwnerAttested,
    /// Verified, but left out by its status column (auditor layout).
    StatusExcluded,
    Failed,
    /// A repeat of an earlier row's (coin, address): failed, and its amount is not added.
    Duplicate,
}

/// Counts and summed amounts of one coin's detail rows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CoinStats {
    pub coin: String,
    pub rows: u64,
    /// Rows whose listed address is proven by its own key(s).
    pub proven: u64,
    /// Rows proven only through owner accounts (contracts, staking, rotated keys).
    pub owner_attested: u64,
    pub failed: u64,
    /// Verified rows that the status column leaves out.
    pub status_excluded: u64,
    /// Failed rows that repeat an earlier row's (coin, address) (included in `failed`).
    pub duplicates: u64,
    /// Proven rows proven by an m-of-n multisig.
    pub multisig: u64,
    /// Sum of `amount` over the coin's rows, each (coin, address) once, whatever the row's
    /// verdict: what the summary block states. None when the unit is unknown (2022 layout
    /// with an integer amount of an unknown coin) or the file has no amounts.
    pub amount: Option<String>,
    /// Sum over the proven rows.
    pub amount_proven: Option<String>,
    /// Sum over the owner-attested rows.
    pub amount_owner_attested: Option<String>,
    /// Sum over the status-excluded rows.
    pub amount_status_excluded: Option<String>,
    #[serde(skip)]
    pub listed: Sum,
    #[serde(skip)]
    pub proven_sum: Sum,
    #[serde(skip)]
    pub owner_sum: Sum,
    #[serde(skip)]
    pub excluded_sum: Sum,
}

/// Tallies rows per coin in file order.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub coins: BTreeMap<String, CoinStats>,
}

impl Tally {
    /// Records one row. `amount`: Some(None) = an amount of unknown unit.
    pub fn record(&mut self, coin: &str, amount: Option<Option<Amount>>, class: RowClass) {
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
        if class != RowClass::Duplicate {
            stats.listed.add(amount);
        }
        match class {
            RowClass::Proven(proof) => {
                stats.proven += 1;
                stats.proven_sum.add(amount);
                if matches!(proof, Proof::Multisig { .. }) {
                    stats.multisig += 1;
                }
            }
            RowClass::OwnerAttested => {
                stats.owner_attested += 1;
                stats.owner_sum.add(amount);
            }
            RowClass::StatusExcluded => {
                stats.status_excluded += 1;
                stats.excluded_sum.add(amount);
            }
            RowClass::Failed => stats.failed += 1,
            RowClass::Duplicate => {
                stats.failed += 1;
                stats.duplicates += 1;
            }
        }
    }

    /// The per-coin list, with amounts rendered.
    pub fn finish(&self) -> Vec<CoinStats> {
        self.coins
            .values()
            .map(|s| {
                let mut s = s.clone();
                s.amount = s.listed.render();
                s.amount_proven = s.proven_sum.render();
                s.amount_owner_attested = s.owner_sum.render();
                s.amount_status_excluded = s.excluded_sum.render();
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
            unknown |= stats.listed.unknown || !stats.listed.any;
            sum = sum.checked_add(stats.listed.value).unwrap_or_else(|| {
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
                detail_amount: (!stats.listed.unknown).then(|| stats.listed.value.to_string()),
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
