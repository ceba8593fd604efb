//! Sealing a finished bundle: the custodian's device signs, with SIGN_MESSAGE (so its screen
//! shows the text), a line naming the bundle's digest, entry count and challenge
//! (`bundle::seal`). The signature is checked on the host before the seal is written.

use std::path::Path;

use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::{Address, CompressedPublicKey};

use super::outcome::b64;
use super::{Session, SignError};
use crate::app::{btc, DeviceError};
use crate::bundle::seal::{append_seal, seal_target};
use crate::bundle::{Scheme, Seal};
use crate::model::{Chain, Network};
use crate::scheme;

/// Seals the finished bundle at `bundle` with the key at `path` on the device of `session` (a
/// Bitcoin app): BIP-44, BIP-49 or BIP-84 paths, whose addresses BIP-137 proves. Returns the
/// seal written.
pub fn seal_bundle(
    session: &mut Session<'_>,
    path: &DerivationPath,
    bundle: &Path,
) -> Result<Seal, SignError> {
    let target = seal_target(bundle)?;
    let Session::Bitcoin {
        transport, testnet, ..
    } = session
    else {
        return Err(SignError::Seal(
            "a seal is signed by the Bitcoin app; the Ethereum app is open".into(),
        ));
    };
    let network = if *testnet {
        Network::Testnet
    } else {
        Network::Mainnet
    };
    let net = network.to_bitcoin();
    let purpose = match path.into_iter().next() {
        Some(ChildNumber::Hardened { index }) => *index,
        _ => 0,
    };
    let device_err = |source: DeviceError| SignError::Device {
        address: format!("seal key m/{path}"),
        source,
    };
    let xpub = btc::xpub(&mut **transport, path, false).map_err(device_err)?;
    let key = CompressedPublicKey(xpub.public_key);
    let address = match purpose {
        44 => Address::p2pkh(key, net),
        49 => Address::p2shwpkh(&key, net),
        84 => Address::p2wpkh(&key, net),
        _ => {
            return Err(SignError::Seal(format!(
                "the seal key's path m/{path} is not a BIP-44, BIP-49 or BIP-84 path (a seal is a BIP-137 signature)"
            )))
        }
    };
    let signature =
        btc::sign_message(&mut **transport, path, target.text.as_bytes()).map_err(device_err)?;
    let signature = b64(&signature);
    // The seal's own check, before it is written.
    let matched =
        scheme::bip137::verify(target.text.as_bytes(), &address, &signature).map_err(|e| {
            SignError::HostVerify {
                address: address.to_string(),
                reason: e.to_string(),
            }
        })?;
    if matched.pubkey.inner != key.0 {
        return Err(SignError::HostVerify {
            address: address.to_string(),
            reason: "the seal was signed by another key than the one at the path".into(),
        });
    }
    let seal = Seal {
        text: target.text,
        chain: Chain::Bitcoin,
        network: network.into(),
        address: address.to_string(),
        path: Some(format!("m/{path}")),
        scheme: Scheme::Bip137.into(),
        signature,
    };
    append_seal(bundle, &seal)?;
    Ok(seal)
}
