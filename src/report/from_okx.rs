//! The page of a verified OKX file: the numbers come from the verifier's [`Report`] (the same
//! one `--json` prints), with the file's summary block next to the recomputed totals.

use super::charts::{self, Bar};
use super::collect::Collected;
use super::diff::Listing;
use super::model::{
    now, plural, tool, Count, Failures, Page, PageOptions, SummaryRow, TotalColumns, TotalRow,
    Totals, Verdict,
};
use super::rows::RowVerdict;
use super::signed::challenge_facts;
use super::{shown, ReportError};
use crate::okx::amount::Amount;
use crate::okx::summary::{CoinStats, Sum, SummaryStatus};
use crate::okx::Report;

/// What an OKX file was verified against.
#[derive(Clone, Copy, Debug)]
pub struct OkxSource<'a> {
    pub file: &'a str,
    pub format_source: &'static str,
    pub challenge: Option<&'a crate::challenge::Challenge>,
}

/// The claimed amount of the failed rows: every row once minus the rows counted otherwise.
/// Repeats are in neither, so this is exact; None when a sum cannot be stated.
fn failed_amount(c: &CoinStats) -> Option<String> {
    let known = |s: &Sum| (!s.unknown).then_some(s.value);
    if !c.listed.any {
        return None;
    }
    let counted = known(&c.proven_sum)?
        .checked_add(known(&c.owner_sum)?)?
        .checked_add(known(&c.excluded_sum)?)?;
    known(&c.listed)?
        .0
        .checked_sub(counted.0)
        .map(|v| Amount(v).to_string())
}

fn totals(report: &Report) -> Totals {
    let rows = report
        .coins
        .iter()
        .map(|c| TotalRow {
            asset: shown(&c.coin),
            unit: "",
            addresses: c.rows,
            proven: c.proven,
            proven_amount: c.amount_proven.clone(),
            failed: c.failed,
            failed_amount: failed_amount(c),
            owner_attested: c.owner_attested,
            owner_attested_amount: c.amount_owner_attested.clone(),
            status_excluded: c.status_excluded,
            status_excluded_amount: c.amount_status_excluded.clone(),
            listed_amount: c.amount.clone(),
            without_amount: 0,
        })
        .collect();
    Totals {
        columns: TotalColumns {
            owner_attested: true,
            status_excluded: report.status_excluded > 0,
            listed: true,
            without_amount: false,
        },
        rows,
    }
}

fn verdict(report: &Report) -> Verdict {
    let mismatches = report.summary_mismatches().count() as u64;
    let counts = vec![
        Count {
            key: "addresses",
            label: "Rows",
            value: report.rows,
        },
        Count {
            key: "valid",
            label: "Proven",
            value: report.proven,
        },
        Count {
            key: "failed",
            label: "Failed",
            value: report.failed,
        },
        Count {
            key: "not-proven",
            label: "Not proven (owner-attested or left out by status)",
            value: report.owner_attested + report.status_excluded,
        },
        Count {
            key: "summary-mismatches",
            label: "Summary block mismatches",
            value: mismatches,
        },
    ];
    let rows = plural(report.rows, "row", "rows");
    if report.all_valid() {
        let mut explanation = vec![format!(
            "Each of the {rows} proves its address with the address's own key(s) over the \
             message shown below, and the totals agree with the file's summary block."
        )];
        if report.owner_attested > 0 {
            explanation.push(format!(
                "Accepted by --accept-owner-attested: {} rest on owner accounts' signatures, \
                 not on the listed addresses' keys; they are totalled apart.",
                plural(report.owner_attested, "row", "rows")
            ));
        }
        if report.status_excluded > 0 {
            explanation.push(format!(
                "Accepted by --accept-status-excluded: {} left out by their status column.",
                plural(report.status_excluded, "row is", "rows are")
            ));
        }
        explanation.push(
            "The amounts are the exchange's claims: a signature shows who controls an address, \
             not what it holds."
                .into(),
        );
        return Verdict {
            result: "valid",
            headline: format!("VALID: every counted address in the {rows} is proven"),
            explanation,
            counts,
        };
    }
    let mut explanation = Vec::new();
    if report.failed > 0 {
        explanation.push(format!(
            "{} did not prove their addresses (listed under Failures with the reason).",
            plural(report.failed, "row", "rows")
        ));
    }
    if report.unaccepted_owner_attested() > 0 {
        explanation.push(format!(
            "{} rest only on owner accounts' signatures: that the owners control the listed \
             addresses is not shown by the file.",
            plural(report.owner_attested, "row", "rows")
        ));
    }
    if report.unaccepted_status_excluded() > 0 {
        explanation.push(format!(
            "{} left out by their status column.",
            plural(report.status_excluded, "row is", "rows are")
        ));
    }
    if mismatches > 0 {
        explanation.push(format!(
            "The file's summary block disagrees with its rows for {}.",
            plural(mismatches, "coin", "coins")
        ));
    }
    if report.rows > 0 && report.proven == 0 {
        explanation.push("No row proves its listed address.".into());
    }
    explanation.push("Do not rely on this file until every problem is resolved.".into());
    Verdict {
        result: "invalid",
        headline: "NOT VALID: the file does not prove what it claims".into(),
        explanation,
        counts,
    }
}

fn summary_rows(report: &Report) -> Vec<SummaryRow> {
    report
        .summary_block
        .iter()
        .map(|c| SummaryRow {
            coin: shown(&c.coin),
            line: c.line,
            block_amount: c.block_amount.as_deref().map(shown),
            detail_amount: c.detail_amount.clone(),
            detail_rows: c.detail_rows,
            status: match c.status {
                SummaryStatus::Match => "match",
                SummaryStatus::Mismatch => "mismatch",
                SummaryStatus::MissingFromSummary => "missing-from-summary",
                SummaryStatus::UnknownUnit => "unknown-unit",
            },
        })
        .collect()
}

fn notes(report: &Report) -> Vec<String> {
    let mut notes = Vec::new();
    match (&report.message, report.message_source, report.message_line) {
        (None, ..) => notes.push("No row has a message to check.".into()),
        (Some(_), "given", _) => notes.push(
            "Every row had to sign the message given with --message or --challenge.".into(),
        ),
        (Some(_), _, Some(line)) => notes.push(format!(
            "No message was given: every row had to sign the file's first row's message (line {line})."
        )),
        _ => {}
    }
    if let Some(c) = &report.message_conflict {
        notes.push(shown(&format!(
            "Messages differ: line {} signs {:?}, but the first row (line {}) signs {:?}.",
            c.line, c.message, c.first_line, c.first_message
        )));
    }
    if report.duplicates > 0 {
        notes.push(format!(
            "{} repeat an earlier row's coin and address: they fail, and each address is counted once.",
            plural(report.duplicates, "row", "rows")
        ));
    }
    notes
}

/// Builds the page of a verified OKX file.
pub fn okx_page(
    source: &OkxSource<'_>,
    report: &Report,
    collected: Collected,
    previous: Option<(&str, &Listing)>,
    opts: &PageOptions,
) -> Result<Page, ReportError> {
    let totals = totals(report);
    let kind_bars: Vec<Bar> = collected
        .kinds
        .iter()
        .map(|(kind, by)| Bar {
            label: kind.clone(),
            values: RowVerdict::ALL
                .iter()
                .map(|v| by.get(v).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect();
    let charts = vec![
        charts::amounts_chart(&totals)?,
        charts::counts_chart(
            "Rows per kind of proof",
            &kind_bars,
            &RowVerdict::ALL.map(RowVerdict::as_str),
        )?,
    ];
    let message = report.message.clone().unwrap_or_default();
    let sha = crate::bundle::verify::sha256_hex(&message);
    let parts = collected.into_parts(previous, opts);
    Ok(Page {
        kind: "okx",
        file: shown(source.file),
        format: shown(&report.format),
        format_source: source.format_source,
        rules: shown(&report.rules),
        generated_at: now(),
        tool: tool(),
        verdict: verdict(report),
        signed: challenge_facts(&message, &sha, source.challenge),
        made_by: Vec::new(),
        seal: "none: OKX files carry no seal, so nothing shows who wrote their claims (amounts)"
            .to_owned(),
        totals,
        summary_checked: report.summary_checked,
        summary_block: summary_rows(report),
        notes: notes(report),
        failures: Failures {
            file_problems: Vec::new(),
            rows: parts.first_failures,
            total_rows: report.failed + report.owner_attested + report.status_excluded,
        },
        charts,
        table: parts.table,
        diff: parts.diff,
        rows: parts.rows,
    })
}
