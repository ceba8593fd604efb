//! The published JSON schemas accept what porsign writes and reject what it refuses.

use serde_json::Value;

use super::*;
use crate::util::repo_root;

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("schema").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn every_line_of_the_example_bundle_validates() {
    let v = validator("bundle-v1.schema.json");
    for (i, line) in ledger_lines().iter().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert!(v.is_valid(&value), "line {} does not validate", i + 1);
    }
}

#[test]
fn schema_rejects_unknown_fields_and_bad_values() {
    let v = validator("bundle-v1.schema.json");
    let lines = ledger_lines();
    let mut entry: Value = serde_json::from_str(&lines[1]).unwrap();
    entry["colour"] = Value::from("blue");
    assert!(!v.is_valid(&entry));
    let mut entry: Value = serde_json::from_str(&lines[1]).unwrap();
    entry["fingerprint"] = Value::from("F5ACC2FD");
    assert!(!v.is_valid(&entry));
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["version"] = Value::from(2);
    assert!(!v.is_valid(&header));
}

#[test]
fn a_new_challenge_validates() {
    let v = validator("challenge-v1.schema.json");
    let c = porsign::challenge::Challenge::new(porsign::challenge::ChallengeParams {
        audit: "AUD-1".into(),
        period: "2026-11".into(),
        auditor: Some("Example Audit LLP".into()),
        anchor: Some("00000000000000000001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7".into()),
    })
    .unwrap();
    let value: Value = serde_json::from_str(&c.to_json()).unwrap();
    assert!(v.is_valid(&value));
    let mut bad = value.clone();
    bad["period"] = Value::from("2026-13");
    assert!(!v.is_valid(&bad));
}
