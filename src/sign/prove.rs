//! Proving one reserve on one device: ask the device for the key at the listed path, refuse if it
//! does not produce the listed address, sign the challenge, re-verify the signature on the host,
//! and only then hand back the bundle entry.

use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint};
use bitcoin::secp256k1::SECP256K1;
use bitcoin::{Address, CompressedPublicKey};

use super::cosigner;
use super::outcome::{b64, device_err, entry_for, host_check};
use super::reserves::{KeySource, Reserve};
use super::SignError;
use crate::app::{btc, eth, DeviceError};
use crate::bundle::{Entry, Scheme};
use crate::device::Transport;
use crate::model::{canonical_address, Chain, Network};
use crate::scheme::{self, EthAddress};

/// A device with a known app open.
pub enum Session<'t> {
    Bitcoin {
        transport: &'t mut (dyn Transport + Send),
        testnet: bool,
        fingerprint: [u8; 4],
        /// Multisig policies registered on the device in this session (id -> HMAC), so the
        /// user approves each policy once, not once per address.
        registered: std::collections::HashMap<[u8; 32], [u8; 32]>,
    },
    Ethereum {
        transport: &'t mut (dyn Transport + Send),
    },
}

impl<'t> Session<'t> {
    /// Finds out which app is open and makes a session for it.
    pub fn open(transport: &'t mut (dyn Transport + Send)) -> Result<Self, DeviceError> {
        let info = crate::app::app_info(transport)?;
        match info.name.as_str() {
            "Ethereum" => {
                eth::check_info(info)?;
                Ok(Session::Ethereum { transport })
            }
            "BOLOS" => Err(DeviceError::NoApp {
                expected: "Bitcoin or Ethereum".into(),
            }),
            _ => {
                let app = btc::check_info(info)?;
                let fingerprint = btc::master_fingerprint(transport)?;
                Ok(Session::Bitcoin {
                    transport,
                    testnet: app.testnet,
                    fingerprint,
                    registered: std::collections::HashMap::new(),
                })
            }
        }
    }

    /// The chain this session signs for.
    pub fn chain(&self) -> Chain {
        match self {
            Session::Bitcoin { .. } => Chain::Bitcoin,
            Session::Ethereum { .. } => Chain::Ethereum,
        }
    }

    /// The device's master fingerprint, where the open app tells it.
    pub fn fingerprint(&self) -> Option<[u8; 4]> {
        match self {
            Session::Bitcoin { fingerprint, .. } => Some(*fingerprint),
            Session::Ethereum { .. } => None,
        }
    }

    /// A short name for messages: "Bitcoin app on device f5acc2fd".
    pub fn describe(&self) -> String {
        match self {
            Session::Bitcoin {
                testnet,
                fingerprint,
                ..
            } => format!(
                "{} app on device {}",
                if *testnet { "Bitcoin Test" } else { "Bitcoin" },
                hex::encode(fingerprint)
            ),
            Session::Ethereum { .. } => "Ethereum app".into(),
        }
    }

    /// Whether this session can sign `reserve` at all: right chain and network, routed to this
    /// device, and (for multisig) the device is one of the cosigners.
    pub fn can_sign(&self, reserve: &Reserve) -> bool {
        if reserve.chain != self.chain() {
            return false;
        }
        if let (Some(want), Some(have)) = (reserve.fingerprint, self.fingerprint()) {
            if want != have {
                return false;
            }
        }
        match self {
            Session::Bitcoin {
                testnet,
                fingerprint,
                ..
            } => {
                let mainnet_row = reserve.network == Network::Mainnet;
                if mainnet_row == *testnet {
                    return false;
                }
                match &reserve.key {
                    KeySource::Path(_) => true,
                    KeySource::Multisig(m) => !m.row.keys_of(*fingerprint).is_empty(),
                }
            }
            Session::Ethereum { .. } => true,
        }
    }

    /// Checks, before anything is signed, what only the open device decides: which of a
    /// multisig's keys are its own, and that the app can sign with them (see
    /// [`super::paths`]). Single-key rows were checked with the list.
    pub fn preflight(&self, reserve: &Reserve) -> Result<(), SignError> {
        match (self, &reserve.key) {
            (Session::Bitcoin { fingerprint, .. }, KeySource::Multisig(m)) => {
                cosigner::preflight(reserve, &m.row, *fingerprint, reserve.network)
            }
            _ => Ok(()),
        }
    }

    /// Proves a batch of single-key rows with one SIGN_PSBT and returns its host-verified
    /// entries; `on_signature` is called as each input's signature arrives.
    pub fn prove_batch(
        &mut self,
        plan: &super::batch::BatchPlan<'_>,
        message: &[u8],
        on_signature: &mut dyn FnMut(),
    ) -> Result<Vec<Entry>, SignError> {
        match self {
            Session::Bitcoin {
                transport,
                fingerprint,
                ..
            } => super::batch::prove_batch(
                &mut **transport,
                *fingerprint,
                plan,
                message,
                on_signature,
            ),
            Session::Ethereum { .. } => Err(SignError::Reserve {
                line: plan.rows.first().map_or(0, |r| r.reserve.line),
                reason: "a batch proof is a Bitcoin proof; the Ethereum app cannot sign it".into(),
            }),
        }
    }

    /// This device's share of a multisig batch: its signatures of every input, by key slot
    /// (one approval).
    pub fn prove_multisig_batch(
        &mut self,
        plan: &super::batch_multisig::MultisigBatchPlan<'_>,
        message: &[u8],
        on_signature: &mut dyn FnMut(),
    ) -> Result<Vec<super::batch_multisig::Slots>, SignError> {
        match self {
            Session::Bitcoin {
                transport,
                fingerprint,
                registered,
                ..
            } => super::batch_multisig::sign_share(
                &mut **transport,
                *fingerprint,
                registered,
                plan,
                message,
                on_signature,
            ),
            Session::Ethereum { .. } => Err(SignError::Reserve {
                line: plan.rows.first().map_or(0, |r| r.line),
                reason: "a batch proof is a Bitcoin proof; the Ethereum app cannot sign it".into(),
            }),
        }
    }

    /// Proves one reserve and returns its host-verified entry.
    pub fn prove(&mut self, reserve: &Reserve, message: &[u8]) -> Result<Entry, SignError> {
        match self {
            Session::Bitcoin {
                transport,
                fingerprint,
                registered,
                ..
            } => prove_bitcoin(&mut **transport, *fingerprint, registered, reserve, message),
            Session::Ethereum { transport } => prove_ethereum(&mut **transport, reserve, message),
        }
    }
}

fn prove_bitcoin(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    registered: &mut std::collections::HashMap<[u8; 32], [u8; 32]>,
    reserve: &Reserve,
    message: &[u8],
) -> Result<Entry, SignError> {
    let network = reserve.network;
    let address =
        scheme::parse_btc_address(&reserve.address, network).map_err(|e| SignError::Reserve {
            line: reserve.line,
            reason: e.to_string(),
        })?;
    match &reserve.key {
        KeySource::Path(path) => prove_single_key(
            transport,
            fingerprint,
            reserve,
            &address,
            path,
            network,
            message,
        ),
        KeySource::Multisig(multisig) => {
            cosigner::check_registered_address(transport, registered, reserve, &multisig.row)?;
            cosigner::prove_share(transport, fingerprint, reserve, multisig, message)
        }
    }
}

/// What a listed single-key address is, given the key the device holds at its path.
fn address_kind_matches(
    address: &Address,
    key: &CompressedPublicKey,
    network: Network,
) -> Option<&'static str> {
    let net = network.to_bitcoin();
    let candidates = [
        ("p2pkh", Address::p2pkh(key, net)),
        ("p2sh-p2wpkh", Address::p2shwpkh(key, net)),
        ("p2wpkh", Address::p2wpkh(key, net)),
        (
            "p2tr",
            Address::p2tr(SECP256K1, key.0.x_only_public_key().0, None, net),
        ),
    ];
    candidates
        .into_iter()
        .find(|(_, a)| a == address)
        .map(|(kind, _)| kind)
}

fn prove_single_key(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    reserve: &Reserve,
    address: &Address,
    path: &DerivationPath,
    network: Network,
    message: &[u8],
) -> Result<Entry, SignError> {
    // The device derives the address; porsign never trusts the list alone. On a standard path
    // the app computes the address itself from its default policy; on any path the key at the
    // path must produce the listed address.
    check_default_policy_address(transport, fingerprint, reserve, address, path)?;
    let xpub = btc::xpub(transport, path, false).map_err(|e| device_err(reserve, e))?;
    let key = CompressedPublicKey(xpub.public_key);
    let kind =
        address_kind_matches(address, &key, network).ok_or_else(|| SignError::AddressMismatch {
            line: reserve.line,
            address: reserve.address.clone(),
            path: format!("m/{path}"),
        })?;
    let mut entry = if kind == "p2tr" {
        let signature = prove_taproot(transport, fingerprint, reserve, address, path, message)?;
        entry_for(reserve, Scheme::Bip322, vec![signature])
    } else {
        let sig =
            btc::sign_message(transport, path, message).map_err(|e| device_err(reserve, e))?;
        let signature = b64(&sig);
        let matched = scheme::bip137::verify(message, address, &signature)
            .map_err(|e| host_check(reserve, e.to_string()))?;
        if matched.pubkey.inner != key.0 {
            return Err(host_check(
                reserve,
                "signed by another key than the one at the path".into(),
            ));
        }
        let mut entry = entry_for(reserve, Scheme::Bip137, vec![signature]);
        entry.pubkey = Some(key.to_string());
        entry
    };
    entry.path = Some(format!("m/{path}"));
    entry.fingerprint = Some(hex::encode(fingerprint));
    Ok(entry)
}

/// On a standard path, asks the app for the address of its default policy (GET_WALLET_ADDRESS)
/// and refuses if it is not the listed one.
fn check_default_policy_address(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    reserve: &Reserve,
    address: &Address,
    path: &DerivationPath,
) -> Result<(), SignError> {
    let from_device =
        btc::default_policy_address(transport, fingerprint, address.address_type(), path)
            .map_err(|e| device_err(reserve, e))?;
    let Some(from_device) = from_device else {
        return Ok(());
    };
    let same = canonical_address(Chain::Bitcoin, &from_device)
        == canonical_address(Chain::Bitcoin, &reserve.address);
    if same {
        Ok(())
    } else {
        Err(SignError::AddressMismatch {
            line: reserve.line,
            address: reserve.address.clone(),
            path: format!("m/{path}"),
        })
    }
}

/// BIP-322 simple proof for a BIP-86 taproot address through SIGN_PSBT, the only way a Ledger
/// proves a taproot key: the app signs the `to_sign` transaction (one OP_RETURN output, all
/// values zero) and yields the Schnorr signature that becomes the witness.
fn prove_taproot(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    reserve: &Reserve,
    address: &Address,
    path: &DerivationPath,
    message: &[u8],
) -> Result<String, SignError> {
    let steps: Vec<ChildNumber> = path.into_iter().copied().collect();
    let (account, tail) = match steps.as_slice() {
        [a, b, c, change, index] if change.is_normal() && index.is_normal() => {
            (DerivationPath::from(vec![*a, *b, *c]), (u32::from(*change), u32::from(*index)))
        }
        _ => {
            return Err(SignError::Reserve {
                line: reserve.line,
                reason: format!(
                    "taproot proofs go through the app's tr(@0/**) policy, which needs a path m/86'/coin'/account'/change/index, not m/{path}"
                ),
            })
        }
    };
    let account = btc::AccountKey {
        fingerprint,
        xpub: btc::xpub(transport, &account, false).map_err(|e| device_err(reserve, e))?,
        path: account,
    };
    let internal_key = account
        .xpub
        .derive_pub(
            SECP256K1,
            &[
                ChildNumber::from_normal_idx(tail.0)
                    .map_err(|e| host_check(reserve, e.to_string()))?,
                ChildNumber::from_normal_idx(tail.1)
                    .map_err(|e| host_check(reserve, e.to_string()))?,
            ],
        )
        .map_err(|e| host_check(reserve, e.to_string()))?
        .public_key
        .x_only_public_key()
        .0;

    let to_spend = scheme::bip322::to_spend(message, &address.script_pubkey());
    let to_sign = scheme::bip322::to_sign(&to_spend);
    let mut psbt = bitcoin::Psbt::from_unsigned_tx(to_sign)
        .map_err(|e| host_check(reserve, format!("to_sign psbt: {e}")))?;
    let input = psbt
        .inputs
        .first_mut()
        .ok_or_else(|| host_check(reserve, "to_sign has no input".into()))?;
    input.witness_utxo = to_spend.output.first().cloned();
    input.tap_internal_key = Some(internal_key);
    input.tap_key_origins.insert(
        internal_key,
        (Vec::new(), (Fingerprint::from(fingerprint), path.clone())),
    );
    let schnorr = btc::sign_taproot_psbt(transport, &account, &psbt)
        .map_err(|e| device_err(reserve, e))?
        .ok_or_else(|| {
            host_check(
                reserve,
                "the device yielded no signature for the proof".into(),
            )
        })?;
    let mut witness = bitcoin::Witness::new();
    witness.push(&schnorr);
    let signature = b64(&bitcoin::consensus::encode::serialize(&witness));
    scheme::bip322::verify(message, address, &signature)
        .map_err(|e| host_check(reserve, e.to_string()))?;
    Ok(signature)
}

fn prove_ethereum(
    transport: &mut dyn Transport,
    reserve: &Reserve,
    message: &[u8],
) -> Result<Entry, SignError> {
    let KeySource::Path(path) = &reserve.key else {
        return Err(SignError::Reserve {
            line: reserve.line,
            reason: "an Ethereum row needs a path".into(),
        });
    };
    let listed = EthAddress::from_str(&reserve.address).map_err(|e| SignError::Reserve {
        line: reserve.line,
        reason: e.to_string(),
    })?;
    let reply = eth::address(transport, path, false).map_err(|e| device_err(reserve, e))?;
    let device_address = EthAddress::from_str(&format!("0x{}", reply.address))
        .map_err(|e| host_check(reserve, format!("address from the device: {e}")))?;
    if device_address != listed {
        return Err(SignError::AddressMismatch {
            line: reserve.line,
            address: reserve.address.clone(),
            path: format!("m/{path}"),
        });
    }
    let sig = eth::sign_personal(transport, path, message).map_err(|e| device_err(reserve, e))?;
    let signature = format!("0x{}", hex::encode(sig.to_rsv()));
    scheme::eip191::verify(message, &listed, &signature)
        .map_err(|e| host_check(reserve, e.to_string()))?;
    let mut entry = entry_for(reserve, Scheme::Eip191, vec![signature]);
    entry.pubkey = Some(hex::encode(&reply.public_key));
    entry.path = Some(format!("m/{path}"));
    Ok(entry)
}
