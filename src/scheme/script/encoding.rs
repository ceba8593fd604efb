//! Encoding rules for ECDSA signatures and public keys (DERSIG, LOW_S, STRICTENC,
//! WITNESS_PUBKEYTYPE). Format checks only; verification is in `checker`.

use super::{Flags, ScriptError, SigVersion};

const SIGHASH_ANYONECANPAY: u8 = 0x80;

/// BIP-66 strict DER: `0x30 len 0x02 rlen r 0x02 slen s` plus one hash-type byte, with r and s
/// positive, minimally encoded integers.
fn is_strict_der(sig: &[u8]) -> bool {
    // Shortest: 30 06 02 01 r 02 01 s + hash type; longest: 33-byte r and s.
    if !(9..=73).contains(&sig.len()) {
        return false;
    }
    let byte = |i: usize| sig.get(i).copied().unwrap_or(0);
    if byte(0) != 0x30 || usize::from(byte(1)) != sig.len() - 3 {
        return false;
    }
    let len_r = usize::from(byte(3));
    if 5 + len_r >= sig.len() {
        return false;
    }
    let len_s = usize::from(byte(5 + len_r));
    if len_r + len_s + 7 != sig.len() {
        return false;
    }
    let integer_ok = |at: usize, len: usize| {
        let first = byte(at);
        byte(at - 2) == 0x02
            && len != 0
            && first & 0x80 == 0
            && !(len > 1 && first == 0 && byte(at + 1) & 0x80 == 0)
    };
    integer_ok(4, len_r) && integer_ok(6 + len_r, len_s)
}

/// LOW_S: s is at most half the curve order (the signature must parse).
fn is_low_s(sig: &[u8]) -> bool {
    let Some((_, der)) = sig.split_last() else {
        return false;
    };
    let Ok(parsed) = secp256k1::ecdsa::Signature::from_der_lax(der) else {
        return false;
    };
    let mut normalized = parsed;
    normalized.normalize_s();
    normalized == parsed
}

/// STRICTENC: the hash type (without ANYONECANPAY) is ALL, NONE or SINGLE.
fn has_defined_hashtype(sig: &[u8]) -> bool {
    let Some(&last) = sig.last() else {
        return false;
    };
    matches!(last & !SIGHASH_ANYONECANPAY, 1..=3)
}

/// Checks an ECDSA signature's encoding under `flags` (an empty signature always passes: it is
/// the way to fail a check on purpose).
pub(super) fn check_signature_encoding(sig: &[u8], flags: Flags) -> Result<(), ScriptError> {
    if sig.is_empty() {
        return Ok(());
    }
    let strict = Flags::DERSIG | Flags::LOW_S | Flags::STRICTENC;
    if flags.bits() & strict.bits() != 0 && !is_strict_der(sig) {
        return Err(ScriptError::SigDer);
    }
    if flags.contains(Flags::LOW_S) && !is_low_s(sig) {
        return Err(ScriptError::SigHighS);
    }
    if flags.contains(Flags::STRICTENC) && !has_defined_hashtype(sig) {
        return Err(ScriptError::SigHashtype);
    }
    Ok(())
}

/// Checks an ECDSA public key's encoding: STRICTENC wants a compressed or uncompressed key,
/// WITNESS_PUBKEYTYPE a compressed one in segwit v0.
pub(super) fn check_pubkey_encoding(
    key: &[u8],
    flags: Flags,
    version: SigVersion,
) -> Result<(), ScriptError> {
    let compressed = key.len() == 33 && matches!(key.first(), Some(0x02 | 0x03));
    let uncompressed = key.len() == 65 && key.first() == Some(&0x04);
    if flags.contains(Flags::STRICTENC) && !compressed && !uncompressed {
        return Err(ScriptError::PubkeyType);
    }
    if flags.contains(Flags::WITNESS_PUBKEYTYPE) && version == SigVersion::WitnessV0 && !compressed
    {
        return Err(ScriptError::WitnessPubkeyType);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_der_examples() {
        let h = |s: &str| hex::decode(s).unwrap();
        assert!(is_strict_der(&h("300602010102010101")));
        // Negative r, padded r, zero-length s, wrong total length.
        assert!(!is_strict_der(&h("300602018102010101")));
        assert!(!is_strict_der(&h("30070202000102010101")));
        assert!(!is_strict_der(&h("3005020101020001")));
        assert!(!is_strict_der(&h("300702010102010101")));
        // Padding that is needed (top bit of the next byte set) is fine.
        assert!(is_strict_der(&h("30070202008002010101")));
    }

    #[test]
    fn hash_types_and_keys() {
        assert!(has_defined_hashtype(&[0x30, 0x81]));
        assert!(!has_defined_hashtype(&[0x30, 0x84]));
        assert!(!has_defined_hashtype(&[0x30, 0x00]));
        let mut unc = vec![0x04];
        unc.extend([1u8; 64]);
        assert_eq!(
            check_pubkey_encoding(&unc, Flags::STRICTENC, SigVersion::WitnessV0),
            Ok(())
        );
        assert_eq!(
            check_pubkey_encoding(&unc, Flags::WITNESS_PUBKEYTYPE, SigVersion::WitnessV0),
            Err(ScriptError::WitnessPubkeyType)
        );
        assert_eq!(
            check_pubkey_encoding(&unc, Flags::WITNESS_PUBKEYTYPE, SigVersion::Base),
            Ok(())
        );
        assert_eq!(
            check_pubkey_encoding(&[0x05; 33], Flags::STRICTENC, SigVersion::Base),
            Err(ScriptError::PubkeyType)
        );
    }
}
