//! Static rules on the scripts an input carries, where BIP-322 speaks of a script's *contents*
//! rather than of what executes: every push minimally encoded, no OP_CODESEPARATOR and no
//! FindAndDelete-relevant push anywhere (required → invalid); no NOP reserved for upgrades, no
//! OP_SUCCESSx anywhere, executed or not, and no taproot annex (upgradable → inconclusive).

use bitcoin::blockdata::opcodes::{all as op, Class, ClassifyContext};
use bitcoin::script::Instruction;
use bitcoin::{Script, TxIn};

use super::SchemeError;

/// The first required-rule finding wins over any upgradable one.
#[derive(Default)]
struct Findings {
    invalid: Option<String>,
    unsupported: Option<String>,
}

impl Findings {
    fn invalid(&mut self, message: impl Into<String>) {
        self.invalid.get_or_insert_with(|| message.into());
    }
    fn unsupported(&mut self, message: impl Into<String>) {
        self.unsupported.get_or_insert_with(|| message.into());
    }
    fn into_result(self) -> Result<(), SchemeError> {
        if let Some(m) = self.invalid {
            return Err(SchemeError::Bip322Invalid(m));
        }
        if let Some(m) = self.unsupported {
            return Err(SchemeError::Bip322Unsupported(m));
        }
        Ok(())
    }
}

/// Lints the scriptSig, redeem, witness and leaf scripts of `txin` spending `spk`.
pub(super) fn lint_input(txin: &TxIn, spk: &Script) -> Result<(), SchemeError> {
    let mut findings = Findings::default();
    let Ok(script_sig_pushes) = pushes(&txin.script_sig) else {
        return Err(SchemeError::Bip322Invalid(
            "scriptSig has a non-minimal push or is not push-only".into(),
        ));
    };
    let witness: Vec<&[u8]> = txin.witness.iter().collect();

    if spk.witness_version().is_some() {
        if !txin.script_sig.is_empty() {
            findings.invalid("a native segwit spend must have an empty scriptSig");
        }
        lint_program(spk, false, &witness, &mut findings);
    } else if spk.is_p2sh() {
        let Some((redeem, others)) = script_sig_pushes.split_last() else {
            return Err(SchemeError::Bip322Invalid(
                "p2sh spend without a redeem script".into(),
            ));
        };
        let redeem = Script::from_bytes(redeem);
        if redeem.witness_version().is_some() {
            lint_program(redeem, true, &witness, &mut findings);
        } else {
            lint_script(redeem, ClassifyContext::Legacy, &mut findings);
            check_find_and_delete(others, redeem, &mut findings);
        }
    } else {
        // P2PKH or another legacy script.
        lint_script(spk, ClassifyContext::Legacy, &mut findings);
        check_find_and_delete(&script_sig_pushes, spk, &mut findings);
    }
    findings.into_result()
}

/// The scripts a witness program runs: the P2WSH script, or the taproot leaf.
fn lint_program(program: &Script, nested: bool, witness: &[&[u8]], findings: &mut Findings) {
    if program.is_p2wsh() {
        match witness.last() {
            Some(ws) => lint_script(Script::from_bytes(ws), ClassifyContext::Legacy, findings),
            None => findings.invalid("p2wsh spend with an empty witness"),
        }
    } else if program.is_p2tr() && !nested {
        lint_taproot(witness, findings);
    } else if !program.is_p2wpkh() {
        findings.unsupported(format!(
            "witness program {} cannot be checked",
            hex::encode(program.as_bytes())
        ));
    }
}

/// The pushed data of a push-only script with minimal pushes; errors otherwise.
fn pushes(script: &Script) -> Result<Vec<&[u8]>, ()> {
    let mut out = Vec::new();
    for ins in script.instructions_minimal() {
        match ins.map_err(|_| ())? {
            Instruction::PushBytes(b) => out.push(b.as_bytes()),
            Instruction::Op(o) => match o.classify(ClassifyContext::Legacy) {
                // OP_1NEGATE, OP_1..OP_16 push numbers.
                Class::PushNum(_) => out.push(&[]),
                _ => return Err(()),
            },
        }
    }
    Ok(out)
}

/// Minimal pushes and no OP_CODESEPARATOR (required); no reserved NOPs and no OP_SUCCESSx
/// (upgradable).
fn lint_script(script: &Script, ctx: ClassifyContext, findings: &mut Findings) {
    for ins in script.instructions_minimal() {
        let Ok(ins) = ins else {
            findings.invalid("a script has a non-minimal or truncated push (MINIMALDATA)");
            return;
        };
        let Instruction::Op(o) = ins else { continue };
        if o == op::OP_CODESEPARATOR {
            findings.invalid("OP_CODESEPARATOR is forbidden");
        }
        if o == op::OP_NOP1
            || (o.to_u8() >= op::OP_NOP4.to_u8() && o.to_u8() <= op::OP_NOP10.to_u8())
        {
            findings.unsupported(format!("{o} is reserved for upgrades"));
        }
        if ctx == ClassifyContext::TapScript && o.classify(ctx) == Class::SuccessOp {
            findings.unsupported(format!("{o} is OP_SUCCESS in tapscript"));
        }
    }
}

/// Legacy signature checks delete the signature from the script code (FindAndDelete); BIP-322
/// forbids scripts where that matters.
fn check_find_and_delete(sig_pushes: &[&[u8]], script: &Script, findings: &mut Findings) {
    for ins in script.instructions().flatten() {
        if let Instruction::PushBytes(b) = ins {
            let b = b.as_bytes();
            if !b.is_empty() && sig_pushes.contains(&b) {
                findings.invalid(
                    "a scriptSig push also appears in the script (FindAndDelete is forbidden)",
                );
            }
        }
    }
}

/// Taproot script path: the leaf version and the leaf script. (Signature hash types are checked
/// on the signatures the interpreter actually verified.)
fn lint_taproot(witness: &[&[u8]], findings: &mut Findings) {
    // The annex (last element starting 0x50 when there are at least two) has no meaning yet:
    // BIP-341 reserves it for upgrades, and Core's policy does not relay it.
    let stack = match witness {
        [rest @ .., last] if !rest.is_empty() && last.first() == Some(&0x50) => {
            findings.unsupported("the taproot annex is reserved for upgrades (BIP-341)");
            rest
        }
        all => all,
    };
    match stack {
        [] => findings.invalid("empty taproot witness"),
        [_key_path_signature] => {}
        [_args @ .., leaf, control] => {
            let leaf_version = control.first().map(|c| c & 0xfe);
            if leaf_version != Some(0xc0) {
                findings.unsupported(format!(
                    "tapscript leaf version {:#04x}",
                    leaf_version.unwrap_or(0)
                ));
                return;
            }
            lint_script(
                Script::from_bytes(leaf),
                ClassifyContext::TapScript,
                findings,
            );
        }
    }
}
