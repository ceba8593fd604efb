//! SIGN_PERSONAL_MESSAGE (EIP-191).

use firmware_msgs::eth::MAX_PERSONAL_MESSAGE_LEN;
use firmware_msgs::{Bip32Path, StatusWord};

use super::super::bitcoin::derivation_path;
use super::super::screens::ReviewBuilder;
use super::super::ui::{Decision, ReviewKind};
use super::{may_derive, EthereumApp};

impl EthereumApp {
    /// Ends a message review with the app's message pages ("Sign message", then the reject
    /// page), shows it and answers 6985 unless the user approves. Personal messages and
    /// clear-signed EIP-712 messages end the same way.
    pub(super) fn approve_message(&self, review: ReviewBuilder) -> Result<(), StatusWord> {
        let review = review.finish(
            "Sign message",
            "Reject message",
            "Message signed",
            "Message rejected",
        );
        match self.ui.review(&review, ReviewKind::Signature) {
            Decision::Approved => Ok(()),
            _ => Err(StatusWord::Deny),
        }
    }

    pub(super) fn sign_personal(
        &self,
        path: &Bip32Path,
        message: &[u8],
    ) -> Result<Vec<u8>, StatusWord> {
        if message.len() > MAX_PERSONAL_MESSAGE_LEN {
            return Err(StatusWord::IncorrectData);
        }
        if !may_derive(path.steps()) {
            return Err(StatusWord::IncorrectData);
        }
        self.approve_message(
            ReviewBuilder::intro("Review message").pair("Message", &shown_message(message)),
        )?;
        let signature = self
            .signer
            .sign_eth_personal(&derivation_path(path.steps()), message)
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok(signature.to_vec())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_shown_as_text_or_hex() {
        assert_eq!(shown_message(b"a\nb"), "a b");
        assert_eq!(shown_message(&[0x00, 0xff]), "0x00ff");
    }
}
