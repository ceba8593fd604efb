//! Bitcoin Core's `script_tests.json` known answers.
//!
//! A selection is committed in `fixtures/script/core-script-tests.json` (source in
//! `fixtures/README.md`) and always runs. The whole file, which is not committed, runs with
//! `PORSIGN_CORE_SCRIPT_TESTS=<path to script_tests.json> cargo test core_script_tests_full`.

use super::harness::{parse_row, run};

fn check_rows(rows: &[serde_json::Value]) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut failures = Vec::new();
    for row in rows {
        let Some(v) = parse_row(row) else { continue };
        count += 1;
        let got = run(&v);
        if got != v.expected {
            failures.push(format!("expected {} got {got}: {}", v.expected, v.label));
        }
    }
    (count, failures)
}

#[test]
fn committed_core_vectors() {
    let path = crate::util::fixture("script/core-script-tests.json");
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("fixture is JSON");
    let (count, failures) = check_rows(&rows);
    assert!(count >= 40, "only {count} vectors");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn core_script_tests_full() {
    let Ok(path) = std::env::var("PORSIGN_CORE_SCRIPT_TESTS") else {
        eprintln!("skipping: PORSIGN_CORE_SCRIPT_TESTS is not set");
        return;
    };
    let text = std::fs::read_to_string(path).expect("file is readable");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("file is JSON");
    let (count, failures) = check_rows(&rows);
    assert!(count > 1000, "only {count} vectors");
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
