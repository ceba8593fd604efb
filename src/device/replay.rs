//! A transport that answers from a transcript and fails loudly on any byte that differs: the
//! way device code is tested without a device.

use std::path::Path;

use super::{Transcript, Transport, TransportError};

pub struct ReplayTransport {
    exchanges: Vec<(Vec<u8>, Vec<u8>)>,
    next: usize,
}

impl ReplayTransport {
    pub fn new(transcript: &Transcript) -> Result<Self, TransportError> {
        let exchanges = transcript
            .exchanges
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let bad = |e: hex::FromHexError| TransportError::Transcript {
                    path: "(in memory)".into(),
                    reason: format!("exchange {i}: {e}"),
                };
                Ok((
                    hex::decode(&x.command).map_err(bad)?,
                    hex::decode(&x.response).map_err(bad)?,
                ))
            })
            .collect::<Result<_, TransportError>>()?;
        Ok(ReplayTransport { exchanges, next: 0 })
    }

    pub fn from_file(path: &Path) -> Result<Self, TransportError> {
        Self::new(&Transcript::load(path)?)
    }

    /// Exchanges not yet replayed; a test that ends with some left sent fewer APDUs than the
    /// recording.
    pub fn remaining(&self) -> usize {
        self.exchanges.len().saturating_sub(self.next)
    }
}

impl Transport for ReplayTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let index = self.next;
        let Some((expected, reply)) = self.exchanges.get(index) else {
            return Err(TransportError::ReplayExhausted {
                index,
                sent: hex::encode(apdu),
            });
        };
        if expected.as_slice() != apdu {
            return Err(TransportError::ReplayMismatch {
                index,
                sent: hex::encode(apdu),
                expected: hex::encode(expected),
            });
        }
        self.next += 1;
        Ok(reply.clone())
    }
}
