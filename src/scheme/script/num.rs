//! Script numbers: little-endian sign-magnitude byte strings (Bitcoin Core's `CScriptNum`), and
//! the truth value of a stack element.

use super::ScriptError;

/// Longest operand of arithmetic opcodes.
pub(super) const DEFAULT_MAX_NUM_LEN: usize = 4;
/// Longest operand of CHECKLOCKTIMEVERIFY / CHECKSEQUENCEVERIFY (lock times are 32-bit unsigned).
pub(super) const LOCKTIME_MAX_NUM_LEN: usize = 5;

/// Decodes a number operand of at most `max_len` bytes; with `require_minimal` (MINIMALDATA) the
/// encoding must have no superfluous trailing zero byte.
pub(super) fn decode(
    bytes: &[u8],
    require_minimal: bool,
    max_len: usize,
) -> Result<i64, ScriptError> {
    if bytes.len() > max_len {
        return Err(ScriptError::ScriptNum);
    }
    let Some((&last, rest)) = bytes.split_last() else {
        return Ok(0);
    };
    // The last byte may only be 0x00 or 0x80 (sign) when the byte before needs its top bit.
    if require_minimal && last & 0x7f == 0 && rest.last().map_or(true, |b| b & 0x80 == 0) {
        return Err(ScriptError::ScriptNum);
    }
    let mut magnitude: i64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        let b = if i + 1 == bytes.len() { b & 0x7f } else { *b };
        magnitude |= i64::from(b) << (8 * i);
    }
    Ok(if last & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    })
}

/// Encodes a number minimally (zero is the empty string).
pub(super) fn encode(n: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    let mut magnitude = n.unsigned_abs();
    while magnitude > 0 {
        out.push((magnitude & 0xff) as u8);
        magnitude >>= 8;
    }
    if let Some(last) = out.last_mut() {
        if *last & 0x80 != 0 {
            out.push(if n < 0 { 0x80 } else { 0x00 });
        } else if n < 0 {
            *last |= 0x80;
        }
    }
    out
}

/// The truth value of a stack element: false for any encoding of zero, including negative zero.
pub(super) fn cast_to_bool(bytes: &[u8]) -> bool {
    match bytes.split_last() {
        None => false,
        Some((&last, rest)) => rest.iter().any(|b| *b != 0) || (last != 0 && last != 0x80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_encodings() {
        for (n, hex) in [
            (0i64, ""),
            (1, "01"),
            (-1, "81"),
            (127, "7f"),
            (128, "8000"),
            (-128, "8080"),
            (255, "ff00"),
            (32767, "ff7f"),
            (-32768, "008080"),
            (2147483647, "ffffff7f"),
            (-2147483648, "0000008080"),
            (4294967294, "feffffff00"),
        ] {
            assert_eq!(hex::encode(encode(n)), hex, "{n}");
            assert_eq!(decode(&encode(n), true, 5), Ok(n), "{n}");
        }
    }

    #[test]
    fn minimality_and_length() {
        // Non-minimal: trailing zero, negative zero; allowed without MINIMALDATA.
        for bad in ["00", "80", "0100", "0180", "ff0000"] {
            let b = hex::decode(bad).unwrap();
            assert_eq!(decode(&b, true, 4), Err(ScriptError::ScriptNum), "{bad}");
            assert!(decode(&b, false, 4).is_ok(), "{bad}");
        }
        assert_eq!(decode(&hex::decode("0180").unwrap(), false, 4), Ok(-1));
        // Needed sign bytes are minimal.
        assert_eq!(decode(&hex::decode("ff00").unwrap(), true, 4), Ok(255));
        assert_eq!(
            decode(&hex::decode("0000008000").unwrap(), true, 4),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(
            decode(&hex::decode("0000008000").unwrap(), true, 5),
            Ok(2147483648)
        );
    }

    #[test]
    fn truth_values() {
        for (hex, t) in [
            ("", false),
            ("00", false),
            ("80", false),
            ("0080", false),
            ("0000", false),
            ("01", true),
            ("8000", true),
            ("0001", true),
            ("81", true),
        ] {
            assert_eq!(cast_to_bool(&hex::decode(hex).unwrap()), t, "{hex}");
        }
    }
}
