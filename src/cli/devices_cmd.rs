//! `porsign devices`: the Ledgers plugged in over USB.

use serde::Serialize;

use super::output::Output;
use super::{CliError, Exit};
use crate::device::hid::list_devices;

#[derive(Serialize)]
struct DeviceDoc {
    index: usize,
    product: String,
    path: String,
    spec: String,
}

#[derive(Serialize)]
struct DevicesDoc {
    devices: Vec<DeviceDoc>,
}

pub fn run(out: &Output) -> Result<Exit, CliError> {
    let devices = list_devices().map_err(|e| CliError::new(Exit::Device, &e))?;
    if devices.is_empty() {
        return Err(CliError::new(
            Exit::Device,
            &crate::device::TransportError::NoDevice,
        ));
    }
    let docs: Vec<DeviceDoc> = devices
        .into_iter()
        .map(|d| DeviceDoc {
            spec: format!("hid:{}", d.index),
            index: d.index,
            product: d.product,
            path: d.path,
        })
        .collect();
    for d in &docs {
        out.line(&format!("{}  {}  {}", d.spec, d.product, d.path));
    }
    out.document("devices", &DevicesDoc { devices: docs });
    Ok(Exit::Ok)
}
