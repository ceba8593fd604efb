//! Script evaluation: the operation loop, limits, conditionals, and dispatch to the opcode
//! groups (`ops_data` for stack and numbers, `ops_sig` for hashing, signatures and time locks).

use super::checker::Checker;
use super::num;
use super::ops::{
    read_op, Op, OP_16, OP_1NEGATE, OP_CODESEPARATOR, OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4,
};
use super::stack::Stack;
use super::{Flags, Report, ScriptError, SigVersion};

/// Largest script run by BASE and WITNESS_V0 evaluation.
const MAX_SCRIPT_SIZE: usize = 10_000;
/// Largest element a push may put on the stack (and that a witness may carry into a script).
pub(super) const MAX_ELEMENT_SIZE: usize = 520;
/// Most non-push opcodes (plus CHECKMULTISIG keys) in a BASE or WITNESS_V0 script.
pub(super) const MAX_OPS_PER_SCRIPT: usize = 201;
/// Most elements on the stack and alt stack together.
pub(super) const MAX_STACK_SIZE: usize = 1000;

const OP_NOP: u8 = 0x61;
const OP_IF: u8 = 0x63;
const OP_NOTIF: u8 = 0x64;
const OP_ELSE: u8 = 0x67;
const OP_ENDIF: u8 = 0x68;
const OP_VERIFY: u8 = 0x69;
const OP_RETURN: u8 = 0x6a;

/// Opcodes removed from the language (CVE-2010-5137): failing wherever they appear in BASE and
/// WITNESS_V0 scripts, even in an unexecuted branch.
fn is_disabled(opcode: u8) -> bool {
    matches!(opcode, 0x7e..=0x81 | 0x83..=0x86 | 0x8d | 0x8e | 0x95..=0x99)
}

/// MINIMALDATA: the push uses the shortest form for its data.
fn is_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data {
        [] => opcode == 0x00,
        [b] if (1..=16).contains(b) || *b == 0x81 => false,
        _ if data.len() <= 75 => usize::from(opcode) == data.len(),
        _ if data.len() <= 0xff => opcode == OP_PUSHDATA1,
        _ if data.len() <= 0xffff => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// The IF/ELSE nesting: how many levels are open and the outermost one that is false.
#[derive(Default)]
struct CondStack {
    size: usize,
    first_false: Option<usize>,
}

impl CondStack {
    fn all_true(&self) -> bool {
        self.first_false.is_none()
    }
    fn push(&mut self, value: bool) {
        if self.first_false.is_none() && !value {
            self.first_false = Some(self.size);
        }
        self.size += 1;
    }
    fn pop(&mut self) -> Result<(), ScriptError> {
        self.size = self
            .size
            .checked_sub(1)
            .ok_or(ScriptError::UnbalancedConditional)?;
        if self.first_false == Some(self.size) {
            self.first_false = None;
        }
        Ok(())
    }
    fn toggle_top(&mut self) -> Result<(), ScriptError> {
        let top = self
            .size
            .checked_sub(1)
            .ok_or(ScriptError::UnbalancedConditional)?;
        match self.first_false {
            None => self.first_false = Some(top),
            Some(f) if f == top => self.first_false = None,
            // A false level below the top keeps everything above it unexecuted.
            Some(_) => {}
        }
        Ok(())
    }
}

/// Tapscript execution data: what signatures commit to and the validation-weight budget.
#[derive(Clone, Debug, Default)]
pub(super) struct TapState<'t> {
    pub leaf_hash: Option<bitcoin::taproot::TapLeafHash>,
    pub annex: Option<&'t [u8]>,
    /// BIP-342 budget: witness size + 50, minus 50 per non-empty signature checked.
    pub weight_left: i64,
    pub codesep_pos: u32,
}

/// One script being evaluated.
pub(super) struct Frame<'s> {
    pub script: &'s [u8],
    pub version: SigVersion,
    /// Start of the script code signatures commit to (after the last executed CODESEPARATOR).
    pub code_start: usize,
    pub op_count: usize,
    pub alt: Vec<Vec<u8>>,
    pub require_minimal: bool,
}

impl Frame<'_> {
    pub fn script_code(&self) -> &[u8] {
        self.script.get(self.code_start..).unwrap_or_default()
    }
}

/// The interpreter for one transaction input.
pub(super) struct Machine<'t> {
    pub flags: Flags,
    pub checker: Checker<'t>,
    pub report: Report,
    pub tap: TapState<'t>,
}

impl<'t> Machine<'t> {
    /// Runs `script` on `stack` (Bitcoin Core's `EvalScript`).
    pub fn eval(
        &mut self,
        stack: &mut Stack,
        script: &[u8],
        version: SigVersion,
    ) -> Result<(), ScriptError> {
        if version != SigVersion::Tapscript && script.len() > MAX_SCRIPT_SIZE {
            return Err(ScriptError::ScriptSize);
        }
        let mut frame = Frame {
            script,
            version,
            code_start: 0,
            op_count: 0,
            alt: Vec::new(),
            require_minimal: self.flags.contains(Flags::MINIMALDATA),
        };
        let mut cond = CondStack::default();
        self.tap.codesep_pos = u32::MAX;
        let mut pos = 0;
        let mut opcode_pos: u32 = 0;
        while let Some(op) = read_op(script, pos) {
            let op = op.map_err(|_| ScriptError::BadOpcode)?;
            pos = op.end;
            let executing = cond.all_true();
            if op.data.len() > MAX_ELEMENT_SIZE {
                return Err(ScriptError::PushSize);
            }
            // OP_RESERVED (0x50) and the pushes do not count towards the limit.
            if version != SigVersion::Tapscript && op.opcode > OP_16 {
                frame.op_count += 1;
                if frame.op_count > MAX_OPS_PER_SCRIPT {
                    return Err(ScriptError::OpCount);
                }
            }
            if is_disabled(op.opcode) {
                return Err(ScriptError::DisabledOpcode);
            }
            if op.opcode == OP_CODESEPARATOR
                && version == SigVersion::Base
                && self.flags.contains(Flags::CONST_SCRIPTCODE)
            {
                return Err(ScriptError::OpCodeSeparator);
            }
            if executing && op.opcode <= OP_PUSHDATA4 {
                if frame.require_minimal && !is_minimal_push(op.data, op.opcode) {
                    return Err(ScriptError::MinimalData);
                }
                stack.push(op.data.to_vec());
            } else if executing || (OP_IF..=OP_ENDIF).contains(&op.opcode) {
                self.step(stack, &mut frame, &mut cond, op, executing, opcode_pos)?;
            }
            if stack.len() + frame.alt.len() > MAX_STACK_SIZE {
                return Err(ScriptError::StackSize);
            }
            opcode_pos = opcode_pos.saturating_add(1);
        }
        if cond.size != 0 {
            return Err(ScriptError::UnbalancedConditional);
        }
        Ok(())
    }

    /// One non-push operation (or a conditional in an unexecuted branch).
    fn step(
        &mut self,
        stack: &mut Stack,
        frame: &mut Frame<'_>,
        cond: &mut CondStack,
        op: Op<'_>,
        executing: bool,
        opcode_pos: u32,
    ) -> Result<(), ScriptError> {
        match op.opcode {
            OP_1NEGATE | 0x51..=OP_16 => {
                stack.push(num::encode(i64::from(op.opcode) - 0x50));
            }
            OP_NOP => {}
            0xb1 => self.check_lock_time_verify(stack, frame)?,
            0xb2 => self.check_sequence_verify(stack, frame)?,
            0xb0 | 0xb3..=0xb9 => {
                if self.flags.contains(Flags::DISCOURAGE_UPGRADABLE_NOPS) {
                    return Err(ScriptError::DiscourageUpgradableNops);
                }
            }
            OP_IF | OP_NOTIF => {
                let mut value = false;
                if executing {
                    // An empty stack here is INVALID_STACK_OPERATION in Core's current
                    // vectors (UNBALANCED_CONDITIONAL in older releases); both fail.
                    value = self.condition(stack.top(1)?, frame.version)?;
                    if op.opcode == OP_NOTIF {
                        value = !value;
                    }
                    stack.pop()?;
                }
                cond.push(value);
            }
            OP_ELSE => cond.toggle_top()?,
            OP_ENDIF => cond.pop()?,
            OP_VERIFY => {
                if !num::cast_to_bool(stack.top(1)?) {
                    return Err(ScriptError::Verify);
                }
                stack.pop()?;
            }
            OP_RETURN => return Err(ScriptError::OpReturn),
            0xa6..=0xaa => Self::hash(stack, op.opcode)?,
            OP_CODESEPARATOR => {
                frame.code_start = op.end;
                self.tap.codesep_pos = opcode_pos;
            }
            0xac | 0xad => self.op_checksig(stack, frame, op.opcode == 0xad)?,
            0xae | 0xaf => self.op_checkmultisig(stack, frame, op.opcode == 0xaf)?,
            0xba => self.op_checksigadd(stack, frame)?,
            other => super::ops_data::step(stack, frame, other)?,
        }
        Ok(())
    }

    /// The truth value of an IF/NOTIF argument, which must be minimal in tapscript (consensus),
    /// in witness v0 under MINIMALIF and in BASE scripts under MINIMALIF_BASE.
    fn condition(&self, arg: &[u8], version: SigVersion) -> Result<bool, ScriptError> {
        let minimal = matches!(arg, [] | [1]);
        if !minimal {
            if version == SigVersion::Tapscript {
                return Err(ScriptError::TapscriptMinimalIf);
            }
            if version == SigVersion::WitnessV0 && self.flags.contains(Flags::MINIMALIF) {
                return Err(ScriptError::MinimalIf);
            }
            if version == SigVersion::Base && self.flags.contains(Flags::MINIMALIF_BASE) {
                return Err(ScriptError::MinimalIf);
            }
        }
        Ok(num::cast_to_bool(arg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_pushes() {
        assert!(is_minimal_push(&[], 0x00));
        assert!(!is_minimal_push(&[], OP_PUSHDATA1));
        assert!(!is_minimal_push(&[5], 0x01));
        assert!(!is_minimal_push(&[0x81], 0x01));
        assert!(is_minimal_push(&[0x82], 0x01));
        assert!(!is_minimal_push(&[0; 75], OP_PUSHDATA1));
        assert!(is_minimal_push(&[0; 76], OP_PUSHDATA1));
        assert!(!is_minimal_push(&[0; 256], OP_PUSHDATA1 + 2));
        assert!(is_minimal_push(&[0; 256], OP_PUSHDATA2));
    }

    #[test]
    fn condition_stack_nesting() {
        let mut c = CondStack::default();
        c.push(true);
        c.push(false);
        c.push(true);
        assert!(!c.all_true());
        c.toggle_top().unwrap(); // a false below keeps it unexecuted
        assert!(!c.all_true());
        c.pop().unwrap();
        c.toggle_top().unwrap();
        assert!(c.all_true());
        c.pop().unwrap();
        c.pop().unwrap();
        assert_eq!(c.pop(), Err(ScriptError::UnbalancedConditional));
    }
}
