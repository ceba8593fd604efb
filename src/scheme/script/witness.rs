//! Witness programs: P2WPKH, P2WSH, and taproot key and script paths (BIP-141, BIP-341, BIP-342).

use bitcoin::consensus::encode::{serialize, VarInt};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::Parity;
use bitcoin::taproot::{TapLeafHash, TapNodeHash, TapTweakHash};
use bitcoin::Witness;
use secp256k1::{Scalar, XOnlyPublicKey, SECP256K1};

use super::exec::{Machine, MAX_ELEMENT_SIZE, MAX_STACK_SIZE};
use super::num::cast_to_bool;
use super::ops::{ops, push_encoding};
use super::stack::Stack;
use super::{Flags, ScriptError, SigVersion, SignatureUse};

/// The leaf version of BIP-342 tapscript.
const TAPSCRIPT_LEAF_VERSION: u8 = 0xc0;
/// The first byte marking the last witness element as the annex.
const ANNEX_TAG: u8 = 0x50;
/// Control block: one byte (leaf version, parity), the 32-byte internal key, then 0..=128
/// 32-byte path nodes.
const CONTROL_BASE_SIZE: usize = 33;
const CONTROL_NODE_SIZE: usize = 32;
const CONTROL_MAX_NODES: usize = 128;
/// BIP-342: the validation-weight budget starts at the witness size plus this.
const VALIDATION_WEIGHT_OFFSET: i64 = 50;

/// BIP-342 OP_SUCCESSx: opcodes that make a tapscript succeed unconditionally today.
pub(super) fn is_op_success(opcode: u8) -> bool {
    matches!(
        opcode,
        80 | 98 | 126..=129 | 131..=134 | 137 | 138 | 141 | 142 | 149..=153 | 187..=254
    )
}

impl<'t> Machine<'t> {
    /// Verifies a witness program of `version` (Bitcoin Core's `VerifyWitnessProgram`).
    pub(super) fn verify_witness_program(
        &mut self,
        witness: &'t Witness,
        version: u8,
        program: &[u8],
        is_p2sh: bool,
    ) -> Result<(), ScriptError> {
        let items: Vec<&'t [u8]> = witness.iter().collect();
        match (version, program.len()) {
            (0, 32) => {
                let (script, args) = items
                    .split_last()
                    .ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
                if sha256::Hash::hash(script).as_byte_array().as_slice() != program {
                    return Err(ScriptError::WitnessProgramMismatch);
                }
                self.execute_witness_script(args, script, SigVersion::WitnessV0)
            }
            (0, 20) => {
                if items.len() != 2 {
                    return Err(ScriptError::WitnessProgramMismatch);
                }
                // DUP HASH160 <program> EQUALVERIFY CHECKSIG
                let mut script = vec![0x76, 0xa9];
                script.extend_from_slice(&push_encoding(program));
                script.extend_from_slice(&[0x88, 0xac]);
                self.execute_witness_script(&items, &script, SigVersion::WitnessV0)
            }
            (0, _) => Err(ScriptError::WitnessProgramWrongLength),
            (1, 32) if !is_p2sh => {
                if !self.flags.contains(Flags::TAPROOT) {
                    return Ok(());
                }
                self.verify_taproot(witness, &items, program)
            }
            _ => {
                if self
                    .flags
                    .contains(Flags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM)
                {
                    return Err(ScriptError::DiscourageUpgradableWitnessProgram);
                }
                Ok(())
            }
        }
    }

    fn verify_taproot(
        &mut self,
        witness: &'t Witness,
        items: &[&'t [u8]],
        program: &[u8],
    ) -> Result<(), ScriptError> {
        let mut stack = items;
        if stack.is_empty() {
            return Err(ScriptError::WitnessProgramWitnessEmpty);
        }
        if let [rest @ .., last] = stack {
            if !rest.is_empty() && last.first() == Some(&ANNEX_TAG) {
                self.tap.annex = Some(last);
                stack = rest;
            }
        }
        let (control, script, args) = match stack {
            [sig] => {
                // Key path: one signature by the output key itself.
                self.report.signatures.push(SignatureUse::Schnorr {
                    hash_type: (sig.len() == 65).then(|| sig.last().copied()).flatten(),
                });
                return self
                    .checker
                    .check_schnorr(sig, program, None, self.tap.annex);
            }
            [args @ .., script, control] => (*control, *script, args),
            [] => return Err(ScriptError::WitnessProgramWitnessEmpty),
        };
        let path_len = control.len().checked_sub(CONTROL_BASE_SIZE);
        let path_ok = path_len.is_some_and(|l| {
            l % CONTROL_NODE_SIZE == 0 && l / CONTROL_NODE_SIZE <= CONTROL_MAX_NODES
        });
        if !path_ok {
            return Err(ScriptError::TaprootWrongControlSize);
        }
        let first = control.first().copied().unwrap_or(0);
        let leaf_version = first & 0xfe;
        let leaf_hash = tapleaf_hash(leaf_version, script);
        if !commitment_matches(control, program, leaf_hash) {
            return Err(ScriptError::WitnessProgramMismatch);
        }
        if leaf_version != TAPSCRIPT_LEAF_VERSION {
            if self
                .flags
                .contains(Flags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION)
            {
                return Err(ScriptError::DiscourageUpgradableTaprootVersion);
            }
            return Ok(());
        }
        let witness_size = i64::try_from(serialize(witness).len()).unwrap_or(i64::MAX);
        self.tap.leaf_hash = Some(leaf_hash);
        self.tap.weight_left = witness_size.saturating_add(VALIDATION_WEIGHT_OFFSET);
        self.execute_witness_script(args, script, SigVersion::Tapscript)
    }

    /// Runs a witness script on the witness arguments; it must leave exactly one true element
    /// (Bitcoin Core's `ExecuteWitnessScript`).
    fn execute_witness_script(
        &mut self,
        args: &[&[u8]],
        script: &[u8],
        version: SigVersion,
    ) -> Result<(), ScriptError> {
        if version == SigVersion::Tapscript {
            // OP_SUCCESSx anywhere decides before anything else, even element sizes.
            for op in ops(script) {
                let op = op.map_err(|_| ScriptError::BadOpcode)?;
                if is_op_success(op.opcode) {
                    if self.flags.contains(Flags::DISCOURAGE_OP_SUCCESS) {
                        return Err(ScriptError::DiscourageOpSuccess);
                    }
                    return Ok(());
                }
            }
            if args.len() > MAX_STACK_SIZE {
                return Err(ScriptError::StackSize);
            }
        }
        if args.iter().any(|a| a.len() > MAX_ELEMENT_SIZE) {
            return Err(ScriptError::PushSize);
        }
        let mut stack = Stack::from_items(args.iter().map(|a| a.to_vec()).collect());
        self.eval(&mut stack, script, version)?;
        if stack.len() != 1 {
            return Err(ScriptError::CleanStack);
        }
        if !cast_to_bool(stack.top(1)?) {
            return Err(ScriptError::EvalFalse);
        }
        Ok(())
    }
}

/// The BIP-341 leaf hash for any leaf version (rust-bitcoin's `LeafVersion` cannot hold 0x50,
/// which a control block may still carry).
fn tapleaf_hash(leaf_version: u8, script: &[u8]) -> TapLeafHash {
    let mut engine = TapLeafHash::engine();
    engine.input(&[leaf_version]);
    engine.input(&serialize(&VarInt(script.len() as u64)));
    engine.input(script);
    TapLeafHash::from_engine(engine)
}

/// Whether the output key `program` commits to the leaf through the control block's path and
/// internal key (with the parity bit it states).
fn commitment_matches(control: &[u8], program: &[u8], leaf_hash: TapLeafHash) -> bool {
    let (Some(internal), Some(path)) = (
        control.get(1..CONTROL_BASE_SIZE),
        control.get(CONTROL_BASE_SIZE..),
    ) else {
        return false;
    };
    let (Ok(internal), Ok(output)) = (
        XOnlyPublicKey::from_slice(internal),
        XOnlyPublicKey::from_slice(program),
    ) else {
        return false;
    };
    let mut node = TapNodeHash::from(leaf_hash);
    for chunk in path.chunks_exact(CONTROL_NODE_SIZE) {
        let Ok(sibling) = <[u8; 32]>::try_from(chunk) else {
            return false;
        };
        node = TapNodeHash::from_node_hashes(node, TapNodeHash::from_byte_array(sibling));
    }
    let tweak = TapTweakHash::from_key_and_tweak(internal, Some(node));
    let Ok(tweak) = Scalar::from_be_bytes(tweak.to_byte_array()) else {
        return false;
    };
    let parity = if control.first().is_some_and(|c| c & 1 == 1) {
        Parity::Odd
    } else {
        Parity::Even
    };
    internal.tweak_add_check(SECP256K1, &output, parity, tweak)
}
