//! Signature and lock-time checks against the spending transaction. Every signature hash comes
//! from rust-bitcoin's `SighashCache`; every verification from libsecp256k1.

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::sighash::{Annex, EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Amount, Script, Transaction, TxIn, TxOut};
use secp256k1::{ecdsa, schnorr, Message, PublicKey, XOnlyPublicKey, SECP256K1};

use super::ops::without_codeseparators;
use super::{ScriptError, SigVersion};

/// nLockTime values from here on are unix times, below are block heights.
pub(super) const LOCKTIME_THRESHOLD: i64 = 500_000_000;
/// nSequence bit 31: no relative lock (BIP-68).
pub(super) const SEQUENCE_DISABLE_FLAG: i64 = 1 << 31;
/// nSequence bit 22: the relative lock counts 512-second units, not blocks.
pub(super) const SEQUENCE_TYPE_FLAG: i64 = 1 << 22;
/// nSequence bits carrying the relative lock value.
pub(super) const SEQUENCE_MASK: i64 = 0xffff;

/// What a tapscript signature commits to besides the transaction.
#[derive(Clone, Copy, Debug)]
pub(super) struct TapLeaf {
    pub leaf_hash: TapLeafHash,
    /// Opcode position of the last executed OP_CODESEPARATOR (0xffffffff for none).
    pub codesep_pos: u32,
}

/// The transaction input being verified, with the outputs every input spends.
pub(super) struct Checker<'t> {
    tx: &'t Transaction,
    input: &'t TxIn,
    index: usize,
    prevouts: &'t [TxOut],
    amount: Amount,
    cache: SighashCache<&'t Transaction>,
}

impl<'t> Checker<'t> {
    pub fn new(
        tx: &'t Transaction,
        index: usize,
        prevouts: &'t [TxOut],
    ) -> Result<Self, ScriptError> {
        let input = tx.input.get(index).ok_or(ScriptError::NoSuchInput)?;
        if prevouts.len() != tx.input.len() {
            return Err(ScriptError::SpentOutputsMismatch);
        }
        let amount = prevouts
            .get(index)
            .map(|o| o.value)
            .ok_or(ScriptError::SpentOutputsMismatch)?;
        Ok(Checker {
            tx,
            input,
            index,
            prevouts,
            amount,
            cache: SighashCache::new(tx),
        })
    }

    pub fn input(&self) -> &'t TxIn {
        self.input
    }

    /// An ECDSA signature (DER plus a hash-type byte) by `key` over `script_code`. False for
    /// anything that does not verify, including unparsable keys and signatures.
    pub fn check_ecdsa(
        &mut self,
        sig: &[u8],
        key: &[u8],
        script_code: &[u8],
        version: SigVersion,
    ) -> bool {
        let Ok(key) = PublicKey::from_slice(key) else {
            return false;
        };
        let Some((&hash_type, der)) = sig.split_last() else {
            return false;
        };
        // Consensus parses DER laxly and accepts high s (normalized before verifying).
        let Ok(mut sig) = ecdsa::Signature::from_der_lax(der) else {
            return false;
        };
        sig.normalize_s();
        let Some(digest) = self.ecdsa_sighash(hash_type, script_code, version) else {
            return false;
        };
        SECP256K1
            .verify_ecdsa(&Message::from_digest(digest), &sig, &key)
            .is_ok()
    }

    fn ecdsa_sighash(
        &mut self,
        hash_type: u8,
        script_code: &[u8],
        version: SigVersion,
    ) -> Option<[u8; 32]> {
        let raw = u32::from(hash_type);
        match version {
            SigVersion::Base => {
                let code = without_codeseparators(script_code);
                self.cache
                    .legacy_signature_hash(self.index, Script::from_bytes(&code), raw)
                    .ok()
                    .map(|h| h.to_byte_array())
            }
            SigVersion::WitnessV0 => {
                let script = Script::from_bytes(script_code);
                let ty = EcdsaSighashType::from_consensus(raw);
                if ty.to_u32() == raw {
                    return self
                        .cache
                        .p2wsh_signature_hash(self.index, script, self.amount, ty)
                        .ok()
                        .map(|h| h.to_byte_array());
                }
                // A non-standard hash type: BIP-143 commits to the raw value in the last four
                // bytes of the preimage, where rust-bitcoin writes its normalized type; the
                // choice of inputs and outputs hashed is the same for both.
                let mut preimage = Vec::with_capacity(160 + script_code.len());
                self.cache
                    .segwit_v0_encode_signing_data_to(
                        &mut preimage,
                        self.index,
                        script,
                        self.amount,
                        ty,
                    )
                    .ok()?;
                let tail = preimage.len().checked_sub(4)?;
                preimage.truncate(tail);
                preimage.extend_from_slice(&raw.to_le_bytes());
                Some(sha256d::Hash::hash(&preimage).to_byte_array())
            }
            SigVersion::Tapscript => None,
        }
    }

    /// A BIP-340 signature (64 bytes, or 65 with a non-default hash type) by the x-only `key`:
    /// the taproot key path when `leaf` is None, a tapscript otherwise.
    pub fn check_schnorr(
        &mut self,
        sig: &[u8],
        key: &[u8],
        leaf: Option<TapLeaf>,
        annex: Option<&[u8]>,
    ) -> Result<(), ScriptError> {
        let (sig, hash_type) = match sig.len() {
            64 => (sig, 0u8),
            65 => match sig.split_last() {
                Some((0, _)) => return Err(ScriptError::SchnorrSigHashtype),
                Some((&ty, rest)) => (rest, ty),
                None => return Err(ScriptError::SchnorrSigSize),
            },
            _ => return Err(ScriptError::SchnorrSigSize),
        };
        let ty = TapSighashType::from_consensus_u8(hash_type)
            .map_err(|_| ScriptError::SchnorrSigHashtype)?;
        let annex = match annex {
            Some(a) => Some(Annex::new(a).map_err(|_| ScriptError::SchnorrSigHashtype)?),
            None => None,
        };
        let digest = self
            .cache
            .taproot_signature_hash(
                self.index,
                &Prevouts::All(self.prevouts),
                annex,
                leaf.map(|l| (l.leaf_hash, l.codesep_pos)),
                ty,
            )
            .map_err(|_| ScriptError::SchnorrSigHashtype)?;
        let key = XOnlyPublicKey::from_slice(key).map_err(|_| ScriptError::SchnorrSig)?;
        let sig = schnorr::Signature::from_slice(sig).map_err(|_| ScriptError::SchnorrSig)?;
        SECP256K1
            .verify_schnorr(&sig, &Message::from_digest(digest.to_byte_array()), &key)
            .map_err(|_| ScriptError::SchnorrSig)
    }

    /// CHECKLOCKTIMEVERIFY: the transaction's nLockTime is of the same kind (height or time) and
    /// at least `lock`, and the input does not disable it with a final nSequence.
    pub fn check_lock_time(&self, lock: i64) -> bool {
        let tx_lock = i64::from(self.tx.lock_time.to_consensus_u32());
        let same_kind = (tx_lock < LOCKTIME_THRESHOLD) == (lock < LOCKTIME_THRESHOLD);
        same_kind && lock <= tx_lock && self.input.sequence.0 != u32::MAX
    }

    /// CHECKSEQUENCEVERIFY: BIP-68 applies (version 2 or more, input's disable bit clear) and the
    /// input's relative lock is of the same kind and at least `sequence`.
    pub fn check_sequence(&self, sequence: i64) -> bool {
        let tx_sequence = i64::from(self.input.sequence.0);
        // The version is compared as unsigned, as Core does.
        let version = u32::from_ne_bytes(self.tx.version.0.to_ne_bytes());
        if version < 2 || tx_sequence & SEQUENCE_DISABLE_FLAG != 0 {
            return false;
        }
        let mask = SEQUENCE_TYPE_FLAG | SEQUENCE_MASK;
        let (have, want) = (tx_sequence & mask, sequence & mask);
        let same_kind = (have < SEQUENCE_TYPE_FLAG) == (want < SEQUENCE_TYPE_FLAG);
        same_kind && want <= have
    }
}
