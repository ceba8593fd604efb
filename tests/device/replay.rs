//! porsign's app drivers over the replay transport, one test per recorded operation kind.

use std::str::FromStr;

use bitcoin::bip32::DerivationPath;
use porsign::app::{self, btc, eth, DeviceError};
use porsign::device::{ReplayTransport, Transcript};

use crate::util::fixture;

/// A path literal of the tests (in every build: the emulator's helper needs its feature).
fn path(p: &str) -> DerivationPath {
    DerivationPath::from_str(p).expect("a valid path literal")
}

fn transcript(name: &str) -> (ReplayTransport, serde_json::Value) {
    let t = Transcript::load(&fixture(&format!("speculos/{name}.json"))).unwrap();
    (ReplayTransport::new(&t).unwrap(), t.result)
}

#[test]
fn app_and_version() {
    let (mut r, _) = transcript("btc-app-and-version");
    let app = btc::check_app(&mut r).unwrap();
    assert_eq!(
        app,
        btc::BitcoinApp {
            testnet: false,
            version: "2.4.6".into()
        }
    );
    assert_eq!(r.remaining(), 0);
    let (mut r, _) = transcript("btc-testnet-app-and-version");
    assert!(btc::check_app(&mut r).unwrap().testnet);
    let (mut r, _) = transcript("eth-app-and-version");
    assert_eq!(eth::check_app(&mut r).unwrap(), "1.22.0");
    // The Ethereum app open where the Bitcoin app is needed.
    let (mut r, _) = transcript("eth-app-and-version");
    assert!(matches!(
        btc::check_app(&mut r),
        Err(DeviceError::WrongApp { found, .. }) if found == "Ethereum"
    ));
}

#[test]
fn master_fingerprint() {
    let (mut r, result) = transcript("btc-master-fingerprint");
    let fpr = btc::master_fingerprint(&mut r).unwrap();
    assert_eq!(hex::encode(fpr), result.as_str().unwrap());
}

#[test]
fn xpubs() {
    for (name, p) in [
        ("btc-xpub-44h-0h-0h", "m/44'/0'/0'"),
        ("btc-xpub-49h-0h-0h", "m/49'/0'/0'"),
        ("btc-xpub-84h-0h-0h", "m/84'/0'/0'"),
        ("btc-xpub-86h-0h-0h", "m/86'/0'/0'"),
        ("btc-xpub-48h-0h-0h-2h", "m/48'/0'/0'/2'"),
    ] {
        let (mut r, result) = transcript(name);
        let xpub = btc::xpub(&mut r, &path(p), false).unwrap();
        assert_eq!(xpub.to_string(), result.as_str().unwrap(), "{name}");
        assert_eq!(r.remaining(), 0, "{name}");
    }
}

#[test]
fn sign_message_every_length() {
    for name in [
        "btc-signmessage-short-84",
        "btc-signmessage-short-44",
        "btc-signmessage-empty-84",
        "btc-signmessage-64bytes-84",
        "btc-signmessage-65bytes-84",
        "btc-signmessage-long-84",
        "btc-signmessage-cosigner1-48",
        "btc-testnet-signmessage-short-84",
    ] {
        let (mut r, result) = transcript(name);
        let sig = btc::sign_message(
            &mut r,
            &path(result["path"].as_str().unwrap()),
            result["message"].as_str().unwrap().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        use bitcoin::base64::Engine;
        let b64 = bitcoin::base64::engine::general_purpose::STANDARD.encode(sig);
        assert_eq!(b64, result["signature_base64"].as_str().unwrap(), "{name}");
        assert_eq!(r.remaining(), 0, "{name}: fewer APDUs than the recording");
    }
}

#[test]
fn sign_message_errors() {
    let (mut r, _) = transcript("btc-signmessage-rejected");
    let err = btc::sign_message(&mut r, &path("m/84'/0'/0'/0/0"), b"please reject me").unwrap_err();
    assert!(matches!(err, DeviceError::Rejected), "{err}");
    let (mut r, _) = transcript("btc-signmessage-bad-path");
    let err = btc::sign_message(&mut r, &path("m/44'/60'/0'/0/0"), b"path check").unwrap_err();
    assert!(
        matches!(&err, DeviceError::PathRefused { path, .. } if path == "m/44'/60'/0'/0/0"),
        "{err}"
    );
    let (mut r, _) = transcript("btc-testnet-signmessage-mainnet-path");
    let err = btc::sign_message(&mut r, &path("m/84'/0'/0'/0/0"), b"path check");
    assert!(
        matches!(err, Err(DeviceError::PathRefused { .. })),
        "{err:?}"
    );
}

#[test]
fn replay_fails_loudly_on_a_different_byte() {
    let (mut r, result) = transcript("btc-signmessage-short-84");
    let err = btc::sign_message(
        &mut r,
        &path("m/84'/0'/0'/0/1"),
        result["message"].as_str().unwrap().as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::Transport(porsign::device::TransportError::ReplayMismatch {
                index: 0,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn ethereum_address_and_personal_sign() {
    let (mut r, _) = transcript("eth-address-0");
    let reply = eth::address(&mut r, &path("m/44'/60'/0'/0/0"), false).unwrap();
    assert_eq!(
        format!("0x{}", reply.address).to_lowercase(),
        "0xdad77910dbdfde764fc21fcd4e74d71bbaca6d8d"
    );
    for name in [
        "eth-personal-sign-short",
        "eth-personal-sign-long",
        "eth-personal-sign-okx-keccak",
    ] {
        let (mut r, result) = transcript(name);
        let message = hex::decode(result["message_hex"].as_str().unwrap()).unwrap();
        let sig =
            eth::sign_personal(&mut r, &path(result["path"].as_str().unwrap()), &message).unwrap();
        assert_eq!(
            hex::encode(sig.encode()),
            result["v_r_s"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(r.remaining(), 0, "{name}");
    }
    let (mut r, _) = transcript("eth-personal-sign-rejected");
    let err =
        eth::sign_personal(&mut r, &path("m/44'/60'/0'/0/0"), b"please reject me").unwrap_err();
    assert!(matches!(err, DeviceError::Rejected), "{err}");
}

#[test]
fn unknown_instruction_is_a_status_error() {
    let t = Transcript::load(&fixture("speculos/btc-unknown-ins.json")).unwrap();
    let mut r = ReplayTransport::new(&t).unwrap();
    let command = firmware_msgs::ApduCommand::without_data(0xe1, 0x7f, 0, 1);
    let response = app::send(&mut r, &command).unwrap();
    assert_eq!(response.status, firmware_msgs::StatusWord::InsNotSupported);
}
