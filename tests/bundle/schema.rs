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
    let v = validator("bundle.schema.json");
    for (i, line) in ledger_lines().iter().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert!(v.is_valid(&value), "line {} does not validate", i + 1);
    }
}

#[test]
fn schema_rejects_unknown_fields_and_bad_values() {
    let v = validator("bundle.schema.json");
    let lines = ledger_lines();
    let mut entry: Value = serde_json::from_str(&lines[1]).unwrap();
    entry["colour"] = Value::from("blue");
    assert!(!v.is_valid(&entry));
    let mut entry: Value = serde_json::from_str(&lines[1]).unwrap();
    entry["fingerprint"] = Value::from("F5ACC2FD");
    assert!(!v.is_valid(&entry));
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["version"] = Value::from(3);
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

/// Whether the verifier accepts a bundle whose line `line` (0-based) is `text`: an unusable
/// file and a file with any failure both count as refused.
fn verify_accepts(lines: &[String], line: usize, text: &str) -> bool {
    let mut edited = lines.to_vec();
    edited[line] = text.to_owned();
    let edited = with_fresh_footer(&edited);
    let joined = edited.join("\n") + "\n";
    match verify_bundle(joined.as_bytes(), &options(LEDGER_MESSAGE)) {
        Ok(report) => report.all_valid(),
        Err(_) => false,
    }
}

/// The signing key of a BIP-137 entry of the fixture, as the verifier recovers it.
fn bip137_key(entry: &Value) -> bitcoin::PublicKey {
    let address = entry["address"]
        .as_str()
        .unwrap()
        .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
        .unwrap()
        .assume_checked();
    porsign::scheme::bip137::verify(
        LEDGER_MESSAGE.as_bytes(),
        &address,
        entry["signatures"][0].as_str().unwrap(),
    )
    .unwrap()
    .pubkey
}

/// The uncompressed key behind the fixture's Ethereum signature.
fn eth_key(entry: &Value) -> secp256k1::PublicKey {
    let sig = hex::decode(
        entry["signatures"][0]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    let recid = secp256k1::ecdsa::RecoveryId::from_i32(i32::from(sig[64]) - 27).unwrap();
    let sig = secp256k1::ecdsa::RecoverableSignature::from_compact(&sig[..64], recid).unwrap();
    let digest = porsign::scheme::eip191::message_hash(LEDGER_MESSAGE.as_bytes());
    secp256k1::SECP256K1
        .recover_ecdsa(&secp256k1::Message::from_digest(digest), &sig)
        .unwrap()
}

/// The schema and `verify` judge the same documents the same way: every case below is built
/// from the known-answer bundle, and both must give the expected verdict. (Repeated keys cannot
/// be expressed in a schema: a JSON parser keeps one value; see `bundle::reader` tests and
/// `rejections::repeated_keys_*`.)
#[test]
fn schema_and_verifier_agree_case_by_case() {
    let v = validator("bundle.schema.json");
    let lines = ledger_lines();
    let parse = |i: usize| -> Value { serde_json::from_str(&lines[i]).unwrap() };
    let p2pkh = bip137_key(&parse(1));
    let p2wpkh = bip137_key(&parse(2));
    let uncompressed_p2wpkh = bitcoin::PublicKey::new_uncompressed(p2wpkh.inner).to_string();
    let eth = eth_key(&parse(6));
    let eth_uncompressed = hex::encode(eth.serialize_uncompressed());
    let eth_compressed = hex::encode(eth.serialize());
    let multisig_script = {
        use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
        let d: Descriptor<DescriptorPublicKey> =
            parse(4)["descriptor"].as_str().unwrap().parse().unwrap();
        let concrete = d
            .at_derivation_index(0)
            .unwrap()
            .derived_descriptor(secp256k1::SECP256K1)
            .unwrap();
        hex::encode(concrete.explicit_script().unwrap().as_bytes())
    };

    type Edit = Box<dyn Fn(&mut Value)>;
    let set = |field: &'static str, value: Value| -> Edit {
        Box::new(move |e: &mut Value| e[field] = value.clone())
    };
    let remove = |field: &'static str| -> Edit {
        Box::new(move |e: &mut Value| {
            e.as_object_mut().unwrap().remove(field);
        })
    };
    // (what, line, edit, accepted)
    let cases: Vec<(&str, usize, Edit, bool)> = vec![
        ("unchanged entry", 2, Box::new(|_| {}), true),
        ("unchanged header", 0, Box::new(|_| {}), true),
        (
            "no optional fields",
            2,
            Box::new(|e: &mut Value| {
                for f in ["path", "fingerprint", "amount"] {
                    e.as_object_mut().unwrap().remove(f);
                }
            }),
            true,
        ),
        (
            "compressed pubkey on p2wpkh",
            2,
            set("pubkey", Value::from(p2wpkh.to_string())),
            true,
        ),
        (
            "compressed pubkey on p2pkh",
            1,
            set("pubkey", Value::from(p2pkh.to_string())),
            true,
        ),
        (
            "h-hardened path",
            2,
            set("path", Value::from("m/84h/0h/0h/0/0")),
            true,
        ),
        ("amount zero", 2, set("amount", Value::from("0")), true),
        (
            "eth uncompressed pubkey",
            6,
            set("pubkey", Value::from(eth_uncompressed.clone())),
            true,
        ),
        ("null pubkey", 2, set("pubkey", Value::Null), false),
        ("null amount", 2, set("amount", Value::Null), false),
        ("null path", 2, set("path", Value::Null), false),
        (
            "null fingerprint",
            2,
            set("fingerprint", Value::Null),
            false,
        ),
        (
            "null script on bip137",
            2,
            set("script", Value::Null),
            false,
        ),
        ("null descriptor", 2, set("descriptor", Value::Null), false),
        (
            "null script on multisig",
            4,
            set("script", Value::Null),
            false,
        ),
        (
            "uncompressed pubkey on p2wpkh",
            2,
            set("pubkey", Value::from(uncompressed_p2wpkh)),
            false,
        ),
        (
            "0x pubkey",
            2,
            set("pubkey", Value::from(format!("0x{p2wpkh}"))),
            false,
        ),
        (
            "uppercase pubkey",
            2,
            set("pubkey", Value::from(p2wpkh.to_string().to_uppercase())),
            false,
        ),
        (
            "eth compressed pubkey",
            6,
            set("pubkey", Value::from(eth_compressed)),
            false,
        ),
        (
            "eth 0x pubkey",
            6,
            set("pubkey", Value::from(format!("0x{eth_uncompressed}"))),
            false,
        ),
        (
            "uppercase fingerprint",
            2,
            set("fingerprint", Value::from("F5ACC2FD")),
            false,
        ),
        (
            "exponent amount",
            2,
            set("amount", Value::from("1e3")),
            false,
        ),
        (
            "negative amount",
            2,
            set("amount", Value::from("-1")),
            false,
        ),
        ("numeric amount", 2, set("amount", Value::from(1)), false),
        (
            "path without m",
            2,
            set("path", Value::from("84'/0'/0'/0/0")),
            false,
        ),
        ("empty path", 2, set("path", Value::from("")), false),
        (
            "path with a plus",
            2,
            set("path", Value::from("m/+84'/0'")),
            false,
        ),
        (
            "unknown scheme",
            2,
            set("scheme", Value::from("bip999")),
            false,
        ),
        (
            "scheme of another chain",
            2,
            set("scheme", Value::from("eip191")),
            false,
        ),
        (
            "ethereum on testnet",
            6,
            set("network", Value::from("testnet")),
            false,
        ),
        (
            "pubkey on bip322",
            3,
            set("pubkey", Value::from(p2wpkh.to_string())),
            false,
        ),
        (
            "script on bip137",
            2,
            set("script", Value::from("51")),
            false,
        ),
        (
            "pubkey on multisig",
            4,
            set("pubkey", Value::from(p2wpkh.to_string())),
            false,
        ),
        (
            "multisig without script or descriptor",
            4,
            remove("descriptor"),
            false,
        ),
        (
            "multisig script beside its descriptor",
            4,
            set("script", Value::from(multisig_script.clone())),
            true,
        ),
        (
            "uppercase script",
            4,
            set("script", Value::from(multisig_script.to_uppercase())),
            false,
        ),
        (
            "no signatures",
            2,
            set("signatures", Value::Array(vec![])),
            false,
        ),
        ("negative index", 2, set("index", Value::from(-1)), false),
        ("string index", 2, set("index", Value::from("1")), false),
        (
            "unknown field",
            2,
            set("colour", Value::from("blue")),
            false,
        ),
        (
            "footer field on an entry",
            2,
            set("sha256", Value::from("00")),
            false,
        ),
        (
            "empty custodian",
            0,
            set("custodian", Value::from("")),
            false,
        ),
        ("null custodian", 0, set("custodian", Value::Null), false),
        (
            "lowercase t in created_at",
            0,
            set("created_at", Value::from("2026-11-01t00:00:00Z")),
            false,
        ),
        (
            "date-only created_at",
            0,
            set("created_at", Value::from("2026-11-01")),
            false,
        ),
        (
            "uppercase challenge digest",
            0,
            Box::new(|e: &mut Value| {
                let s = e["challenge_sha256"].as_str().unwrap().to_uppercase();
                e["challenge_sha256"] = Value::from(s);
            }),
            false,
        ),
        ("version 2", 0, set("version", Value::from(2)), true),
        ("version 3", 0, set("version", Value::from(3)), false),
    ];
    let mut disagreements = Vec::new();
    for (what, line, edit, accepted) in &cases {
        let mut value = parse(*line);
        edit(&mut value);
        let text = serde_json::to_string(&value).unwrap();
        let by_schema = v.is_valid(&value);
        let by_verify = verify_accepts(&lines, *line, &text);
        if by_schema != *accepted || by_verify != *accepted {
            disagreements.push(format!(
                "{what}: expected {accepted}, schema {by_schema}, verify {by_verify}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
