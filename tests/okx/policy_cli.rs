//! Issue 11, items 9-13 through the `porsign` binary: exit codes, the report's first lines,
//! the per-coin columns, the JSON fields, and `import okx`.

use serde_json::Value;

use super::{evm_signed, fixture_lines, join};
use crate::cli::porsign;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) {
    std::fs::write(dir.path().join(name), text).unwrap();
}

/// The layout-9 fixture with its P2WSH row (line 12, 80.21581241 BTC) listed three times and
/// a summary block that agrees with the tripled amount (what OKX's tool would sum).
fn tripled_row() -> String {
    let mut lines = fixture_lines("layout-9.csv");
    lines[1] = "BTC,763861,240.88807426".to_owned();
    let row = lines[11].clone();
    lines.push(row.clone());
    lines.push(row);
    join(&lines)
}

#[test]
fn duplicate_rows_exit_1_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "d.csv", &tripled_row());
    let o = porsign(&["verify", "d.csv"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    for line in [14, 15] {
        assert!(
            s.contains(&format!(
                "FAIL line {line} BTC bc1qxmaqqg9az39uj8pxf6qckqhu2awquhlg24zg4897mv6wnj8aw97svxgu3r: repeats the coin and address of line 12"
            )),
            "{s}"
        );
    }
    // Counted once: the detail rows sum to 80.45644944, not the block's 240.88807426.
    assert!(
        s.contains(
            "SUMMARY BTC (line 2): block says 240.88807426, the 5 detail rows sum to 80.45644944"
        ),
        "{s}"
    );
    assert!(s.contains("DUPLICATES: 2 rows"), "{s}");
}

/// The staking fixture plus ten invented validators "proven" by one EOA signature, 1000 ETH
/// each, with an agreeing summary block.
fn ten_invented_validators() -> String {
    let mut lines = fixture_lines("layout-12-staking.csv");
    let sig = lines[4].split(',').nth(7).unwrap().to_owned();
    for i in 0..10 {
        lines.push(format!(
            "ETH,Native ETH Staking,ETH,20914735,0x{:096x},1000,I am an OKX address,{sig},,,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,",
            i + 1
        ));
    }
    lines[1] = "ETH,-,10064".to_owned();
    join(&lines)
}

#[test]
fn owner_attested_rows_exit_1_unless_accepted_and_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "v.csv", &ten_invented_validators());
    let o = porsign(&["verify", "v.csv"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(
        s.contains("NOT ACCEPTED: 12 rows rest on owner claims (ETH 10064)"),
        "{s}"
    );
    assert!(s.contains("NOT PROVEN line 8 ETH 0x"), "{s}");
    assert!(s.lines().last().unwrap().starts_with("INVALID"), "{s}");
    let o = porsign(&["verify", "v.csv", "--accept-owner-attested"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(0), "{s}");
    assert!(!s.contains("NOT PROVEN"), "{s}");
    // Per-coin columns: rows, proven, owner, failed, excluded, amount, proven, owner-attested.
    let eth: Vec<&str> = s
        .lines()
        .find(|l| l.starts_with("ETH "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        eth,
        [
            "ETH",
            "13",
            "1",
            "12",
            "0",
            "0",
            "10064.058959708849230328",
            "0.058959708849230328",
            "10064"
        ]
    );
    let o = porsign(
        &["--json", "verify", "v.csv", "--accept-owner-attested"],
        dir.path(),
    );
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["result"], "valid");
    assert_eq!(doc["owner_attested"], 12);
    assert_eq!(doc["coins"][0]["amount_proven"], "0.058959708849230328");
    assert_eq!(doc["coins"][0]["amount_owner_attested"], "10064");
}

/// An auditor-layout file with a status column: layout-9's ETH row (status 5) and its TRON
/// row with a corrupted signature (status `status`).
fn auditor_with_status(status: &str, corrupt: bool) -> String {
    let lines = fixture_lines("layout-9.csv");
    let eth: Vec<&str> = lines[9].split(',').collect();
    let trx: Vec<&str> = lines[7].split(',').collect();
    let mut sig = trx[6].to_owned();
    if corrupt {
        sig.replace_range(10..11, if &sig[10..11] == "0" { "1" } else { "0" });
    }
    join(&[
        "digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2,status".to_owned(),
        format!("ETH,ETH,{},{},,{},,,,5", eth[3], eth[6], eth[5]),
        format!("USDT,TRX,{},{sig},,{},,,,{status}", trx[3], trx[5]),
    ])
}

#[test]
fn status_rows_are_verified_and_exclusions_fail_unless_accepted() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "bad.csv", &auditor_with_status("4", true));
    for flags in [&[][..], &["--accept-status-excluded"][..]] {
        let o = porsign(&[&["verify", "bad.csv"][..], flags].concat(), dir.path());
        let s = out(&o);
        assert_eq!(o.status.code(), Some(1), "{flags:?}: {s}");
        assert!(
            s.contains("FAIL line 3 USDT (TRX) TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR"),
            "{s}"
        );
    }
    write(&dir, "ex.csv", &auditor_with_status("4", false));
    let o = porsign(&["verify", "ex.csv"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(
        s.contains("EXCLUDED line 3 USDT (TRX) TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR (amount -): status \"4\""),
        "{s}"
    );
    let o = porsign(
        &["verify", "ex.csv", "--accept-status-excluded"],
        dir.path(),
    );
    let s = out(&o);
    assert_eq!(o.status.code(), Some(0), "{s}");
    assert!(s.contains("EXCLUDED line 3"), "{s}");
}

#[test]
fn mixed_messages_exit_1_and_the_message_is_printed_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = fixture_lines("layout-9.csv");
    let (address, sig) = evm_signed(7, "another message");
    lines.push(format!(
        "ETH-ARBITRUM,ARBITRUM,763861,{address},1,another message,{sig},,"
    ));
    write(&dir, "m.csv", &join(&lines));
    let o = porsign(&["verify", "m.csv", "--no-summary-check"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    let second = s.lines().nth(1).unwrap();
    assert_eq!(
        second,
        "message: \"I am an OKX address\" (every row must sign it; from the file's first row, line 8)"
    );
    assert!(
        s.contains("MESSAGES DIFFER: line 14 signs \"another message\", but the first row (line 8) signs \"I am an OKX address\""),
        "{s}"
    );
    let o = porsign(
        &["--json", "verify", "m.csv", "--no-summary-check"],
        dir.path(),
    );
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["message"], "I am an OKX address");
    assert_eq!(doc["message_conflict"]["line"], 14);
}

#[test]
fn first_line_names_format_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let f = crate::util::fixture("okx/layout-12-staking.csv");
    let f = f.to_str().unwrap();
    let o = porsign(&["verify", f], dir.path());
    assert_eq!(
        out(&o).lines().next().unwrap(),
        "format: OKX proof-of-reserves CSV, 12-column layout; rules: okx, owner-attested rows not accepted, status-excluded rows not accepted"
    );
    let o = porsign(
        &[
            "verify",
            f,
            "--accept-owner-attested",
            "--accept-status-excluded",
        ],
        dir.path(),
    );
    assert_eq!(
        out(&o).lines().next().unwrap(),
        "format: OKX proof-of-reserves CSV, 12-column layout; rules: okx, owner-attested rows accepted, status-excluded rows accepted"
    );
    let o = porsign(&["--json", "verify", f], dir.path());
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["format"], "OKX proof-of-reserves CSV, 12-column layout");
    assert_eq!(
        doc["rules"],
        "okx, owner-attested rows not accepted, status-excluded rows not accepted"
    );
}

#[test]
fn import_skips_repeats_status_exclusions_and_owner_rows() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "d.csv", &tripled_row());
    let o = porsign(&["import", "okx", "d.csv", "-o", "b.jsonl"], dir.path());
    let s = out(&o);
    assert_eq!(o.status.code(), Some(0), "{s}");
    assert!(s.contains("imported 5 of 8 rows"), "{s}");
    assert!(s.contains("DUPLICATE line 14 repeats line 12"), "{s}");
    let bundle = std::fs::read_to_string(dir.path().join("b.jsonl")).unwrap();
    assert_eq!(
        bundle
            .matches("bc1qxmaqqg9az39uj8pxf6qckqhu2awquhlg24zg4897mv6wnj8aw97svxgu3r")
            .count(),
        1
    );
    write(&dir, "ex.csv", &auditor_with_status("4", false));
    let o = porsign(&["import", "okx", "ex.csv", "-o", "e.jsonl"], dir.path());
    let s = out(&o);
    assert!(s.contains("left out by its status"), "{s}");
    let f = crate::util::fixture("okx/layout-12-staking.csv");
    let o = porsign(
        &["import", "okx", f.to_str().unwrap(), "-o", "s.jsonl"],
        dir.path(),
    );
    let s = out(&o);
    assert!(s.contains("imported 1 of 3 rows"), "{s}");
    assert!(s.contains("owner-attested row"), "{s}");
}
