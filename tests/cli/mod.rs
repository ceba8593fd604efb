//! The `porsign` binary end to end: exit codes, where output goes, `--json` documents.
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::util::fixture;

mod untrusted;

pub fn porsign(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porsign"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("porsign runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn challenge_new_then_show() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(
        &[
            "challenge",
            "new",
            "--audit",
            "AUD-7",
            "--period",
            "2026-11",
            "--auditor",
            "Example LLP",
            "-o",
            "c.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("audit=AUD-7 period=2026-11 auditor=Example LLP nonce="));
    let o = porsign(&["--json", "challenge", "show", "c.json"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["type"], "challenge");
    assert_eq!(doc["schema_version"], 1);
    let message = doc["message"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(
        doc["sha256"],
        hex::encode(sha2::Sha256::digest(message.as_bytes()))
    );
    // Never overwritten.
    let again = porsign(
        &[
            "challenge",
            "new",
            "--audit",
            "X",
            "--period",
            "2026-11",
            "-o",
            "c.json",
        ],
        dir.path(),
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("c.json"));
}

#[test]
fn challenge_new_rejects_bad_period_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(
        &["challenge", "new", "--audit", "A", "--period", "2026-1"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("period"), "{}", stderr(&o));
    assert!(!dir.path().join("challenge.json").exists());
}

#[test]
fn verify_valid_bundle_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture("bundles/ledger-speculos.jsonl");
    let o = porsign(
        &[
            "verify",
            bundle.to_str().unwrap(),
            "--message",
            "porsign test challenge",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("VALID"), "{out}");
    assert!(out.contains("bitcoin/bip137-multisig"));
    assert!(!out.contains("FAIL"));
}

#[test]
fn verify_invalid_bundle_exits_1_and_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("bundles/ledger-speculos.jsonl")).unwrap();
    // Another address in place of the P2WPKH one.
    let tampered = text.replace(
        "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    );
    std::fs::write(dir.path().join("t.jsonl"), tampered).unwrap();
    let o = porsign(
        &["verify", "t.jsonl", "--message", "porsign test challenge"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL entry 1 (line 3) bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        "{out}"
    );
    assert!(out.contains("INVALID"));

    let o = porsign(
        &[
            "--json",
            "verify",
            "t.jsonl",
            "--message",
            "porsign test challenge",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["type"], "verify-report");
    assert_eq!(doc["result"], "invalid");
    assert_eq!(doc["entries"], 6);
    let failures = doc["failures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["entry"] == 1 && f["line"] == 3));
}

#[test]
fn verify_malformed_bundle_exits_2_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("bundles/ledger-speculos.jsonl")).unwrap();
    let broken = text.replacen("\"signatures\":", "\"signaturez\":", 1);
    std::fs::write(dir.path().join("m.jsonl"), broken).unwrap();
    let o = porsign(
        &["verify", "m.jsonl", "--message", "porsign test challenge"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("line 2") && err.contains("signaturez"),
        "{err}"
    );

    let o = porsign(
        &["--json", "verify", "m.jsonl", "--message", "x"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["type"], "error");
    assert_eq!(doc["exit_code"], 2);

    let o = porsign(&["verify", "missing.jsonl", "--message", "x"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn verify_against_challenge_file_of_another_audit_fails() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(
        &[
            "challenge",
            "new",
            "--audit",
            "A",
            "--period",
            "2026-11",
            "-o",
            "c.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    let bundle = fixture("bundles/ledger-speculos.jsonl");
    let o = porsign(
        &["verify", bundle.to_str().unwrap(), "--challenge", "c.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("bundle signed challenge"));
}
