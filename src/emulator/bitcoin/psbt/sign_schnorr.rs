//! Schnorr signatures for taproot inputs: the BIP-341 digest (key path, or script path for a
//! key in a leaf), preceded by the reads the app makes for it; a key-path signature is made
//! with the tweaked key and yielded with the output key, a script-path one with the key itself
//! and yielded with the key and the leaf's hash.

use bitcoin::hashes::Hash as _;
use bitcoin::key::{Secp256k1, TapTweak};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Transaction, TxOut};
use firmware_msgs::btc::YieldedItem;
use firmware_msgs::StatusWord;

use super::fields::{
    from_witness_utxo, outpoint, sequence, SIGHASH_ANYONECANPAY, SIGHASH_DEFAULT, SIGHASH_SINGLE,
};
use super::sign_input::InputToSign;
use super::state::State;
use super::tx_hashes::hash_output;
use crate::emulator::bitcoin::derivation_path;
use crate::emulator::bitcoin::policy::Template;
use crate::emulator::session::Host;

/// Signs a taproot input: on the key path (no script tree, as BIP-86, or the key tweaked by
/// the tree's root), or, given the leaf's hash, on the script path with the untweaked key.
/// `spent` holds every input's spent output, which the BIP-341 digest commits to.
pub(super) async fn taproot(
    st: &State<'_>,
    host: &Host,
    input: &InputToSign<'_>,
    cache: &mut SighashCache<&Transaction>,
    spent: &[TxOut],
    leaf: Option<TapLeafHash>,
) -> Result<(), StatusWord> {
    let (scan, index) = (input.scan, input.index);
    let byte = input.sighash_type.unwrap_or(SIGHASH_DEFAULT);
    if byte & SIGHASH_ANYONECANPAY != 0 {
        outpoint(host, &scan.map).await?;
        from_witness_utxo(host, &scan.map).await?;
        sequence(host, &scan.map).await;
    }
    if byte & 3 == SIGHASH_SINGLE {
        hash_output(st, host, index).await?;
    }
    let byte8 = u8::try_from(byte).map_err(|_| StatusWord::NotSupported)?;
    let kind = TapSighashType::from_consensus_u8(byte8).map_err(|_| StatusWord::NotSupported)?;
    let prevouts = Prevouts::All(spent);
    let digest = match leaf {
        None => cache.taproot_key_spend_signature_hash(input.input_index, &prevouts, kind),
        Some(leaf) => {
            cache.taproot_script_spend_signature_hash(input.input_index, &prevouts, leaf, kind)
        }
    }
    .map_err(|_| StatusWord::BadState)?;
    let digest = digest.to_byte_array();
    let signer = &st.ctx.signer;
    let der = derivation_path(&input.path);
    let internal_key = signer.public_key(&der).map_err(|_| StatusWord::BadState)?;
    let (signature, key) = match leaf {
        Some(leaf) => {
            let signature = signer
                .sign_tapscript(&der, &digest)
                .map_err(|_| StatusWord::BadState)?;
            let key = [
                XOnlyPublicKey::from(internal_key).serialize().as_slice(),
                leaf.as_byte_array(),
            ]
            .concat();
            (signature, key)
        }
        None => {
            // With a script tree, the app computes the tree's root after the digest.
            let root = match &st.template {
                Template::TrTree { tree, .. } => {
                    let (is_change, address_index) = scan.ours.ok_or(StatusWord::BadState)?;
                    let keys = st.keys;
                    Some(
                        keys.tap_tree_root(host, tree, is_change, address_index)
                            .await?,
                    )
                }
                _ => None,
            };
            let signature = signer
                .sign_taproot_tweaked(&der, &digest, root)
                .map_err(|_| StatusWord::BadState)?;
            let secp = Secp256k1::verification_only();
            let (output_key, _) = XOnlyPublicKey::from(internal_key).tap_tweak(&secp, root);
            let key = output_key.to_x_only_public_key().serialize().to_vec();
            (signature, key)
        }
    };
    let mut sig = signature.serialize().to_vec();
    if byte8 != 0 {
        sig.push(byte8);
    }
    let item = YieldedItem::PartialSignature {
        input_index: index,
        key,
        signature: sig,
    };
    host.yield_data(item.encode()).await;
    Ok(())
}
