//! A bounds-checked cursor over untrusted bytes.
//!
//! Every decoder reads through this type, so no decoder indexes or slices device bytes directly:
//! a short or malformed input becomes a [`DecodeError`], never a panic.

use crate::error::DecodeError;
use crate::varint;

/// Cursor over a byte slice; each read names the field it reads for error reports.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated {
                what,
                needed: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    pub(crate) fn u32_be(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64_be(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32_le(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let (value, used) = varint::decode(self.rest, what)?;
        self.take(used, what)?;
        Ok(value)
    }

    /// A boolean encoded as one byte `00` / `01`; anything else is rejected.
    pub(crate) fn flag(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::InvalidValue {
                what,
                value: u64::from(other),
            }),
        }
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Fails if bytes are left: every message in this protocol has an exact length.
    pub(crate) fn finish(self, what: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                what,
                extra: self.rest.len(),
            })
        }
    }
}

/// Checks that `bytes` is printable ASCII (0x20..=0x7E) and returns it as a `String`.
pub(crate) fn ascii(bytes: &[u8], what: &'static str) -> Result<String, DecodeError> {
    if bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        // Printable ASCII is valid UTF-8, so the lossy conversion never replaces anything.
        Ok(String::from_utf8_lossy(bytes).into_owned())
    } else {
        Err(DecodeError::NotAscii { what })
    }
}
