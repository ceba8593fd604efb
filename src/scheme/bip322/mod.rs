//! BIP-322 generic signed messages: simple, full, proof of funds, and the legacy format for P2PKH.
//!
//! Forms accepted (prefix per BIP-322 v1.0.0+; no prefix means simple, as the BIP allows):
//! - `smp` / unprefixed: a witness stack for P2WPKH, P2WSH (any script), P2TR (key or script
//!   path); also P2SH-P2WPKH and P2SH-P2WSH as pre-1.0 signers made them (the redeem script is
//!   implied by the witness and must hash to the address). P2PKH has no simple form.
//! - unprefixed 65-byte payload for a P2PKH address: legacy, verified as BIP-137.
//! - `ful`: a whole `to_sign` with one input, for any address type.
//! - `pof`: a finalized PSBT of `to_sign` with extra inputs; every input's script is checked
//!   (non-witness UTXOs must hash to the spent txid), not that the UTXOs exist or are unspent.
//!
//! Every input of `to_sign` is checked twice:
//! 1. **Consensus, by Bitcoin Core's code**: libbitcoinconsensus 26 (the `bitcoinconsensus`
//!    crate) with every consensus rule on: P2SH, DERSIG, NULLDUMMY, CHECKLOCKTIMEVERIFY,
//!    CHECKSEQUENCEVERIFY, WITNESS and TAPROOT (all spent outputs passed, so taproot key and
//!    script paths are checked). Failing here is *invalid*.
//! 2. **Policy, by porsign's own interpreter** ([`crate::scheme::script`]), because the library
//!    only takes consensus flags while BIP-322 requires all of Bitcoin Core's standard script
//!    verification flags. It runs only after consensus accepted; whatever it refuses fails.
//!    - Required rules (→ [`SchemeError::Bip322Invalid`]): STRICTENC, DERSIG, LOW_S, NULLDUMMY,
//!      SIGPUSHONLY, MINIMALDATA (pushes and number operands), CLEANSTACK (legacy and P2SH
//!      too), MINIMALIF (in legacy and P2SH scripts as well, as BIP-322 words it), NULLFAIL,
//!      WITNESS_PUBKEYTYPE, CONST_SCRIPTCODE; then every signature actually checked must be
//!      SIGHASH_ALL (or SIGHASH_DEFAULT for BIP-340 signatures).
//!    - Upgradable rules (→ [`SchemeError::Bip322Unsupported`], "inconclusive"):
//!      DISCOURAGE_UPGRADABLE_NOPS, DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM,
//!      DISCOURAGE_UPGRADABLE_TAPROOT_VERSION, DISCOURAGE_OP_SUCCESS and
//!      DISCOURAGE_UPGRADABLE_PUBKEYTYPE (a tapscript key neither 32 bytes nor empty, for which
//!      any signature passes today). A proof that also breaks a required rule is invalid: the
//!      required rules are judged first.
//!
//! A static lint of the scripts the input carries adds the rules BIP-322 states about a
//! script's contents, executed or not: every push minimal, no OP_CODESEPARATOR and no push
//! that FindAndDelete would remove (invalid); no reserved NOP, no OP_SUCCESSx and no taproot
//! annex (inconclusive).
//! Before any script runs, `to_sign` versions other than 0 and 2 and witness versions above 1 or
//! of non-standard program lengths are inconclusive too.
//!
//! Time locks are never dropped: a valid proof carries its [`TimeLock`] (T from nLockTime, S from
//! the first nSequence under BIP-68, and whether the script ran CHECKLOCKTIMEVERIFY or
//! CHECKSEQUENCEVERIFY); [`TimeLock::valid_at`] says whether it holds at a given time and tip.
//! As BIP-322 asks, the finality of `to_sign` itself is not checked.

pub mod batch;
pub mod batch_multisig;
mod construct;
mod forms;
mod lint;
mod rules;
mod timelock;

use base64::Engine as _;
use bitcoin::address::AddressData;
use serde::{Deserialize, Serialize};

use super::{bip137, SchemeError};
use forms::{check_script_pubkey_supported, verify_full, verify_pof, verify_simple};

pub use construct::{message_hash, to_sign, to_spend};
pub use timelock::{Absolute, NotYetValid, Relative, TimeLock};

/// Which BIP-322 form a valid signature used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bip322Variant {
    Simple,
    Full,
    Legacy,
    /// `pof`: a finalized PSBT of `to_sign` with additional inputs. Only the proof for the
    /// address (input 0) and the scripts of the extra inputs are checked; whether those inputs
    /// exist and are unspent needs the UTXO set.
    #[serde(rename = "proof-of-funds")]
    ProofOfFunds,
}

/// A valid BIP-322 signature: its form and the spec's "valid at time T and age S".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bip322Proof {
    pub variant: Bip322Variant,
    /// nLockTime of `to_sign` (0 for simple and legacy).
    pub lock_time: u32,
    /// nSequence of `to_sign`'s first input (0 for simple and legacy).
    pub sequence: u32,
    /// What `lock_time` and `sequence` mean, and whether the script checks them.
    pub time_lock: TimeLock,
}

/// Upper bound on the signature string: large multisig full proofs are a few kB.
const MAX_SIGNATURE_CHARS: usize = 400_000;

/// Verifies a BIP-322 signature (base64, with or without the `smp`/`ful`/`pof` prefix) of
/// `message` for `address`.
///
/// An unprefixed signature is taken as simple, except that for a P2PKH address an unprefixed
/// signature that decodes to 65 bytes is the legacy (BIP-137) format.
pub fn verify(
    message: &[u8],
    address: &bitcoin::Address,
    signature: &str,
) -> Result<Bip322Variant, SchemeError> {
    verify_detailed(message, address, signature).map(|p| p.variant)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Simple,
    Full,
    Pof,
    None,
}

/// Like [`verify`], and also returns the time lock and age the proof is valid at (check them
/// with [`TimeLock::valid_at`]: [`verify`] alone says nothing about *when* a proof is valid).
pub fn verify_detailed(
    message: &[u8],
    address: &bitcoin::Address,
    signature: &str,
) -> Result<Bip322Proof, SchemeError> {
    let (prefix, payload) = if let Some(rest) = signature.strip_prefix("smp") {
        (Prefix::Simple, rest)
    } else if let Some(rest) = signature.strip_prefix("ful") {
        (Prefix::Full, rest)
    } else if let Some(rest) = signature.strip_prefix("pof") {
        (Prefix::Pof, rest)
    } else {
        (Prefix::None, signature)
    };
    if payload.is_empty() {
        return Err(SchemeError::Bip322TooShort);
    }
    if payload.len() > MAX_SIGNATURE_CHARS {
        return Err(SchemeError::SignatureLength {
            expected: MAX_SIGNATURE_CHARS / 4 * 3,
            found: payload.len() / 4 * 3,
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|_| SchemeError::SignatureNotBase64)?;
    if bytes.is_empty() {
        return Err(SchemeError::Bip322TooShort);
    }
    let is_p2pkh = matches!(address.to_address_data(), AddressData::P2pkh { .. });
    if prefix == Prefix::None && is_p2pkh && bytes.len() == 65 {
        bip137::verify(message, address, payload)?;
        return Ok(Bip322Proof {
            variant: Bip322Variant::Legacy,
            lock_time: 0,
            sequence: 0,
            time_lock: TimeLock::default(),
        });
    }
    check_script_pubkey_supported(&address.script_pubkey())?;
    let spend = to_spend(message, &address.script_pubkey());
    match prefix {
        Prefix::Simple | Prefix::None => verify_simple(&spend, address, &bytes),
        Prefix::Full => verify_full(&spend, &bytes),
        Prefix::Pof => verify_pof(&spend, &bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn anyone_can_spend_programs_are_unsupported() {
        // Witness v2 and a v1 program of 2 bytes (P2A) would pass any "signature".
        for spk_hex in [
            "52200000000000000000000000000000000000000000000000000000000000000000",
            "51024e73",
        ] {
            let spk = ScriptBuf::from_hex(spk_hex).unwrap();
            assert!(matches!(
                check_script_pubkey_supported(&spk),
                Err(SchemeError::Bip322Unsupported(_))
            ));
        }
    }
}
