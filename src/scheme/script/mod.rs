//! porsign's own Bitcoin script interpreter, for the policy rules libbitcoinconsensus cannot
//! check.
//!
//! libbitcoinconsensus (Bitcoin Core's consensus code) only takes consensus flags. BIP-322
//! requires all of Core's *standard* script verification flags, which only an interpreter can
//! enforce: CLEANSTACK for legacy and P2SH spends, NULLFAIL, MINIMALIF, MINIMALDATA for executed
//! pushes and number operands, WITNESS_PUBKEYTYPE, unknown tapscript key types, and so on. This
//! module evaluates scripts with any set of [`Flags`]: legacy, P2SH, segwit v0 (P2WPKH, P2WSH,
//! both also P2SH-wrapped) and taproot key and script paths, every opcode, the stack (1000),
//! element (520), script (10000) and op-count (201) limits, and the tapscript validation-weight
//! budget.
//!
//! It is used *after* libbitcoinconsensus accepts an input (defense in depth: consensus stays
//! Core's code; a disagreement fails closed). Its consensus behaviour is tested against
//! libbitcoinconsensus on generated scripts and real signed spends, and against Bitcoin Core's
//! `script_tests.json` vectors.
//!
//! What it does not do itself: signature hashes come from rust-bitcoin's `SighashCache`,
//! signature verification from libsecp256k1, hashes from `bitcoin::hashes`. Nothing here touches
//! the UTXO set or block context: spent outputs are given by the caller.

mod checker;
mod encoding;
mod error;
mod exec;
mod flags;
mod num;
mod ops;
mod ops_data;
mod ops_sig;
mod spend;
mod stack;
mod witness;

pub use error::ScriptError;
pub use flags::Flags;
pub use spend::verify_input;

/// Which rules a script runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigVersion {
    /// scriptSig, scriptPubKey and P2SH redeem scripts.
    Base,
    /// P2WPKH and P2WSH scripts (BIP-143 signatures).
    WitnessV0,
    /// Taproot leaf scripts of version 0xc0 (BIP-342).
    Tapscript,
}

/// A signature a check was run on (non-empty), with its hash type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureUse {
    /// ECDSA: the hash-type byte appended to the DER signature.
    Ecdsa { hash_type: u8 },
    /// BIP-340: None for a 64-byte signature (SIGHASH_DEFAULT), else the 65th byte.
    Schnorr { hash_type: Option<u8> },
}

/// What a successful verification observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// A CHECKLOCKTIMEVERIFY was executed: the transaction's nLockTime is binding for the script.
    pub checked_lock_time: bool,
    /// A CHECKSEQUENCEVERIFY was executed with an enabled operand: the input's nSequence is
    /// binding for the script.
    pub checked_sequence: bool,
    /// Every non-empty signature checked, in order.
    pub signatures: Vec<SignatureUse>,
}
