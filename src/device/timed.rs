//! A transport wrapper that adds up the time spent waiting for the device, so the host's own
//! cost can be told apart from the device's (`porsign bench sign`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{Transport, TransportError};

/// Counts exchanges and nanoseconds spent inside the wrapped transport.
#[derive(Clone, Debug, Default)]
pub struct DeviceClock {
    nanos: Arc<AtomicU64>,
    exchanges: Arc<AtomicU64>,
}

impl DeviceClock {
    pub fn seconds(&self) -> f64 {
        self.nanos.load(Ordering::Relaxed) as f64 * 1e-9
    }

    pub fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }
}

pub struct Timed<T> {
    inner: T,
    clock: DeviceClock,
}

impl<T: Transport> Timed<T> {
    pub fn new(inner: T, clock: DeviceClock) -> Self {
        Timed { inner, clock }
    }
}

impl<T: Transport> Transport for Timed<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        let reply = self.inner.exchange(apdu);
        let spent = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.clock.nanos.fetch_add(spent, Ordering::Relaxed);
        self.clock.exchanges.fetch_add(1, Ordering::Relaxed);
        reply
    }
}
