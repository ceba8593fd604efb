//! The scripts a wallet policy derives at `/<change>/<index>`, each key fetched from the host
//! when the app's script builder (`get_wallet_script` in `src/handler/lib/policy.c`) reaches
//! it: once per appearance, in the order the script bytes are emitted; `sortedmulti` and
//! `sortedmulti_a` by repeated smallest-key searches; a tap leaf built twice (once for its
//! length, once to hash it); the taproot internal key before the tree, the tree left to right.

use std::collections::HashMap;

use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::{PublicKey, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TapNodeHash};
use bitcoin::{PubkeyHash, ScriptBuf, WPubkeyHash};
use firmware_msgs::StatusWord;

use super::keys::KeyList;
use super::miniscript_template::PolicyMs;
use super::tap_tree::{TapLeaf, TapTree};
use super::template::{KeyExpr, Template, Wrap, HARDENED};
use crate::emulator::bitcoin::chain::Chain;
use crate::emulator::session::Host;

impl KeyList {
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
            Template::TrTree { internal, tree } => {
                // As the app: the internal key first, then the tree's hash.
                let key = self.derived(host, internal, is_change, index).await?;
                let root = self.tap_tree_root(host, tree, is_change, index).await?;
                ScriptBuf::new_p2tr(&secp, XOnlyPublicKey::from(key), Some(root))
            }
            Template::Multi {
                wrap,
                sorted,
                threshold,
                keys,
            } => {
                let pubkeys = self
                    .multisig_keys(host, keys, *sorted, is_change, index, compressed)
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
            Template::WshMiniscript(ms) => {
                let keys = self.miniscript_keys(host, ms, is_change, index).await?;
                let witness_script = ms.encode(&keys).ok_or(StatusWord::BadState)?;
                ScriptBuf::new_p2wsh(&witness_script.wscript_hash())
            }
        })
    }

    /// The Merkle root of a script tree (BIP-341's `taproot_tree_helper`): a leaf's hash, or
    /// the combined hashes of the two branches, left first.
    pub(crate) async fn tap_tree_root(
        &self,
        host: &Host,
        tree: &TapTree,
        is_change: bool,
        index: u32,
    ) -> Result<TapNodeHash, StatusWord> {
        // Iterative post-order walk: an async fn cannot recurse without boxing.
        enum Step<'t> {
            Visit(&'t TapTree),
            Combine,
        }
        let mut todo = vec![Step::Visit(tree)];
        let mut hashes: Vec<TapNodeHash> = Vec::new();
        while let Some(step) = todo.pop() {
            match step {
                Step::Visit(TapTree::Leaf(leaf)) => {
                    let hash = self.tap_leaf_hash(host, leaf, is_change, index).await?;
                    hashes.push(TapNodeHash::from(hash));
                }
                Step::Visit(TapTree::Branch(left, right)) => {
                    todo.push(Step::Combine);
                    todo.push(Step::Visit(right));
                    todo.push(Step::Visit(left));
                }
                Step::Combine => {
                    let right = hashes.pop().ok_or(StatusWord::BadState)?;
                    let left = hashes.pop().ok_or(StatusWord::BadState)?;
                    hashes.push(TapNodeHash::from_node_hashes(left, right));
                }
            }
        }
        match hashes.as_slice() {
            [root] => Ok(*root),
            _ => Err(StatusWord::BadState),
        }
    }

    /// The hash of one leaf. The app builds the leaf script twice, once for its length (the
    /// hash's size prefix) and once to hash it, so every key of the leaf is fetched twice.
    pub(crate) async fn tap_leaf_hash(
        &self,
        host: &Host,
        leaf: &TapLeaf,
        is_change: bool,
        index: u32,
    ) -> Result<TapLeafHash, StatusWord> {
        self.tap_leaf_script(host, leaf, is_change, index).await?;
        let script = self.tap_leaf_script(host, leaf, is_change, index).await?;
        Ok(TapLeafHash::from_script(&script, LeafVersion::TapScript))
    }

    async fn tap_leaf_script(
        &self,
        host: &Host,
        leaf: &TapLeaf,
        is_change: bool,
        index: u32,
    ) -> Result<ScriptBuf, StatusWord> {
        match leaf {
            TapLeaf::Miniscript(ms) => {
                let keys = self.miniscript_keys(host, ms, is_change, index).await?;
                ms.encode(&keys).ok_or(StatusWord::BadState)
            }
            TapLeaf::SortedMultiA { threshold, keys } => {
                let pubkeys = self
                    .multisig_keys(host, keys, true, is_change, index, x_only)
                    .await?;
                Ok(multi_a_script(*threshold, &pubkeys))
            }
        }
    }

    /// The derived key of every key expression of a miniscript, keyed by its text, fetched
    /// in the order the app emits them.
    async fn miniscript_keys<Ctx: miniscript::ScriptContext>(
        &self,
        host: &Host,
        ms: &PolicyMs<Ctx>,
        is_change: bool,
        index: u32,
    ) -> Result<HashMap<String, PublicKey>, StatusWord> {
        let mut keys = HashMap::new();
        for (text, expr) in ms.derivation_texts() {
            let key = self.derived(host, &expr, is_change, index).await?;
            keys.insert(text, key);
        }
        Ok(keys)
    }

    /// The multisig keys in script order. For sorted ones the app keeps no list in memory:
    /// for each position it derives every key not yet used and takes the smallest (by
    /// `sort_key`: the compressed key, or the x-only key for `sortedmulti_a`), so the host sees
    /// n + (n-1) + … + 1 fetches in that order.
    async fn multisig_keys(
        &self,
        host: &Host,
        keys: &[KeyExpr],
        sorted: bool,
        is_change: bool,
        index: u32,
        sort_key: fn(&PublicKey) -> Vec<u8>,
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
                    Some((_, best)) => sort_key(best) > sort_key(&key),
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
}

fn compressed(key: &PublicKey) -> Vec<u8> {
    key.serialize().to_vec()
}

fn x_only(key: &PublicKey) -> Vec<u8> {
    XOnlyPublicKey::from(*key).serialize().to_vec()
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

/// `<key1> OP_CHECKSIG <key2> OP_CHECKSIGADD … <k> OP_NUMEQUAL`, keys x-only.
fn multi_a_script(threshold: u32, keys: &[PublicKey]) -> ScriptBuf {
    use bitcoin::opcodes::all::{OP_CHECKSIG, OP_CHECKSIGADD, OP_NUMEQUAL};
    let mut builder = bitcoin::script::Builder::new();
    for (i, key) in keys.iter().enumerate() {
        builder = builder
            .push_x_only_key(&XOnlyPublicKey::from(*key))
            .push_opcode(if i == 0 { OP_CHECKSIG } else { OP_CHECKSIGADD });
    }
    builder
        .push_int(i64::from(threshold))
        .push_opcode(OP_NUMEQUAL)
        .into_script()
}

/// The address of a script on the app's network, as the app prints it.
pub(crate) fn address(script: &ScriptBuf, chain: Chain) -> Result<String, StatusWord> {
    bitcoin::Address::from_script(script, chain.network())
        .map(|a| a.to_string())
        .map_err(|_| StatusWord::BadState)
}
