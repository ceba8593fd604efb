//! Key information strings (`[fingerprint/origin]xpub`) as the device reads them: fetched one
//! at a time from the host by Merkle proof, parsed, recognized as ours or a cosigner's, and
//! derived at `/<change>/<index>`.

use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, Xpub};
use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::PublicKey;
use firmware_msgs::btc::wallet_policy::{KeyInfo, WalletPolicyHeader};
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use super::template::{KeyExpr, Template, HARDENED};
use super::MAX_KEY_INFO_LEN;
use crate::emulator::bitcoin::chain::{Chain, MAX_STANDARD_ACCOUNT};
use crate::emulator::keys::SoftwareSigner;
use crate::emulator::session::Host;

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
    pub(super) async fn derived(
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
