//! `porsign report`: the auditor's HTML page. Here the command itself (exit codes shared with
//! `verify`, the JSON document, the table's data and its limit, what the page may load); in
//! `browser` the page opened in headless Chromium.
#![allow(clippy::indexing_slicing)] // tests index known documents; a panic is a test failure.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::cli::porsign;
use crate::util::fixture;

mod browser;

pub const MESSAGE: &str = "porsign test challenge";

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The fixture bundle with one address replaced: that entry fails, and so does the footer's
/// digest (a problem of the file as a whole).
pub fn bundle_with_failures(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("bundles/ledger-speculos.jsonl")).unwrap();
    let tampered = text.replace(
        "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    );
    assert_ne!(text, tampered);
    let path = dir.join("failures.jsonl");
    std::fs::write(&path, tampered).unwrap();
    path
}

/// Runs `porsign --json report FILE ARGS -o report.html` in `dir` and the same `verify`;
/// checks that both print the same document and exit alike, and returns the document, the
/// exit code and the page.
pub fn report_and_json(dir: &Path, file: &Path, args: &[&str]) -> (Value, i32, String) {
    let html = dir.join("report.html");
    let _ = std::fs::remove_file(&html);
    let mut report_args = vec!["--json", "report", file.to_str().unwrap()];
    report_args.extend_from_slice(args);
    report_args.extend_from_slice(&["-o", html.to_str().unwrap()]);
    let report = porsign(&report_args, dir);
    let mut verify_args = vec!["--json", "verify", file.to_str().unwrap()];
    verify_args.extend(verify_only(args));
    let verify = porsign(&verify_args, dir);
    assert_eq!(
        report.status.code(),
        verify.status.code(),
        "{}",
        text(&report)
    );
    // The same verification prints the same document (OKX documents carry no clock).
    assert_eq!(
        String::from_utf8_lossy(&report.stdout),
        String::from_utf8_lossy(&verify.stdout)
    );
    let doc: Value = serde_json::from_slice(&report.stdout).unwrap();
    let page = std::fs::read_to_string(&html).unwrap_or_else(|e| panic!("{e}: {}", text(&report)));
    (doc, report.status.code().unwrap(), page)
}

/// The arguments without the report's own (`--previous OLD`, `--max-table-rows N`).
fn verify_only<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if *a == "--previous" || *a == "--max-table-rows" {
            skip = true;
            continue;
        }
        out.push(*a);
    }
    out
}

/// The table's embedded data (the JSON block of the page).
pub fn table_data(page: &str) -> Value {
    let start_tag = r#"<script type="application/json" id="table-data">"#;
    let start = page.find(start_tag).unwrap() + start_tag.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn report_exits_like_verify_and_prints_the_same_json() {
    let dir = tempfile::tempdir().unwrap();
    let valid = fixture("bundles/ledger-speculos.jsonl");
    let (doc, code, page) = report_and_json(dir.path(), &valid, &["--message", MESSAGE]);
    assert_eq!((code, doc["result"].as_str()), (0, Some("valid")));
    assert!(page.contains(r#"data-result="valid""#));
    let failing = bundle_with_failures(dir.path());
    let (doc, code, page) = report_and_json(dir.path(), &failing, &["--message", MESSAGE]);
    assert_eq!((code, doc["result"].as_str()), (1, Some("invalid")));
    assert!(page.contains(r#"data-result="invalid""#));
    // Unusable input: exit 2 as for verify, and no page.
    std::fs::write(dir.path().join("bad.jsonl"), "{\"type\":\"header\"\n").unwrap();
    let o = porsign(
        &[
            "report",
            "bad.jsonl",
            "--message",
            MESSAGE,
            "-o",
            "bad.html",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!dir.path().join("bad.html").exists());
    // An unusable previous file is refused before anything else.
    let o = porsign(
        &[
            "report",
            valid.to_str().unwrap(),
            "--message",
            MESSAGE,
            "--previous",
            "bad.jsonl",
            "-o",
            "p.html",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--previous"), "{}", text(&o));
    assert!(!dir.path().join("p.html").exists());
}

#[test]
fn the_page_loads_nothing_and_allows_only_its_own_inline_code() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, page) = report_and_json(
        dir.path(),
        &fixture("bundles/ledger-speculos.jsonl"),
        &["--message", MESSAGE],
    );
    let csp_start = page
        .find(r#"http-equiv="Content-Security-Policy" content=""#)
        .unwrap();
    let csp = &page[csp_start..page[csp_start..].find('>').unwrap() + csp_start];
    assert!(
        csp.contains("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("style-src 'sha256-") && csp.contains("img-src data:"));
    for banned in [
        "http://", "https://", "src=\"//", "url(", "@import", "<link",
    ] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
    // Exactly one script that runs and one style, whose texts the policy hashes.
    assert_eq!(page.matches("<script>").count(), 1);
    assert_eq!(page.matches("<style>").count(), 1);
    let script = &page[page.find("<script>").unwrap() + 8..];
    let script = &script[..script.find("</script>").unwrap()];
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(csp.contains(&format!("'sha256-{hash}'")));
}

#[test]
fn over_the_table_limit_the_table_holds_every_failure_and_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let failing = bundle_with_failures(dir.path());
    let (doc, _, page) = report_and_json(
        dir.path(),
        &failing,
        &["--message", MESSAGE, "--max-table-rows", "3"],
    );
    let data = table_data(&page);
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let verdicts = data["verdicts"].as_array().unwrap();
    let failed_lines: Vec<u64> = rows
        .iter()
        .filter(|r| verdicts[r[5].as_u64().unwrap() as usize] == "failed")
        .map(|r| r[0].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "invalid")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed_lines, expected);
    assert!(page.contains(r#"id="sample-notice""#));
    assert!(
        page.contains("porsign --json verify"),
        "the page names the full JSON"
    );
    // Under the limit: every entry, no notice.
    let (doc, _, page) = report_and_json(dir.path(), &failing, &["--message", MESSAGE]);
    assert_eq!(
        table_data(&page)["rows"].as_array().unwrap().len(),
        doc["results"].as_array().unwrap().len()
    );
    assert!(!page.contains(r#"id="sample-notice""#));
}

#[test]
fn demo_writes_the_report_and_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(&["--json", "demo", "--dir", "out"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let report = dir.path().join(doc["report"].as_str().unwrap());
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains(r#"data-result="valid""#));
    assert!(
        page.contains(r#"<dd id="count-addresses">11</dd>"#),
        "{page}"
    );
    let o = porsign(&["demo", "--dir", "out"], dir.path());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("report: out/run-"),
        "{}",
        text(&o)
    );
}

#[test]
fn bench_report_prints_time_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let o = porsign(
        &[
            "--json",
            "bench",
            "report",
            "--entries",
            "40",
            "--max-table-rows",
            "10",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["entries"], 40);
    assert_eq!(doc["sampled"], true);
    assert!(doc["report_bytes"].as_u64().unwrap() > 10_000);
    assert!(doc["report_seconds"].as_f64().unwrap() > 0.0);
}
