//! Issue 11, item 9: a repeated (coin, address) fails, naming both lines, and is counted once.
//! Rows are real OKX rows (fixtures/okx/layout-9.csv): line 8 USDT-TRC20, 9 BTC 2-of-3 P2SH,
//! 10 ETH, 11 ETH-OPTIMISM, 12 BTC 2-of-3 P2WSH (80.21581241 BTC), 13 BTC 2-of-3 P2SH.

use porsign::okx::{RowFailure, VerifyOptions};

use super::{failure_at, fixture_lines, join, run, run_with};

/// Column indexes of the 9-column layout.
const COIN: usize = 0;
const ADDRESS: usize = 3;

/// Line `line` (1-based) of the 9-column fixture with a change to its cells.
fn copy_of(lines: &[String], line: usize, f: impl Fn(&mut Vec<String>)) -> String {
    let mut cells: Vec<String> = lines[line - 1].split(',').map(str::to_owned).collect();
    f(&mut cells);
    cells.join(",")
}

fn no_summary() -> VerifyOptions {
    VerifyOptions {
        check_summary: false,
        ..VerifyOptions::default()
    }
}

#[test]
fn a_row_listed_three_times_fails_twice_and_counts_once() {
    let mut lines = fixture_lines("layout-9.csv");
    let p2wsh = lines[11].clone();
    lines.push(p2wsh.clone());
    lines.push(p2wsh);
    let r = run(&join(&lines));
    assert_eq!((r.rows, r.proven, r.failed, r.duplicates), (8, 6, 2, 2));
    for line in [14, 15] {
        assert_eq!(
            failure_at(&r, line),
            Some(&RowFailure::Duplicate { first_line: 12 }),
            "line {line}"
        );
    }
    let reason = &r.failures[0].reason;
    assert!(reason.contains("line 12"), "{reason}");
    // Counted once: the BTC total is the summary block's 80.45644944, not 240.89...
    let btc = r.coins.iter().find(|c| c.coin == "BTC").unwrap();
    assert_eq!(btc.amount.as_deref(), Some("80.45644944"));
    assert_eq!(btc.amount_proven.as_deref(), Some("80.45644944"));
    assert_eq!((btc.rows, btc.proven, btc.duplicates), (5, 3, 2));
    assert_eq!(r.summary_mismatches().count(), 0, "{:?}", r.summary_block);
    assert!(!r.all_valid());
}

#[test]
fn a_summary_block_inflated_to_match_the_repeats_no_longer_matches() {
    // The repeats' amounts are not added: a summary block written to agree with them (here
    // the P2WSH row's 80.21581241 counted three times) is now a mismatch as well.
    let mut lines = fixture_lines("layout-9.csv");
    lines[1] = "BTC,763861,240.88807426".to_owned();
    let p2wsh = lines[11].clone();
    lines.push(p2wsh.clone());
    lines.push(p2wsh);
    let r = run(&join(&lines));
    let bad: Vec<_> = r.summary_mismatches().map(|c| c.coin.as_str()).collect();
    assert_eq!(bad, ["BTC"]);
    assert_eq!(r.duplicates, 2);
}

#[test]
fn other_spellings_of_one_address_are_the_same_address() {
    let mut lines = fixture_lines("layout-9.csv");
    let eip55 = porsign::scheme::EthAddress(
        lines[9]
            .split(',')
            .nth(ADDRESS)
            .unwrap()
            .parse::<porsign::scheme::EthAddress>()
            .unwrap()
            .0,
    )
    .to_string();
    assert_ne!(eip55, "0xe7d5f0677dbc8f27fe57bc8289c0450abd198533");
    let variants = [
        // bech32 in upper case (a valid spelling of the same P2WSH address).
        (
            12,
            copy_of(&lines, 12, |c| c[ADDRESS] = c[ADDRESS].to_uppercase()),
        ),
        // EIP-55 mixed case.
        (10, copy_of(&lines, 10, |c| c[ADDRESS] = eip55.clone())),
        // The coin in lower case (OKX upper-cases it).
        (9, copy_of(&lines, 9, |c| c[COIN] = "btc".to_owned())),
        // TRON base58, as written.
        (8, copy_of(&lines, 8, |_| {})),
    ];
    for (_, v) in &variants {
        lines.push(v.clone());
    }
    let r = run_with(&join(&lines), &no_summary());
    for (i, (first_line, _)) in variants.iter().enumerate() {
        let line = 14 + i as u64;
        assert_eq!(
            failure_at(&r, line),
            Some(&RowFailure::Duplicate {
                first_line: *first_line as u64
            }),
            "line {line}"
        );
    }
    assert_eq!((r.proven, r.duplicates), (6, 4));
}

#[test]
fn base58_case_is_part_of_the_address() {
    // Lower-casing a TRON address makes another string (which does not decode): not a
    // duplicate of the original, and a failure of its own.
    let mut lines = fixture_lines("layout-9.csv");
    lines.push(copy_of(&lines, 8, |c| {
        c[ADDRESS] = c[ADDRESS].to_lowercase()
    }));
    let r = run_with(&join(&lines), &no_summary());
    assert!(matches!(
        failure_at(&r, 14),
        Some(RowFailure::Address { .. })
    ));
    assert_eq!(r.duplicates, 0);
}

#[test]
fn one_address_under_two_coins_is_two_rows_but_a_coin_alias_is_the_same_coin() {
    // An EVM key holds ETH on several chains: ETH and ETH-ARBITRUM at one address are two
    // balances. ETH_ARBITRUM is OKX's other spelling of ETH-ARBITRUM: the same coin.
    let mut lines = fixture_lines("layout-9.csv");
    lines.push(copy_of(&lines, 10, |c| c[COIN] = "ETH-ARBITRUM".to_owned()));
    lines.push(copy_of(&lines, 10, |c| c[COIN] = "ETH_ARBITRUM".to_owned()));
    let r = run_with(&join(&lines), &no_summary());
    assert!(failure_at(&r, 14).is_none(), "{:?}", failure_at(&r, 14));
    assert_eq!(
        failure_at(&r, 15),
        Some(&RowFailure::Duplicate { first_line: 14 })
    );
}

#[test]
fn owner_rows_key_on_the_listed_address_not_on_the_owner() {
    // Both staking rows share their owner eoa1: not duplicates. The same validator listed
    // again is one.
    let mut lines = fixture_lines("layout-12-staking.csv");
    lines.push(lines[5].clone());
    let r = run_with(
        &join(&lines),
        &VerifyOptions {
            accept_owner_attested: true,
            check_summary: false,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.failed, 1, "{:?}", r.failures);
    assert_eq!(
        failure_at(&r, 8),
        Some(&RowFailure::Duplicate { first_line: 6 })
    );
    let eth = &r.coins[0];
    assert_eq!(eth.amount_owner_attested.as_deref(), Some("64"));
}

#[test]
fn a_repeat_of_a_failed_row_is_not_counted_either() {
    let mut lines = fixture_lines("layout-9.csv");
    lines[11] = copy_of(&lines, 12, |c| c[6] = c[7].clone());
    lines.push(lines[11].clone());
    let r = run(&join(&lines));
    // Line 12 fails (a duplicated signer); its repeat fails too and adds no amount.
    assert!(matches!(
        failure_at(&r, 12),
        Some(RowFailure::DuplicateSigner { .. })
    ));
    assert!(failure_at(&r, 14).is_some());
    assert_eq!(r.duplicates, 1);
    let btc = r.coins.iter().find(|c| c.coin == "BTC").unwrap();
    assert_eq!(btc.amount.as_deref(), Some("80.45644944"));
    assert_eq!(btc.amount_proven.as_deref(), Some("0.24063703"));
}
