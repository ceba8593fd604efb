//! BIP-32 derivation paths as the apps take them: `u8 n ‖ n × u32 BE`, hardened = `| 0x8000_0000`.
//!
//! Both apps accept at most [`MAX_DEPTH`] steps (the Bitcoin app's `MAX_BIP32_PATH_STEPS`, the
//! Ethereum app's limit); an 11-step path gets `6A87` from the Bitcoin app, so it is refused here
//! before it reaches the wire.

use core::fmt;
use core::str::FromStr;

use crate::error::DecodeError;
use crate::reader::Reader;

/// The most steps a path may have.
pub const MAX_DEPTH: usize = 10;

/// The hardened-derivation bit.
pub const HARDENED: u32 = 0x8000_0000;

/// Errors parsing or building a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// More than [`MAX_DEPTH`] steps.
    #[error("path has {depth} steps, more than the {MAX_DEPTH} the device accepts")]
    TooDeep {
        /// The number of steps.
        depth: usize,
    },
    /// A step of the textual form is not a number below 2^31, optionally followed by `'`/`h`/`H`.
    #[error("invalid path step {step:?}")]
    InvalidStep {
        /// The offending step text.
        step: String,
    },
    /// The textual form is empty or has an empty step.
    #[error("empty path step")]
    EmptyStep,
}

/// A BIP-32 derivation path of at most [`MAX_DEPTH`] steps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bip32Path(Vec<u32>);

impl Bip32Path {
    /// The master key (no steps).
    pub fn master() -> Self {
        Self(Vec::new())
    }

    /// Builds a path from raw child numbers (hardened ones include [`HARDENED`]).
    pub fn from_steps(steps: &[u32]) -> Result<Self, PathError> {
        if steps.len() > MAX_DEPTH {
            return Err(PathError::TooDeep { depth: steps.len() });
        }
        Ok(Self(steps.to_vec()))
    }

    /// The raw child numbers.
    pub fn steps(&self) -> &[u32] {
        &self.0
    }

    /// Number of steps.
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// Appends the wire form `u8 n ‖ n × u32 BE` to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        // `from_steps`/`FromStr` keep the depth at most 10.
        out.push(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        for step in &self.0 {
            out.extend_from_slice(&step.to_be_bytes());
        }
    }

    /// The wire form `u8 n ‖ n × u32 BE`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 * self.0.len());
        self.encode_into(&mut out);
        out
    }

    /// Reads the wire form from the start of `bytes`; returns the path and the bytes used.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Self, usize), DecodeError> {
        let mut reader = Reader::new(bytes);
        let path = Self::read(&mut reader)?;
        Ok((path, bytes.len() - reader.remaining()))
    }

    pub(crate) fn read(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let depth = usize::from(reader.u8("bip32 path length")?);
        if depth > MAX_DEPTH {
            return Err(PathError::TooDeep { depth }.into());
        }
        let mut steps = Vec::with_capacity(depth);
        for _ in 0..depth {
            steps.push(reader.u32_be("bip32 path step")?);
        }
        Ok(Self(steps))
    }

    /// The path without the `m/` prefix, as the Bitcoin app shows it and as key origins write it
    /// (`84'/0'/0'`); empty for the master key.
    pub fn to_unprefixed_string(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            if step & HARDENED != 0 {
                out.push_str(&(step & !HARDENED).to_string());
                out.push('\'');
            } else {
                out.push_str(&step.to_string());
            }
        }
        out
    }
}

impl fmt::Display for Bip32Path {
    /// `m/84'/0'/0'/0/0`; `m` for the master key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("m")
        } else {
            write!(f, "m/{}", self.to_unprefixed_string())
        }
    }
}

impl FromStr for Bip32Path {
    type Err = PathError;

    /// Accepts `m/84'/0'/0'`, `m/84h/0H/0'`, `84'/0'/0'` and `m` (the master key).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let body = match text {
            "m" | "M" => return Ok(Self::master()),
            _ => text
                .strip_prefix("m/")
                .or_else(|| text.strip_prefix("M/"))
                .unwrap_or(text),
        };
        let mut steps = Vec::new();
        for part in body.split('/') {
            if part.is_empty() {
                return Err(PathError::EmptyStep);
            }
            let (digits, hardened) = match part.strip_suffix(['\'', 'h', 'H']) {
                Some(digits) => (digits, true),
                None => (part, false),
            };
            let invalid = || PathError::InvalidStep {
                step: part.to_owned(),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let index: u32 = digits.parse().map_err(|_| invalid())?;
            if index >= HARDENED {
                return Err(invalid());
            }
            steps.push(if hardened { index | HARDENED } else { index });
            if steps.len() > MAX_DEPTH {
                return Err(PathError::TooDeep {
                    depth: body.split('/').count(),
                });
            }
        }
        Ok(Self(steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_print_encode() {
        let path: Bip32Path = "m/84'/0'/0'/0/0".parse().expect("valid path");
        assert_eq!(path.to_string(), "m/84'/0'/0'/0/0");
        assert_eq!(
            hex::encode(path.encode()),
            "058000005480000000800000000000000000000000"
        );
        let same: Bip32Path = "84h/0H/0'/0/0".parse().expect("valid path");
        assert_eq!(same, path);
        assert_eq!(path.to_unprefixed_string(), "84'/0'/0'/0/0");
        assert_eq!("m".parse::<Bip32Path>(), Ok(Bip32Path::master()));
        assert_eq!(Bip32Path::master().to_string(), "m");
    }

    #[test]
    fn limits_are_enforced() {
        assert!("m/0/1/2/3/4/5/6/7/8/9".parse::<Bip32Path>().is_ok());
        assert_eq!(
            "m/44'/1'/0'/0'/1'/2'/3'/4'/5/6/7".parse::<Bip32Path>(),
            Err(PathError::TooDeep { depth: 11 })
        );
        assert!("m/2147483648".parse::<Bip32Path>().is_err());
        assert!("m/1''".parse::<Bip32Path>().is_err());
        assert!("m//1".parse::<Bip32Path>().is_err());
        assert!("m/-1".parse::<Bip32Path>().is_err());
        assert!("m/+1".parse::<Bip32Path>().is_err());
        assert!("".parse::<Bip32Path>().is_err());
        assert_eq!(
            Bip32Path::from_steps(&[0; 11]),
            Err(PathError::TooDeep { depth: 11 })
        );
        let eleven = [&[11u8][..], &[0u8; 44][..]].concat();
        assert!(Bip32Path::decode_prefix(&eleven).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(steps in proptest::collection::vec(any::<u32>(), 0..=MAX_DEPTH)) {
            let path = Bip32Path::from_steps(&steps).expect("depth at most 10");
            let bytes = path.encode();
            prop_assert_eq!(Bip32Path::decode_prefix(&bytes), Ok((path.clone(), bytes.len())));
            prop_assert_eq!(path.to_string().parse::<Bip32Path>(), Ok(path));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
            if let Ok((path, used)) = Bip32Path::decode_prefix(&bytes) {
                prop_assert_eq!(Some(&path.encode()[..]), bytes.get(..used));
            }
        }

        #[test]
        fn parse_never_panics(text in "[mMh0-9'/]{0,40}") {
            let _ = text.parse::<Bip32Path>();
        }
    }
}
