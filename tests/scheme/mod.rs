//! Scheme known-answer tests.
//!
//! Vectors come from `../shared/research/vectors` (read with `crate::util::shared_json`, skipped
//! with a message when that folder is absent outside CI) and from the repo's own Speculos
//! transcripts in `fixtures/speculos` (always present).

mod address;
mod bip137;
mod bip322;
mod eip191;
mod multisig;

use serde_json::Value;

/// A Speculos transcript from the repo's fixtures.
pub(crate) fn speculos(name: &str) -> Value {
    let path = crate::util::fixture(&format!("speculos/{name}"));
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is valid JSON")
}

/// A string field, or panic naming it.
pub(crate) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string field {key} in {v}"))
}

/// An array field, or panic naming it.
pub(crate) fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("missing array field {key}"))
}
