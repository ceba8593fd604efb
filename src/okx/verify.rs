//! One row: pick the coin's rule, check the message, verify every signature, bind every key to
//! the address it claims. Pure and `Sync`: rows are verified in parallel.

use std::borrow::Cow;
use std::str::FromStr;

use secp256k1::PublicKey;

use super::address::{self as addr, AddressError};
use super::coins::{self, EcdsaAddress, Ed25519Address, EvmAddress, Family};
use super::error::{addr_err, sig_err, RowFailure};
use super::utxo::{self, UtxoColumns, UtxoDigests, UtxoParams};
use crate::scheme::okx::{self as rules, HighS, OkxSchemeError};
use crate::scheme::{EthAddress, SchemeError};

/// The cells of one row that verification reads (absent cells are None).
#[derive(Clone, Copy, Debug, Default)]
pub struct RowInput<'a> {
    /// The name that chooses the rule: `coin` (detail layouts) or `network` (auditor layout).
    pub coin: &'a str,
    /// The 12-column layout's `Type` (staking kind).
    pub row_type: Option<&'a str>,
    pub address: &'a str,
    pub message: &'a str,
    pub sig1: Option<&'a str>,
    pub sig2: Option<&'a str>,
    /// `redeem script/ public key` (or `publicKey`).
    pub script: Option<&'a str>,
    pub eoa1: Option<&'a str>,
    pub eoa2: Option<&'a str>,
}

/// What a valid row proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// One key signed and owns the address.
    SingleKey,
    /// m distinct keys of the address's multisig script signed.
    Multisig { required: u8, keys: u8 },
    /// The signatures are from owner accounts (eoa1/eoa2, or an Aptos authentication key)
    /// listed beside a contract, staking or rotated address: the keys own the owners; that the
    /// owners control `address` is on-chain state a file cannot prove.
    Owners(u8),
}

/// The digests of one message under every rule, computed once per file.
#[derive(Clone, Debug)]
struct Digests {
    message: String,
    utxo: [[u8; 32]; utxo::ALL_PARAMS.len()],
    okx_ecdsa: [u8; 32],
    evm: [u8; 32],
    tron_v1: [u8; 32],
    tron_v2: [u8; 32],
    eos: [u8; 32],
    ed25519: Vec<u8>,
}

impl Digests {
    fn new(message: &str) -> Self {
        let m = message.as_bytes();
        let mut utxo = [[0u8; 32]; utxo::ALL_PARAMS.len()];
        for (slot, p) in utxo.iter_mut().zip(utxo::ALL_PARAMS) {
            *slot = rules::utxo_message_hash(p.header, m);
        }
        Digests {
            message: message.to_owned(),
            utxo,
            okx_ecdsa: rules::okx_ecdsa_hash(m),
            evm: rules::evm_message_hash(m),
            tron_v1: rules::tron_v1_hash(m),
            tron_v2: rules::tron_v2_hash(m),
            eos: rules::eos_hash(m),
            ed25519: rules::ed25519_payload(m),
        }
    }

    fn utxo(&self, params: &UtxoParams) -> UtxoDigests {
        let compact = utxo::ALL_PARAMS
            .iter()
            .zip(&self.utxo)
            .find(|(p, _)| std::ptr::eq(**p, params))
            .map(|(_, d)| *d)
            .unwrap_or_else(|| rules::utxo_message_hash(params.header, self.message.as_bytes()));
        UtxoDigests {
            compact,
            okx_hex: self.okx_ecdsa,
        }
    }
}

/// Verifies rows against an optional expected message.
#[derive(Clone, Debug)]
pub struct Verifier {
    expected: Option<String>,
    primary: Digests,
}

impl Verifier {
    /// `expected`: the message every row must have signed (`--message`). Without it each row
    /// is checked against its own message, as OKX's tool does. `likely` is the message most
    /// rows carry (digests for it are computed once).
    pub fn new(expected: Option<String>, likely: &str) -> Self {
        let primary = Digests::new(expected.as_deref().unwrap_or(likely));
        Verifier { expected, primary }
    }

    /// The message rows must sign, if one was set.
    pub fn expected(&self) -> Option<&str> {
        self.expected.as_deref()
    }

    fn digests(&self, message: &str) -> Cow<'_, Digests> {
        if message == self.primary.message {
            Cow::Borrowed(&self.primary)
        } else {
            Cow::Owned(Digests::new(message))
        }
    }

    /// Verifies one row.
    pub fn verify(&self, row: &RowInput<'_>) -> Result<Proof, RowFailure> {
        if row.message.is_empty() {
            return Err(RowFailure::Missing("message"));
        }
        if let Some(expected) = &self.expected {
            if row.message != expected {
                return Err(RowFailure::MessageMismatch {
                    expected: expected.clone(),
                    found: row.message.to_owned(),
                });
            }
        }
        let family =
            coins::lookup(row.coin).ok_or_else(|| RowFailure::UnknownCoin(row.coin.to_owned()))?;
        if let Family::Unsupported(reason) = family {
            return Err(RowFailure::UnsupportedCoin {
                coin: row.coin.to_owned(),
                reason,
            });
        }
        if row.address.is_empty() {
            return Err(RowFailure::Missing("address"));
        }
        let sig1 = row.sig1.ok_or(RowFailure::Missing("signature1"))?;
        let digests = self.digests(row.message);
        match family {
            Family::Utxo(params) => {
                no_owners(row, "utxo")?;
                let proof = utxo::verify(
                    params,
                    row.address,
                    UtxoColumns {
                        sig1,
                        sig2: row.sig2,
                        script: row.script,
                    },
                    &digests.utxo(params),
                )?;
                Ok(match proof {
                    utxo::UtxoProof::SingleKey => Proof::SingleKey,
                    utxo::UtxoProof::Multisig { required, keys } => {
                        Proof::Multisig { required, keys }
                    }
                })
            }
            Family::Evm(kind) => {
                verify_accounts(row, sig1, &digests.evm, HighS::Reject, &|text, key| {
                    evm_matches(kind, text, key)
                })
            }
            Family::OkxEcdsa(kind) => verify_accounts(
                row,
                sig1,
                &digests.okx_ecdsa,
                HighS::Accept,
                &|text, key| ecdsa_matches(kind, text, key),
            ),
            Family::Tron => verify_tron(row, sig1, &digests),
            Family::Ed25519(kind) => verify_ed25519(row, sig1, kind, &digests.ed25519),
            Family::Eos => verify_eos(row, sig1, &digests.eos),
            Family::Unsupported(reason) => Err(RowFailure::UnsupportedCoin {
                coin: row.coin.to_owned(),
                reason,
            }),
        }
    }
}

fn no_owners(row: &RowInput<'_>, family: &'static str) -> Result<(), RowFailure> {
    let reason = match family {
        "utxo" => "utxo proofs do not use owner accounts",
        "tron" => "tron proofs do not use owner accounts (okx ignores the column)",
        _ => "this chain's proofs do not use owner accounts",
    };
    if row.eoa1.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa1",
            reason,
        });
    }
    if row.eoa2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa2",
            reason,
        });
    }
    Ok(())
}

/// Ok(Ok(())) when `text` is the address of `key`; Ok(Err(own)) when it is another address
/// (`own` renders the key's address, computed only then); Err when `text` is no address.
type Bound = Result<Result<(), String>, AddressError>;
type Matcher<'f> = dyn Fn(&str, &PublicKey) -> Bound + 'f;

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

fn evm_matches(kind: EvmAddress, text: &str, key: &PublicKey) -> Bound {
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

fn ecdsa_matches(kind: EcdsaAddress, text: &str, key: &PublicKey) -> Bound {
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
fn verify_accounts(
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
fn verify_tron(row: &RowInput<'_>, sig1: &str, digests: &Digests) -> Result<Proof, RowFailure> {
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
    for digest in [&digests.tron_v1, &digests.tron_v2] {
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

fn verify_ed25519(
    row: &RowInput<'_>,
    sig1: &str,
    kind: Ed25519Address,
    payload: &[u8],
) -> Result<Proof, RowFailure> {
    if row.sig2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "signature2",
            reason: "ed25519 proofs here are single-key",
        });
    }
    if row.eoa2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa2",
            reason: "ed25519 proofs take at most one owner key",
        });
    }
    let key_text = row
        .script
        .ok_or(RowFailure::Missing("redeem script/public key"))?;
    let key = rules::decode_ed25519_pubkey(key_text).map_err(|source| RowFailure::Signature {
        column: "redeem script/public key",
        source,
    })?;
    rules::verify_ed25519(&key, payload, sig1).map_err(|source| RowFailure::Signature {
        column: "signature1",
        source,
    })?;
    let mismatch = |own: String| RowFailure::KeyMismatch {
        column: "signature1",
        expected: row.address.to_owned(),
        found: own,
    };
    if let Some(eoa1) = row.eoa1 {
        // Aptos key rotation: the account keeps its address, the key is its authentication
        // key (OKX's owner mode). Only Aptos has that notion.
        if kind != Ed25519Address::Aptos {
            return Err(RowFailure::Unexpected {
                column: "eoa1",
                reason: "an owner key applies to aptos key rotation only",
            });
        }
        addr::hex32(row.address, "aptos").map_err(addr_err("address"))?;
        let auth = addr::hex32(eoa1, "aptos").map_err(addr_err("eoa1"))?;
        let own = addr::aptos_address(&key);
        return if auth == own {
            Ok(Proof::Owners(1))
        } else {
            Err(RowFailure::KeyMismatch {
                column: "signature1",
                expected: eoa1.to_owned(),
                found: format!("0x{}", hex::encode(own)),
            })
        };
    }
    let text = row.address;
    let bound = match kind {
        Ed25519Address::Solana => {
            if addr::solana_matches(text, &key).map_err(addr_err("address"))? {
                Ok(())
            } else {
                Err(bitcoin::base58::encode(&key))
            }
        }
        Ed25519Address::Aptos | Ed25519Address::Sui => {
            let listed = addr::hex32(text, "aptos/sui").map_err(addr_err("address"))?;
            let own = if kind == Ed25519Address::Aptos {
                addr::aptos_address(&key)
            } else {
                addr::sui_address(&key)
            };
            if listed == own {
                Ok(())
            } else {
                Err(format!("0x{}", hex::encode(own)))
            }
        }
        Ed25519Address::Substrate(network) => {
            let own = addr::ss58_address(&key, network);
            if own == text {
                Ok(())
            } else {
                Err(own)
            }
        }
        Ed25519Address::Stellar => {
            let own = addr::stellar_address(&key);
            if own == text {
                Ok(())
            } else {
                Err(own)
            }
        }
        Ed25519Address::Cardano => {
            let own = addr::cardano_enterprise_address(&key);
            if own == text {
                Ok(())
            } else {
                Err(own)
            }
        }
        Ed25519Address::Ton => {
            let listed = addr::ton_account(text).map_err(addr_err("address"))?;
            let own = addr::ton_wallet_accounts(&key);
            if own.contains(&listed) {
                Ok(())
            } else {
                Err(format!(
                    "0:{} (wallet v3r2) or 0:{} (highload v3)",
                    hex::encode(own[0]),
                    hex::encode(own[1])
                ))
            }
        }
        Ed25519Address::Near => {
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                let own = hex::encode(key);
                if own.eq_ignore_ascii_case(text) {
                    Ok(())
                } else {
                    Err(own)
                }
            } else {
                return Err(RowFailure::Unbound {
                    address: text.to_owned(),
                    reason: "a named near account is not derived from a key; its access keys are on-chain state",
                });
            }
        }
        Ed25519Address::SignatureOnly(reason) => {
            return Err(RowFailure::Unbound {
                address: text.to_owned(),
                reason,
            })
        }
    };
    bound.map_err(mismatch)?;
    Ok(Proof::SingleKey)
}

/// EOS: the signatures recover the listed `EOS…` key(s), but an account name is not derived
/// from a key, so the row cannot bind the key to the account and fails after that check.
fn verify_eos(row: &RowInput<'_>, sig1: &str, digest: &[u8; 32]) -> Result<Proof, RowFailure> {
    let column = "redeem script/public key";
    let keys_text = row.script.ok_or(RowFailure::Missing(column))?;
    let cleaned = keys_text.trim().trim_matches('"').replace("\"\"", "\"");
    let keys: Vec<String> = if cleaned.starts_with('{') {
        let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&cleaned)
            .map_err(|_| RowFailure::PubkeyEncoding {
                column,
                reason: "not a json object of publicKey1/publicKey2",
            })?;
        ["publicKey1", "publicKey2"]
            .iter()
            .filter_map(|k| map.get(*k).cloned())
            .collect()
    } else {
        vec![cleaned]
    };
    let sigs = [("signature1", Some(sig1)), ("signature2", row.sig2)];
    for (i, key_text) in keys.iter().enumerate() {
        let (sig_col, sig) = sigs.get(i).copied().unwrap_or(("signature2", None));
        let sig = sig.ok_or(RowFailure::Missing(sig_col))?;
        let key = rules::decode_eos_pubkey(key_text)
            .map_err(|source| RowFailure::Signature { column, source })?;
        let bytes = rules::decode_eos_signature(sig).map_err(|source| RowFailure::Signature {
            column: sig_col,
            source,
        })?;
        let found = rules::recover_rsv(digest, &bytes, HighS::Accept).map_err(sig_err(sig_col))?;
        if found != key {
            return Err(RowFailure::KeyMismatch {
                column: sig_col,
                expected: key_text.clone(),
                found: format!("key {}", hex::encode(found.serialize())),
            });
        }
    }
    Err(RowFailure::Unbound {
        address: row.address.to_owned(),
        reason: "eos account names are not derived from keys; the account's permission keys are on-chain state",
    })
}

impl From<OkxSchemeError> for RowFailure {
    fn from(source: OkxSchemeError) -> Self {
        RowFailure::Signature {
            column: "signature1",
            source,
        }
    }
}
