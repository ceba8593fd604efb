//! Errors of the signature-scheme layer.

use crate::model::Network;

/// Why a signature, address or binding did not verify.
///
/// Messages are lowercase and carry the offending value where that helps an auditor (the header
/// byte, the expected and the found address, the signature index in a multisig proof).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemeError {
    /// Placeholder kept for source compatibility; no function of the scheme layer returns it.
    #[error("not implemented yet: {0}")]
    Unimplemented(&'static str),

    // ---- addresses -------------------------------------------------------------------------
    /// The string is not a Bitcoin address in any known encoding (base58check or bech32/bech32m).
    #[error("cannot decode bitcoin address {address:?}: {reason}")]
    AddressUndecodable { address: String, reason: String },
    /// The string has the shape of an address but its checksum is wrong (a typo).
    #[error("bitcoin address {address:?} has a bad checksum")]
    AddressBadChecksum { address: String },
    /// A well-formed address of another network.
    #[error("bitcoin address {address:?} is not a {expected:?} address (it belongs to {found})")]
    WrongNetwork {
        address: String,
        expected: Network,
        found: String,
    },
    /// Not `0x` followed by 40 hex digits.
    #[error("malformed ethereum address {address:?}: {reason}")]
    EthAddressMalformed {
        address: String,
        reason: &'static str,
    },
    /// A mixed-case Ethereum address whose EIP-55 checksum is wrong.
    #[error("ethereum address {address:?} fails its eip-55 checksum (expected {expected})")]
    EthAddressBadChecksum { address: String, expected: String },
    /// The scheme cannot prove this kind of address at all.
    #[error("{scheme} cannot prove {address_type} address {address}{hint}")]
    UnsupportedAddressType {
        scheme: &'static str,
        address_type: String,
        address: String,
        hint: &'static str,
    },

    // ---- signature encoding -----------------------------------------------------------------
    /// The signature is not base64 (standard alphabet, with padding).
    #[error("error decoding signature as base64")]
    SignatureNotBase64,
    /// The signature does not start with `0x`.
    #[error("signature must start with 0x")]
    SignatureMissing0x,
    /// The signature has non-hex characters.
    #[error("signature is not valid hex")]
    SignatureNotHex,
    /// The decoded signature has the wrong size.
    #[error("signature has {found} bytes, expected {expected}")]
    SignatureLength { expected: usize, found: usize },
    /// A BIP-137 header byte outside 27..=42.
    #[error("invalid bip-137 header byte {0} (expected 27..=42)")]
    InvalidHeader(u8),
    /// A multisig cosigner's signature whose header is outside the key range that says the
    /// script key's compression (35..=42 name a single-key segwit address instead).
    #[error("header byte {header} does not fit a cosigner's signature by {} key (expected {})", if *compressed { "a compressed" } else { "an uncompressed" }, if *compressed { "31..=34" } else { "27..=30" })]
    CosignerHeader { header: u8, compressed: bool },
    /// An Ethereum `v` outside 27/28 and 0/1.
    #[error("invalid signature recovery value v={0} (expected 27, 28, 0 or 1)")]
    InvalidRecoveryValue(u8),
    /// r or s is zero or not below the curve order.
    #[error("signature r or s is not a valid scalar")]
    InvalidScalar,
    /// s in the upper half of the curve order: a malleated signature (EIP-2 rule).
    #[error("signature s value is in the upper half of the curve order (malleable form)")]
    HighS,
    /// No public key can be recovered from this signature and message.
    #[error("no public key can be recovered from the signature")]
    PubkeyNotRecovered,

    // ---- verification verdicts --------------------------------------------------------------
    /// The recovered key does not produce the listed Bitcoin address under the types allowed by
    /// the header. `found` lists the addresses the recovered key does produce under those types.
    #[error("signature is not from address {expected}: the recovered key gives {found}")]
    AddressMismatch { expected: String, found: String },
    /// The recovered key is not the listed Ethereum address.
    #[error("signature is not from address {expected}: it recovers {found}")]
    EthAddressMismatch { expected: String, found: String },

    // ---- bip-322 ---------------------------------------------------------------------------
    /// The signature (after its prefix) is empty.
    #[error("signature too short")]
    Bip322TooShort,
    /// The `smp` (or unprefixed) payload is not a consensus-encoded witness stack.
    #[error("error parsing signature as simple variant: {0}")]
    Bip322ParseSimple(String),
    /// The `ful` payload is not a consensus-encoded transaction.
    #[error("error parsing signature as full variant: {0}")]
    Bip322ParseFull(String),
    /// The `pof` payload is not a PSBT, or a PSBT that cannot be used.
    #[error("error parsing signature as proof-of-funds variant: {0}")]
    Bip322ParsePof(String),
    /// A check of BIP-322 failed (the spec's "invalid" state): wrong message, wrong signer, a
    /// `to_sign` that is not the one of this message and address, a script that does not verify.
    #[error("invalid signature: {0}")]
    Bip322Invalid(String),
    /// The spec's "inconclusive" state, or a form this verifier does not check. Fails closed.
    #[error("unsupported bip-322 proof: {0}")]
    Bip322Unsupported(String),

    // ---- multisig --------------------------------------------------------------------------
    /// Not exactly `OP_m <keys> OP_n OP_CHECKMULTISIG`.
    #[error("not a standard multisig script: {0}")]
    MultisigScriptMalformed(&'static str),
    /// The script does not hash to the address under P2SH, P2WSH or P2SH-P2WSH.
    #[error("multisig script does not hash to address {expected}: as {wrapping} it gives {found}")]
    MultisigScriptMismatch {
        expected: String,
        wrapping: &'static str,
        found: String,
    },
    /// One of the signatures failed to decode or recover.
    #[error("multisig signature #{index}: {source}")]
    MultisigSignature {
        index: usize,
        source: Box<SchemeError>,
    },
    /// A signature recovers a key that is not in the script.
    #[error("multisig signature #{index} is from key {pubkey}, which is not a key of the script")]
    MultisigUnknownSigner { index: usize, pubkey: String },
    /// Fewer than m distinct keys of the script signed.
    #[error(
        "only {distinct} distinct key(s) of the script signed, {required} required ({missing} missing)"
    )]
    MultisigThreshold {
        required: usize,
        distinct: usize,
        missing: usize,
    },
}
