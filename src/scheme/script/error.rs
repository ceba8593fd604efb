//! Why a script did not verify: one variant per Bitcoin Core `SCRIPT_ERR_*` this interpreter can
//! raise, each with the name Core's test vectors use (see [`ScriptError::core_name`]).

/// A script failure. The message names the rule (Core's flag or error name) so that a report
/// says which rule a proof broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    #[error("the script ends with false or an empty stack (EVAL_FALSE)")]
    EvalFalse,
    #[error("OP_RETURN was executed")]
    OpReturn,
    #[error("the script is larger than 10000 bytes (SCRIPT_SIZE)")]
    ScriptSize,
    #[error("a push or stack element is larger than 520 bytes (PUSH_SIZE)")]
    PushSize,
    #[error("more than 201 non-push opcodes (OP_COUNT)")]
    OpCount,
    #[error("more than 1000 stack elements (STACK_SIZE)")]
    StackSize,
    #[error("CHECKMULTISIG signature count out of range (SIG_COUNT)")]
    SigCount,
    #[error("CHECKMULTISIG key count out of range (PUBKEY_COUNT)")]
    PubkeyCount,
    #[error("OP_VERIFY failed")]
    Verify,
    #[error("OP_EQUALVERIFY failed")]
    EqualVerify,
    #[error("OP_CHECKMULTISIGVERIFY failed")]
    CheckMultisigVerify,
    #[error("OP_CHECKSIGVERIFY failed")]
    CheckSigVerify,
    #[error("OP_NUMEQUALVERIFY failed")]
    NumEqualVerify,
    #[error("an invalid or truncated opcode (BAD_OPCODE)")]
    BadOpcode,
    #[error("a disabled opcode (DISABLED_OPCODE)")]
    DisabledOpcode,
    #[error("an operation needs more stack elements than there are (INVALID_STACK_OPERATION)")]
    InvalidStackOperation,
    #[error("OP_FROMALTSTACK on an empty alt stack (INVALID_ALTSTACK_OPERATION)")]
    InvalidAltstackOperation,
    #[error("unbalanced IF/ELSE/ENDIF (UNBALANCED_CONDITIONAL)")]
    UnbalancedConditional,
    #[error("a number operand is too long or not minimally encoded (SCRIPTNUM)")]
    ScriptNum,
    #[error("negative lock time operand (NEGATIVE_LOCKTIME)")]
    NegativeLocktime,
    #[error("CHECKLOCKTIMEVERIFY or CHECKSEQUENCEVERIFY not satisfied by the transaction (UNSATISFIED_LOCKTIME)")]
    UnsatisfiedLocktime,
    #[error("signature hash type undefined (STRICTENC, SIG_HASHTYPE)")]
    SigHashtype,
    #[error("ecdsa signature not strictly DER-encoded (DERSIG/STRICTENC, SIG_DER)")]
    SigDer,
    #[error("a push is not minimally encoded (MINIMALDATA)")]
    MinimalData,
    #[error("scriptSig is not push-only (SIGPUSHONLY)")]
    SigPushOnly,
    #[error("ecdsa signature with high s (LOW_S, SIG_HIGH_S)")]
    SigHighS,
    #[error("CHECKMULTISIG dummy element is not empty (NULLDUMMY)")]
    SigNullDummy,
    #[error("public key is neither compressed nor uncompressed (STRICTENC, PUBKEYTYPE)")]
    PubkeyType,
    #[error("more than one element left on the stack (CLEANSTACK)")]
    CleanStack,
    #[error("IF/NOTIF argument is not exactly empty or 0x01 (MINIMALIF)")]
    MinimalIf,
    #[error("a failed signature check with a non-empty signature (NULLFAIL)")]
    SigNullFail,
    #[error("a NOP reserved for upgrades was executed (DISCOURAGE_UPGRADABLE_NOPS)")]
    DiscourageUpgradableNops,
    #[error("witness program version or length reserved for upgrades (DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM)")]
    DiscourageUpgradableWitnessProgram,
    #[error("taproot leaf version reserved for upgrades (DISCOURAGE_UPGRADABLE_TAPROOT_VERSION)")]
    DiscourageUpgradableTaprootVersion,
    #[error("OP_SUCCESSx in tapscript, reserved for upgrades (DISCOURAGE_OP_SUCCESS)")]
    DiscourageOpSuccess,
    #[error("tapscript public key of unknown type, reserved for upgrades (DISCOURAGE_UPGRADABLE_PUBKEYTYPE)")]
    DiscourageUpgradablePubkeyType,
    #[error("witness program of a wrong length (WITNESS_PROGRAM_WRONG_LENGTH)")]
    WitnessProgramWrongLength,
    #[error("empty witness for a witness program (WITNESS_PROGRAM_WITNESS_EMPTY)")]
    WitnessProgramWitnessEmpty,
    #[error("the witness does not match the witness program (WITNESS_PROGRAM_MISMATCH)")]
    WitnessProgramMismatch,
    #[error("a native witness spend has a non-empty scriptSig (WITNESS_MALLEATED)")]
    WitnessMalleated,
    #[error("a p2sh witness spend's scriptSig is not exactly the redeem script push (WITNESS_MALLEATED_P2SH)")]
    WitnessMalleatedP2sh,
    #[error("witness data on a spend that takes none (WITNESS_UNEXPECTED)")]
    WitnessUnexpected,
    #[error("uncompressed public key in a segwit v0 script (WITNESS_PUBKEYTYPE)")]
    WitnessPubkeyType,
    #[error("schnorr signature of a wrong size (SCHNORR_SIG_SIZE)")]
    SchnorrSigSize,
    #[error("schnorr signature hash type invalid (SCHNORR_SIG_HASHTYPE)")]
    SchnorrSigHashtype,
    #[error("schnorr signature does not verify (SCHNORR_SIG)")]
    SchnorrSig,
    #[error("taproot control block of a wrong size (TAPROOT_WRONG_CONTROL_SIZE)")]
    TaprootWrongControlSize,
    #[error("too many signature checks for the witness size (TAPSCRIPT_VALIDATION_WEIGHT)")]
    TapscriptValidationWeight,
    #[error("CHECKMULTISIG is not available in tapscript (TAPSCRIPT_CHECKMULTISIG)")]
    TapscriptCheckMultisig,
    #[error("IF/NOTIF argument in tapscript is not exactly empty or 0x01 (TAPSCRIPT_MINIMALIF)")]
    TapscriptMinimalIf,
    #[error("empty public key in tapscript (TAPSCRIPT_EMPTY_PUBKEY)")]
    TapscriptEmptyPubkey,
    #[error("OP_CODESEPARATOR in a non-segwit script (CONST_SCRIPTCODE)")]
    OpCodeSeparator,
    #[error(
        "a signature is also pushed by the script it checks (CONST_SCRIPTCODE, SIG_FINDANDDELETE)"
    )]
    SigFindAndDelete,
    #[error("the transaction has no input with this index")]
    NoSuchInput,
    #[error("the spent outputs do not match the transaction's inputs")]
    SpentOutputsMismatch,
}

impl ScriptError {
    /// The error's name in Bitcoin Core's `script_tests.json`.
    pub fn core_name(self) -> &'static str {
        use ScriptError::*;
        match self {
            EvalFalse => "EVAL_FALSE",
            OpReturn => "OP_RETURN",
            ScriptSize => "SCRIPT_SIZE",
            PushSize => "PUSH_SIZE",
            OpCount => "OP_COUNT",
            StackSize => "STACK_SIZE",
            SigCount => "SIG_COUNT",
            PubkeyCount => "PUBKEY_COUNT",
            Verify => "VERIFY",
            EqualVerify => "EQUALVERIFY",
            CheckMultisigVerify => "CHECKMULTISIGVERIFY",
            CheckSigVerify => "CHECKSIGVERIFY",
            NumEqualVerify => "NUMEQUALVERIFY",
            BadOpcode => "BAD_OPCODE",
            DisabledOpcode => "DISABLED_OPCODE",
            InvalidStackOperation => "INVALID_STACK_OPERATION",
            InvalidAltstackOperation => "INVALID_ALTSTACK_OPERATION",
            UnbalancedConditional => "UNBALANCED_CONDITIONAL",
            ScriptNum => "SCRIPTNUM",
            NegativeLocktime => "NEGATIVE_LOCKTIME",
            UnsatisfiedLocktime => "UNSATISFIED_LOCKTIME",
            SigHashtype => "SIG_HASHTYPE",
            SigDer => "SIG_DER",
            MinimalData => "MINIMALDATA",
            SigPushOnly => "SIG_PUSHONLY",
            SigHighS => "SIG_HIGH_S",
            SigNullDummy => "SIG_NULLDUMMY",
            PubkeyType => "PUBKEYTYPE",
            CleanStack => "CLEANSTACK",
            MinimalIf => "MINIMALIF",
            SigNullFail => "NULLFAIL",
            DiscourageUpgradableNops => "DISCOURAGE_UPGRADABLE_NOPS",
            DiscourageUpgradableWitnessProgram => "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
            DiscourageUpgradableTaprootVersion => "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",
            DiscourageOpSuccess => "DISCOURAGE_OP_SUCCESS",
            DiscourageUpgradablePubkeyType => "DISCOURAGE_UPGRADABLE_PUBKEYTYPE",
            WitnessProgramWrongLength => "WITNESS_PROGRAM_WRONG_LENGTH",
            WitnessProgramWitnessEmpty => "WITNESS_PROGRAM_WITNESS_EMPTY",
            WitnessProgramMismatch => "WITNESS_PROGRAM_MISMATCH",
            WitnessMalleated => "WITNESS_MALLEATED",
            WitnessMalleatedP2sh => "WITNESS_MALLEATED_P2SH",
            WitnessUnexpected => "WITNESS_UNEXPECTED",
            WitnessPubkeyType => "WITNESS_PUBKEYTYPE",
            SchnorrSigSize => "SCHNORR_SIG_SIZE",
            SchnorrSigHashtype => "SCHNORR_SIG_HASHTYPE",
            SchnorrSig => "SCHNORR_SIG",
            TaprootWrongControlSize => "TAPROOT_WRONG_CONTROL_SIZE",
            TapscriptValidationWeight => "TAPSCRIPT_VALIDATION_WEIGHT",
            TapscriptCheckMultisig => "TAPSCRIPT_CHECKMULTISIG",
            TapscriptMinimalIf => "TAPSCRIPT_MINIMALIF",
            TapscriptEmptyPubkey => "TAPSCRIPT_EMPTY_PUBKEY",
            OpCodeSeparator => "OP_CODESEPARATOR",
            SigFindAndDelete => "SIG_FINDANDDELETE",
            NoSuchInput => "INPUT_INDEX",
            SpentOutputsMismatch => "SPENT_OUTPUTS",
        }
    }

    /// Whether the failure comes from a rule reserved for future soft forks (an "upgradable"
    /// flag): the script is not wrong today, its meaning is undecided.
    pub fn is_upgradable(self) -> bool {
        matches!(
            self,
            ScriptError::DiscourageUpgradableNops
                | ScriptError::DiscourageUpgradableWitnessProgram
                | ScriptError::DiscourageUpgradableTaprootVersion
                | ScriptError::DiscourageOpSuccess
                | ScriptError::DiscourageUpgradablePubkeyType
        )
    }
}
