//! The streaming, parallel verifier of a whole OKX file.
//!
//! A reader thread reads batches of lines into reusable buffers and hands them over a bounded
//! channel; each batch is verified with rayon on every core, then tallied and reported in file
//! order. Memory is bounded by (batches in flight) x (batch size), whatever the file size: the
//! per-coin tallies grow with the number of coins, the failure list is capped.

use std::io::BufRead;
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::amount::Amount;
use super::coins;
use super::csv::{self, Cells, Layout, LayoutKind, LineReader, SummaryRow};
use super::error::RowFailure;
use super::summary::{self, CoinStats, SummaryCheck, SummaryStatus, Tally};
use super::verify::{Proof, RowInput, Verifier};
use super::OkxError;

/// How to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The message every row must have signed; None checks each row against its own message.
    pub expected_message: Option<String>,
    /// Compare the detail rows with the summary block.
    pub check_summary: bool,
    /// How many failures the report keeps (all are passed to the callback).
    pub max_failures: usize,
    /// Rows per batch.
    pub batch_rows: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            expected_message: None,
            check_summary: true,
            max_failures: 1000,
            batch_rows: 4096,
        }
    }
}

/// A failed row.
#[derive(Clone, Debug, Serialize)]
pub struct FailureRecord {
    /// 1-based line of the file.
    pub line: u64,
    pub coin: String,
    pub address: String,
    pub reason: String,
    #[serde(skip)]
    pub kind: RowFailure,
}

/// The outcome of a whole file.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub layout: &'static str,
    /// The message rows were required to sign (None: each row's own message was used).
    pub expected_message: Option<String>,
    /// Distinct messages seen (at most 8 kept).
    pub messages_seen: Vec<String>,
    pub rows: u64,
    pub passed: u64,
    pub failed: u64,
    pub owner_attested: u64,
    /// Auditor-layout rows skipped because their `status` is not 5 (OKX's rule).
    pub skipped_by_status: u64,
    pub coins: Vec<CoinStats>,
    pub summary_checked: bool,
    pub summary_block: Vec<SummaryCheck>,
    pub failures: Vec<FailureRecord>,
    /// Failures not kept in `failures` (beyond `max_failures`).
    pub failures_omitted: u64,
}

impl Report {
    /// Summary rows that do not match the detail rows.
    pub fn summary_mismatches(&self) -> impl Iterator<Item = &SummaryCheck> {
        self.summary_block
            .iter()
            .filter(|c| c.status != SummaryStatus::Match)
    }

    /// True only when there were rows, every row verified, and the summary block agrees.
    pub fn all_valid(&self) -> bool {
        self.rows > 0 && self.failed == 0 && self.summary_mismatches().next().is_none()
    }
}

/// The part of the file before the detail rows.
#[derive(Clone, Debug)]
pub struct Preamble {
    pub layout: Layout,
    pub summary: Vec<SummaryRow>,
    pub header_line: u64,
}

/// Most summary rows accepted (one per coin; thousands would not be a summary).
const MAX_SUMMARY_ROWS: usize = 100_000;

/// Reads the summary block (if any), the blank line and the detail header.
pub fn read_preamble<R: BufRead>(reader: &mut LineReader<R>) -> Result<Preamble, OkxError> {
    let (first_no, first) = reader.next_text()?.ok_or(OkxError::Empty)?;
    let first = first.strip_prefix('\u{feff}').unwrap_or(&first).to_owned();
    if !csv::is_summary_header(&first) {
        let layout = csv::detect_layout(first_no, &first)?;
        return Ok(Preamble {
            layout,
            summary: Vec::new(),
            header_line: first_no,
        });
    }
    let mut summary = Vec::new();
    loop {
        let (n, line) = reader.next_text()?.ok_or(OkxError::Structure {
            line: reader.line() + 1,
            reason: "the file ends inside the summary block: no blank line and detail header"
                .into(),
        })?;
        if line.trim().is_empty() {
            break;
        }
        if summary.len() >= MAX_SUMMARY_ROWS {
            return Err(OkxError::Structure {
                line: n,
                reason: "the summary block has no end (no blank line)".into(),
            });
        }
        summary.push(csv::parse_summary_row(n, &line)?);
    }
    let (n, header) = reader.next_text()?.ok_or(OkxError::Structure {
        line: reader.line() + 1,
        reason: "no detail header after the summary block".into(),
    })?;
    if header.trim().is_empty() {
        return Err(OkxError::Structure {
            line: n,
            reason: "a second blank line: okx files have exactly one between the summary block and the detail header".into(),
        });
    }
    let layout = csv::detect_layout(n, &header)?;
    Ok(Preamble {
        layout,
        summary,
        header_line: n,
    })
}

/// A batch of lines: one text buffer and (line number, start, end) per line.
#[derive(Default)]
struct Batch {
    text: String,
    lines: Vec<(u64, usize, usize)>,
}

/// Most bytes in one batch, so a batch of long lines stays small too.
const BATCH_BYTES: usize = 4 << 20;

fn fill_batch<R: BufRead>(
    reader: &mut LineReader<R>,
    batch: &mut Batch,
    rows: usize,
) -> Result<(), OkxError> {
    let mut raw = std::mem::take(&mut batch.text).into_bytes();
    raw.clear();
    batch.lines.clear();
    while batch.lines.len() < rows && raw.len() < BATCH_BYTES {
        let start = raw.len();
        let Some(n) = reader.read_into(&mut raw)? else {
            break;
        };
        batch.lines.push((n, start, raw.len()));
    }
    batch.text = match String::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = batch
                .lines
                .iter()
                .find(|(_, s, end)| *s <= at && at <= *end)
                .map_or(reader.line(), |(n, _, _)| *n);
            return Err(OkxError::NotUtf8 { line });
        }
    };
    Ok(())
}

/// Byte range of `part` inside `whole` (both from the same buffer).
fn range_in(whole: &str, part: &str) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    (start, start + part.len())
}

/// What the worker found for one line.
struct Outcome {
    line: u64,
    blank: bool,
    skipped: bool,
    coin: (usize, usize),
    /// Auditor layout: `asset (network)`.
    coin_key: Option<String>,
    address: (usize, usize),
    message: (usize, usize),
    amount: Option<Option<Amount>>,
    result: Result<Proof, RowFailure>,
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

/// Parses a row's amount: Some(Some(a)) known, Some(None) of unknown unit, None no column.
fn row_amount(
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

fn process(
    text: &str,
    (line, start, end): (u64, usize, usize),
    layout: &Layout,
    verifier: &Verifier,
) -> Outcome {
    let row = text.get(start..end).unwrap_or_default();
    let mut out = Outcome {
        line,
        blank: row.trim().is_empty(),
        skipped: false,
        coin: (start, start),
        coin_key: None,
        address: (start, start),
        message: (start, start),
        amount: None,
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
        if let Some(col) = layout.status {
            if cells.get(col).trim() != "5" {
                out.skipped = true;
                return out;
            }
        }
    }
    out.address = range_in(text, input.address);
    out.message = range_in(text, input.message);
    let min = layout.script + 1;
    if cells.len() < min || cells.len() > layout.columns {
        out.result = Err(RowFailure::ColumnCount {
            found: cells.len(),
            expected: layout.columns,
        });
        return out;
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

/// Verifies a whole file from a reader. `on_failure` sees every failed row, in file order.
/// `Err` means the file is unusable (exit 2); otherwise the report says what failed.
pub fn verify_stream<R: BufRead + Send>(
    input: R,
    opts: &VerifyOptions,
    on_failure: &mut dyn FnMut(&FailureRecord),
) -> Result<Report, OkxError> {
    let mut reader = LineReader::new(input);
    let preamble = read_preamble(&mut reader)?;
    let layout = preamble.layout;
    let mut report = Report {
        layout: layout.kind.as_str(),
        expected_message: opts.expected_message.clone(),
        messages_seen: Vec::new(),
        rows: 0,
        passed: 0,
        failed: 0,
        owner_attested: 0,
        skipped_by_status: 0,
        coins: Vec::new(),
        summary_checked: false,
        summary_block: Vec::new(),
        failures: Vec::new(),
        failures_omitted: 0,
    };
    let mut tally = Tally::default();
    let batch_rows = opts.batch_rows.max(1);
    std::thread::scope(|scope| -> Result<(), OkxError> {
        // Two batches in flight: one being verified, one being read.
        let (tx, rx) = mpsc::sync_channel::<Result<Batch, OkxError>>(1);
        let (recycle_tx, recycle_rx) = mpsc::channel::<Batch>();
        scope.spawn(move || loop {
            let mut batch = recycle_rx.try_recv().unwrap_or_default();
            let result = fill_batch(&mut reader, &mut batch, batch_rows);
            let done = match &result {
                Ok(()) => batch.lines.is_empty(),
                Err(_) => true,
            };
            if done {
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                }
                return;
            }
            if tx.send(Ok(batch)).is_err() {
                return;
            }
        });
        let mut verifier: Option<Verifier> = None;
        let mut outcomes: Vec<Outcome> = Vec::new();
        for received in rx {
            let batch = received?;
            let text = batch.text.as_str();
            let verifier = verifier.get_or_insert_with(|| {
                let likely = batch
                    .lines
                    .iter()
                    .find_map(|&(_, s, e)| {
                        let row = text.get(s..e)?;
                        (!row.trim().is_empty()).then(|| Cells::split(row).get(layout.message))
                    })
                    .unwrap_or_default();
                Verifier::new(opts.expected_message.clone(), likely)
            });
            let v: &Verifier = verifier;
            batch
                .lines
                .par_iter()
                .map(|&l| process(text, l, &layout, v))
                .collect_into_vec(&mut outcomes);
            for o in outcomes.drain(..) {
                record(&mut report, &mut tally, text, o, opts, on_failure);
            }
            let _ = recycle_tx.send(batch);
        }
        Ok(())
    })?;
    report.coins = tally.finish();
    if opts.check_summary && !preamble.summary.is_empty() {
        report.summary_checked = true;
        report.summary_block = summary::compare(&preamble.summary, &tally.coins);
    }
    Ok(report)
}

fn slice(text: &str, (s, e): (usize, usize)) -> &str {
    text.get(s..e).unwrap_or_default()
}

const MAX_MESSAGES_SEEN: usize = 8;

fn record(
    report: &mut Report,
    tally: &mut Tally,
    text: &str,
    o: Outcome,
    opts: &VerifyOptions,
    on_failure: &mut dyn FnMut(&FailureRecord),
) {
    if o.blank {
        return;
    }
    if o.skipped {
        report.skipped_by_status += 1;
        return;
    }
    report.rows += 1;
    let message = slice(text, o.message);
    if report.messages_seen.last().map(String::as_str) != Some(message)
        && report.messages_seen.len() < MAX_MESSAGES_SEEN
        && !report.messages_seen.iter().any(|m| m == message)
    {
        report.messages_seen.push(message.to_owned());
    }
    let coin = o.coin_key.as_deref().unwrap_or_else(|| slice(text, o.coin));
    let outcome = match &o.result {
        Ok(p) => {
            report.passed += 1;
            if matches!(p, Proof::Owners(_)) {
                report.owner_attested += 1;
            }
            Ok(*p)
        }
        Err(_) => {
            report.failed += 1;
            Err(())
        }
    };
    tally.record(coin, o.amount, outcome);
    if let Err(kind) = o.result {
        let rec = FailureRecord {
            line: o.line,
            coin: coin.to_owned(),
            address: slice(text, o.address).to_owned(),
            reason: kind.to_string(),
            kind,
        };
        on_failure(&rec);
        if report.failures.len() < opts.max_failures {
            report.failures.push(rec);
        } else {
            report.failures_omitted += 1;
        }
    }
}
