//! Stack manipulation, byte-string comparison and arithmetic opcodes.

use super::exec::Frame;
use super::num::{self, cast_to_bool, DEFAULT_MAX_NUM_LEN};
use super::stack::Stack;
use super::ScriptError;

/// Runs one stack or numeric opcode; any other opcode is a BAD_OPCODE (OP_RESERVED, OP_VER,
/// OP_VERIF, the reserved and unassigned bytes).
pub(super) fn step(
    stack: &mut Stack,
    frame: &mut Frame<'_>,
    opcode: u8,
) -> Result<(), ScriptError> {
    let minimal = frame.require_minimal;
    let number = |b: &[u8]| num::decode(b, minimal, DEFAULT_MAX_NUM_LEN);
    match opcode {
        // OP_TOALTSTACK, OP_FROMALTSTACK
        0x6b => {
            let v = stack.pop()?;
            frame.alt.push(v);
        }
        0x6c => {
            let v = frame
                .alt
                .pop()
                .ok_or(ScriptError::InvalidAltstackOperation)?;
            stack.push(v);
        }
        // OP_2DROP
        0x6d => {
            stack.need(2)?;
            stack.pop()?;
            stack.pop()?;
        }
        // OP_2DUP, OP_3DUP, OP_2OVER: copy a group of elements to the top.
        0x6e => copy_to_top(stack, &[2, 1])?,
        0x6f => copy_to_top(stack, &[3, 2, 1])?,
        0x70 => copy_to_top(stack, &[4, 3])?,
        // OP_2ROT
        0x71 => {
            stack.need(6)?;
            let a = stack.remove(6)?;
            let b = stack.remove(5)?;
            stack.push(a);
            stack.push(b);
        }
        // OP_2SWAP
        0x72 => {
            stack.need(4)?;
            stack.swap(4, 2)?;
            stack.swap(3, 1)?;
        }
        // OP_IFDUP
        0x73 => {
            let top = stack.top(1)?;
            if cast_to_bool(top) {
                let v = top.to_vec();
                stack.push(v);
            }
        }
        // OP_DEPTH
        0x74 => {
            let depth = i64::try_from(stack.len()).map_err(|_| ScriptError::StackSize)?;
            stack.push(num::encode(depth));
        }
        // OP_DROP, OP_DUP, OP_NIP, OP_OVER
        0x75 => {
            stack.pop()?;
        }
        0x76 => copy_to_top(stack, &[1])?,
        0x77 => {
            stack.need(2)?;
            stack.remove(2)?;
        }
        0x78 => copy_to_top(stack, &[2])?,
        // OP_PICK, OP_ROLL
        0x79 | 0x7a => {
            stack.need(2)?;
            let n = number(stack.top(1)?)?;
            stack.pop()?;
            let depth = usize::try_from(n)
                .ok()
                .filter(|n| *n < stack.len())
                .ok_or(ScriptError::InvalidStackOperation)?
                + 1;
            let v = if opcode == 0x7a {
                stack.remove(depth)?
            } else {
                stack.top(depth)?.to_vec()
            };
            stack.push(v);
        }
        // OP_ROT, OP_SWAP, OP_TUCK
        0x7b => {
            stack.need(3)?;
            stack.swap(3, 2)?;
            stack.swap(2, 1)?;
        }
        0x7c => {
            stack.need(2)?;
            stack.swap(2, 1)?;
        }
        0x7d => {
            stack.need(2)?;
            let v = stack.top(1)?.to_vec();
            stack.insert(3, v)?;
        }
        // OP_SIZE
        0x82 => {
            let len = i64::try_from(stack.top(1)?.len()).map_err(|_| ScriptError::PushSize)?;
            stack.push(num::encode(len));
        }
        // OP_EQUAL, OP_EQUALVERIFY
        0x87 | 0x88 => {
            stack.need(2)?;
            let equal = stack.top(2)? == stack.top(1)?;
            stack.pop()?;
            stack.pop()?;
            stack.push_bool(equal);
            if opcode == 0x88 {
                if !equal {
                    return Err(ScriptError::EqualVerify);
                }
                stack.pop()?;
            }
        }
        // OP_1ADD, OP_1SUB, OP_NEGATE, OP_ABS, OP_NOT, OP_0NOTEQUAL
        0x8b | 0x8c | 0x8f..=0x92 => {
            let n = number(stack.top(1)?)?;
            let out = match opcode {
                0x8b => n + 1,
                0x8c => n - 1,
                0x8f => -n,
                0x90 => n.abs(),
                0x91 => i64::from(n == 0),
                _ => i64::from(n != 0),
            };
            stack.pop()?;
            stack.push(num::encode(out));
        }
        // Binary arithmetic and comparisons.
        0x93 | 0x94 | 0x9a..=0xa4 => {
            stack.need(2)?;
            let a = number(stack.top(2)?)?;
            let b = number(stack.top(1)?)?;
            let out = match opcode {
                0x93 => a + b,
                0x94 => a - b,
                0x9a => i64::from(a != 0 && b != 0),
                0x9b => i64::from(a != 0 || b != 0),
                0x9c | 0x9d => i64::from(a == b),
                0x9e => i64::from(a != b),
                0x9f => i64::from(a < b),
                0xa0 => i64::from(a > b),
                0xa1 => i64::from(a <= b),
                0xa2 => i64::from(a >= b),
                0xa3 => a.min(b),
                _ => a.max(b),
            };
            stack.pop()?;
            stack.pop()?;
            stack.push(num::encode(out));
            // OP_NUMEQUALVERIFY
            if opcode == 0x9d {
                if !cast_to_bool(stack.top(1)?) {
                    return Err(ScriptError::NumEqualVerify);
                }
                stack.pop()?;
            }
        }
        // OP_WITHIN: min <= x < max
        0xa5 => {
            stack.need(3)?;
            let x = number(stack.top(3)?)?;
            let min = number(stack.top(2)?)?;
            let max = number(stack.top(1)?)?;
            for _ in 0..3 {
                stack.pop()?;
            }
            stack.push_bool(min <= x && x < max);
        }
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}

/// Pushes copies of the elements at the given depths (taken before any push), in order.
fn copy_to_top(stack: &mut Stack, depths: &[usize]) -> Result<(), ScriptError> {
    let deepest = depths.iter().copied().max().unwrap_or(0);
    stack.need(deepest)?;
    let copies = depths
        .iter()
        .map(|d| stack.top(*d).map(<[u8]>::to_vec))
        .collect::<Result<Vec<_>, _>>()?;
    for c in copies {
        stack.push(c);
    }
    Ok(())
}
