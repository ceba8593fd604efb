//! The page of a verified bundle: every number comes from the verifier's [`Report`] (the same
//! one `--json` prints), the rows from what the verifier handed out.

use super::charts::{self, Bar};
use super::collect::Collected;
use super::diff::Listing;
use super::model::{
    now, plural, tool, Count, Failures, FileProblem, Page, PageOptions, TotalColumns, TotalRow,
    Totals, Verdict,
};
use super::signed::{challenge_facts, header_facts};
use super::{shown, ReportError};
use crate::bundle::Report;
use crate::challenge::Challenge;

/// What a bundle was verified against.
#[derive(Clone, Copy, Debug)]
pub struct BundleSource<'a> {
    pub file: &'a str,
    /// `detected` or `--format`.
    pub format_source: &'static str,
    pub rules: &'a str,
    pub message: &'a str,
    pub challenge_sha256: &'a str,
    pub challenge: Option<&'a Challenge>,
}

fn unit(asset: &str) -> &'static str {
    match asset.split('/').next() {
        Some("bitcoin") => "BTC",
        Some("ethereum") => "ETH",
        _ => "",
    }
}

fn verdict(report: &Report) -> Verdict {
    let failed = report.entries.saturating_sub(report.valid);
    let file_problems = report.failure_count.saturating_sub(failed);
    let counts = vec![
        Count {
            key: "addresses",
            label: "Addresses",
            value: report.entries,
        },
        Count {
            key: "valid",
            label: "Valid",
            value: report.valid,
        },
        Count {
            key: "failed",
            label: "Failed",
            value: failed,
        },
        Count {
            key: "file-problems",
            label: "Problems with the file as a whole",
            value: file_problems,
        },
    ];
    if report.all_valid() {
        return Verdict {
            result: "valid",
            headline: format!(
                "VALID: every one of the {} proved control of its key for this audit",
                plural(report.entries, "address", "addresses")
            ),
            explanation: vec![
                "Each address signed the challenge shown below with its own key(s), and the \
                 file is complete: its footer's count and digest match every line."
                    .into(),
                "The amounts are the custodian's claims. A signature shows who controls an \
                 address, not what it holds: compare the amounts with the blockchain at the \
                 audit's date."
                    .into(),
            ],
            counts,
        };
    }
    let mut explanation = Vec::new();
    if report.entries == 0 {
        explanation.push("The file has no addresses: it proves nothing.".to_owned());
    }
    if failed > 0 {
        explanation.push(format!(
            "{failed} of {} did not prove control of their keys; each is listed under \
             Failures with the reason.",
            plural(report.entries, "address", "addresses")
        ));
    }
    if file_problems > 0 {
        explanation.push(format!(
            "{} the file as a whole (for example another challenge, a missing or \
             wrong footer, or lines that were edited).",
            plural(file_problems, "problem concerns", "problems concern")
        ));
    }
    explanation.push("Do not rely on this file until every problem is resolved.".into());
    Verdict {
        result: "invalid",
        headline: format!(
            "NOT VALID: {} found",
            plural(report.failure_count, "problem", "problems")
        ),
        explanation,
        counts,
    }
}

fn totals(report: &Report) -> Totals {
    let rows = report
        .totals
        .iter()
        .map(|(key, t)| TotalRow {
            asset: shown(key),
            unit: unit(key),
            addresses: t.entries,
            proven: t.valid,
            proven_amount: Some(t.claimed_valid.to_string()),
            failed: t.invalid,
            failed_amount: Some(t.claimed_invalid.to_string()),
            without_amount: t.valid_without_amount,
            ..TotalRow::default()
        })
        .collect();
    Totals {
        columns: TotalColumns {
            without_amount: true,
            ..TotalColumns::default()
        },
        rows,
    }
}

/// The bars of "addresses per scheme": the verifier's per chain/scheme counts.
fn scheme_bars(report: &Report) -> Vec<Bar> {
    report
        .summary
        .iter()
        .map(|(key, c)| Bar {
            label: shown(key),
            values: vec![c.valid as f64, c.invalid as f64],
        })
        .collect()
}

/// Builds the page of a verified bundle. `previous`: last period's listing and file name.
/// What the report says of a file without a seal.
const UNSEALED: &str =
    "none: this file is not sealed, so nothing shows who wrote its claims (amounts, custodian)";

pub fn bundle_page(
    source: &BundleSource<'_>,
    report: &Report,
    collected: Collected,
    previous: Option<(&str, &Listing)>,
    opts: &PageOptions,
) -> Result<Page, ReportError> {
    let totals = totals(report);
    let charts = vec![
        charts::amounts_chart(&totals)?,
        charts::counts_chart(
            "Addresses per chain and scheme",
            &scheme_bars(report),
            &["valid", "failed"],
        )?,
    ];
    let mut notes = Vec::new();
    if report.time_locked > 0 {
        notes.push(format!(
            "{} carry a time lock that holds now (the table's note says which).",
            plural(report.time_locked, "valid entry", "valid entries")
        ));
    }
    let failed_rows = report.entries.saturating_sub(report.valid);
    let file_problems = report
        .failures
        .iter()
        .filter(|f| f.entry.is_none())
        .map(|f| FileProblem {
            line: f.line,
            reason: shown(&f.reason),
        })
        .collect();
    let parts = collected.into_parts(previous, opts);
    Ok(Page {
        kind: "bundle",
        file: shown(source.file),
        format: report.header.as_ref().map_or("porsign bundle".into(), |h| {
            format!("porsign bundle v{}", h.version)
        }),
        format_source: source.format_source,
        rules: shown(source.rules),
        generated_at: now(),
        tool: tool(),
        verdict: verdict(report),
        signed: challenge_facts(source.message, source.challenge_sha256, source.challenge),
        made_by: report.header.as_ref().map(header_facts).unwrap_or_default(),
        seal: match &report.seal {
            crate::bundle::verify::SealStatus::Valid(info) => shown(&format!(
                "sealed by {} ({}): that key signed this file's digest, entry count and challenge",
                info.address, info.network
            )),
            crate::bundle::verify::SealStatus::Invalid { reason } => {
                shown(&format!("INVALID: {reason}"))
            }
            crate::bundle::verify::SealStatus::Unsealed => UNSEALED.to_owned(),
        },
        totals,
        summary_checked: false,
        summary_block: Vec::new(),
        notes,
        failures: Failures {
            file_problems,
            rows: parts.first_failures,
            total_rows: failed_rows,
        },
        charts,
        table: parts.table,
        diff: parts.diff,
        rows: parts.rows,
    })
}
