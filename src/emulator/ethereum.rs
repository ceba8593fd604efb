//! The Ethereum app (1.22.0): GET_ADDRESS, GET_APP_CONFIGURATION and SIGN_PERSONAL_MESSAGE.

use std::sync::Arc;

use firmware_msgs::eth::{
    AddressReply, AppConfiguration, EthCommand, EthError, PersonalMessageAssembler,
    MAX_PERSONAL_MESSAGE_LEN,
};
use firmware_msgs::{ApduCommand, ApduResponse, Bip32Path, StatusWord};
use sha3::{Digest, Keccak256};

use super::bitcoin::derivation_path;
use super::keys::SoftwareSigner;
use super::screens::ReviewBuilder;
use super::ui::{Decision, ReviewKind, Ui};

const HARDENED: u32 = 0x8000_0000;

/// What GET_APP_CONFIGURATION answers: flags `02` (ERC-20 info provided externally) and the
/// version 1.22.0, as recorded.
const CONFIGURATION: AppConfiguration = AppConfiguration {
    flags: 0x02,
    major: 1,
    minor: 22,
    patch: 0,
    extra: Vec::new(),
};

/// The Ethereum app's state between APDUs: a personal message being received.
pub(crate) struct EthereumApp {
    signer: Arc<SoftwareSigner>,
    ui: Ui,
    message: PersonalMessageAssembler,
}

impl EthereumApp {
    pub(crate) fn new(signer: Arc<SoftwareSigner>, ui: Ui) -> Self {
        EthereumApp {
            signer,
            ui,
            message: PersonalMessageAssembler::new(),
        }
    }

    /// Answers one APDU.
    pub(crate) fn handle(&mut self, command: &ApduCommand) -> ApduResponse {
        let outcome = match EthCommand::decode(command) {
            Ok(EthCommand::GetAddress(c)) => self.address(&c.path, c.display, c.return_chain_code),
            Ok(EthCommand::GetAppConfiguration) => Ok(CONFIGURATION.encode()),
            Ok(EthCommand::SignPersonalMessage(chunk)) => match self.message.push(chunk) {
                Ok(None) => Ok(Vec::new()),
                Ok(Some((path, message))) => self.sign(&path, &message),
                Err(e) => Err(e.status_word()),
            },
            Ok(_) => Err(StatusWord::InsNotSupported),
            Err(e) => Err(status_of(&e)),
        };
        match outcome {
            Ok(data) => ApduResponse::new(data, StatusWord::Ok),
            Err(status) => ApduResponse::status_only(status),
        }
    }

    fn address(
        &self,
        path: &Bip32Path,
        display: bool,
        chain_code: bool,
    ) -> Result<Vec<u8>, StatusWord> {
        if !may_derive(path.steps()) {
            return Err(StatusWord::IncorrectData);
        }
        let der = derivation_path(path.steps());
        let key = self
            .signer
            .public_key(&der)
            .map_err(|_| StatusWord::IncorrectData)?;
        let uncompressed = key.serialize_uncompressed();
        let address = checksummed_address(&uncompressed);
        if display {
            let review = ReviewBuilder::intro("Verify Ethereum\naddress")
                .pair("Address", &format!("0x{address}"))
                .finish("Confirm", "Reject", "Address verified", "Address rejected");
            if self.ui.review(&review, ReviewKind::Other) != Decision::Approved {
                return Err(StatusWord::Deny);
            }
        }
        let chain_code = if chain_code {
            let xpub = self
                .signer
                .xpub(&der, bitcoin::NetworkKind::Main)
                .map_err(|_| StatusWord::IncorrectData)?;
            Some(xpub.chain_code.to_bytes())
        } else {
            None
        };
        Ok(AddressReply {
            public_key: uncompressed.to_vec(),
            address,
            chain_code,
        }
        .encode())
    }

    fn sign(&self, path: &Bip32Path, message: &[u8]) -> Result<Vec<u8>, StatusWord> {
        if message.len() > MAX_PERSONAL_MESSAGE_LEN {
            return Err(StatusWord::IncorrectData);
        }
        if !may_derive(path.steps()) {
            return Err(StatusWord::IncorrectData);
        }
        let review = ReviewBuilder::intro("Review message")
            .pair("Message", &shown_message(message))
            .finish(
                "Sign message",
                "Reject message",
                "Message signed",
                "Message rejected",
            );
        if self.ui.review(&review, ReviewKind::Signature) != Decision::Approved {
            return Err(StatusWord::Deny);
        }
        let signature = self
            .signer
            .sign_eth_personal(&derivation_path(path.steps()), message)
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok(signature.to_vec())
    }
}

fn status_of(error: &EthError) -> StatusWord {
    error.status_word()
}

/// The paths the Ethereum app may derive: `44'/60'`, `45'` and `12381/3600` (BLS).
fn may_derive(path: &[u32]) -> bool {
    path.starts_with(&[HARDENED | 44, HARDENED | 60])
        || path.starts_with(&[HARDENED | 45])
        || path.starts_with(&[12381, 3600])
}

/// The app shows printable text as text (whitespace as spaces) and anything else as `0x` and
/// lowercase hex.
fn shown_message(message: &[u8]) -> String {
    let printable = message
        .iter()
        .all(|b| (0x20..=0x7e).contains(b) || b.is_ascii_whitespace());
    if printable {
        message
            .iter()
            .map(|b| {
                if b.is_ascii_whitespace() {
                    ' '
                } else {
                    char::from(*b)
                }
            })
            .collect()
    } else {
        format!("0x{}", hex::encode(message))
    }
}

/// EIP-55 mixed-case hex of the address of an uncompressed public key (no `0x`).
///
/// Deliberately not `scheme::EthAddress`: the host checks the address this answers against its
/// own derivation, and an emulator that shared the host's code would agree with any bug in it
/// (see `emulator::digests`). Tests pin both to the addresses of the real app's transcripts.
fn checksummed_address(uncompressed: &[u8; 65]) -> String {
    let hash = Keccak256::digest(uncompressed.get(1..).unwrap_or_default());
    let lower = hex::encode(hash.get(12..).unwrap_or_default());
    let check = hex::encode(Keccak256::digest(lower.as_bytes()));
    lower
        .chars()
        .zip(check.chars())
        .map(|(c, h)| {
            if c.is_ascii_alphabetic() && h.to_digit(16).is_some_and(|d| d >= 8) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_shown_as_text_or_hex() {
        assert_eq!(shown_message(b"a\nb"), "a b");
        assert_eq!(shown_message(&[0x00, 0xff]), "0x00ff");
    }
}
