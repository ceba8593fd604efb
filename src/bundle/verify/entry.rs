//! Checking one entry against the challenge message: pure functions, no I/O and no shared
//! state, so entries are checked on all cores.

use std::str::FromStr;

use super::super::model::{Entry, Scheme};
use super::report::EntryFailure;
use crate::model::{check_amount, Chain, Network};
use crate::scheme::{self, EthAddress};

/// What a valid entry proved, for the summary and `--json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// e.g. `p2wpkh`, `bip322 simple`, `2-of-3`, `eip191`.
    pub detail: String,
    /// The time lock a BIP-322 proof carries (it holds now, or the entry would have failed).
    pub time_lock: Option<String>,
}

impl Verified {
    fn new(detail: impl Into<String>) -> Self {
        Verified {
            detail: detail.into(),
            time_lock: None,
        }
    }
}

/// What an entry is checked against: the message, and the moment "now" for proofs that carry
/// a time lock.
#[derive(Clone, Copy, Debug)]
pub struct EntryContext<'a> {
    pub message: &'a [u8],
    /// Unix seconds.
    pub now_unix: i64,
    /// The chain tip's height, when the verifier was told it: a proof locked to a block height
    /// can only be shown valid against it.
    pub tip_height: Option<u32>,
}

/// Verifies one entry against the message. Pure: no I/O, no shared state, so entries can be
/// checked in parallel.
pub fn check_entry(entry: &Entry, ctx: &EntryContext<'_>) -> Result<Verified, EntryFailure> {
    let scheme = known_scheme(entry)?;
    if scheme != Scheme::Bip322Batch {
        // Only a batch entry names a batch; anywhere else the fields would be unchecked claims.
        forbid(entry.batch.is_some(), "batch", scheme)?;
        forbid(entry.input.is_some(), "input", scheme)?;
    }
    match entry.chain {
        Chain::Bitcoin => check_bitcoin_entry(entry, scheme, ctx),
        Chain::Ethereum => check_ethereum_entry(entry, scheme, ctx.message),
    }
}

/// The scheme an entry names, if this build knows it and it belongs to the entry's chain, after
/// the informational fields are checked: what every entry goes through first.
fn known_scheme(entry: &Entry) -> Result<Scheme, EntryFailure> {
    let scheme = entry
        .scheme
        .known()
        .ok_or_else(|| EntryFailure::UnknownScheme(entry.scheme.to_string()))?;
    if scheme.chain() != entry.chain {
        return Err(EntryFailure::ChainMismatch {
            scheme,
            expected: scheme.chain().as_str(),
            found: entry.chain.as_str(),
        });
    }
    check_informational_fields(entry)?;
    Ok(scheme)
}

/// What a `bip322-batch` entry is checked for on its own, ahead of its batch: every field but
/// the proof, which only the whole batch can check (`verify::batch`). Returns the address.
pub fn precheck_batch_entry(entry: &Entry) -> Result<bitcoin::Address, EntryFailure> {
    let scheme = known_scheme(entry)?;
    if scheme != Scheme::Bip322Batch {
        return Err(EntryFailure::BadField {
            field: "scheme",
            reason: format!("{scheme} is not bip322-batch"),
        });
    }
    let (network, address) = bitcoin_address(entry)?;
    if let Some(d) = entry.descriptor.as_deref() {
        parse_descriptor(d, &address, network)?;
    }
    forbid(entry.script.is_some(), "script", scheme)?;
    forbid(entry.pubkey.is_some(), "pubkey", scheme)?;
    single_signature(entry, scheme)?;
    match entry.batch.as_deref() {
        None => {
            return Err(EntryFailure::MissingField {
                field: "batch",
                scheme,
            })
        }
        Some(id)
            if id.len() != 64 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            return Err(EntryFailure::BadField {
                field: "batch",
                reason: format!("{id:?} is not 64 lowercase hex digits (a batch id)"),
            })
        }
        Some(_) => {}
    }
    if entry.input.is_none() {
        return Err(EntryFailure::MissingField {
            field: "input",
            scheme,
        });
    }
    Ok(address)
}

/// A Bitcoin entry's network and its address on that network.
fn bitcoin_address(entry: &Entry) -> Result<(Network, bitcoin::Address), EntryFailure> {
    let network = entry
        .network
        .known()
        .ok_or_else(|| EntryFailure::Network(entry.network.to_string()))?;
    let address =
        scheme::parse_btc_address(&entry.address, network).map_err(EntryFailure::Address)?;
    Ok((network, address))
}

fn check_bitcoin_entry(
    entry: &Entry,
    scheme: Scheme,
    ctx: &EntryContext<'_>,
) -> Result<Verified, EntryFailure> {
    let message = ctx.message;
    let (network, address) = bitcoin_address(entry)?;
    let descriptor = entry
        .descriptor
        .as_deref()
        .map(|d| parse_descriptor(d, &address, network))
        .transpose()?;
    match scheme {
        // A batch entry proves nothing alone: its input is checked with the whole batch, in
        // file order (`verify::batch`), never here; alone it fails.
        Scheme::Bip322Batch => Err(EntryFailure::BadField {
            field: "scheme",
            reason: "a bip322-batch entry is verified with its batch".into(),
        }),
        Scheme::Bip137 => {
            forbid(entry.script.is_some(), "script", scheme)?;
            let signature = single_signature(entry, scheme)?;
            let matched = scheme::bip137::verify(message, &address, signature)
                .map_err(EntryFailure::Signature)?;
            if let Some(pubkey) = &entry.pubkey {
                check_bitcoin_pubkey(pubkey, &matched.pubkey)?;
            }
            Ok(Verified::new(matched.address_type.to_string()))
        }
        Scheme::Bip322 => {
            forbid(entry.script.is_some(), "script", scheme)?;
            forbid(entry.pubkey.is_some(), "pubkey", scheme)?;
            let signature = single_signature(entry, scheme)?;
            let proof = scheme::bip322::verify_detailed(message, &address, signature)
                .map_err(EntryFailure::Signature)?;
            let detail = format!("bip322 {:?}", proof.variant).to_lowercase();
            if proof.time_lock.is_none() {
                return Ok(Verified::new(detail));
            }
            // "Valid at time T and age S" is not "valid": a proof that does not hold now fails,
            // and one that does says it carries a lock.
            let lock = proof.time_lock.to_string();
            proof
                .time_lock
                .valid_at(ctx.now_unix, ctx.tip_height)
                .map_err(|why| EntryFailure::TimeLocked {
                    lock: lock.clone(),
                    why: why.to_string(),
                })?;
            Ok(Verified {
                detail,
                time_lock: Some(lock),
            })
        }
        Scheme::Bip137Multisig => {
            forbid(entry.pubkey.is_some(), "pubkey", scheme)?;
            if entry.signatures.is_empty() {
                return Err(EntryFailure::SignatureCount {
                    scheme,
                    expected: "at least one",
                    found: 0,
                });
            }
            let script = match (&entry.script, &descriptor) {
                (Some(hex_script), from_descriptor) => {
                    // One written form per script, as the schema says: lowercase hex.
                    if hex_script.bytes().any(|b| b.is_ascii_uppercase()) {
                        return Err(EntryFailure::BadField {
                            field: "script",
                            reason: "must be lowercase hex".into(),
                        });
                    }
                    let bytes = hex::decode(hex_script).map_err(|e| EntryFailure::BadField {
                        field: "script",
                        reason: format!("not hex: {e}"),
                    })?;
                    let script = bitcoin::ScriptBuf::from_bytes(bytes);
                    if let Some(Some(d)) = from_descriptor {
                        if d != &script {
                            return Err(EntryFailure::BadField {
                                field: "script",
                                reason: "differs from the descriptor's script".into(),
                            });
                        }
                    }
                    script
                }
                (None, Some(Some(d))) => d.clone(),
                (None, _) => {
                    return Err(EntryFailure::MissingField {
                        field: "script",
                        scheme,
                    })
                }
            };
            let signatures: Vec<&str> = entry.signatures.iter().map(String::as_str).collect();
            let matched = scheme::multisig::verify(message, &address, &script, &signatures)
                .map_err(EntryFailure::Signature)?;
            // The threshold already counts each key once; an entry that lists a key's signature
            // twice is still malformed, and a strict verifier says so.
            if matched.signers.len() != signatures.len() {
                return Err(EntryFailure::RepeatedSigner {
                    signatures: signatures.len(),
                    distinct: matched.signers.len(),
                });
            }
            Ok(Verified::new(format!(
                "{}-of-{}",
                matched.threshold, matched.keys
            )))
        }
        Scheme::Eip191 | Scheme::Eip191Keccak => unreachable_chain(scheme),
    }
}

fn check_ethereum_entry(
    entry: &Entry,
    scheme: Scheme,
    message: &[u8],
) -> Result<Verified, EntryFailure> {
    if entry.network != Network::Mainnet {
        return Err(EntryFailure::Network(entry.network.to_string()));
    }
    forbid(entry.script.is_some(), "script", scheme)?;
    forbid(entry.descriptor.is_some(), "descriptor", scheme)?;
    let address = EthAddress::from_str(&entry.address).map_err(EntryFailure::Address)?;
    if let Some(pubkey) = &entry.pubkey {
        check_ethereum_pubkey(pubkey, &address)?;
    }
    let signature = single_signature(entry, scheme)?;
    let verified = match scheme {
        Scheme::Eip191 => scheme::eip191::verify(message, &address, signature),
        Scheme::Eip191Keccak => scheme::eip191::verify_keccak_variant(message, &address, signature),
        _ => return unreachable_chain(scheme),
    };
    verified.map_err(EntryFailure::Signature)?;
    Ok(Verified::new(scheme.as_str().to_owned()))
}

/// `check_entry` has already matched scheme and chain; this keeps the match exhaustive without
/// a panic path.
fn unreachable_chain(scheme: Scheme) -> Result<Verified, EntryFailure> {
    Err(EntryFailure::ChainMismatch {
        scheme,
        expected: scheme.chain().as_str(),
        found: "another chain",
    })
}

/// The `pubkey` of a Bitcoin entry must be the signing key written exactly as the address
/// commits to it: lowercase hex, compressed (33 bytes) or uncompressed (65 bytes) as the
/// address hashes it. The same curve point in the other form is another public key to every
/// Bitcoin script, so it is refused, as is `0x` or uppercase hex.
fn check_bitcoin_pubkey(written: &str, signer: &bitcoin::PublicKey) -> Result<(), EntryFailure> {
    let expected = signer.to_string();
    if written == expected {
        return Ok(());
    }
    let form = |compressed: bool| {
        if compressed {
            "compressed"
        } else {
            "uncompressed"
        }
    };
    Err(match bitcoin::PublicKey::from_str(written) {
        Ok(given) if given.inner == signer.inner && given.compressed != signer.compressed => {
            EntryFailure::BadField {
                field: "pubkey",
                reason: format!(
                    "the signing key written in {} form; the address commits to its {} form {expected}",
                    form(given.compressed),
                    form(signer.compressed)
                ),
            }
        }
        Ok(given) if given == *signer => EntryFailure::BadField {
            field: "pubkey",
            reason: format!("must be lowercase hex without a prefix: {expected}"),
        },
        Ok(_) => EntryFailure::PubkeyMismatch {
            pubkey: written.to_owned(),
            signer: expected,
        },
        Err(e) => EntryFailure::BadField {
            field: "pubkey",
            reason: format!("{written:?} is not a public key in lowercase hex: {e}"),
        },
    })
}

/// The `pubkey` of an Ethereum entry: the 65-byte uncompressed key (`04` + X + Y) in lowercase
/// hex without `0x`, as the Ethereum app returns it and as the address hashes it (X + Y). The
/// same point written compressed is refused (one written form per key, as for Bitcoin).
fn check_ethereum_pubkey(written: &str, address: &EthAddress) -> Result<(), EntryFailure> {
    let bad = |reason: String| EntryFailure::BadField {
        field: "pubkey",
        reason,
    };
    let bytes = hex::decode(written).map_err(|e| bad(format!("{written:?} is not hex: {e}")))?;
    let key = secp256k1::PublicKey::from_slice(&bytes)
        .map_err(|e| bad(format!("not a secp256k1 public key: {e}")))?;
    let canonical = hex::encode(key.serialize_uncompressed());
    if EthAddress::from_public_key(&key) != *address {
        return Err(EntryFailure::PubkeyMismatch {
            pubkey: written.to_owned(),
            signer: format!("the key of {address}"),
        });
    }
    if written != canonical {
        return Err(bad(format!(
            "must be the uncompressed key in lowercase hex without a prefix: {canonical}"
        )));
    }
    Ok(())
}

/// Parses a descriptor with concrete keys, requires it to produce `address`, and returns the
/// script it commits to for script-hash outputs (None for single-key outputs).
fn parse_descriptor(
    text: &str,
    address: &bitcoin::Address,
    network: Network,
) -> Result<Option<bitcoin::ScriptBuf>, EntryFailure> {
    use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
    let bad = |reason: String| EntryFailure::BadField {
        field: "descriptor",
        reason,
    };
    let parsed =
        Descriptor::<DescriptorPublicKey>::from_str(text).map_err(|e| bad(e.to_string()))?;
    if parsed.has_wildcard() {
        return Err(bad(
            "names a range (has a wildcard); an entry needs one address".into(),
        ));
    }
    let definite = parsed
        .at_derivation_index(0)
        .map_err(|e| bad(e.to_string()))?;
    let concrete = definite
        .derived_descriptor(bitcoin::secp256k1::SECP256K1)
        .map_err(|e| bad(e.to_string()))?;
    let produced = concrete
        .address(network.to_bitcoin())
        .map_err(|e| bad(e.to_string()))?;
    if &produced != address {
        return Err(EntryFailure::DescriptorMismatch {
            produced: produced.to_string(),
        });
    }
    Ok(concrete.explicit_script().ok().filter(|s| {
        // explicit_script is the output script for single-key descriptors; only a script that
        // differs from the output script is a redeem/witness script.
        s != &address.script_pubkey()
    }))
}

fn forbid(present: bool, field: &'static str, scheme: Scheme) -> Result<(), EntryFailure> {
    if present {
        Err(EntryFailure::UncheckedField { field, scheme })
    } else {
        Ok(())
    }
}

fn single_signature(entry: &Entry, scheme: Scheme) -> Result<&str, EntryFailure> {
    match entry.signatures.as_slice() {
        [one] => Ok(one.as_str()),
        other => Err(EntryFailure::SignatureCount {
            scheme,
            expected: "exactly one",
            found: other.len(),
        }),
    }
}

/// `path`, `fingerprint` and `amount` are not signed, but they must be well-formed: a verifier
/// that passes garbage in them would lend it credibility.
fn check_informational_fields(entry: &Entry) -> Result<(), EntryFailure> {
    if let Some(path) = &entry.path {
        check_path(path)?;
    }
    if let Some(fpr) = &entry.fingerprint {
        let ok = fpr.len() == 8 && fpr.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(EntryFailure::BadField {
                field: "fingerprint",
                reason: format!("{fpr:?} is not 8 lowercase hex digits"),
            });
        }
    }
    if let Some(amount) = &entry.amount {
        check_amount(amount).map_err(|e| EntryFailure::BadField {
            field: "amount",
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// The path as the schema writes it (`model::check_path_text`).
fn check_path(path: &str) -> Result<(), EntryFailure> {
    crate::model::check_path_text(path).map_err(|reason| EntryFailure::BadField {
        field: "path",
        reason,
    })
}
