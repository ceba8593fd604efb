//! How a BIP-32 path is written in porsign's files.

/// `m`, then `/index` steps, each a plain decimal below 2^31 with an optional `'` or `h`: the
/// schema's form. (The bitcoin crate's parser is more lenient: it accepts an empty path, no
/// leading `m`, and `+5`; a verifier must not lend credibility to a path a reader may parse
/// differently.) The error says what is wrong, quoting the path.
pub fn check_path_text(path: &str) -> Result<(), String> {
    let bad = |why: &str| format!("{path:?} {why}");
    let mut steps = path.split('/');
    if steps.next() != Some("m") {
        return Err(bad("does not start with `m`"));
    }
    for step in steps {
        let digits = step.strip_suffix(['\'', 'h']).unwrap_or(step);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("has a step {step:?} that is not an index")));
        }
        match digits.parse::<u32>() {
            Ok(i) if i < 0x8000_0000 => {}
            _ => return Err(bad(&format!("has an index {digits} of 2^31 or more"))),
        }
    }
    Ok(())
}
