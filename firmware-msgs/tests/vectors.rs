//! Known-answer tests against the research vectors: byte-exact APDU examples, and the real
//! device signatures of Ledger's own SIGN_MESSAGE test suite (fed through our exchange and a
//! simulated device that fetches and checks every message chunk).
#![allow(clippy::indexing_slicing)]

mod common;

use base64::Engine as _;
use common::sim::{run_ours, Canned, SimDevice};
use common::{read_json, shared_file, unhex};
use firmware_msgs::btc::{exchange, BtcCommand, MasterFingerprint};
use firmware_msgs::{bolos, eth, ApduCommand, ApduResponse, Bip32Path, PathError, StatusWord};

fn path(text: &str) -> Bip32Path {
    text.parse().expect("valid path")
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn ledger_apdu_examples_byte_exact() {
    let Some(file) = shared_file("research/vectors/ledger-apdu-examples.json") else {
        return;
    };
    let json = read_json(&file);
    let examples = json["examples"].as_array().expect("examples");
    assert!(examples.len() >= 9);
    for example in examples {
        let what = example["what"].as_str().expect("what");
        let command = example["command"].as_str().expect("command");
        match what {
            "Bitcoin app GET_MASTER_FINGERPRINT" => {
                let op = exchange::get_master_fingerprint();
                assert_eq!(hex::encode(op.first_command().encode()), command);
                let response = unhex(
                    example["response_speculos_default_seed"]
                        .as_str()
                        .expect("response"),
                );
                let response = ApduResponse::decode(&response).expect("frame");
                assert_eq!(
                    MasterFingerprint::decode(&response.data),
                    Ok(MasterFingerprint([0xf5, 0xac, 0xc2, 0xfd]))
                );
            }
            w if w.starts_with("Bitcoin app GET_EXTENDED_PUBKEY m/49/0/0 display=1") => {
                let op = exchange::get_extended_pubkey(&path("m/49/0/0"), true).expect("request");
                assert_eq!(hex::encode(op.first_command().encode()), command);
                let sw = example["response"].as_str().expect("response");
                let response = ApduResponse::decode(&unhex(&sw[..4])).expect("frame");
                assert_eq!(response.status, StatusWord::NotSupported);
            }
            w if w.starts_with("Bitcoin app SIGN_MESSAGE 'Hello World'") => {
                let op = exchange::sign_message(&path("m/84'/0'/0'/0/0"), b"Hello World")
                    .expect("request");
                assert_eq!(hex::encode(op.first_command().encode()), command);
            }
            "BOLOS GET_APP_AND_VERSION" => {
                assert_eq!(hex::encode(bolos::get_app_and_version().encode()), command);
                let response = unhex(example["response_example"].as_str().expect("response"));
                let response = ApduResponse::decode(&response).expect("frame");
                let app = bolos::AppAndVersion::decode(&response.data).expect("reply");
                assert_eq!(
                    (app.name.as_str(), app.version.as_str()),
                    ("blah", "1.2.3.4")
                );
            }
            w if w.starts_with("Legacy btc app") => {
                // The legacy app's CLA E0 is not the v2 protocol: our device side refuses it.
                let apdu = ApduCommand::decode(&unhex(command)).expect("frame");
                let refused = BtcCommand::decode(&apdu).map_err(|e| e.status_word());
                assert_eq!(refused, Err(StatusWord::ClaNotSupported));
            }
            "BOLOS quit app" => assert_eq!(hex::encode(bolos::quit_app().encode()), command),
            w if w.starts_with("BOLOS open app by name") => {
                let apdu = bolos::open_app("Bitcoin").expect("short name");
                assert_eq!(hex::encode(apdu.encode()), "e0d8000007426974636f696e");
                assert!(command.contains("e0d8000007426974636f696e"));
            }
            w if w.starts_with("Ethereum GET ETH PUBLIC ADDRESS") => {
                let apdu = eth::get_address(&path("m/44'/60'/0'/0/0"), false, false).expect("apdu");
                assert_eq!(hex::encode(apdu.encode()), command);
            }
            w if w.starts_with("Ethereum SIGN ETH PERSONAL MESSAGE 'Hello World'") => {
                let apdus = eth::sign_personal_message(&path("m/44'/60'/0'/0/0"), b"Hello World")
                    .expect("apdus");
                assert_eq!(apdus.len(), 1);
                assert_eq!(hex::encode(apdus[0].encode()), command);
            }
            other => panic!("no check for example {other:?}"),
        }
    }
}

/// Ledger's test-suite message of `test_sign_message_accept_long` (538 bytes, 9 chunks).
fn long_message(vectors: &serde_json::Value) -> String {
    vectors["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .find_map(|v| {
            let m = v["message"].as_str()?;
            (m.len() == 538).then(|| m.to_owned())
        })
        .expect("the 538-byte message")
}

#[test]
#[cfg_attr(shared_missing, ignore = "needs ../shared")]
fn real_device_sign_message_signatures() {
    let Some(file) = shared_file("research/vectors/ledger-app-bitcoin-sign-message-vectors.json")
    else {
        return;
    };
    let json = read_json(&file);
    let long = long_message(&json);
    assert_eq!(long.len().div_ceil(64), 9);
    for vector in json["vectors"].as_array().expect("vectors") {
        let message = match vector["message"].as_str() {
            Some(m) => m.to_owned(),
            // "the 538-byte message above repeated 3 times joined by single spaces"
            None => [long.as_str(), long.as_str(), long.as_str()].join(" "),
        };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(vector["signature"].as_str().expect("signature"))
            .expect("base64");
        let device = SimDevice::spawn(Canned {
            signature: signature.clone(),
            ..Canned::default()
        });
        let p = path(vector["path"].as_str().expect("path"));
        let sig = run_ours(
            &device,
            exchange::sign_message(&p, message.as_bytes()).expect("request"),
        )
        .expect("signed");
        assert_eq!(sig.to_bytes().to_vec(), signature);
        assert_eq!(
            u64::from(sig.header),
            vector["derived_header_byte"].as_u64().expect("header")
        );
        let learnt = device.finish();
        assert_eq!(learnt.messages, vec![message.into_bytes()]);
    }

    // The negative cases of the same file.
    let negative = &json["negative_cases_from_same_file"];
    let eleven = "m/44'/1'/0'/0'/1'/2'/3'/4'/5/6/7";
    assert!(negative.to_string().contains(eleven));
    assert_eq!(
        eleven.parse::<Bip32Path>(),
        Err(PathError::TooDeep { depth: 11 })
    );
    // Were such a command sent anyway, the device side answers what the app does: 6A87.
    let mut data = vec![11u8];
    data.extend(std::iter::repeat_n(0u8, 44));
    data.push(0);
    data.extend([0u8; 32]);
    let apdu = ApduCommand::new(0xe1, 0x10, 0, 1, data).expect("fits");
    assert_eq!(
        BtcCommand::decode(&apdu).map_err(|e| e.status_word()),
        Err(StatusWord::WrongDataLength)
    );
}
