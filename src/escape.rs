//! Untrusted text made safe for a terminal.
//!
//! Addresses, schemes, custodian names, messages, file fields and device strings come from
//! files and devices an attacker may have written. Printed raw, `ESC[2K\r` erases the line a
//! FAIL was on and paints a fake VALID over it, and a right-to-left override makes
//! `bc1q…evil` read as something else. Every line porsign prints goes through
//! [`for_terminal`] (the printing functions in `cli::output` call it), so no caller can forget.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that must not reach a terminal raw: C0 and C1 control characters (ESC,
/// CR, LF, TAB, BEL...), DEL, the Unicode bidirectional controls, zero-width characters that
/// hide differences between two strings, and the line/paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{001f}'
        | '\u{007f}'..='\u{009f}'
        // Arabic letter mark, LRM/RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
        | '\u{061c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        // Zero-width space/joiners, word joiner and invisible operators, BOM.
        | '\u{200b}'..='\u{200d}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{2028}' | '\u{2029}')
}

/// `text` with every [`is_unsafe`] character shown as a visible escape (`\x1b`, `\u{202e}`).
/// Borrowed when nothing needed escaping (the common case costs no allocation).
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// JSON output keeps its meaning but never carries a raw bidi or invisible character either:
/// those (and C1 controls, which JSON allows raw) are written as `\uXXXX` escapes, which every
/// JSON reader decodes back to the same string.
pub fn json_line(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if !text.chars().any(is_unsafe) {
        return text;
    }
    // serde_json already escapes C0 controls inside strings, and the document itself contains
    // no raw control characters outside strings, so every remaining unsafe character is inside
    // a string literal, where `\uXXXX` is an exact equivalent.
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq 1.5 BTC café";
        assert!(matches!(for_terminal(s), Cow::Borrowed(x) if x == s));
    }

    #[test]
    fn controls_and_bidi_become_visible() {
        let s = "bc1q\u{1b}[2K\rVALID\u{202e}gnp.exe\u{200b}\n";
        let shown = for_terminal(s);
        assert_eq!(
            shown,
            "bc1q\\x1b[2K\\x0dVALID\\u{202e}gnp.exe\\u{200b}\\x0a"
        );
        assert!(!shown.chars().any(is_unsafe));
    }

    #[test]
    fn json_escapes_round_trip() {
        let original = "a\u{202e}b\u{85}c\u{1b}d\"e";
        let v = serde_json::json!({ "address": original });
        let line = json_line(&v);
        assert!(!line.chars().any(is_unsafe), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back.get("address").and_then(|a| a.as_str()), Some(original));
    }
}
