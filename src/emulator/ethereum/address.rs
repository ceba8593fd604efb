//! GET_ADDRESS and the app's EIP-55 address text.

use firmware_msgs::eth::AddressReply;
use firmware_msgs::{Bip32Path, StatusWord};
use sha3::{Digest, Keccak256};

use super::super::bitcoin::derivation_path;
use super::super::screens::ReviewBuilder;
use super::super::ui::{Decision, ReviewKind};
use super::{may_derive, EthereumApp};

impl EthereumApp {
    pub(super) fn address(
        &self,
        path: &Bip32Path,
        display: bool,
        chain_code: bool,
    ) -> Result<Vec<u8>, StatusWord> {
        let uncompressed = self.public_key(path)?;
        let address = checksummed(&address_of(&uncompressed));
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
                .xpub(&derivation_path(path.steps()), bitcoin::NetworkKind::Main)
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

    /// The uncompressed public key at `path`, on a path the app may derive.
    pub(super) fn public_key(&self, path: &Bip32Path) -> Result<[u8; 65], StatusWord> {
        if !may_derive(path.steps()) {
            return Err(StatusWord::IncorrectData);
        }
        let key = self
            .signer
            .public_key(&derivation_path(path.steps()))
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok(key.serialize_uncompressed())
    }
}

/// The 20-byte address of an uncompressed public key: the last 20 bytes of Keccak-256 of X ‖ Y.
pub(super) fn address_of(uncompressed: &[u8; 65]) -> Vec<u8> {
    let hash = Keccak256::digest(uncompressed.get(1..).unwrap_or_default());
    hash.get(12..).unwrap_or_default().to_vec()
}

/// EIP-55 mixed-case hex of an address (no `0x`).
///
/// Deliberately not `scheme::EthAddress`: the host checks the address this answers against its
/// own derivation, and an emulator that shared the host's code would agree with any bug in it
/// (see `emulator::digests`). Tests pin both to the addresses of the real app's transcripts.
pub(super) fn checksummed(address: &[u8]) -> String {
    let lower = hex::encode(address);
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
