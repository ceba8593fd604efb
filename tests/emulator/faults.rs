//! Fault injection: each fault the emulator offers, and the error porsign's host drivers make
//! of it — in-process and, where the link matters, over the Speculos TCP port.

use std::time::Duration;

use porsign::app::{btc, eth, DeviceError};
use porsign::device::{SpeculosTransport, Transport, TransportError};
use porsign::emulator::keys::path;
use porsign::emulator::{serve, AppMode, Emulator, EmulatorConfig, Faults, InProcessTransport};

fn in_process(app: AppMode, faults: Faults) -> InProcessTransport {
    let mut config = EmulatorConfig::new(app);
    config.faults = faults;
    InProcessTransport::new(Emulator::new(config).expect("emulator"))
}

fn sign(transport: &mut dyn Transport) -> Result<[u8; 65], DeviceError> {
    btc::sign_message(
        transport,
        &path("m/84'/0'/0'/0/0"),
        b"porsign test challenge",
    )
}

#[test]
fn reject_nth_signature_rejects_only_that_one() {
    let mut transport = in_process(
        AppMode::Bitcoin,
        Faults {
            reject_nth_signature: Some(2),
            ..Faults::default()
        },
    );
    // Reviews that are not signatures do not count.
    assert!(btc::xpub(&mut transport, &path("m/84'/0'/0'"), true).is_ok());
    let first = sign(&mut transport).expect("first signature");
    assert!(matches!(sign(&mut transport), Err(DeviceError::Rejected)));
    assert_eq!(sign(&mut transport).expect("third signature"), first);
    let screens = transport.emulator().lock().unwrap().reviewed_screens();
    assert!(screens.iter().any(|s| s == "Reject message"));
}

#[test]
fn reject_nth_signature_applies_to_ethereum() {
    let mut transport = in_process(
        AppMode::Ethereum,
        Faults {
            reject_nth_signature: Some(1),
            ..Faults::default()
        },
    );
    let key = path("m/44'/60'/0'/0/0");
    assert!(matches!(
        eth::sign_personal(&mut transport, &key, b"hello"),
        Err(DeviceError::Rejected)
    ));
    assert!(eth::sign_personal(&mut transport, &key, b"hello").is_ok());
}

#[test]
fn locked_device() {
    let locked = Faults {
        locked: true,
        ..Faults::default()
    };
    let mut transport = in_process(AppMode::Bitcoin, locked.clone());
    assert!(matches!(
        btc::check_app(&mut transport),
        Err(DeviceError::Locked)
    ));
    assert!(matches!(sign(&mut transport), Err(DeviceError::Locked)));
    let mut transport = in_process(AppMode::Ethereum, locked);
    assert!(matches!(
        eth::check_app(&mut transport),
        Err(DeviceError::Locked)
    ));
}

#[test]
fn wrong_app_open() {
    let wrong = Faults {
        wrong_app: true,
        ..Faults::default()
    };
    let mut transport = in_process(AppMode::Bitcoin, wrong.clone());
    match btc::check_app(&mut transport) {
        Err(DeviceError::WrongApp { found, .. }) => assert_eq!(found, "Ethereum"),
        other => panic!("unexpected {other:?}"),
    }
    // The Ethereum app does not know CLA E1.
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::NotThisApp { .. })
    ));
    let mut transport = in_process(AppMode::Ethereum, wrong);
    match eth::check_app(&mut transport) {
        Err(DeviceError::WrongApp { found, .. }) => assert_eq!(found, "Bitcoin"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn disconnect_after_n_apdus_stays_disconnected() {
    let mut transport = in_process(
        AppMode::Bitcoin,
        Faults {
            disconnect_after_apdus: Some(2),
            ..Faults::default()
        },
    );
    assert!(btc::check_app(&mut transport).is_ok());
    assert!(btc::master_fingerprint(&mut transport).is_ok());
    for _ in 0..2 {
        assert!(matches!(
            btc::master_fingerprint(&mut transport),
            Err(DeviceError::Transport(TransportError::Disconnected))
        ));
    }
    assert!(transport.emulator().lock().unwrap().is_disconnected());
}

#[test]
fn disconnect_over_tcp_closes_the_link() {
    let mut config = EmulatorConfig::new(AppMode::Bitcoin);
    config.faults.disconnect_after_apdus = Some(1);
    let server = serve(config, "127.0.0.1:0", None).expect("server");
    let addr = format!("127.0.0.1:{}", server.apdu_port());
    let mut transport = SpeculosTransport::connect(&addr, Duration::from_secs(60)).unwrap();
    assert!(btc::master_fingerprint(&mut transport).is_ok());
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::Transport(TransportError::Disconnected))
    ));
    // The device stays away for new connections too.
    let mut again = SpeculosTransport::connect(&addr, Duration::from_secs(60)).unwrap();
    assert!(matches!(
        btc::master_fingerprint(&mut again),
        Err(DeviceError::Transport(TransportError::Disconnected))
    ));
}

#[test]
fn malformed_reply_is_a_protocol_error() {
    let faults = Faults {
        malformed_reply_nth: Some(2),
        ..Faults::default()
    };
    let mut transport = in_process(AppMode::Bitcoin, faults.clone());
    assert!(btc::master_fingerprint(&mut transport).is_ok());
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::Protocol(_))
    ));
    assert!(btc::master_fingerprint(&mut transport).is_ok());

    let mut config = EmulatorConfig::new(AppMode::Ethereum);
    config.faults = faults;
    let server = serve(config, "127.0.0.1:0", None).expect("server");
    let addr = format!("127.0.0.1:{}", server.apdu_port());
    let mut transport = SpeculosTransport::connect(&addr, Duration::from_secs(60)).unwrap();
    let key = path("m/44'/60'/0'/0/0");
    assert!(eth::address(&mut transport, &key, false).is_ok());
    assert!(matches!(
        eth::address(&mut transport, &key, false),
        Err(DeviceError::Protocol(_))
    ));
}

#[test]
fn slow_replies_time_out_a_short_client() {
    let slow = Faults {
        slow_reply: Some(Duration::from_secs(3)),
        ..Faults::default()
    };
    let mut config = EmulatorConfig::new(AppMode::Bitcoin);
    config.faults = slow.clone();
    let server = serve(config, "127.0.0.1:0", None).expect("server");
    let addr = format!("127.0.0.1:{}", server.apdu_port());
    let mut transport = SpeculosTransport::connect(&addr, Duration::from_millis(200)).unwrap();
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::Transport(TransportError::Timeout { .. }))
    ));

    let mut transport = in_process(AppMode::Bitcoin, slow).with_timeout(Duration::from_millis(100));
    assert!(matches!(
        btc::master_fingerprint(&mut transport),
        Err(DeviceError::Transport(TransportError::Timeout { .. }))
    ));
}

#[test]
fn slow_replies_still_arrive_for_a_patient_client() {
    let mut transport = in_process(
        AppMode::Bitcoin,
        Faults {
            slow_reply: Some(Duration::from_millis(20)),
            ..Faults::default()
        },
    )
    .with_timeout(Duration::from_secs(60));
    assert_eq!(
        btc::master_fingerprint(&mut transport).unwrap(),
        [0xf5, 0xac, 0xc2, 0xfd]
    );
}
