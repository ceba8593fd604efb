//! The emulator as a [`Transport`], without sockets: for tests and the demo.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{Emulator, Reply};
use crate::device::{Transport, TransportError};

/// A transport wired straight to an emulator. The emulator is shared, so a test can look at
/// its screens or hand it to a second transport.
#[derive(Debug)]
pub struct InProcessTransport {
    emulator: Arc<Mutex<Emulator>>,
    disconnected: bool,
    timeout: Option<Duration>,
}

impl InProcessTransport {
    /// Wraps a new emulator.
    pub fn new(emulator: Emulator) -> Self {
        Self::from_shared(Arc::new(Mutex::new(emulator)))
    }

    /// Uses an emulator shared with others.
    pub fn from_shared(emulator: Arc<Mutex<Emulator>>) -> Self {
        InProcessTransport {
            emulator,
            disconnected: false,
            timeout: None,
        }
    }

    /// Gives up on replies slower than `timeout` (as a socket read timeout would): a slow-reply
    /// fault longer than it becomes [`TransportError::Timeout`] after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The emulator behind this transport.
    pub fn emulator(&self) -> Arc<Mutex<Emulator>> {
        Arc::clone(&self.emulator)
    }

    fn lock(&self) -> MutexGuard<'_, Emulator> {
        crate::sync::lock(&self.emulator)
    }
}

impl Transport for InProcessTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.disconnected {
            return Err(TransportError::Disconnected);
        }
        let mut emulator = self.lock();
        let slow = emulator.faults().slow_reply;
        if let (Some(timeout), Some(slow)) = (self.timeout, slow) {
            if slow > timeout {
                // The request is dropped unanswered: waiting out the timeout is all a real
                // reader would see.
                drop(emulator);
                std::thread::sleep(timeout);
                return Err(TransportError::Timeout { after: timeout });
            }
        }
        match emulator.handle(apdu) {
            Reply::Data(reply) => Ok(reply),
            Reply::Disconnect => {
                drop(emulator);
                self.disconnected = true;
                Err(TransportError::Disconnected)
            }
            // The review's button wait already took its time; a reader gives up the same way.
            Reply::NoReply => Err(TransportError::Timeout {
                after: self.timeout.unwrap_or(crate::device::DEFAULT_USER_TIMEOUT),
            }),
        }
    }
}
