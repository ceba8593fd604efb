//! Reading OKX files: capped line reading, OKX's splitting rule, layout detection from the
//! headers, the summary block.
//!
//! OKX writes no CSV quoting. A line is split on `,` except inside `[...]` and `{...}` (the
//! two-key EOS JSON column), as OKX's `parseLine` / `ParseCSVLine` do. Empty, `null` and `\N`
//! all mean "absent".

use std::io::BufRead;

use super::amount::Amount;
use super::OkxError;
use crate::lines::{CappedLines, FileError};

/// Longest accepted line. OKX rows are a few hundred bytes; a longer line is not an OKX row,
/// and the cap keeps memory bounded on hostile input.
pub const MAX_LINE: usize = 64 * 1024;

/// Reads lines with a length cap, counting line numbers from 1.
pub struct LineReader<R> {
    lines: CappedLines<R>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            lines: CappedLines::new(inner, MAX_LINE),
        }
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.lines.line()
    }

    /// Appends the next line to `buf`, without its `\n` or `\r\n`. Returns its number, or None
    /// at the end of the input.
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>, OkxError> {
        let start = buf.len();
        let Some((number, _)) = self.lines.read_into(buf)? else {
            return Ok(None);
        };
        if buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(number))
    }

    /// Reads the next line as a String (for the few header lines).
    pub fn next_text(&mut self) -> Result<Option<(u64, String)>, OkxError> {
        let mut buf = Vec::new();
        let Some(n) = self.read_into(&mut buf)? else {
            return Ok(None);
        };
        let text = String::from_utf8(buf).map_err(|_| FileError::NotUtf8 { line: n })?;
        Ok(Some((n, text)))
    }
}

/// Most columns a row is split into; more are counted but not kept.
pub const MAX_COLUMNS: usize = 16;

/// The cells of one line, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub struct Cells<'a> {
    cells: [&'a str; MAX_COLUMNS],
    len: usize,
}

impl<'a> Cells<'a> {
    /// Splits on `,` outside brackets and braces, without allocating.
    pub fn split(line: &'a str) -> Self {
        let mut cells = [""; MAX_COLUMNS];
        let mut len = 0usize;
        let mut depth = 0i32;
        let mut start = 0usize;
        for (i, b) in line.bytes().enumerate() {
            match b {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth -= 1,
                b',' if depth <= 0 => {
                    if let Some(slot) = cells.get_mut(len) {
                        *slot = line.get(start..i).unwrap_or_default();
                    }
                    len += 1;
                    start = i + 1;
                }
                _ => {}
            }
        }
        if let Some(slot) = cells.get_mut(len) {
            *slot = line.get(start..).unwrap_or_default();
        }
        len += 1;
        Cells { cells, len }
    }

    /// The number of cells (counting those past [`MAX_COLUMNS`]).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Cell `i` as written ("" when missing).
    pub fn get(&self, i: usize) -> &'a str {
        self.cells.get(i).copied().unwrap_or_default()
    }

    /// Cell `i`, or None when it is absent (empty, `null`, `\N`, or not there).
    pub fn opt(&self, i: Option<usize>) -> Option<&'a str> {
        i.map(|i| self.get(i)).and_then(present)
    }
}

/// None for OKX's spellings of "absent".
pub fn present(s: &str) -> Option<&str> {
    let t = s.trim();
    match t {
        "" | "null" | "NULL" | "\\N" => None,
        _ => Some(s),
    }
}

/// The detail layouts porsign reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    /// 2022: `coin,address,amount,message,signature1,signature2,redeem script/ public key`;
    /// amounts in base units.
    Detail7,
    /// 2024 monthly files: adds Network and Snapshot Height.
    Detail9,
    /// Current example: adds eoa1, eoa2 (owner signatures of contract addresses).
    Detail11,
    /// 2026 staking layout: adds Type after coin.
    Detail12,
    /// The auditor bulk layout (`digitalAsset,network,...`), optional `status` column.
    Auditor,
}

impl LayoutKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutKind::Detail7 => "okx-detail-7",
            LayoutKind::Detail9 => "okx-detail-9",
            LayoutKind::Detail11 => "okx-detail-11",
            LayoutKind::Detail12 => "okx-detail-12",
            LayoutKind::Auditor => "okx-auditor",
        }
    }
}

/// Column positions of a detail layout.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub kind: LayoutKind,
    pub columns: usize,
    /// The column whose name chooses the rule: `coin`, or `network` in the auditor layout.
    pub rule: usize,
    /// `coin` or `digitalAsset`.
    pub asset: usize,
    pub network: Option<usize>,
    pub row_type: Option<usize>,
    pub address: usize,
    pub amount: Option<usize>,
    pub message: usize,
    pub sig1: usize,
    pub sig2: usize,
    pub script: usize,
    pub eoa1: Option<usize>,
    pub eoa2: Option<usize>,
    pub status: Option<usize>,
}

/// Lower-case, spaces removed: `"redeem script/ public key"`, `"redeem script/public key"` and
/// `" eoa1"` / `"EOA1"` compare equal to their canonical names.
fn normalize(cell: &str) -> String {
    cell.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

const DETAIL_7: [&str; 7] = [
    "coin",
    "address",
    "amount",
    "message",
    "signature1",
    "signature2",
    "redeemscript/publickey",
];
const DETAIL_11: [&str; 11] = [
    "coin",
    "network",
    "snapshotheight",
    "address",
    "amount",
    "message",
    "signature1",
    "signature2",
    "redeemscript/publickey",
    "eoa1",
    "eoa2",
];
const DETAIL_12: [&str; 12] = [
    "coin",
    "type",
    "network",
    "snapshotheight",
    "address",
    "amount",
    "message",
    "signature1",
    "signature2",
    "redeemscript/publickey",
    "eoa1",
    "eoa2",
];
const AUDITOR: [&str; 10] = [
    "digitalasset",
    "network",
    "address",
    "signedmessage",
    "signedmessage2",
    "message",
    "publickey",
    "owner1",
    "owner2",
    "status",
];

/// Whether a line is the summary block's header `coin,snapshot height,amount`.
pub fn is_summary_header(line: &str) -> bool {
    let cells = Cells::split(line);
    cells.len() == 3
        && normalize(cells.get(0)) == "coin"
        && normalize(cells.get(1)) == "snapshotheight"
        && normalize(cells.get(2)) == "amount"
}

/// Detects the layout from a detail header line; the error names the first column that
/// matches no known layout.
pub fn detect_layout(line_no: u64, line: &str) -> Result<Layout, OkxError> {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let cells = Cells::split(line);
    let names: Vec<String> = (0..cells.len().min(MAX_COLUMNS))
        .map(|i| normalize(cells.get(i)))
        .collect();
    let auditor = names.first().map(String::as_str) == Some("digitalasset");
    let expected: &[&str] = match (auditor, cells.len()) {
        (true, 9) => AUDITOR.get(..9).unwrap_or_default(),
        (true, 10) => &AUDITOR,
        (false, 7) => &DETAIL_7,
        (false, 9) => DETAIL_11.get(..9).unwrap_or_default(),
        (false, 11) => &DETAIL_11,
        (false, 12) => &DETAIL_12,
        (_, n) => {
            return Err(OkxError::Header {
                line: line_no,
                column: 1,
                reason: format!(
                    "not an okx detail header: it has {n} columns (okx layouts have 7, 9, 11 or 12; the auditor layout 9 or 10)"
                ),
            })
        }
    };
    for (i, (want, found)) in expected.iter().zip(&names).enumerate() {
        if want != found {
            return Err(OkxError::Header {
                line: line_no,
                column: i + 1,
                reason: format!(
                    "expected `{want}` in a {}-column okx header, found `{}`",
                    expected.len(),
                    cells.get(i).trim()
                ),
            });
        }
    }
    let n = cells.len();
    Ok(match (auditor, n) {
        (true, _) => Layout {
            kind: LayoutKind::Auditor,
            columns: n,
            rule: 1,
            asset: 0,
            network: Some(1),
            row_type: None,
            address: 2,
            amount: None,
            message: 5,
            sig1: 3,
            sig2: 4,
            script: 6,
            eoa1: Some(7),
            eoa2: Some(8),
            status: (n == 10).then_some(9),
        },
        (false, 7) => Layout {
            kind: LayoutKind::Detail7,
            columns: 7,
            rule: 0,
            asset: 0,
            network: None,
            row_type: None,
            address: 1,
            amount: Some(2),
            message: 3,
            sig1: 4,
            sig2: 5,
            script: 6,
            eoa1: None,
            eoa2: None,
            status: None,
        },
        (false, 12) => Layout {
            kind: LayoutKind::Detail12,
            columns: 12,
            rule: 0,
            asset: 0,
            network: Some(2),
            row_type: Some(1),
            address: 4,
            amount: Some(5),
            message: 6,
            sig1: 7,
            sig2: 8,
            script: 9,
            eoa1: Some(10),
            eoa2: Some(11),
            status: None,
        },
        (false, n) => Layout {
            kind: if n == 9 {
                LayoutKind::Detail9
            } else {
                LayoutKind::Detail11
            },
            columns: n,
            rule: 0,
            asset: 0,
            network: Some(1),
            row_type: None,
            address: 3,
            amount: Some(4),
            message: 5,
            sig1: 6,
            sig2: 7,
            script: 8,
            eoa1: (n == 11).then_some(9),
            eoa2: (n == 11).then_some(10),
            status: None,
        },
    })
}

/// One row of the summary block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    pub line: u64,
    pub coin: String,
    pub height: String,
    /// The amount as written (trimmed).
    pub amount_text: String,
    pub amount: Amount,
    /// Digits after the point in the file: the precision the block was rounded to.
    pub decimals: u32,
}

/// Parses a summary-block row `coin,snapshot height,amount`.
pub fn parse_summary_row(line_no: u64, line: &str) -> Result<SummaryRow, OkxError> {
    let cells = Cells::split(line);
    if cells.len() != 3 {
        return Err(OkxError::Structure {
            line: line_no,
            reason: format!(
                "a summary row has 3 columns (coin, snapshot height, amount), this one has {}; a blank line must separate the summary block from the detail header",
                cells.len()
            ),
        });
    }
    let amount_text = cells.get(2).trim();
    let (amount, decimals) = Amount::parse_decimal(amount_text).ok_or_else(|| OkxError::Field {
        line: line_no,
        column: 3,
        name: "amount",
        reason: format!("{amount_text:?} is not a non-negative decimal"),
    })?;
    Ok(SummaryRow {
        line: line_no,
        coin: cells.get(0).trim().to_owned(),
        height: cells.get(1).trim().to_owned(),
        amount_text: amount_text.to_owned(),
        amount,
        decimals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_brackets_and_braces_together() {
        let c = Cells::split("a,[b,c],{\"x\":1,\"y\":2},");
        assert_eq!(c.len(), 4);
        assert_eq!(c.get(1), "[b,c]");
        assert_eq!(c.get(2), "{\"x\":1,\"y\":2}");
        assert_eq!(c.opt(Some(3)), None);
    }

    #[test]
    fn absent_spellings() {
        for s in ["", "null", "\\N", "  "] {
            assert_eq!(present(s), None, "{s:?}");
        }
        assert_eq!(present("0x1"), Some("0x1"));
    }
}
