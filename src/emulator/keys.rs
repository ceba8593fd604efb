//! The emulator's keys: a BIP-39 mnemonic, BIP-32 derivation, and signing exactly as the Ledger
//! apps do (RFC 6979 deterministic ECDSA, low S), so its signatures are byte-identical to a real
//! device's for the same seed.
//!
//! This is the only place in porsign that holds private keys, and only for emulated devices:
//! never load a mnemonic that guards real funds.

use std::str::FromStr;

use bitcoin::bip32::{DerivationPath, Fingerprint, Xpriv, Xpub};
use bitcoin::secp256k1::{self, Message, SECP256K1};
use zeroize::Zeroize;

/// Speculos's default mnemonic: public test material, known to every Ledger tool's test suite.
pub const SPECULOS_DEFAULT_MNEMONIC: &str =
    "glory promote mansion idle axis finger extra february \
uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";

/// Why the emulator could not make or use a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    #[error("key derivation failed at {path}: {reason}")]
    Derive { path: String, reason: String },
}

/// A software signer built from a mnemonic.
pub struct SoftwareSigner {
    master: Xpriv,
    /// The Bitcoin app's key for registered wallet policies (SLIP-21, see `policy_hmac`).
    policy_key: SecretBytes,
}

/// 32 secret bytes, wiped when dropped.
struct SecretBytes([u8; 32]);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The SLIP-21 label under which the Bitcoin app derives its wallet-policy HMAC key (the
/// leading zero byte is SLIP-21's separator before the label).
const WALLET_POLICY_SLIP21_LABEL: &[u8] = b"\0LEDGER-Wallet policy";

/// SLIP-21: the master node is HMAC-SHA512 of the seed under "Symmetric key seed"; a child is
/// HMAC-SHA512 of the label under the parent's first half; the key is the node's second half.
fn slip21_key(seed: &[u8], label: &[u8]) -> SecretBytes {
    use bitcoin::hashes::{hmac, sha512, Hash, HashEngine};
    let node = |key: &[u8], data: &[u8]| {
        let mut engine = hmac::HmacEngine::<sha512::Hash>::new(key);
        engine.input(data);
        hmac::Hmac::<sha512::Hash>::from_engine(engine).to_byte_array()
    };
    let mut master = node(b"Symmetric key seed", seed);
    let mut child = node(master.get(..32).unwrap_or_default(), label);
    let mut key = [0u8; 32];
    key.copy_from_slice(child.get(32..).unwrap_or(&[0u8; 32]));
    master.zeroize();
    child.zeroize();
    SecretBytes(key)
}

impl std::fmt::Debug for SoftwareSigner {
    // Never print key material, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl SoftwareSigner {
    /// Builds the signer from a BIP-39 mnemonic and passphrase.
    pub fn from_mnemonic(words: &str, passphrase: &str) -> Result<Self, KeyError> {
        let mnemonic = bip39::Mnemonic::parse_normalized(words)
            .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
        let mut seed = mnemonic.to_seed_normalized(passphrase);
        // The network of the master key only affects xprv/xpub version bytes; replies set the
        // version bytes they need.
        let master =
            Xpriv::new_master(bitcoin::Network::Bitcoin, &seed).map_err(|e| KeyError::Derive {
                path: "m".into(),
                reason: e.to_string(),
            });
        let policy_key = slip21_key(&seed, WALLET_POLICY_SLIP21_LABEL);
        seed.zeroize();
        Ok(SoftwareSigner {
            master: master?,
            policy_key,
        })
    }

    /// The Speculos default seed.
    pub fn speculos_default() -> Self {
        Self::from_mnemonic(SPECULOS_DEFAULT_MNEMONIC, "")
            .expect("the Speculos default mnemonic is valid")
    }

    /// The master key fingerprint (first 4 bytes of HASH160 of the master public key).
    pub fn fingerprint(&self) -> Fingerprint {
        self.master.fingerprint(SECP256K1)
    }

    fn derive(&self, path: &DerivationPath) -> Result<Xpriv, KeyError> {
        self.master
            .derive_priv(SECP256K1, path)
            .map_err(|e| KeyError::Derive {
                path: path.to_string(),
                reason: e.to_string(),
            })
    }

    /// The extended public key at `path` (version bytes of `network`).
    pub fn xpub(
        &self,
        path: &DerivationPath,
        network: bitcoin::NetworkKind,
    ) -> Result<Xpub, KeyError> {
        let mut xpub = Xpub::from_priv(SECP256K1, &self.derive(path)?);
        xpub.network = network;
        Ok(xpub)
    }

    /// The public key at `path`.
    pub fn public_key(&self, path: &DerivationPath) -> Result<secp256k1::PublicKey, KeyError> {
        Ok(self.derive(path)?.private_key.public_key(SECP256K1))
    }

    /// The single-key address at `path`, of the type its BIP-44 purpose names: 44' P2PKH,
    /// 49' P2SH-P2WPKH, 84' P2WPKH, 86' P2TR (BIP-86, no script tree). For building test and
    /// demo lists; a real run asks the device.
    pub fn address_at(
        &self,
        path: &DerivationPath,
        network: bitcoin::Network,
    ) -> Result<bitcoin::Address, KeyError> {
        use bitcoin::bip32::ChildNumber;
        use bitcoin::{Address, CompressedPublicKey};
        let key = CompressedPublicKey(self.public_key(path)?);
        let unsupported = || KeyError::Derive {
            path: path.to_string(),
            reason: "the purpose is not 44', 49', 84' or 86'".into(),
        };
        match path.into_iter().next() {
            Some(ChildNumber::Hardened { index: 44 }) => Ok(Address::p2pkh(key, network)),
            Some(ChildNumber::Hardened { index: 49 }) => Ok(Address::p2shwpkh(&key, network)),
            Some(ChildNumber::Hardened { index: 84 }) => Ok(Address::p2wpkh(&key, network)),
            Some(ChildNumber::Hardened { index: 86 }) => Ok(Address::p2tr(
                SECP256K1,
                key.0.x_only_public_key().0,
                None,
                network,
            )),
            _ => Err(unsupported()),
        }
    }

    /// A reserves list (CSV) of `n` mainnet addresses of this seed, cycling through P2PKH,
    /// P2SH-P2WPKH, P2WPKH and P2TR: the workload of `bench sign` and the soak test.
    pub fn mixed_reserves_csv(&self, n: u32) -> Result<String, KeyError> {
        let mut csv = String::from("chain,network,address,path\n");
        for i in 0..n {
            let purpose = match i % 4 {
                0 => 44,
                1 => 49,
                2 => 84,
                _ => 86,
            };
            let p: DerivationPath = format!("m/{purpose}'/0'/0'/0/{}", i / 4).parse().map_err(
                |e: bitcoin::bip32::Error| KeyError::Derive {
                    path: format!("m/{purpose}'/0'/0'/0/{}", i / 4),
                    reason: e.to_string(),
                },
            )?;
            let address = self.address_at(&p, bitcoin::Network::Bitcoin)?;
            csv.push_str(&format!("bitcoin,mainnet,{address},m/{p}\n"));
        }
        Ok(csv)
    }

    /// Bitcoin SIGN_MESSAGE as the app answers it: `header || r || s` with header 31 + recid
    /// (the BIP-137 "P2PKH compressed" range, whatever the address type).
    pub fn sign_bitcoin_message(
        &self,
        path: &DerivationPath,
        message: &[u8],
    ) -> Result<[u8; 65], KeyError> {
        let digest = super::digests::bitcoin_signed_message(message);
        let (recid, rs) = self.sign_recoverable(path, &digest)?;
        Ok(with_header(27 + 4 + recid, &rs))
    }

    /// Ethereum personal_sign as the app answers it: `v || r || s`, v = 27 + recid.
    pub fn sign_eth_personal(
        &self,
        path: &DerivationPath,
        message: &[u8],
    ) -> Result<[u8; 65], KeyError> {
        let digest = super::digests::ethereum_personal_message(message);
        let (recid, rs) = self.sign_recoverable(path, &digest)?;
        Ok(with_header(27 + recid, &rs))
    }

    /// Plain ECDSA over a 32-byte digest (segwit v0 sighash), DER-ready.
    pub fn sign_ecdsa(
        &self,
        path: &DerivationPath,
        digest: &[u8; 32],
    ) -> Result<secp256k1::ecdsa::Signature, KeyError> {
        let key = self.derive(path)?.private_key;
        Ok(SECP256K1.sign_ecdsa(&Message::from_digest(*digest), &key))
    }

    /// BIP-340 Schnorr over a taproot key-path sighash, with the key tweaked per BIP-86 (no
    /// script tree). Uses fresh auxiliary randomness, as the app does.
    pub fn sign_taproot_key_path(
        &self,
        path: &DerivationPath,
        sighash: &[u8; 32],
    ) -> Result<secp256k1::schnorr::Signature, KeyError> {
        self.sign_taproot_tweaked(path, sighash, None)
    }

    /// BIP-340 Schnorr over a taproot key-path sighash, with the key tweaked per BIP-341 by
    /// the script tree's Merkle root (`None`: no tree, as BIP-86).
    pub fn sign_taproot_tweaked(
        &self,
        path: &DerivationPath,
        sighash: &[u8; 32],
        merkle_root: Option<bitcoin::TapNodeHash>,
    ) -> Result<secp256k1::schnorr::Signature, KeyError> {
        use bitcoin::key::TapTweak;
        let keypair =
            secp256k1::Keypair::from_secret_key(SECP256K1, &self.derive(path)?.private_key);
        let tweaked = keypair.tap_tweak(SECP256K1, merkle_root);
        Ok(SECP256K1.sign_schnorr(&Message::from_digest(*sighash), &tweaked.to_keypair()))
    }

    /// BIP-340 Schnorr over a taproot script-path sighash, with the untweaked key (a key in a
    /// tapscript leaf).
    pub fn sign_tapscript(
        &self,
        path: &DerivationPath,
        sighash: &[u8; 32],
    ) -> Result<secp256k1::schnorr::Signature, KeyError> {
        let keypair =
            secp256k1::Keypair::from_secret_key(SECP256K1, &self.derive(path)?.private_key);
        Ok(SECP256K1.sign_schnorr(&Message::from_digest(*sighash), &keypair))
    }

    /// The Bitcoin app's HMAC of a registered wallet policy: HMAC-SHA256 of the wallet id under
    /// the seed's SLIP-21 key for "LEDGER-Wallet policy". The app returns it from
    /// REGISTER_WALLET and checks it on every later use of the policy.
    pub fn wallet_policy_hmac(&self, wallet_id: &[u8; 32]) -> [u8; 32] {
        use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&self.policy_key.0);
        engine.input(wallet_id);
        hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }

    /// Recoverable ECDSA (RFC 6979, low S) over a 32-byte digest, as the Ethereum app signs
    /// transactions and EIP-712 digests: the recovery id (bit 0: parity of R's y, bit 1: R's x
    /// was at least the group order) and `r ‖ s`.
    pub fn sign_recoverable_digest(
        &self,
        path: &DerivationPath,
        digest: &[u8; 32],
    ) -> Result<(u8, [u8; 64]), KeyError> {
        self.sign_recoverable(path, digest)
    }

    fn sign_recoverable(
        &self,
        path: &DerivationPath,
        digest: &[u8; 32],
    ) -> Result<(u8, [u8; 64]), KeyError> {
        let key = self.derive(path)?.private_key;
        let sig = SECP256K1.sign_ecdsa_recoverable(&Message::from_digest(*digest), &key);
        let (recid, rs) = sig.serialize_compact();
        // Recovery ids are 0..=3; the cast cannot lose information.
        Ok((recid.to_i32() as u8, rs))
    }
}

fn with_header(header: u8, rs: &[u8; 64]) -> [u8; 65] {
    let mut out = [0u8; 65];
    let (h, rest) = out.split_at_mut(1);
    h.copy_from_slice(&[header]);
    rest.copy_from_slice(rs);
    out
}

/// Parses a path, for tests and fixtures.
pub fn path(p: &str) -> DerivationPath {
    DerivationPath::from_str(p).expect("a valid path literal")
}
