//! Bitcoin CompactSize integers, the length and count encoding of the Bitcoin app protocol.
//!
//! porsign's own crate encodes CompactSize with the `bitcoin` crate's consensus encoding; this
//! crate keeps its own because it is sans-io and small on purpose (it depends on `thiserror` and
//! `sha2` only, so the emulator, a host or a firmware test harness can use it without `bitcoin`),
//! and because it needs what the consensus decoder does not give: the byte count of a value
//! before it is written ([`encoded_len`], to size an answer) and an error type of its own.
//!
//! Decoding rejects non-minimal forms: the device always writes the shortest form, and accepting
//! others would make decode→encode change bytes.

use crate::error::DecodeError;

/// Appends the CompactSize encoding of `value` to `out`.
pub fn encode_into(value: u64, out: &mut Vec<u8>) {
    match value {
        0..=0xfc => out.push(value as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(value as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(value as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// The CompactSize encoding of `value`.
pub fn encode(value: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    encode_into(value, &mut out);
    out
}

/// How many bytes the encoding of `value` takes.
pub fn encoded_len(value: u64) -> usize {
    match value {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Decodes a CompactSize integer at the start of `bytes`; returns the value and the bytes used.
pub fn decode(bytes: &[u8], what: &'static str) -> Result<(u64, usize), DecodeError> {
    let Some((&first, rest)) = bytes.split_first() else {
        return Err(DecodeError::Truncated { what, needed: 1 });
    };
    let width = match first {
        0xfd => 2,
        0xfe => 4,
        0xff => 8,
        small => return Ok((u64::from(small), 1)),
    };
    let Some(body) = rest.get(..width) else {
        return Err(DecodeError::Truncated {
            what,
            needed: width - rest.len(),
        });
    };
    let mut buf = [0u8; 8];
    for (dst, src) in buf.iter_mut().zip(body) {
        *dst = *src;
    }
    let value = u64::from_le_bytes(buf);
    if encoded_len(value) != 1 + width {
        return Err(DecodeError::NonMinimalVarInt { what });
    }
    Ok((value, 1 + width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        assert_eq!(encode(0), [0x00]);
        assert_eq!(encode(0xfc), [0xfc]);
        assert_eq!(encode(0xfd), [0xfd, 0xfd, 0x00]);
        assert_eq!(encode(0x1_0000), [0xfe, 0x00, 0x00, 0x01, 0x00]);
        assert_eq!(encode(0xffff_ffff), [0xfe, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(encode(1 << 32), [0xff, 0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn non_minimal_and_truncated_are_errors() {
        assert!(matches!(
            decode(&[0xfd, 0x10, 0x00], "x"),
            Err(DecodeError::NonMinimalVarInt { .. })
        ));
        assert!(matches!(
            decode(&[0xfe, 0x01], "x"),
            Err(DecodeError::Truncated { needed: 3, .. })
        ));
        assert!(matches!(
            decode(&[], "x"),
            Err(DecodeError::Truncated { .. })
        ));
    }

    proptest! {
        #[test]
        fn round_trip(value: u64, tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut bytes = encode(value);
            prop_assert_eq!(bytes.len(), encoded_len(value));
            bytes.extend_from_slice(&tail);
            prop_assert_eq!(decode(&bytes, "x").ok(), Some((value, encoded_len(value))));
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            if let Ok((value, used)) = decode(&bytes, "x") {
                prop_assert_eq!(Some(&encode(value)[..]), bytes.get(..used));
            }
        }
    }
}
