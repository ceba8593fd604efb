//! The lines of a bundle file (versions 1 and 2), as serde types.
//!
//! A bundle is JSON Lines: one `header`, then one `entry` per reserve address, then one `footer`,
//! and in version 2 optionally one `seal`. Version 2 adds batch entries (`bip322-batch`, with
//! `batch` and `input`) and the seal; everything else is version 1 unchanged.
//! Every line is a JSON object whose `type` field says which of the three it is. Unknown fields,
//! repeated keys and `null` values are refused (see `reader::decode_line`, the only way lines
//! are read): a verifier must not silently ignore, or pick among, things a reader might take as
//! attested.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{Chain, Network, UnknownName};

/// The `format` value of a bundle header.
pub const BUNDLE_FORMAT: &str = "porsign-bundle";
/// The bundle format version this build writes.
pub const BUNDLE_VERSION: u32 = 2;
/// The versions this build reads: version 1 bundles keep verifying.
pub const SUPPORTED_VERSIONS: [u32; 2] = [1, 2];

/// The first line: what the bundle is and what every entry signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The full challenge message every entry signed.
    pub challenge: String,
    /// SHA-256 of `challenge`, lowercase hex; must match it.
    pub challenge_sha256: String,
    /// Who holds the reserves.
    pub custodian: String,
    /// RFC 3339, UTC. A header from the future is refused.
    pub created_at: String,
    /// The tool and version that wrote the bundle, e.g. `porsign 0.1.0`.
    pub tool: String,
}

/// One reserve address and the proof that its key signed the challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Position of the entry, from 0, in file order.
    pub index: u64,
    pub chain: Chain,
    /// `mainnet`, `testnet`, `signet` or `regtest` (Bitcoin); `mainnet` (Ethereum). An unknown
    /// name is kept as written: it fails this entry, not the file.
    pub network: Named<Network>,
    pub address: String,
    /// An unknown scheme is kept as written, so that it is reported as a failure of this entry
    /// rather than making the whole file unreadable.
    pub scheme: Named<Scheme>,
    /// One signature for single-key schemes; one per signing cosigner for multisig.
    pub signatures: Vec<String>,
    /// Public key (hex) the signature must come from, where the scheme checks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
    /// Redeem or witness script (hex) for multisig.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// An output descriptor with concrete keys that must produce `address`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<String>,
    /// BIP-32 derivation path of the key on the signer (informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Master key fingerprint of the signer, 8 hex digits (informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Amount held, a decimal string in the chain's main unit (BTC, ETH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Version 2, `bip322-batch` entries: the batch id (the txid of the batch `to_sign`, 64
    /// lowercase hex) this entry's input belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Version 2, `bip322-batch` entries: this entry's input in its batch (0, 1, ... in order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<u32>,
}

impl Entry {
    /// An entry with only the required fields; the optional ones are None.
    pub fn new(
        chain: Chain,
        network: Network,
        address: impl Into<String>,
        scheme: Scheme,
        signatures: Vec<String>,
    ) -> Self {
        Entry {
            index: 0,
            chain,
            network: Named::Known(network),
            address: address.into(),
            scheme: Named::Known(scheme),
            signatures,
            pubkey: None,
            script: None,
            descriptor: None,
            path: None,
            fingerprint: None,
            amount: None,
            batch: None,
            input: None,
        }
    }
}

/// The last line: lets a verifier detect truncation and dropped or edited entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Footer {
    /// How many entry lines precede the footer.
    pub entries: u64,
    /// SHA-256 over the exact bytes of every line before the footer (the header and every
    /// entry), each followed by `\n`, lowercase hex.
    pub sha256: String,
}

/// Version 2: the custodian's seal after the footer. A device signs `text` (BIP-137, shown on
/// screen by SIGN_MESSAGE), which names the footer's digest, the entry count and the
/// challenge, so that the bundle's unsigned claims (amounts, custodian) carry a key's word and
/// any edit after sealing fails. See `bundle::seal`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seal {
    /// Exactly `bundle::seal::seal_text(..)` of the sealed bundle.
    pub text: String,
    pub chain: Chain,
    pub network: Named<Network>,
    /// The sealing address: the key that vouches.
    pub address: String,
    /// BIP-32 path of the sealing key on the device (informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `bip137`.
    pub scheme: Named<Scheme>,
    /// BIP-137 signature of `text` (base64).
    pub signature: String,
}

/// Any line of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Header(Header),
    Entry(Entry),
    Footer(Footer),
    Seal(Seal),
}

/// A name read from a file: one this build knows, or the text as written. A bundle entry that
/// names a scheme or network this build does not know is a failure of that entry, reported with
/// its text, and must not make the whole file unreadable; the text also goes back out unchanged
/// (reports, merged bundles).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Named<T> {
    Known(T),
    Unknown(String),
}

impl<T: Copy> Named<T> {
    /// The known value, if the name is one.
    pub fn known(&self) -> Option<T> {
        match self {
            Named::Known(value) => Some(*value),
            Named::Unknown(_) => None,
        }
    }
}

impl<T> From<T> for Named<T> {
    fn from(value: T) -> Self {
        Named::Known(value)
    }
}

impl<T: PartialEq> PartialEq<T> for Named<T> {
    fn eq(&self, other: &T) -> bool {
        matches!(self, Named::Known(value) if value == other)
    }
}

impl<T: fmt::Display> fmt::Display for Named<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Named::Known(value) => value.fmt(f),
            Named::Unknown(text) => f.write_str(text),
        }
    }
}

impl<T: fmt::Display> Serialize for Named<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Named<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<T>(std::marker::PhantomData<T>);
        impl<T: FromStr> serde::de::Visitor<'_> for Text<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // What serde says for a `String` field: the messages stay those of the text
                // fields these once were.
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Named<T>, E> {
                Ok(text
                    .parse()
                    .map_or_else(|_| Named::Unknown(text.to_owned()), Named::Known))
            }
        }
        deserializer.deserialize_str(Text(std::marker::PhantomData))
    }
}

/// The signature schemes an entry may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// BIP-137 / `signmessage` with a single key (any single-key address type of the key).
    Bip137,
    /// BIP-322 simple, full, or legacy (for P2PKH).
    Bip322,
    /// m BIP-137 signatures from distinct keys of a multisig script.
    Bip137Multisig,
    /// EIP-191 `personal_sign` of the message.
    Eip191,
    /// `personal_sign` of keccak256(message), as OKX's EVM proofs do.
    Eip191Keccak,
    /// porsign's batch proof (bundle version 2): one input of a batch `to_sign` that proves
    /// every address of the batch at once (`scheme::bip322::batch`).
    Bip322Batch,
}

impl Scheme {
    pub const ALL: [Scheme; 6] = [
        Scheme::Bip137,
        Scheme::Bip322,
        Scheme::Bip137Multisig,
        Scheme::Eip191,
        Scheme::Eip191Keccak,
        Scheme::Bip322Batch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Bip137 => "bip137",
            Scheme::Bip322 => "bip322",
            Scheme::Bip137Multisig => "bip137-multisig",
            Scheme::Eip191 => "eip191",
            Scheme::Eip191Keccak => "eip191-keccak",
            Scheme::Bip322Batch => "bip322-batch",
        }
    }

    /// The chain a scheme's signatures belong to.
    pub fn chain(self) -> Chain {
        match self {
            Scheme::Bip137 | Scheme::Bip322 | Scheme::Bip137Multisig | Scheme::Bip322Batch => {
                Chain::Bitcoin
            }
            Scheme::Eip191 | Scheme::Eip191Keccak => Chain::Ethereum,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnknownName::find("scheme", &Scheme::ALL, Scheme::as_str, s)
    }
}

/// Serializes a line (with its `type` tag) to one JSON line without the trailing newline.
pub fn encode_line(line: &Line) -> String {
    let (kind, mut value) = match line {
        Line::Header(h) => ("header", serde_json::to_value(h)),
        Line::Entry(e) => ("entry", serde_json::to_value(e)),
        Line::Footer(f) => ("footer", serde_json::to_value(f)),
        Line::Seal(seal) => ("seal", serde_json::to_value(seal)),
    };
    let value = value
        .as_mut()
        .expect("bundle lines always serialize")
        .as_object_mut()
        .expect("bundle lines are JSON objects");
    // `type` goes first so a person reading the file sees what each line is.
    let mut ordered = serde_json::Map::new();
    ordered.insert("type".into(), serde_json::Value::String(kind.into()));
    ordered.extend(std::mem::take(value));
    serde_json::to_string(&serde_json::Value::Object(ordered)).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_names_have_one_spelling() {
        crate::model::assert_one_spelling(&Scheme::ALL);
    }

    #[test]
    fn an_unknown_name_is_kept_as_written() {
        let known: Named<Scheme> = serde_json::from_str("\"bip322\"").unwrap();
        assert_eq!(known, Named::Known(Scheme::Bip322));
        let unknown: Named<Scheme> = serde_json::from_str("\"bip\\u001b999\"").unwrap();
        assert_eq!(unknown, Named::Unknown("bip\u{1b}999".into()));
        assert_eq!(
            serde_json::to_string(&unknown).unwrap(),
            "\"bip\\u001b999\""
        );
        assert_eq!(unknown.to_string(), "bip\u{1b}999");
        let err = serde_json::from_str::<Named<Network>>("5").unwrap_err();
        assert_eq!(
            err.to_string(),
            serde_json::from_str::<String>("5").unwrap_err().to_string()
        );
    }
}
