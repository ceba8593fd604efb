//! What the Bitcoin app answers with `9000`, and the objects SIGN_PSBT yields.
//!
//! Each reply has `encode` (device side) and `decode` (host side). The decoders check lengths and
//! character sets only: cryptographic checks (does the xpub parse, does the signature recover the
//! key) belong to the host's scheme layer, which has the curve libraries this crate avoids.

use crate::error::DecodeError;
use crate::merkle::Hash;
use crate::reader::{ascii, Reader};
use crate::varint;

/// Base58 alphabet, to reject an xpub reply that cannot be one.
const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// GET_MASTER_FINGERPRINT reply: 4 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MasterFingerprint(pub [u8; 4]);

impl MasterFingerprint {
    /// Reply data.
    pub fn encode(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    /// Parses reply data.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let fpr = r.array("master fingerprint")?;
        r.finish("master fingerprint reply")?;
        Ok(Self(fpr))
    }
}

/// GET_EXTENDED_PUBKEY reply: the base58check xpub/tpub string, as ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtendedPubkey(pub String);

impl ExtendedPubkey {
    /// Reply data.
    pub fn encode(&self) -> Vec<u8> {
        self.0.as_bytes().to_vec()
    }

    /// Parses reply data: non-empty, base58 characters only.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        if data.is_empty() || !data.iter().all(|b| BASE58.contains(b)) {
            return Err(DecodeError::NotAscii {
                what: "extended pubkey (base58)",
            });
        }
        Ok(Self(ascii(data, "extended pubkey")?))
    }
}

/// GET_WALLET_ADDRESS reply: the address string, as ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WalletAddress(pub String);

impl WalletAddress {
    /// Reply data.
    pub fn encode(&self) -> Vec<u8> {
        self.0.as_bytes().to_vec()
    }

    /// Parses reply data: non-empty, ASCII letters and digits only (base58 or bech32).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        if data.is_empty() || !data.iter().all(u8::is_ascii_alphanumeric) {
            return Err(DecodeError::NotAscii { what: "address" });
        }
        Ok(Self(ascii(data, "address")?))
    }
}

/// REGISTER_WALLET reply: `32 wallet_id ‖ 32 hmac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisteredWallet {
    /// `SHA256` of the policy serialization.
    pub wallet_id: Hash,
    /// The device's HMAC over the id; needed for every later use of the policy.
    pub hmac: Hash,
}

impl RegisteredWallet {
    /// Reply data.
    pub fn encode(&self) -> Vec<u8> {
        [self.wallet_id, self.hmac].concat()
    }

    /// Parses reply data.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let wallet_id = r.array("wallet id")?;
        let hmac = r.array("wallet hmac")?;
        r.finish("register wallet reply")?;
        Ok(Self { wallet_id, hmac })
    }
}

/// SIGN_MESSAGE reply: `header ‖ r ‖ s` (65 bytes). The app always answers header 31 or 32
/// (BIP-137 "P2PKH compressed"), whatever the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageSignature {
    /// `27 + 4 + recovery id`.
    pub header: u8,
    /// `r`, big-endian.
    pub r: [u8; 32],
    /// `s`, big-endian.
    pub s: [u8; 32],
}

impl MessageSignature {
    /// The 65 bytes, as they go into a base64 BIP-137 signature.
    pub fn to_bytes(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        let (header, rs) = out.split_at_mut(1);
        let (r, s) = rs.split_at_mut(32);
        header.copy_from_slice(&[self.header]);
        r.copy_from_slice(&self.r);
        s.copy_from_slice(&self.s);
        out
    }

    /// Reply data.
    pub fn encode(&self) -> Vec<u8> {
        self.to_bytes().to_vec()
    }

    /// Parses reply data (exactly 65 bytes).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let sig = Self {
            header: r.u8("signature header")?,
            r: r.array("signature r")?,
            s: r.array("signature s")?,
        };
        r.finish("message signature")?;
        Ok(sig)
    }
}

/// Tag of a MuSig2 public-nonce yield.
pub const YIELD_MUSIG_PUBNONCE_TAG: u64 = 0xffff_ffff;
/// Tag of a MuSig2 partial-signature yield.
pub const YIELD_MUSIG_PARTIAL_SIGNATURE_TAG: u64 = 0xffff_fffe;
/// Tags at or above this value are reserved; below it the first varint is an input index.
pub const YIELD_RESERVED_TAG_MIN: u64 = 0x8000_0000;

/// One object SIGN_PSBT yields (client command `10`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum YieldedItem {
    /// `varint input_index ‖ u8 key_len ‖ key ‖ signature`: a partial signature. `key` is a
    /// 33-byte pubkey (ECDSA, DER signature with sighash byte), a 32-byte x-only key (Schnorr
    /// key path), or a 64-byte `x-only key ‖ tapleaf hash` (Schnorr script path).
    PartialSignature {
        /// The input the signature is for.
        input_index: u64,
        /// The key (augmented with a tapleaf hash for script-path spends).
        key: Vec<u8>,
        /// The signature bytes.
        signature: Vec<u8>,
    },
    /// A tagged object (MuSig2 nonce or partial signature, or a future kind): the tag, the
    /// input index, then the raw payload.
    Tagged {
        /// The tag (at least [`YIELD_RESERVED_TAG_MIN`]).
        tag: u64,
        /// The input it refers to.
        input_index: u64,
        /// The payload, kept verbatim.
        payload: Vec<u8>,
    },
}

impl YieldedItem {
    /// The yield's bytes (what follows the `10` code in the client command).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::PartialSignature {
                input_index,
                key,
                signature,
            } => {
                varint::encode_into(*input_index, &mut out);
                out.push(u8::try_from(key.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(key.get(..255).unwrap_or(key));
                out.extend_from_slice(signature);
            }
            Self::Tagged {
                tag,
                input_index,
                payload,
            } => {
                varint::encode_into(*tag, &mut out);
                varint::encode_into(*input_index, &mut out);
                out.extend_from_slice(payload);
            }
        }
        out
    }

    /// Parses one yield.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let first = r.varint("yield tag or input index")?;
        if first >= YIELD_RESERVED_TAG_MIN {
            let input_index = r.varint("yield input index")?;
            return Ok(Self::Tagged {
                tag: first,
                input_index,
                payload: r.rest().to_vec(),
            });
        }
        let key_len = usize::from(r.u8("yield key length")?);
        let key = r.take(key_len, "yield key")?.to_vec();
        let signature = r.rest().to_vec();
        if signature.is_empty() {
            return Err(DecodeError::Truncated {
                what: "yield signature",
                needed: 1,
            });
        }
        Ok(Self::PartialSignature {
            input_index: first,
            key,
            signature,
        })
    }
}

/// SIGN_PSBT's result: the final reply is empty, the signatures come as yields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignPsbtReply {
    /// Every yielded object, in order.
    pub yielded: Vec<YieldedItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_wpkh_yield() {
        // btc-bip322-signpsbt-wpkh: the app's partial signature for input 0.
        let data = hex::decode("0021031869567d5e88d988ff7baf6827983f89530ddd79dbaeadaa6ec538a8f03dea8b3045022100b5b83eedc9d43aec1732c2437664eea6cd7589bcc230fb607777bff899d1403a02201fe27ba3d87d10a6aa48a8e05d922b659fd2a32d93ab07340c13d2cc5ee99f9501").expect("hex");
        let item = YieldedItem::decode(&data).expect("valid yield");
        match &item {
            YieldedItem::PartialSignature {
                input_index,
                key,
                signature,
            } => {
                assert_eq!(*input_index, 0);
                assert_eq!(key.len(), 33);
                assert_eq!(signature.len(), 72);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(item.encode(), data);
    }

    #[test]
    fn tagged_yield() {
        let mut data = varint::encode(YIELD_MUSIG_PUBNONCE_TAG);
        data.extend_from_slice(&[7, 0xaa, 0xbb]);
        assert_eq!(
            YieldedItem::decode(&data),
            Ok(YieldedItem::Tagged {
                tag: YIELD_MUSIG_PUBNONCE_TAG,
                input_index: 7,
                payload: vec![0xaa, 0xbb]
            })
        );
    }
}
