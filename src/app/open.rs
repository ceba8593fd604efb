//! Opening the device a `--device` spec names. Most specs name a place (a USB index, a TCP
//! address, a transcript) and open as the transport does; `hid:fpr=<fingerprint>` names a
//! device by what its Bitcoin app reports, so finding it takes an app command, and that is
//! this layer's job rather than the transport's.

use std::time::Duration;

use crate::device::hid::{self, HidTransport};
use crate::device::{DeviceSpec, ReplayTransport, SpeculosTransport, Transport, TransportError};

/// Opens the device `spec` names. `timeout` bounds every wait for a reply (a person
/// confirming).
pub fn open(
    spec: &DeviceSpec,
    timeout: Duration,
) -> Result<Box<dyn Transport + Send>, TransportError> {
    Ok(match spec {
        DeviceSpec::Hid { index } => Box::new(HidTransport::open(*index, timeout)?),
        DeviceSpec::HidFingerprint { fingerprint } => Box::new(
            find_by_fingerprint(hid::open_each(timeout)?, *fingerprint)
                .ok_or_else(|| TransportError::NoDeviceWithFingerprint(hex::encode(fingerprint)))?,
        ),
        DeviceSpec::Speculos { addr } => Box::new(SpeculosTransport::connect(addr, timeout)?),
        DeviceSpec::Replay { path } => Box::new(ReplayTransport::from_file(path)?),
    })
}

/// The first of `candidates` whose Bitcoin app reports `fingerprint` as its master fingerprint
/// (GET_MASTER_FINGERPRINT). A device that cannot answer (another app open, locked, a broken
/// link, a reply that makes no sense) is passed over: it is not the one asked for, and the
/// next may be.
pub fn find_by_fingerprint<T: Transport>(
    candidates: impl IntoIterator<Item = T>,
    fingerprint: [u8; 4],
) -> Option<T> {
    candidates.into_iter().find_map(|mut device| {
        let reported = super::btc::master_fingerprint(&mut device).ok()?;
        (reported == fingerprint).then_some(device)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINGERPRINT: [u8; 4] = [0xf5, 0xac, 0xc2, 0xfd];

    /// A device that answers every command with the same reply (or fails), and says which it is.
    struct Fake {
        name: &'static str,
        reply: Result<Vec<u8>, ()>,
    }

    impl Transport for Fake {
        fn exchange(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.reply
                .clone()
                .map_err(|()| TransportError::Disconnected)
        }
    }

    fn fake(name: &'static str, reply: &[u8]) -> Fake {
        Fake {
            name,
            reply: Ok(reply.to_vec()),
        }
    }

    fn answering(name: &'static str, fingerprint: [u8; 4]) -> Fake {
        fake(name, &[&fingerprint[..], &[0x90, 0x00]].concat())
    }

    #[test]
    fn a_device_that_answers_badly_is_skipped_not_fatal() {
        let broken = [
            // No status word at all.
            fake("garbage", &[0x42]),
            Fake {
                name: "unplugged",
                reply: Err(()),
            },
            // The Ethereum app does not know the command.
            fake("wrong app", &[0x6d, 0x00]),
            // Success, but not a fingerprint.
            fake("short", &[0x01, 0x90, 0x00]),
            answering("other seed", [1, 2, 3, 4]),
        ];
        for bad in broken {
            let name = bad.name;
            let found = find_by_fingerprint([bad, answering("right", FINGERPRINT)], FINGERPRINT);
            assert_eq!(found.map(|d| d.name), Some("right"), "after {name}");
        }
    }

    #[test]
    fn no_device_with_the_fingerprint_is_none() {
        let devices = [
            fake("garbage", &[0x42]),
            answering("other seed", [1, 2, 3, 4]),
        ];
        assert!(find_by_fingerprint(devices, FINGERPRINT).is_none());
    }
}
