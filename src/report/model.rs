//! What the page shows, top to bottom: the verdict in words with its counts, what was signed,
//! the totals per asset, the charts, the failures, the address table and the changes since the
//! previous file. Every string from the input is already made safe to show (see
//! [`super::shown`]); the template escapes it for HTML.

use serde::Serialize;

use super::charts::Chart;
use super::diff::Diff;
use super::rows::Row;
use super::signed::Fact;

/// A number of the verdict block.
#[derive(Clone, Debug, Serialize)]
pub struct Count {
    /// Stable name (`addresses`, `valid`, `failed`...), the element's id is `count-<key>`.
    pub key: &'static str,
    pub label: &'static str,
    pub value: u64,
}

/// The verdict in words a non-engineer understands.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// `valid` or `invalid` (what `--json` says in `result`).
    pub result: &'static str,
    pub headline: String,
    pub explanation: Vec<String>,
    pub counts: Vec<Count>,
}

/// Which columns the totals table has (OKX files have more kinds of row).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TotalColumns {
    pub owner_attested: bool,
    pub status_excluded: bool,
    /// OKX: the amount over every row (each address once), what the summary block states.
    pub listed: bool,
    /// Bundles: valid entries that claim no amount.
    pub without_amount: bool,
}

/// One asset's totals: addresses and claimed amounts per verdict.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TotalRow {
    /// `chain/network` (bundles) or the coin (OKX).
    pub asset: String,
    /// BTC, ETH (bundles); empty for OKX coins (the coin names its unit).
    pub unit: &'static str,
    pub addresses: u64,
    pub proven: u64,
    /// Claimed amounts as exact decimals; `None` when there is no amount or its unit is unknown.
    pub proven_amount: Option<String>,
    pub failed: u64,
    pub failed_amount: Option<String>,
    pub owner_attested: u64,
    pub owner_attested_amount: Option<String>,
    pub status_excluded: u64,
    pub status_excluded_amount: Option<String>,
    pub listed_amount: Option<String>,
    pub without_amount: u64,
}

/// The totals table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub columns: TotalColumns,
    pub rows: Vec<TotalRow>,
}

/// An OKX summary-block row next to the recomputed total.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow {
    pub coin: String,
    pub line: Option<u64>,
    pub block_amount: Option<String>,
    pub detail_amount: Option<String>,
    pub detail_rows: u64,
    /// `match`, `mismatch`, `missing-from-summary`, `unknown-unit`.
    pub status: &'static str,
}

/// A problem with the file as a whole (not one address).
#[derive(Clone, Debug, Serialize)]
pub struct FileProblem {
    pub line: u64,
    pub reason: String,
}

/// The failure list shown above the table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Failures {
    pub file_problems: Vec<FileProblem>,
    /// The first rows that are not valid (see [`super::rows::LISTED_FAILURES`]).
    #[serde(serialize_with = "serialize_rows")]
    pub rows: Vec<Row>,
    /// Rows that are not valid, listed or not.
    pub total_rows: u64,
}

/// About the address table.
#[derive(Clone, Debug, Serialize)]
pub struct TableInfo {
    /// Rows of the input.
    pub total: u64,
    /// Rows in the page's table.
    pub in_table: u64,
    /// Some rows are not in the table (over the limit); it holds every failure and a sample.
    pub sampled: bool,
    pub limit: usize,
    /// The command that prints every row's result as JSON.
    pub full_json: String,
}

/// The whole page.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    /// `bundle` or `okx`.
    pub kind: &'static str,
    pub file: String,
    pub format: String,
    /// `detected` or `--format`.
    pub format_source: &'static str,
    pub rules: String,
    pub generated_at: String,
    pub tool: String,
    pub verdict: Verdict,
    pub signed: Vec<Fact>,
    pub made_by: Vec<Fact>,
    /// Who vouches for the file's claims (its seal), in words; holds untrusted text.
    pub seal: String,
    pub totals: Totals,
    pub summary_checked: bool,
    pub summary_block: Vec<SummaryRow>,
    pub notes: Vec<String>,
    pub failures: Failures,
    pub charts: Vec<Chart>,
    pub table: TableInfo,
    pub diff: Option<Diff>,
    /// The table's rows (embedded as JSON data, not through the template).
    #[serde(skip)]
    pub rows: Vec<Row>,
}

/// Rows for the template (the failure list): plain maps.
fn serialize_rows<S: serde::Serializer>(rows: &[Row], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    #[derive(Serialize)]
    struct View<'a> {
        line: u64,
        asset: &'a str,
        address: &'a str,
        kind: &'a str,
        amount: Option<&'a str>,
        verdict: &'static str,
        note: &'a str,
    }
    let mut seq = s.serialize_seq(Some(rows.len()))?;
    for r in rows {
        seq.serialize_element(&View {
            line: r.line,
            asset: &r.asset,
            address: &r.address,
            kind: &r.kind,
            amount: r.amount.as_deref(),
            verdict: r.verdict.as_str(),
            note: &r.note,
        })?;
    }
    seq.end()
}

/// Settings of the page that do not come from the input.
#[derive(Clone, Debug)]
pub struct PageOptions {
    /// Most rows in the address table (see [`super::rows::TableRows`]).
    pub max_table_rows: usize,
    /// The command that prints every row's result as JSON, for the page to name.
    pub full_json: String,
}

/// The time the page is made, RFC 3339 UTC.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The tool that made the page.
pub fn tool() -> String {
    format!("porsign {}", env!("CARGO_PKG_VERSION"))
}

/// "1 address" / "3 addresses".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
