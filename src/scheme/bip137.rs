//! BIP-137 / Bitcoin Core `signmessage` signatures (header byte 27..=42 || r || s, base64).
//!
//! The digest is SHA256d(0x18 "Bitcoin Signed Message:\n" || varint(len) || message) (see
//! [`signed_message`], shared with OKX's UTXO coins); the key is
//! recovered from the compact signature and must produce the listed address.
//!
//! Header rules (what address types of the recovered key are accepted):
//!
//! | header | key          | accepted address types                                   |
//! |--------|--------------|----------------------------------------------------------|
//! | 27..=30| uncompressed | P2PKH (uncompressed key)                                 |
//! | 31..=34| compressed   | P2PKH, P2SH-P2WPKH, P2WPKH (Electrum/Sparrow convention; Ledger always answers 31/32) |
//! | 35..=38| compressed   | P2SH-P2WPKH only (BIP-137 strict)                        |
//! | 39..=42| compressed   | P2WPKH only (BIP-137 strict)                             |
//! | other  |              | error [`SchemeError::InvalidHeader`]                     |
//!
//! P2TR, P2WSH and P2SH addresses that are not P2SH-P2WPKH never match: ECDSA recovery proves a
//! key, not a script, and a taproot output is proven with BIP-322. High-S signatures are accepted,
//! as Bitcoin Core does (the recovered key is the same signer; malleability is harmless here).

use base64::Engine as _;
use bitcoin::address::AddressData;
use bitcoin::hashes::{hash160, Hash};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, SECP256K1};

use super::{signed_message, SchemeError, SingleKeyType};

/// What a valid BIP-137 signature proved: which key signed, and which single-key address type of
/// that key produced the listed address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bip137Match {
    pub pubkey: bitcoin::PublicKey,
    pub address_type: SingleKeyType,
    pub header: u8,
}

/// The BIP-137 / `signmessage` digest of `message`: the signed-message digest under Bitcoin's
/// header.
pub fn message_hash(message: &[u8]) -> [u8; 32] {
    signed_message::message_hash(signed_message::BITCOIN_HEADER, message)
}

/// Decodes a base64 BIP-137 signature into its 65 bytes, without allocating.
pub fn decode_signature(signature_b64: &str) -> Result<[u8; 65], SchemeError> {
    // 65 bytes are 88 base64 characters; a larger buffer lets a too-long input report its size.
    if signature_b64.len() > 200 {
        return Err(SchemeError::SignatureLength {
            expected: 65,
            found: signature_b64.len() / 4 * 3,
        });
    }
    let mut buf = [0u8; 160];
    let n = base64::engine::general_purpose::STANDARD
        .decode_slice(signature_b64.as_bytes(), &mut buf)
        .map_err(|_| SchemeError::SignatureNotBase64)?;
    let mut sig = [0u8; 65];
    match buf.get(..n) {
        Some(bytes) if n == 65 => sig.copy_from_slice(bytes),
        _ => {
            return Err(SchemeError::SignatureLength {
                expected: 65,
                found: n,
            })
        }
    }
    Ok(sig)
}

/// Recovers the signing key from a 65-byte BIP-137 signature over `digest` (see
/// [`message_hash`]). Returns the key (compressed or not, per the header) and the header byte.
pub fn recover(digest: &[u8; 32], sig: &[u8; 65]) -> Result<(bitcoin::PublicKey, u8), SchemeError> {
    let header = sig[0];
    if !(27..=42).contains(&header) {
        return Err(SchemeError::InvalidHeader(header));
    }
    let compressed = header >= 31;
    let recid = i32::from((header - 27) % 4);
    let recid = RecoveryId::from_i32(recid).map_err(|_| SchemeError::InvalidHeader(header))?;
    let compact = sig.get(1..).unwrap_or_default();
    let rsig = RecoverableSignature::from_compact(compact, recid)
        .map_err(|_| SchemeError::InvalidScalar)?;
    let msg = Message::from_digest(*digest);
    let inner = SECP256K1
        .recover_ecdsa(&msg, &rsig)
        .map_err(|_| SchemeError::PubkeyNotRecovered)?;
    Ok((bitcoin::PublicKey { compressed, inner }, header))
}

/// The address types a header allows, in the order they are tried.
fn allowed_types(header: u8) -> &'static [SingleKeyType] {
    match header {
        27..=30 => &[SingleKeyType::P2pkhUncompressed],
        31..=34 => &[
            SingleKeyType::P2pkhCompressed,
            SingleKeyType::P2shP2wpkh,
            SingleKeyType::P2wpkh,
        ],
        35..=38 => &[SingleKeyType::P2shP2wpkh],
        39..=42 => &[SingleKeyType::P2wpkh],
        _ => &[],
    }
}

/// Whether `pubkey` under `ty` has the payload of `data` (no allocation).
fn payload_matches(ty: SingleKeyType, pubkey: &bitcoin::PublicKey, data: &AddressData) -> bool {
    match (ty, data) {
        (SingleKeyType::P2pkhUncompressed, AddressData::P2pkh { pubkey_hash }) => {
            !pubkey.compressed && pubkey.pubkey_hash() == *pubkey_hash
        }
        (SingleKeyType::P2pkhCompressed, AddressData::P2pkh { pubkey_hash }) => {
            pubkey.compressed && pubkey.pubkey_hash() == *pubkey_hash
        }
        (SingleKeyType::P2shP2wpkh, AddressData::P2sh { script_hash }) => {
            let Ok(wpkh) = pubkey.wpubkey_hash() else {
                return false;
            };
            let mut redeem = [0u8; 22];
            redeem[0] = 0x00;
            redeem[1] = 0x14;
            if let Some(dst) = redeem.get_mut(2..) {
                dst.copy_from_slice(wpkh.as_byte_array());
            }
            hash160::Hash::hash(&redeem).to_byte_array() == script_hash.to_byte_array()
        }
        (SingleKeyType::P2wpkh, AddressData::Segwit { witness_program }) => {
            let Ok(wpkh) = pubkey.wpubkey_hash() else {
                return false;
            };
            witness_program.is_p2wpkh()
                && witness_program.program().as_bytes() == wpkh.as_byte_array()
        }
        _ => false,
    }
}

/// Verifies a base64 BIP-137 signature of `message` for `address`.
///
/// The address's network is not re-checked here: parse it with
/// [`parse_btc_address`](super::parse_btc_address), which does.
pub fn verify(
    message: &[u8],
    address: &bitcoin::Address,
    signature_b64: &str,
) -> Result<Bip137Match, SchemeError> {
    let data = address.to_address_data();
    if let AddressData::Segwit { witness_program } = &data {
        if !witness_program.is_p2wpkh() {
            let (address_type, hint) = if witness_program.is_p2tr() {
                ("p2tr", " (prove taproot with bip-322)")
            } else if witness_program.is_p2wsh() {
                (
                    "p2wsh",
                    " (prove a script address with multisig or bip-322)",
                )
            } else {
                ("segwit", "")
            };
            return Err(SchemeError::UnsupportedAddressType {
                scheme: "bip-137",
                address_type: address_type.to_owned(),
                address: address.to_string(),
                hint,
            });
        }
    }
    let sig = decode_signature(signature_b64)?;
    let digest = message_hash(message);
    let (pubkey, header) = recover(&digest, &sig)?;
    let types = allowed_types(header);
    if let Some(ty) = types
        .iter()
        .find(|ty| payload_matches(**ty, &pubkey, &data))
    {
        return Ok(Bip137Match {
            pubkey,
            address_type: *ty,
            header,
        });
    }
    Err(mismatch(address, &pubkey, types))
}

fn mismatch(
    address: &bitcoin::Address,
    pubkey: &bitcoin::PublicKey,
    types: &[SingleKeyType],
) -> SchemeError {
    // Render the found addresses in the listed address's own network.
    let network = [
        bitcoin::Network::Bitcoin,
        bitcoin::Network::Testnet,
        bitcoin::Network::Regtest,
    ]
    .into_iter()
    .find(|n| address.as_unchecked().is_valid_for_network(*n))
    .unwrap_or(bitcoin::Network::Bitcoin);
    let found: Vec<String> = types
        .iter()
        .filter_map(|ty| ty.address_of(pubkey, network))
        .map(|a| a.to_string())
        .collect();
    SchemeError::AddressMismatch {
        expected: address.to_string(),
        found: found.join(" / "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_bitcoin_crate_digest() {
        let m = "porsign test challenge";
        assert_eq!(
            message_hash(m.as_bytes()),
            bitcoin::sign_message::signed_msg_hash(m).to_byte_array()
        );
        let long = "x".repeat(300);
        assert_eq!(
            message_hash(long.as_bytes()),
            bitcoin::sign_message::signed_msg_hash(&long).to_byte_array()
        );
    }

    #[test]
    fn header_ranges() {
        for h in 0u8..=255 {
            let allowed = !allowed_types(h).is_empty();
            assert_eq!(allowed, (27..=42).contains(&h), "header {h}");
        }
    }
}
