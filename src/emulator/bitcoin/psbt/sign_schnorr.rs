//! Schnorr signatures for taproot inputs: the BIP-341 key-path digest, preceded by the reads
//! the app makes for it, signed with the tweaked key and yielded with the output key.

use bitcoin::hashes::Hash as _;
use bitcoin::key::{Secp256k1, TapTweak};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
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
use crate::emulator::session::Host;

/// Signs a taproot input on the key path (BIP-86: no script tree); `spent` holds every input's
/// spent output, which the BIP-341 digest commits to.
pub(super) async fn key_path(
    st: &State<'_>,
    host: &Host,
    input: &InputToSign<'_>,
    cache: &mut SighashCache<&Transaction>,
    spent: &[TxOut],
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
    let digest = cache
        .taproot_key_spend_signature_hash(input.input_index, &Prevouts::All(spent), kind)
        .map_err(|_| StatusWord::BadState)?;
    let signer = &st.ctx.signer;
    let der = derivation_path(&input.path);
    let signature = signer
        .sign_taproot_key_path(&der, &digest.to_byte_array())
        .map_err(|_| StatusWord::BadState)?;
    let internal_key = signer.public_key(&der).map_err(|_| StatusWord::BadState)?;
    let secp = Secp256k1::verification_only();
    let (output_key, _) = XOnlyPublicKey::from(internal_key).tap_tweak(&secp, None);
    let mut sig = signature.serialize().to_vec();
    if byte8 != 0 {
        sig.push(byte8);
    }
    let item = YieldedItem::PartialSignature {
        input_index: index,
        key: output_key.to_x_only_public_key().serialize().to_vec(),
        signature: sig,
    };
    host.yield_data(item.encode()).await;
    Ok(())
}
