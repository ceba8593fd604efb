//! Which keys the Ledger apps let porsign use, by address type and derivation path.
//!
//! A row the app cannot sign used to fail on the device, deep inside a command (a taproot key on
//! a non-BIP-86 path answers 6A80 inside SIGN_PSBT), after other rows had already been signed.
//! These are the apps' own rules (Bitcoin 2.4.6, Ethereum 1.22.0), so every such row is refused
//! when the list is checked, naming the row and the rule:
//!
//! - every key: at most 10 derivation steps (both apps' `MAX_BIP32_PATH_STEPS`);
//! - every Bitcoin key porsign signs with (single-key rows, and a device's own cosigner keys):
//!   porsign reads the key with GET_EXTENDED_PUBKEY without showing it, to check that it
//!   produces the listed address, and the app allows that only on standard paths
//!   (`is_path_safe_for_pubkey_export`): `m/44'|45'|49'|84'|86'/coin'/account'/…` or
//!   `m/48'/coin'/account'/1'|2'/…`, coin 0' for mainnet rows and 1' for the others (the app's
//!   derivation restriction, the same for SIGN_MESSAGE), account at most 100', every step after
//!   the hardened ones unhardened;
//! - P2TR: proven with BIP-322 through SIGN_PSBT and the app's default `tr(@0/**)` policy, which
//!   signs only the BIP-86 shape `m/86'/coin'/account'/change/index`, change 0 or 1;
//! - P2PKH, P2SH-P2WPKH, P2WPKH: SIGN_MESSAGE signs on any of the paths above (the BIP-137
//!   verifier accepts the key's signature for each of its single-key address types);
//! - P2WSH and other script addresses have no single key: they need their descriptor;
//! - Ethereum: the app derives only under `m/44'/60'`, `m/45'` and `m/12381/3600`.

use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::AddressType;

use crate::model::Network;

const HARDENED: u32 = 0x8000_0000;
pub use crate::app::MAX_PATH_STEPS;
/// The highest account the Bitcoin app treats as standard (`MAX_BIP44_ACCOUNT_RECOMMENDED`).
pub const MAX_STANDARD_ACCOUNT: u32 = 100;

/// Why the app cannot sign with the key of a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathRule {
    #[error("{path} has {steps} steps; the Ledger apps take at most {MAX_PATH_STEPS}")]
    TooLong { path: String, steps: usize },
    #[error("{path}: the Bitcoin app reads a key without showing it only on a standard path (m/44'|45'|49'|84'|86'/{coin}'/account'/… or m/48'/{coin}'/account'/1'|2'/…, account at most {MAX_STANDARD_ACCOUNT}', unhardened steps after those), and porsign needs the key to check the listed address")]
    NotStandard { path: String, coin: u32 },
    #[error("{path}: a P2TR address is proven through the app's default taproot policy tr(@0/**), which signs only on BIP-86 paths m/86'/{coin}'/account'/change/index with change 0 or 1")]
    NotBip86 { path: String, coin: u32 },
    #[error("a {kind} address is not a single key: list it with its descriptor, not a path")]
    NotSingleKey { kind: String },
    #[error(
        "{path}: the Ethereum app derives keys only under m/44'/60'/…, m/45'/… and m/12381/3600/…"
    )]
    NotEthereum { path: String },
}

fn shown(path: &DerivationPath) -> String {
    format!("m/{path}")
}

fn steps(path: &DerivationPath) -> Vec<u32> {
    path.into_iter().map(|c| u32::from(*c)).collect()
}

fn check_depth(path: &DerivationPath) -> Result<(), PathRule> {
    let n = path.len();
    if n > MAX_PATH_STEPS {
        return Err(PathRule::TooLong {
            path: shown(path),
            steps: n,
        });
    }
    Ok(())
}

/// The BIP-44 coin type the Bitcoin app for `network` derives under: 0' in "Bitcoin", 1' in
/// "Bitcoin Test" (testnet, signet, regtest).
pub fn coin_type(network: Network) -> u32 {
    match network {
        Network::Mainnet => 0,
        _ => 1,
    }
}

/// Whether the Bitcoin app exports the key at `path` without showing it (its
/// `is_path_safe_for_pubkey_export`). The emulator models the same rule on its own side
/// (`emulator::bitcoin::chain`) on purpose: if the two shared code, a mistake in the rule would
/// agree with itself and every end-to-end test would pass.
fn exportable(path: &[u32], coin: u32) -> bool {
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
    let step = |i: usize| path.get(i).map_or(0, |s| s & !HARDENED);
    step(1) == coin
        && step(2) <= MAX_STANDARD_ACCOUNT
        && (purpose != 48 || matches!(step(3), 1 | 2))
}

/// A Bitcoin key porsign reads (GET_EXTENDED_PUBKEY, no display) and signs with: single-key
/// rows and a device's own cosigner keys.
pub fn check_bitcoin_key(path: &DerivationPath, network: Network) -> Result<(), PathRule> {
    check_depth(path)?;
    let coin = coin_type(network);
    if !exportable(&steps(path), coin) {
        return Err(PathRule::NotStandard {
            path: shown(path),
            coin,
        });
    }
    Ok(())
}

/// A single-key Bitcoin row: the address type decides how the app signs, and so which paths.
pub fn check_bitcoin_single_key(
    address_type: Option<AddressType>,
    path: &DerivationPath,
    network: Network,
) -> Result<(), PathRule> {
    match address_type {
        Some(AddressType::P2pkh | AddressType::P2sh | AddressType::P2wpkh) => {
            check_bitcoin_key(path, network)
        }
        Some(AddressType::P2tr) => {
            check_bitcoin_key(path, network)?;
            let coin = coin_type(network);
            let bip86 = matches!(
                path.as_ref(),
                [
                    ChildNumber::Hardened { index: 86 },
                    ChildNumber::Hardened { index: c },
                    ChildNumber::Hardened { .. },
                    ChildNumber::Normal { index: 0 | 1 },
                    ChildNumber::Normal { .. },
                ] if *c == coin
            );
            if bip86 {
                Ok(())
            } else {
                Err(PathRule::NotBip86 {
                    path: shown(path),
                    coin,
                })
            }
        }
        other => Err(PathRule::NotSingleKey {
            kind: other.map_or_else(|| "witness program".to_owned(), |t| t.to_string()),
        }),
    }
}

/// An Ethereum row's path.
pub fn check_ethereum(path: &DerivationPath) -> Result<(), PathRule> {
    check_depth(path)?;
    let s = steps(path);
    let allowed = s.starts_with(&[HARDENED | 44, HARDENED | 60])
        || s.starts_with(&[HARDENED | 45])
        || s.starts_with(&[12381, 3600]);
    if allowed {
        Ok(())
    } else {
        Err(PathRule::NotEthereum { path: shown(path) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> DerivationPath {
        text.parse().expect("a valid path literal")
    }

    #[test]
    fn taproot_needs_the_bip86_shape() {
        let main = Network::Mainnet;
        let tr = Some(AddressType::P2tr);
        assert!(check_bitcoin_single_key(tr, &p("m/86'/0'/0'/0/5"), main).is_ok());
        assert!(check_bitcoin_single_key(tr, &p("m/86'/0'/100'/1/5"), main).is_ok());
        for bad in [
            "m/86'/0'/0'/2/0",
            "m/86'/0'/0'/0",
            "m/86'/0'/0'/0/0/0",
            "m/84'/0'/0'/0/0",
            "m/86'/1'/0'/0/0",
            "m/86'/0'/101'/0/0",
        ] {
            assert!(
                check_bitcoin_single_key(tr, &p(bad), main).is_err(),
                "{bad}"
            );
        }
        let test = Network::Signet;
        assert!(check_bitcoin_single_key(tr, &p("m/86'/1'/0'/0/0"), test).is_ok());
    }

    #[test]
    fn message_signing_needs_an_exportable_path() {
        let main = Network::Mainnet;
        let wpkh = Some(AddressType::P2wpkh);
        for good in [
            "m/84'/0'/0'/0/0",
            "m/44'/0'/3'/7/9/11",
            "m/48'/0'/0'/2'/0/0",
            "m/45'/0'/0'/0/0",
            "m/84'/0'/0'/2/60000",
        ] {
            assert!(
                check_bitcoin_single_key(wpkh, &p(good), main).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "m/84'/60'/0'/0/0",
            "m/0'/1",
            "m/84'/0'/0'/0'/0",
            "m/48'/0'/0'/3'/0/0",
            "m/84'/0'/101'/0/0",
            "m/84'/0'",
            "m/84'/0'/0'/0/0/0/0/0/0/0/0",
        ] {
            assert!(
                check_bitcoin_single_key(wpkh, &p(bad), main).is_err(),
                "{bad}"
            );
        }
        assert!(
            check_bitcoin_single_key(Some(AddressType::P2wsh), &p("m/84'/0'/0'/0/0"), main)
                .is_err()
        );
    }

    #[test]
    fn ethereum_prefixes() {
        assert!(check_ethereum(&p("m/44'/60'/0'/0/0")).is_ok());
        assert!(check_ethereum(&p("m/45'/1")).is_ok());
        assert!(check_ethereum(&p("m/44'/0'/0'/0/0")).is_err());
    }
}
