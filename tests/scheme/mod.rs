//! Scheme known-answer tests.
//!
//! Vectors come from `../shared/research/vectors` (read with `crate::util::shared_json`, skipped
//! with a message when that folder is absent outside CI) and from the repo's own Speculos
//! transcripts in `fixtures/speculos` (always present).

mod address;
pub(crate) mod bip137;
pub(crate) mod bip322;
mod eip191;
mod multisig;
pub(crate) mod script;

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

/// Untrusted input never panics, and random input never verifies: arbitrary strings and bytes
/// for every signature and address argument.
mod no_panic {
    use porsign::model::Network as BitcoinNetwork;
    use porsign::scheme::EthAddress;
    use porsign::scheme::{bip137, bip322, eip191, multisig, parse_btc_address};
    use proptest::prelude::*;

    fn addresses() -> Vec<bitcoin::Address> {
        [
            "1KKLP5MNa9mmWnEziT5skyu7PZ8A4eFisB",
            "31mceY4tx8cr75vQLLFcK1Gp2VkGdyZfZy",
            "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg",
            "bc1psuhflkktuk89nj67rflwcnf0j33269kd0jnvvcpgusdxsspk9ceswgu99p",
            "bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej",
        ]
        .iter()
        .map(|a| parse_btc_address(a, BitcoinNetwork::Mainnet).unwrap())
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn strings(sig in "\\PC{0,200}", b64 in "(smp|ful|pof)?[A-Za-z0-9+/]{0,300}={0,2}") {
            let eth: EthAddress = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D".parse().unwrap();
            for s in [&sig, &b64] {
                let _ = parse_btc_address(s, BitcoinNetwork::Testnet);
                let _ = s.parse::<EthAddress>();
                prop_assert!(eip191::verify(b"m", &eth, s).is_err());
                prop_assert!(eip191::verify_keccak_variant(b"m", &eth, s).is_err());
                for a in addresses() {
                    prop_assert!(bip137::verify(b"m", &a, s).is_err());
                    prop_assert!(bip322::verify(b"m", &a, s).is_err());
                }
            }
        }

        #[test]
        fn bytes(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            use base64::Engine as _;
            let e = base64::engine::general_purpose::STANDARD.encode(&raw);
            let script = bitcoin::ScriptBuf::from_bytes(raw.clone());
            for a in addresses() {
                prop_assert!(bip137::verify(b"m", &a, &e).is_err());
                for prefix in ["", "smp", "ful", "pof"] {
                    let sig = format!("{prefix}{e}");
                    prop_assert!(bip322::verify(b"m", &a, &sig).is_err());
                }
                prop_assert!(multisig::verify(b"m", &a, &script, &[&e, &e]).is_err());
            }
            let eth: EthAddress = "0x14791697260E4c9A71f18484C9f997B308e59325".parse().unwrap();
            let hex_sig = format!("0x{}", hex::encode(&raw));
            prop_assert!(eip191::verify(b"m", &eth, &hex_sig).is_err());
        }
    }
}
