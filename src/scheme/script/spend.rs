//! Verifying one transaction input: scriptSig, scriptPubKey, P2SH redeem script and witness
//! program in the order and with the checks of Bitcoin Core's `VerifyScript`.

use bitcoin::{Transaction, TxOut};

use super::checker::Checker;
use super::exec::{Machine, TapState};
use super::num::cast_to_bool;
use super::ops::{is_p2sh, is_push_only, push_encoding, witness_program};
use super::stack::Stack;
use super::{Flags, Report, ScriptError, SigVersion};

/// Verifies input `index` of `tx` spending `prevouts[index]` under `flags`. `prevouts` lists the
/// output spent by every input (taproot signatures commit to all of them).
///
/// On success, the report says which time-lock opcodes were enforced and which signature hash
/// types were used.
pub fn verify_input(
    tx: &Transaction,
    index: usize,
    prevouts: &[TxOut],
    flags: Flags,
) -> Result<Report, ScriptError> {
    let checker = Checker::new(tx, index, prevouts)?;
    let input = checker.input();
    let script_pubkey = prevouts
        .get(index)
        .map(|o| o.script_pubkey.as_bytes())
        .ok_or(ScriptError::SpentOutputsMismatch)?;
    let mut machine = Machine {
        flags,
        checker,
        report: Report::default(),
        tap: TapState::default(),
    };
    let script_sig = input.script_sig.as_bytes();
    let witness = &input.witness;

    if flags.contains(Flags::SIGPUSHONLY) && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut stack = Stack::default();
    machine.eval(&mut stack, script_sig, SigVersion::Base)?;
    // The redeem script is run on the stack the scriptSig left (CVE-2010-5141: not concatenated).
    let p2sh_stack = flags.contains(Flags::P2SH).then(|| stack.clone());
    machine.eval(&mut stack, script_pubkey, SigVersion::Base)?;
    ends_true(&stack)?;

    let mut had_witness = false;
    if flags.contains(Flags::WITNESS) {
        if let Some((version, program)) = witness_program(script_pubkey) {
            had_witness = true;
            if !script_sig.is_empty() {
                return Err(ScriptError::WitnessMalleated);
            }
            machine.verify_witness_program(witness, version, program, false)?;
            // The witness ran on its own stack: what is left here is not checked further.
            stack.truncate(1);
        }
    }

    if let Some(mut redeem_stack) = p2sh_stack.filter(|_| is_p2sh(script_pubkey)) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        let redeem = redeem_stack.pop().map_err(|_| ScriptError::EvalFalse)?;
        machine.eval(&mut redeem_stack, &redeem, SigVersion::Base)?;
        ends_true(&redeem_stack)?;
        if flags.contains(Flags::WITNESS) {
            if let Some((version, program)) = witness_program(&redeem) {
                had_witness = true;
                // Exactly one push of the redeem script, or the spend is malleable.
                if script_sig != push_encoding(&redeem).as_slice() {
                    return Err(ScriptError::WitnessMalleatedP2sh);
                }
                machine.verify_witness_program(witness, version, program, true)?;
                redeem_stack.truncate(1);
            }
        }
        stack = redeem_stack;
    }

    if flags.contains(Flags::CLEANSTACK) && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if flags.contains(Flags::WITNESS) && !had_witness && !witness.is_empty() {
        return Err(ScriptError::WitnessUnexpected);
    }
    Ok(machine.report)
}

/// The script must leave a true element on top.
fn ends_true(stack: &Stack) -> Result<(), ScriptError> {
    match stack.top(1) {
        Ok(top) if cast_to_bool(top) => Ok(()),
        _ => Err(ScriptError::EvalFalse),
    }
}
