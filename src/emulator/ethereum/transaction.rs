//! SIGN_TRANSACTION: review the reassembled transaction like the app and sign its Keccak-256.
//!
//! No transaction was recorded from the real app; this follows app-ethereum 1.22.0's source
//! (`cmd_sign_tx.c`, `eth_ustream.c`, `logic_sign_tx.c`, `ui_common_sign_tx.c`,
//! `ui_approve_tx.c`) and the screens of its Nano S Plus test snapshots.

use firmware_msgs::eth::{EthTransaction, TransactionChunk, TxStep, TxType};
use firmware_msgs::{Bip32Path, StatusWord};
use sha3::{Digest, Keccak256};

use super::super::bitcoin::derivation_path;
use super::super::screens::ReviewBuilder;
use super::super::ui::{Decision, ReviewKind};
use super::address::{address_of, checksummed};
use super::screens::{ether, mul_256, network_name, ticker, u64_be, APP_CHAIN_ID};
use super::{EthereumApp, BLIND_SIGNING_WARNING};

/// The selector's length: the app refuses contract data of at least this many bytes, sent to an
/// address, as soon as the data field starts (without blind signing).
const SELECTOR_LEN: usize = 4;

impl EthereumApp {
    pub(super) fn transaction_chunk(
        &mut self,
        chunk: TransactionChunk,
    ) -> Result<Vec<u8>, StatusWord> {
        match self.transaction.push(chunk) {
            Err(e) => Err(e.status_word()),
            Ok(TxStep::NeedMore { to_len, data_len }) => {
                let calls_contract =
                    to_len.is_some_and(|n| n > 0) && data_len.is_some_and(|n| n >= SELECTOR_LEN);
                if calls_contract && !self.blind_signing {
                    self.transaction.reset();
                    return Err(self.refuse_blind_signing());
                }
                Ok(Vec::new())
            }
            Ok(TxStep::Complete { path, tx }) => self.sign_transaction(&path, &tx),
        }
    }

    fn sign_transaction(
        &self,
        path: &Bip32Path,
        tx: &EthTransaction,
    ) -> Result<Vec<u8>, StatusWord> {
        let from = address_of(&self.public_key(path)?);
        let blind = !tx.data.is_empty();
        if blind && !self.blind_signing {
            // Contract creations and data shorter than a selector get this far; the app
            // refuses them when it finalizes the transaction.
            return Err(self.refuse_blind_signing());
        }
        let chain_id = u64_be(&tx.chain_id);
        let ticker = ticker(chain_id);
        let fee = mul_256(&tx.gas_price, &tx.gas_limit).ok_or(StatusWord::IncorrectData)?;
        let hash: [u8; 32] = Keccak256::digest(&tx.signed_bytes).into();

        let mut review = if blind {
            ReviewBuilder::intro(BLIND_SIGNING_WARNING).info("Review transaction")
        } else {
            ReviewBuilder::intro("Review transaction")
        };
        review = review.pair("From", &format!("0x{}", checksummed(&from)));
        if !blind || tx.value.iter().any(|b| *b != 0) {
            review = review.pair("Amount", &ether(&tx.value, ticker));
        }
        let to = if tx.to.is_empty() {
            "Contract".to_owned()
        } else {
            format!("0x{}", checksummed(&tx.to))
        };
        review = review
            .pair("To", &to)
            .pair("Max fees", &ether(&fee, ticker));
        if chain_id != APP_CHAIN_ID {
            review = review.pair("Network", &network_name(chain_id));
        }
        if blind {
            review = review.pair("Tx hash", &format!("0x{}", hex::encode(hash)));
        }
        let approve = if blind {
            "Accept risk and\nsign transaction"
        } else {
            "Sign transaction"
        };
        let review = review.finish(
            approve,
            "Reject transaction",
            "Transaction signed",
            "Transaction rejected",
        );
        if self.ui.review(&review, ReviewKind::Signature) != Decision::Approved {
            return Err(StatusWord::Deny);
        }
        let (recid, rs) = self
            .signer
            .sign_recoverable_digest(&derivation_path(path.steps()), &hash)
            .map_err(|_| StatusWord::IncorrectData)?;
        let v = signature_v(tx, recid);
        Ok([&[v][..], &rs].concat())
    }
}

/// The `v` byte the app answers.
///
/// Typed transactions: the parity of R's y. Legacy: 27 + recovery id when `v` was empty (before
/// EIP-155), else `chainId × 2 + 35 + recovery id` computed from the first 4 bytes of the `v`
/// field only and cut to one byte (the app's 32-bit arithmetic stored in a byte). Ledger's
/// clients rebuild the full `v` from the chain id and this byte's parity.
pub(crate) fn signature_v(tx: &EthTransaction, recid: u8) -> u8 {
    match tx.tx_type {
        TxType::Eip2930 | TxType::Eip1559 => recid & 1,
        TxType::Legacy if tx.chain_id.is_empty() => 27u8.wrapping_add(recid),
        TxType::Legacy => {
            let head = tx.chain_id.get(..4).unwrap_or(&tx.chain_id);
            let v = head.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            let base = v.wrapping_mul(2).wrapping_add(35).to_le_bytes();
            base.first().copied().unwrap_or(0).wrapping_add(recid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(chain_id: &[u8]) -> EthTransaction {
        EthTransaction {
            tx_type: TxType::Legacy,
            chain_id: chain_id.to_vec(),
            nonce: vec![],
            gas_price: vec![],
            gas_limit: vec![],
            to: vec![],
            value: vec![],
            data: vec![],
            signed_bytes: vec![],
        }
    }

    #[test]
    fn v_as_the_app_computes_it() {
        assert_eq!(signature_v(&legacy(&[]), 1), 28);
        assert_eq!(signature_v(&legacy(&[1]), 0), 37);
        assert_eq!(signature_v(&legacy(&[56]), 1), 148);
        // Chain 137: 309 does not fit a byte; the app answers 309 mod 256 (+ parity).
        assert_eq!(signature_v(&legacy(&[137]), 0), 53);
        // Chain 112233445566 (5 bytes, 0x1a21a278be): only 0x1a21a278 counts.
        let v = signature_v(&legacy(&[0x1a, 0x21, 0xa2, 0x78, 0xbe]), 1);
        let truncated = 0x1a21_a278u32.wrapping_mul(2).wrapping_add(35) as u8;
        assert_eq!(v, truncated.wrapping_add(1));
        let typed = EthTransaction {
            tx_type: TxType::Eip1559,
            ..legacy(&[1])
        };
        assert_eq!(signature_v(&typed, 3), 1);
    }
}
