//! The human report of `porsign verify` on an OKX file: the message line, one line per row that
//! is not plainly proven (as the rows are verified), then the per-coin totals and the verdict.
//! Every string from the file goes through [`Output::line`], which escapes it.

use super::output::Output;
use crate::okx::summary::{CoinStats, SummaryStatus};
use crate::okx::{Report, RowEvent, VerifyOptions};

fn amount_note(amount: Option<&str>) -> String {
    format!("amount {}", amount.unwrap_or("-"))
}

/// Prints one event of the verification, in file order.
pub fn print_event(out: &Output, event: RowEvent<'_>, opts: &VerifyOptions) {
    match event {
        RowEvent::Message {
            message,
            source,
            line,
        } => {
            let from = match (source, line) {
                ("given", _) => "given with --message/--challenge".to_owned(),
                (_, Some(l)) => format!("the file's first row, line {l}"),
                _ => "the file".to_owned(),
            };
            out.line(&format!(
                "message: {message:?} (every row must sign it; from {from})"
            ));
        }
        RowEvent::Failure(f) => out.line(&format!(
            "FAIL line {} {} {}: {}",
            f.line, f.coin, f.address, f.reason
        )),
        // Listed one by one only when they fail the file; accepted, they are totalled.
        RowEvent::OwnerAttested(n) if !opts.accept_owner_attested => out.line(&format!(
            "NOT PROVEN line {} {} {} ({}): {}",
            n.line,
            n.coin,
            n.address,
            amount_note(n.amount.as_deref()),
            n.reason
        )),
        RowEvent::OwnerAttested(_) | RowEvent::Row(_) => {}
        RowEvent::StatusExcluded(n) => out.line(&format!(
            "EXCLUDED line {} {} {} ({}): {}",
            n.line,
            n.coin,
            n.address,
            amount_note(n.amount.as_deref()),
            n.reason
        )),
    }
}

/// `COIN amount, ...` over the coins that have rows of a kind.
fn per_coin(
    coins: &[CoinStats],
    count: impl Fn(&CoinStats) -> u64,
    amount: impl Fn(&CoinStats) -> Option<&str>,
) -> String {
    coins
        .iter()
        .filter(|c| count(c) > 0)
        .map(|c| format!("{} {}", c.coin, amount(c).unwrap_or("(amount unknown)")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_summary_block(out: &Output, report: &Report) {
    for c in report.summary_mismatches() {
        let place = c.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let detail = c.detail_amount.as_deref().unwrap_or("unknown");
        let line = match c.status {
            SummaryStatus::MissingFromSummary => format!(
                "SUMMARY {}: {} detail rows (amount {detail}) but no summary row covers the coin",
                c.coin, c.detail_rows
            ),
            SummaryStatus::UnknownUnit => format!(
                "SUMMARY {}{place}: block says {}, the detail rows' unit is unknown",
                c.coin,
                c.block_amount.as_deref().unwrap_or("")
            ),
            _ => format!(
                "SUMMARY {}{place}: block says {}, the {} detail rows sum to {detail}",
                c.coin,
                c.block_amount.as_deref().unwrap_or(""),
                c.detail_rows
            ),
        };
        out.line(&line);
    }
}

fn print_coins(out: &Output, report: &Report) {
    out.line(&format!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>28} {:>28} {:>28}",
        "coin",
        "rows",
        "proven",
        "owner",
        "failed",
        "excluded",
        "amount (each row once)",
        "proven amount",
        "owner-attested amount"
    ));
    for c in &report.coins {
        out.line(&format!(
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>28} {:>28} {:>28}",
            c.coin,
            c.rows,
            c.proven,
            c.owner_attested,
            c.failed,
            c.status_excluded,
            c.amount.as_deref().unwrap_or("-"),
            c.amount_proven.as_deref().unwrap_or("-"),
            c.amount_owner_attested.as_deref().unwrap_or("-")
        ));
    }
}

fn print_notes(out: &Output, report: &Report) {
    if report.message.is_none() {
        out.line("message: none (no row has a message to check)");
    }
    if let Some(c) = &report.message_conflict {
        out.line(&format!(
            "MESSAGES DIFFER: line {} signs {:?}, but the first row (line {}) signs {:?}: every row of a file must sign one message",
            c.line, c.message, c.first_line, c.first_message
        ));
    }
    if report.duplicates > 0 {
        out.line(&format!(
            "DUPLICATES: {} rows repeat an earlier row's coin and address: they fail, and each address is counted once",
            report.duplicates
        ));
    }
    if report.owner_attested > 0 {
        let amounts = per_coin(
            &report.coins,
            |c| c.owner_attested,
            |c| c.amount_owner_attested.as_deref(),
        );
        print_set_apart(
            out,
            (report.accept_owner_attested, "--accept-owner-attested"),
            &format!(
                "{} rows rest on owner claims ({amounts})",
                report.owner_attested
            ),
            "their signatures prove the owners' keys (eoa1/eoa2, aptos authentication keys), not that the owners control the listed addresses",
        );
    }
    if report.status_excluded > 0 {
        let amounts = per_coin(
            &report.coins,
            |c| c.status_excluded,
            |c| c.amount_status_excluded.as_deref(),
        );
        print_set_apart(
            out,
            (report.accept_status_excluded, "--accept-status-excluded"),
            &format!(
                "{} verified rows are left out by their status column ({amounts})",
                report.status_excluded
            ),
            "okx counts only rows of status 5; they are not counted",
        );
    }
    let accepted_owner = if report.accept_owner_attested {
        report.owner_attested
    } else {
        0
    };
    if report.rows > 0 && report.proven + accepted_owner == 0 {
        out.line("NOTHING PROVEN: no row proves its listed address");
    }
    let omitted = report.failures_omitted
        + report.owner_attested_rows_omitted
        + report.status_excluded_rows_omitted;
    if omitted > 0 {
        out.line(&format!(
            "NOTE: {omitted} more rows are not kept in the report's lists (--max-failures)"
        ));
    }
}

/// A line about rows set apart from the proven ones: accepted by `flag`, or failing the file.
fn print_set_apart(out: &Output, (accepted, flag): (bool, &str), what: &str, why: &str) {
    if accepted {
        out.line(&format!("ACCEPTED ({flag}): {what}; {why}"));
    } else {
        out.line(&format!("NOT ACCEPTED: {what}: {why}; {flag} accepts them"));
    }
}

/// Prints everything after the rows: the summary block's mismatches, the per-coin totals, the
/// notes and the verdict.
pub fn print_report(out: &Output, report: &Report, file: &str) {
    print_summary_block(out, report);
    print_coins(out, report);
    print_notes(out, report);
    let verdict = if report.all_valid() {
        "VALID"
    } else {
        "INVALID"
    };
    out.line(&format!(
        "{verdict}: {file} ({}): {} rows, {} proven, {} owner-attested{}, {} failed, {} status-excluded{}, {} summary mismatches",
        report.layout,
        report.rows,
        report.proven,
        report.owner_attested,
        if report.accept_owner_attested { " (accepted)" } else { "" },
        report.failed,
        report.status_excluded,
        if report.accept_status_excluded { " (accepted)" } else { "" },
        report.summary_mismatches().count()
    ));
}
