//! Multisig rows: the descriptor as the wallet policy the Bitcoin app registers (made by
//! [`crate::app::btc::register`]), the script the verifier will check, and the cosigner keys a
//! device signs with.
//!
//! A descriptor that cannot become a wallet policy the app registers is an error when the list
//! is checked, never a reason to sign without the device deriving the address.

use std::str::FromStr;

use bitcoin::bip32::DerivationPath;
use bitcoin::secp256k1::SECP256K1;
use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
use miniscript::ForEachKey;

use crate::app::btc::{MultisigPolicy, PolicyError};
use crate::model::Network;
use crate::scheme::multisig::{parse_script, MultisigScript};

/// One of the multisig's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignerKey {
    pub fingerprint: [u8; 4],
    /// Origin path plus `/<change>/<index>`: where the device signs.
    pub path: DerivationPath,
    pub pubkey: bitcoin::PublicKey,
}

/// A multisig row ready for the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigRow {
    /// What REGISTER_WALLET receives, and the address's position in it.
    pub policy: MultisigPolicy,
    /// The witness or redeem script, parsed by the verifier's parser.
    pub script: MultisigScript,
    /// The same script's bytes, as the descriptor makes them.
    pub script_bytes: bitcoin::ScriptBuf,
    /// Every key, in policy order.
    pub keys: Vec<CosignerKey>,
}

impl MultisigRow {
    /// The keys a device with this master fingerprint holds (one seed can hold several).
    pub fn keys_of(&self, fingerprint: [u8; 4]) -> Vec<&CosignerKey> {
        self.keys
            .iter()
            .filter(|k| k.fingerprint == fingerprint)
            .collect()
    }
}

/// Reads a concrete multisig descriptor such as
/// `wsh(sortedmulti(2,[f5acc2fd/48'/0'/0'/2']xpub.../0/5,...))`: its wallet policy
/// (`wsh(sortedmulti(2,@0/**,@1/**,@2/**))` with the keys' origins, at change 0, index 5), its
/// script, and its keys with the full paths at which the devices sign.
pub fn parse_multisig(text: &str, network: Network) -> Result<MultisigRow, PolicyError> {
    let parsed = Descriptor::<DescriptorPublicKey>::from_str(text)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    let policy = MultisigPolicy::from_descriptor(&parsed, network)?;

    // The script the verifier will check: it must be a standard multisig, or no signature
    // this row gets can ever verify.
    let definite = parsed
        .at_derivation_index(0)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    let derived = definite
        .derived_descriptor(SECP256K1)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    let script_bytes = derived
        .explicit_script()
        .map_err(|_| PolicyError::NotMultisig)?;
    let script = parse_script(&script_bytes).map_err(|_| PolicyError::NotMultisig)?;

    // In order of first appearance, as the policy lists them (it refused a repeated key).
    let mut keys = Vec::new();
    parsed.for_each_key(|k| {
        keys.push(k.clone());
        true
    });
    let mut cosigners = Vec::with_capacity(keys.len());
    for key in &keys {
        let concrete = key
            .clone()
            .at_derivation_index(0)
            .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
        let pubkey = concrete
            .derive_public_key(SECP256K1)
            .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
        let path = concrete
            .full_derivation_path()
            .ok_or(PolicyError::KeyForm {
                key: key.to_string(),
            })?;
        cosigners.push(CosignerKey {
            fingerprint: concrete.master_fingerprint().to_bytes(),
            path,
            pubkey,
        });
    }
    // The address the descriptor makes is checked against the listed one elsewhere; make sure
    // it has one on this network at all.
    derived
        .address(network.to_bitcoin())
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    Ok(MultisigRow {
        policy,
        script,
        script_bytes,
        keys: cosigners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two accounts of the Speculos test seed (fixtures/speculos/btc-register-wsh-sortedmulti-2of3).
    const A: &str = "[f5acc2fd/48'/0'/0'/2']xpub6Dg9Y1YV8vKUJaBjWVXyNYcwEbj9cMu6SmnANQaKKPeP2qJoj7YLwc9f6BAhcRsWMU6EmgFRPqWA6imwftveyAYX3CwDBv99BjwgHTAPKbS";
    const B: &str = "[f5acc2fd/48'/0'/1'/2']xpub6E2V4zYqGQkphQCFk95ofV1frxpmR82K9hybgqobB9Dk7UvrLSoZVsgs9Dj52MkbwZ8V2QUEZPQtU5rhMNQ55voV76VhsYSEDUzj71RED8u";

    fn two(a: &str, b: &str) -> String {
        format!("wsh(sortedmulti(1,{a},{b}))")
    }

    #[test]
    fn the_descriptor_becomes_the_apps_wallet_policy() {
        let d = format!("sh(wsh(multi(1,{A}/1/7,{B}/1/7)))");
        let row = parse_multisig(&d, Network::Mainnet).unwrap();
        assert_eq!(row.policy.template(), "sh(wsh(multi(1,@0/**,@1/**)))");
        assert_eq!(row.policy.keys(), [A, B]);
        assert_eq!((row.policy.change, row.policy.index), (true, 7));
        assert_eq!(row.script.threshold, 1);
        assert_eq!(row.keys_of([0xf5, 0xac, 0xc2, 0xfd]).len(), 2);
        assert_eq!(
            row.keys.get(1).map(|k| k.path.to_string()).as_deref(),
            Some("48'/0'/1'/2'/1/7"),
            "the device signs at origin + change + index"
        );
    }

    #[test]
    fn descriptors_the_app_cannot_register_are_errors() {
        let cases = [
            (
                two(&format!("{A}/0/7"), &format!("{B}/1/7")),
                "different positions",
            ),
            (
                two(&format!("{A}/2/7"), &format!("{B}/2/7")),
                "change 0 or 1",
            ),
            (
                two(&format!("{A}/0/7/1"), &format!("{B}/0/7/1")),
                "change 0 or 1",
            ),
            (two(&format!("{A}/0/*"), &format!("{B}/0/*")), "wildcard"),
            (format!("wsh(pk({A}/0/0))"), "not a multisig"),
            (format!("wpkh({A}/0/0)"), "not a multisig"),
            (
                two(
                    &format!("{A}/0/7"),
                    "034251358da206b3d549f5c538a7bc466427ee81099aa8b40dd0f5d4bfac5f5f15",
                ),
                "extended key with its origin",
            ),
        ];
        for (descriptor, want) in cases {
            let err = parse_multisig(&descriptor, Network::Mainnet)
                .expect_err(&descriptor)
                .to_string();
            assert!(err.contains(want), "{descriptor}: {err}");
        }
        let err = parse_multisig(
            &two(&format!("{A}/0/7"), &format!("{B}/0/7")),
            Network::Testnet,
        )
        .unwrap_err();
        assert!(matches!(err, PolicyError::KeyNetwork { .. }), "{err}");
    }
}
