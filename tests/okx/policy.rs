//! Issue 11, items 10-13 at the library level: owner-attested rows are not proven unless
//! accepted, a status column never hides a failure and its exclusions fail unless accepted,
//! one message per file, and the report names the format and rules applied.

use porsign::okx::{MessageRule, RowEvent, RowFailure, VerifyOptions};

use super::{evm_signed, failure_at, fixture_lines, join, run, run_with};

/// The 12-column staking fixture's EOA owner (line 5's own address) and its signature.
const OWNER: &str = "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e";

/// The staking fixture plus `n` invented validators "proven" by the owner's one signature,
/// 1000 ETH each, with a summary block that agrees.
fn invented_validators(n: usize) -> String {
    let mut lines = fixture_lines("layout-12-staking.csv");
    let sig = lines[4].split(',').nth(7).unwrap().to_owned();
    for i in 0..n {
        lines.push(format!(
            "ETH,Native ETH Staking,ETH,20914735,0x{:096x},1000,I am an OKX address,{sig},,,{OWNER},",
            i + 1
        ));
    }
    lines[1] = format!("ETH,-,{}", 64 + 1000 * n);
    join(&lines)
}

#[test]
fn owner_signatures_do_not_prove_validators_by_default() {
    let r = run(&invented_validators(10));
    assert_eq!(
        (r.rows, r.proven, r.owner_attested, r.failed),
        (13, 1, 12, 0)
    );
    assert!(!r.all_valid());
    assert_eq!(r.owner_attested_rows.len(), 12);
    assert_eq!(r.owner_attested_rows[2].line, 8);
    assert_eq!(r.owner_attested_rows[2].amount.as_deref(), Some("1000"));
    let eth = &r.coins[0];
    assert_eq!(eth.amount_proven.as_deref(), Some("0.058959708849230328"));
    assert_eq!(eth.amount_owner_attested.as_deref(), Some("10064"));
    assert_eq!(
        r.rules,
        "okx, owner-attested rows not accepted, status-excluded rows not accepted"
    );
}

#[test]
fn accepted_owner_rows_pass_but_stay_totalled_apart() {
    let r = run_with(
        &invented_validators(10),
        &VerifyOptions {
            accept_owner_attested: true,
            ..VerifyOptions::default()
        },
    );
    assert!(r.all_valid(), "{:?}", r.summary_block);
    assert_eq!(r.proven, 1);
    let eth = &r.coins[0];
    assert_eq!(eth.amount.as_deref(), Some("10064.058959708849230328"));
    assert_eq!(eth.amount_proven.as_deref(), Some("0.058959708849230328"));
    assert_eq!(eth.amount_owner_attested.as_deref(), Some("10064"));
    assert!(r.rules.contains("owner-attested rows accepted"));
}

#[test]
fn a_file_of_owner_rows_alone_proves_nothing_without_the_flag() {
    let mut lines = fixture_lines("layout-12-staking.csv");
    lines.remove(4);
    let r = run_with(
        &join(&lines),
        &VerifyOptions {
            check_summary: false,
            ..VerifyOptions::default()
        },
    );
    assert_eq!((r.proven, r.owner_attested), (0, 2));
    assert!(!r.all_valid());
}

/// An auditor-layout file of real rows (layout-9's ETH, BTC P2WSH and TRON rows re-laid) with
/// a status column.
fn auditor_file(statuses: [&str; 3], corrupt_tron: bool) -> String {
    let lines = fixture_lines("layout-9.csv");
    let cells = |n: usize| -> Vec<String> { lines[n - 1].split(',').map(str::to_owned).collect() };
    let mut out = vec![
        "digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2,status"
            .to_owned(),
    ];
    for (n, (asset, network), status) in [
        (10, ("ETH", "ETH"), statuses[0]),
        (12, ("BTC", "BTC"), statuses[1]),
        (8, ("USDT", "TRX"), statuses[2]),
    ] {
        let c = cells(n);
        let mut sig1 = c[6].clone();
        if corrupt_tron && network == "TRX" {
            sig1.replace_range(10..11, if &sig1[10..11] == "0" { "1" } else { "0" });
        }
        let sig2 = if c[7] == "\\N" || c[7] == "null" {
            String::new()
        } else {
            c[7].clone()
        };
        let script = if c[8] == "\\N" || c[8] == "null" {
            String::new()
        } else {
            c[8].clone()
        };
        out.push(format!(
            "{asset},{network},{},{sig1},{sig2},{},{script},,,{status}",
            c[3], c[5]
        ));
    }
    join(&out)
}

#[test]
fn a_status_never_hides_a_failure() {
    let r = run(&auditor_file(["5", "5", "4"], true));
    assert_eq!(
        r.format,
        "OKX auditor CSV (digitalAsset,network,...), 10-column layout with status"
    );
    assert_eq!(
        (r.rows, r.proven, r.failed, r.status_excluded),
        (3, 2, 1, 0)
    );
    assert!(matches!(
        failure_at(&r, 4),
        Some(RowFailure::KeyMismatch { .. } | RowFailure::Signature { .. })
    ));
    assert!(!r.all_valid());
    // Accepting exclusions changes nothing for a failed row.
    let r = run_with(
        &auditor_file(["5", "5", "4"], true),
        &VerifyOptions {
            accept_status_excluded: true,
            ..VerifyOptions::default()
        },
    );
    assert!(!r.all_valid());
}

#[test]
fn a_status_exclusion_is_reported_and_fails_unless_accepted() {
    let text = auditor_file(["5", "4", "5"], false);
    let mut events = Vec::new();
    let r = porsign::okx::verify_stream(
        std::io::Cursor::new(text.clone().into_bytes()),
        &VerifyOptions::default(),
        &mut |e| {
            if let RowEvent::StatusExcluded(n) = e {
                events.push((n.line, n.coin.clone(), n.address.clone()));
            }
        },
    )
    .unwrap();
    assert_eq!((r.proven, r.failed, r.status_excluded), (2, 0, 1));
    assert_eq!(
        events,
        [(
            3,
            "BTC (BTC)".to_owned(),
            "bc1qxmaqqg9az39uj8pxf6qckqhu2awquhlg24zg4897mv6wnj8aw97svxgu3r".to_owned()
        )]
    );
    assert!(r.status_excluded_rows[0].reason.contains("status \"4\""));
    assert!(!r.all_valid());
    let r = run_with(
        &text,
        &VerifyOptions {
            accept_status_excluded: true,
            ..VerifyOptions::default()
        },
    );
    assert!(r.all_valid());
    assert_eq!(r.coins.iter().map(|c| c.proven).sum::<u64>(), 2);
}

#[test]
fn one_message_per_file_without_message_flag() {
    // A row of ours, validly signed over another message, appended to real rows.
    let mut lines = fixture_lines("layout-9.csv");
    let (address, sig) = evm_signed(7, "I am not an OKX address");
    lines.push(format!(
        "ETH-ARBITRUM,ARBITRUM,763861,{address},1,I am not an OKX address,{sig},,"
    ));
    let opts = VerifyOptions {
        check_summary: false,
        ..VerifyOptions::default()
    };
    let r = run_with(&join(&lines), &opts);
    assert_eq!(r.message.as_deref(), Some("I am an OKX address"));
    assert_eq!((r.message_source, r.message_line), ("first-row", Some(8)));
    assert_eq!(
        failure_at(&r, 14),
        Some(&RowFailure::MixedMessages {
            first_line: 8,
            first: "I am an OKX address".into(),
            found: "I am not an OKX address".into()
        })
    );
    let c = r.message_conflict.as_ref().unwrap();
    assert_eq!((c.line, c.first_line), (14, 8));
    assert!(!r.all_valid());
    // The row itself is sound: as the only row, it verifies.
    let mut alone = lines[..7].to_vec();
    alone.push(lines[13].clone());
    let r = run_with(&join(&alone), &opts);
    assert!(r.all_valid(), "{:?}", r.failures);
    assert_eq!(r.message.as_deref(), Some("I am not an OKX address"));
}

#[test]
fn the_first_row_with_a_message_sets_it() {
    // A broken first row (too few columns) does not set the message; it fails on its own.
    let mut lines = fixture_lines("layout-9.csv");
    lines.insert(7, "BTC,BTC,1,x".to_owned());
    let r = run_with(
        &join(&lines),
        &VerifyOptions {
            check_summary: false,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.message_line, Some(9));
    assert_eq!((r.proven, r.failed), (6, 1));
}

#[test]
fn a_given_message_is_the_rule() {
    let lines = fixture_lines("layout-9.csv");
    let r = run_with(
        &join(&lines),
        &VerifyOptions {
            expected_message: Some("I am an OKX address".into()),
            ..VerifyOptions::default()
        },
    );
    assert!(r.all_valid());
    assert_eq!((r.message_source, r.message_line), ("given", None));
    let v = porsign::okx::Verifier::with_rule(MessageRule::Given("x".into()));
    assert_eq!(v.expected(), Some("x"));
}
