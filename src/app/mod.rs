//! App drivers: run `firmware-msgs` operations over a [`Transport`], and turn status words into
//! errors a person can act on. Callers speak porsign's types (`bitcoin` and `miniscript` types,
//! [`crate::model`]); the apps' protocol objects are made here. Opening a `--device` spec is
//! here too ([`open`]): finding a device by its fingerprint takes an app command.

pub mod btc;
pub mod eth;
mod open;

pub use open::{find_by_fingerprint, open};

use firmware_msgs::bolos::AppAndVersion;
use firmware_msgs::btc::{Exchange, ExchangeError, Step};
use firmware_msgs::{ApduCommand, ApduResponse, StatusWord};

use crate::device::{Transport, TransportError};

/// The most derivation steps either app takes (`MAX_BIP32_PATH_STEPS`).
pub const MAX_PATH_STEPS: usize = firmware_msgs::path::MAX_DEPTH;

/// Why a device operation failed. The CLI maps each to its exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("rejected on the device")]
    Rejected,
    #[error("the device is locked: unlock it with its PIN and run the same command again")]
    Locked,
    /// The OS answered 6901: a review (typically one a timed-out run left on the screen) still
    /// waits for the buttons, and the device takes no command until it is resolved.
    #[error("a review is still pending on the device: approve or reject it there, then run again")]
    ReviewPending,
    #[error("no app is open on the device (dashboard): open the {expected} app")]
    NoApp { expected: String },
    /// `found` and `expected` are app names ("Ethereum", "Bitcoin").
    #[error("the {found} app is open, but this needs the {expected} app")]
    WrongApp { expected: String, found: String },
    /// The open app does not know the command (6E00/6D00): another app is open.
    #[error("the open app does not take this command (status {:04X}): is the right app open?", status.to_u16())]
    NotThisApp { status: StatusWord },
    #[error("the {app} app {found} is too old: porsign needs {need} or newer")]
    AppTooOld {
        app: String,
        found: String,
        need: String,
    },
    #[error("the device refused derivation path {path} (status {:04X}): the open app may not derive keys there", status.to_u16())]
    PathRefused { path: String, status: StatusWord },
    /// Any other status word; its `Display` already says what it means.
    #[error("the device answered {status}")]
    Status { status: StatusWord },
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl DeviceError {
    /// Classifies a status word that ended an operation.
    pub fn from_status(status: StatusWord) -> Self {
        match status {
            StatusWord::Deny => DeviceError::Rejected,
            StatusWord::Locked | StatusWord::SecurityStatusNotSatisfied => DeviceError::Locked,
            StatusWord::CommandNotAccepted => DeviceError::ReviewPending,
            StatusWord::DashboardClaNotSupported | StatusWord::DashboardInsNotSupported => {
                DeviceError::NoApp {
                    expected: "Bitcoin or Ethereum".into(),
                }
            }
            StatusWord::ClaNotSupported | StatusWord::InsNotSupported => {
                DeviceError::NotThisApp { status }
            }
            other => DeviceError::Status { status: other },
        }
    }
}

/// Sends one APDU and decodes the reply.
pub fn send(
    transport: &mut dyn Transport,
    command: &ApduCommand,
) -> Result<ApduResponse, DeviceError> {
    let reply = transport.exchange(&command.encode())?;
    ApduResponse::decode(&reply).map_err(|e| DeviceError::Protocol(format!("reply: {e}")))
}

/// Runs a Bitcoin-app operation to its end, answering every interruption.
pub fn run_exchange<R: firmware_msgs::btc::exchange::Reply>(
    transport: &mut dyn Transport,
    exchange: Exchange<R>,
) -> Result<R, DeviceError> {
    run_exchange_observed(transport, exchange, &mut |_| {})
}

/// [`run_exchange`], showing every response to `observe` as it arrives (a long operation
/// reports its progress from them).
pub fn run_exchange_observed<R: firmware_msgs::btc::exchange::Reply>(
    transport: &mut dyn Transport,
    mut exchange: Exchange<R>,
    observe: &mut dyn FnMut(&ApduResponse),
) -> Result<R, DeviceError> {
    let mut command = exchange.first_command();
    // A real operation needs a few thousand round trips at most (a 512-input batch PSBT streams
    // its maps leaf by leaf); a device that keeps interrupting forever is broken or hostile.
    for _ in 0..1_000_000 {
        let response = send(transport, &command)?;
        observe(&response);
        match exchange.advance(&response) {
            Ok(Step::Send(next)) => command = next,
            Ok(Step::Done(result)) => return Ok(result),
            Err(ExchangeError::Device { status, .. }) => {
                return Err(DeviceError::from_status(status))
            }
            Err(e) => return Err(DeviceError::Protocol(e.to_string())),
        }
    }
    Err(DeviceError::Protocol(
        "the device never finished the operation".into(),
    ))
}

/// Which app is open, from `B0 01`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
}

/// Asks the device which app is open.
pub fn app_info(transport: &mut dyn Transport) -> Result<AppInfo, DeviceError> {
    let info: AppAndVersion = run_exchange(
        transport,
        firmware_msgs::btc::exchange::get_app_and_version(),
    )?;
    Ok(AppInfo {
        name: info.name.clone(),
        version: info.version.clone(),
    })
}

/// Parses `x.y.z` for comparisons; anything else compares as 0.0.0.
pub fn parse_version(v: &str) -> (u32, u32, u32) {
    let mut parts = v.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}
