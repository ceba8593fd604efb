//! Reading a script one operation at a time (through rust-bitcoin's instruction iterator), and
//! the script-code edits legacy signature hashing needs.

use bitcoin::script::Instruction;
use bitcoin::Script;

pub(super) const OP_0: u8 = 0x00;
pub(super) const OP_PUSHDATA1: u8 = 0x4c;
pub(super) const OP_PUSHDATA2: u8 = 0x4d;
pub(super) const OP_PUSHDATA4: u8 = 0x4e;
pub(super) const OP_1NEGATE: u8 = 0x4f;
pub(super) const OP_1: u8 = 0x51;
pub(super) const OP_16: u8 = 0x60;
pub(super) const OP_CODESEPARATOR: u8 = 0xab;

/// One operation: its opcode byte, the data it pushes (empty for non-push opcodes) and the byte
/// offset just after it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Op<'a> {
    pub opcode: u8,
    pub data: &'a [u8],
    pub end: usize,
}

/// A push whose length runs past the end of the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Truncated;

/// The operation starting at byte `pos`, or None at the end of the script.
pub(super) fn read_op(script: &[u8], pos: usize) -> Option<Result<Op<'_>, Truncated>> {
    let rest = script.get(pos..)?;
    let &opcode = rest.first()?;
    let ins = match Script::from_bytes(rest).instructions().next()? {
        Ok(ins) => ins,
        Err(_) => return Some(Err(Truncated)),
    };
    let data = match ins {
        Instruction::PushBytes(b) => b.as_bytes(),
        Instruction::Op(_) => &[],
    };
    let header = match opcode {
        OP_PUSHDATA1 => 2,
        OP_PUSHDATA2 => 3,
        OP_PUSHDATA4 => 5,
        _ => 1,
    };
    Some(Ok(Op {
        opcode,
        data,
        end: pos + header + data.len(),
    }))
}

/// Iterates over the operations of a script; a truncated push ends it with an error.
pub(super) fn ops(script: &[u8]) -> impl Iterator<Item = Result<Op<'_>, Truncated>> {
    let mut pos = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let item = read_op(script, pos)?;
        match item {
            Ok(op) => pos = op.end,
            Err(_) => done = true,
        }
        Some(item)
    })
}

/// Bitcoin Core's `IsPushOnly`: every opcode is a push or OP_1NEGATE..OP_16 (OP_RESERVED counts
/// as push-only there, and fails only when executed).
pub(super) fn is_push_only(script: &[u8]) -> bool {
    ops(script).all(|op| op.is_ok_and(|op| op.opcode <= OP_16))
}

/// The serialization of a data push as Bitcoin Core writes `CScript() << data`: the shortest
/// length prefix (a direct push even for one small number, and 0x00 for empty data).
pub(super) fn push_encoding(data: &[u8]) -> Vec<u8> {
    let len = data.len();
    let mut out = Vec::with_capacity(len + 5);
    if len < usize::from(OP_PUSHDATA1) {
        out.push(len as u8);
    } else if let Ok(l) = u8::try_from(len) {
        out.push(OP_PUSHDATA1);
        out.push(l);
    } else if let Ok(l) = u16::try_from(len) {
        out.push(OP_PUSHDATA2);
        out.extend_from_slice(&l.to_le_bytes());
    } else {
        out.push(OP_PUSHDATA4);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Legacy signature checks remove every occurrence of `pattern` that starts on an operation
/// boundary from the script code (Bitcoin Core's `FindAndDelete`). Returns the edited script and
/// the number of occurrences removed.
pub(super) fn find_and_delete(script: &[u8], pattern: &[u8]) -> (Vec<u8>, usize) {
    if pattern.is_empty() {
        return (script.to_vec(), 0);
    }
    let mut out = Vec::with_capacity(script.len());
    let mut found = 0;
    let mut pos = 0;
    loop {
        // Skip occurrences at this boundary, then copy the next operation.
        while script.get(pos..).is_some_and(|r| r.starts_with(pattern)) {
            pos += pattern.len();
            found += 1;
        }
        match read_op(script, pos) {
            Some(Ok(op)) => {
                out.extend_from_slice(script.get(pos..op.end).unwrap_or_default());
                pos = op.end;
            }
            // End of script, or a truncated push: the rest is kept as it is.
            _ => {
                out.extend_from_slice(script.get(pos..).unwrap_or_default());
                break;
            }
        }
    }
    if found == 0 {
        return (script.to_vec(), 0);
    }
    (out, found)
}

/// The script code as legacy signature hashing serializes it: without its OP_CODESEPARATORs.
pub(super) fn without_codeseparators(script: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(script.len());
    let mut pos = 0;
    loop {
        match read_op(script, pos) {
            Some(Ok(op)) => {
                if op.opcode != OP_CODESEPARATOR {
                    out.extend_from_slice(script.get(pos..op.end).unwrap_or_default());
                }
                pos = op.end;
            }
            _ => {
                out.extend_from_slice(script.get(pos..).unwrap_or_default());
                return out;
            }
        }
    }
}

/// A witness program: `OP_n <2..40 bytes>` as a whole script of 4 to 42 bytes.
pub(super) fn witness_program(spk: &[u8]) -> Option<(u8, &[u8])> {
    if !(4..=42).contains(&spk.len()) {
        return None;
    }
    let (&first, rest) = spk.split_first()?;
    let (&len, program) = rest.split_first()?;
    let version = match first {
        OP_0 => 0,
        OP_1..=OP_16 => first - OP_1 + 1,
        _ => return None,
    };
    (usize::from(len) == program.len()).then_some((version, program))
}

/// `OP_HASH160 <20 bytes> OP_EQUAL`.
pub(super) fn is_p2sh(spk: &[u8]) -> bool {
    spk.len() == 23
        && spk.first() == Some(&0xa9)
        && spk.get(1) == Some(&0x14)
        && spk.last() == Some(&0x87)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_and_delete_at_boundaries_only() {
        let h = |s: &str| hex::decode(s).unwrap();
        // The pattern inside another push is not an occurrence.
        assert_eq!(
            find_and_delete(&h("0302ff03"), &h("02ff03")),
            (h("0302ff03"), 0)
        );
        assert_eq!(
            find_and_delete(&h("0302ff030302ff03"), &h("0302ff03")),
            (vec![], 2)
        );
        assert_eq!(find_and_delete(&h("00"), &h("00")), (vec![], 1));
        assert_eq!(find_and_delete(&h("51"), &[]), (h("51"), 0));
        // Adjacent occurrences after a removal are removed too; a truncated tail is kept.
        assert_eq!(find_and_delete(&h("0151015101"), &h("0151")), (h("01"), 2));
    }

    #[test]
    fn codeseparators_are_stripped_but_not_inside_pushes() {
        let h = |s: &str| hex::decode(s).unwrap();
        assert_eq!(without_codeseparators(&h("ab51ab01abab")), h("5101ab"));
    }

    #[test]
    fn push_encodings() {
        assert_eq!(push_encoding(&[]), vec![0x00]);
        assert_eq!(push_encoding(&[5]), vec![0x01, 5]);
        assert_eq!(push_encoding(&[0; 76]).get(..2), Some(&[0x4c, 76][..]));
        assert_eq!(push_encoding(&[0; 256]).get(..3), Some(&[0x4d, 0, 1][..]));
    }
}
