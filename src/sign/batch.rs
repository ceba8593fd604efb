//! Batch proofs (`bip322-batch`): the rows one device holds under one account's default policy
//! are signed with one SIGN_PSBT, shown once on the device and approved once, instead of one
//! SIGN_MESSAGE per address (see `scheme::bip322::batch` for the construction).
//!
//! Planning is pure (which rows go together, in list order); proving drives the device: the
//! account's xpub is read once, every listed address is derived from it on the host and must
//! match, the batch PSBT is signed, and the whole batch is re-verified on the host before any of
//! it is handed back to be written. A batch is all or nothing.

use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint};
use bitcoin::secp256k1::SECP256K1;
use bitcoin::{Address, CompressedPublicKey, ScriptBuf, Witness};

use super::outcome::{entry_for, host_check};
use super::paths::coin_type;
use super::reserves::{KeySource, Reserve};
use super::SignError;
use crate::app::btc::{self, SingleKeyPolicy};
use crate::app::DeviceError;
use crate::bundle::{Entry, Scheme};
use crate::device::Transport;
use crate::model::{canonical_address, Chain};
use crate::scheme::bip322::batch::{self, MAX_INPUTS};
use crate::scheme::{self};

/// The highest account and address index a batch takes: the Bitcoin app signs its default
/// policies without a warning only on standard paths (account ≤ 100, change 0 or 1, index
/// below 50,000); other rows keep the per-address flow.
const MAX_ACCOUNT: u32 = 100;
const MAX_ADDRESS_INDEX: u32 = 50_000;

/// How many addresses go into one batch, per script type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSizes {
    pub pkh: usize,
    pub sh_wpkh: usize,
    pub wpkh: usize,
    pub tr: usize,
}

impl Default for BatchSizes {
    /// From device time measured on the real app in Speculos: segwit v0 signs 500 inputs in
    /// about a minute, taproot's BIP-341 digests make 200 inputs take as long, and legacy
    /// sighashes are quadratic (50 inputs: 52 s after approval, 10: 3.3 s), so legacy batches
    /// stay small.
    fn default() -> Self {
        BatchSizes {
            pkh: 25,
            sh_wpkh: 500,
            wpkh: 500,
            tr: 250,
        }
    }
}

impl BatchSizes {
    /// One size for every type (`--batch-size`), at most the app's 512 inputs.
    pub fn all(size: usize) -> Self {
        let size = size.clamp(1, MAX_INPUTS);
        BatchSizes {
            pkh: size,
            sh_wpkh: size,
            wpkh: size,
            tr: size,
        }
    }

    fn of(&self, kind: SingleKeyPolicy) -> usize {
        match kind {
            SingleKeyPolicy::Pkh => self.pkh,
            SingleKeyPolicy::ShWpkh => self.sh_wpkh,
            SingleKeyPolicy::Wpkh => self.wpkh,
            SingleKeyPolicy::Tr => self.tr,
        }
        .clamp(1, MAX_INPUTS)
    }
}

/// One row of a batch: the reserve and where its key sits under the account.
#[derive(Clone, Debug)]
pub struct BatchRow<'r> {
    pub reserve: &'r Reserve,
    pub change: u32,
    pub index: u32,
}

/// Rows that one device signs with one SIGN_PSBT: one account, one default policy.
#[derive(Clone, Debug)]
pub struct BatchPlan<'r> {
    pub kind: SingleKeyPolicy,
    /// `m/purpose'/coin'/account'`.
    pub account: DerivationPath,
    pub rows: Vec<BatchRow<'r>>,
}

/// Where a row's key sits if the row can join a batch: its policy, account path, change and
/// index. `None` keeps it on the per-address flow.
fn batch_position(reserve: &Reserve) -> Option<(SingleKeyPolicy, DerivationPath, u32, u32)> {
    if reserve.chain != Chain::Bitcoin {
        return None;
    }
    let KeySource::Path(path) = &reserve.key else {
        return None;
    };
    let steps: Vec<ChildNumber> = path.into_iter().copied().collect();
    let [ChildNumber::Hardened { index: purpose }, ChildNumber::Hardened { index: coin }, ChildNumber::Hardened { index: account }, ChildNumber::Normal { index: change }, ChildNumber::Normal { index }] =
        steps.as_slice()
    else {
        return None;
    };
    let kind = match purpose {
        44 => SingleKeyPolicy::Pkh,
        49 => SingleKeyPolicy::ShWpkh,
        84 => SingleKeyPolicy::Wpkh,
        86 => SingleKeyPolicy::Tr,
        _ => return None,
    };
    if *coin != coin_type(reserve.network)
        || *account > MAX_ACCOUNT
        || *change > 1
        || *index >= MAX_ADDRESS_INDEX
    {
        return None;
    }
    let account_path = DerivationPath::from(steps.get(..3)?.to_vec());
    Some((kind, account_path, *change, *index))
}

/// Splits `rows` into batches (list order kept within each account) and the rows that keep the
/// per-address flow (in list order). With `sizes` `None` (`--no-batch`) nothing is batched.
pub fn plan<'r>(
    rows: &[&'r Reserve],
    sizes: Option<BatchSizes>,
) -> (Vec<BatchPlan<'r>>, Vec<&'r Reserve>) {
    let Some(sizes) = sizes else {
        return (Vec::new(), rows.to_vec());
    };
    let mut singles = Vec::new();
    // Keyed by everything that must be shared in one SIGN_PSBT (the device that holds the
    // key, the app's network, the policy and the account), in order of first appearance.
    type Key = (Option<[u8; 4]>, String, DerivationPath);
    let mut open: Vec<(Key, BatchPlan<'r>)> = Vec::new();
    let mut plans = Vec::new();
    for &reserve in rows {
        let Some((kind, account, change, index)) = batch_position(reserve) else {
            singles.push(reserve);
            continue;
        };
        let key: Key = (
            reserve.fingerprint,
            reserve.network.to_string(),
            account.clone(),
        );
        let row = BatchRow {
            reserve,
            change,
            index,
        };
        match open.iter_mut().find(|(k, _)| *k == key) {
            Some((_, plan)) => plan.rows.push(row),
            None => open.push((
                key,
                BatchPlan {
                    kind,
                    account,
                    rows: vec![row],
                },
            )),
        }
        if let Some(pos) = open
            .iter()
            .position(|(_, p)| p.rows.len() >= sizes.of(p.kind))
        {
            plans.push(open.remove(pos).1);
        }
    }
    plans.extend(open.into_iter().map(|(_, p)| p));
    // A batch of one saves no approval, and SIGN_MESSAGE shows the challenge itself on screen:
    // a lone row keeps the per-address flow.
    let (plans, lone): (Vec<_>, Vec<_>) = plans.into_iter().partition(|p| p.rows.len() > 1);
    singles.extend(lone.into_iter().flat_map(|p| p.rows).map(|r| r.reserve));
    singles.sort_by_key(|r| r.line);
    (plans, singles)
}

impl BatchPlan<'_> {
    /// "batch of 500 addresses (bc1q… … bc1q…)": how errors name a batch.
    pub fn describe(&self) -> String {
        let first = self.rows.first().map_or("", |r| r.reserve.address.as_str());
        let last = self.rows.last().map_or("", |r| r.reserve.address.as_str());
        match self.rows.len() {
            1 => format!("batch of 1 address ({first})"),
            n => format!("batch of {n} addresses ({first} … {last})"),
        }
    }
}

/// A signed batch checked whole, exactly as `porsign verify` will check it, before any of it is
/// written: an error names the batch (`what`) or the first row whose input fails.
pub(super) fn verify_whole(
    message: &[u8],
    id: &str,
    addresses: &[Address],
    proofs: &[String],
    rows: &[&Reserve],
    what: &str,
) -> Result<(), SignError> {
    let refs: Vec<&str> = proofs.iter().map(String::as_str).collect();
    let verdicts =
        batch::verify(message, id, addresses, &refs).map_err(|e| SignError::HostVerify {
            address: what.to_owned(),
            reason: e.to_string(),
        })?;
    for (verdict, reserve) in verdicts.iter().zip(rows) {
        if let Err(e) = verdict {
            return Err(host_check(reserve, e.to_string()));
        }
    }
    Ok(())
}

/// What the device will show for a batch: the OP_RETURN tag the operator compares.
pub fn screen_tag(message: &[u8]) -> String {
    hex::encode(batch::tag(message))
}

/// Proves a batch on a Bitcoin device and returns its host-verified entries, in order.
/// `on_signature` is called as each input's signature arrives.
pub fn prove_batch(
    transport: &mut dyn Transport,
    fingerprint: [u8; 4],
    plan: &BatchPlan<'_>,
    message: &[u8],
    on_signature: &mut dyn FnMut(),
) -> Result<Vec<Entry>, SignError> {
    let batch_err = |source: DeviceError| SignError::Device {
        address: plan.describe(),
        source,
    };
    let account = btc::AccountKey {
        fingerprint,
        xpub: btc::xpub(transport, &plan.account, false).map_err(batch_err)?,
        path: plan.account.clone(),
    };
    // Every listed address must be the one the device's key at its path makes: derived here
    // from the account key the device gave, before anything is signed.
    let mut keys = Vec::with_capacity(plan.rows.len());
    let mut addresses = Vec::with_capacity(plan.rows.len());
    for row in &plan.rows {
        let reserve = row.reserve;
        let child = [
            ChildNumber::from_normal_idx(row.change)
                .map_err(|e| host_check(reserve, e.to_string()))?,
            ChildNumber::from_normal_idx(row.index)
                .map_err(|e| host_check(reserve, e.to_string()))?,
        ];
        let key = CompressedPublicKey(
            account
                .xpub
                .derive_pub(SECP256K1, &child)
                .map_err(|e| host_check(reserve, e.to_string()))?
                .public_key,
        );
        let net = reserve.network.to_bitcoin();
        let derived = match plan.kind {
            SingleKeyPolicy::Pkh => Address::p2pkh(key, net),
            SingleKeyPolicy::ShWpkh => Address::p2shwpkh(&key, net),
            SingleKeyPolicy::Wpkh => Address::p2wpkh(&key, net),
            SingleKeyPolicy::Tr => Address::p2tr(SECP256K1, key.0.x_only_public_key().0, None, net),
        };
        if canonical_address(Chain::Bitcoin, &derived.to_string())
            != canonical_address(Chain::Bitcoin, &reserve.address)
        {
            return Err(SignError::AddressMismatch {
                line: reserve.line,
                address: reserve.address.clone(),
                path: format!("m/{}/{}/{}", plan.account, row.change, row.index),
            });
        }
        keys.push(key);
        addresses.push(derived);
    }

    let spks: Vec<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
    let (tx, prevouts) = batch::to_sign(message, &spks);
    let id = tx.compute_txid().to_string();
    let mut psbt = bitcoin::Psbt::from_unsigned_tx(tx)
        .map_err(|e| batch_err(DeviceError::Protocol(format!("batch psbt: {e}"))))?;
    for (i, ((input, row), key)) in psbt
        .inputs
        .iter_mut()
        .zip(&plan.rows)
        .zip(&keys)
        .enumerate()
    {
        let spk = spks.get(i).cloned().unwrap_or_default();
        let path = plan.account.extend([
            ChildNumber::Normal { index: row.change },
            ChildNumber::Normal { index: row.index },
        ]);
        let origin = (Fingerprint::from(fingerprint), path);
        // What the real app was measured signing: the full previous transaction for every
        // input, the output itself for segwit (a legacy input must not carry it), and the
        // key's origin so the app finds its key.
        input.non_witness_utxo = Some(scheme::bip322::to_spend(message, &spk));
        if plan.kind != SingleKeyPolicy::Pkh {
            input.witness_utxo = prevouts.get(i).cloned();
        }
        match plan.kind {
            SingleKeyPolicy::Tr => {
                let x_only = key.0.x_only_public_key().0;
                input.tap_internal_key = Some(x_only);
                input.tap_key_origins.insert(x_only, (Vec::new(), origin));
            }
            SingleKeyPolicy::ShWpkh => {
                input.redeem_script = Some(ScriptBuf::new_p2wpkh(&key.wpubkey_hash()));
                input.bip32_derivation.insert(key.0, origin);
            }
            SingleKeyPolicy::Pkh | SingleKeyPolicy::Wpkh => {
                input.bip32_derivation.insert(key.0, origin);
            }
        }
    }

    let signatures = btc::sign_batch_psbt(transport, &account, plan.kind, &psbt, on_signature)
        .map_err(batch_err)?;

    let mut proofs = Vec::with_capacity(signatures.len());
    for (signature, key) in signatures.iter().zip(&keys) {
        let key_bytes = key.to_bytes();
        let (script_sig, witness) = match plan.kind {
            SingleKeyPolicy::Tr => (ScriptBuf::new(), Witness::from_slice(&[signature])),
            SingleKeyPolicy::Wpkh => (
                ScriptBuf::new(),
                Witness::from_slice(&[signature.as_slice(), key_bytes.as_slice()]),
            ),
            SingleKeyPolicy::ShWpkh => {
                let redeem = ScriptBuf::new_p2wpkh(&key.wpubkey_hash());
                let push = <&bitcoin::script::PushBytes>::try_from(redeem.as_bytes())
                    .map_err(|e| batch_err(DeviceError::Protocol(e.to_string())))?;
                (
                    bitcoin::script::Builder::new()
                        .push_slice(push)
                        .into_script(),
                    Witness::from_slice(&[signature.as_slice(), key_bytes.as_slice()]),
                )
            }
            SingleKeyPolicy::Pkh => {
                let sig = <&bitcoin::script::PushBytes>::try_from(signature.as_slice())
                    .map_err(|e| batch_err(DeviceError::Protocol(e.to_string())))?;
                (
                    bitcoin::script::Builder::new()
                        .push_slice(sig)
                        .push_slice(key_bytes)
                        .into_script(),
                    Witness::new(),
                )
            }
        };
        proofs.push(batch::encode_input(&script_sig, &witness));
    }

    let rows: Vec<&Reserve> = plan.rows.iter().map(|r| r.reserve).collect();
    verify_whole(message, &id, &addresses, &proofs, &rows, &plan.describe())?;

    Ok(plan
        .rows
        .iter()
        .zip(proofs)
        .enumerate()
        .map(|(i, (row, proof))| {
            let mut entry = entry_for(row.reserve, Scheme::Bip322Batch, vec![proof]);
            entry.batch = Some(id.clone());
            entry.input = u32::try_from(i).ok();
            entry.path = Some(format!("m/{}/{}/{}", plan.account, row.change, row.index));
            entry.fingerprint = Some(hex::encode(fingerprint));
            entry
        })
        .collect())
}
