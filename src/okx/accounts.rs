//! secp256k1 account chains: EVM, OKX's "ECDSA" chains (OKT, cosmos, filecoin, aelf, icon,
//! xrp) and TRON. A signature recovers a key; the key must produce the listed address, or, in
//! owner mode, the listed owner accounts (eoa1/eoa2), in which case the row proves the owners'
//! keys only ([`Proof::Owners`]).

use std::str::FromStr;

use secp256k1::PublicKey;

use super::address::{self as addr, AddressError};
use super::coins::{EcdsaAddress, EvmAddress};
use super::error::{addr_err, sig_err, RowFailure};
use super::verify::{no_owners, Proof, RowInput};
use crate::scheme::okx::{self as rules, HighS};
use crate::scheme::{EthAddress, SchemeError};

/// Ok(Ok(())) when `text` is the address of `key`; Ok(Err(own)) when it is another address
/// (`own` renders the key's address, computed only then); Err when `text` is no address.
pub(super) type Bound = Result<Result<(), String>, AddressError>;
pub(super) type Matcher<'f> = dyn Fn(&str, &PublicKey) -> Bound + 'f;

fn eth_text(address: &str) -> Result<EthAddress, AddressError> {
    EthAddress::from_str(address).map_err(|e| match e {
        SchemeError::EthAddressBadChecksum { .. } => AddressError::BadChecksum {
            address: address.to_owned(),
        },
        _ => AddressError::Undecodable {
            address: address.to_owned(),
            kind: "evm",
            reason: "not 0x followed by 40 hex digits",
        },
    })
}

/// Ok when equal, else the rendering of the key's own address.
fn same<T: PartialEq>(listed: T, own: T, render: impl FnOnce() -> String) -> Result<(), String> {
    if listed == own {
        Ok(())
    } else {
        Err(render())
    }
}

pub(super) fn evm_matches(kind: EvmAddress, text: &str, key: &PublicKey) -> Bound {
    let account = addr::eth_account(key);
    let render = || EthAddress(account).to_string();
    match kind {
        EvmAddress::Hex => Ok(same(eth_text(text)?.0, account, render)),
        EvmAddress::Filecoin if text.starts_with("0x") => {
            Ok(same(eth_text(text)?.0, account, render))
        }
        EvmAddress::Filecoin if text.starts_with("f410f") || text.starts_with("t410f") => {
            let mine = addr::filecoin_f410(&account);
            Ok(same(mine.get(1..), text.get(1..), || mine.clone()))
        }
        EvmAddress::Filecoin => Err(AddressError::Undecodable {
            address: text.to_owned(),
            kind: "filecoin evm",
            reason: "neither 0x nor f410f",
        }),
        EvmAddress::PlatOn => Ok(same(
            addr::bech32_payload(text, "lat", "platon")?.as_slice(),
            &account[..],
            || addr::bech32_encode("lat", &account),
        )),
    }
}

pub(super) fn ecdsa_matches(kind: EcdsaAddress, text: &str, key: &PublicKey) -> Bound {
    let undecodable = |kind: &'static str, reason: &'static str| AddressError::Undecodable {
        address: text.to_owned(),
        kind,
        reason,
    };
    match kind {
        EcdsaAddress::EthOrEx if text.starts_with("ex1") => {
            let account = addr::eth_account(key);
            Ok(same(
                addr::bech32_payload(text, "ex", "okt")?.as_slice(),
                &account[..],
                || addr::bech32_encode("ex", &account),
            ))
        }
        EcdsaAddress::EthOrEx => evm_matches(EvmAddress::Hex, text, key),
        EcdsaAddress::Cosmos(hrp) => {
            let account = addr::cosmos_account(key);
            Ok(same(
                addr::bech32_payload(text, hrp, "cosmos")?.as_slice(),
                &account[..],
                || addr::bech32_encode(hrp, &account),
            ))
        }
        EcdsaAddress::KeccakBech32(hrp) => {
            let account = addr::eth_account(key);
            Ok(same(
                addr::bech32_payload(text, hrp, "bech32")?.as_slice(),
                &account[..],
                || addr::bech32_encode(hrp, &account),
            ))
        }
        EcdsaAddress::FilecoinF1 => {
            if !(text.starts_with("f1") || text.starts_with("t1")) {
                return Err(undecodable("filecoin", "not an f1 (secp256k1) address"));
            }
            let mine = addr::filecoin_f1(key);
            Ok(same(mine.get(1..), text.get(1..), || mine.clone()))
        }
        EcdsaAddress::Elf => {
            let raw = addr::base58check(text, "aelf")?;
            let mine = addr::elf_address(key);
            let own = bitcoin::base58::decode_check(&mine).unwrap_or_default();
            Ok(same(raw, own, || mine.clone()))
        }
        EcdsaAddress::Icon => {
            let ok_shape = text.len() == 42
                && text.starts_with("hx")
                && text.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
            if !ok_shape {
                return Err(undecodable("icon", "not hx followed by 40 hex digits"));
            }
            let mine = addr::icx_address(key);
            Ok(same(
                mine.to_ascii_lowercase(),
                text.to_ascii_lowercase(),
                || mine.clone(),
            ))
        }
        EcdsaAddress::Ripple => {
            let account = addr::ripple_account(text)?;
            let mine = addr::cosmos_account(key);
            Ok(same(account, mine, || {
                format!("the account with hash160 {}", hex::encode(mine))
            }))
        }
    }
}

/// Accepts `02/03…` (33 bytes), `04…` (65 bytes) or a bare 64-byte x‖y, in hex.
fn parse_secp_pubkey(text: &str) -> Option<PublicKey> {
    let body = text.strip_prefix("0x").unwrap_or(text);
    let mut buf = [0u8; 65];
    let n = body.len() / 2;
    let bytes = buf.get_mut(..n)?;
    hex::decode_to_slice(body, bytes).ok()?;
    match n {
        33 | 65 => PublicKey::from_slice(bytes).ok(),
        64 => {
            let mut full = [0u8; 65];
            full[0] = 4;
            full.get_mut(1..)?.copy_from_slice(bytes);
            PublicKey::from_slice(&full).ok()
        }
        _ => None,
    }
}

fn is_staking(row: &RowInput<'_>) -> Option<&'static str> {
    let t = row.row_type?.trim();
    if t.eq_ignore_ascii_case("Native ETH Staking") {
        Some("native")
    } else if t.eq_ignore_ascii_case("Eigenlayer Staking") {
        Some("eigenlayer")
    } else {
        None
    }
}

/// EVM and "OKX ECDSA" rows: the signer is `address`, or the owner accounts eoa1/eoa2.
pub(super) fn verify_accounts(
    row: &RowInput<'_>,
    sig1: &str,
    digest: &[u8; 32],
    high_s: HighS,
    matches: &Matcher<'_>,
) -> Result<Proof, RowFailure> {
    let staking = is_staking(row);
    // Eigenlayer rows list the EigenPod contract as eoa2, which cannot sign: OKX skips eoa2
    // there. A filled signature2 is still checked against it (every filled column must verify).
    let eoa2 = if staking == Some("eigenlayer") && row.sig2.is_none() {
        None
    } else {
        row.eoa2
    };
    let recover = |column: &'static str, sig: &str| -> Result<PublicKey, RowFailure> {
        let bytes = rules::decode_hex_rsv(sig).map_err(sig_err(column))?;
        rules::recover_rsv(digest, &bytes, high_s).map_err(sig_err(column))
    };
    let check = |sig_col: &'static str,
                 sig: &str,
                 addr_col: &'static str,
                 text: &str|
     -> Result<PublicKey, RowFailure> {
        let key = recover(sig_col, sig)?;
        match matches(text, &key).map_err(addr_err(addr_col))? {
            Ok(()) => Ok(key),
            Err(own) => Err(RowFailure::KeyMismatch {
                column: sig_col,
                expected: text.to_owned(),
                found: own,
            }),
        }
    };
    let Some(eoa1) = row.eoa1 else {
        if let Some(e2) = eoa2 {
            let _ = e2;
            return Err(RowFailure::Unexpected {
                column: "eoa2",
                reason: "there is no eoa1",
            });
        }
        if row.sig2.is_some() {
            return Err(RowFailure::Unexpected {
                column: "signature2",
                reason: "no second owner (eoa2) is listed to check it against",
            });
        }
        let key = check("signature1", sig1, "address", row.address)?;
        check_pubkey_column(row.script, &key)?;
        return Ok(Proof::SingleKey);
    };
    // Owner mode: the listed address must still be well-formed.
    match staking {
        Some(_) => check_validator_key(row.address)?,
        None => {
            // Decodability only: the owners' control of it is on-chain.
            let probe =
                PublicKey::from_slice(&PROBE_KEY).map_err(|_| RowFailure::Missing("address"))?;
            // Whether the probe key matches is irrelevant: only decodability is asked.
            let _ = matches(row.address, &probe).map_err(addr_err("address"))?;
        }
    }
    check("signature1", sig1, "eoa1", eoa1)?;
    let Some(eoa2) = eoa2 else {
        if row.sig2.is_some() {
            return Err(RowFailure::Unexpected {
                column: "signature2",
                reason: "no second owner (eoa2) is listed to check it against",
            });
        }
        return Ok(Proof::Owners(1));
    };
    if eoa1.eq_ignore_ascii_case(eoa2) {
        return Err(RowFailure::DuplicateOwner(eoa1.to_owned()));
    }
    let sig2 = row.sig2.ok_or(RowFailure::Missing("signature2"))?;
    check("signature2", sig2, "eoa2", eoa2)?;
    Ok(Proof::Owners(2))
}

/// The generator point, compressed: any valid key serves to test that an address decodes.
const PROBE_KEY: [u8; 33] = [
    0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b,
    0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17,
    0x98,
];

/// Staking rows show the validator's BLS key (48 bytes) as the address.
fn check_validator_key(address: &str) -> Result<(), RowFailure> {
    let ok = address.len() == 98
        && address.starts_with("0x")
        && address.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(RowFailure::Address {
            column: "address",
            source: AddressError::Undecodable {
                address: address.to_owned(),
                kind: "validator",
                reason: "a staking row's address is a 48-byte validator key (0x + 96 hex digits)",
            },
        })
    }
}

/// A filled public-key column must be the signer's key.
fn check_pubkey_column(column: Option<&str>, signer: &PublicKey) -> Result<(), RowFailure> {
    let Some(text) = column else { return Ok(()) };
    let given = parse_secp_pubkey(text).ok_or(RowFailure::PubkeyEncoding {
        column: "redeem script/public key",
        reason: "not a hex secp256k1 public key",
    })?;
    if given == *signer {
        Ok(())
    } else {
        Err(RowFailure::KeyMismatch {
            column: "signature1",
            expected: format!("public key {text}"),
            found: format!("key {}", hex::encode(signer.serialize())),
        })
    }
}

/// TRON: v1 digest first, then v2, as OKX; the address is bound by base58check(0x41 ‖ account).
pub(super) fn verify_tron(
    row: &RowInput<'_>,
    sig1: &str,
    digests: [&[u8; 32]; 2],
) -> Result<Proof, RowFailure> {
    no_owners(row, "tron")?;
    if row.sig2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "signature2",
            reason: "a tron address is single-key",
        });
    }
    let account = addr::tron_account(row.address).map_err(addr_err("address"))?;
    let bytes = rules::decode_hex_rsv(sig1).map_err(sig_err("signature1"))?;
    let mut first: Option<Result<[u8; 20], SchemeError>> = None;
    for digest in digests {
        let recovered = rules::recover_rsv(digest, &bytes, HighS::Accept);
        if let Ok(key) = &recovered {
            if addr::eth_account(key) == account {
                check_pubkey_column(row.script, key)?;
                return Ok(Proof::SingleKey);
            }
        }
        first.get_or_insert(recovered.map(|k| addr::eth_account(&k)));
    }
    match first {
        Some(Ok(found)) => Err(RowFailure::KeyMismatch {
            column: "signature1",
            expected: row.address.to_owned(),
            found: addr::tron_address(&found),
        }),
        Some(Err(e)) => Err(sig_err("signature1")(e)),
        None => Err(RowFailure::Missing("signature1")),
    }
}
