//! Every OKX layout from our fixtures: 9 columns with `\N`/`null` absents, the 12-column
//! staking layout, the header's stray spaces, and unusable headers.

use std::io::Cursor;

use porsign::okx::{verify_stream, OkxError, RowFailure, VerifyOptions};

use super::{failure_at, fixture_text, run};

#[test]
fn nine_column_layout_with_absent_spellings_verifies() {
    let r = run(&fixture_text("layout-9.csv"));
    assert_eq!(r.layout, "okx-detail-9");
    assert_eq!((r.rows, r.proven, r.failed), (6, 6, 0), "{:?}", r.failures);
    assert_eq!(r.summary_mismatches().count(), 0, "{:?}", r.summary_block);
    assert!(r.all_valid());
}

#[test]
fn eleven_column_header_with_leading_spaces_is_read() {
    let text = fixture_text("layout-9.csv").replace(
        "redeem script/ public key\n",
        "redeem script/ public key, eoa1, eoa2\n",
    );
    let r = run(&text);
    assert_eq!(r.layout, "okx-detail-11");
    assert_eq!(r.proven, 6);
}

#[test]
fn twelve_column_staking_layout() {
    let r = run(&fixture_text("layout-12-staking.csv"));
    assert_eq!(r.layout, "okx-detail-12");
    assert_eq!(r.format, "OKX proof-of-reserves CSV, 12-column layout");
    assert_eq!((r.rows, r.proven, r.failed), (3, 1, 0), "{:?}", r.failures);
    // Native staking (eoa1) and Eigenlayer (eoa1, and eoa2's filled signature2) are owner
    // proofs: not proven by default, so the file fails.
    assert_eq!(r.owner_attested, 2);
    assert!(!r.all_valid());
    // Accepted, the file is valid; the summary's 64 ETH matches 64.06 at its printed
    // precision, and the owner-attested 64 ETH stay apart from the proven 0.0589....
    let r = super::run_with(
        &fixture_text("layout-12-staking.csv"),
        &VerifyOptions {
            accept_owner_attested: true,
            ..VerifyOptions::default()
        },
    );
    assert!(r.all_valid(), "{:?}", r.summary_block);
    let eth = &r.coins[0];
    assert_eq!(eth.amount.as_deref(), Some("64.058959708849230328"));
    assert_eq!(eth.amount_proven.as_deref(), Some("0.058959708849230328"));
    assert_eq!(eth.amount_owner_attested.as_deref(), Some("64"));
}

#[test]
fn staking_row_needs_a_validator_key_as_address() {
    let text = fixture_text("layout-12-staking.csv").replace(
        "0xa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
        "0xa5a5",
    );
    let r = run(&text);
    assert!(matches!(
        failure_at(&r, 6),
        Some(RowFailure::Address { .. })
    ));
}

#[test]
fn unknown_header_is_unusable_naming_line_and_column() {
    let text = fixture_text("layout-9.csv").replace(
        "Snapshot Height,address,amount",
        "Snapshot Height,address,amt",
    );
    let err = verify_stream(
        Cursor::new(text.into_bytes()),
        &VerifyOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    match err {
        OkxError::Header { line, column, .. } => assert_eq!((line, column), (7, 5)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_blank_lines_or_no_detail_header_are_unusable() {
    let text = fixture_text("layout-9.csv").replacen("\n\n", "\n\n\n", 1);
    let err = verify_stream(
        Cursor::new(text.into_bytes()),
        &VerifyOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(err, OkxError::Structure { line: 7, .. }),
        "{err:?}"
    );
    let err = verify_stream(
        Cursor::new(b"coin,snapshot height,amount\nBTC,1,2\n".to_vec()),
        &VerifyOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, OkxError::Structure { .. }), "{err:?}");
}

#[test]
fn a_row_with_too_many_columns_fails_alone() {
    let text = fixture_text("layout-9.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[9].push_str(",extra");
    let r = run(&(lines.join("\n") + "\n"));
    assert!(matches!(
        failure_at(&r, 10),
        Some(RowFailure::ColumnCount {
            found: 10,
            expected: 9
        })
    ));
    assert_eq!(r.proven, 5);
}

#[test]
fn summary_block_mismatch_is_reported_and_can_be_skipped() {
    let text =
        fixture_text("layout-9.csv").replace("BTC,763861,80.45644944", "BTC,763861,81.45644944");
    let r = run(&text);
    assert_eq!(r.failed, 0);
    let bad: Vec<_> = r.summary_mismatches().map(|c| c.coin.clone()).collect();
    assert_eq!(bad, ["BTC"]);
    assert!(!r.all_valid());
    let r = super::run_with(
        &text,
        &VerifyOptions {
            check_summary: false,
            ..VerifyOptions::default()
        },
    );
    assert!(r.all_valid());
}

#[test]
fn small_batches_keep_file_order() {
    // Three failing rows across batches of two: reported in line order (checked in run_with).
    let text = fixture_text("layout-9.csv").replace("I am an OKX address", "another message");
    let r = super::run_with(
        &text,
        &VerifyOptions {
            batch_rows: 2,
            expected_message: Some("I am an OKX address".into()),
            ..VerifyOptions::default()
        },
    );
    let lines: Vec<u64> = r.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [8, 9, 10, 11, 12, 13]);
}
