//! The page as HTML: the template (minijinja, HTML auto-escaping on for every value), its
//! inline style and script allowed by hash in the Content-Security-Policy, and the table's rows
//! as JSON in a `<script type="application/json">` block, escaped so that nothing in a string
//! can close the block.

use std::collections::HashMap;

use base64::Engine;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::Page;
use super::rows::Row;
use super::ReportError;

const TEMPLATE: &str = include_str!("assets/report.html");
const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// A CSP source for an inline element's exact text.
fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page's policy: nothing but its own inline script and style (by hash) and `data:`
/// images (the charts); no connection, font, frame or form of any kind.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        hash_source(SCRIPT),
        hash_source(STYLE)
    )
}

/// Strings stored once and referred to by index (assets, kinds, verdicts and notes repeat
/// across rows; this keeps a 100,000-row page small).
#[derive(Default)]
struct Interned<'a> {
    index: HashMap<&'a str, usize>,
    values: Vec<&'a str>,
}

impl<'a> Interned<'a> {
    fn get(&mut self, s: &'a str) -> usize {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.values.len();
        self.values.push(s);
        self.index.insert(s, i);
        i
    }
}

/// The table's data: see the row layout in `assets/report.js`.
#[derive(Serialize)]
struct TableData<'a> {
    assets: Vec<&'a str>,
    kinds: Vec<&'a str>,
    verdicts: Vec<&'a str>,
    notes: Vec<&'a str>,
    #[allow(clippy::type_complexity)]
    rows: Vec<(u64, usize, &'a str, usize, Option<&'a str>, usize, usize)>,
}

fn table_data(rows: &[Row]) -> TableData<'_> {
    let (mut assets, mut kinds, mut verdicts, mut notes) = (
        Interned::default(),
        Interned::default(),
        Interned::default(),
        Interned::default(),
    );
    let rows = rows
        .iter()
        .map(|r| {
            (
                r.line,
                assets.get(&r.asset),
                r.address.as_str(),
                kinds.get(&r.kind),
                r.amount.as_deref(),
                verdicts.get(r.verdict.as_str()),
                notes.get(&r.note),
            )
        })
        .collect();
    TableData {
        assets: assets.values,
        kinds: kinds.values,
        verdicts: verdicts.values,
        notes: notes.values,
        rows,
    }
}

/// JSON text that is safe inside a `<script>` element: `<`, `>` and `&` (so no `</script>` or
/// `<!--` can appear) and the line separators U+2028/U+2029 are written as `\uXXXX` escapes.
/// They can only occur inside JSON strings, where the escape means the same character.
pub fn script_json<T: Serialize>(value: &T) -> Result<String, ReportError> {
    let text = serde_json::to_string(value).map_err(ReportError::Data)?;
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Renders the page.
pub fn render(page: &Page) -> Result<String, ReportError> {
    let mut env = Environment::new();
    // Every value is escaped for HTML, whatever the template's name.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)?;
    let template = env.get_template("report.html")?;
    let data = script_json(&table_data(&page.rows))?;
    let html = template.render(context! {
        page => Value::from(minijinja::value::Serde(page)),
        csp => Value::from_safe_string(content_security_policy()),
        // Our own files and escaped JSON: inserted as they are (their hashes are in the CSP).
        style => Value::from_safe_string(STYLE.to_owned()),
        script => Value::from_safe_string(SCRIPT.to_owned()),
        data => Value::from_safe_string(data),
    })?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let v = serde_json::json!(["</script><script>alert(1)</script>", "a&b", "\u{2028}<!--"]);
        let text = script_json(&v).unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(!text.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn the_policy_names_the_hashes_of_the_inline_script_and_style() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains(&hash_source(SCRIPT)));
        assert!(csp.contains(&hash_source(STYLE)));
        assert!(!csp.contains("unsafe"));
    }
}
