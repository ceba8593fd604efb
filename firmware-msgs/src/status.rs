//! Status words (`SW1 SW2`) as data.
//!
//! Every 16-bit value decodes: the ones the Bitcoin app, the Ethereum app and the OS are known to
//! return get a named variant with a meaning, the rest are kept as [`StatusWord::Unknown`] so the
//! exact value still reaches the user and the logs.

use core::fmt;

/// A status word returned by the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusWord {
    /// `9000`: success.
    Ok,
    /// `E000`: the Bitcoin app interrupted the command with a client-command request.
    InterruptedExecution,
    /// `6985`: the user rejected the request on the device (Bitcoin `SW_DENY`, Ethereum
    /// "condition not satisfied").
    Deny,
    /// `5515`: the device is locked (PIN not entered).
    Locked,
    /// `5501`: the user refused on the dashboard (e.g. opening an app).
    UserRefusedOnDashboard,
    /// `6982`: security status not satisfied (device locked, or cancelled in the Ethereum app).
    SecurityStatusNotSatisfied,
    /// `6983`: wrong data length (Ethereum app).
    WrongDataLengthEth,
    /// `6984`: plugin not installed (Ethereum app).
    PluginNotInstalled,
    /// `6986`: command not allowed in the current state (Ethereum app).
    CommandNotAllowed,
    /// `6901`: the OS refuses every command while its own screen (a review the app left
    /// pending, the control center) has the focus.
    CommandNotAccepted,
    /// `6A80`: incorrect data.
    IncorrectData,
    /// `6A82`: not supported; also what the OS answers for a derivation path the app may not use.
    NotSupported,
    /// `6A84`: not enough memory (Ethereum app).
    InsufficientMemory,
    /// `6A86`: wrong P1 or P2.
    WrongP1P2,
    /// `6A87`: wrong data length (truncated input, too-long path).
    WrongDataLength,
    /// `6A88`: referenced data not found (Ethereum app).
    DataNotFound,
    /// `6B00`: wrong parameters (Ethereum: bad P1/P2; Bitcoin: swap failure).
    WrongParameters,
    /// `6D00`: instruction not supported by the open app.
    InsNotSupported,
    /// `6D02`: unknown APDU on the dashboard (no app open).
    DashboardInsNotSupported,
    /// `6E00`: class not supported (another app is open).
    ClaNotSupported,
    /// `6E01`: class not supported on the dashboard (no app open).
    DashboardClaNotSupported,
    /// `B000`: wrong response length (Bitcoin app).
    WrongResponseLength,
    /// `B007`: bad state (Bitcoin app; also a path or message the app refuses).
    BadState,
    /// `B008`: signature or HMAC check failed (Bitcoin app).
    SignatureFail,
    /// Any other value, kept verbatim.
    Unknown(u16),
}

/// Named status words and their codes, in one table so `from_u16` and `to_u16` cannot disagree.
const TABLE: &[(StatusWord, u16)] = &[
    (StatusWord::Ok, 0x9000),
    (StatusWord::InterruptedExecution, 0xe000),
    (StatusWord::Deny, 0x6985),
    (StatusWord::Locked, 0x5515),
    (StatusWord::UserRefusedOnDashboard, 0x5501),
    (StatusWord::SecurityStatusNotSatisfied, 0x6982),
    (StatusWord::WrongDataLengthEth, 0x6983),
    (StatusWord::PluginNotInstalled, 0x6984),
    (StatusWord::CommandNotAllowed, 0x6986),
    (StatusWord::CommandNotAccepted, 0x6901),
    (StatusWord::IncorrectData, 0x6a80),
    (StatusWord::NotSupported, 0x6a82),
    (StatusWord::InsufficientMemory, 0x6a84),
    (StatusWord::WrongP1P2, 0x6a86),
    (StatusWord::WrongDataLength, 0x6a87),
    (StatusWord::DataNotFound, 0x6a88),
    (StatusWord::WrongParameters, 0x6b00),
    (StatusWord::InsNotSupported, 0x6d00),
    (StatusWord::DashboardInsNotSupported, 0x6d02),
    (StatusWord::ClaNotSupported, 0x6e00),
    (StatusWord::DashboardClaNotSupported, 0x6e01),
    (StatusWord::WrongResponseLength, 0xb000),
    (StatusWord::BadState, 0xb007),
    (StatusWord::SignatureFail, 0xb008),
];

impl StatusWord {
    /// Decodes any 16-bit value; never fails.
    pub fn from_u16(value: u16) -> Self {
        TABLE
            .iter()
            .find(|(_, code)| *code == value)
            .map_or(Self::Unknown(value), |(word, _)| *word)
    }

    /// The 16-bit value.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::Unknown(value) => value,
            named => TABLE
                .iter()
                .find(|(word, _)| *word == named)
                .map_or(0, |(_, code)| *code),
        }
    }

    /// `9000`.
    pub fn is_ok(self) -> bool {
        self == Self::Ok
    }

    /// What the status means, in words a user can act on.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "success",
            Self::InterruptedExecution => "the app is waiting for a client-command answer",
            Self::Deny => "rejected by the user on the device",
            Self::Locked => "the device is locked: unlock it with the PIN",
            Self::UserRefusedOnDashboard => "refused by the user on the device dashboard",
            Self::SecurityStatusNotSatisfied => {
                "security status not satisfied: the device may be locked"
            }
            Self::WrongDataLengthEth => "wrong data length",
            Self::PluginNotInstalled => "a required plugin is not installed",
            Self::CommandNotAllowed => "command not allowed in the app's current state",
            Self::CommandNotAccepted => {
                "command not accepted: the device is busy with something on its screen"
            }
            Self::IncorrectData => "incorrect data",
            Self::NotSupported => {
                "not supported: for a derivation path, the open app may not derive it"
            }
            Self::InsufficientMemory => "not enough memory on the device",
            Self::WrongP1P2 => "wrong p1 or p2",
            Self::WrongDataLength => "wrong data length",
            Self::DataNotFound => "referenced data not found",
            Self::WrongParameters => "wrong parameters",
            Self::InsNotSupported => "instruction not supported: is the right app open?",
            Self::DashboardInsNotSupported => "no app is open on the device",
            Self::ClaNotSupported => "class not supported: is the right app open?",
            Self::DashboardClaNotSupported => "no app is open on the device",
            Self::WrongResponseLength => "wrong response length",
            Self::BadState => "bad state: the app refused the request",
            Self::SignatureFail => "signature or hmac check failed",
            Self::Unknown(_) => "unknown status word",
        }
    }
}

impl From<u16> for StatusWord {
    fn from(value: u16) -> Self {
        Self::from_u16(value)
    }
}

impl From<StatusWord> for u16 {
    fn from(word: StatusWord) -> Self {
        word.to_u16()
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.to_u16(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn named_words() {
        assert_eq!(StatusWord::from_u16(0x9000), StatusWord::Ok);
        assert_eq!(StatusWord::from_u16(0x6985), StatusWord::Deny);
        assert_eq!(StatusWord::from_u16(0x5515), StatusWord::Locked);
        assert_eq!(StatusWord::from_u16(0x6a82), StatusWord::NotSupported);
        assert_eq!(StatusWord::from_u16(0x6d00), StatusWord::InsNotSupported);
        assert_eq!(StatusWord::from_u16(0x6e00), StatusWord::ClaNotSupported);
        assert_eq!(StatusWord::from_u16(0xb007), StatusWord::BadState);
        assert_eq!(StatusWord::from_u16(0xb008), StatusWord::SignatureFail);
        assert_eq!(
            StatusWord::from_u16(0xe000),
            StatusWord::InterruptedExecution
        );
        assert_eq!(StatusWord::from_u16(0x6901), StatusWord::CommandNotAccepted);
        assert_eq!(StatusWord::from_u16(0x1234), StatusWord::Unknown(0x1234));
        assert_eq!(
            StatusWord::Deny.to_string(),
            "6985 (rejected by the user on the device)"
        );
    }

    #[test]
    fn table_has_no_duplicates() {
        for (i, (word, code)) in TABLE.iter().enumerate() {
            for (other_word, other_code) in TABLE.iter().skip(i + 1) {
                assert_ne!(word, other_word);
                assert_ne!(code, other_code);
            }
        }
    }

    proptest! {
        #[test]
        fn every_value_round_trips(value: u16) {
            let word = StatusWord::from_u16(value);
            prop_assert_eq!(word.to_u16(), value);
            prop_assert!(!word.meaning().is_empty());
        }
    }
}
