//! Key → address rules of the non-Bitcoin chains in OKX files, and decoders for the listed
//! addresses. Each `*_matches` answers whether a public key owns an address string; a string
//! that does not decode is an error (fail closed), never a silent pass.

use bitcoin::bech32::primitives::decode::CheckedHrpstring;
use bitcoin::bech32::{Bech32, Hrp};
use bitcoin::hashes::{hash160, sha256, sha256d, Hash};
use blake2::digest::consts::{U28, U32, U4};
use blake2::{Blake2b, Blake2b512, Digest as _};
use sha3::Sha3_256;

use crate::scheme::EthAddress;

/// Why a listed address could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    #[error("address {address:?} has a bad checksum")]
    BadChecksum { address: String },
    #[error("cannot decode {address:?} as a {kind} address: {reason}")]
    Undecodable {
        address: String,
        kind: &'static str,
        reason: &'static str,
    },
}

fn undecodable(address: &str, kind: &'static str, reason: &'static str) -> AddressError {
    AddressError::Undecodable {
        address: address.to_owned(),
        kind,
        reason,
    }
}

/// Ethereum-style 20-byte account of a key (keccak of the uncompressed point).
pub fn eth_account(pubkey: &secp256k1::PublicKey) -> [u8; 20] {
    EthAddress::from_public_key(pubkey).0
}

/// Decodes a base58check string (Bitcoin alphabet), telling a checksum error from garbage.
pub fn base58check(address: &str, kind: &'static str) -> Result<Vec<u8>, AddressError> {
    match bitcoin::base58::decode_check(address) {
        Ok(v) => Ok(v),
        Err(bitcoin::base58::Error::IncorrectChecksum(_)) => Err(AddressError::BadChecksum {
            address: address.to_owned(),
        }),
        Err(bitcoin::base58::Error::TooShort(_)) => Err(undecodable(address, kind, "too short")),
        Err(_) => Err(undecodable(address, kind, "not base58")),
    }
}

/// TRON: base58check(0x41 ‖ 20-byte account).
pub fn tron_account(address: &str) -> Result<[u8; 20], AddressError> {
    let raw = base58check(address, "tron")?;
    match raw.split_first() {
        Some((0x41, rest)) => rest
            .try_into()
            .map_err(|_| undecodable(address, "tron", "payload is not 20 bytes")),
        _ => Err(undecodable(address, "tron", "version byte is not 0x41")),
    }
}

/// The TRON address of an account, for messages.
pub fn tron_address(account: &[u8; 20]) -> String {
    let mut data = [0u8; 21];
    data[0] = 0x41;
    if let Some(dst) = data.get_mut(1..) {
        dst.copy_from_slice(account);
    }
    bitcoin::base58::encode_check(&data)
}

/// Decodes a bech32 (not bech32m) string and requires its human-readable part.
pub fn bech32_payload(
    address: &str,
    hrp: &str,
    kind: &'static str,
) -> Result<Vec<u8>, AddressError> {
    let checked = match CheckedHrpstring::new::<Bech32>(address) {
        Ok(c) => c,
        Err(bitcoin::bech32::primitives::decode::CheckedHrpstringError::Checksum(_)) => {
            return Err(AddressError::BadChecksum {
                address: address.to_owned(),
            })
        }
        Err(_) => return Err(undecodable(address, kind, "not bech32")),
    };
    let want = Hrp::parse(hrp).map_err(|_| undecodable(address, kind, "bad prefix"))?;
    if checked.hrp() != want {
        return Err(undecodable(address, kind, "wrong bech32 prefix"));
    }
    Ok(checked.byte_iter().collect())
}

/// Encodes bytes as bech32 with `hrp` (for messages).
pub fn bech32_encode(hrp: &str, data: &[u8]) -> String {
    Hrp::parse(hrp)
        .ok()
        .and_then(|h| bitcoin::bech32::encode::<Bech32>(h, data).ok())
        .unwrap_or_default()
}

/// Cosmos SDK chains: bech32(hrp, RIPEMD160(SHA256(compressed key))).
pub fn cosmos_account(pubkey: &secp256k1::PublicKey) -> [u8; 20] {
    hash160::Hash::hash(&pubkey.serialize()).to_byte_array()
}

const BITCOIN_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const RIPPLE_ALPHABET: &[u8; 58] = b"rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

/// XRP Ledger classic address: base58check in Ripple's alphabet of 0x00 ‖ HASH160(key). Base58
/// works on digit positions, so the string is re-spelled in Bitcoin's alphabet and decoded
/// with the same checked decoder.
pub fn ripple_account(address: &str) -> Result<[u8; 20], AddressError> {
    let mut respelled = String::with_capacity(address.len());
    for c in address.bytes() {
        let pos = RIPPLE_ALPHABET
            .iter()
            .position(|&r| r == c)
            .ok_or_else(|| undecodable(address, "xrp", "not ripple base58"))?;
        respelled.push(char::from(
            BITCOIN_ALPHABET.get(pos).copied().unwrap_or(b'1'),
        ));
    }
    let raw = base58check(&respelled, "xrp").map_err(|e| match e {
        AddressError::BadChecksum { .. } => AddressError::BadChecksum {
            address: address.to_owned(),
        },
        _ => undecodable(address, "xrp", "not ripple base58check"),
    })?;
    match raw.split_first() {
        Some((0x00, rest)) => rest
            .try_into()
            .map_err(|_| undecodable(address, "xrp", "payload is not 20 bytes")),
        _ => Err(undecodable(address, "xrp", "version byte is not 0x00")),
    }
}

/// RFC 4648 base32 without padding, in the given alphabet.
fn base32(data: &[u8], alphabet: &[u8; 32]) -> String {
    let mut out = String::with_capacity(data.len() * 8 / 5 + 1);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let idx = ((acc >> bits) & 31) as usize;
            out.push(char::from(alphabet.get(idx).copied().unwrap_or(b'?')));
        }
    }
    if bits > 0 {
        let idx = ((acc << (5 - bits)) & 31) as usize;
        out.push(char::from(alphabet.get(idx).copied().unwrap_or(b'?')));
    }
    out
}

const BASE32_LOWER: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const BASE32_UPPER: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Filecoin secp256k1 (f1) address: "f1" + base32(blake2b-160(uncompressed key) ‖
/// blake2b-32(0x01 ‖ that hash)).
pub fn filecoin_f1(pubkey: &secp256k1::PublicKey) -> String {
    let payload: [u8; 20] =
        Blake2b::<blake2::digest::consts::U20>::digest(pubkey.serialize_uncompressed()).into();
    let mut check_input = [0u8; 21];
    check_input[0] = 1;
    if let Some(dst) = check_input.get_mut(1..) {
        dst.copy_from_slice(&payload);
    }
    let check: [u8; 4] = Blake2b::<U4>::digest(check_input).into();
    let mut data = Vec::with_capacity(24);
    data.extend_from_slice(&payload);
    data.extend_from_slice(&check);
    format!("f1{}", base32(&data, BASE32_LOWER))
}

/// Filecoin delegated (f410) address of an Ethereum account: "f410f" + base32(account ‖
/// blake2b-32(0x04 ‖ 0x0a ‖ account)).
pub fn filecoin_f410(account: &[u8; 20]) -> String {
    let mut check_input = [0u8; 22];
    check_input[0] = 4;
    check_input[1] = 10;
    if let Some(dst) = check_input.get_mut(2..) {
        dst.copy_from_slice(account);
    }
    let check: [u8; 4] = Blake2b::<U4>::digest(check_input).into();
    let mut data = Vec::with_capacity(24);
    data.extend_from_slice(account);
    data.extend_from_slice(&check);
    format!("f410f{}", base32(&data, BASE32_LOWER))
}

/// ICON: "hx" + last 20 bytes of SHA3-256(uncompressed key without its tag).
pub fn icx_address(pubkey: &secp256k1::PublicKey) -> String {
    let full = pubkey.serialize_uncompressed();
    let hash = Sha3_256::digest(full.get(1..).unwrap_or_default());
    format!("hx{}", hex::encode(hash.get(12..).unwrap_or_default()))
}

/// aelf: base58(SHA256d(uncompressed key)) with a 4-byte SHA256d checksum and no version.
pub fn elf_address(pubkey: &secp256k1::PublicKey) -> String {
    let h = sha256d::Hash::hash(&pubkey.serialize_uncompressed()).to_byte_array();
    bitcoin::base58::encode_check(&h)
}

/// Solana: the key itself in base58.
pub fn solana_matches(address: &str, pubkey: &[u8; 32]) -> Result<bool, AddressError> {
    let raw = bitcoin::base58::decode(address)
        .map_err(|_| undecodable(address, "solana", "not base58"))?;
    if raw.len() != 32 {
        return Err(undecodable(address, "solana", "not 32 bytes"));
    }
    Ok(raw.as_slice() == pubkey)
}

/// Aptos single-key account: SHA3-256(key ‖ 0x00), written in full or without leading zeros.
pub fn aptos_address(pubkey: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(pubkey);
    h.update([0u8]);
    h.finalize().into()
}

/// Parses an Aptos/Sui style `0x` + up to 64 hex digits into 32 bytes (left-padded).
pub fn hex32(address: &str, kind: &'static str) -> Result<[u8; 32], AddressError> {
    let body = address
        .strip_prefix("0x")
        .ok_or_else(|| undecodable(address, kind, "must start with 0x"))?;
    if body.is_empty() || body.len() > 64 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(undecodable(address, kind, "not 1 to 64 hex digits"));
    }
    let padded = format!("{body:0>64}");
    let mut out = [0u8; 32];
    hex::decode_to_slice(padded, &mut out).map_err(|_| undecodable(address, kind, "not hex"))?;
    Ok(out)
}

/// Sui: BLAKE2b-256(0x00 ‖ key).
pub fn sui_address(pubkey: &[u8; 32]) -> [u8; 32] {
    let mut h = Blake2b::<U32>::new();
    h.update([0u8]);
    h.update(pubkey);
    h.finalize().into()
}

/// Substrate SS58 address of a key under a network id.
pub fn ss58_address(pubkey: &[u8; 32], network: u16) -> String {
    let mut data = Vec::with_capacity(36);
    if network < 64 {
        data.push(network as u8);
    } else {
        data.push((((network & 0b1111_1100) >> 2) as u8) | 0b0100_0000);
        data.push(((network >> 8) as u8) | (((network & 0b11) as u8) << 6));
    }
    data.extend_from_slice(pubkey);
    let mut h = Blake2b512::new();
    h.update(b"SS58PRE");
    h.update(&data);
    let check = h.finalize();
    data.extend_from_slice(check.get(..2).unwrap_or_default());
    bitcoin::base58::encode(&data)
}

/// CRC-16/XMODEM, the checksum of Stellar's strkey.
fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Stellar account id: base32(0x30 ‖ key ‖ CRC16 little-endian).
pub fn stellar_address(pubkey: &[u8; 32]) -> String {
    let mut data = Vec::with_capacity(35);
    data.push(6 << 3);
    data.extend_from_slice(pubkey);
    let crc = crc16_xmodem(&data);
    data.extend_from_slice(&crc.to_le_bytes());
    base32(&data, BASE32_UPPER)
}

/// Cardano Shelley enterprise address (payment key only): bech32 "addr" of 0x61 ‖
/// BLAKE2b-224(key).
pub fn cardano_enterprise_address(pubkey: &[u8; 32]) -> String {
    let hash: [u8; 28] = Blake2b::<U28>::digest(pubkey).into();
    let mut data = Vec::with_capacity(29);
    data.push(0x61);
    data.extend_from_slice(&hash);
    bech32_encode("addr", &data)
}

/// What a CashAddr string holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CashAddrKind {
    P2pkh,
    P2sh,
}

const CASHADDR_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn cashaddr_polymod(values: impl Iterator<Item = u8>) -> u64 {
    const GEN: [u64; 5] = [
        0x98_f2bc_8e61,
        0x79_b76d_99e2,
        0xf3_3e5f_b3c4,
        0xae_2eab_e2a8,
        0x1e_4f43_e470,
    ];
    let mut c: u64 = 1;
    for d in values {
        let c0 = c >> 35;
        c = ((c & 0x07_ffff_ffff) << 5) ^ u64::from(d);
        for (i, g) in GEN.iter().enumerate() {
            if (c0 >> i) & 1 == 1 {
                c ^= g;
            }
        }
    }
    c ^ 1
}

/// Decodes a Bitcoin Cash / eCash CashAddr (with or without its `prefix:`) into its kind and
/// 20-byte hash.
pub fn cashaddr_decode(
    address: &str,
    prefix: &str,
) -> Result<(CashAddrKind, [u8; 20]), AddressError> {
    let kind = "cashaddr";
    let lower = address.to_ascii_lowercase();
    if lower != address && address.to_ascii_uppercase() != address {
        return Err(undecodable(address, kind, "mixed case"));
    }
    let payload = match lower.split_once(':') {
        Some((p, rest)) if p == prefix => rest,
        Some(_) => return Err(undecodable(address, kind, "wrong prefix")),
        None => lower.as_str(),
    };
    let mut values = Vec::with_capacity(payload.len());
    for c in payload.bytes() {
        let v = CASHADDR_CHARSET
            .iter()
            .position(|&x| x == c)
            .ok_or_else(|| undecodable(address, kind, "character outside the cashaddr charset"))?;
        values.push(v as u8);
    }
    if values.len() != 42 {
        return Err(undecodable(address, kind, "not a 160-bit cashaddr"));
    }
    let prefix_values = prefix.bytes().map(|b| b & 0x1f);
    let all = prefix_values
        .chain(std::iter::once(0))
        .chain(values.iter().copied());
    if cashaddr_polymod(all) != 0 {
        return Err(AddressError::BadChecksum {
            address: address.to_owned(),
        });
    }
    // 34 data characters (170 bits) carry the version byte and the 20-byte hash; 8 are checksum.
    let data = values.get(..34).unwrap_or_default();
    let mut bytes = Vec::with_capacity(21);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &v in data {
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push(((acc >> bits) & 0xff) as u8);
        }
    }
    if bits >= 5 || (acc & ((1 << bits) - 1)) != 0 {
        return Err(undecodable(address, kind, "non-zero padding"));
    }
    let (version, hash) = bytes
        .split_first()
        .ok_or_else(|| undecodable(address, kind, "empty"))?;
    let hash: [u8; 20] = hash
        .try_into()
        .map_err(|_| undecodable(address, kind, "hash is not 20 bytes"))?;
    match version {
        0x00 => Ok((CashAddrKind::P2pkh, hash)),
        0x08 => Ok((CashAddrKind::P2sh, hash)),
        _ => Err(undecodable(address, kind, "unknown version byte")),
    }
}

/// TON wallet contracts OKX derives addresses for (its `VerifyEd25519Coin`): wallet v3r2 with
/// the default subwallet, and highload wallet v3 (subwallet 4269, message TTL 12 h).
///
/// A TON address is the hash of the contract's StateInit cell (code and initial data). The
/// code cells are public and fixed, so their representation hashes and depths are constants:
/// wallet v3r2 (one cell, the well-known hash 84dafa44…), and highload v3 from
/// ton-blockchain/highload-wallet-contract-v3 @ 3d2843747b14bc2a8915606df736d47490cd3d49,
/// whose 16-cell code BOC hashes to 11acad79… at depth 6. Both were checked against the real
/// OKX row (USDT-TON, key 6711ba8e…, address UQB1CKrU…, a highload v3 wallet).
const WALLET_V3R2_CODE: (&str, u16) = (
    "84dafa449f98a6987789ba232358072bc0f76dc4524002a5d0918b9a75d2d599",
    0,
);
const HIGHLOAD_V3_CODE: (&str, u16) = (
    "11acad7955844090f283bf238bc1449871f783e7cc0979408d3f4859483e8525",
    6,
);
const WALLET_V3_SUBWALLET: u32 = 698_983_191;
const HIGHLOAD_V3_SUBWALLET: u32 = 4269;
const HIGHLOAD_V3_TTL: u32 = 43_200;

/// 64 hex digits to 32 bytes (the constants above are valid hex).
fn hex_literal(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = hex::decode_to_slice(hex, &mut out);
    out
}

/// Representation hash of an ordinary cell with byte-aligned data and no references.
fn leaf_cell_hash(data: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update([0u8, (data.len() * 2) as u8]);
    h.update(data);
    h.finalize().into()
}

/// Hash of a StateInit cell holding only code and data (`00110`: no split depth, no special,
/// code, data, no library): descriptors, the 5 bits padded, the two refs' depths and hashes.
fn state_init_hash(code: (&str, u16), data_hash: [u8; 32]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update([2u8, 1, 0x34]);
    h.update(code.1.to_be_bytes());
    h.update(0u16.to_be_bytes());
    h.update(hex_literal(code.0));
    h.update(data_hash);
    h.finalize().into()
}

/// The account ids (workchain 0) of the two TON wallets OKX accepts for an Ed25519 key.
pub fn ton_wallet_accounts(pubkey: &[u8; 32]) -> [[u8; 32]; 2] {
    // Wallet v3 data: seqno 0, subwallet, key.
    let mut v3 = Vec::with_capacity(40);
    v3.extend_from_slice(&0u32.to_be_bytes());
    v3.extend_from_slice(&WALLET_V3_SUBWALLET.to_be_bytes());
    v3.extend_from_slice(pubkey);
    // Highload v3 data: key, subwallet, 66 zero bits (two empty dicts, last clean time),
    // 22-bit TTL: 376 bits, byte-aligned.
    let mut hl = Vec::with_capacity(47);
    hl.extend_from_slice(pubkey);
    hl.extend_from_slice(&HIGHLOAD_V3_SUBWALLET.to_be_bytes());
    hl.extend_from_slice(&[0u8; 8]);
    hl.extend_from_slice(HIGHLOAD_V3_TTL.to_be_bytes().get(1..).unwrap_or_default());
    [
        state_init_hash(WALLET_V3R2_CODE, leaf_cell_hash(&v3)),
        state_init_hash(HIGHLOAD_V3_CODE, leaf_cell_hash(&hl)),
    ]
}

/// Decodes a TON mainnet address, user-friendly (48 base64 or base64url characters:
/// flags, workchain, hash, CRC16) or raw (`0:` + 64 hex digits), on workchain 0.
pub fn ton_account(address: &str) -> Result<[u8; 32], AddressError> {
    let kind = "ton";
    if let Some(hex_part) = address.strip_prefix("0:") {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out)
            .map_err(|_| undecodable(address, kind, "raw form is 0: and 64 hex digits"))?;
        return Ok(out);
    }
    use base64::Engine as _;
    if address.len() != 48 {
        return Err(undecodable(address, kind, "not 48 characters"));
    }
    let mut raw = [0u8; 36];
    let standard = address.replace('-', "+").replace('_', "/");
    let n = base64::engine::general_purpose::STANDARD
        .decode_slice(standard.as_bytes(), &mut raw)
        .map_err(|_| undecodable(address, kind, "not base64"))?;
    if n != 36 {
        return Err(undecodable(address, kind, "not 36 bytes"));
    }
    let (body, crc) = raw.split_at(34);
    if crc16_xmodem(body).to_be_bytes() != crc {
        return Err(AddressError::BadChecksum {
            address: address.to_owned(),
        });
    }
    match body {
        [0x11 | 0x51, 0, hash @ ..] => hash
            .try_into()
            .map_err(|_| undecodable(address, kind, "hash is not 32 bytes")),
        [0x11 | 0x51, ..] => Err(undecodable(address, kind, "not on workchain 0")),
        _ => Err(undecodable(address, kind, "not a mainnet address")),
    }
}

/// SHA-256 of `data`, for callers that hash scripts.
pub fn sha256_of(data: &[u8]) -> [u8; 32] {
    sha256::Hash::hash(data).to_byte_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cashaddr_spec_vector() {
        // From the CashAddr specification's examples: the same hash as 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu.
        let (kind, hash) = cashaddr_decode(
            "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
            "bitcoincash",
        )
        .unwrap();
        assert_eq!(kind, CashAddrKind::P2pkh);
        let legacy = bitcoin::base58::decode_check("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu").unwrap();
        assert_eq!(legacy.get(1..), Some(&hash[..]));
        assert!(matches!(
            cashaddr_decode(
                "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c",
                "bitcoincash"
            ),
            Err(AddressError::BadChecksum { .. })
        ));
    }

    #[test]
    fn ton_highload_v3_known_answer() {
        // The USDT-TON row of OKX's okx_por_example.csv (2962a89): this key's highload v3
        // wallet is UQB1CKrU... (non-bounceable form).
        let key = hex_literal("6711ba8eaa47855b01d73e3849cd93861b1c11d7a86ae5fb8f96bb63d9be5a6b");
        let listed = ton_account("UQB1CKrUWm7qf41Z1GeEE6AgVVj5cH6y6x1aRmWe6q4mj1fn").unwrap();
        assert_eq!(ton_wallet_accounts(&key)[1], listed);
        assert!(matches!(
            ton_account("UQB1CKrUWm7qf41Z1GeEE6AgVVj5cH6y6x1aRmWe6q4mj1fm"),
            Err(AddressError::BadChecksum { .. })
        ));
    }

    #[test]
    fn crc16_xmodem_check_value() {
        // The catalogue check value of CRC-16/XMODEM over "123456789".
        assert_eq!(crc16_xmodem(b"123456789"), 0x31c3);
    }

    #[test]
    fn base32_rfc4648_vector() {
        assert_eq!(base32(b"foobar", BASE32_UPPER), "MZXW6YTBOI");
    }
}
