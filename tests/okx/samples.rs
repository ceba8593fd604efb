//! Known answers from OKX's own sample files (read from ../shared/research/okx, never copied):
//! porsign passes what OKX's tool passes, except where OKX is wrong or cannot bind a key to
//! the address; each such row is asserted here with its reason.

use porsign::okx::{Proof, RowFailure, VerifyOptions};

use super::{failure_at, run, run_with};
use crate::util::shared_file;

fn shared_text(rel: &str) -> Option<String> {
    Some(std::fs::read_to_string(shared_file(rel)?).expect("readable"))
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn okx_2022_file_all_33_rows_and_summary_verify() {
    let Some(text) = shared_text("research/okx/563eaa1/okx_por_example.csv") else {
        return;
    };
    let r = run(&text);
    assert_eq!(r.layout, "okx-detail-7");
    assert_eq!(
        (r.rows, r.proven, r.failed),
        (33, 33, 0),
        "{:?}",
        r.failures
    );
    // Amounts are base units in 2022: summed in main units they match the summary block.
    assert_eq!(r.summary_mismatches().count(), 0, "{:?}", r.summary_block);
    let btc = r.coins.iter().find(|c| c.coin == "BTC").unwrap();
    assert_eq!((btc.rows, btc.multisig), (9, 9));
    assert_eq!(btc.amount.as_deref(), Some("449.51400581"));
    assert!(r.all_valid());
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn okx_current_example_rows_and_documented_differences() {
    let Some(text) = shared_text("research/okx/okx_por_example.csv") else {
        return;
    };
    let r = run(&text);
    assert_eq!(r.layout, "okx-detail-11");
    assert_eq!(r.rows, 5);
    // Lines 16-18: ETH; 18 is a contract proven by its two EOA owners.
    for line in [16, 17, 18] {
        assert!(
            failure_at(&r, line).is_none(),
            "line {line}: {:?}",
            failure_at(&r, line)
        );
    }
    assert_eq!(r.owner_attested, 2);
    let owner_lines: Vec<u64> = r.owner_attested_rows.iter().map(|n| n.line).collect();
    assert_eq!(owner_lines, [18, 20]);
    // Line 19, USDT-TON: a highload v3 wallet of the listed key.
    assert!(failure_at(&r, 19).is_none(), "{:?}", failure_at(&r, 19));
    // Line 20, APTOS with a rotated key: the key is bound to eoa1 (the auth key).
    assert!(failure_at(&r, 20).is_none());
    // OKX's example keeps the 2022 summary block above new detail rows: they disagree.
    assert!(r.summary_mismatches().count() > 0);
    let no_summary = VerifyOptions {
        check_summary: false,
        ..VerifyOptions::default()
    };
    let r = run_with(&text, &no_summary);
    assert_eq!((r.proven, r.owner_attested, r.failed), (3, 2, 0));
    // The two owner rows are not proven by default; accepted, the file is valid.
    assert!(!r.all_valid());
    let r = run_with(
        &text,
        &VerifyOptions {
            accept_owner_attested: true,
            ..no_summary
        },
    );
    assert!(r.all_valid());
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn okx_auditor_file_binds_dot_ada_doge_btc_and_fails_closed_on_eos_and_stark() {
    let Some(text) = shared_text("research/okx/test.csv") else {
        return;
    };
    let r = run(&text);
    assert_eq!(r.layout, "okx-auditor");
    assert_eq!(r.rows, 9);
    for line in [2, 4, 5, 6, 7, 8, 9] {
        assert!(
            failure_at(&r, line).is_none(),
            "line {line}: {:?}",
            failure_at(&r, line)
        );
    }
    // STARKNET: the Stark-curve scheme is not implemented (OKX passes it).
    assert!(matches!(
        failure_at(&r, 3),
        Some(RowFailure::UnsupportedCoin { .. })
    ));
    // EOS: the signature recovers the listed key, but an account name is not bound to a key.
    assert!(matches!(
        failure_at(&r, 10),
        Some(RowFailure::Unbound { .. })
    ));
    let multisig: u64 = r.coins.iter().map(|c| c.multisig).sum();
    assert_eq!(multisig, 2, "BTC P2WSH and DOGE P2SH are 2-of-3");
    // The per-audit challenge is enforced when given.
    let r = run_with(
        &text,
        &VerifyOptions {
            expected_message: Some("OKC_DTT_AUP2025".into()),
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.proven, 7);
    let r = run_with(
        &text,
        &VerifyOptions {
            expected_message: Some("I am an OKX address".into()),
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.proven, 0);
    assert!(matches!(
        failure_at(&r, 2),
        Some(RowFailure::MessageMismatch { .. })
    ));
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn proof_kinds_are_reported() {
    let Some(text) = shared_text("research/okx/okx_por_example.csv") else {
        return;
    };
    let v = porsign::okx::Verifier::new(None, "I am an OKX address");
    let line = text.lines().nth(17).unwrap();
    let cells = porsign::okx::csv::Cells::split(line);
    let layout = porsign::okx::csv::detect_layout(15, text.lines().nth(14).unwrap()).unwrap();
    let row = porsign::okx::outcome::row_input(&layout, &cells);
    assert_eq!(v.verify(&row), Ok(Proof::Owners(2)));
}
