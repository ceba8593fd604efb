//! porsign's built-in emulator of the Ledger Bitcoin and Ethereum apps (for tests and rehearsals
//! only: it holds its keys in memory, never load a mnemonic that guards real funds).
//!
//! [`Emulator`] answers APDUs like the Bitcoin 2.4.6 ("Bitcoin" and "Bitcoin Test") and
//! Ethereum 1.22.0 apps on a Nano S Plus: same replies byte for byte (the transcripts recorded
//! from the real apps are its test suite), same client-command requests in the same order, same
//! error status words, same screens. It runs in-process ([`InProcessTransport`]) or behind the
//! Speculos TCP framing and REST API ([`serve`]).
//!
//! - [`keys`]: BIP-39/BIP-32 keys and signatures identical to the apps';
//! - [`digests`]: the message digests the apps sign, written from the specs (never borrowed
//!   from the verifier in `crate::scheme`, so a verifier bug cannot hide behind the emulator);
//! - `bitcoin`, `ethereum`: the two apps' commands;
//! - `session`: Bitcoin commands as pausable handlers (the client-command protocol);
//! - [`screens`], [`ui`]: what the device shows and how the emulated user answers;
//! - [`faults`]: locked device, wrong app, rejections, disconnects, malformed and slow replies;
//! - [`server`], `rest`, [`transport`]: the ways in.
//!
//! Limits: SIGN_PSBT signs for the default single-key policies only (registered multisig
//! policies answer 6A82), wallet policies beyond `pkh`/`wpkh`/`sh(wpkh)`/`tr` (key path) and
//! `multi`/`sortedmulti` answer 6A82, the Ethereum app knows GET_ADDRESS, GET_APP_CONFIGURATION,
//! SIGN_PERSONAL_MESSAGE, SIGN_TRANSACTION (legacy, EIP-2930, EIP-1559; no plugins, token or
//! clear-signing metadata) and EIP-712 in hashed mode (6D00 for the rest), and Schnorr signatures use fresh
//! randomness as the app's do, so they differ from run to run.

mod bitcoin;
pub mod digests;
mod ethereum;
pub mod faults;
pub mod keys;
mod rest;
pub mod screens;
pub mod server;
mod session;
pub mod transport;
pub mod ui;

use std::sync::{Arc, Once};
use std::time::Duration;

use firmware_msgs::bolos::{self, AppAndVersion};
use firmware_msgs::{ApduCommand, ApduResponse, StatusWord};

use self::bitcoin::chain::Chain;
use self::bitcoin::{BitcoinApp, Ctx};
use self::ethereum::EthereumApp;
pub use self::faults::Faults;
use self::faults::{FaultState, Verdict};
pub use self::keys::SPECULOS_DEFAULT_MNEMONIC;
use self::keys::{KeyError, SoftwareSigner};
pub use self::screens::Screen;
pub use self::server::{serve, ServerHandle};
pub use self::transport::InProcessTransport;
pub use self::ui::{Button, Ui};

/// The version the emulated Bitcoin apps report (the one the transcripts were recorded with).
pub const BITCOIN_APP_VERSION: &str = "2.4.6";
/// The version the emulated Ethereum app reports.
pub const ETHEREUM_APP_VERSION: &str = "1.22.0";

/// Which app is open on the emulated device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppMode {
    /// "Bitcoin": mainnet keys (coin type 0').
    Bitcoin,
    /// "Bitcoin Test": testnet keys (coin type 1'), tpubs, `tb1` addresses.
    BitcoinTest,
    /// "Ethereum".
    Ethereum,
}

impl AppMode {
    /// The app's name as GET_APP_AND_VERSION reports it.
    pub fn app_name(self) -> &'static str {
        match self {
            AppMode::Bitcoin => Chain::Main.app_name(),
            AppMode::BitcoinTest => Chain::Test.app_name(),
            AppMode::Ethereum => "Ethereum",
        }
    }

    /// The name on the home screen, above "app is ready" (the SDK's Nano home page when the
    /// app gives no tagline). The Bitcoin Test app names itself "Bitcoin Testnet" there
    /// (app-bitcoin-new's `menu_nbgl.c`), though GET_APP_AND_VERSION says "Bitcoin Test".
    fn home_name(self) -> &'static str {
        match self {
            AppMode::Bitcoin => "Bitcoin",
            AppMode::BitcoinTest => "Bitcoin Testnet",
            AppMode::Ethereum => "Ethereum",
        }
    }

    fn version(self) -> &'static str {
        match self {
            AppMode::Bitcoin | AppMode::BitcoinTest => BITCOIN_APP_VERSION,
            AppMode::Ethereum => ETHEREUM_APP_VERSION,
        }
    }

    /// The app a user would have opened by mistake.
    fn other(self) -> AppMode {
        match self {
            AppMode::Bitcoin | AppMode::BitcoinTest => AppMode::Ethereum,
            AppMode::Ethereum => AppMode::Bitcoin,
        }
    }
}

/// How the emulated user answers review screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Step to the approve page and confirm, every time.
    Auto,
    /// Step past the approve page to the reject page and confirm, every time.
    Reject,
    /// Wait for button presses (`POST /button/…`), like the real device.
    Buttons,
}

/// Everything the emulator is made from.
#[derive(Clone)]
pub struct EmulatorConfig {
    pub app: AppMode,
    /// BIP-39 words (no passphrase). Test material only.
    pub mnemonic: String,
    pub approval: Approval,
    pub faults: Faults,
}

impl EmulatorConfig {
    /// The `app` with Speculos's default seed, auto-approval and no faults.
    pub fn new(app: AppMode) -> Self {
        EmulatorConfig {
            app,
            mnemonic: SPECULOS_DEFAULT_MNEMONIC.to_owned(),
            approval: Approval::Auto,
            faults: Faults::default(),
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    // The mnemonic is key material, even in a test tool: it never goes to a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("app", &self.app)
            .field("mnemonic", &"<redacted>")
            .field("approval", &self.approval)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    #[error("emulator keys")]
    Keys(#[from] KeyError),
    #[error("invalid listening address {0:?} (expected host:port or a port)")]
    Address(String),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("emulator server i/o")]
    Io(#[from] std::io::Error),
}

/// One answer to one APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `data || SW1 SW2`.
    Data(Vec<u8>),
    /// The device went away (fault injection): the link must be closed.
    Disconnect,
    /// Nothing comes back: nobody pressed the buttons before the button timeout, and the
    /// review stays on the screen (the host's own read timeout ends its wait).
    NoReply,
}

enum OpenApp {
    Bitcoin(BitcoinApp),
    Ethereum(EthereumApp),
}

/// The emulated device.
pub struct Emulator {
    open: AppMode,
    configured: AppMode,
    app: OpenApp,
    faults: Faults,
    fault_state: FaultState,
    ui: Ui,
    fingerprint: [u8; 4],
    /// Set by QUIT_APP (`B0 A7`): the app has exited.
    quit: bool,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("app", &self.configured)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

static WARNING: Once = Once::new();

/// Says once per process, where people look, that this is no place for real keys.
fn warn_not_for_funds() {
    WARNING.call_once(|| {
        eprintln!(
            "WARNING: porsign's Ledger EMULATOR is running. It keeps its keys in memory and \
signs whatever it is told: it is for tests and rehearsals only. NEVER give it a mnemonic that \
guards real funds."
        );
    });
}

impl Emulator {
    /// Builds the device from its configuration.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        warn_not_for_funds();
        let signer = Arc::new(SoftwareSigner::from_mnemonic(&config.mnemonic, "")?);
        let fingerprint = signer.fingerprint().to_bytes();
        let open = if config.faults.wrong_app {
            config.app.other()
        } else {
            config.app
        };
        let home = Screen::new(vec![open.home_name().to_owned(), "app is ready".to_owned()]);
        let ui = Ui::new(home, config.approval, config.faults.reject_nth_signature);
        let app = match open {
            AppMode::Bitcoin | AppMode::BitcoinTest => OpenApp::Bitcoin(BitcoinApp::new(Ctx {
                signer,
                chain: if open == AppMode::Bitcoin {
                    Chain::Main
                } else {
                    Chain::Test
                },
                ui: ui.clone(),
            })),
            AppMode::Ethereum => OpenApp::Ethereum(EthereumApp::new(signer, ui.clone())),
        };
        Ok(Emulator {
            open,
            configured: config.app,
            app,
            faults: config.faults,
            fault_state: FaultState::default(),
            ui,
            fingerprint,
            quit: false,
        })
    }

    /// Answers one APDU (`CLA INS P1 P2 Lc data`), faults included.
    pub fn handle(&mut self, apdu: &[u8]) -> Reply {
        if self.quit || self.fault_state.on_apdu(&self.faults) == Verdict::Disconnect {
            return Reply::Disconnect;
        }
        let response = self.answer(apdu);
        if self.ui.take_abandoned() {
            return Reply::NoReply;
        }
        let bytes = self.fault_state.on_reply(&self.faults, response.encode());
        if let Some(delay) = self.faults.slow_reply {
            std::thread::sleep(delay);
        }
        Reply::Data(bytes)
    }

    fn answer(&mut self, apdu: &[u8]) -> ApduResponse {
        if self.ui.in_review() {
            // The OS holds the screen for a review nobody resolved: it refuses every command,
            // whatever its class, until the buttons decide the review.
            return ApduResponse::status_only(StatusWord::CommandNotAccepted);
        }
        let Ok(command) = ApduCommand::decode(apdu) else {
            return ApduResponse::status_only(StatusWord::WrongDataLength);
        };
        if self.faults.locked {
            return ApduResponse::status_only(StatusWord::Locked);
        }
        if command.cla() == bolos::CLA_BOLOS && command.ins() == bolos::INS_QUIT_APP {
            // The SDK answers 9000, then the app exits; Speculos ends with it, so the device
            // is gone for every later APDU (a real Ledger shows its dashboard).
            self.quit = true;
            return ApduResponse::status_only(StatusWord::Ok);
        }
        if bolos::is_get_app_and_version(&command) {
            // Answered by the OS for whatever app is open, even mid-command.
            let info = AppAndVersion {
                name: self.open.app_name().to_owned(),
                version: self.open.version().to_owned(),
                flags: vec![0x00],
            };
            return ApduResponse::new(info.encode(), StatusWord::Ok);
        }
        match &mut self.app {
            OpenApp::Bitcoin(app) => app.handle(&command),
            OpenApp::Ethereum(app) => app.handle(&command),
        }
    }

    /// The master key fingerprint of the emulator's seed.
    pub fn fingerprint(&self) -> [u8; 4] {
        self.fingerprint
    }

    /// The app it was configured with (a wrong-app fault opens the other one).
    pub fn app(&self) -> AppMode {
        self.configured
    }

    /// The faults it injects.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Whether a disconnect fault has fired.
    pub fn is_disconnected(&self) -> bool {
        self.fault_state.is_disconnected()
    }

    /// The screen shown now.
    pub fn current_screen(&self) -> Screen {
        self.ui.current_screen()
    }

    /// The screen and buttons, usable while an APDU waits for a press.
    pub fn ui(&self) -> Ui {
        self.ui.clone()
    }

    /// The texts of the review pages visited so far, in order.
    pub fn reviewed_screens(&self) -> Vec<String> {
        self.ui.reviewed_screens()
    }

    /// Switches the Ethereum app's "Blind signing" setting (off by default, as on a fresh
    /// install): with it off, the app refuses transactions with contract data and EIP-712
    /// hashed mode (6A80). No effect on the Bitcoin apps.
    pub fn set_blind_signing(&mut self, enabled: bool) {
        if let OpenApp::Ethereum(app) = &mut self.app {
            app.set_blind_signing(enabled);
        }
    }

    /// How long a review waits for button presses (default five minutes) before its request is
    /// given up unanswered; the review then stays on the screen until the buttons resolve it.
    pub fn set_button_timeout(&self, timeout: Duration) {
        self.ui.set_button_timeout(timeout);
    }
}
