//! Wallet policies on the device side: the descriptor templates the emulator understands, the
//! key information strings, and the scripts they derive, fetching each key from the host in
//! the same order as the app (the order shows in the transcripts, byte for byte).
//!
//! Supported templates: the single-key ones (`pkh`, `wpkh`, `sh(wpkh)`, `tr` without a script
//! tree), `tr` with one `pk()` leaf, and `multi`/`sortedmulti` under `sh`, `wsh` or `sh(wsh)`.
//! Miniscript, larger tap trees and MuSig2 key expressions are answered with 6A82 (not
//! supported).

use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, Xpub};
use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::{PublicKey, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TapNodeHash};
use bitcoin::{PubkeyHash, ScriptBuf, WPubkeyHash};
use firmware_msgs::btc::wallet_policy::{KeyInfo, WalletPolicyHeader};
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use super::chain::{Chain, MAX_STANDARD_ACCOUNT};
use crate::emulator::keys::SoftwareSigner;
use crate::emulator::session::Host;

const HARDENED: u32 = 0x8000_0000;
/// Longest key information string the app reads (`MAX_POLICY_KEY_INFO_LEN`).
pub(crate) const MAX_KEY_INFO_LEN: usize = 46 + 112 + 3;
/// Longest descriptor template (`MAX_DESCRIPTOR_TEMPLATE_LENGTH`).
pub(crate) const MAX_TEMPLATE_LEN: usize = 512;
/// Longest policy serialization (`MAX_WALLET_POLICY_SERIALIZED_LENGTH`).
pub(crate) const MAX_SERIALIZED_POLICY_LEN: usize = 1 + 1 + 64 + 9 + 32 + 9 + 32;
/// Most keys in a registered policy.
pub(crate) const MAX_KEYS: u64 = 15;

/// `@i/**` or `@i/<a;b>/*`: a key index and the two child numbers of the change level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyExpr {
    pub(crate) index: u32,
    pub(crate) receive: u32,
    pub(crate) change: u32,
}

/// How a multisig script is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrap {
    Sh,
    Wsh,
    ShWsh,
}

/// A parsed descriptor template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Template {
    Pkh(KeyExpr),
    Wpkh(KeyExpr),
    ShWpkh(KeyExpr),
    Tr(KeyExpr),
    /// `tr(internal,pk(leaf))`: a taproot key with one script leaf, `<leaf key> OP_CHECKSIG`.
    TrPkLeaf {
        internal: KeyExpr,
        leaf: KeyExpr,
    },
    Multi {
        wrap: Wrap,
        sorted: bool,
        threshold: u32,
        keys: Vec<KeyExpr>,
    },
}

/// Why a template was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// Not a valid template (6A80).
    Invalid,
    /// Valid perhaps, but beyond what the emulator implements (6A82).
    Unsupported,
}

impl TemplateError {
    pub(crate) fn status_word(self) -> StatusWord {
        match self {
            TemplateError::Invalid => StatusWord::IncorrectData,
            TemplateError::Unsupported => StatusWord::NotSupported,
        }
    }
}

impl Template {
    /// Parses a descriptor template.
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        let inner = |s: &str, prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
                .map(str::to_owned)
        };
        if let Some(arg) = inner(text, "sh(wpkh(") {
            let arg = arg.strip_suffix(')').ok_or(TemplateError::Invalid)?;
            return Ok(Template::ShWpkh(parse_key_expr(arg)?));
        }
        if let Some(arg) = inner(text, "sh(wsh(") {
            let arg = arg.strip_suffix(')').ok_or(TemplateError::Invalid)?;
            return parse_multi(arg, Wrap::ShWsh);
        }
        if let Some(arg) = inner(text, "pkh(") {
            return Ok(Template::Pkh(parse_key_expr(&arg)?));
        }
        if let Some(arg) = inner(text, "wpkh(") {
            return Ok(Template::Wpkh(parse_key_expr(&arg)?));
        }
        if let Some(arg) = inner(text, "tr(") {
            if let Some((internal, tree)) = arg.split_once(',') {
                // One `pk()` leaf is the only script tree implemented.
                let leaf = tree
                    .strip_prefix("pk(")
                    .and_then(|t| t.strip_suffix(')'))
                    .ok_or(TemplateError::Unsupported)?;
                return Ok(Template::TrPkLeaf {
                    internal: parse_key_expr(internal)?,
                    leaf: parse_key_expr(leaf)?,
                });
            }
            return Ok(Template::Tr(parse_key_expr(&arg)?));
        }
        if let Some(arg) = inner(text, "wsh(") {
            return parse_multi(&arg, Wrap::Wsh);
        }
        if let Some(arg) = inner(text, "sh(") {
            return parse_multi(&arg, Wrap::Sh);
        }
        if text.is_ascii() && text.contains('(') {
            return Err(TemplateError::Unsupported);
        }
        Err(TemplateError::Invalid)
    }

    /// The key expressions, in template order.
    pub(crate) fn key_exprs(&self) -> Vec<KeyExpr> {
        match self {
            Template::Pkh(k) | Template::Wpkh(k) | Template::ShWpkh(k) | Template::Tr(k) => {
                vec![*k]
            }
            // The app numbers the internal key first, then the tree's keys.
            Template::TrPkLeaf { internal, leaf } => vec![*internal, *leaf],
            Template::Multi { keys, .. } => keys.clone(),
        }
    }

    /// How many keys the template refers to (highest index + 1).
    pub(crate) fn key_count(&self) -> u64 {
        self.key_exprs()
            .iter()
            .map(|k| u64::from(k.index) + 1)
            .max()
            .unwrap_or(0)
    }

    /// Segwit version of the scripts: `None` for legacy ones.
    pub(crate) fn segwit_version(&self) -> Option<u8> {
        match self {
            Template::Pkh(_) | Template::Multi { wrap: Wrap::Sh, .. } => None,
            Template::Tr(_) | Template::TrPkLeaf { .. } => Some(1),
            _ => Some(0),
        }
    }

    /// The BIP-44 purpose if this is one of the default single-key templates.
    pub(crate) fn standard_purpose(&self) -> Option<u32> {
        let (purpose, key) = match self {
            Template::Pkh(k) => (44, k),
            Template::Wpkh(k) => (84, k),
            Template::ShWpkh(k) => (49, k),
            Template::Tr(k) => (86, k),
            Template::Multi { .. } | Template::TrPkLeaf { .. } => return None,
        };
        (key.index == 0 && key.receive == 0 && key.change == 1).then_some(purpose)
    }

    /// Whether two key expressions use the same key with overlapping derivations (BIP-388
    /// forbids it).
    pub(crate) fn has_repeated_derivations(&self) -> bool {
        let keys = self.key_exprs();
        keys.iter().enumerate().any(|(i, a)| {
            keys.iter().skip(i + 1).any(|b| {
                a.index == b.index
                    && (a.receive == b.receive
                        || a.receive == b.change
                        || a.change == b.receive
                        || a.change == b.change)
            })
        })
    }
}

fn parse_multi(text: &str, wrap: Wrap) -> Result<Template, TemplateError> {
    let (sorted, args) = if let Some(args) = text.strip_prefix("sortedmulti(") {
        (true, args)
    } else if let Some(args) = text.strip_prefix("multi(") {
        (false, args)
    } else {
        return Err(TemplateError::Unsupported);
    };
    let args = args.strip_suffix(')').ok_or(TemplateError::Invalid)?;
    let mut parts = args.split(',');
    let threshold: u32 = parts
        .next()
        .and_then(|k| k.parse().ok())
        .ok_or(TemplateError::Invalid)?;
    let keys = parts.map(parse_key_expr).collect::<Result<Vec<_>, _>>()?;
    let n = u32::try_from(keys.len()).map_err(|_| TemplateError::Invalid)?;
    if threshold == 0 || threshold > n || n > 16 {
        return Err(TemplateError::Invalid);
    }
    Ok(Template::Multi {
        wrap,
        sorted,
        threshold,
        keys,
    })
}

fn parse_key_expr(text: &str) -> Result<KeyExpr, TemplateError> {
    let rest = text.strip_prefix('@').ok_or(TemplateError::Invalid)?;
    let (index, derivation) = rest.split_once('/').ok_or(TemplateError::Invalid)?;
    let index: u32 = index.parse().map_err(|_| TemplateError::Invalid)?;
    let (receive, change) = if derivation == "**" {
        (0, 1)
    } else {
        let pair = derivation
            .strip_prefix('<')
            .and_then(|d| d.strip_suffix(">/*"))
            .ok_or(TemplateError::Invalid)?;
        let (a, b) = pair.split_once(';').ok_or(TemplateError::Invalid)?;
        let a: u32 = a.parse().map_err(|_| TemplateError::Invalid)?;
        let b: u32 = b.parse().map_err(|_| TemplateError::Invalid)?;
        if a >= HARDENED || b >= HARDENED || a == b {
            return Err(TemplateError::Invalid);
        }
        (a, b)
    };
    Ok(KeyExpr {
        index,
        receive,
        change,
    })
}

/// A key information string, parsed: its origin and its extended public key.
#[derive(Clone, Debug)]
pub(crate) struct ParsedKey {
    pub(crate) text: String,
    pub(crate) origin: Option<([u8; 4], Vec<u32>)>,
    pub(crate) xpub: Xpub,
}

impl ParsedKey {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, StatusWord> {
        let text = std::str::from_utf8(bytes).map_err(|_| StatusWord::IncorrectData)?;
        let info = KeyInfo::from_str(text).map_err(|_| StatusWord::IncorrectData)?;
        let xpub = Xpub::from_str(&info.xpub).map_err(|_| StatusWord::IncorrectData)?;
        Ok(ParsedKey {
            text: text.to_owned(),
            origin: info
                .origin
                .map(|o| (o.fingerprint, o.path.steps().to_vec())),
            xpub,
        })
    }

    /// Whether this is one of the device's keys: the origin names our fingerprint and the
    /// xpub is the one we derive there. `None` when the OS refuses the origin's path.
    pub(crate) fn is_ours(&self, signer: &SoftwareSigner, chain: Chain) -> Option<bool> {
        let Some((fingerprint, path)) = &self.origin else {
            return Some(false);
        };
        if *fingerprint != signer.fingerprint().to_bytes() {
            return Some(false);
        }
        if !chain.may_derive(path) {
            return None;
        }
        let ours = xpub_at(signer, path, chain)?;
        Some(ours.encode() == self.xpub.encode())
    }
}

/// Our extended public key at `path`, with the app's version bytes.
pub(crate) fn xpub_at(signer: &SoftwareSigner, path: &[u32], chain: Chain) -> Option<Xpub> {
    let path: bitcoin::bip32::DerivationPath = path
        .iter()
        .map(|s| ChildNumber::from(*s))
        .collect::<Vec<_>>()
        .into();
    signer.xpub(&path, chain.network_kind()).ok()
}

/// The keys of a policy as the device reaches them: through the host, by Merkle proof.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyList {
    pub(crate) root: Hash,
    pub(crate) count: u64,
}

impl KeyList {
    pub(crate) fn of(header: &WalletPolicyHeader) -> Self {
        KeyList {
            root: header.keys_root,
            count: header.n_keys,
        }
    }

    /// Fetches and parses key `index`.
    pub(crate) async fn fetch(&self, host: &Host, index: u32) -> Result<ParsedKey, StatusWord> {
        let bytes = host
            .element(self.root, self.count, u64::from(index), MAX_KEY_INFO_LEN)
            .await?;
        ParsedKey::parse(&bytes)
    }

    /// The public key of `expr` at `/<change or receive>/<index>` (one fetch).
    async fn derived(
        &self,
        host: &Host,
        expr: &KeyExpr,
        is_change: bool,
        index: u32,
    ) -> Result<PublicKey, StatusWord> {
        let key = self.fetch(host, expr.index).await?;
        let step = if is_change { expr.change } else { expr.receive };
        let secp = Secp256k1::verification_only();
        let child = key
            .xpub
            .ckd_pub(&secp, ChildNumber::Normal { index: step })
            .and_then(|x| x.ckd_pub(&secp, ChildNumber::Normal { index }))
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok(child.public_key)
    }

    /// The scriptPubKey of `template` at `/<change>/<index>`.
    pub(crate) async fn script(
        &self,
        host: &Host,
        template: &Template,
        is_change: bool,
        index: u32,
    ) -> Result<ScriptBuf, StatusWord> {
        if index >= HARDENED {
            return Err(StatusWord::IncorrectData);
        }
        let secp = Secp256k1::verification_only();
        Ok(match template {
            Template::Pkh(k) => {
                let key = self.derived(host, k, is_change, index).await?;
                ScriptBuf::new_p2pkh(&PubkeyHash::from(bitcoin::PublicKey::new(key)))
            }
            Template::Wpkh(k) => {
                let key = self.derived(host, k, is_change, index).await?;
                ScriptBuf::new_p2wpkh(&wpkh(&key))
            }
            Template::ShWpkh(k) => {
                let key = self.derived(host, k, is_change, index).await?;
                ScriptBuf::new_p2sh(&ScriptBuf::new_p2wpkh(&wpkh(&key)).script_hash())
            }
            Template::Tr(k) => {
                let key = self.derived(host, k, is_change, index).await?;
                ScriptBuf::new_p2tr(&secp, XOnlyPublicKey::from(key), None)
            }
            Template::TrPkLeaf { internal, leaf } => {
                // As the app: the internal key first, then the tree's hash.
                let key = self.derived(host, internal, is_change, index).await?;
                let root = self.tap_tree_root(host, leaf, is_change, index).await?;
                ScriptBuf::new_p2tr(&secp, XOnlyPublicKey::from(key), Some(root))
            }
            Template::Multi {
                wrap,
                sorted,
                threshold,
                keys,
            } => {
                let pubkeys = self
                    .multisig_keys(host, keys, *sorted, is_change, index)
                    .await?;
                let redeem = multisig_script(*threshold, &pubkeys);
                match wrap {
                    Wrap::Sh => ScriptBuf::new_p2sh(&redeem.script_hash()),
                    Wrap::Wsh => ScriptBuf::new_p2wsh(&redeem.wscript_hash()),
                    Wrap::ShWsh => {
                        let inner = ScriptBuf::new_p2wsh(&redeem.wscript_hash());
                        ScriptBuf::new_p2sh(&inner.script_hash())
                    }
                }
            }
        })
    }

    /// The Merkle root of a one-leaf tree `pk(leaf)` (the leaf's hash). The app builds the
    /// leaf script twice, once for its length (the hash's size prefix) and once to hash it, so
    /// the key is fetched twice.
    pub(crate) async fn tap_tree_root(
        &self,
        host: &Host,
        leaf: &KeyExpr,
        is_change: bool,
        index: u32,
    ) -> Result<TapNodeHash, StatusWord> {
        Ok(TapNodeHash::from(
            self.tap_leaf_hash(host, leaf, is_change, index).await?,
        ))
    }

    /// The hash of the leaf `pk(leaf)`, its key fetched twice (see [`Self::tap_tree_root`]).
    pub(crate) async fn tap_leaf_hash(
        &self,
        host: &Host,
        leaf: &KeyExpr,
        is_change: bool,
        index: u32,
    ) -> Result<TapLeafHash, StatusWord> {
        self.derived(host, leaf, is_change, index).await?;
        let key = self.derived(host, leaf, is_change, index).await?;
        Ok(pk_leaf_hash(&key))
    }

    /// The multisig keys in script order. For `sortedmulti` the app keeps no list in memory:
    /// for each position it derives every key not yet used and takes the smallest, so the host
    /// sees n + (n-1) + … + 1 fetches in that order.
    async fn multisig_keys(
        &self,
        host: &Host,
        keys: &[KeyExpr],
        sorted: bool,
        is_change: bool,
        index: u32,
    ) -> Result<Vec<PublicKey>, StatusWord> {
        let mut out = Vec::with_capacity(keys.len());
        if !sorted {
            for k in keys {
                out.push(self.derived(host, k, is_change, index).await?);
            }
            return Ok(out);
        }
        let mut used = vec![false; keys.len()];
        for _ in 0..keys.len() {
            let mut smallest: Option<(usize, PublicKey)> = None;
            for (j, k) in keys.iter().enumerate() {
                if used.get(j).copied().unwrap_or(true) {
                    continue;
                }
                let key = self.derived(host, k, is_change, index).await?;
                let smaller = match &smallest {
                    None => true,
                    Some((_, best)) => best.serialize() > key.serialize(),
                };
                if smaller {
                    smallest = Some((j, key));
                }
            }
            let (j, key) = smallest.ok_or(StatusWord::BadState)?;
            if let Some(flag) = used.get_mut(j) {
                *flag = true;
            }
            out.push(key);
        }
        Ok(out)
    }

    /// The app's `is_wallet_policy_standard`: a default template over one key of ours at a
    /// standard account path of this coin.
    pub(crate) async fn is_standard(
        &self,
        host: &Host,
        template: &Template,
        signer: &SoftwareSigner,
        chain: Chain,
    ) -> Result<bool, StatusWord> {
        let Some(purpose) = template.standard_purpose() else {
            return Ok(false);
        };
        if self.count != 1 {
            return Ok(false);
        }
        let key = self.fetch(host, 0).await?;
        if key.is_ours(signer, chain) != Some(true) {
            return Ok(false);
        }
        let Some((_, path)) = &key.origin else {
            return Ok(false);
        };
        Ok(matches!(path.as_slice(),
            [p, c, a] if *p == HARDENED | purpose
                && *c == HARDENED | chain.coin_type()
                && *a >= HARDENED
                && *a <= HARDENED | MAX_STANDARD_ACCOUNT))
    }
}

/// The tapleaf hash of `<x-only key> OP_CHECKSIG` (leaf version 0xc0).
pub(crate) fn pk_leaf_hash(key: &PublicKey) -> TapLeafHash {
    TapLeafHash::from_script(&pk_leaf_script(key), LeafVersion::TapScript)
}

/// `<x-only key> OP_CHECKSIG`.
pub(crate) fn pk_leaf_script(key: &PublicKey) -> ScriptBuf {
    bitcoin::script::Builder::new()
        .push_x_only_key(&XOnlyPublicKey::from(*key))
        .push_opcode(bitcoin::opcodes::all::OP_CHECKSIG)
        .into_script()
}

fn wpkh(key: &PublicKey) -> WPubkeyHash {
    bitcoin::CompressedPublicKey(*key).wpubkey_hash()
}

/// `OP_k <key>… OP_n OP_CHECKMULTISIG`.
fn multisig_script(threshold: u32, keys: &[PublicKey]) -> ScriptBuf {
    use bitcoin::opcodes::all::OP_CHECKMULTISIG;
    let mut builder = bitcoin::script::Builder::new().push_int(i64::from(threshold));
    for key in keys {
        builder = builder.push_slice(key.serialize());
    }
    builder
        .push_int(i64::try_from(keys.len()).unwrap_or(0))
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

/// The address of a script on the app's network, as the app prints it.
pub(crate) fn address(script: &ScriptBuf, chain: Chain) -> Result<String, StatusWord> {
    bitcoin::Address::from_script(script, chain.network())
        .map(|a| a.to_string())
        .map_err(|_| StatusWord::BadState)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let k = |index| KeyExpr {
            index,
            receive: 0,
            change: 1,
        };
        assert_eq!(Template::parse("wpkh(@0/**)"), Ok(Template::Wpkh(k(0))));
        assert_eq!(
            Template::parse("sh(wpkh(@0/**))"),
            Ok(Template::ShWpkh(k(0)))
        );
        assert_eq!(
            Template::parse("wsh(sortedmulti(2,@0/**,@1/**,@2/**))"),
            Ok(Template::Multi {
                wrap: Wrap::Wsh,
                sorted: true,
                threshold: 2,
                keys: vec![k(0), k(1), k(2)]
            })
        );
        assert_eq!(
            Template::parse("tr(@0/<2;3>/*)"),
            Ok(Template::Tr(KeyExpr {
                index: 0,
                receive: 2,
                change: 3
            }))
        );
        assert_eq!(
            Template::parse("wsh(and_v(v:pk(@0/**),older(10)))"),
            Err(TemplateError::Unsupported)
        );
        assert_eq!(Template::parse("wpkh(@0)"), Err(TemplateError::Invalid));
        assert_eq!(
            Template::parse("wpkh(@0/**)").map(|t| t.standard_purpose()),
            Ok(Some(84))
        );
    }
}
