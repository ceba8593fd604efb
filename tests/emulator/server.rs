//! The emulator behind the Speculos ports, driven by porsign's own host code: the TCP APDU
//! framing through `SpeculosTransport`, and the REST API (`/events`, `/button/*`, `/apdu`)
//! through a plain HTTP client, including a signature approved by pressing buttons.
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;
use std::time::Duration;

use bitcoin::base64::Engine;
use porsign::app::{btc, eth, DeviceError};
use porsign::device::SpeculosTransport;
use porsign::emulator::keys::path;
use porsign::emulator::{serve, AppMode, Approval, EmulatorConfig, ServerHandle};
use serde_json::{json, Value};

use super::http_client::http;
use crate::util::fixture;

const TIMEOUT: Duration = Duration::from_secs(60);

fn recorded(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("speculos/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    bitcoin::base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(super) fn start(app: AppMode, approval: Approval, api: bool) -> ServerHandle {
    let mut config = EmulatorConfig::new(app);
    config.approval = approval;
    serve(config, "127.0.0.1:0", api.then_some("127.0.0.1:0")).expect("servers start")
}

fn connect(server: &ServerHandle) -> SpeculosTransport {
    SpeculosTransport::connect(&format!("127.0.0.1:{}", server.apdu_port()), TIMEOUT)
        .expect("connects")
}

pub(super) fn current_screen(port: u16) -> String {
    let (status, body) = http(port, "GET", "/events?currentscreenonly=true", None);
    assert_eq!(status, 200);
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Polls the screen until `wanted` shows (a bounded wait, not a timing assertion).
pub(super) fn wait_for_screen(port: u16, wanted: &str) {
    for _ in 0..6000 {
        if current_screen(port) == wanted {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the screen never showed {wanted:?}");
}

/// The signature is the real app's for "porsign test challenge" at m/84'/0'/0'/0/0.
pub(super) fn assert_recorded_signature(signature: &[u8]) {
    let expected = recorded("btc-signmessage-short-84");
    assert_eq!(
        b64(signature),
        expected["result"]["signature_base64"].as_str().unwrap()
    );
}

pub(super) fn press(port: u16, button: &str) {
    let (status, body) = http(
        port,
        "POST",
        &format!("/button/{button}"),
        Some(json!({"action": "press-and-release"})),
    );
    assert_eq!((status, body), (200, json!({})));
}

#[test]
fn tcp_port_speaks_the_speculos_framing() {
    let server = start(AppMode::Bitcoin, Approval::Auto, false);
    assert_eq!(server.api_port(), None);
    let mut transport = connect(&server);
    let app = btc::check_app(&mut transport).expect("Bitcoin app");
    assert_eq!((app.testnet, app.version.as_str()), (false, "2.4.6"));
    assert_eq!(
        btc::master_fingerprint(&mut transport).unwrap(),
        [0xf5, 0xac, 0xc2, 0xfd]
    );
    let xpub = btc::xpub(&mut transport, &path("m/84'/0'/0'"), false).unwrap();
    assert_eq!(
        xpub.to_string(),
        recorded("btc-xpub-84h-0h-0h")["result"].as_str().unwrap()
    );
    let expected = recorded("btc-signmessage-short-84");
    let signature = btc::sign_message(
        &mut transport,
        &path("m/84'/0'/0'/0/0"),
        b"porsign test challenge",
    )
    .unwrap();
    assert_eq!(
        b64(&signature),
        expected["result"]["signature_base64"].as_str().unwrap()
    );
}

#[test]
fn tcp_serves_the_bip322_psbt_flow() {
    let server = start(AppMode::Bitcoin, Approval::Auto, false);
    let mut transport = connect(&server);
    let expected = recorded("btc-bip322-signpsbt-wpkh");
    let psbt = bitcoin::base64::engine::general_purpose::STANDARD
        .decode(expected["result"]["psbt_base64"].as_str().unwrap())
        .unwrap();
    let account = btc::xpub(&mut transport, &path("m/84'/0'/0'"), false).unwrap();
    let key = firmware_msgs::btc::KeyInfo::new(
        [0xf5, 0xac, 0xc2, 0xfd],
        firmware_msgs::Bip32Path::from_str("m/84'/0'/0'").unwrap(),
        account.to_string(),
    );
    let policy = firmware_msgs::btc::WalletPolicy::single_key(
        firmware_msgs::btc::SingleKeyPolicy::Wpkh,
        key,
    );
    let reply = btc::sign_psbt(&mut transport, &psbt, &policy).expect("signed");
    let recorded_sig = &expected["result"]["yielded"][0][2];
    match reply.yielded.as_slice() {
        [firmware_msgs::btc::YieldedItem::PartialSignature {
            input_index: 0,
            key,
            signature,
        }] => {
            assert_eq!(hex::encode(key), recorded_sig["pubkey"].as_str().unwrap());
            assert_eq!(
                hex::encode(signature),
                recorded_sig["signature"].as_str().unwrap()
            );
        }
        other => panic!("unexpected yields {other:?}"),
    }
}

#[test]
fn rest_reads_the_screen_and_answers_apdus() {
    let server = start(AppMode::Ethereum, Approval::Auto, true);
    let port = server.api_port().expect("REST port");
    assert_eq!(current_screen(port), "Ethereum app is ready");
    let (status, body) = http(port, "POST", "/apdu", Some(json!({"data": "e006000000"})));
    assert_eq!((status, body), (200, json!({"data": "020116009000"})));
    let (status, _) = http(port, "POST", "/apdu", Some(json!({"data": "zz"})));
    assert_eq!(status, 400);
    let (status, _) = http(port, "GET", "/nothing", None);
    assert_eq!(status, 404);
    let (status, _) = http(port, "POST", "/button/middle", None);
    assert_eq!(status, 404);
    let (status, body) = http(port, "GET", "/events", None);
    assert_eq!(status, 200);
    assert!(!body["events"].as_array().unwrap().is_empty());
    assert_eq!(http(port, "DELETE", "/events", None).0, 200);
    let (_, body) = http(port, "GET", "/events", None);
    assert_eq!(body["events"], json!([]));
}

#[test]
fn buttons_approve_a_message_signature() {
    let server = start(AppMode::Bitcoin, Approval::Buttons, true);
    let port = server.api_port().expect("REST port");
    let apdu = format!("127.0.0.1:{}", server.apdu_port());
    let signer = std::thread::spawn(move || {
        let mut transport = SpeculosTransport::connect(&apdu, TIMEOUT).unwrap();
        btc::sign_message(
            &mut transport,
            &path("m/84'/0'/0'/0/0"),
            b"porsign test challenge",
        )
    });
    wait_for_screen(port, "Review message");
    for screen in [
        "Path 84'/0'/0'/0/0",
        "Message porsign test challenge",
        "Sign message",
    ] {
        press(port, "right");
        wait_for_screen(port, screen);
    }
    press(port, "both");
    let signature = signer.join().unwrap().expect("approved signature");
    assert_recorded_signature(&signature);
    wait_for_screen(port, "Bitcoin app is ready");
}

#[test]
fn buttons_reject_a_personal_signature() {
    let server = start(AppMode::Ethereum, Approval::Buttons, true);
    let port = server.api_port().expect("REST port");
    let apdu = format!("127.0.0.1:{}", server.apdu_port());
    let signer = std::thread::spawn(move || {
        let mut transport = SpeculosTransport::connect(&apdu, TIMEOUT).unwrap();
        eth::sign_personal(
            &mut transport,
            &path("m/44'/60'/0'/0/0"),
            b"please reject me",
        )
    });
    wait_for_screen(port, "Review message");
    // Pressing "both" on a review page does nothing; left at the start stays put.
    press(port, "both");
    press(port, "left");
    for screen in ["Message please reject me", "Sign message", "Reject message"] {
        press(port, "right");
        wait_for_screen(port, screen);
    }
    press(port, "both");
    assert!(matches!(signer.join().unwrap(), Err(DeviceError::Rejected)));
}

#[test]
fn stop_closes_the_ports() {
    let mut server = start(AppMode::Bitcoin, Approval::Auto, true);
    let mut transport = connect(&server);
    assert!(btc::master_fingerprint(&mut transport).is_ok());
    server.stop();
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::Transport(_))
    ));
}
