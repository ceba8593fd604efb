//! What the verification of an OKX file found: the report, the per-row records handed to the
//! caller in file order, and the verdict.

use serde::Serialize;

use super::csv::{Layout, LayoutKind};
use super::error::RowFailure;
use super::summary::{CoinStats, RowClass, SummaryCheck, SummaryStatus};

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

/// A row that verified but does not count as proven by default: owner-attested, or left out
/// by its status column.
#[derive(Clone, Debug, Serialize)]
pub struct RowNote {
    /// 1-based line of the file.
    pub line: u64,
    pub coin: String,
    pub address: String,
    /// The row's amount (None: the layout has no amounts, or its unit is unknown).
    pub amount: Option<String>,
    pub reason: String,
}

/// Every row once it is judged, proven or not, for callers that list every row (the HTML
/// report's address table). Text borrowed from the row.
#[derive(Clone, Copy, Debug)]
pub struct RowSeen<'a> {
    /// 1-based line of the file.
    pub line: u64,
    pub coin: &'a str,
    pub address: &'a str,
    /// The row's amount (None: the layout has no amounts, or its unit is unknown).
    pub amount: Option<&'a str>,
    pub class: RowClass,
    /// Why the row failed or is not counted as proven.
    pub reason: Option<&'a str>,
}

/// What the caller is told while the rows are verified, in file order: first the message
/// every row must sign (once it is known), then each row that is not plainly proven, and
/// after it (for every row) [`RowEvent::Row`].
#[derive(Clone, Copy, Debug)]
pub enum RowEvent<'a> {
    /// The message rows are held to, and where it comes from (`given` or `first-row`, with the
    /// line of that row).
    Message {
        message: &'a str,
        source: &'static str,
        line: Option<u64>,
    },
    Failure(&'a FailureRecord),
    /// Proven only through owner accounts; told whether or not such rows are accepted.
    OwnerAttested(&'a RowNote),
    /// Left out by its status column.
    StatusExcluded(&'a RowNote),
    /// Every row, after the event above that it may have had.
    Row(RowSeen<'a>),
}

impl RowEvent<'_> {
    /// The row's line (None for the message).
    pub fn line(&self) -> Option<u64> {
        match self {
            RowEvent::Message { .. } => None,
            RowEvent::Failure(f) => Some(f.line),
            RowEvent::OwnerAttested(n) | RowEvent::StatusExcluded(n) => Some(n.line),
            RowEvent::Row(r) => Some(r.line),
        }
    }
}

/// The first row that signs another message than the file's first row.
#[derive(Clone, Debug, Serialize)]
pub struct MessageConflict {
    pub line: u64,
    pub message: String,
    pub first_line: u64,
    pub first_message: String,
}

/// The outcome of a whole file.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// What the file was read as, e.g. `OKX proof-of-reserves CSV, 12-column layout`.
    pub format: String,
    /// The rule set applied, e.g. `okx, owner-attested rows not accepted, ...`.
    pub rules: String,
    pub layout: &'static str,
    pub accept_owner_attested: bool,
    pub accept_status_excluded: bool,
    /// The one message every row had to sign (None: no row has one).
    pub message: Option<String>,
    /// Where it came from: `given` (`--message` / `--challenge`) or `first-row`.
    pub message_source: &'static str,
    /// The line of the row it was taken from (`first-row`).
    pub message_line: Option<u64>,
    /// The first row that signs another message (each such row fails).
    pub message_conflict: Option<MessageConflict>,
    /// Distinct messages seen (at most 8 kept).
    pub messages_seen: Vec<String>,
    pub rows: u64,
    /// Rows whose listed address is proven by its own key(s).
    pub proven: u64,
    /// Rows whose signatures prove owner accounts only (eoa1/eoa2, staking, contracts, Aptos
    /// authentication keys). Not proven; they fail the file unless accepted.
    pub owner_attested: u64,
    pub failed: u64,
    /// Failed rows that repeat an earlier row's (coin, address).
    pub duplicates: u64,
    /// Verified rows that the status column leaves out (OKX counts status 5 only). They fail
    /// the file unless accepted.
    pub status_excluded: u64,
    pub coins: Vec<CoinStats>,
    pub summary_checked: bool,
    pub summary_block: Vec<SummaryCheck>,
    pub failures: Vec<FailureRecord>,
    /// Failures not kept in `failures` (beyond `max_failures`).
    pub failures_omitted: u64,
    pub owner_attested_rows: Vec<RowNote>,
    pub owner_attested_rows_omitted: u64,
    pub status_excluded_rows: Vec<RowNote>,
    pub status_excluded_rows_omitted: u64,
}

impl Report {
    /// An empty report for a layout under the given acceptance flags.
    pub fn new(layout: &Layout, accept_owner: bool, accept_status: bool) -> Self {
        Report {
            format: describe_format(layout),
            rules: describe_rules(accept_owner, accept_status),
            layout: layout.kind.as_str(),
            accept_owner_attested: accept_owner,
            accept_status_excluded: accept_status,
            message: None,
            message_source: "first-row",
            message_line: None,
            message_conflict: None,
            messages_seen: Vec::new(),
            rows: 0,
            proven: 0,
            owner_attested: 0,
            failed: 0,
            duplicates: 0,
            status_excluded: 0,
            coins: Vec::new(),
            summary_checked: false,
            summary_block: Vec::new(),
            failures: Vec::new(),
            failures_omitted: 0,
            owner_attested_rows: Vec::new(),
            owner_attested_rows_omitted: 0,
            status_excluded_rows: Vec::new(),
            status_excluded_rows_omitted: 0,
        }
    }

    /// Summary rows that do not match the detail rows.
    pub fn summary_mismatches(&self) -> impl Iterator<Item = &SummaryCheck> {
        self.summary_block
            .iter()
            .filter(|c| c.status != SummaryStatus::Match)
    }

    /// Owner-attested rows that make the file fail (none when they are accepted).
    pub fn unaccepted_owner_attested(&self) -> u64 {
        if self.accept_owner_attested {
            0
        } else {
            self.owner_attested
        }
    }

    /// Status-excluded rows that make the file fail (none when they are accepted).
    pub fn unaccepted_status_excluded(&self) -> u64 {
        if self.accept_status_excluded {
            0
        } else {
            self.status_excluded
        }
    }

    /// True only when at least one row counts, no row failed, every owner-attested or
    /// status-excluded row was accepted by a flag, and the summary block agrees.
    pub fn all_valid(&self) -> bool {
        let counted = self.proven
            + if self.accept_owner_attested {
                self.owner_attested
            } else {
                0
            };
        counted > 0
            && self.failed == 0
            && self.unaccepted_owner_attested() == 0
            && self.unaccepted_status_excluded() == 0
            && self.summary_mismatches().next().is_none()
    }
}

/// The file format and layout in words, for the report's first line.
pub fn describe_format(layout: &Layout) -> String {
    match layout.kind {
        LayoutKind::Auditor => format!(
            "OKX auditor CSV (digitalAsset,network,...), {}-column layout{}",
            layout.columns,
            if layout.status.is_some() {
                " with status"
            } else {
                ""
            }
        ),
        _ => format!(
            "OKX proof-of-reserves CSV, {}-column layout",
            layout.columns
        ),
    }
}

/// The rule set in words, for the report's first line.
pub fn describe_rules(accept_owner: bool, accept_status: bool) -> String {
    let word = |accepted: bool| if accepted { "accepted" } else { "not accepted" };
    format!(
        "okx, owner-attested rows {}, status-excluded rows {}",
        word(accept_owner),
        word(accept_status)
    )
}
