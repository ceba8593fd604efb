//! "What was signed": the challenge message, its SHA-256 and the fields it is built from (audit,
//! period, auditor, anchor), and who made the file.

use serde::Serialize;

use super::shown;
use crate::challenge::Challenge;

/// One labelled fact of the page's "what was signed" block.
#[derive(Clone, Debug, Serialize)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    /// A stable name for tests and styling (`message`, `sha256`, `custodian`...).
    pub key: &'static str,
}

fn fact(key: &'static str, label: &'static str, value: &str) -> Fact {
    Fact {
        label,
        value: shown(value),
        key,
    }
}

/// The fields of a porsign challenge message (`porsign proof-of-reserves challenge v1
/// audit=… period=…[ auditor=…][ anchor=…] nonce=…`), read back from the message itself when
/// no challenge file was given. None for any other message.
pub fn message_fields(message: &str) -> Option<Vec<(&'static str, String)>> {
    let rest = message.strip_prefix("porsign proof-of-reserves challenge v1 ")?;
    // The values are printable ASCII without `=`, but an auditor's name may hold spaces: each
    // value runs to the next ` key=`.
    let keys = ["audit", "period", "auditor", "anchor", "nonce"];
    let mut found: Vec<(&'static str, usize)> = Vec::new();
    for key in keys {
        let marker = format!("{key}=");
        let at = if rest.starts_with(&marker) {
            Some(0)
        } else {
            rest.find(&format!(" {marker}")).map(|i| i + 1)
        };
        if let Some(at) = at {
            found.push((key, at));
        }
    }
    found.sort_by_key(|(_, at)| *at);
    let mut out = Vec::new();
    for (i, (key, at)) in found.iter().enumerate() {
        let start = at + key.len() + 1;
        let end = found.get(i + 1).map_or(rest.len(), |(_, next)| next - 1);
        out.push((*key, rest.get(start..end)?.to_owned()));
    }
    let has = |k: &str| out.iter().any(|(key, _)| *key == k);
    (has("audit") && has("period") && has("nonce")).then_some(out)
}

/// The facts about the challenge: from the challenge file when given, else read from the
/// message when it is a porsign challenge.
pub fn challenge_facts(message: &str, sha256: &str, challenge: Option<&Challenge>) -> Vec<Fact> {
    let mut facts = vec![
        fact("message", "Challenge message", message),
        fact("sha256", "Its SHA-256 (the challenge's identity)", sha256),
    ];
    let label = |key: &str| match key {
        "audit" => "Audit",
        "period" => "Period",
        "auditor" => "Auditor",
        "anchor" => "Anchor (block hash: no signature can predate it)",
        _ => "Nonce (fresh randomness: no signature can be reused)",
    };
    let fields: Vec<(&'static str, String)> = match challenge {
        Some(c) => {
            let mut v = vec![("audit", c.audit.clone()), ("period", c.period.clone())];
            v.extend(c.auditor.clone().map(|a| ("auditor", a)));
            v.extend(c.anchor.clone().map(|a| ("anchor", a)));
            v.push(("nonce", c.nonce.clone()));
            v
        }
        None => message_fields(message).unwrap_or_default(),
    };
    for (key, value) in fields {
        facts.push(fact(key, label(key), &value));
    }
    if let Some(c) = challenge {
        facts.push(fact(
            "challenge_created_at",
            "Challenge made at",
            &c.created_at,
        ));
    }
    facts
}

/// Facts from a bundle's header: who holds the reserves, when and with what the file was made.
pub fn header_facts(header: &crate::bundle::Header) -> Vec<Fact> {
    vec![
        fact(
            "custodian",
            "Custodian (as the file states it)",
            &header.custodian,
        ),
        fact("created_at", "Bundle made at", &header.created_at),
        fact("tool", "Made with", &header.tool),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_back_from_a_porsign_message() {
        let m = "porsign proof-of-reserves challenge v1 audit=AUD-7 period=2026-11 \
                 auditor=Example LLP nonce=00ff";
        let f = message_fields(m).unwrap();
        assert_eq!(
            f,
            vec![
                ("audit", "AUD-7".to_owned()),
                ("period", "2026-11".to_owned()),
                ("auditor", "Example LLP".to_owned()),
                ("nonce", "00ff".to_owned()),
            ]
        );
        assert_eq!(message_fields("I am an OKX address"), None);
        assert_eq!(
            message_fields("porsign proof-of-reserves challenge v1 audit=A"),
            None
        );
    }
}
