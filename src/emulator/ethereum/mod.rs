//! The Ethereum app (1.22.0): GET_ADDRESS, GET_APP_CONFIGURATION, SIGN_PERSONAL_MESSAGE,
//! SIGN_TRANSACTION (legacy, EIP-2930, EIP-1559) and EIP-712 signing, hashed and full mode.
//!
//! - `address`: GET_ADDRESS and the EIP-55 address text;
//! - `personal`: EIP-191 messages;
//! - `transaction`: transactions, reviewed and signed like the app;
//! - `eip712`: EIP-712 in hashed mode;
//! - `eip712_full`: EIP-712 in full mode (struct definitions and values, clear-signed);
//! - `screens`: amounts, fees and networks as the transaction review shows them.
//!
//! Blind signing (the app's setting, off by default) gates contract data and EIP-712 hashed
//! mode (not full mode), as on the device; [`EthereumApp::set_blind_signing`] switches it.

mod address;
mod eip712;
mod eip712_full;
mod personal;
mod screens;
mod transaction;

use std::sync::Arc;

use firmware_msgs::eth::{
    AppConfiguration, EthCommand, PersonalMessageAssembler, PersonalMessageChunk,
    TransactionAssembler, INS_EIP712_FILTERING, INS_EIP712_STRUCT_DEF, INS_EIP712_STRUCT_IMPL,
};
use firmware_msgs::{ApduCommand, ApduResponse, StatusWord};

use super::keys::SoftwareSigner;
use super::screens::Screen;
use super::ui::Ui;

const HARDENED: u32 = 0x8000_0000;

/// GET_APP_CONFIGURATION's flag for "blind signing enabled" (`APP_FLAG_DATA_ALLOWED`).
const FLAG_BLIND_SIGNING: u8 = 0x01;
/// GET_APP_CONFIGURATION's flag the app always sets: ERC-20 token information comes from the
/// host (`APP_FLAG_EXTERNAL_TOKEN_NEEDED`).
const FLAG_EXTERNAL_TOKEN_INFO: u8 = 0x02;

/// The warning page in front of a review that signs what the app cannot show (Nano S Plus).
const BLIND_SIGNING_WARNING: &str = "Blind signing ahead\nTo accept risk, press\nboth buttons";

/// The notice the app shows when it refuses to blind-sign (and answers 6A80 at once).
const BLIND_SIGNING_REFUSED: &str = "Blind signing must\nbe enabled in\nsettings";

/// The Ethereum app's state between APDUs.
pub(crate) struct EthereumApp {
    signer: Arc<SoftwareSigner>,
    ui: Ui,
    message: PersonalMessageAssembler,
    transaction: TransactionAssembler,
    blind_signing: bool,
    /// The EIP-712 full-mode exchange under way, if any.
    eip712: Option<Box<eip712_full::Eip712Session>>,
}

impl EthereumApp {
    pub(crate) fn new(signer: Arc<SoftwareSigner>, ui: Ui) -> Self {
        EthereumApp {
            signer,
            ui,
            message: PersonalMessageAssembler::new(),
            transaction: TransactionAssembler::new(),
            blind_signing: false,
            eip712: None,
        }
    }

    /// The app's "Blind signing" setting (off by default, as installed).
    pub(crate) fn set_blind_signing(&mut self, enabled: bool) {
        self.blind_signing = enabled;
    }

    /// Answers one APDU.
    pub(crate) fn handle(&mut self, command: &ApduCommand) -> ApduResponse {
        let outcome = match EthCommand::decode(command) {
            Ok(EthCommand::GetAddress(c)) => self.address(&c.path, c.display, c.return_chain_code),
            Ok(EthCommand::GetAppConfiguration) => Ok(self.configuration().encode()),
            Ok(EthCommand::SignPersonalMessage(chunk)) => {
                if matches!(chunk, PersonalMessageChunk::First { .. }) {
                    self.transaction.reset();
                }
                match self.message.push(chunk) {
                    Ok(None) => Ok(Vec::new()),
                    Ok(Some((path, message))) => self.sign_personal(&path, &message),
                    Err(e) => Err(e.status_word()),
                }
            }
            Ok(EthCommand::SignTransaction(chunk)) => self.transaction_chunk(chunk),
            Ok(EthCommand::SignEip712Hashed(c)) => {
                self.transaction.reset();
                self.sign_eip712_hashed(&c)
            }
            Ok(EthCommand::Eip712(c)) => self.eip712_full(c),
            Ok(_) => Err(StatusWord::InsNotSupported),
            Err(e) => {
                // A malformed EIP-712 command ends the exchange too, as in the app.
                if matches!(
                    command.ins(),
                    INS_EIP712_STRUCT_DEF | INS_EIP712_STRUCT_IMPL | INS_EIP712_FILTERING
                ) {
                    self.eip712 = None;
                }
                Err(e.status_word())
            }
        };
        match outcome {
            Ok(data) => ApduResponse::new(data, StatusWord::Ok),
            Err(status) => ApduResponse::status_only(status),
        }
    }

    /// GET_APP_CONFIGURATION: the flags, then version 1.22.0.
    fn configuration(&self) -> AppConfiguration {
        let blind = if self.blind_signing {
            FLAG_BLIND_SIGNING
        } else {
            0
        };
        AppConfiguration {
            flags: FLAG_EXTERNAL_TOKEN_INFO | blind,
            major: 1,
            minor: 22,
            patch: 0,
            extra: Vec::new(),
        }
    }

    /// Shows the app's refusal and returns its status word.
    fn refuse_blind_signing(&self) -> StatusWord {
        self.ui.notice(Screen::from_text(BLIND_SIGNING_REFUSED));
        StatusWord::IncorrectData
    }
}

/// The paths the Ethereum app may derive: `44'/60'`, `45'` and `12381/3600` (BLS).
fn may_derive(path: &[u32]) -> bool {
    path.starts_with(&[HARDENED | 44, HARDENED | 60])
        || path.starts_with(&[HARDENED | 45])
        || path.starts_with(&[12381, 3600])
}
