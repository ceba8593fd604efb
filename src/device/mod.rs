//! Transports: one narrow trait that sends an APDU and returns the device's answer, and its
//! implementations (USB HID, the Speculos TCP APDU port, transcript replay and recording).
//!
//! A transport knows bytes only. What the bytes mean (status words, app protocols) is the job of
//! `firmware-msgs` and `crate::app`.

pub mod hid;
pub mod replay;
pub mod spec;
pub mod speculos;
pub mod timed;
pub mod transcript;

use std::time::Duration;

pub use replay::ReplayTransport;
pub use spec::DeviceSpec;
pub use speculos::SpeculosTransport;
pub use transcript::{Recorder, Transcript, TranscriptExchange};

/// How long to wait for a reply when the device may be waiting for a person to press buttons.
pub const DEFAULT_USER_TIMEOUT: Duration = Duration::from_secs(300);

/// Sends one APDU and returns the reply. Synchronous: the Ledger link is strictly one request,
/// one response, and HID blocks.
pub trait Transport {
    /// `apdu` is `CLA INS P1 P2 Lc data`; the reply is `data || SW1 SW2`.
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).exchange(apdu)
    }
}

/// Why an exchange failed below the app protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("cannot connect to {addr}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no reply after {}s: the device may be waiting for you to confirm on its screen", after.as_secs())]
    Timeout { after: Duration },
    #[error("the device disconnected")]
    Disconnected,
    #[error("i/o error talking to the device")]
    Io(#[source] std::io::Error),
    #[error("malformed reply from the device: {0}")]
    Malformed(String),
    #[error("no Ledger device found (is it plugged in and unlocked? on Linux, are the Ledger udev rules installed?)")]
    NoDevice,
    #[error("no connected Ledger with the Bitcoin app open reports master fingerprint {0}")]
    NoDeviceWithFingerprint(String),
    #[error("cannot open the Ledger device ({0}); on Linux, install Ledger's udev rules or run with access to /dev/hidraw*")]
    HidAccess(String),
    #[error("HID error: {0}")]
    Hid(String),
    #[error("APDU of {0} bytes is too long for the transport")]
    TooLong(usize),
    #[error("replay: exchange {index} differs from the transcript: sent {sent}, transcript has {expected}")]
    ReplayMismatch {
        index: usize,
        sent: String,
        expected: String,
    },
    #[error("replay: exchange {index} goes past the end of the transcript (sent {sent})")]
    ReplayExhausted { index: usize, sent: String },
    #[error("transcript {path}: {reason}")]
    Transcript { path: String, reason: String },
}

/// Splits a reply into data and status word, checking its length.
pub fn split_status(reply: &[u8]) -> Result<(&[u8], u16), TransportError> {
    let split = reply.len().checked_sub(2).ok_or_else(|| {
        TransportError::Malformed(format!("{} bytes, no status word", reply.len()))
    })?;
    let (data, sw) = reply.split_at(split);
    let sw = match sw {
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => return Err(TransportError::Malformed("no status word".into())),
    };
    Ok((data, sw))
}
