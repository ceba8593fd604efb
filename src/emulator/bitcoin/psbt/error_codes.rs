//! The error codes SIGN_PSBT sends before its status word (the app's `error_codes.h`), so a
//! client can tell why a PSBT was refused: `0007 6A80` is "a segwit input without its witness
//! UTXO". The recorded transcripts show 0000, 0001, 0006 and 0007; the others follow the app's
//! source at the same places.

pub(super) const MISSING_HMAC_FOR_NONDEFAULT_POLICY: u16 = 0x0000;
pub(super) const NO_NAME_FOR_DEFAULT_POLICY: u16 = 0x0001;
pub(super) const WALLET_POLICY_HAS_NO_INTERNAL_KEY: u16 = 0x0002;
pub(super) const MISSING_NONWITNESSUTXO_AND_WITNESSUTXO: u16 = 0x0003;
pub(super) const NONWITNESSUTXO_CHECK_FAILED: u16 = 0x0004;
pub(super) const NONWITNESSUTXO_AND_WITNESSUTXO_MISMATCH: u16 = 0x0005;
pub(super) const MISSING_NONWITNESSUTXO_OR_UNEXPECTED_WITNESSUTXO_FOR_LEGACY: u16 = 0x0006;
pub(super) const MISSING_WITNESSUTXO_FOR_SEGWIT: u16 = 0x0007;
pub(super) const UNALLOWED_SIGHASH_SINGLE: u16 = 0x0008;
pub(super) const TOO_MANY_CHANGE_OUTPUTS: u16 = 0x0009;
pub(super) const MISMATCHING_WITNESS_SCRIPT: u16 = 0x000a;
pub(super) const MISMATCHING_REDEEM_SCRIPT: u16 = 0x000b;
