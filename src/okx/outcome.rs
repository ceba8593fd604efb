//! The work done on one line in parallel: split it, read its cells under the layout, key its
//! (coin, address), parse its amount and verify it. Pure: the verdict on the file (duplicates,
//! owner claims, status exclusions, totals) is drawn afterwards, in file order.

use super::amount::Amount;
use super::coins;
use super::csv::{Cells, Layout, LayoutKind};
use super::error::RowFailure;
use super::identity;
use super::verify::{Proof, RowInput, Verifier};
use crate::address_key::AddressKey;

/// What the worker found for one line. Text is kept as byte ranges into the batch buffer.
pub struct Outcome {
    pub line: u64,
    pub blank: bool,
    pub coin: (usize, usize),
    /// Auditor layout: `asset (network)`.
    pub coin_key: Option<String>,
    pub address: (usize, usize),
    pub message: (usize, usize),
    pub amount: Option<Option<Amount>>,
    /// The (coin, address) key; None when the row's columns cannot be trusted (wrong count).
    pub key: Option<AddressKey>,
    /// The status cell, when the status column leaves the row out (anything but `5`).
    pub excluded_status: Option<String>,
    pub result: Result<Proof, RowFailure>,
}

/// The row's input cells under a layout.
pub fn row_input<'a>(layout: &Layout, cells: &Cells<'a>) -> RowInput<'a> {
    RowInput {
        coin: cells.get(layout.rule).trim(),
        row_type: cells.opt(layout.row_type),
        address: cells.get(layout.address).trim(),
        message: cells.get(layout.message),
        sig1: cells.opt(Some(layout.sig1)).map(str::trim),
        sig2: cells.opt(Some(layout.sig2)).map(str::trim),
        script: cells.opt(Some(layout.script)).map(str::trim),
        eoa1: cells.opt(layout.eoa1).map(str::trim),
        eoa2: cells.opt(layout.eoa2).map(str::trim),
    }
}

/// Whether a row has as many cells as the layout reads (OKX lets trailing empty cells go).
pub fn column_count_ok(layout: &Layout, cells: &Cells<'_>) -> bool {
    cells.len() > layout.script && cells.len() <= layout.columns
}

/// The key of a row's (coin, address) under the layout: the coin (detail layouts) or the
/// asset and network (auditor layout).
pub fn row_key(layout: &Layout, cells: &Cells<'_>) -> AddressKey {
    let input = row_input(layout, cells);
    let asset = cells.get(layout.asset);
    let network = (layout.kind == LayoutKind::Auditor).then_some(input.coin);
    identity::row_key(
        &identity::namespace(asset, network),
        input.coin,
        input.address,
    )
}

/// Parses a row's amount: Some(Some(a)) known, Some(None) of unknown unit, None no column.
pub fn row_amount(
    layout: &Layout,
    cells: &Cells<'_>,
    coin: &str,
) -> Result<Option<Option<Amount>>, RowFailure> {
    let Some(col) = layout.amount else {
        return Ok(None);
    };
    let text = cells.get(col).trim();
    let bad = || RowFailure::Amount(text.to_owned());
    if layout.kind == LayoutKind::Detail7 && !text.contains('.') {
        // The 2022 layout wrote integers in base units (satoshi, wei, sun).
        return match coins::decimals(coin) {
            Some(d) => Amount::parse_base_units(text, d)
                .map(|a| Some(Some(a)))
                .ok_or_else(bad),
            None if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => Ok(Some(None)),
            None => Err(bad()),
        };
    }
    Amount::parse_decimal(text)
        .map(|(a, _)| Some(Some(a)))
        .ok_or_else(bad)
}

/// Byte range of `part` inside `whole` (both from the same buffer).
fn range_in(whole: &str, part: &str) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    (start, start + part.len())
}

/// Verifies the line at `(line, start, end)` of `text`.
pub fn process(
    text: &str,
    (line, start, end): (u64, usize, usize),
    layout: &Layout,
    verifier: &Verifier,
) -> Outcome {
    let row = text.get(start..end).unwrap_or_default();
    let mut out = Outcome {
        line,
        blank: row.trim().is_empty(),
        coin: (start, start),
        coin_key: None,
        address: (start, start),
        message: (start, start),
        amount: None,
        key: None,
        excluded_status: None,
        result: Ok(Proof::SingleKey),
    };
    if out.blank {
        return out;
    }
    let cells = Cells::split(row);
    let input = row_input(layout, &cells);
    let asset = cells.get(layout.asset).trim();
    out.coin = range_in(text, asset);
    if layout.kind == LayoutKind::Auditor {
        out.coin_key = Some(format!("{asset} ({})", input.coin));
    }
    // Every row is verified whatever its status: a status never turns a failure into a pass.
    if let Some(col) = layout.status {
        let status = cells.get(col).trim();
        if status != "5" {
            out.excluded_status = Some(status.to_owned());
        }
    }
    out.address = range_in(text, input.address);
    out.message = range_in(text, input.message);
    if !column_count_ok(layout, &cells) {
        out.result = Err(RowFailure::ColumnCount {
            found: cells.len(),
            expected: layout.columns,
        });
        return out;
    }
    if !input.address.is_empty() {
        out.key = Some(row_key(layout, &cells));
    }
    match row_amount(layout, &cells, asset) {
        Ok(a) => out.amount = a,
        Err(e) => {
            out.result = Err(e);
            return out;
        }
    }
    out.result = verifier.verify(&input);
    out
}
