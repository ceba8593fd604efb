//! The address table's rows, kept within a limit: every failure (up to the limit) and an evenly
//! spaced sample of the other rows, in bounded memory however long the input is. Also the
//! first failures for the page's failure list.

use serde::Serialize;

/// A row's verdict as the page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowVerdict {
    /// Bundles: the entry verified. OKX: the row's own key(s) prove its address.
    Valid,
    Failed,
    /// OKX: only owner accounts' keys signed (not proven).
    OwnerAttested,
    /// OKX: verified, but left out by its status column.
    StatusExcluded,
}

impl RowVerdict {
    pub const ALL: [RowVerdict; 4] = [
        RowVerdict::Valid,
        RowVerdict::Failed,
        RowVerdict::OwnerAttested,
        RowVerdict::StatusExcluded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowVerdict::Valid => "valid",
            RowVerdict::Failed => "failed",
            RowVerdict::OwnerAttested => "owner-attested",
            RowVerdict::StatusExcluded => "status-excluded",
        }
    }
}

/// One address of the input, its text already made safe to show (see [`super::shown`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the file.
    pub line: u64,
    /// `chain/network` (bundles) or the coin (OKX).
    pub asset: String,
    pub address: String,
    /// The scheme (bundles) or the kind of proof (OKX).
    pub kind: String,
    /// The claimed amount as written.
    pub amount: Option<String>,
    pub verdict: RowVerdict,
    /// Why it failed, or what a valid row proved.
    pub note: String,
}

/// How many failures the page lists in full above the table.
pub const LISTED_FAILURES: usize = 1000;

/// Keeps the table's rows within `limit`: failures first (all of them while they fit), then an
/// evenly spaced sample of the others. The sample keeps every `stride`-th row and doubles the
/// stride whenever it holds more than twice `limit` (so it never holds fewer than `limit` of
/// them once it has had that many), and is thinned evenly to the room left at the end.
#[derive(Debug)]
pub struct TableRows {
    limit: usize,
    failed: Vec<Row>,
    /// Failed rows beyond the limit (counted, not kept).
    failed_dropped: u64,
    /// (sequence number among non-failed rows, row).
    others: Vec<(u64, Row)>,
    stride: u64,
    others_seen: u64,
    /// The first [`LISTED_FAILURES`] rows that are not valid, for the failure list.
    pub first_failures: Vec<Row>,
    /// Every row seen.
    pub total: u64,
}

impl TableRows {
    pub fn new(limit: usize) -> Self {
        TableRows {
            limit,
            failed: Vec::new(),
            failed_dropped: 0,
            others: Vec::new(),
            stride: 1,
            others_seen: 0,
            first_failures: Vec::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, row: Row) {
        self.total += 1;
        if row.verdict != RowVerdict::Valid && self.first_failures.len() < LISTED_FAILURES {
            self.first_failures.push(row.clone());
        }
        if self.limit == 0 {
            return;
        }
        if row.verdict == RowVerdict::Failed {
            if self.failed.len() < self.limit {
                self.failed.push(row);
            } else {
                self.failed_dropped += 1;
            }
            return;
        }
        let seq = self.others_seen;
        self.others_seen += 1;
        if seq % self.stride != 0 {
            return;
        }
        self.others.push((seq, row));
        if self.others.len() > 2 * self.limit {
            self.stride *= 2;
            let stride = self.stride;
            self.others.retain(|(s, _)| s % stride == 0);
        }
    }

    /// The rows in file order, at most `limit`, and whether some rows were left out.
    pub fn finish(self) -> (Vec<Row>, bool) {
        let room = self.limit.saturating_sub(self.failed.len());
        let others: Vec<Row> = if self.others.len() > room {
            // Thin the sample evenly to the room left after the failures.
            let n = self.others.len();
            (0..room)
                .filter_map(|i| self.others.get(i * n / room.max(1)))
                .map(|(_, r)| r.clone())
                .collect()
        } else {
            self.others.into_iter().map(|(_, r)| r).collect()
        };
        let mut rows = self.failed;
        rows.extend(others);
        rows.sort_by_key(|r| r.line);
        let sampled = (rows.len() as u64) < self.total;
        (rows, sampled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, verdict: RowVerdict) -> Row {
        Row {
            line,
            asset: "bitcoin/mainnet".into(),
            address: format!("a{line}"),
            kind: "bip137".into(),
            amount: None,
            verdict,
            note: String::new(),
        }
    }

    #[test]
    fn under_the_limit_every_row_is_kept_in_order() {
        let mut t = TableRows::new(10);
        for line in 2..9 {
            let v = if line == 5 {
                RowVerdict::Failed
            } else {
                RowVerdict::Valid
            };
            t.push(row(line, v));
        }
        let (rows, sampled) = t.finish();
        assert!(!sampled);
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            (2..9).collect::<Vec<_>>()
        );
    }

    #[test]
    fn over_the_limit_failures_stay_and_the_rest_is_an_even_sample() {
        let mut t = TableRows::new(100);
        for line in 0..10_000u64 {
            let v = if line % 1000 == 7 {
                RowVerdict::Failed
            } else {
                RowVerdict::Valid
            };
            t.push(row(line, v));
        }
        assert_eq!(t.first_failures.len(), 10);
        let (rows, sampled) = t.finish();
        assert!(sampled);
        assert_eq!(rows.len(), 100);
        let failed: Vec<u64> = rows
            .iter()
            .filter(|r| r.verdict == RowVerdict::Failed)
            .map(|r| r.line)
            .collect();
        assert_eq!(failed, (0..10).map(|i| i * 1000 + 7).collect::<Vec<_>>());
        // The sample spans the whole file, not just its start.
        assert!(rows
            .iter()
            .any(|r| r.line > 9000 && r.verdict == RowVerdict::Valid));
        assert!(rows
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.line < b.line)));
    }

    #[test]
    fn more_failures_than_the_limit_fill_the_table_with_failures() {
        let mut t = TableRows::new(5);
        for line in 0..20 {
            t.push(row(line, RowVerdict::Failed));
        }
        let (rows, sampled) = t.finish();
        assert!(sampled);
        assert_eq!(rows.len(), 5);
    }
}
