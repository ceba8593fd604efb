//! Stable exit codes. Scripts depend on these: never renumber, only add.

use std::process::ExitCode;

/// What a porsign run ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything verified / the command did what was asked.
    Ok = 0,
    /// Verification ran and found invalid entries (or a bundle that is not intact).
    Invalid = 1,
    /// Unusable input: bad arguments, unreadable or malformed files, unsupported versions.
    Input = 2,
    /// The device or its transport failed: none found, disconnected, timed out, bad reply.
    Device = 3,
    /// The user rejected a request on the device.
    Rejected = 4,
    /// The device is locked, still shows a review a timed-out run left on its screen, runs the
    /// wrong app, or an app too old for the request.
    App = 5,
    /// A signature from the device did not verify on the host: nothing was written for it.
    BadDeviceSignature = 6,
    /// The device's key at the listed path does not produce the listed address: nothing was
    /// signed for it.
    AddressMismatch = 7,
    /// A bug in porsign.
    Internal = 70,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The short name used in `--json` error objects.
    pub fn kind(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Invalid => "invalid",
            Exit::Input => "input",
            Exit::Device => "device",
            Exit::Rejected => "rejected",
            Exit::App => "app",
            Exit::BadDeviceSignature => "bad-device-signature",
            Exit::AddressMismatch => "address-mismatch",
            Exit::Internal => "internal",
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}
