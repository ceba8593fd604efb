//! The tampering sweep: for the valid known-answer bundle, changing any single field of any
//! entry must make verification fail.
//!
//! Two levels. With the footer left as written, every edit is caught (the footer digest covers
//! every byte of every entry). With the footer recomputed, as an attacker rewriting the whole file
//! would do, every field that carries proof (chain, network, address, scheme, signatures, pubkey,
//! script, descriptor, index) must still fail on its own; `path`, `fingerprint` and `amount` are
//! the custodian's unsigned claims, protected by the footer only, and are checked for form.

use serde_json::Value;

use super::*;

/// A different value of the same JSON type, as a careless or hostile edit would make.
fn mutate(value: &Value, variant: usize) -> Value {
    match value {
        Value::String(s) => Value::String(mutate_str(s, variant)),
        Value::Number(n) => Value::from(n.as_u64().unwrap_or(0) + 1 + variant as u64),
        Value::Array(items) => {
            let mut items = items.clone();
            match variant % 3 {
                0 => {
                    let first = items[0].clone();
                    items[0] = mutate(&first, variant / 3);
                }
                1 => {
                    items.pop();
                }
                _ => items.push(items[0].clone()),
            }
            Value::Array(items)
        }
        other => panic!("unexpected JSON value in a bundle entry: {other}"),
    }
}

/// Changes one character somewhere in the string (position chosen by `variant`), staying in
/// the same alphabet class so the edit is plausible, not just garbage.
fn mutate_str(s: &str, variant: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let pos = (variant * 7 + chars.len() / 2) % chars.len();
    chars[pos] = match chars[pos] {
        '0'..='8' => ((chars[pos] as u8) + 1) as char,
        '9' => '0',
        'a'..='y' => ((chars[pos] as u8) + 1) as char,
        'z' => 'a',
        'A'..='Y' => ((chars[pos] as u8) + 1) as char,
        'Z' => 'A',
        '\'' => 'h',
        _ => 'x',
    };
    chars.into_iter().collect()
}

/// Whether the verifier accepts the file; unusable input counts as not accepted.
fn passes(lines: &[String]) -> bool {
    let text = lines.join("\n") + "\n";
    porsign::bundle::verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE))
        .map(|r| r.all_valid())
        .unwrap_or(false)
}

const UNSIGNED_CLAIMS: [&str; 3] = ["path", "fingerprint", "amount"];

#[test]
fn any_single_field_change_fails() {
    let lines = ledger_lines();
    let mut tried = 0;
    let mut caught_without_footer_help = 0;
    for line in 1..lines.len() - 1 {
        let entry: Value = serde_json::from_str(&lines[line]).unwrap();
        for (field, value) in entry.as_object().unwrap() {
            if field == "type" {
                continue;
            }
            for variant in 0..6 {
                let mutated_value = mutate(value, variant);
                if &mutated_value == value {
                    continue;
                }
                let tampered = edit_line(&lines, line, |e| {
                    e[field.as_str()] = mutated_value.clone();
                });
                tried += 1;
                assert!(
                    !passes(&tampered),
                    "line {line} field {field} variant {variant}: edit not caught"
                );
                if UNSIGNED_CLAIMS.contains(&field.as_str()) {
                    continue;
                }
                assert!(
                    !passes(&with_fresh_footer(&tampered)),
                    "line {line} field {field} variant {variant}: proof field edit passed with a recomputed footer"
                );
                caught_without_footer_help += 1;
            }
        }
    }
    eprintln!(
        "field edits tried: {tried}, all caught; caught with a recomputed footer: {caught_without_footer_help}"
    );
    assert!(
        tried > 150,
        "the sweep must cover many edits, tried {tried}"
    );
    assert!(caught_without_footer_help > 100);
}

#[test]
fn chain_field_change_fails() {
    // `chain` is an enum: the generic string edit makes it unparsable, which is input error; the
    // plausible edit is the other chain.
    let lines = ledger_lines();
    for line in 1..lines.len() - 1 {
        let tampered = edit_line(&lines, line, |e| {
            let other = if e["chain"] == "bitcoin" {
                "ethereum"
            } else {
                "bitcoin"
            };
            e["chain"] = Value::from(other);
        });
        let report = verify_lines(&with_fresh_footer(&tampered), LEDGER_MESSAGE);
        assert!(!report.all_valid(), "line {line}: chain edit passed");
    }
}

#[test]
fn removing_an_optional_proof_field_fails() {
    // The multisig entry proves its script through the descriptor: without it there is nothing
    // to bind the signatures to the address.
    let lines = edit_line(&ledger_lines(), 4, |e| {
        e.as_object_mut().unwrap().remove("descriptor");
    });
    let report = verify_lines(&with_fresh_footer(&lines), LEDGER_MESSAGE);
    assert!(!report.all_valid());
}
