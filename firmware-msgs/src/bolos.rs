//! Commands answered by the OS/SDK for every app (CLA `B0`).

use crate::apdu::ApduCommand;
use crate::error::DecodeError;
use crate::reader::{ascii, Reader};

/// CLA of OS-level commands.
pub const CLA_BOLOS: u8 = 0xb0;
/// INS of GET_APP_AND_VERSION.
pub const INS_GET_APP_AND_VERSION: u8 = 0x01;

/// GET_APP_AND_VERSION: `B0 01 00 00 00` (P2 = 0, as Ledger's clients send it).
pub fn get_app_and_version() -> ApduCommand {
    ApduCommand::without_data(CLA_BOLOS, INS_GET_APP_AND_VERSION, 0, 0)
}

/// INS of QUIT_APP (back to the dashboard).
pub const INS_QUIT_APP: u8 = 0xa7;
/// CLA of the dashboard's OPEN_APP.
pub const CLA_DASHBOARD: u8 = 0xe0;
/// INS of the dashboard's OPEN_APP.
pub const INS_OPEN_APP: u8 = 0xd8;

/// QUIT_APP: `B0 A7 00 00 00`, closes the open app.
pub fn quit_app() -> ApduCommand {
    ApduCommand::without_data(CLA_BOLOS, INS_QUIT_APP, 0, 0)
}

/// OPEN_APP from the dashboard: `E0 D8 00 00 Lc name` (e.g. `Bitcoin`, `Bitcoin Test`,
/// `Ethereum`); the user may have to confirm on the device.
pub fn open_app(name: &str) -> Result<ApduCommand, crate::apdu::ApduError> {
    ApduCommand::new(CLA_DASHBOARD, INS_OPEN_APP, 0, 0, name.as_bytes().to_vec())
}

/// Whether `command` is GET_APP_AND_VERSION (device side).
pub fn is_get_app_and_version(command: &ApduCommand) -> bool {
    command.cla() == CLA_BOLOS && command.ins() == INS_GET_APP_AND_VERSION
}

/// The reply to GET_APP_AND_VERSION:
/// `01 ‖ u8 len ‖ name ‖ u8 len ‖ version ‖ u8 len ‖ flags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAndVersion {
    /// The open app (`Bitcoin`, `Bitcoin Test`, `Ethereum`; `BOLOS` on the dashboard).
    pub name: String,
    /// Its version, e.g. `2.4.6`.
    pub version: String,
    /// The app's state flags.
    pub flags: Vec<u8>,
}

impl AppAndVersion {
    /// The only format byte defined.
    pub const FORMAT: u8 = 0x01;

    /// Encodes the reply data (device side). Fields longer than 255 bytes are cut to 255.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![Self::FORMAT];
        for field in [self.name.as_bytes(), self.version.as_bytes(), &self.flags] {
            let field = field.get(..255).unwrap_or(field);
            out.push(u8::try_from(field.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(field);
        }
        out
    }

    /// Decodes the reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let format = r.u8("app-and-version format")?;
        if format != Self::FORMAT {
            return Err(DecodeError::InvalidValue {
                what: "app-and-version format",
                value: u64::from(format),
            });
        }
        let len = usize::from(r.u8("app name length")?);
        let name = ascii(r.take(len, "app name")?, "app name")?;
        let len = usize::from(r.u8("app version length")?);
        let version = ascii(r.take(len, "app version")?, "app version")?;
        let len = usize::from(r.u8("app flags length")?);
        let flags = r.take(len, "app flags")?.to_vec();
        r.finish("app-and-version reply")?;
        Ok(Self {
            name,
            version,
            flags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speculos_doc_example() {
        let reply =
            AppAndVersion::decode(&hex::decode("0104626c616807312e322e332e340100").expect("hex"))
                .expect("valid reply");
        assert_eq!(reply.name, "blah");
        assert_eq!(reply.version, "1.2.3.4");
        assert_eq!(reply.flags, [0]);
        assert_eq!(hex::encode(get_app_and_version().encode()), "b001000000");
    }
}
