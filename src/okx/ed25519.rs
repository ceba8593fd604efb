//! Ed25519 chains: the key comes from the `redeem script/public key` column, the signature is
//! over OKX's "OKX Signed Message" payload, and the key must derive the listed address (Solana,
//! Aptos, Sui, Substrate, Stellar, Cardano, TON, NEAR implicit accounts). An Aptos row may name
//! the account's rotated authentication key in eoa1 instead ([`Proof::Owners`]).

use super::address as addr;
use super::coins::Ed25519Address;
use super::error::{addr_err, RowFailure};
use super::verify::{Proof, RowInput};
use crate::scheme::okx as rules;

pub(super) fn verify_ed25519(
    row: &RowInput<'_>,
    sig1: &str,
    kind: Ed25519Address,
    payload: &[u8],
) -> Result<Proof, RowFailure> {
    if row.sig2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "signature2",
            reason: "ed25519 proofs here are single-key",
        });
    }
    if row.eoa2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa2",
            reason: "ed25519 proofs take at most one owner key",
        });
    }
    let key_text = row
        .script
        .ok_or(RowFailure::Missing("redeem script/public key"))?;
    let key = rules::decode_ed25519_pubkey(key_text).map_err(|source| RowFailure::Signature {
        column: "redeem script/public key",
        source,
    })?;
    rules::verify_ed25519(&key, payload, sig1).map_err(|source| RowFailure::Signature {
        column: "signature1",
        source,
    })?;
    let mismatch = |own: String| RowFailure::KeyMismatch {
        column: "signature1",
        expected: row.address.to_owned(),
        found: own,
    };
    if let Some(eoa1) = row.eoa1 {
        // Aptos key rotation: the account keeps its address, the key is its authentication
        // key (OKX's owner mode). Only Aptos has that notion.
        if kind != Ed25519Address::Aptos {
            return Err(RowFailure::Unexpected {
                column: "eoa1",
                reason: "an owner key applies to aptos key rotation only",
            });
        }
        addr::hex32(row.address, "aptos").map_err(addr_err("address"))?;
        let auth = addr::hex32(eoa1, "aptos").map_err(addr_err("eoa1"))?;
        let own = addr::aptos_address(&key);
        return if auth == own {
            Ok(Proof::Owners(1))
        } else {
            Err(RowFailure::KeyMismatch {
                column: "signature1",
                expected: eoa1.to_owned(),
                found: format!("0x{}", hex::encode(own)),
            })
        };
    }
    let text = row.address;
    // Chains whose address is one string of the key: it must be the listed one, exactly.
    let exact = |own: String| if own == text { Ok(()) } else { Err(own) };
    let bound = match kind {
        Ed25519Address::Solana => {
            if addr::solana_matches(text, &key).map_err(addr_err("address"))? {
                Ok(())
            } else {
                Err(bitcoin::base58::encode(&key))
            }
        }
        Ed25519Address::Aptos | Ed25519Address::Sui => {
            let listed = addr::hex32(text, "aptos/sui").map_err(addr_err("address"))?;
            let own = if kind == Ed25519Address::Aptos {
                addr::aptos_address(&key)
            } else {
                addr::sui_address(&key)
            };
            if listed == own {
                Ok(())
            } else {
                Err(format!("0x{}", hex::encode(own)))
            }
        }
        Ed25519Address::Substrate(network) => exact(addr::ss58_address(&key, network)),
        Ed25519Address::Stellar => exact(addr::stellar_address(&key)),
        Ed25519Address::Cardano => exact(addr::cardano_enterprise_address(&key)),
        Ed25519Address::Ton => {
            let listed = addr::ton_account(text).map_err(addr_err("address"))?;
            let own = addr::ton_wallet_accounts(&key);
            if own.contains(&listed) {
                Ok(())
            } else {
                Err(format!(
                    "0:{} (wallet v3r2) or 0:{} (highload v3)",
                    hex::encode(own[0]),
                    hex::encode(own[1])
                ))
            }
        }
        Ed25519Address::Near => {
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                let own = hex::encode(key);
                if own.eq_ignore_ascii_case(text) {
                    Ok(())
                } else {
                    Err(own)
                }
            } else {
                return Err(RowFailure::Unbound {
                    address: text.to_owned(),
                    reason: "a named near account is not derived from a key; its access keys are on-chain state",
                });
            }
        }
        Ed25519Address::SignatureOnly(reason) => {
            return Err(RowFailure::Unbound {
                address: text.to_owned(),
                reason,
            })
        }
    };
    bound.map_err(mismatch)?;
    Ok(Proof::SingleKey)
}
