//! Short APDU framing: `CLA INS P1 P2 Lc data` commands and `data SW1 SW2` responses.
//!
//! Ledger apps only take short APDUs, so `Lc` is one byte and the data is at most 255 bytes. The
//! limit is enforced when a command is built, so encoding can never silently truncate the length
//! byte (a known defect of `data.len() as u8` encoders).

use crate::status::StatusWord;

/// The largest data field a short APDU can carry.
pub const MAX_DATA_LEN: usize = 255;

/// Errors building or decoding an APDU frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// The data does not fit a short APDU.
    #[error("apdu data is {len} bytes, more than the {MAX_DATA_LEN} a short apdu carries")]
    DataTooLong {
        /// The rejected length.
        len: usize,
    },
    /// A command frame was shorter than its 5-byte header.
    #[error("apdu command is {len} bytes, shorter than the 5-byte header")]
    CommandTooShort {
        /// The frame length.
        len: usize,
    },
    /// The `Lc` byte disagrees with the number of data bytes that follow.
    #[error("apdu lc says {lc} data bytes but {actual} follow")]
    LengthMismatch {
        /// The declared length.
        lc: u8,
        /// The bytes actually present.
        actual: usize,
    },
    /// A response frame was shorter than its 2-byte status word.
    #[error("apdu response is {len} bytes, shorter than the 2-byte status word")]
    ResponseTooShort {
        /// The frame length.
        len: usize,
    },
}

/// One command APDU, host to device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApduCommand {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
}

impl ApduCommand {
    /// Builds a command; fails if `data` is longer than [`MAX_DATA_LEN`].
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: Vec<u8>) -> Result<Self, ApduError> {
        if data.len() > MAX_DATA_LEN {
            return Err(ApduError::DataTooLong { len: data.len() });
        }
        Ok(Self {
            cla,
            ins,
            p1,
            p2,
            data,
        })
    }

    /// A command with no data (always valid).
    pub fn without_data(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
        }
    }

    /// Instruction class.
    pub fn cla(&self) -> u8 {
        self.cla
    }

    /// Instruction code.
    pub fn ins(&self) -> u8 {
        self.ins
    }

    /// First parameter byte.
    pub fn p1(&self) -> u8 {
        self.p1
    }

    /// Second parameter byte.
    pub fn p2(&self) -> u8 {
        self.p2
    }

    /// The data field (without `Lc`).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The frame: `CLA INS P1 P2 Lc data`. `Lc` is always written, also for empty data
    /// (`B0 01 00 00 00`), as Ledger's clients do.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        // `new` guarantees the length fits one byte.
        out.push(u8::try_from(self.data.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.data);
        out
    }

    /// Parses a frame; `Lc` must match the data length exactly.
    pub fn decode(bytes: &[u8]) -> Result<Self, ApduError> {
        let Some((&[cla, ins, p1, p2, lc], data)) = bytes.split_first_chunk::<5>() else {
            return Err(ApduError::CommandTooShort { len: bytes.len() });
        };
        if usize::from(lc) != data.len() {
            return Err(ApduError::LengthMismatch {
                lc,
                actual: data.len(),
            });
        }
        Self::new(cla, ins, p1, p2, data.to_vec())
    }
}

/// One response APDU, device to host: data followed by the status word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApduResponse {
    /// The response data, without the status word.
    pub data: Vec<u8>,
    /// The status word (`SW1 SW2`).
    pub status: StatusWord,
}

impl ApduResponse {
    /// A response with data.
    pub fn new(data: Vec<u8>, status: StatusWord) -> Self {
        Self { data, status }
    }

    /// A `9000` response carrying `data`.
    pub fn ok(data: Vec<u8>) -> Self {
        Self::new(data, StatusWord::Ok)
    }

    /// A data-less response with `status`.
    pub fn status_only(status: StatusWord) -> Self {
        Self::new(Vec::new(), status)
    }

    /// The frame: `data SW1 SW2`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.status.to_u16().to_be_bytes());
        out
    }

    /// Parses a frame; the last two bytes are the status word.
    pub fn decode(bytes: &[u8]) -> Result<Self, ApduError> {
        let split = bytes
            .len()
            .checked_sub(2)
            .ok_or(ApduError::ResponseTooShort { len: bytes.len() })?;
        let (data, sw) = bytes.split_at(split);
        let mut word = [0u8; 2];
        word.copy_from_slice(sw);
        Ok(Self::new(
            data.to_vec(),
            StatusWord::from_u16(u16::from_be_bytes(word)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lc_is_checked() {
        assert_eq!(
            ApduCommand::new(0xe1, 0, 0, 1, vec![0; 256]),
            Err(ApduError::DataTooLong { len: 256 })
        );
        assert!(ApduCommand::new(0xe1, 0, 0, 1, vec![0; 255]).is_ok());
        assert_eq!(
            ApduCommand::decode(&[0xe1, 0x05, 0x00, 0x01, 0x01]),
            Err(ApduError::LengthMismatch { lc: 1, actual: 0 })
        );
        assert_eq!(
            ApduCommand::decode(&[0xe1, 0x05, 0x00, 0x01]),
            Err(ApduError::CommandTooShort { len: 4 })
        );
        assert_eq!(
            ApduResponse::decode(&[0x90]),
            Err(ApduError::ResponseTooShort { len: 1 })
        );
    }

    #[test]
    fn master_fingerprint_frames() {
        let cmd = ApduCommand::new(0xe1, 0x05, 0x00, 0x01, Vec::new()).expect("empty data");
        assert_eq!(cmd.encode(), [0xe1, 0x05, 0x00, 0x01, 0x00]);
        let resp = ApduResponse::decode(&[0xf5, 0xac, 0xc2, 0xfd, 0x90, 0x00]).expect("6 bytes");
        assert_eq!(resp.status, StatusWord::Ok);
        assert_eq!(resp.data, [0xf5, 0xac, 0xc2, 0xfd]);
    }

    proptest! {
        #[test]
        fn command_round_trip(cla: u8, ins: u8, p1: u8, p2: u8,
                              data in proptest::collection::vec(any::<u8>(), 0..=255)) {
            let cmd = ApduCommand::new(cla, ins, p1, p2, data).expect("at most 255 bytes");
            prop_assert_eq!(ApduCommand::decode(&cmd.encode()), Ok(cmd));
        }

        #[test]
        fn response_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300), sw: u16) {
            let resp = ApduResponse::new(data, StatusWord::from_u16(sw));
            let bytes = resp.encode();
            prop_assert_eq!(ApduResponse::decode(&bytes), Ok(resp));
        }

        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(cmd) = ApduCommand::decode(&bytes) {
                prop_assert_eq!(cmd.encode(), bytes.clone());
            }
            if let Ok(resp) = ApduResponse::decode(&bytes) {
                prop_assert_eq!(resp.encode(), bytes);
            }
        }
    }
}
