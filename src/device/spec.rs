//! Naming a device on the command line: `hid`, `hid:<index>`, `hid:fpr=<fingerprint>` (the Ledger
//! whose Bitcoin app reports that master fingerprint), `speculos` (LEDGER_PROXY_ADDRESS /
//! LEDGER_PROXY_PORT, else 127.0.0.1:9999), `speculos:<host>:<port>`, or `replay:<transcript>`
//! (answers from a recorded transcript and fails on any byte that differs). There is no silent
//! fallback from one kind to another: the device used is the one named.
//!
//! Opening a spec is the app layer's (`app::open`): finding the device of `hid:fpr=` takes a
//! Bitcoin app command, which a transport does not send.

use std::str::FromStr;

use super::speculos::{SpeculosTransport, DEFAULT_PORT};

/// A device named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    Hid { index: usize },
    HidFingerprint { fingerprint: [u8; 4] },
    Speculos { addr: String },
    Replay { path: std::path::PathBuf },
}

impl FromStr for DeviceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "hid" => Ok(DeviceSpec::Hid { index: 0 }),
            None if s == "speculos" => Ok(DeviceSpec::Speculos {
                addr: SpeculosTransport::address_from_env()
                    .unwrap_or_else(|| format!("127.0.0.1:{DEFAULT_PORT}")),
            }),
            Some(("hid", fpr)) if fpr.starts_with("fpr=") => {
                let hex_fpr = fpr.trim_start_matches("fpr=");
                hex::decode(hex_fpr)
                    .ok()
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(|fingerprint| DeviceSpec::HidFingerprint { fingerprint })
                    .ok_or_else(|| format!("{hex_fpr:?} is not a master fingerprint (8 hex digits)"))
            }
            Some(("replay", path)) if !path.is_empty() => Ok(DeviceSpec::Replay { path: path.into() }),
            Some(("hid", index)) => index
                .parse()
                .map(|index| DeviceSpec::Hid { index })
                .map_err(|_| format!("{index:?} is not a device index")),
            Some(("speculos", addr)) if addr.contains(':') => Ok(DeviceSpec::Speculos {
                addr: addr.to_owned(),
            }),
            Some(("speculos", host)) => Ok(DeviceSpec::Speculos {
                addr: format!("{host}:{DEFAULT_PORT}"),
            }),
            _ => Err(format!(
                "{s:?}: name a device as hid, hid:<index>, hid:fpr=<fingerprint>, speculos, speculos:<host>:<port> or replay:<transcript>"
            )),
        }
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::Hid { index } => write!(f, "hid:{index}"),
            DeviceSpec::HidFingerprint { fingerprint } => {
                write!(f, "hid:fpr={}", hex::encode(fingerprint))
            }
            DeviceSpec::Speculos { addr } => write!(f, "speculos:{addr}"),
            DeviceSpec::Replay { path } => write!(f, "replay:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!("hid".parse(), Ok(DeviceSpec::Hid { index: 0 }));
        assert_eq!("hid:2".parse(), Ok(DeviceSpec::Hid { index: 2 }));
        assert_eq!(
            "speculos:127.0.0.1:4000".parse(),
            Ok(DeviceSpec::Speculos {
                addr: "127.0.0.1:4000".into()
            })
        );
        assert_eq!(
            "speculos:localhost".parse(),
            Ok(DeviceSpec::Speculos {
                addr: "localhost:9999".into()
            })
        );
        assert_eq!(
            "hid:fpr=f5acc2fd".parse(),
            Ok(DeviceSpec::HidFingerprint {
                fingerprint: [0xf5, 0xac, 0xc2, 0xfd]
            })
        );
        assert!("hid:fpr=f5ac".parse::<DeviceSpec>().is_err());
        assert_eq!(
            "replay:t.json".parse(),
            Ok(DeviceSpec::Replay {
                path: "t.json".into()
            })
        );
        assert!("usb".parse::<DeviceSpec>().is_err());
        assert!("hid:x".parse::<DeviceSpec>().is_err());
    }
}
