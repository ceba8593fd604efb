//! Fault injection: the ways a device or its link misbehaves, on demand, so tests can check
//! what the host does about each.

use std::time::Duration;

/// Which faults to inject. All off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The N-th signature request (1-based, any app) is rejected as if by the user (6985).
    pub reject_nth_signature: Option<u32>,
    /// The device is locked: every APDU answers 5515.
    pub locked: bool,
    /// The other app is open (Ethereum instead of Bitcoin, Bitcoin instead of Ethereum).
    pub wrong_app: bool,
    /// After this many APDUs the device goes away: the link closes and stays closed.
    pub disconnect_after_apdus: Option<u32>,
    /// The N-th reply (1-based) is malformed: one stray byte before the status word.
    pub malformed_reply_nth: Option<u32>,
    /// Every reply is delayed by this long.
    pub slow_reply: Option<Duration>,
}

/// What the fault counters decide for one APDU.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Answer,
    Disconnect,
}

/// Counters behind the faults.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    apdus: u32,
    replies: u32,
    disconnected: bool,
}

impl FaultState {
    /// Called for each incoming APDU, before it is answered.
    pub(crate) fn on_apdu(&mut self, faults: &Faults) -> Verdict {
        if self.disconnected {
            return Verdict::Disconnect;
        }
        if faults
            .disconnect_after_apdus
            .is_some_and(|limit| self.apdus >= limit)
        {
            self.disconnected = true;
            return Verdict::Disconnect;
        }
        self.apdus = self.apdus.saturating_add(1);
        Verdict::Answer
    }

    /// Called with each reply (`data || SW`) before it leaves; corrupts the chosen one.
    pub(crate) fn on_reply(&mut self, faults: &Faults, mut reply: Vec<u8>) -> Vec<u8> {
        self.replies = self.replies.saturating_add(1);
        if faults.malformed_reply_nth == Some(self.replies) {
            // A byte the request never calls for: every decoder of the host rejects the
            // answer, and the TCP framing stays valid.
            let at = reply.len().saturating_sub(2);
            reply.insert(at, 0xff);
        }
        reply
    }

    /// Whether the device went away.
    pub(crate) fn is_disconnected(&self) -> bool {
        self.disconnected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnects_after_n_and_stays_away() {
        let faults = Faults {
            disconnect_after_apdus: Some(2),
            ..Faults::default()
        };
        let mut state = FaultState::default();
        assert_eq!(state.on_apdu(&faults), Verdict::Answer);
        assert_eq!(state.on_apdu(&faults), Verdict::Answer);
        assert_eq!(state.on_apdu(&faults), Verdict::Disconnect);
        assert_eq!(state.on_apdu(&Faults::default()), Verdict::Disconnect);
    }

    #[test]
    fn corrupts_only_the_nth_reply() {
        let faults = Faults {
            malformed_reply_nth: Some(2),
            ..Faults::default()
        };
        let mut state = FaultState::default();
        assert_eq!(state.on_reply(&faults, vec![1, 0x90, 0]), [1, 0x90, 0]);
        assert_eq!(
            state.on_reply(&faults, vec![1, 0x90, 0]),
            [1, 0xff, 0x90, 0]
        );
        assert_eq!(state.on_reply(&faults, vec![0x90, 0]), [0x90, 0]);
    }
}
