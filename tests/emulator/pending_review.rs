//! A review nobody answers, as on the real device: when the button wait runs out the request
//! gets no reply, the review stays on the screen, and every new APDU (of any class) is refused
//! with 6901 until the buttons resolve it.

use std::time::Duration;

use porsign::app::{self, btc, DeviceError};
use porsign::device::Transport;
use porsign::emulator::keys::path;
use porsign::emulator::{AppMode, Approval, Button, Emulator, EmulatorConfig, InProcessTransport};

fn waiting_for_buttons(app: AppMode) -> InProcessTransport {
    let mut config = EmulatorConfig::new(app);
    config.approval = Approval::Buttons;
    let emulator = Emulator::new(config).unwrap();
    emulator.set_button_timeout(Duration::from_millis(200));
    InProcessTransport::new(emulator)
}

#[test]
fn an_unanswered_review_stays_on_screen_and_the_device_answers_6901() {
    let mut t = waiting_for_buttons(AppMode::Bitcoin);
    let err = btc::sign_message(&mut t, &path("m/84'/0'/0'/0/0"), b"pending").unwrap_err();
    assert!(
        matches!(err, DeviceError::Transport(_)),
        "no reply, not a rejection: {err:?}"
    );
    let ui = t.emulator().lock().unwrap().ui();
    assert!(ui.in_review());
    let screen = ui.current_screen().text();
    assert_ne!(screen, "Bitcoin app is ready", "the review is still shown");

    // Every APDU, the OS's own B0 01 and an unknown class alike, is refused with 6901.
    for apdu in ["b001000000", "e105000100", "e0020000"] {
        let reply = t.exchange(&hex::decode(apdu).unwrap()).unwrap();
        assert_eq!(hex::encode(reply), "6901", "{apdu}");
    }
    assert!(matches!(
        app::app_info(&mut t),
        Err(DeviceError::ReviewPending)
    ));
    assert_eq!(
        DeviceError::ReviewPending.to_string(),
        "a review is still pending on the device: approve or reject it there, then run again"
    );
    assert_eq!(
        ui.current_screen().text(),
        screen,
        "nothing moved the review"
    );

    // The buttons still work the review: on to its reject page, both buttons.
    let mut presses = 0;
    while ui.in_review() {
        let reject_page = ui.current_screen().text().starts_with("Reject");
        ui.press(if reject_page {
            Button::Both
        } else {
            Button::Right
        });
        presses += 1;
        assert!(presses < 50, "the review never resolved");
    }
    assert_eq!(ui.current_screen().text(), "Bitcoin app is ready");
    assert_eq!(
        btc::master_fingerprint(&mut t).unwrap(),
        [0xf5, 0xac, 0xc2, 0xfd],
        "the device takes commands again"
    );
}

#[test]
fn the_ethereum_app_keeps_its_review_too() {
    let mut t = waiting_for_buttons(AppMode::Ethereum);
    let err = porsign::app::eth::sign_personal(&mut t, &path("m/44'/60'/0'/0/0"), b"pending")
        .unwrap_err();
    assert!(matches!(err, DeviceError::Transport(_)), "{err:?}");
    assert!(matches!(
        porsign::app::eth::check_app(&mut t),
        Err(DeviceError::ReviewPending)
    ));
}
