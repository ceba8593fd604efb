//! What differs between the "Bitcoin" and "Bitcoin Test" apps: names, coin type, key and
//! address versions, and which derivation paths the OS lets each one use.

use bitcoin::NetworkKind;

const HARDENED: u32 = 0x8000_0000;

/// The highest account the app treats as standard (`MAX_BIP44_ACCOUNT_RECOMMENDED`).
pub(crate) const MAX_STANDARD_ACCOUNT: u32 = 100;

/// Mainnet or testnet flavour of the Bitcoin app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    Main,
    Test,
}

impl Chain {
    /// The app name GET_APP_AND_VERSION reports.
    pub(crate) fn app_name(self) -> &'static str {
        match self {
            Chain::Main => "Bitcoin",
            Chain::Test => "Bitcoin Test",
        }
    }

    /// BIP-44 coin type: 0 on mainnet, 1 for every test network.
    pub(crate) fn coin_type(self) -> u32 {
        match self {
            Chain::Main => 0,
            Chain::Test => 1,
        }
    }

    /// Version bytes of extended keys (xpub or tpub).
    pub(crate) fn network_kind(self) -> NetworkKind {
        match self {
            Chain::Main => NetworkKind::Main,
            Chain::Test => NetworkKind::Test,
        }
    }

    /// The network addresses are encoded for (`tb1…` for the test app).
    pub(crate) fn network(self) -> bitcoin::Network {
        match self {
            Chain::Main => bitcoin::Network::Bitcoin,
            Chain::Test => bitcoin::Network::Testnet,
        }
    }

    /// The ticker in amounts shown on screen.
    pub(crate) fn ticker(self) -> &'static str {
        match self {
            Chain::Main => "BTC",
            Chain::Test => "TEST",
        }
    }

    /// Whether the OS lets this app derive keys at `path`. Since app 2.4.3 the mainnet app may
    /// use `*/0'/…`, `4541509'/…` (Electrum) and `45'/…`; the test app `*/1'/…` and the same
    /// two others. Anything else is refused (the device answers 6A82 or B007 depending on the
    /// command).
    pub(crate) fn may_derive(self, path: &[u32]) -> bool {
        let coin = path.get(1) == Some(&(HARDENED | self.coin_type()));
        let first = path.first().copied();
        coin || first == Some(HARDENED | 4_541_509) || first == Some(HARDENED | 45)
    }

    /// The app's `is_path_safe_for_pubkey_export`: paths whose xpub it exports without showing
    /// it (BIP-44/45/48/49/84/86 accounts of this coin, the Electrum encryption path).
    ///
    /// The host checks the same rule before it signs (`sign::paths`); this copy is the device's
    /// and stays separate on purpose: an emulator that shared the host's code would agree with a
    /// mistake in it, and every end-to-end test would pass.
    pub(crate) fn safe_for_pubkey_export(self, path: &[u32]) -> bool {
        if path == [HARDENED | 4_541_509, HARDENED | 1_112_098_098] {
            return true;
        }
        let Some(purpose) = path.first().map(|p| p & !HARDENED) else {
            return false;
        };
        let hardened_len = match purpose {
            44 | 45 | 49 | 84 | 86 => 3,
            48 => 4,
            _ => return false,
        };
        if path.len() < hardened_len {
            return false;
        }
        let (hardened, rest) = path.split_at(hardened_len);
        if !hardened.iter().all(|s| s & HARDENED != 0) || rest.iter().any(|s| s & HARDENED != 0) {
            return false;
        }
        let unhardened = |i: usize| path.get(i).map_or(0, |s| s & !HARDENED);
        if unhardened(1) != self.coin_type() || unhardened(2) > MAX_STANDARD_ACCOUNT {
            return false;
        }
        purpose != 48 || matches!(unhardened(3), 1 | 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u32 = HARDENED;

    #[test]
    fn mainnet_paths() {
        assert!(Chain::Main.may_derive(&[H | 84, H, H, 0, 0]));
        assert!(!Chain::Main.may_derive(&[H | 44, H | 60, H, 0, 0]));
        assert!(Chain::Main.may_derive(&[H | 45, 7]));
        assert!(!Chain::Test.may_derive(&[H | 84, H, H]));
        assert!(Chain::Main.safe_for_pubkey_export(&[H | 48, H, H, H | 2]));
        assert!(Chain::Main.safe_for_pubkey_export(&[H | 84, H, H, 0, 0]));
        assert!(!Chain::Main.safe_for_pubkey_export(&[H | 84, H, H, H]));
        assert!(!Chain::Main.safe_for_pubkey_export(&[H | 84, H | 1, H]));
    }
}
