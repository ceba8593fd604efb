//! UTXO coins (BTC and its forks): address decoding per coin, single-key and m-of-n multisig
//! proofs with BIP-137-style signatures under the coin's own message header.
//!
//! Stricter than OKX (okx-formats.md §3.1): an address that does not decode fails (OKX passes
//! it), the address type is decoded rather than guessed from its first character (so P2WPKH and
//! P2SH-P2WPKH single-key addresses work), a multisig needs m *distinct* keys of the script, and
//! every column that is filled must be checked by the proof.

use bitcoin::hashes::{hash160, Hash};
use secp256k1::PublicKey;

use super::address::{self, base58check, cashaddr_decode, AddressError, CashAddrKind};
use super::error::{addr_err, sig_err, RowFailure};
use crate::scheme::bip137;
use crate::scheme::okx::{decode_hex_rsv, recover_rsv, HighS};
use crate::scheme::signed_message::BITCOIN_HEADER as BTC_HEADER;

/// Address and message parameters of one UTXO chain.
#[derive(Debug)]
pub struct UtxoParams {
    pub name: &'static str,
    /// The message header the coin's wallets sign under.
    pub header: &'static str,
    pub p2pkh: &'static [u8],
    pub p2sh: &'static [u8],
    /// Segwit human-readable part, where the chain has segwit.
    pub hrp: Option<&'static str>,
    /// CashAddr prefixes accepted (Bitcoin Cash family).
    pub cashaddr: &'static [&'static str],
}

macro_rules! utxo {
    ($id:ident, $name:expr, $header:expr, $p2pkh:expr, $p2sh:expr, $hrp:expr, $cash:expr) => {
        pub static $id: UtxoParams = UtxoParams {
            name: $name,
            header: $header,
            p2pkh: $p2pkh,
            p2sh: $p2sh,
            hrp: $hrp,
            cashaddr: $cash,
        };
    };
}

// Version bytes and headers as in OKX's common/utxo.go and common/coin.go.
utxo!(
    BTC,
    "bitcoin",
    BTC_HEADER,
    &[0x00],
    &[0x05],
    Some("bc"),
    &[]
);
utxo!(
    BCD,
    "bitcoin diamond",
    "Bitcoindiamond Signed Message:\n",
    &[0x00],
    &[0x05],
    Some("bc"),
    &[]
);
utxo!(
    BCH,
    "bitcoin cash",
    BTC_HEADER,
    &[0x00],
    &[0x05],
    None,
    &["bitcoincash"]
);
utxo!(
    XEC,
    "ecash",
    BTC_HEADER,
    &[0x00],
    &[0x05],
    None,
    &["ecash", "bitcoincash"]
);
utxo!(
    LTC,
    "litecoin",
    "Litecoin Signed Message:\n",
    &[48],
    &[50],
    Some("ltc"),
    &[]
);
utxo!(
    DOGE,
    "dogecoin",
    "Dogecoin Signed Message:\n",
    &[30],
    &[22],
    None,
    &[]
);
utxo!(
    DASH,
    "dash",
    "DarkCoin Signed Message:\n",
    &[76],
    &[16],
    None,
    &[]
);
utxo!(
    BTG,
    "bitcoin gold",
    "Bitcoin Gold Signed Message:\n",
    &[38],
    &[23],
    Some("btg"),
    &[]
);
utxo!(
    DGB,
    "digibyte",
    "DigiByte Signed Message:\n",
    &[30],
    &[63],
    Some("dgb"),
    &[]
);
utxo!(
    QTUM,
    "qtum",
    "Qtum Signed Message:\n",
    &[58],
    &[50],
    Some("qc"),
    &[]
);
utxo!(
    RVN,
    "ravencoin",
    "Raven Signed Message:\n",
    &[60],
    &[122],
    None,
    &[]
);
utxo!(
    ZEC,
    "zcash",
    "Zcash Signed Message:\n",
    &[0x1c, 0xb8],
    &[0x1c, 0xbd],
    None,
    &[]
);

/// Every distinct header, so message digests can be computed once per file.
pub const ALL_PARAMS: [&UtxoParams; 12] = [
    &BTC, &BCD, &BCH, &XEC, &LTC, &DOGE, &DASH, &BTG, &DGB, &QTUM, &RVN, &ZEC,
];

/// A decoded UTXO address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UtxoAddress {
    P2pkh([u8; 20]),
    P2sh([u8; 20]),
    P2wpkh([u8; 20]),
    P2wsh([u8; 32]),
}

/// Decodes `address` as an address of the chain (fails closed: OKX treats an undecodable
/// address as verified).
pub fn decode_address(params: &UtxoParams, address: &str) -> Result<UtxoAddress, AddressError> {
    let undecodable = |reason| AddressError::Undecodable {
        address: address.to_owned(),
        kind: params.name,
        reason,
    };
    if !params.cashaddr.is_empty() {
        let lower = address.to_ascii_lowercase();
        let explicit = params
            .cashaddr
            .iter()
            .find(|p| lower.starts_with(&format!("{p}:")));
        let bare = !lower.contains(':') && (lower.starts_with('q') || lower.starts_with('p'));
        if let Some(prefix) = explicit {
            return cash(address, prefix);
        }
        if bare {
            // A bare CashAddr carries no prefix, but its checksum covers one: try each.
            let mut last = None;
            for prefix in params.cashaddr {
                match cash(address, prefix) {
                    Ok(a) => return Ok(a),
                    Err(e) => last = Some(e),
                }
            }
            return Err(last.unwrap_or_else(|| undecodable("not a cashaddr")));
        }
    }
    if let Some(hrp) = params.hrp {
        let lower = address.to_ascii_lowercase();
        if lower.starts_with(&format!("{hrp}1")) {
            return segwit(params, address, hrp);
        }
    }
    let raw = base58check(address, params.name)?;
    let (version, payload) = if raw.starts_with(params.p2pkh) {
        (true, raw.get(params.p2pkh.len()..))
    } else if raw.starts_with(params.p2sh) {
        (false, raw.get(params.p2sh.len()..))
    } else {
        return Err(undecodable("version byte of another chain"));
    };
    let hash: [u8; 20] = payload
        .and_then(|p| p.try_into().ok())
        .ok_or_else(|| undecodable("payload is not 20 bytes"))?;
    Ok(if version {
        UtxoAddress::P2pkh(hash)
    } else {
        UtxoAddress::P2sh(hash)
    })
}

fn cash(address: &str, prefix: &str) -> Result<UtxoAddress, AddressError> {
    let (kind, hash) = cashaddr_decode(address, prefix)?;
    Ok(match kind {
        CashAddrKind::P2pkh => UtxoAddress::P2pkh(hash),
        CashAddrKind::P2sh => UtxoAddress::P2sh(hash),
    })
}

fn segwit(params: &UtxoParams, address: &str, hrp: &str) -> Result<UtxoAddress, AddressError> {
    use bitcoin::bech32::primitives::decode::{SegwitHrpstring, SegwitHrpstringError};
    let undecodable = |reason| AddressError::Undecodable {
        address: address.to_owned(),
        kind: params.name,
        reason,
    };
    let parsed = match SegwitHrpstring::new(address) {
        Ok(p) => p,
        Err(SegwitHrpstringError::Checksum(_)) => {
            return Err(AddressError::BadChecksum {
                address: address.to_owned(),
            })
        }
        Err(_) => return Err(undecodable("not a segwit address")),
    };
    if parsed.hrp().to_lowercase() != hrp {
        return Err(undecodable("segwit prefix of another chain"));
    }
    let version = parsed.witness_version().to_u8();
    let program: Vec<u8> = parsed.byte_iter().collect();
    match (version, program.len()) {
        (0, 20) => Ok(UtxoAddress::P2wpkh(program.try_into().unwrap_or([0; 20]))),
        (0, 32) => Ok(UtxoAddress::P2wsh(program.try_into().unwrap_or([0; 32]))),
        (1, _) => Err(undecodable(
            "taproot (p2tr) cannot be proven by a message signature; it needs bip-322",
        )),
        _ => Err(undecodable("unknown witness version or program length")),
    }
}

/// The signature columns and script of a UTXO row.
#[derive(Clone, Copy, Debug)]
pub struct UtxoColumns<'a> {
    pub sig1: &'a str,
    pub sig2: Option<&'a str>,
    pub script: Option<&'a str>,
}

/// The two digests a UTXO signature may be over: the coin's BIP-137 digest (base64 signatures)
/// and OKX's ECDSA digest (the `0x` r‖s‖v form OKX also accepts).
#[derive(Clone, Copy, Debug)]
pub struct UtxoDigests {
    pub compact: [u8; 32],
    pub okx_hex: [u8; 32],
}

/// What a valid UTXO proof showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UtxoProof {
    SingleKey,
    Multisig { required: u8, keys: u8 },
}

/// A recovered signer: the key and the BIP-137 header (None for hex signatures, whose key is
/// taken compressed as OKX does).
struct Signer {
    key: PublicKey,
    header: Option<u8>,
}

fn recover(
    column: &'static str,
    signature: &str,
    digests: &UtxoDigests,
) -> Result<Signer, RowFailure> {
    if signature.starts_with("0x") {
        let sig = decode_hex_rsv(signature).map_err(sig_err(column))?;
        let key = recover_rsv(&digests.okx_hex, &sig, HighS::Accept).map_err(sig_err(column))?;
        return Ok(Signer { key, header: None });
    }
    let sig = bip137::decode_signature(signature).map_err(sig_err(column))?;
    let (key, header) = bip137::recover(&digests.compact, &sig).map_err(sig_err(column))?;
    Ok(Signer {
        key: key.inner,
        header: Some(header),
    })
}

/// Verifies a UTXO row.
pub fn verify(
    params: &UtxoParams,
    address_text: &str,
    cols: UtxoColumns<'_>,
    digests: &UtxoDigests,
) -> Result<UtxoProof, RowFailure> {
    let address = decode_address(params, address_text).map_err(addr_err("address"))?;
    match (address, cols.script) {
        (UtxoAddress::P2sh(_) | UtxoAddress::P2wsh(_), Some(script)) if !is_pubkey_hex(script) => {
            verify_multisig(address_text, address, cols, script, digests)
        }
        (UtxoAddress::P2wsh(_), _) => Err(RowFailure::ScriptRequired {
            kind: "p2wsh",
            address: address_text.to_owned(),
        }),
        _ => verify_single(address_text, address, cols, digests),
    }
}

fn is_pubkey_hex(text: &str) -> bool {
    (text.len() == 66 && (text.starts_with("02") || text.starts_with("03")))
        || (text.len() == 130 && text.starts_with("04"))
}

fn verify_single(
    address_text: &str,
    address: UtxoAddress,
    cols: UtxoColumns<'_>,
    digests: &UtxoDigests,
) -> Result<UtxoProof, RowFailure> {
    if cols.sig2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "signature2",
            reason: "a single-key address has nothing to check a second signature against",
        });
    }
    let signer = recover("signature1", cols.sig1, digests)?;
    let compressed = signer.header.map_or(true, |h| h >= 31);
    let pub33 = signer.key.serialize();
    let wpkh = hash160::Hash::hash(&pub33).to_byte_array();
    // Header ranges as BIP-137: 27-30 uncompressed P2PKH, 31-34 any compressed type (the
    // Electrum convention Ledger follows), 35-38 P2SH-P2WPKH, 39-42 P2WPKH.
    let header = signer.header.unwrap_or(31);
    let matched = match address {
        UtxoAddress::P2pkh(h) if compressed && header <= 34 => wpkh == h,
        UtxoAddress::P2pkh(h) if !compressed => {
            hash160::Hash::hash(&signer.key.serialize_uncompressed()).to_byte_array() == h
        }
        UtxoAddress::P2sh(h) if compressed && !(39..=42).contains(&header) => {
            let mut redeem = [0u8; 22];
            redeem[1] = 0x14;
            if let Some(dst) = redeem.get_mut(2..) {
                dst.copy_from_slice(&wpkh);
            }
            hash160::Hash::hash(&redeem).to_byte_array() == h
        }
        UtxoAddress::P2wpkh(h) if compressed && !(35..=38).contains(&header) => wpkh == h,
        _ => false,
    };
    if !matched {
        return Err(RowFailure::KeyMismatch {
            column: "signature1",
            expected: address_text.to_owned(),
            found: format!("key {}", hex::encode(pub33)),
        });
    }
    if let Some(given) = cols.script {
        // The column may carry the signer's public key; if it does, it must be the signer.
        let mut buf = [0u8; 65];
        let n = given.len() / 2;
        let key = buf
            .get_mut(..n)
            .and_then(|dst| hex::decode_to_slice(given, dst).ok().map(|()| &*dst))
            .and_then(|bytes| PublicKey::from_slice(bytes).ok())
            .ok_or(RowFailure::PubkeyEncoding {
                column: "redeem script/public key",
                reason: "not a hex secp256k1 public key",
            })?;
        if key != signer.key {
            return Err(RowFailure::KeyMismatch {
                column: "signature1",
                expected: format!("public key {given}"),
                found: format!("key {}", hex::encode(pub33)),
            });
        }
    }
    Ok(UtxoProof::SingleKey)
}

/// A multisig script as the verifier needs it: m, and the keys in compressed form.
#[derive(Debug)]
struct ParsedScript {
    required: usize,
    keys: Vec<[u8; 33]>,
}

/// Parses `OP_m <key>.. OP_n OP_CHECKMULTISIG` strictly (minimal pushes, 1 <= m <= n <= 16,
/// 33-byte keys tagged 02/03 or 65-byte keys tagged 04, no key twice).
///
/// Compressed keys are not decompressed here: a signing key is proven valid by the recovery
/// that matched it, and decompressing the other keys cost more than two recoveries' worth of
/// overhead per row in the benchmark (real files rarely repeat a script, so a cache of parsed
/// scripts does not pay either). Uncompressed keys are parsed (no square root needed) so that
/// one key written in both forms still counts once.
fn parse_multisig(script: &[u8]) -> Result<ParsedScript, String> {
    let bad = |why: &str| Err(why.to_owned());
    let (&first, rest) = match script.split_first() {
        Some(x) => x,
        None => return bad("empty script"),
    };
    let (&last, rest) = match rest.split_last() {
        Some(x) => x,
        None => return bad("too short"),
    };
    let (&n_op, mut body) = match rest.split_last() {
        Some(x) => x,
        None => return bad("too short"),
    };
    if last != 0xae {
        return bad("does not end with OP_CHECKMULTISIG");
    }
    if !(0x51..=0x60).contains(&first) || !(0x51..=0x60).contains(&n_op) {
        return bad("m and n must be OP_1..OP_16");
    }
    let m = usize::from(first - 0x50);
    let n = usize::from(n_op - 0x50);
    let mut keys: Vec<[u8; 33]> = Vec::with_capacity(n);
    while let Some((&len, tail)) = body.split_first() {
        let len = usize::from(len);
        let key = tail
            .get(..len)
            .ok_or_else(|| "truncated key push".to_owned())?;
        let compressed: [u8; 33] = match (len, key.first()) {
            (33, Some(0x02 | 0x03)) => key.try_into().map_err(|_| "bad key".to_owned())?,
            (65, Some(0x04)) => PublicKey::from_slice(key)
                .map_err(|_| "invalid uncompressed public key".to_owned())?
                .serialize(),
            _ => return bad("a push that is not a 33- or 65-byte public key"),
        };
        if keys.contains(&compressed) {
            return bad("the same key appears twice");
        }
        keys.push(compressed);
        body = tail.get(len..).unwrap_or_default();
    }
    if keys.len() != n {
        return bad("key count n does not match the number of keys");
    }
    if m > n {
        return bad("threshold m is larger than the number of keys");
    }
    Ok(ParsedScript { required: m, keys })
}

/// The largest P2SH redeem script (the consensus push limit).
const MAX_P2SH_SCRIPT: usize = 520;

fn verify_multisig(
    address_text: &str,
    address: UtxoAddress,
    cols: UtxoColumns<'_>,
    script_hex: &str,
    digests: &UtxoDigests,
) -> Result<UtxoProof, RowFailure> {
    let script =
        hex::decode(script_hex).map_err(|_| RowFailure::ScriptMalformed("not hex".to_owned()))?;
    let mismatch = |wrapping| RowFailure::ScriptMismatch {
        address: address_text.to_owned(),
        wrapping,
    };
    match address {
        UtxoAddress::P2sh(h) => {
            let direct = hash160::Hash::hash(&script).to_byte_array() == h;
            if direct && script.len() > MAX_P2SH_SCRIPT {
                return Err(RowFailure::ScriptMalformed(
                    "larger than 520 bytes: cannot be spent as p2sh".to_owned(),
                ));
            }
            if !direct {
                let mut nested = [0u8; 34];
                nested[1] = 0x20;
                if let Some(dst) = nested.get_mut(2..) {
                    dst.copy_from_slice(&address::sha256_of(&script));
                }
                if hash160::Hash::hash(&nested).to_byte_array() != h {
                    return Err(mismatch("p2sh or p2sh-p2wsh"));
                }
            }
        }
        UtxoAddress::P2wsh(p) => {
            if address::sha256_of(&script) != p {
                return Err(mismatch("p2wsh"));
            }
        }
        UtxoAddress::P2pkh(_) | UtxoAddress::P2wpkh(_) => {
            return Err(RowFailure::UnsupportedAddressType {
                address_type: "single-key",
                hint: " with a redeem script",
            })
        }
    }
    let parsed = parse_multisig(&script).map_err(RowFailure::ScriptMalformed)?;
    let mut signed: [Option<usize>; 2] = [None, None];
    let columns = [("signature1", Some(cols.sig1)), ("signature2", cols.sig2)];
    for (slot, (column, sig)) in signed.iter_mut().zip(columns) {
        let Some(sig) = sig else { continue };
        let signer = recover(column, sig, digests)?;
        // Script keys are compressed (33 bytes): a cosigner's BIP-137 header must say so
        // (31..=34). 35..=42 declare a single-key segwit address and 27..=30 an uncompressed key;
        // accepting them would let one signature be written several ways.
        if let Some(header) = signer.header.filter(|h| !(31..=34).contains(h)) {
            return Err(sig_err(column)(crate::scheme::SchemeError::InvalidHeader(
                header,
            )));
        }
        let pub33 = signer.key.serialize();
        let Some(index) = parsed.keys.iter().position(|k| *k == pub33) else {
            return Err(RowFailure::SignerNotInScript {
                column,
                pubkey: hex::encode(pub33),
            });
        };
        *slot = Some(index);
    }
    if let [Some(a), Some(b)] = signed {
        if a == b {
            return Err(RowFailure::DuplicateSigner {
                column: "signature2",
                pubkey: parsed.keys.get(b).map(hex::encode).unwrap_or_default(),
            });
        }
    }
    let distinct = signed.iter().flatten().count();
    if distinct < parsed.required {
        return Err(RowFailure::Threshold {
            required: parsed.required,
            keys: parsed.keys.len(),
            distinct,
        });
    }
    Ok(UtxoProof::Multisig {
        required: u8::try_from(parsed.required).unwrap_or(u8::MAX),
        keys: u8::try_from(parsed.keys.len()).unwrap_or(u8::MAX),
    })
}
