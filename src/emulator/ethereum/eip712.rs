//! SIGN_ETH_EIP_712 in hashed mode: the host sends the domain separator's and the message's
//! `hashStruct`; the app shows both and signs `keccak256(0x19 0x01 ‖ domain ‖ message)`.
//!
//! Not recorded from the real app; this follows app-ethereum 1.22.0's source
//! (`cmd_sign_message_eip712.c`, `common_712.c`, `ui_sign_712.c`): the mode needs blind signing
//! enabled (else 6A80 and the "Blind signing must be enabled" notice), and the review is
//! opened as a transaction-type review, hence "Reject transaction".

use firmware_msgs::eth::Eip712Hashed;
use firmware_msgs::StatusWord;
use sha3::{Digest, Keccak256};

use super::super::bitcoin::derivation_path;
use super::super::screens::ReviewBuilder;
use super::super::ui::{Decision, ReviewKind};
use super::{EthereumApp, BLIND_SIGNING_WARNING};

/// EIP-712's prefix of the signed digest.
const EIP712_PREFIX: [u8; 2] = [0x19, 0x01];

impl EthereumApp {
    pub(super) fn sign_eip712_hashed(&self, c: &Eip712Hashed) -> Result<Vec<u8>, StatusWord> {
        if !self.blind_signing {
            return Err(self.refuse_blind_signing());
        }
        self.public_key(&c.path)?;
        // The app writes these hashes with the SDK's upper-case hex.
        let review = ReviewBuilder::intro(BLIND_SIGNING_WARNING)
            .info("Review typed message")
            .pair(
                "Domain hash",
                &format!("0x{}", hex::encode_upper(c.domain_hash)),
            )
            .pair(
                "Message hash",
                &format!("0x{}", hex::encode_upper(c.message_hash)),
            )
            .finish(
                "Accept risk and\nsign message",
                "Reject transaction",
                "Message signed",
                "Message rejected",
            );
        if self.ui.review(&review, ReviewKind::Signature) != Decision::Approved {
            return Err(StatusWord::Deny);
        }
        let digest = eip712_digest(&c.domain_hash, &c.message_hash);
        let (recid, rs) = self
            .signer
            .sign_recoverable_digest(&derivation_path(c.path.steps()), &digest)
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok([&[27u8.wrapping_add(recid)][..], &rs].concat())
    }
}

/// `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))`.
pub(crate) fn eip712_digest(domain_hash: &[u8; 32], message_hash: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(EIP712_PREFIX);
    hasher.update(domain_hash);
    hasher.update(message_hash);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip712_mail_example_digest() {
        // EIP-712's "Mail" example: domain separator, hashStruct(message) and the digest.
        let domain: [u8; 32] =
            hex::decode("f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f")
                .unwrap()
                .try_into()
                .unwrap();
        let message: [u8; 32] =
            hex::decode("c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e")
                .unwrap()
                .try_into()
                .unwrap();
        assert_eq!(
            hex::encode(eip712_digest(&domain, &message)),
            "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
        );
    }
}
