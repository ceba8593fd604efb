//! Multisig wallet policies: a descriptor becomes the policy the Bitcoin app registers
//! (REGISTER_WALLET; the operator approves it on the device), built with miniscript (the
//! key-origin list and the `@i/**` template), and the app then derives the multisig's address
//! from the registered policy.
//!
//! A descriptor that cannot become a policy the app registers is an error when the policy is
//! made, before any device is asked.

use bitcoin::bip32::ChildNumber;
use bitcoin::NetworkKind;
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{KeyInfo, WalletPolicy};
use miniscript::descriptor::{Descriptor, DescriptorPublicKey, Wildcard};
use miniscript::{translate_hash_fail, ForEachKey, TranslatePk, Translator};

use crate::app::{run_exchange, DeviceError};
use crate::device::Transport;
use crate::model::Network;

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

/// The wallet policy of an `sh`/`wsh` descriptor with concrete keys, as the app registers it,
/// and the position (change, index) at which every key derives the descriptor's address. That
/// the script is a standard multisig is the caller's to check, with the verifier's parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigPolicy {
    policy: WalletPolicy,
    /// The address's position in the policy: `/<change>/<index>` of every key.
    pub change: bool,
    pub index: u32,
}

/// The app's identity of a registered policy and the HMAC that every later use presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    /// SHA-256 of the policy's serialization: it must be the id of the policy sent.
    pub wallet_id: [u8; 32],
    pub hmac: [u8; 32],
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

impl MultisigPolicy {
    /// The policy of a concrete descriptor such as
    /// `wsh(sortedmulti(2,[f5acc2fd/48'/0'/0'/2']xpub.../0/5,...))`: the keys in order of first
    /// appearance as `[fingerprint/origin]xpub`, the template with `@i/**` in their place
    /// (`wsh(sortedmulti(2,@0/**,@1/**,@2/**))`), and the change and index they all derive at.
    pub fn from_descriptor(
        parsed: &Descriptor<DescriptorPublicKey>,
        network: Network,
    ) -> Result<Self, PolicyError> {
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
            let origin = super::bip32_path(origin)
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
        let policy = WalletPolicy::new(POLICY_NAME, template, infos)
            .map_err(|e| PolicyError::Policy(e.to_string()))?;
        Ok(MultisigPolicy {
            policy,
            change,
            index,
        })
    }

    /// The policy's id: what REGISTER_WALLET answers for it.
    /// The policy as SIGN_PSBT receives it.
    pub(crate) fn wallet_policy(&self) -> &WalletPolicy {
        &self.policy
    }

    pub fn id(&self) -> [u8; 32] {
        self.policy.id()
    }

    /// The descriptor template, e.g. `wsh(sortedmulti(2,@0/**,@1/**))`.
    pub fn template(&self) -> &str {
        self.policy.descriptor_template()
    }

    /// The keys as the app reads them, `[fingerprint/origin]xpub`, in placeholder order.
    pub fn keys(&self) -> Vec<String> {
        self.policy.key_strings()
    }
}

/// REGISTER_WALLET: the operator reviews the policy on the device and approves it; the app
/// answers the policy id and its HMAC.
pub fn register_multisig(
    transport: &mut dyn Transport,
    policy: &MultisigPolicy,
) -> Result<Registration, DeviceError> {
    let exchange =
        ops::register_wallet(&policy.policy).map_err(|e| DeviceError::Protocol(e.to_string()))?;
    let registered = run_exchange(transport, exchange)?;
    Ok(Registration {
        wallet_id: registered.wallet_id,
        hmac: registered.hmac,
    })
}

/// GET_WALLET_ADDRESS for a registered policy (with its HMAC), at the policy's position: the
/// multisig address the app derives.
pub fn multisig_address(
    transport: &mut dyn Transport,
    policy: &MultisigPolicy,
    hmac: &[u8; 32],
) -> Result<String, DeviceError> {
    let exchange = ops::get_wallet_address(
        &policy.policy,
        Some(hmac),
        policy.change,
        policy.index,
        false,
    )
    .map_err(|e| DeviceError::Protocol(e.to_string()))?;
    Ok(run_exchange(transport, exchange)?.0)
}
