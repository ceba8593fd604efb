//! Hashing, signature and time-lock opcodes.

use std::borrow::Cow;

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use super::checker::{TapLeaf, SEQUENCE_DISABLE_FLAG};
use super::encoding::{check_pubkey_encoding, check_signature_encoding};
use super::exec::{Frame, Machine, MAX_OPS_PER_SCRIPT};
use super::num::{self, DEFAULT_MAX_NUM_LEN, LOCKTIME_MAX_NUM_LEN};
use super::ops::{find_and_delete, push_encoding};
use super::stack::Stack;
use super::{Flags, ScriptError, SigVersion, SignatureUse};

/// Most keys in one CHECKMULTISIG.
const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// BIP-342: validation weight each non-empty signature check uses.
const VALIDATION_WEIGHT_PER_SIGOP: i64 = 50;

impl Machine<'_> {
    /// OP_RIPEMD160, OP_SHA1, OP_SHA256, OP_HASH160, OP_HASH256.
    pub(super) fn hash(stack: &mut Stack, opcode: u8) -> Result<(), ScriptError> {
        let data = stack.top(1)?;
        let digest = match opcode {
            0xa6 => ripemd160::Hash::hash(data).to_byte_array().to_vec(),
            0xa7 => sha1::Hash::hash(data).to_byte_array().to_vec(),
            0xa8 => sha256::Hash::hash(data).to_byte_array().to_vec(),
            0xa9 => hash160::Hash::hash(data).to_byte_array().to_vec(),
            _ => sha256d::Hash::hash(data).to_byte_array().to_vec(),
        };
        stack.pop()?;
        stack.push(digest);
        Ok(())
    }

    /// OP_CHECKLOCKTIMEVERIFY (a NOP without its flag).
    pub(super) fn check_lock_time_verify(
        &mut self,
        stack: &Stack,
        frame: &Frame<'_>,
    ) -> Result<(), ScriptError> {
        if !self.flags.contains(Flags::CHECKLOCKTIMEVERIFY) {
            return Ok(());
        }
        let lock = num::decode(stack.top(1)?, frame.require_minimal, LOCKTIME_MAX_NUM_LEN)?;
        if lock < 0 {
            return Err(ScriptError::NegativeLocktime);
        }
        if !self.checker.check_lock_time(lock) {
            return Err(ScriptError::UnsatisfiedLocktime);
        }
        self.report.checked_lock_time = true;
        Ok(())
    }

    /// OP_CHECKSEQUENCEVERIFY (a NOP without its flag, or when the operand disables it).
    pub(super) fn check_sequence_verify(
        &mut self,
        stack: &Stack,
        frame: &Frame<'_>,
    ) -> Result<(), ScriptError> {
        if !self.flags.contains(Flags::CHECKSEQUENCEVERIFY) {
            return Ok(());
        }
        let sequence = num::decode(stack.top(1)?, frame.require_minimal, LOCKTIME_MAX_NUM_LEN)?;
        if sequence < 0 {
            return Err(ScriptError::NegativeLocktime);
        }
        if sequence & SEQUENCE_DISABLE_FLAG != 0 {
            return Ok(());
        }
        if !self.checker.check_sequence(sequence) {
            return Err(ScriptError::UnsatisfiedLocktime);
        }
        self.report.checked_sequence = true;
        Ok(())
    }

    /// OP_CHECKSIG and OP_CHECKSIGVERIFY.
    pub(super) fn op_checksig(
        &mut self,
        stack: &mut Stack,
        frame: &Frame<'_>,
        verify: bool,
    ) -> Result<(), ScriptError> {
        stack.need(2)?;
        let (sig, key) = (stack.top(2)?, stack.top(1)?);
        let success = self.check_sig(sig, key, frame)?;
        stack.pop()?;
        stack.pop()?;
        if verify {
            if !success {
                return Err(ScriptError::CheckSigVerify);
            }
        } else {
            stack.push_bool(success);
        }
        Ok(())
    }

    /// OP_CHECKSIGADD (tapscript only): `sig n key -- n + (sig valid)`.
    pub(super) fn op_checksigadd(
        &mut self,
        stack: &mut Stack,
        frame: &Frame<'_>,
    ) -> Result<(), ScriptError> {
        if frame.version != SigVersion::Tapscript {
            return Err(ScriptError::BadOpcode);
        }
        stack.need(3)?;
        let n = num::decode(stack.top(2)?, frame.require_minimal, DEFAULT_MAX_NUM_LEN)?;
        let (sig, key) = (stack.top(3)?, stack.top(1)?);
        let success = self.check_sig(sig, key, frame)?;
        for _ in 0..3 {
            stack.pop()?;
        }
        stack.push(num::encode(n + i64::from(success)));
        Ok(())
    }

    /// One signature check: Ok(false) is a failed check that lets the script go on, an error
    /// ends the script.
    fn check_sig(
        &mut self,
        sig: &[u8],
        key: &[u8],
        frame: &Frame<'_>,
    ) -> Result<bool, ScriptError> {
        match frame.version {
            SigVersion::Tapscript => self.check_sig_tapscript(sig, key),
            version => {
                let mut code = Cow::Borrowed(frame.script_code());
                if version == SigVersion::Base {
                    let (edited, found) = find_and_delete(&code, &push_encoding(sig));
                    if found > 0 && self.flags.contains(Flags::CONST_SCRIPTCODE) {
                        return Err(ScriptError::SigFindAndDelete);
                    }
                    code = Cow::Owned(edited);
                }
                check_signature_encoding(sig, self.flags)?;
                check_pubkey_encoding(key, self.flags, version)?;
                self.record_ecdsa(sig);
                let success = self.checker.check_ecdsa(sig, key, &code, version);
                if !success && self.flags.contains(Flags::NULLFAIL) && !sig.is_empty() {
                    return Err(ScriptError::SigNullFail);
                }
                Ok(success)
            }
        }
    }

    /// BIP-342 signature check. An empty signature is a failed check; a key of unknown type
    /// (neither empty nor 32 bytes) makes any non-empty signature succeed today.
    fn check_sig_tapscript(&mut self, sig: &[u8], key: &[u8]) -> Result<bool, ScriptError> {
        let success = !sig.is_empty();
        if success {
            self.tap.weight_left -= VALIDATION_WEIGHT_PER_SIGOP;
            if self.tap.weight_left < 0 {
                return Err(ScriptError::TapscriptValidationWeight);
            }
        }
        match key.len() {
            0 => return Err(ScriptError::TapscriptEmptyPubkey),
            32 => {
                if success {
                    self.report.signatures.push(SignatureUse::Schnorr {
                        hash_type: (sig.len() == 65).then(|| sig.last().copied()).flatten(),
                    });
                    let leaf = self.tap.leaf_hash.map(|leaf_hash| TapLeaf {
                        leaf_hash,
                        codesep_pos: self.tap.codesep_pos,
                    });
                    self.checker.check_schnorr(sig, key, leaf, self.tap.annex)?;
                }
            }
            _ => {
                if self.flags.contains(Flags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE) {
                    return Err(ScriptError::DiscourageUpgradablePubkeyType);
                }
            }
        }
        Ok(success)
    }

    fn record_ecdsa(&mut self, sig: &[u8]) {
        if let Some(&hash_type) = sig.last() {
            self.report
                .signatures
                .push(SignatureUse::Ecdsa { hash_type });
        }
    }

    /// OP_CHECKMULTISIG and OP_CHECKMULTISIGVERIFY:
    /// `dummy sig_1..sig_m m key_1..key_n n -- bool`, signatures matched to keys in order.
    pub(super) fn op_checkmultisig(
        &mut self,
        stack: &mut Stack,
        frame: &mut Frame<'_>,
        verify: bool,
    ) -> Result<(), ScriptError> {
        let version = frame.version;
        if version == SigVersion::Tapscript {
            return Err(ScriptError::TapscriptCheckMultisig);
        }
        let minimal = frame.require_minimal;
        let number = move |b: &[u8]| num::decode(b, minimal, DEFAULT_MAX_NUM_LEN);
        let n_keys = number(stack.top(1)?)?;
        if !(0..=MAX_PUBKEYS_PER_MULTISIG).contains(&n_keys) {
            return Err(ScriptError::PubkeyCount);
        }
        let n_keys = usize::try_from(n_keys).map_err(|_| ScriptError::PubkeyCount)?;
        frame.op_count += n_keys;
        if frame.op_count > MAX_OPS_PER_SCRIPT {
            return Err(ScriptError::OpCount);
        }
        // Depths from the top: keys at 2..=n_keys+1, m just below, then the signatures.
        let mut ikey = 2;
        let m_depth = n_keys + 2;
        let n_sigs = number(stack.top(m_depth)?)?;
        let n_sigs = usize::try_from(n_sigs)
            .ok()
            .filter(|m| *m <= n_keys)
            .ok_or(ScriptError::SigCount)?;
        let mut isig = m_depth + 1;
        // Everything down to and including the dummy element.
        let mut remaining = m_depth + n_sigs + 1;
        stack.need(remaining)?;

        let mut code = Cow::Borrowed(frame.script_code());
        if version == SigVersion::Base {
            for k in 0..n_sigs {
                let (edited, found) = find_and_delete(&code, &push_encoding(stack.top(isig + k)?));
                if found > 0 && self.flags.contains(Flags::CONST_SCRIPTCODE) {
                    return Err(ScriptError::SigFindAndDelete);
                }
                code = Cow::Owned(edited);
            }
        }

        let (mut sigs_left, mut keys_left) = (n_sigs, n_keys);
        let mut success = true;
        while success && sigs_left > 0 {
            let (sig, key) = (stack.top(isig)?, stack.top(ikey)?);
            // The order of these checks is observable (CHECKMULTISIG NOT with STRICTENC).
            check_signature_encoding(sig, self.flags)?;
            check_pubkey_encoding(key, self.flags, version)?;
            self.record_ecdsa(sig);
            if self.checker.check_ecdsa(sig, key, &code, version) {
                isig += 1;
                sigs_left -= 1;
            }
            ikey += 1;
            keys_left -= 1;
            // More signatures left than keys: too many failed already.
            if sigs_left > keys_left {
                success = false;
            }
        }

        // Pop everything but the dummy; on failure NULLFAIL wants every signature empty.
        let mut non_signatures = n_keys + 2;
        while remaining > 1 {
            remaining -= 1;
            if !success
                && self.flags.contains(Flags::NULLFAIL)
                && non_signatures == 0
                && !stack.top(1)?.is_empty()
            {
                return Err(ScriptError::SigNullFail);
            }
            non_signatures = non_signatures.saturating_sub(1);
            stack.pop()?;
        }
        // The extra element CHECKMULTISIG consumes (a historical off-by-one).
        if self.flags.contains(Flags::NULLDUMMY) && !stack.top(1)?.is_empty() {
            return Err(ScriptError::SigNullDummy);
        }
        stack.pop()?;
        if verify {
            if !success {
                return Err(ScriptError::CheckMultisigVerify);
            }
        } else {
            stack.push_bool(success);
        }
        Ok(())
    }
}
