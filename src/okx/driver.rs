//! The streaming, parallel verifier of a whole OKX file.
//!
//! A reader thread reads batches of lines into reusable buffers and hands them over a bounded
//! channel; each batch is verified with rayon on every core ([`super::outcome`]), then judged
//! in file order here: one message for the whole file, each (coin, address) once, owner
//! claims and status exclusions set apart from proven rows. Memory is bounded by (batches in
//! flight) x (batch size) plus one 128-bit key and a line number per distinct (coin, address);
//! the per-coin tallies grow with the number of coins, the row lists are capped.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::mpsc;

use rayon::prelude::*;

use super::csv::{self, Cells, Layout, LineReader, SummaryRow};
use super::error::RowFailure;
use super::outcome::{column_count_ok, process, Outcome};
use super::report::{FailureRecord, MessageConflict, Report, RowEvent, RowNote, RowSeen};
use super::summary::{self, RowClass, Tally};
use super::verify::{MessageRule, Proof, Verifier};
use super::OkxError;
use crate::address_key::AddressKey;
use crate::lines::FileError;

/// How to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The message every row must have signed; None: every row must sign the file's first
    /// row's message.
    pub expected_message: Option<String>,
    /// Compare the detail rows with the summary block.
    pub check_summary: bool,
    /// Rows proven only through owner accounts pass (they are still totalled apart).
    pub accept_owner_attested: bool,
    /// Rows that the status column leaves out do not fail the file (they still verify).
    pub accept_status_excluded: bool,
    /// How many rows each of the report's lists keeps (all are passed to the callback).
    pub max_failures: usize,
    /// Rows per batch.
    pub batch_rows: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            expected_message: None,
            check_summary: true,
            accept_owner_attested: false,
            accept_status_excluded: false,
            max_failures: 1000,
            batch_rows: 4096,
        }
    }
}

/// The part of the file before the detail rows.
#[derive(Clone, Debug)]
pub struct Preamble {
    pub layout: Layout,
    pub summary: Vec<SummaryRow>,
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
    Ok(Preamble { layout, summary })
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
            return Err(FileError::NotUtf8 { line }.into());
        }
    };
    Ok(())
}

/// The first row of a batch that has a usable message (the right number of cells and a
/// non-empty message cell): its line and message.
fn first_message<'t>(text: &'t str, batch: &Batch, layout: &Layout) -> Option<(u64, &'t str)> {
    batch.lines.iter().find_map(|&(n, s, e)| {
        let row = text.get(s..e)?;
        if row.trim().is_empty() {
            return None;
        }
        let cells = Cells::split(row);
        let message = cells.get(layout.message);
        (column_count_ok(layout, &cells) && !message.is_empty()).then_some((n, message))
    })
}

/// An OKX file whose preamble has been read: the layout is known, the rows are not yet read.
pub struct Verification<R> {
    reader: LineReader<R>,
    preamble: Preamble,
    opts: VerifyOptions,
}

impl<R: BufRead + Send> Verification<R> {
    /// Reads the summary block and the detail header. `Err`: the file is unusable (exit 2).
    pub fn start(input: R, opts: &VerifyOptions) -> Result<Self, OkxError> {
        let mut reader = LineReader::new(input);
        let preamble = read_preamble(&mut reader)?;
        Ok(Verification {
            reader,
            preamble,
            opts: opts.clone(),
        })
    }

    /// The detail layout.
    pub fn layout(&self) -> &Layout {
        &self.preamble.layout
    }

    /// An empty report of this file (its format and rules), e.g. to print before the rows.
    pub fn report_head(&self) -> Report {
        Report::new(
            &self.preamble.layout,
            self.opts.accept_owner_attested,
            self.opts.accept_status_excluded,
        )
    }

    /// Verifies every row. `on_row` sees every row that is not plainly proven, in file order,
    /// then every row as [`RowEvent::Row`].
    /// `Err` means the file became unusable (exit 2); otherwise the report says what failed.
    pub fn run(self, on_row: &mut dyn FnMut(RowEvent<'_>)) -> Result<Report, OkxError> {
        let mut judge = Judge::new(self.report_head(), &self.opts, on_row);
        let Verification {
            mut reader,
            preamble,
            opts,
        } = self;
        let layout = preamble.layout;
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
            let mut settled = false;
            let mut outcomes: Vec<Outcome> = Vec::new();
            for received in rx {
                let batch = received?;
                let text = batch.text.as_str();
                if !settled {
                    // The message rule is set once, before the first row that has a message
                    // is verified; rows before it have none and fail on their own.
                    let rule = match (&opts.expected_message, first_message(text, &batch, &layout))
                    {
                        (Some(m), _) => Some(MessageRule::Given(m.clone())),
                        (None, Some((line, m))) => Some(MessageRule::FirstRow {
                            message: m.to_owned(),
                            line,
                        }),
                        (None, None) => None,
                    };
                    if let Some(rule) = rule {
                        judge.set_message(&rule);
                        verifier = Some(Verifier::with_rule(rule));
                        settled = true;
                    }
                }
                let v: &Verifier =
                    verifier.get_or_insert_with(|| Verifier::with_rule(MessageRule::OwnColumn));
                batch
                    .lines
                    .par_iter()
                    .map(|&l| process(text, l, &layout, v))
                    .collect_into_vec(&mut outcomes);
                for o in outcomes.drain(..) {
                    judge.record(text, o);
                }
                let _ = recycle_tx.send(batch);
            }
            Ok(())
        })?;
        Ok(judge.finish(&preamble, &opts))
    }
}

/// Verifies a whole file from a reader. `on_row` sees every row that is not plainly proven
/// (failed, owner-attested, status-excluded), in file order, then every row as
/// [`RowEvent::Row`]. `Err` means the file is unusable
/// (exit 2); otherwise the report says what failed.
pub fn verify_stream<R: BufRead + Send>(
    input: R,
    opts: &VerifyOptions,
    on_row: &mut dyn FnMut(RowEvent<'_>),
) -> Result<Report, OkxError> {
    Verification::start(input, opts)?.run(on_row)
}

fn slice(text: &str, (s, e): (usize, usize)) -> &str {
    text.get(s..e).unwrap_or_default()
}

const MAX_MESSAGES_SEEN: usize = 8;

/// Why an owner-attested row is not proven.
const OWNER_NOTE: &str = "only owner keys signed (eoa1/eoa2, or an aptos authentication key): that they control this address is on-chain state the file cannot show";

/// Draws the verdict on each row in file order and keeps the report.
struct Judge<'c> {
    report: Report,
    tally: Tally,
    /// The first line of every (coin, address) seen.
    seen: HashMap<AddressKey, u64>,
    max_listed: usize,
    on_row: &'c mut dyn FnMut(RowEvent<'_>),
}

impl<'c> Judge<'c> {
    fn new(report: Report, opts: &VerifyOptions, on_row: &'c mut dyn FnMut(RowEvent<'_>)) -> Self {
        Judge {
            report,
            tally: Tally::default(),
            seen: HashMap::new(),
            max_listed: opts.max_failures,
            on_row,
        }
    }

    fn set_message(&mut self, rule: &MessageRule) {
        let r = &mut self.report;
        r.message = rule.message().map(str::to_owned);
        match rule {
            MessageRule::Given(_) => r.message_source = "given",
            MessageRule::FirstRow { line, .. } => {
                r.message_source = "first-row";
                r.message_line = Some(*line);
            }
            MessageRule::OwnColumn => return,
        }
        if let Some(message) = &r.message {
            (self.on_row)(RowEvent::Message {
                message,
                source: r.message_source,
                line: r.message_line,
            });
        }
    }

    fn record(&mut self, text: &str, o: Outcome) {
        if o.blank {
            return;
        }
        let report = &mut self.report;
        report.rows += 1;
        let message = slice(text, o.message);
        if report.messages_seen.len() < MAX_MESSAGES_SEEN
            && !report.messages_seen.iter().any(|m| m == message)
        {
            report.messages_seen.push(message.to_owned());
        }
        let coin = o.coin_key.as_deref().unwrap_or_else(|| slice(text, o.coin));
        let address = slice(text, o.address);
        let first_line = o.key.and_then(|k| match self.seen.entry(k) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(o.line);
                None
            }
        });
        let (class, failure) = match (o.result, first_line) {
            // A repeat is not counted again, whatever else is wrong with it.
            (Err(kind), Some(_)) => (RowClass::Duplicate, Some(kind)),
            (Ok(_), Some(first_line)) => (
                RowClass::Duplicate,
                Some(RowFailure::Duplicate { first_line }),
            ),
            (Err(kind), None) => (RowClass::Failed, Some(kind)),
            (Ok(_), None) if o.excluded_status.is_some() => (RowClass::StatusExcluded, None),
            (Ok(Proof::Owners(_)), None) => (RowClass::OwnerAttested, None),
            (Ok(p), None) => (RowClass::Proven(p), None),
        };
        self.tally.record(coin, o.amount, class);
        let amount = match o.amount {
            Some(Some(a)) => Some(a.to_string()),
            _ => None,
        };
        let mut reason: Option<String> = None;
        match class {
            RowClass::Proven(_) => report.proven += 1,
            RowClass::Failed | RowClass::Duplicate => {
                report.failed += 1;
                if class == RowClass::Duplicate {
                    report.duplicates += 1;
                }
            }
            RowClass::OwnerAttested | RowClass::StatusExcluded => {
                let owner = class == RowClass::OwnerAttested;
                let why = match o.excluded_status {
                    Some(status) if !owner => format!(
                        "status {status:?}: okx counts only rows of status 5 (the row's signatures verified)"
                    ),
                    _ => OWNER_NOTE.to_owned(),
                };
                let note = RowNote {
                    line: o.line,
                    coin: coin.to_owned(),
                    address: address.to_owned(),
                    amount: amount.clone(),
                    reason: why,
                };
                let max = self.max_listed;
                if owner {
                    report.owner_attested += 1;
                    (self.on_row)(RowEvent::OwnerAttested(&note));
                } else {
                    report.status_excluded += 1;
                    (self.on_row)(RowEvent::StatusExcluded(&note));
                }
                reason = Some(note.reason.clone());
                let (list, omitted) = if owner {
                    (
                        &mut report.owner_attested_rows,
                        &mut report.owner_attested_rows_omitted,
                    )
                } else {
                    (
                        &mut report.status_excluded_rows,
                        &mut report.status_excluded_rows_omitted,
                    )
                };
                keep(list, omitted, note, max);
            }
        }
        if let Some(kind) = failure {
            if let RowFailure::MixedMessages {
                first_line,
                first,
                found,
            } = &kind
            {
                report
                    .message_conflict
                    .get_or_insert_with(|| MessageConflict {
                        line: o.line,
                        message: found.clone(),
                        first_line: *first_line,
                        first_message: first.clone(),
                    });
            }
            let rec = FailureRecord {
                line: o.line,
                coin: coin.to_owned(),
                address: address.to_owned(),
                reason: kind.to_string(),
                kind,
            };
            (self.on_row)(RowEvent::Failure(&rec));
            reason = Some(rec.reason.clone());
            keep(
                &mut report.failures,
                &mut report.failures_omitted,
                rec,
                self.max_listed,
            );
        }
        (self.on_row)(RowEvent::Row(RowSeen {
            line: o.line,
            coin,
            address,
            amount: amount.as_deref(),
            class,
            reason: reason.as_deref(),
        }));
    }

    fn finish(mut self, preamble: &Preamble, opts: &VerifyOptions) -> Report {
        self.report.coins = self.tally.finish();
        if opts.check_summary && !preamble.summary.is_empty() {
            self.report.summary_checked = true;
            self.report.summary_block = summary::compare(&preamble.summary, &self.tally.coins);
        }
        self.report
    }
}

/// Keeps `item` in a capped list, counting what is left out.
fn keep<T>(list: &mut Vec<T>, omitted: &mut u64, item: T, max: usize) {
    if list.len() < max {
        list.push(item);
    } else {
        *omitted += 1;
    }
}
