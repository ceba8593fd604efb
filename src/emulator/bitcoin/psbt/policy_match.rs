//! Which of the policy's keys are ours, and which inputs and outputs they derive: the app
//! matches each BIP-32 derivation in a map (fingerprint, origin path, change and address index)
//! against the key expressions of the wallet policy, then checks that the policy really
//! produces the input's or output's script at that derivation.

use bitcoin::ScriptBuf;
use firmware_msgs::btc::MapCommitment;
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use super::fields::u32_le;
use super::fields::{
    IN_BIP32_DERIVATION, IN_NON_WITNESS_UTXO, IN_REDEEM_SCRIPT, IN_SIGHASH_TYPE,
    IN_TAP_BIP32_DERIVATION, IN_WITNESS_UTXO, MAX_DERIVATION_LEN, MAX_MAP_KEY_LEN,
    OUT_BIP32_DERIVATION, OUT_TAP_BIP32_DERIVATION,
};
use super::state::{InternalKey, State};
use crate::emulator::session::Host;

/// What a pass over an input's or output's keys found.
#[derive(Clone, Debug)]
pub(super) struct Scan {
    pub(super) map: MapCommitment,
    pub(super) witness_utxo: bool,
    pub(super) non_witness_utxo: bool,
    pub(super) redeem_script: bool,
    pub(super) sighash_type: bool,
    /// `(is_change, address_index)` of our key's derivation, if any.
    pub(super) ours: Option<(bool, u32)>,
    pub(super) bad_pubkey: bool,
}

/// Which derivation keys a pass reads the values of (passes without callback use
/// `open_map`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Callback {
    Input,
    Output,
}

/// The policy's key expressions that are ours (one key fetch each).
pub(super) async fn internal_keys(
    st: &State<'_>,
    host: &Host,
) -> Result<Vec<InternalKey>, StatusWord> {
    let mut out = Vec::new();
    for expr in st.template.key_exprs() {
        let key = st.keys.fetch(host, expr.index).await?;
        if key.is_ours(&st.ctx.signer, st.ctx.chain) != Some(true) {
            continue;
        }
        let Some((fingerprint, origin)) = key.origin else {
            continue;
        };
        out.push(InternalKey {
            expr,
            fingerprint,
            origin,
            to_sign: false,
        });
    }
    Ok(out)
}

/// Opens map `index` of a list of maps and reads its keys; with a callback, also reads the
/// values of BIP-32 derivation keys and matches them against our keys.
pub(super) async fn scan_map(
    internal: &mut [InternalKey],
    host: &Host,
    root: Hash,
    size: u64,
    index: u64,
    callback: Callback,
) -> Result<Scan, StatusWord> {
    let map = host.map_commitment(root, size, index).await?;
    let mut scan = Scan {
        map,
        witness_utxo: false,
        non_witness_utxo: false,
        redeem_script: false,
        sighash_type: false,
        ours: None,
        bad_pubkey: false,
    };
    let mut previous: Option<Vec<u8>> = None;
    for k in 0..map.size {
        let key = host
            .element(map.keys_root, map.size, k, MAX_MAP_KEY_LEN)
            .await?;
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(StatusWord::IncorrectData);
        }
        let Some((&key_type, key_data)) = key.split_first() else {
            previous = Some(key);
            continue;
        };
        let derivation = match (callback, key_type) {
            (Callback::Input, IN_WITNESS_UTXO) => {
                scan.witness_utxo = true;
                None
            }
            (Callback::Input, IN_NON_WITNESS_UTXO) => {
                scan.non_witness_utxo = true;
                None
            }
            (Callback::Input, IN_REDEEM_SCRIPT) => {
                scan.redeem_script = true;
                None
            }
            (Callback::Input, IN_SIGHASH_TYPE) => {
                scan.sighash_type = true;
                None
            }
            (Callback::Input, IN_BIP32_DERIVATION) | (Callback::Output, OUT_BIP32_DERIVATION) => {
                Some(false)
            }
            (Callback::Input, IN_TAP_BIP32_DERIVATION)
            | (Callback::Output, OUT_TAP_BIP32_DERIVATION) => Some(true),
            _ => None,
        };
        // Outputs stop looking once one derivation matched.
        let wanted = callback == Callback::Input || scan.ours.is_none();
        if let (Some(is_tap), true) = (derivation, wanted) {
            if key_data.len() != if is_tap { 32 } else { 33 } {
                scan.bad_pubkey = true;
            } else {
                let value = host
                    .element(map.values_root, map.size, k, MAX_DERIVATION_LEN)
                    .await?;
                match parse_derivation(&value, is_tap) {
                    None => scan.bad_pubkey = true,
                    Some((fingerprint, path)) if (2..=10).contains(&path.len()) => {
                        match_derivation(internal, &mut scan, callback, fingerprint, &path);
                    }
                    Some(_) => {}
                }
            }
        }
        previous = Some(key);
    }
    Ok(scan)
}

/// `[n_hashes ‖ hashes ‖] fingerprint ‖ u32 LE path…`.
fn parse_derivation(value: &[u8], is_tap: bool) -> Option<([u8; 4], Vec<u32>)> {
    let rest = if is_tap {
        let (&n_hashes, rest) = value.split_first()?;
        if n_hashes > 128 {
            return None;
        }
        rest.get(32 * usize::from(n_hashes)..)?
    } else {
        value
    };
    if rest.len() < 4 || rest.len() % 4 != 0 || rest.len() > 4 * 11 {
        return None;
    }
    let (fingerprint, path) = rest.split_at(4);
    let fingerprint: [u8; 4] = fingerprint.try_into().ok()?;
    let path = path.chunks_exact(4).filter_map(u32_le).collect();
    Some((fingerprint, path))
}

fn match_derivation(
    internal: &mut [InternalKey],
    scan: &mut Scan,
    callback: Callback,
    fingerprint: [u8; 4],
    path: &[u32],
) {
    let [.., change_step, address_index] = path else {
        return;
    };
    for key in internal {
        let compatible = key.fingerprint == fingerprint
            && key.origin.len() + 2 == path.len()
            && path.starts_with(&key.origin)
            && (*change_step == key.expr.receive || *change_step == key.expr.change);
        if compatible {
            if callback == Callback::Input {
                key.to_sign = true;
            }
            scan.ours = Some((*change_step == key.expr.change, *address_index));
            if callback == Callback::Output {
                break;
            }
        }
    }
}

/// Whether our policy produces `script` at the derivation found for the input or output.
pub(super) async fn is_ours(
    st: &State<'_>,
    host: &Host,
    ours: Option<(bool, u32)>,
    script: &ScriptBuf,
) -> Result<bool, StatusWord> {
    let Some((is_change, index)) = ours else {
        return Ok(false);
    };
    let wallet_script = st.keys.script(host, &st.template, is_change, index).await?;
    Ok(wallet_script == *script)
}
