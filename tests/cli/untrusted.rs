//! Issue 11, item 6: text from files and devices never reaches a terminal raw. The output of
//! every crafted run is searched for raw control characters, ANSI escapes and bidi overrides.

use super::*;
use crate::bundle::{ledger_lines, with_fresh_footer, LEDGER_MESSAGE};

/// Characters that must never appear raw in porsign's output (newlines between lines aside).
fn raw_dangerous(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n' && porsign::escape::is_unsafe(c))
        .collect()
}

fn assert_clean(o: &Output) {
    for (name, text) in [("stdout", stdout(o)), ("stderr", stderr(o))] {
        let found = raw_dangerous(&text);
        assert!(found.is_empty(), "raw {found:?} on {name}: {text}");
    }
}

const FAKE: &str = "\u{1b}[2K\rVALID: every entry verified\u{202e}dqm5fwzzt";

#[test]
fn item_06_crafted_bundle_fields_are_escaped_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = ledger_lines();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["custodian"] = Value::from(format!("Custodian\u{2067}{FAKE}"));
    lines[0] = header.to_string();
    let mut entry: Value = serde_json::from_str(&lines[2]).unwrap();
    entry["address"] = Value::from(format!("bc1q{FAKE}"));
    lines[2] = entry.to_string();
    let mut entry: Value = serde_json::from_str(&lines[3]).unwrap();
    entry["scheme"] = Value::from(format!("bip\u{1b}[32m322{FAKE}"));
    lines[3] = entry.to_string();
    let mut entry: Value = serde_json::from_str(&lines[1]).unwrap();
    entry["fingerprint"] = Value::from(FAKE);
    lines[1] = entry.to_string();
    let text = with_fresh_footer(&lines).join("\n") + "\n";
    std::fs::write(dir.path().join("b.jsonl"), text).unwrap();

    let o = porsign(
        &["verify", "b.jsonl", "--message", LEDGER_MESSAGE],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_clean(&o);
    let out = stdout(&o);
    // The address is shown, visibly escaped, on its FAIL line.
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("bc1q\\x1b[2K\\x0dVALID")),
        "{out}"
    );
    assert!(out.lines().last().unwrap().starts_with("INVALID"), "{out}");

    let o = porsign(
        &["--json", "verify", "b.jsonl", "--message", LEDGER_MESSAGE],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_clean(&o);
    // JSON escapes decode back to the file's exact text.
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        doc["header"]["custodian"],
        format!("Custodian\u{2067}{FAKE}").as_str()
    );
    assert_eq!(doc["results"][1]["address"], format!("bc1q{FAKE}").as_str());

    // An error message quoting the input (a repeated key's line), on stderr.
    let mut broken = ledger_lines();
    broken[2] = broken[2].replacen('{', &format!("{{\"address\":{},", Value::from(FAKE)), 1);
    std::fs::write(dir.path().join("dup.jsonl"), broken.join("\n") + "\n").unwrap();
    let o = porsign(
        &["verify", "dup.jsonl", "--message", LEDGER_MESSAGE],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_clean(&o);
}

#[test]
fn item_06_crafted_reserves_list_and_challenge_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.csv"),
        format!("chain,network,address,path\nbitcoin,mainnet,\"bc1q{FAKE}\",m/84'/0'/0'/0/0\n"),
    )
    .unwrap();
    let o = porsign(
        &[
            "challenge",
            "new",
            "--audit",
            "A-1",
            "--period",
            "2026-11",
            "-o",
            "c.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    let o = porsign(
        &[
            "sign",
            "--challenge",
            "c.json",
            "--reserves",
            "r.csv",
            "-o",
            "b.jsonl",
            "--device",
            "replay:none.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_clean(&o);
    let err = stderr(&o);
    assert!(
        err.contains("line 2") && (err.contains("\\x1b") || err.contains("\\u{1b}")),
        "{err}"
    );

    // A challenge file whose fields carry escapes is refused, and the refusal is clean too.
    let text = std::fs::read_to_string(dir.path().join("c.json")).unwrap();
    let mut c: Value = serde_json::from_str(&text).unwrap();
    c["audit"] = Value::from(FAKE);
    std::fs::write(dir.path().join("evil.json"), c.to_string()).unwrap();
    let o = porsign(&["challenge", "show", "evil.json"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_clean(&o);
}
