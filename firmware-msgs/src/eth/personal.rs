//! SIGN ETH PERSONAL MESSAGE (EIP-191): the host's chunking and the device's reassembly.
//!
//! The app takes no interruptions: a long message is cut into 255-byte APDUs, and only the last
//! one's answer carries the signature.

use super::{EthError, INS_SIGN_PERSONAL_MESSAGE};
use crate::apdu::ApduCommand;
use crate::path::Bip32Path;

/// One SIGN ETH PERSONAL MESSAGE APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalMessageChunk {
    /// P1 = 00: `path ‖ u32 BE message_len ‖ first message bytes`.
    First {
        /// The signing key.
        path: Bip32Path,
        /// The whole message's length.
        message_len: u32,
        /// The message bytes in this APDU.
        data: Vec<u8>,
    },
    /// P1 = 80: more message bytes.
    More {
        /// The message bytes in this APDU.
        data: Vec<u8>,
    },
}

/// The APDUs that sign `message` (host side), as Ledger's client cuts them: `path ‖ u32 BE
/// len ‖ message` in 255-byte pieces, P1 = 00 for the first and 80 for the rest. Send them in
/// order; every answer but the last is an empty `9000`.
pub fn sign_personal_message(
    path: &Bip32Path,
    message: &[u8],
) -> Result<Vec<ApduCommand>, EthError> {
    let message_len = u32::try_from(message.len())
        .map_err(|_| EthError::MessageTooLong { len: message.len() })?;
    let mut payload = path.encode();
    payload.extend_from_slice(&message_len.to_be_bytes());
    payload.extend_from_slice(message);
    super::chunked(INS_SIGN_PERSONAL_MESSAGE, &payload)
}

/// Device side: collects personal-message chunks until the declared length is reached.
#[derive(Debug, Clone, Default)]
pub struct PersonalMessageAssembler {
    pending: Option<(Bip32Path, usize, Vec<u8>)>,
}

impl PersonalMessageAssembler {
    /// An idle assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a chunk. Returns the path and the whole message once complete (answer it with the
    /// signature), `None` while more is expected (answer `9000`). A first chunk restarts.
    pub fn push(
        &mut self,
        chunk: PersonalMessageChunk,
    ) -> Result<Option<(Bip32Path, Vec<u8>)>, EthError> {
        match chunk {
            PersonalMessageChunk::First {
                path,
                message_len,
                data,
            } => {
                let len = usize::try_from(message_len)
                    .map_err(|_| EthError::MessageTooLong { len: usize::MAX })?;
                self.pending = Some((path, len, Vec::new()));
                self.append(data)
            }
            PersonalMessageChunk::More { data } => {
                if self.pending.is_none() {
                    return Err(EthError::ChunkOutOfSequence);
                }
                self.append(data)
            }
        }
    }

    fn append(&mut self, data: Vec<u8>) -> Result<Option<(Bip32Path, Vec<u8>)>, EthError> {
        let Some((_, len, buf)) = self.pending.as_mut() else {
            return Err(EthError::ChunkOutOfSequence);
        };
        if buf.len() + data.len() > *len {
            self.pending = None;
            return Err(EthError::ChunkOutOfSequence);
        }
        buf.extend_from_slice(&data);
        if buf.len() < *len {
            return Ok(None);
        }
        Ok(self
            .pending
            .take()
            .map(|(path, _, message)| (path, message)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembler_enforces_sequence() {
        let mut assembler = PersonalMessageAssembler::new();
        assert_eq!(
            assembler.push(PersonalMessageChunk::More { data: vec![1] }),
            Err(EthError::ChunkOutOfSequence)
        );
        let first = PersonalMessageChunk::First {
            path: Bip32Path::master(),
            message_len: 2,
            data: vec![1],
        };
        assert_eq!(assembler.push(first), Ok(None));
        assert_eq!(
            assembler.push(PersonalMessageChunk::More { data: vec![2, 3] }),
            Err(EthError::ChunkOutOfSequence)
        );
        let empty = PersonalMessageChunk::First {
            path: Bip32Path::master(),
            message_len: 0,
            data: vec![],
        };
        assert_eq!(
            assembler.push(empty),
            Ok(Some((Bip32Path::master(), vec![])))
        );
    }
}
