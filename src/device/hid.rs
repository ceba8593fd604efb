//! Real Ledger devices over USB HID, through `ledger-transport-hid`.
//!
//! That crate's reads block for hours when the device waits for the user, so every exchange runs
//! on a worker thread and the caller waits with a timeout it chose.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use ledger_apdu::APDUCommand;
use ledger_transport_hid::hidapi::HidApi;
use ledger_transport_hid::TransportNativeHID;

use super::{Transport, TransportError};

/// One Ledger seen on USB.
#[derive(Clone, Debug)]
pub struct HidDeviceInfo {
    pub index: usize,
    pub product: String,
    pub path: String,
}

fn hid_api() -> Result<HidApi, TransportError> {
    HidApi::new().map_err(|e| TransportError::HidAccess(e.to_string()))
}

/// Lists the Ledger devices plugged in.
pub fn list_devices() -> Result<Vec<HidDeviceInfo>, TransportError> {
    let api = hid_api()?;
    Ok(TransportNativeHID::list_ledgers(&api)
        .enumerate()
        .map(|(index, d)| HidDeviceInfo {
            index,
            product: d.product_string().unwrap_or("Ledger").to_owned(),
            path: d.path().to_string_lossy().into_owned(),
        })
        .collect())
}

/// An open Ledger.
pub struct HidTransport {
    inner: Option<Arc<TransportNativeHID>>,
    timeout: Duration,
}

impl HidTransport {
    /// Opens the `index`-th Ledger in [`list_devices`] order.
    pub fn open(index: usize, timeout: Duration) -> Result<Self, TransportError> {
        let api = hid_api()?;
        let info = TransportNativeHID::list_ledgers(&api)
            .nth(index)
            .ok_or(TransportError::NoDevice)?
            .clone();
        let inner = TransportNativeHID::open_device(&api, &info)
            .map_err(|e| TransportError::HidAccess(e.to_string()))?;
        Ok(HidTransport {
            inner: Some(Arc::new(inner)),
            timeout,
        })
    }
}

/// Every Ledger on USB, in [`list_devices`] order, each opened only when the iteration reaches
/// it (and closed when dropped), so that a search asks one device at a time. One that cannot be
/// opened is passed over.
pub fn open_each(timeout: Duration) -> Result<impl Iterator<Item = HidTransport>, TransportError> {
    let count = list_devices()?.len();
    Ok((0..count).filter_map(move |index| HidTransport::open(index, timeout).ok()))
}

impl Transport for HidTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(inner) = self.inner.clone() else {
            // An earlier exchange timed out and its thread may still own the device.
            return Err(TransportError::Disconnected);
        };
        let command = to_command(apdu)?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = inner.exchange(&command).map(|answer| {
                let mut reply = answer.data().to_vec();
                reply.extend_from_slice(&answer.retcode().to_be_bytes());
                reply
            });
            let _ = tx.send(result.map_err(|e| e.to_string()));
        });
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => Err(TransportError::Hid(e)),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.inner = None;
                Err(TransportError::Timeout {
                    after: self.timeout,
                })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(TransportError::Disconnected),
        }
    }
}

/// The HID crate takes the header fields and data apart; its serializer writes the data length
/// as one byte without a check, so the length is checked here.
fn to_command(apdu: &[u8]) -> Result<APDUCommand<Vec<u8>>, TransportError> {
    let (header, rest) = apdu
        .split_first_chunk::<4>()
        .ok_or_else(|| TransportError::Malformed("APDU shorter than its 4-byte header".into()))?;
    let [cla, ins, p1, p2] = *header;
    let data = match rest.split_first() {
        None => Vec::new(),
        Some((&lc, data)) if usize::from(lc) == data.len() => data.to_vec(),
        Some(_) => return Err(TransportError::TooLong(apdu.len())),
    };
    Ok(APDUCommand {
        cla,
        ins,
        p1,
        p2,
        data,
    })
}
