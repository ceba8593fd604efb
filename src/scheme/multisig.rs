//! m-of-n multisig ownership: a P2SH / P2WSH / P2SH-P2WSH script that hashes to the address, and
//! BIP-137 signatures from m distinct keys of that script.
//!
//! The script must be exactly `<m> <key_1> .. <key_n> <n> OP_CHECKMULTISIG` with minimal pushes,
//! 1 <= m <= n <= 20, 33- or 65-byte valid public keys, no key twice (`sortedmulti` is just a
//! sorted key order). Each signature is BIP-137 base64 with a key-range header (27..=30 for an
//! uncompressed script key, 31..=34 for a compressed one; Ledger answers 31/32) over the same message; its recovered key must be one of the script's keys (compared as
//! curve points). A repeated signature, or two signatures of one key, count once.

use bitcoin::address::AddressData;
use bitcoin::blockdata::opcodes::all::OP_CHECKMULTISIG;
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::script::Instruction;
use serde::{Deserialize, Serialize};

use super::{bip137, SchemeError};

/// How the script is wrapped in the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MultisigWrapping {
    P2sh,
    P2wsh,
    P2shP2wsh,
}

/// What a valid multisig proof showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigMatch {
    /// m
    pub threshold: usize,
    /// n
    pub keys: usize,
    /// The distinct keys that signed, in the order their signatures were given.
    pub signers: Vec<bitcoin::PublicKey>,
    /// How the script hashes to the address.
    pub wrapping: MultisigWrapping,
}

/// A parsed standard multisig script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigScript {
    pub threshold: usize,
    pub keys: Vec<bitcoin::PublicKey>,
}

/// The largest P2SH redeem script (the consensus push limit).
const MAX_P2SH_SCRIPT: usize = 520;

/// Reads a small number pushed as OP_0..OP_16 or a minimal one-byte push (17..=20).
fn small_number(ins: &Instruction<'_>) -> Option<usize> {
    match ins {
        Instruction::Op(op) => {
            let code = op.to_u8();
            // OP_PUSHNUM_1 (0x51) ..= OP_PUSHNUM_16 (0x60)
            (0x51..=0x60)
                .contains(&code)
                .then(|| usize::from(code - 0x50))
        }
        Instruction::PushBytes(b) => match b.as_bytes() {
            [n] if (17..=20).contains(n) => Some(usize::from(*n)),
            _ => None,
        },
    }
}

/// Parses `script` strictly as `<m> <keys> <n> OP_CHECKMULTISIG`.
pub fn parse_script(script: &bitcoin::Script) -> Result<MultisigScript, SchemeError> {
    use SchemeError::MultisigScriptMalformed as Bad;
    let mut items = Vec::with_capacity(24);
    for ins in script.instructions_minimal() {
        items.push(ins.map_err(|_| Bad("undecodable or non-minimal push"))?);
    }
    let (first, rest) = items.split_first().ok_or(Bad("empty script"))?;
    let (last, rest) = rest.split_last().ok_or(Bad("too short"))?;
    let (n_item, key_items) = rest.split_last().ok_or(Bad("too short"))?;
    if *last != Instruction::Op(OP_CHECKMULTISIG) {
        return Err(Bad("does not end with OP_CHECKMULTISIG"));
    }
    let m = small_number(first).ok_or(Bad("threshold m is not a number 1..=20"))?;
    let n = small_number(n_item).ok_or(Bad("key count n is not a number 1..=20"))?;
    if key_items.len() != n {
        return Err(Bad("key count n does not match the number of keys"));
    }
    if m == 0 || m > n {
        return Err(Bad("threshold m must be between 1 and n"));
    }
    let mut keys: Vec<bitcoin::PublicKey> = Vec::with_capacity(n);
    for item in key_items {
        let Instruction::PushBytes(b) = item else {
            return Err(Bad("expected a public key push"));
        };
        let bytes = b.as_bytes();
        if bytes.len() != 33 && bytes.len() != 65 {
            return Err(Bad("public key is not 33 or 65 bytes"));
        }
        let key = bitcoin::PublicKey::from_slice(bytes).map_err(|_| Bad("invalid public key"))?;
        if keys.iter().any(|k| k.inner == key.inner) {
            return Err(Bad("the same key appears twice"));
        }
        keys.push(key);
    }
    Ok(MultisigScript { threshold: m, keys })
}

/// Finds how `script` hashes to `address`.
fn wrapping_for(
    address: &bitcoin::Address,
    script: &bitcoin::Script,
) -> Result<MultisigWrapping, SchemeError> {
    let mismatch = |wrapping: &'static str, found: String| SchemeError::MultisigScriptMismatch {
        expected: address.to_string(),
        wrapping,
        found,
    };
    match address.to_address_data() {
        AddressData::P2sh { script_hash } => {
            let p2wsh_spk = bitcoin::ScriptBuf::new_p2wsh(&script.wscript_hash());
            if hash160::Hash::hash(p2wsh_spk.as_bytes()).to_byte_array()
                == script_hash.to_byte_array()
            {
                return Ok(MultisigWrapping::P2shP2wsh);
            }
            if hash160::Hash::hash(script.as_bytes()).to_byte_array() == script_hash.to_byte_array()
            {
                if script.len() > MAX_P2SH_SCRIPT {
                    return Err(SchemeError::MultisigScriptMalformed(
                        "script is larger than 520 bytes and cannot be spent as p2sh",
                    ));
                }
                return Ok(MultisigWrapping::P2sh);
            }
            Err(mismatch(
                "p2sh",
                format!(
                    "{} (or {} as p2sh-p2wsh)",
                    script.script_hash(),
                    p2wsh_spk.script_hash()
                ),
            ))
        }
        AddressData::Segwit { witness_program } if witness_program.is_p2wsh() => {
            let h = sha256::Hash::hash(script.as_bytes());
            if witness_program.program().as_bytes() == h.as_byte_array() {
                Ok(MultisigWrapping::P2wsh)
            } else {
                Err(mismatch("p2wsh", h.to_string()))
            }
        }
        _ => Err(SchemeError::UnsupportedAddressType {
            scheme: "multisig",
            address_type: address
                .address_type()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "this".to_owned()),
            address: address.to_string(),
            hint: " (a multisig address is p2sh, p2wsh or p2sh-p2wsh)",
        }),
    }
}

/// Checks one cosigner's signature (base64 BIP-137, the `index`-th of the entry) over `digest`
/// (the BIP-137 message hash) and returns the script key that made it. The one rule for a
/// multisig signature, used by [`verify`] and by the signer's host re-check of each share alike.
pub fn cosigner_signature(
    digest: &[u8; 32],
    script: &MultisigScript,
    index: usize,
    signature: &str,
) -> Result<bitcoin::PublicKey, SchemeError> {
    let wrap = |e: SchemeError| SchemeError::MultisigSignature {
        index,
        source: Box::new(e),
    };
    let bytes = bip137::decode_signature(signature).map_err(wrap)?;
    let (recovered, header) = bip137::recover(digest, &bytes).map_err(wrap)?;
    let Some(key) = script.keys.iter().find(|k| k.inner == recovered.inner) else {
        return Err(SchemeError::MultisigUnknownSigner {
            index,
            pubkey: recovered.to_string(),
        });
    };
    // A cosigner's signature names a key, not an address: its header must be in the key range
    // (27..=34) and say the compression the script's key is written in. Headers 35..=42 declare
    // a single-key segwit address, which a multisig proof is not; accepting them would let one
    // signature be written several ways.
    let compressed_header = (31..=34).contains(&header);
    if header > 34 || compressed_header != key.compressed {
        return Err(wrap(SchemeError::CosignerHeader {
            header,
            compressed: key.compressed,
        }));
    }
    Ok(*key)
}

/// Verifies that `script` (redeem or witness script) hashes to `address` and that `signatures`
/// (base64 BIP-137) come from at least m distinct keys of it.
pub fn verify(
    message: &[u8],
    address: &bitcoin::Address,
    script: &bitcoin::Script,
    signatures: &[&str],
) -> Result<MultisigMatch, SchemeError> {
    let parsed = parse_script(script)?;
    let wrapping = wrapping_for(address, script)?;
    let digest = bip137::message_hash(message);
    let mut signers: Vec<bitcoin::PublicKey> = Vec::with_capacity(parsed.threshold);
    for (index, sig) in signatures.iter().enumerate() {
        let key = cosigner_signature(&digest, &parsed, index, sig)?;
        if !signers.iter().any(|s| s.inner == key.inner) {
            signers.push(key);
        }
    }
    if signers.len() < parsed.threshold {
        return Err(SchemeError::MultisigThreshold {
            required: parsed.threshold,
            distinct: signers.len(),
            missing: parsed.threshold - signers.len(),
        });
    }
    Ok(MultisigMatch {
        threshold: parsed.threshold,
        keys: parsed.keys.len(),
        signers,
        wrapping,
    })
}
