//! `porsign verify` on OKX files, `porsign import okx`, `porsign bench verify`: exit codes,
//! output, JSON documents.

use std::path::Path;

use serde_json::Value;

use crate::cli::porsign;
use crate::util::{fixture, shared_file};

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn detected_valid_okx_file_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("okx/layout-9.csv");
    let o = porsign(&["verify", path(&f)], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("VALID"), "{}", out(&o));
    // --format okx forces the reader; --format bundle on a CSV is unusable input.
    let o = porsign(&["verify", "--format", "okx", path(&f)], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let o = porsign(
        &["verify", "--format", "bundle", path(&f), "--message", "x"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn real_2022_file_verifies_like_okx() {
    let Some(f) = shared_file("research/okx/563eaa1/okx_por_example.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(&["verify", path(&f)], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("33 rows, 33 proven, 0 owner-attested, 0 failed"),
        "{}",
        out(&o)
    );
}

#[test]
fn failing_row_exits_1_with_line_coin_address_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("okx/layout-9.csv")).unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        text.replace("ETH,ETH,763861", "FOO,ETH,763861"),
    )
    .unwrap();
    let o = porsign(&["verify", "t.csv"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let s = out(&o);
    assert!(
        s.contains("FAIL line 10 FOO 0xe7d5f0677dbc8f27fe57bc8289c0450abd198533: unknown coin"),
        "{s}"
    );
    // ETH's summary row now covers no rows: reported as a mismatch too.
    assert!(s.contains("SUMMARY ETH"), "{s}");
    assert!(s.contains("INVALID"));
}

#[test]
fn message_flag_sets_the_expected_message() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("okx/layout-9.csv");
    let o = porsign(
        &["verify", path(&f), "--message", "I am an OKX address"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = porsign(
        &["verify", path(&f), "--message", "OKC_DTT_AUP2025"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("is not the expected message"));
}

#[test]
fn json_report_document() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("okx/layout-12-staking.csv");
    // Two rows rest on owner claims: not proven by default (exit 1).
    let o = porsign(&["--json", "verify", path(&f)], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["result"], "invalid");
    assert_eq!(doc["owner_attested_rows"][0]["line"], 6);
    let o = porsign(
        &["--json", "verify", path(&f), "--accept-owner-attested"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["type"], "okx-verify-report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["result"], "valid");
    assert_eq!(doc["layout"], "okx-detail-12");
    assert_eq!(doc["rows"], 3);
    assert_eq!(doc["proven"], 1);
    assert_eq!(doc["owner_attested"], 2);
    assert_eq!(doc["message"], "I am an OKX address");
    assert_eq!(doc["coins"][0]["coin"], "ETH");
    assert_eq!(doc["summary_block"][0]["status"], "match");
}

#[test]
fn unusable_header_exits_2_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("h.csv"),
        "coin,address,amount,message,signature1,signature2,redeem script\nBTC,x,1,m,s,,\n",
    )
    .unwrap();
    let o = porsign(&["verify", "h.csv"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("line 1, column 7"), "{}", err(&o));
}

#[test]
fn import_okx_then_verify_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("okx/layout-9.csv");
    let o = porsign(&["import", "okx", path(&f), "-o", "b.jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let s = out(&o);
    assert!(s.contains("imported 5 of 6 rows"), "{s}");
    assert!(s.contains("tron has no bundle scheme"), "{s}");
    let o = porsign(
        &["verify", "b.jsonl", "--message", "I am an OKX address"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("bitcoin/bip137-multisig"));
    // Never overwrites.
    let o = porsign(&["import", "okx", path(&f), "-o", "b.jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(feature = "emulator")] // `bench` exists only with the feature
#[test]
fn bench_verify_prints_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(&["bench", "verify", "--rows", "2000"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let s = out(&o);
    for needle in [
        "rows: 2000",
        "btc 2-of-3 multisig",
        "time per recovery",
        "bound:",
        "rows/s",
        "ratio to bound",
        "peak RSS",
        "2000 passed, 0 failed, summary matches",
    ] {
        assert!(s.contains(needle), "missing {needle:?} in {s}");
    }
    let o = porsign(&["--json", "bench", "verify", "--rows", "500"], dir.path());
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["type"], "bench-verify-report");
    assert!(doc["rows_per_second"].as_f64().unwrap() > 0.0);
    assert!(doc["secp_ops"].as_u64().unwrap() > 500);
}
