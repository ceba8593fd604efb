//! Multisig rows: the descriptor as the Bitcoin app's wallet policy, built with miniscript (the
//! key-origin list and the `@i/**` template), its registration and address check on the device,
//! and this device's cosigner signatures, each re-checked with the verifier's own rule.
//!
//! A descriptor that cannot become a wallet policy the app registers is an error when the list
//! is checked, never a reason to sign without the device deriving the address.

use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::secp256k1::SECP256K1;
use bitcoin::NetworkKind;
use firmware_msgs::btc::{KeyInfo, WalletPolicy};
use miniscript::descriptor::{Descriptor, DescriptorPublicKey, Wildcard};
use miniscript::{translate_hash_fail, ForEachKey, TranslatePk, Translator};

use crate::model::Network;
use crate::scheme::multisig::{parse_script, MultisigScript};

/// The name under which porsign registers a multisig policy (shown on the device).
pub const POLICY_NAME: &str = "porsign reserves";
/// Most keys in a policy the Bitcoin app registers.
pub const MAX_POLICY_KEYS: usize = 15;
/// Longest descriptor template the app reads (`MAX_DESCRIPTOR_TEMPLATE_LENGTH`).
pub const MAX_TEMPLATE_LEN: usize = 512;

/// Why a multisig descriptor cannot be registered on the device as a wallet policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("{0}")]
    Descriptor(String),
    #[error("has a wildcard; a reserves row needs one address")]
    Wildcard,
    #[error("is not a multisig (multi or sortedmulti inside sh, wsh or sh(wsh))")]
    NotMultisig,
    #[error("key {key} is not an extended key with its origin ([fingerprint/path]xpub/<change>/<index>): the Bitcoin app registers only such keys")]
    KeyForm { key: String },
    #[error("key {key} must end in /<change>/<index> with change 0 or 1 and no wildcard, as the app's @i/** placeholders derive it")]
    KeySuffix { key: String },
    #[error("keys derive at different positions ({first} and {other}); one wallet policy derives every key at the same change and index")]
    MixedSuffix { first: String, other: String },
    #[error("key {key} is for another network than the row's ({expected} keys needed)")]
    KeyNetwork { key: String, expected: &'static str },
    #[error("key {key} appears twice")]
    RepeatedKey { key: String },
    #[error("has {keys} keys; the Bitcoin app registers at most {MAX_POLICY_KEYS}")]
    TooManyKeys { keys: usize },
    #[error("its wallet policy template is {len} characters; the Bitcoin app reads at most {MAX_TEMPLATE_LEN}")]
    TemplateTooLong { len: usize },
    #[error("wallet policy: {0}")]
    Policy(String),
}

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
    /// What REGISTER_WALLET receives.
    pub policy: WalletPolicy,
    /// The address's position in the policy.
    pub change: bool,
    pub index: u32,
    /// The witness or redeem script, parsed by the verifier's parser.
    pub script: MultisigScript,
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

/// Translates each key to its `@i/**` placeholder.
struct Placeholders<'a>(&'a [DescriptorPublicKey]);

impl Translator<DescriptorPublicKey, String, PolicyError> for Placeholders<'_> {
    fn pk(&mut self, pk: &DescriptorPublicKey) -> Result<String, PolicyError> {
        let i = self
            .0
            .iter()
            .position(|k| k == pk)
            .ok_or_else(|| PolicyError::Policy(format!("key {pk} not in the key list")))?;
        Ok(format!("@{i}/**"))
    }

    translate_hash_fail!(DescriptorPublicKey, String, PolicyError);
}

/// The change and index of a key's `/<change>/<index>` suffix.
fn suffix(key: &DescriptorPublicKey) -> Result<(bool, u32), PolicyError> {
    let DescriptorPublicKey::XPub(x) = key else {
        return Err(PolicyError::KeyForm {
            key: key.to_string(),
        });
    };
    if x.origin.is_none() {
        return Err(PolicyError::KeyForm {
            key: key.to_string(),
        });
    }
    let bad = || PolicyError::KeySuffix {
        key: key.to_string(),
    };
    if x.wildcard != Wildcard::None {
        return Err(bad());
    }
    match x.derivation_path.as_ref() {
        [ChildNumber::Normal {
            index: change @ (0 | 1),
        }, ChildNumber::Normal { index }] => Ok((*change == 1, *index)),
        _ => Err(bad()),
    }
}

/// Builds the wallet policy of a concrete multisig descriptor such as
/// `wsh(sortedmulti(2,[f5acc2fd/48'/0'/0'/2']xpub.../0/5,...))`: the keys in order of first
/// appearance as `[fingerprint/origin]xpub`, the template with `@i/**` in their place
/// (`wsh(sortedmulti(2,@0/**,@1/**,@2/**))`), and the change and index they all derive at.
pub fn parse_multisig(text: &str, network: Network) -> Result<MultisigRow, PolicyError> {
    let parsed = Descriptor::<DescriptorPublicKey>::from_str(text)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    if parsed.has_wildcard() {
        return Err(PolicyError::Wildcard);
    }
    if !matches!(parsed, Descriptor::Sh(_) | Descriptor::Wsh(_)) {
        return Err(PolicyError::NotMultisig);
    }
    let mut listed: Vec<&DescriptorPublicKey> = Vec::new();
    parsed.for_each_key(|k| {
        listed.push(k);
        true
    });
    let mut keys: Vec<DescriptorPublicKey> = Vec::with_capacity(listed.len());
    for key in listed {
        if keys.contains(key) {
            return Err(PolicyError::RepeatedKey {
                key: key.to_string(),
            });
        }
        keys.push(key.clone());
    }
    if keys.len() > MAX_POLICY_KEYS {
        return Err(PolicyError::TooManyKeys { keys: keys.len() });
    }
    let want_kind = match network {
        Network::Mainnet => NetworkKind::Main,
        _ => NetworkKind::Test,
    };
    let mut position: Option<((bool, u32), String)> = None;
    let mut infos = Vec::with_capacity(keys.len());
    for key in &keys {
        let at = suffix(key)?;
        match &position {
            None => position = Some((at, key.to_string())),
            Some((first_at, first)) if *first_at != at => {
                return Err(PolicyError::MixedSuffix {
                    first: first.clone(),
                    other: key.to_string(),
                })
            }
            Some(_) => {}
        }
        let DescriptorPublicKey::XPub(x) = key else {
            return Err(PolicyError::KeyForm {
                key: key.to_string(),
            });
        };
        if x.xkey.network != want_kind {
            return Err(PolicyError::KeyNetwork {
                key: key.to_string(),
                expected: if want_kind == NetworkKind::Main {
                    "xpub"
                } else {
                    "tpub"
                },
            });
        }
        let (fingerprint, origin) = x.origin.as_ref().ok_or_else(|| PolicyError::KeyForm {
            key: key.to_string(),
        })?;
        let steps: Vec<u32> = origin.into_iter().map(|c| u32::from(*c)).collect();
        let origin = firmware_msgs::Bip32Path::from_steps(&steps)
            .map_err(|e| PolicyError::Policy(format!("key {key}: {e}")))?;
        infos.push(KeyInfo::new(
            fingerprint.to_bytes(),
            origin,
            x.xkey.to_string(),
        ));
    }
    let ((change, index), _) = position.ok_or(PolicyError::NotMultisig)?;

    let template = parsed
        .translate_pk(&mut Placeholders(&keys))
        .map_err(|e| match e {
            miniscript::TranslateErr::TranslatorErr(e) => e,
            miniscript::TranslateErr::OuterError(e) => PolicyError::Policy(e.to_string()),
        })?;
    // `{:#}` leaves out the checksum: the app's templates have none.
    let template = format!("{template:#}");
    if template.len() > MAX_TEMPLATE_LEN {
        return Err(PolicyError::TemplateTooLong {
            len: template.len(),
        });
    }

    // The script the verifier will check: it must be a standard multisig, or no signature
    // this row gets can ever verify.
    let definite = parsed
        .at_derivation_index(0)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    let derived = definite
        .derived_descriptor(SECP256K1)
        .map_err(|e| PolicyError::Descriptor(e.to_string()))?;
    let script = derived
        .explicit_script()
        .map_err(|_| PolicyError::NotMultisig)?;
    let script = parse_script(&script).map_err(|_| PolicyError::NotMultisig)?;

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
    let policy = WalletPolicy::new(POLICY_NAME, template, infos)
        .map_err(|e| PolicyError::Policy(e.to_string()))?;
    Ok(MultisigRow {
        policy,
        change,
        index,
        script,
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
        assert_eq!(
            row.policy.descriptor_template(),
            "sh(wsh(multi(1,@0/**,@1/**)))"
        );
        assert_eq!(row.policy.key_strings(), [A, B]);
        assert_eq!((row.change, row.index), (true, 7));
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
