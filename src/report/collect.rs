//! What the page needs from the rows while they are verified: the table's rows (within the
//! limit), the first failures, the count of each OKX kind of proof, and for `--previous` the
//! listing of every address and its claimed amount.

use std::collections::BTreeMap;

use super::diff::{self, Diff, Listing};
use super::model::{PageOptions, TableInfo};
use super::rows::{Row, RowVerdict, TableRows};
use super::shown;
use crate::bundle::verify::{EntryResult, Verdict};
use crate::okx::summary::RowClass;
use crate::okx::{Proof, RowEvent};

/// Collects rows as the verifier hands them out, in file order.
#[derive(Debug)]
pub struct Collector {
    table: TableRows,
    listing: Option<Listing>,
    kinds: BTreeMap<String, BTreeMap<RowVerdict, u64>>,
}

/// What was collected, once the input is verified.
#[derive(Debug)]
pub struct Collected {
    /// The table's rows in file order.
    pub rows: Vec<Row>,
    /// Rows seen in all.
    pub total: u64,
    /// Some rows are not in the table (over the limit).
    pub sampled: bool,
    /// The first rows that are not valid (for the failure list).
    pub first_failures: Vec<Row>,
    /// Rows per kind (scheme or kind of proof) and verdict, over every row.
    pub kinds: BTreeMap<String, BTreeMap<RowVerdict, u64>>,
    /// Every address with its claimed amount (only when asked for, for `--previous`).
    pub listing: Option<Listing>,
}

/// The kind of proof of an OKX row, as the table's "type" column shows it.
fn okx_kind(class: RowClass) -> String {
    match class {
        RowClass::Proven(Proof::SingleKey) => "single key".into(),
        RowClass::Proven(Proof::Multisig { required, keys }) => {
            format!("multisig {required}-of-{keys}")
        }
        RowClass::Proven(Proof::Owners(_)) | RowClass::OwnerAttested => "owner keys".into(),
        RowClass::StatusExcluded => "status-excluded".into(),
        RowClass::Failed => "not proven".into(),
        RowClass::Duplicate => "repeated address".into(),
    }
}

impl Collector {
    /// `max_table_rows`: the table's limit; `list_all`: keep every address for `--previous`.
    pub fn new(max_table_rows: usize, list_all: bool) -> Self {
        Collector {
            table: TableRows::new(max_table_rows),
            listing: list_all.then(Listing::default),
            kinds: BTreeMap::new(),
        }
    }

    fn push(&mut self, row: Row) {
        // Looked up before inserting: the kinds are few, the rows many.
        let by_verdict = match self.kinds.get_mut(&row.kind) {
            Some(m) => m,
            None => self.kinds.entry(row.kind.clone()).or_default(),
        };
        *by_verdict.entry(row.verdict).or_default() += 1;
        self.table.push(row);
    }

    /// One bundle entry's result.
    pub fn bundle_entry(&mut self, r: &EntryResult<'_>) {
        let network = r.network.to_string();
        if let Some(listing) = self.listing.as_mut() {
            listing.add_bundle(r.chain, &network, r.address, r.amount);
        }
        let verdict = match r.verdict {
            Verdict::Valid => RowVerdict::Valid,
            Verdict::Invalid => RowVerdict::Failed,
        };
        let mut note = r.reason.clone().or(r.detail.map(str::to_owned));
        if let (Some(lock), Some(n)) = (r.time_lock, note.as_mut()) {
            n.push_str("; time lock: ");
            n.push_str(lock);
        }
        self.push(Row {
            line: r.line,
            asset: shown(&format!("{}/{network}", r.chain.as_str())),
            address: shown(r.address),
            kind: shown(&r.scheme.to_string()),
            amount: r.amount.map(shown),
            verdict,
            note: shown(&note.unwrap_or_default()),
        });
    }

    /// One event of an OKX file's verification (only [`RowEvent::Row`] is used).
    pub fn okx_event(&mut self, e: &RowEvent<'_>) {
        let RowEvent::Row(r) = e else {
            return;
        };
        if let Some(listing) = self.listing.as_mut() {
            listing.add_okx(e);
        }
        let verdict = match r.class {
            RowClass::Proven(_) => RowVerdict::Valid,
            RowClass::OwnerAttested => RowVerdict::OwnerAttested,
            RowClass::StatusExcluded => RowVerdict::StatusExcluded,
            RowClass::Failed | RowClass::Duplicate => RowVerdict::Failed,
        };
        self.push(Row {
            line: r.line,
            asset: shown(r.coin),
            address: shown(r.address),
            kind: okx_kind(r.class),
            amount: r.amount.map(shown),
            verdict,
            note: shown(r.reason.unwrap_or_default()),
        });
    }

    pub fn finish(mut self) -> Collected {
        let total = self.table.total;
        let first_failures = std::mem::take(&mut self.table.first_failures);
        let (rows, sampled) = self.table.finish();
        Collected {
            rows,
            total,
            sampled,
            first_failures,
            kinds: self.kinds,
            listing: self.listing,
        }
    }
}

/// What a page takes from the collected rows: the table, the failure list's rows and the
/// changes since the previous file.
#[derive(Debug)]
pub struct RowParts {
    pub table: TableInfo,
    pub rows: Vec<Row>,
    pub first_failures: Vec<Row>,
    pub diff: Option<Diff>,
}

impl Collected {
    /// Splits the collected rows into the page's parts; `previous`: last period's file name
    /// and listing.
    pub fn into_parts(self, previous: Option<(&str, &Listing)>, opts: &PageOptions) -> RowParts {
        let diff = match (previous, &self.listing) {
            (Some((file, old)), Some(current)) => Some(diff::compare(file, old, current)),
            _ => None,
        };
        RowParts {
            table: TableInfo {
                total: self.total,
                in_table: self.rows.len() as u64,
                sampled: self.sampled,
                limit: opts.max_table_rows,
                full_json: shown(&opts.full_json),
            },
            rows: self.rows,
            first_failures: self.first_failures,
            diff,
        }
    }
}
