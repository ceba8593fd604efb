//! Wallet policies (BIP-388 style, version 2) as the Bitcoin app serializes them.
//!
//! A policy is a name, a descriptor template with key placeholders (`wsh(sortedmulti(2,@0/**,
//! @1/**,@2/**))`) and the key information strings (`[f5acc2fd/48'/0'/0'/2']xpub…`). The device
//! only receives a commitment to it, the serialization:
//!
//! ```text
//! 02 ‖ u8 name_len ‖ name ‖ varint len(template) ‖ SHA256(template) ‖ varint n_keys ‖ merkle_root(keys)
//! ```
//!
//! and fetches the template (by hash) and the keys (by Merkle proof) through client commands. The
//! wallet id is `SHA256(serialization)`.

use core::fmt;
use core::str::FromStr;

use crate::error::DecodeError;
use crate::merkle::{self, Hash, MerkleTree};
use crate::path::Bip32Path;
use crate::reader::{ascii, Reader};
use crate::varint;

/// The policy serialization version this crate speaks (the app's `WALLET_POLICY_VERSION_V2`).
pub const POLICY_VERSION_V2: u8 = 0x02;
/// The app's limit on a registered policy's name.
pub const MAX_NAME_LEN: usize = 64;

/// Errors building a policy or a key information string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The name is longer than [`MAX_NAME_LEN`] or not printable ASCII.
    #[error("policy name must be at most {MAX_NAME_LEN} printable ascii characters")]
    InvalidName,
    /// The descriptor template is empty or not printable ASCII.
    #[error("descriptor template must be non-empty printable ascii")]
    InvalidTemplate,
    /// No keys.
    #[error("a policy needs at least one key")]
    NoKeys,
    /// A key information string is malformed.
    #[error("invalid key information {text:?}")]
    InvalidKey {
        /// The offending text.
        text: String,
    },
    /// A multisig threshold outside `1..=n`.
    #[error("threshold {threshold} outside 1..={keys}")]
    InvalidThreshold {
        /// The threshold.
        threshold: usize,
        /// The number of keys.
        keys: usize,
    },
}

/// A key's origin: the master fingerprint and derivation path it was exported from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyOrigin {
    /// Master key fingerprint.
    pub fingerprint: [u8; 4],
    /// Path from the master key.
    pub path: Bip32Path,
}

/// A key information string: `[fingerprint/path]xpub`, or a bare `xpub`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyInfo {
    /// Where the key comes from; required for keys the device should sign with.
    pub origin: Option<KeyOrigin>,
    /// The base58 extended public key.
    pub xpub: String,
}

impl KeyInfo {
    /// A key with origin, e.g. an account xpub from GET_EXTENDED_PUBKEY.
    pub fn new(fingerprint: [u8; 4], path: Bip32Path, xpub: impl Into<String>) -> Self {
        Self {
            origin: Some(KeyOrigin { fingerprint, path }),
            xpub: xpub.into(),
        }
    }
}

impl fmt::Display for KeyInfo {
    /// The exact string the device hashes: `[f5acc2fd/84'/0'/0']xpub…` (`'` for hardened).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            f.write_str("[")?;
            for b in origin.fingerprint {
                write!(f, "{b:02x}")?;
            }
            if origin.path.depth() > 0 {
                write!(f, "/{}", origin.path.to_unprefixed_string())?;
            }
            f.write_str("]")?;
        }
        f.write_str(&self.xpub)
    }
}

impl FromStr for KeyInfo {
    type Err = PolicyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || PolicyError::InvalidKey {
            text: text.to_owned(),
        };
        let (origin, xpub) = match text.strip_prefix('[') {
            None => (None, text),
            Some(rest) => {
                let (origin, xpub) = rest.split_once(']').ok_or_else(invalid)?;
                let (fpr, path) = origin.split_once('/').unwrap_or((origin, ""));
                if fpr.len() != 8 || !fpr.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid());
                }
                let mut fingerprint = [0u8; 4];
                for (i, byte) in fingerprint.iter_mut().enumerate() {
                    let digits = fpr.get(2 * i..2 * i + 2).ok_or_else(invalid)?;
                    *byte = u8::from_str_radix(digits, 16).map_err(|_| invalid())?;
                }
                let path = if path.is_empty() {
                    Bip32Path::master()
                } else {
                    path.parse().map_err(|_| invalid())?
                };
                (Some(KeyOrigin { fingerprint, path }), xpub)
            }
        };
        if xpub.is_empty() || !xpub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        Ok(Self {
            origin,
            xpub: xpub.to_owned(),
        })
    }
}

/// The four single-key policies the app accepts without registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SingleKeyPolicy {
    /// `pkh(@0/**)`: legacy P2PKH (BIP-44 paths).
    Pkh,
    /// `sh(wpkh(@0/**))`: nested segwit (BIP-49 paths).
    ShWpkh,
    /// `wpkh(@0/**)`: native segwit (BIP-84 paths).
    Wpkh,
    /// `tr(@0/**)`: taproot key path (BIP-86 paths).
    Tr,
}

impl SingleKeyPolicy {
    /// The descriptor template.
    pub fn template(self) -> &'static str {
        match self {
            Self::Pkh => "pkh(@0/**)",
            Self::ShWpkh => "sh(wpkh(@0/**))",
            Self::Wpkh => "wpkh(@0/**)",
            Self::Tr => "tr(@0/**)",
        }
    }

    /// The BIP-44/49/84/86 purpose whose accounts this policy is standard for.
    pub fn purpose(self) -> u32 {
        match self {
            Self::Pkh => 44,
            Self::ShWpkh => 49,
            Self::Wpkh => 84,
            Self::Tr => 86,
        }
    }
}

/// A wallet policy, host side: everything needed to answer the device's questions about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletPolicy {
    name: String,
    descriptor_template: String,
    keys: Vec<KeyInfo>,
}

impl WalletPolicy {
    /// Builds a policy; the name is empty for default policies, at most 64 characters otherwise.
    pub fn new(
        name: impl Into<String>,
        descriptor_template: impl Into<String>,
        keys: Vec<KeyInfo>,
    ) -> Result<Self, PolicyError> {
        let name = name.into();
        let descriptor_template = descriptor_template.into();
        if name.len() > MAX_NAME_LEN || !is_printable(&name) {
            return Err(PolicyError::InvalidName);
        }
        if descriptor_template.is_empty() || !is_printable(&descriptor_template) {
            return Err(PolicyError::InvalidTemplate);
        }
        if keys.is_empty() {
            return Err(PolicyError::NoKeys);
        }
        Ok(Self {
            name,
            descriptor_template,
            keys,
        })
    }

    /// A default single-key policy (no registration, empty name).
    pub fn single_key(kind: SingleKeyPolicy, key: KeyInfo) -> Self {
        Self {
            name: String::new(),
            descriptor_template: kind.template().to_owned(),
            keys: vec![key],
        }
    }

    /// `wsh(sortedmulti(threshold,@0/**,…))`, the usual registered multisig.
    pub fn wsh_sortedmulti(
        name: impl Into<String>,
        threshold: usize,
        keys: Vec<KeyInfo>,
    ) -> Result<Self, PolicyError> {
        if threshold == 0 || threshold > keys.len() {
            return Err(PolicyError::InvalidThreshold {
                threshold,
                keys: keys.len(),
            });
        }
        let placeholders: Vec<String> = (0..keys.len()).map(|i| format!("@{i}/**")).collect();
        let template = format!("wsh(sortedmulti({threshold},{}))", placeholders.join(","));
        Self::new(name, template, keys)
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The descriptor template.
    pub fn descriptor_template(&self) -> &str {
        &self.descriptor_template
    }

    /// The keys.
    pub fn keys(&self) -> &[KeyInfo] {
        &self.keys
    }

    /// The key information strings, as the device fetches them.
    pub fn key_strings(&self) -> Vec<String> {
        self.keys.iter().map(ToString::to_string).collect()
    }

    /// The commitment the device receives.
    pub fn header(&self) -> WalletPolicyHeader {
        let keys = MerkleTree::from_elements(&self.key_strings());
        WalletPolicyHeader {
            name: self.name.clone(),
            descriptor_template_len: self.descriptor_template.len() as u64,
            descriptor_template_hash: merkle::sha256(self.descriptor_template.as_bytes()),
            n_keys: self.keys.len() as u64,
            keys_root: keys.root(),
        }
    }

    /// The serialization (see the module docs).
    pub fn serialize(&self) -> Vec<u8> {
        self.header().encode()
    }

    /// The wallet id: `SHA256(serialization)`.
    pub fn id(&self) -> Hash {
        self.header().id()
    }
}

fn is_printable(text: &str) -> bool {
    text.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The wallet policy serialization (version 2): what REGISTER_WALLET carries and what the
/// device gets back from GET_PREIMAGE(wallet_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletPolicyHeader {
    /// The policy name (empty for default policies).
    pub name: String,
    /// Length of the descriptor template.
    pub descriptor_template_len: u64,
    /// `SHA256` of the descriptor template.
    pub descriptor_template_hash: Hash,
    /// Number of keys.
    pub n_keys: u64,
    /// Merkle root of the key information strings.
    pub keys_root: Hash,
}

impl WalletPolicyHeader {
    /// The serialization. A name over 255 bytes is cut (`WalletPolicy` keeps it at most 64).
    pub fn encode(&self) -> Vec<u8> {
        let name = self.name.as_bytes();
        let name = name.get(..255).unwrap_or(name);
        let mut out = vec![
            POLICY_VERSION_V2,
            u8::try_from(name.len()).unwrap_or(u8::MAX),
        ];
        out.extend_from_slice(name);
        varint::encode_into(self.descriptor_template_len, &mut out);
        out.extend_from_slice(&self.descriptor_template_hash);
        varint::encode_into(self.n_keys, &mut out);
        out.extend_from_slice(&self.keys_root);
        out
    }

    /// Parses a serialization (version 2 only).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("policy version")?;
        if version != POLICY_VERSION_V2 {
            return Err(DecodeError::InvalidValue {
                what: "policy version",
                value: u64::from(version),
            });
        }
        let name_len = usize::from(r.u8("policy name length")?);
        if name_len > MAX_NAME_LEN {
            return Err(DecodeError::InvalidValue {
                what: "policy name length",
                value: name_len as u64,
            });
        }
        let header = Self {
            name: ascii(r.take(name_len, "policy name")?, "policy name")?,
            descriptor_template_len: r.varint("descriptor template length")?,
            descriptor_template_hash: r.array("descriptor template hash")?,
            n_keys: r.varint("key count")?,
            keys_root: r.array("keys merkle root")?,
        };
        r.finish("policy serialization")?;
        Ok(header)
    }

    /// The wallet id: `SHA256(serialization)`.
    pub fn id(&self) -> Hash {
        merkle::sha256(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XPUB_84: &str = "xpub6DUYn4moKgHkK2d7bXX3mHTPb6XQwRVFRMdZ6ZwLS5u3nonGVpJiFeZiQkHutwdFqxKP75jex8gvVm7ed4euYeDtMnoiF1Cz1z4CeBJYWin";

    #[test]
    fn default_wpkh_policy_matches_recorded_id() {
        let key = KeyInfo::new(
            [0xf5, 0xac, 0xc2, 0xfd],
            "m/84'/0'/0'".parse().expect("path"),
            XPUB_84,
        );
        assert_eq!(key.to_string(), format!("[f5acc2fd/84'/0'/0']{XPUB_84}"));
        assert_eq!(key.to_string().parse::<KeyInfo>(), Ok(key.clone()));
        let policy = WalletPolicy::single_key(SingleKeyPolicy::Wpkh, key);
        // btc-address-wpkh-0-0: the serialization and id the app fetched.
        assert_eq!(
            hex::encode(policy.serialize()),
            "02000bc8974a0d8bdd29024b2ddb7a7fe8df1d9801b270f4e6c1e7e1011ae39e7c9b000110b32f6ffd5395dbc24e14682b4950483e3724c648c59536baea49f28b29fc88"
        );
        assert_eq!(
            hex::encode(policy.id()),
            "c8e10f12e4083c029b1229f9c34256b910f592d0709e84a40d7ffbfc4673e8e8"
        );
        assert_eq!(
            WalletPolicyHeader::decode(&policy.serialize()),
            Ok(policy.header())
        );
    }

    #[test]
    fn invalid_inputs() {
        assert!("[f5acc2f/84']xpub".parse::<KeyInfo>().is_err());
        assert!("[f5acc2fd/84'xpub".parse::<KeyInfo>().is_err());
        assert!("[f5acc2fd/84']".parse::<KeyInfo>().is_err());
        assert!("[f5acc2fd]xpubABC".parse::<KeyInfo>().is_ok());
        assert_eq!(
            WalletPolicy::new("x".repeat(65), "pkh(@0/**)", vec![]),
            Err(PolicyError::InvalidName)
        );
        assert_eq!(
            WalletPolicy::wsh_sortedmulti("m", 3, vec![]),
            Err(PolicyError::InvalidThreshold {
                threshold: 3,
                keys: 0
            })
        );
        assert!(WalletPolicyHeader::decode(&[0x01, 0x00]).is_err());
    }
}
