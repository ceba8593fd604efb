//! EIP-712 in full mode: the typed data sent the way `@ledgerhq/hw-app-eth`'s
//! `signEIP712Message` sends it (types sorted by name, each struct's name then its fields, the
//! domain's values, the message's values in definition order, then SIGN with P2 = 01), the
//! signature recovered over a digest known independently of the emulator.
#![allow(clippy::indexing_slicing)]

use firmware_msgs::eth::{self, Eip712Base, Eip712Command, Eip712FieldDef};
use firmware_msgs::Bip32Path;
use porsign::emulator::Approval;
use serde_json::{json, Value};
use sha3::{Digest, Keccak256};

use super::ethereum::{emulator, path, recorded_address, recover, send, signature, MAIL_DIGEST};

/// EIP-712's own example (`Mail` between two `Person`s), whose digest the EIP publishes.
fn mail_example() -> Value {
    json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [
                {"name": "name", "type": "string"},
                {"name": "wallet", "type": "address"}
            ],
            "Mail": [
                {"name": "from", "type": "Person"},
                {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"}
            ]
        },
        "primaryType": "Mail",
        "domain": {
            "name": "Ether Mail",
            "version": "1",
            "chainId": 1,
            "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
        },
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"
        }
    })
}

/// The APDUs of `signEIP712Message` for `typed` (without filtering).
fn full_mode_apdus(path: &Bip32Path, typed: &Value) -> Vec<Vec<u8>> {
    let types = typed["types"].as_object().expect("types");
    let mut names: Vec<&String> = types.keys().collect();
    names.sort();
    let mut out = Vec::new();
    let push = |c: Eip712Command, out: &mut Vec<Vec<u8>>| {
        out.push(c.encode().expect("apdu").encode());
    };
    for name in names {
        push(Eip712Command::StructName(name.clone()), &mut out);
        for entry in types[name].as_array().expect("fields") {
            let def = Eip712FieldDef::from_type(
                entry["name"].as_str().expect("name"),
                entry["type"].as_str().expect("type"),
            )
            .expect("type");
            push(Eip712Command::StructField(def), &mut out);
        }
    }
    for (root, values) in [
        ("EIP712Domain", &typed["domain"]),
        (
            typed["primaryType"].as_str().expect("primary"),
            &typed["message"],
        ),
    ] {
        push(Eip712Command::Root(root.to_owned()), &mut out);
        values_apdus(types, root, values, &mut out);
    }
    out.push(eth::sign_eip712_full(path).expect("apdu").encode());
    out
}

/// The values of one field of type `ty`, depth first in definition order.
fn values_apdus(
    types: &serde_json::Map<String, Value>,
    ty: &str,
    value: &Value,
    out: &mut Vec<Vec<u8>>,
) {
    let def = Eip712FieldDef::from_type("", ty).expect("type");
    if !def.levels.is_empty() {
        // The outermost level is the last one written (`T[2][]`: an array of `T[2]`).
        let element = &ty[..ty.rfind('[').expect("array")];
        let items = value.as_array().expect("array value");
        let size = Eip712Command::ArraySize(items.len() as u8);
        out.push(size.encode().expect("apdu").encode());
        for item in items {
            values_apdus(types, element, item, out);
        }
        return;
    }
    if let Eip712Base::Custom(name) = &def.base {
        for entry in types[name].as_array().expect("fields") {
            let key = entry["name"].as_str().expect("name");
            values_apdus(
                types,
                entry["type"].as_str().expect("type"),
                &value[key],
                out,
            );
        }
        return;
    }
    let bytes = primitive(&def.base, value);
    for apdu in eth::eip712_field_value(&bytes).expect("fits") {
        out.push(apdu.encode());
    }
}

/// A value's bytes as `hw-app-eth` sends them: integers big-endian without leading zeros
/// (negative ones in two's complement over the type's width), hex for addresses and bytes.
fn primitive(base: &Eip712Base, value: &Value) -> Vec<u8> {
    let hex_of = |v: &Value| hex::decode(v.as_str().expect("hex").trim_start_matches("0x"));
    match base {
        Eip712Base::Int(size) | Eip712Base::Uint(size) => {
            let n: i128 = match value {
                Value::Number(n) => n.as_i64().expect("integer").into(),
                Value::String(s) => s.parse().expect("decimal"),
                other => panic!("not an integer: {other}"),
            };
            let full = n.to_be_bytes();
            if n < 0 {
                let mut out = vec![0xff; usize::from(*size).saturating_sub(16)];
                out.extend_from_slice(&full[16usize.saturating_sub(usize::from(*size))..]);
                out
            } else {
                let start = full.iter().position(|b| *b != 0).unwrap_or(15);
                full[start..].to_vec()
            }
        }
        Eip712Base::Bool => vec![u8::from(value.as_bool().expect("bool"))],
        Eip712Base::String => value.as_str().expect("string").as_bytes().to_vec(),
        _ => hex_of(value).expect("hex"),
    }
}

/// Sends every APDU; all answers but the last must be a bare 9000. Returns the last.
fn run(approval: Approval, apdus: &[Vec<u8>]) -> (Vec<u8>, String) {
    let mut emu = emulator(approval);
    let (last, rest) = apdus.split_last().expect("apdus");
    for (i, apdu) in rest.iter().enumerate() {
        assert_eq!(
            hex::encode(send(&mut emu, apdu)),
            "9000",
            "apdu {i}: {}",
            hex::encode(apdu)
        );
    }
    let reply = send(&mut emu, last);
    // Spaces dropped: the screens wrap long values at arbitrary places.
    (reply, emu.reviewed_screens().join("|").replace(' ', ""))
}

fn signed_by_recorded_address(reply: &[u8], digest: &[u8]) {
    let (v, rs) = signature(reply);
    assert!(v == 27 || v == 28, "got {v}");
    assert_eq!(recover(digest, v - 27, &rs), recorded_address());
}

#[test]
fn eip712_mail_example_in_full_mode() {
    // Full mode is clear signing: blind signing stays off (the emulator's default).
    let (reply, screens) = run(Approval::Auto, &full_mode_apdus(&path(), &mail_example()));
    signed_by_recorded_address(&reply, &hex::decode(MAIL_DIGEST).unwrap());
    for shown in [
        "Review typed message",
        "Ether Mail",
        "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
        "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
        "Hello, Bob!",
        "Sign message",
    ] {
        let shown = shown.replace(' ', "");
        assert!(screens.contains(&shown), "{shown} not in {screens}");
    }
    assert!(!screens.contains("Blind signing"), "{screens}");
}

#[test]
fn eip712_array_of_structs_matches_the_published_v4_digest() {
    // MetaMask eth-sig-util's `signTypedData_v4` example (also Trust Wallet wallet-core's
    // `test_message_signer_hash_eip712_case_2`): `to` is a `Person[]`, `wallets` an
    // `address[]`, and the unused `Group` type is sent too. Published digest:
    let digest = "a85c2e2b118698e88db68a8105b794a8cc7cec074e89ef991cb4f5f533819cc2";
    // The domain is the Mail example's.
    let mut typed = mail_example();
    typed["types"]["Person"][1] = json!({"name": "wallets", "type": "address[]"});
    typed["types"]["Mail"][1]["type"] = json!("Person[]");
    typed["types"]["Group"] = json!([
        {"name": "name", "type": "string"},
        {"name": "members", "type": "Person[]"}
    ]);
    typed["message"] = json!({
        "from": {"name": "Cow", "wallets": [
            "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
            "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"
        ]},
        "to": [{"name": "Bob", "wallets": [
            "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
            "0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57",
            "0xB0B0b0b0b0b0B000000000000000000000000000"
        ]}],
        "contents": "Hello, Bob!"
    });
    let (reply, screens) = run(Approval::Auto, &full_mode_apdus(&path(), &typed));
    signed_by_recorded_address(&reply, &hex::decode(digest).unwrap());
    assert!(
        screens.contains("0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57"),
        "{screens}"
    );
}

fn keccak(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

fn word(bytes: &[u8], fill: u8) -> Vec<u8> {
    let mut out = vec![fill; 32 - bytes.len()];
    out.extend_from_slice(bytes);
    out
}

#[test]
fn eip712_integers_bools_and_bytes_match_a_hand_built_encoding() {
    // No published vector covers these together; the digest is built here by hand from
    // EIP-712's rules (typeHash, 32-byte words, keccak of dynamic values), independently of
    // the emulator's walk. `data` is 300 bytes, so its value comes in two APDUs.
    let data = vec![0xab; 300];
    let typed = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"}
            ],
            "Order": [
                {"name": "amount", "type": "uint256"},
                {"name": "delta", "type": "int8"},
                {"name": "flag", "type": "bool"},
                {"name": "data", "type": "bytes"},
                {"name": "tag", "type": "bytes4"},
                {"name": "legs", "type": "Leg[]"}
            ],
            "Leg": [{"name": "size", "type": "uint64"}]
        },
        "primaryType": "Order",
        "domain": {"name": "Exchange", "chainId": 137},
        "message": {
            "amount": "1000000000000000000",
            "delta": -2,
            "flag": true,
            "data": format!("0x{}", hex::encode(&data)),
            "tag": "0xdeadbeef",
            "legs": [{"size": 5}, {"size": 70000}]
        }
    });
    let domain_type = keccak(b"EIP712Domain(string name,uint256 chainId)");
    let domain = keccak(&[&domain_type[..], &keccak(b"Exchange"), &word(&[137], 0)].concat());
    let leg_type = keccak(b"Leg(uint64 size)");
    let leg = |n: u64| keccak(&[&leg_type[..], &word(&n.to_be_bytes(), 0)].concat());
    let legs = keccak(&[leg(5), leg(70000)].concat());
    let order_type = keccak(
        b"Order(uint256 amount,int8 delta,bool flag,bytes data,bytes4 tag,Leg[] legs)\
Leg(uint64 size)",
    );
    let mut tag = b"\xde\xad\xbe\xef".to_vec();
    tag.resize(32, 0);
    let order = keccak(
        &[
            &order_type[..],
            &word(&1_000_000_000_000_000_000u64.to_be_bytes(), 0),
            &word(&[0xfe], 0xff),
            &word(&[1], 0),
            &keccak(&data),
            &tag,
            &legs,
        ]
        .concat(),
    );
    let digest = keccak(&[&[0x19, 0x01][..], &domain, &order].concat());

    let apdus = full_mode_apdus(&path(), &typed);
    let (reply, screens) = run(Approval::Auto, &apdus);
    signed_by_recorded_address(&reply, &digest);
    for shown in ["1000000000000000000", "-2", "true", "0xdeadbeef", "70000"] {
        let shown = shown.replace(' ', "");
        assert!(screens.contains(&shown), "{shown} not in {screens}");
    }
    assert!(
        apdus.iter().any(|a| a[2] == 0x01 && a[1] == 0x1c),
        "the 300-byte value must be chunked"
    );
}

#[test]
fn eip712_full_mode_refusals_get_the_apps_status_words() {
    let apdus = full_mode_apdus(&path(), &mail_example());
    let sw = |apdus: &[Vec<u8>]| {
        let mut emu = emulator(Approval::Auto);
        apdus
            .iter()
            .map(|a| hex::encode(send(&mut emu, a)))
            .collect::<Vec<_>>()
    };
    // Which APDUs are which: definitions (`1A`), then the domain's root.
    let root = apdus.iter().position(|a| a[1] == 0x1c).expect("root");
    let value = root + 1;

    // A value, a root or SIGN before any definition: 6980 (no EIP-712 context).
    assert_eq!(sw(&apdus[value..=value]), ["6980"]);
    assert_eq!(sw(&apdus[root..=root]), ["6980"]);
    assert_eq!(sw(&apdus[apdus.len() - 1..]), ["6980"]);

    // A truncated field definition: 6A80, and the session is gone (the root then gets 6980).
    let mut truncated = apdus[1].clone();
    truncated.pop();
    truncated[4] -= 1;
    assert_eq!(
        sw(&[apdus[0].clone(), truncated, apdus[root].clone()]),
        ["9000", "6a80", "6980"]
    );

    // An unknown type descriptor (type 11): stored, then 6A80 when its struct becomes root.
    let unknown = [0xe0, 0x1a, 0x00, 0xff, 0x03, 0x0b, 0x01, b'x'].to_vec();
    let mut with_unknown = apdus[..root].to_vec();
    with_unknown.insert(1, unknown);
    with_unknown.push(apdus[root].clone());
    let answers = sw(&with_unknown);
    let (last, before) = answers.split_last().unwrap();
    assert_eq!(last, "6a80");
    assert!(before.iter().all(|a| a == "9000"), "{answers:?}");

    // An array size where the domain's `name` string is expected: 6A80.
    let array = [0xe0, 0x1c, 0x00, 0x0f, 0x01, 0x02].to_vec();
    let answers = sw(&[&apdus[..=root], &[array][..]].concat());
    assert_eq!(answers.last().map(String::as_str), Some("6a80"));

    // A value whose length prefix promises more, sent as complete: 6A80.
    let short = [0xe0, 0x1c, 0x00, 0xff, 0x03, 0x00, 0x05, b'E'].to_vec();
    let answers = sw(&[&apdus[..=root], &[short][..]].concat());
    assert_eq!(answers.last().map(String::as_str), Some("6a80"));

    // SIGN with the message's values missing: 6A80.
    let message_root = apdus
        .iter()
        .rposition(|a| a[1] == 0x1c && a[3] == 0x00)
        .unwrap();
    let early = [&apdus[..message_root], &apdus[apdus.len() - 1..]].concat();
    assert_eq!(sw(&early).last().map(String::as_str), Some("6a80"));

    // An unknown P2 of INS 1A: 6B00.
    assert_eq!(sw(&[vec![0xe0, 0x1a, 0x00, 0x01, 0x01, b'x']]), ["6b00"]);

    // Filtering's "activate" is accepted (and ignored) within a session.
    let activate = eth::Eip712Command::Filtering {
        p1: 0,
        p2: 0,
        data: Vec::new(),
    };
    let mut with_filtering = apdus.clone();
    with_filtering.insert(root, activate.encode().unwrap().encode());
    let (reply, _) = run(Approval::Auto, &with_filtering);
    signed_by_recorded_address(&reply, &hex::decode(MAIL_DIGEST).unwrap());

    // The user rejects: 6985.
    let (reply, _) = run(Approval::Reject, &apdus);
    assert_eq!(hex::encode(reply), "6985");
}
