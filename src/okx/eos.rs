//! EOS-family chains (EOS, Vaulta, WAX).

use super::error::{sig_err, RowFailure};
use super::verify::{Proof, RowInput};
use crate::scheme::okx::{self as rules, HighS};

/// EOS: the signatures recover the listed `EOS…` key(s), but an account name is not derived
/// from a key, so the row cannot bind the key to the account and fails after that check.
pub(super) fn verify_eos(
    row: &RowInput<'_>,
    sig1: &str,
    digest: &[u8; 32],
) -> Result<Proof, RowFailure> {
    let column = "redeem script/public key";
    let keys_text = row.script.ok_or(RowFailure::Missing(column))?;
    let cleaned = keys_text.trim().trim_matches('"').replace("\"\"", "\"");
    let keys: Vec<String> = if cleaned.starts_with('{') {
        let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&cleaned)
            .map_err(|_| RowFailure::PubkeyEncoding {
                column,
                reason: "not a json object of publicKey1/publicKey2",
            })?;
        ["publicKey1", "publicKey2"]
            .iter()
            .filter_map(|k| map.get(*k).cloned())
            .collect()
    } else {
        vec![cleaned]
    };
    let sigs = [("signature1", Some(sig1)), ("signature2", row.sig2)];
    for (i, key_text) in keys.iter().enumerate() {
        let (sig_col, sig) = sigs.get(i).copied().unwrap_or(("signature2", None));
        let sig = sig.ok_or(RowFailure::Missing(sig_col))?;
        let key = rules::decode_eos_pubkey(key_text)
            .map_err(|source| RowFailure::Signature { column, source })?;
        let bytes = rules::decode_eos_signature(sig).map_err(|source| RowFailure::Signature {
            column: sig_col,
            source,
        })?;
        let found = rules::recover_rsv(digest, &bytes, HighS::Accept).map_err(sig_err(sig_col))?;
        if found != key {
            return Err(RowFailure::KeyMismatch {
                column: sig_col,
                expected: key_text.clone(),
                found: format!("key {}", hex::encode(found.serialize())),
            });
        }
    }
    Err(RowFailure::Unbound {
        address: row.address.to_owned(),
        reason: "eos account names are not derived from keys; the account's permission keys are on-chain state",
    })
}
