//! Field values: their 32-byte `encodeData` word (app-ethereum's `encode_field.c`) and the
//! text the review shows.

use firmware_msgs::eth::Eip712Base;
use firmware_msgs::StatusWord;
use sha3::{Digest, Keccak256};

use super::super::address::checksummed;
use super::super::screens::decimal;

/// An encoded word.
const WORD: usize = 32;

/// Whether the value is hashed (string, bytes) rather than padded into the word; only these may
/// come in several chunks.
pub(super) fn is_dynamic(base: &Eip712Base) -> bool {
    matches!(base, Eip712Base::String | Eip712Base::Bytes)
}

/// The value's word in `encodeData`; 6A80 for the lengths the app refuses.
pub(super) fn encode_value(base: &Eip712Base, value: &[u8]) -> Result<[u8; 32], StatusWord> {
    if is_dynamic(base) {
        return Ok(Keccak256::digest(value).into());
    }
    if value.len() > WORD {
        return Err(StatusWord::IncorrectData);
    }
    let pad = WORD - value.len();
    let mut word = [0u8; WORD];
    match base {
        // The app sign-extends only a value sent with the type's full width (`encode_int`).
        Eip712Base::Int(size) => {
            let negative =
                value.len() == usize::from(*size) && value.first().is_some_and(|b| b & 0x80 != 0);
            if value.is_empty() {
                return Err(StatusWord::IncorrectData);
            }
            if negative {
                word.fill(0xff);
            }
            word.get_mut(pad..)
                .ok_or(StatusWord::IncorrectData)?
                .copy_from_slice(value);
        }
        Eip712Base::Uint(_) => right_align(&mut word, value)?,
        Eip712Base::Address if value.len() == 20 => right_align(&mut word, value)?,
        Eip712Base::Bool if value.len() == 1 => right_align(&mut word, value)?,
        Eip712Base::FixedBytes(_) => word
            .get_mut(..value.len())
            .ok_or(StatusWord::IncorrectData)?
            .copy_from_slice(value),
        _ => return Err(StatusWord::IncorrectData),
    }
    Ok(word)
}

fn right_align(word: &mut [u8; WORD], value: &[u8]) -> Result<(), StatusWord> {
    let pad = WORD
        .checked_sub(value.len())
        .ok_or(StatusWord::IncorrectData)?;
    word.get_mut(pad..)
        .ok_or(StatusWord::IncorrectData)?
        .copy_from_slice(value);
    Ok(())
}

/// The value as the review shows it: addresses with their EIP-55 checksum, integers in
/// decimal, booleans as words, strings as text, bytes in `0x` hex.
pub(super) fn shown_value(base: &Eip712Base, value: &[u8], word: &[u8; 32]) -> String {
    match base {
        Eip712Base::Address => format!("0x{}", checksummed(value)),
        Eip712Base::Uint(_) => decimal(value),
        Eip712Base::Int(_) if word.first().is_some_and(|b| b & 0x80 != 0) => {
            // Two's complement: the magnitude is !word + 1.
            let mut magnitude = word.map(|b| !b);
            for byte in magnitude.iter_mut().rev() {
                let (sum, carry) = byte.overflowing_add(1);
                *byte = sum;
                if !carry {
                    break;
                }
            }
            format!("-{}", decimal(&magnitude))
        }
        Eip712Base::Int(_) => decimal(word),
        Eip712Base::Bool => if value.iter().any(|b| *b != 0) {
            "true"
        } else {
            "false"
        }
        .to_owned(),
        Eip712Base::String => String::from_utf8_lossy(value).into_owned(),
        _ => format!("0x{}", hex::encode(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_texts_follow_the_app() {
        let word = encode_value(&Eip712Base::Int(1), &[0xff]).unwrap();
        assert_eq!(word, [0xff; 32]);
        assert_eq!(shown_value(&Eip712Base::Int(1), &[0xff], &word), "-1");
        // A shorter value than the type is not sign-extended.
        let word = encode_value(&Eip712Base::Int(2), &[0xff]).unwrap();
        assert_eq!(word[30..], [0, 0xff]);
        assert_eq!(shown_value(&Eip712Base::Int(2), &[0xff], &word), "255");
        let word = encode_value(&Eip712Base::FixedBytes(2), &[1, 2]).unwrap();
        assert_eq!(word[..3], [1, 2, 0]);
        assert!(encode_value(&Eip712Base::Address, &[0; 19]).is_err());
        assert!(encode_value(&Eip712Base::Bool, &[]).is_err());
        assert!(encode_value(&Eip712Base::Uint(32), &[1; 33]).is_err());
        assert!(encode_value(&Eip712Base::Int(32), &[]).is_err());
    }
}
