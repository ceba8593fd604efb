//! A length-checked RLP reader for the transactions the Ethereum app signs.
//!
//! The app parses a transaction as a stream of RLP headers and field bytes that may end at any
//! APDU boundary. This reader works on the bytes received so far: every read says whether the
//! item is complete, still needs more bytes ([`Read::More`]), or can never be valid
//! ([`RlpError`]). It never indexes past what it holds.

/// Why the transaction bytes can never be a transaction the app signs (answered `6A80`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RlpError {
    /// A long-form length of more than 4 bytes (the app's "arbitrary 32 bits length
    /// limitation").
    #[error("rlp length of {0} bytes is longer than 4 bytes")]
    LengthTooLong(usize),
    /// A list where the app expects a byte string.
    #[error("{0}: a list where a byte string is expected")]
    UnexpectedList(&'static str),
    /// A byte string where the app expects a list.
    #[error("{0}: a byte string where a list is expected")]
    ExpectedList(&'static str),
    /// A field longer than the app stores (32 bytes for integers, 20 for the address, 8 for `v`).
    #[error("{field}: {len} bytes, at most {max} allowed")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The longest the app accepts.
        max: usize,
    },
}

/// One RLP header: what follows it and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// A list (`C0`–`FF`) rather than a byte string.
    pub(crate) list: bool,
    /// Bytes of the header itself; 0 for a single byte below `80`, which is its own value.
    pub(crate) header_len: usize,
    /// Bytes of the payload.
    pub(crate) payload_len: usize,
}

/// The result of a read on a buffer that may still grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read<T> {
    /// The item is complete.
    Done(T),
    /// The buffer ends inside the item.
    More,
}

/// Decodes the header at the start of `bytes`.
pub(crate) fn header(bytes: &[u8]) -> Result<Read<Header>, RlpError> {
    let Some(&first) = bytes.first() else {
        return Ok(Read::More);
    };
    let (list, short_base, long_base) = match first {
        0x00..=0x7f => {
            return Ok(Read::Done(Header {
                list: false,
                header_len: 0,
                payload_len: 1,
            }))
        }
        0x80..=0xbf => (false, 0x80u8, 0xb7u8),
        0xc0..=0xff => (true, 0xc0u8, 0xf7u8),
    };
    if first <= long_base {
        return Ok(Read::Done(Header {
            list,
            header_len: 1,
            payload_len: usize::from(first - short_base),
        }));
    }
    let len_of_len = usize::from(first - long_base);
    if len_of_len > 4 {
        return Err(RlpError::LengthTooLong(len_of_len));
    }
    let Some(len_bytes) = bytes.get(1..1 + len_of_len) else {
        return Ok(Read::More);
    };
    // At most 4 bytes: the length fits in u32, so in usize on every platform porsign runs on.
    let payload_len = len_bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok(Read::Done(Header {
        list,
        header_len: 1 + len_of_len,
        payload_len,
    }))
}

/// A cursor over the bytes received so far.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    /// Bytes consumed so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Reads the header of the next item without its payload.
    pub(crate) fn header(&mut self) -> Result<Read<Header>, RlpError> {
        let read = header(self.rest())?;
        if let Read::Done(h) = read {
            self.pos += h.header_len;
        }
        Ok(read)
    }

    /// Reads the payload announced by `h`.
    pub(crate) fn payload(&mut self, h: Header) -> Read<&'a [u8]> {
        match self.rest().get(..h.payload_len) {
            Some(payload) => {
                self.pos += h.payload_len;
                Read::Done(payload)
            }
            None => Read::More,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(list: bool, header_len: usize, payload_len: usize) -> Result<Read<Header>, RlpError> {
        Ok(Read::Done(Header {
            list,
            header_len,
            payload_len,
        }))
    }

    #[test]
    fn headers_as_the_yellow_paper_defines_them() {
        assert_eq!(header(&[0x05]), done(false, 0, 1));
        assert_eq!(header(&[0x80]), done(false, 1, 0));
        assert_eq!(header(&[0x94]), done(false, 1, 20));
        assert_eq!(header(&[0xb8, 0x38]), done(false, 2, 56));
        assert_eq!(header(&[0xf8, 0x6c]), done(true, 2, 108));
        assert_eq!(header(&[0xfb, 1, 0, 0, 0]), done(true, 5, 1 << 24));
        assert_eq!(header(&[0xb9, 0x01]), Ok(Read::More));
        assert_eq!(header(&[]), Ok(Read::More));
        assert_eq!(header(&[0xbc]), Err(RlpError::LengthTooLong(5)));
        assert_eq!(header(&[0xff]), Err(RlpError::LengthTooLong(8)));
    }

    #[test]
    fn payload_waits_for_its_bytes() {
        let mut c = Cursor::new(&[0x82, 0x01]);
        let Ok(Read::Done(h)) = c.header() else {
            panic!("header")
        };
        assert_eq!(c.payload(h), Read::More);
        assert_eq!(c.position(), 1);
    }
}
