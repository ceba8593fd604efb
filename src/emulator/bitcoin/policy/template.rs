//! Descriptor templates: the text of a wallet policy parsed into the script types the emulator
//! derives and signs for. Parse failures are answered as the app answers them: a template the
//! app's parser refuses (unknown fragment, miniscript type error, `sh(wsh(<miniscript>))`) is
//! 6A80, one it parses but does not implement here (MuSig2 key expressions, bare scripts) is
//! 6A82.

use firmware_msgs::StatusWord;
use miniscript::{Segwitv0, Tap};

use super::miniscript_template::PolicyMs;
use super::tap_tree::{TapLeaf, TapTree};

pub(crate) const HARDENED: u32 = 0x8000_0000;

/// `@i/**` or `@i/<a;b>/*`: a key index and the two child numbers of the change level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyExpr {
    pub(crate) index: u32,
    pub(crate) receive: u32,
    pub(crate) change: u32,
}

/// How a multisig script is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrap {
    Sh,
    Wsh,
    ShWsh,
}

/// A parsed descriptor template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Template {
    Pkh(KeyExpr),
    Wpkh(KeyExpr),
    ShWpkh(KeyExpr),
    Tr(KeyExpr),
    /// `tr(internal,TREE)`: a taproot key with a script tree of any shape.
    TrTree {
        internal: KeyExpr,
        tree: TapTree,
    },
    Multi {
        wrap: Wrap,
        sorted: bool,
        threshold: u32,
        keys: Vec<KeyExpr>,
    },
    /// `wsh(<miniscript>)` (anything under `wsh` but `multi`/`sortedmulti`).
    WshMiniscript(PolicyMs<Segwitv0>),
}

/// Why a template was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// Not a valid template (6A80).
    Invalid,
    /// Valid perhaps, but beyond what the emulator implements (6A82).
    Unsupported,
}

impl TemplateError {
    pub(crate) fn status_word(self) -> StatusWord {
        match self {
            TemplateError::Invalid => StatusWord::IncorrectData,
            TemplateError::Unsupported => StatusWord::NotSupported,
        }
    }
}

/// `prefix(...)` → the text between the parentheses.
fn inner<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.strip_prefix(prefix)?.strip_suffix(')')
}

impl Template {
    /// Parses a descriptor template.
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        if text.contains("musig(") {
            // MuSig2 key expressions: the app parses them (in taproot), the emulator does not.
            return Err(TemplateError::Unsupported);
        }
        if let Some(arg) = inner(text, "sh(wpkh(") {
            let arg = arg.strip_suffix(')').ok_or(TemplateError::Invalid)?;
            return Ok(Template::ShWpkh(parse_key_expr(arg)?));
        }
        if let Some(arg) = inner(text, "sh(wsh(") {
            let arg = arg.strip_suffix(')').ok_or(TemplateError::Invalid)?;
            // The app's parser allows only pk, pkh, multi and sortedmulti under sh(wsh()), and
            // derives only the last two.
            return parse_multi(arg, Wrap::ShWsh).map_err(|_| legacy_refusal(arg));
        }
        if let Some(arg) = inner(text, "pkh(") {
            return Ok(Template::Pkh(parse_key_expr(arg)?));
        }
        if let Some(arg) = inner(text, "wpkh(") {
            return Ok(Template::Wpkh(parse_key_expr(arg)?));
        }
        if let Some(arg) = inner(text, "tr(") {
            if let Some((internal, tree)) = arg.split_once(',') {
                return Ok(Template::TrTree {
                    internal: parse_key_expr(internal)?,
                    tree: TapTree::parse(tree)?,
                });
            }
            return Ok(Template::Tr(parse_key_expr(arg)?));
        }
        if let Some(arg) = inner(text, "wsh(") {
            if arg.starts_with("multi(") || arg.starts_with("sortedmulti(") {
                return parse_multi(arg, Wrap::Wsh);
            }
            return Ok(Template::WshMiniscript(PolicyMs::parse(arg)?));
        }
        if let Some(arg) = inner(text, "sh(") {
            return parse_multi(arg, Wrap::Sh).map_err(|_| legacy_refusal(arg));
        }
        if text.is_ascii() && text.contains('(') {
            return Err(TemplateError::Unsupported);
        }
        Err(TemplateError::Invalid)
    }

    /// The key expressions, in template order (the app's numbering: the taproot internal key
    /// first, then the tree's leaves left to right, each in the order written).
    pub(crate) fn key_exprs(&self) -> Vec<KeyExpr> {
        match self {
            Template::Pkh(k) | Template::Wpkh(k) | Template::ShWpkh(k) | Template::Tr(k) => {
                vec![*k]
            }
            Template::TrTree { internal, tree } => {
                let mut keys = vec![*internal];
                tree.key_exprs(&mut keys);
                keys
            }
            Template::Multi { keys, .. } => keys.clone(),
            Template::WshMiniscript(ms) => ms.key_exprs(),
        }
    }

    /// How many keys the template refers to (highest index + 1).
    pub(crate) fn key_count(&self) -> u64 {
        self.key_exprs()
            .iter()
            .map(|k| u64::from(k.index) + 1)
            .max()
            .unwrap_or(0)
    }

    /// Segwit version of the scripts: `None` for legacy ones.
    pub(crate) fn segwit_version(&self) -> Option<u8> {
        match self {
            Template::Pkh(_) | Template::Multi { wrap: Wrap::Sh, .. } => None,
            Template::Tr(_) | Template::TrTree { .. } => Some(1),
            _ => Some(0),
        }
    }

    /// The BIP-44 purpose if this is one of the default single-key templates.
    pub(crate) fn standard_purpose(&self) -> Option<u32> {
        let (purpose, key) = match self {
            Template::Pkh(k) => (44, k),
            Template::Wpkh(k) => (84, k),
            Template::ShWpkh(k) => (49, k),
            Template::Tr(k) => (86, k),
            _ => return None,
        };
        (key.index == 0 && key.receive == 0 && key.change == 1).then_some(purpose)
    }

    /// The tap leaf that holds key expression `expr`, if it is in the script tree (a key
    /// expression appears once in a sane policy).
    pub(crate) fn tap_leaf_of(&self, expr: &KeyExpr) -> Option<&TapLeaf> {
        match self {
            Template::TrTree { tree, .. } => tree.leaf_of(expr),
            _ => None,
        }
    }

    /// The parts of the app's `is_policy_sane` that need no key: every miniscript (under `wsh`,
    /// or in a tap leaf) is sane, and every `older()` is in the range where all its bits have
    /// consensus meaning.
    pub(crate) fn scripts_are_sane(&self) -> bool {
        match self {
            Template::WshMiniscript(ms) => ms.is_sane() && ms.older_in_safe_range(),
            Template::TrTree { tree, .. } => tree.is_sane(),
            _ => true,
        }
    }

    /// Whether two key expressions use the same key with overlapping derivations (BIP-388
    /// forbids it).
    pub(crate) fn has_repeated_derivations(&self) -> bool {
        let keys = self.key_exprs();
        keys.iter().enumerate().any(|(i, a)| {
            keys.iter().skip(i + 1).any(|b| {
                a.index == b.index
                    && (a.receive == b.receive
                        || a.receive == b.change
                        || a.change == b.receive
                        || a.change == b.change)
            })
        })
    }
}

/// Under `sh()` or `sh(wsh())` the app's parser accepts only `pk`, `pkh`, `multi`,
/// `sortedmulti` (and `wpkh` under `sh`): anything else is a parse failure (6A80); `pk` and
/// `pkh` there are not implemented (6A82).
fn legacy_refusal(arg: &str) -> TemplateError {
    if arg.starts_with("pk(") || arg.starts_with("pkh(") {
        TemplateError::Unsupported
    } else {
        TemplateError::Invalid
    }
}

/// `multi(k,…)` or `sortedmulti(k,…)` under `wrap`.
fn parse_multi(text: &str, wrap: Wrap) -> Result<Template, TemplateError> {
    let (sorted, args) = if let Some(args) = text.strip_prefix("sortedmulti(") {
        (true, args)
    } else if let Some(args) = text.strip_prefix("multi(") {
        (false, args)
    } else {
        return Err(TemplateError::Unsupported);
    };
    let args = args.strip_suffix(')').ok_or(TemplateError::Invalid)?;
    let (threshold, keys) = parse_threshold_keys(args, 16)?;
    Ok(Template::Multi {
        wrap,
        sorted,
        threshold,
        keys,
    })
}

/// `k,@a/**,@b/**,…` with `1 <= k <= n <= max_keys`.
pub(crate) fn parse_threshold_keys(
    args: &str,
    max_keys: usize,
) -> Result<(u32, Vec<KeyExpr>), TemplateError> {
    let mut parts = args.split(',');
    let threshold: u32 = parts
        .next()
        .and_then(|k| k.parse().ok())
        .ok_or(TemplateError::Invalid)?;
    let keys = parts.map(parse_key_expr).collect::<Result<Vec<_>, _>>()?;
    let n = u32::try_from(keys.len()).map_err(|_| TemplateError::Invalid)?;
    if threshold == 0 || threshold > n || keys.len() > max_keys {
        return Err(TemplateError::Invalid);
    }
    Ok((threshold, keys))
}

pub(crate) fn parse_key_expr(text: &str) -> Result<KeyExpr, TemplateError> {
    let rest = text.strip_prefix('@').ok_or(TemplateError::Invalid)?;
    let (index, derivation) = rest.split_once('/').ok_or(TemplateError::Invalid)?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TemplateError::Invalid);
    }
    // The app's limit for a key index (`INT16_MAX`).
    let index: u32 = index.parse().map_err(|_| TemplateError::Invalid)?;
    if index > 0x7fff {
        return Err(TemplateError::Invalid);
    }
    let (receive, change) = if derivation == "**" {
        (0, 1)
    } else {
        let pair = derivation
            .strip_prefix('<')
            .and_then(|d| d.strip_suffix(">/*"))
            .ok_or(TemplateError::Invalid)?;
        let (a, b) = pair.split_once(';').ok_or(TemplateError::Invalid)?;
        let a: u32 = a.parse().map_err(|_| TemplateError::Invalid)?;
        let b: u32 = b.parse().map_err(|_| TemplateError::Invalid)?;
        if a >= HARDENED || b >= HARDENED || a == b {
            return Err(TemplateError::Invalid);
        }
        (a, b)
    };
    Ok(KeyExpr {
        index,
        receive,
        change,
    })
}

/// A tap leaf's miniscript.
pub(crate) type TapMs = PolicyMs<Tap>;

#[cfg(test)]
mod tests {
    use super::*;

    fn k(index: u32) -> KeyExpr {
        KeyExpr {
            index,
            receive: 0,
            change: 1,
        }
    }

    #[test]
    fn single_key_and_multisig_templates() {
        assert_eq!(Template::parse("wpkh(@0/**)"), Ok(Template::Wpkh(k(0))));
        assert_eq!(
            Template::parse("sh(wpkh(@0/**))"),
            Ok(Template::ShWpkh(k(0)))
        );
        assert_eq!(
            Template::parse("wsh(sortedmulti(2,@0/**,@1/**,@2/**))"),
            Ok(Template::Multi {
                wrap: Wrap::Wsh,
                sorted: true,
                threshold: 2,
                keys: vec![k(0), k(1), k(2)]
            })
        );
        assert_eq!(
            Template::parse("tr(@0/<2;3>/*)"),
            Ok(Template::Tr(KeyExpr {
                index: 0,
                receive: 2,
                change: 3
            }))
        );
        assert_eq!(Template::parse("wpkh(@0)"), Err(TemplateError::Invalid));
        assert_eq!(
            Template::parse("wpkh(@0/**)").map(|t| t.standard_purpose()),
            Ok(Some(84))
        );
    }

    #[test]
    fn miniscript_and_tap_tree_templates() {
        let t = Template::parse("wsh(andor(pk(@0/**),older(42),pk(@1/<2;3>/*)))").unwrap();
        assert!(matches!(t, Template::WshMiniscript(_)));
        assert_eq!(t.key_count(), 2);
        let t =
            Template::parse("tr(@0/**,{pk(@1/**),{multi_a(1,@2/**,@3/**),pk(@4/**)}})").unwrap();
        assert_eq!(
            t.key_exprs().iter().map(|k| k.index).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        assert!(t.tap_leaf_of(&k(3)).is_some());
        assert!(t.tap_leaf_of(&k(0)).is_none());
        // The app's parser refuses these (unknown fragment, type error, miniscript under
        // sh(wsh())): 6A80.
        for bad in [
            "wsh(foo(@0/**))",
            "wsh(and_v(pk(@0/**),pk(@1/**)))",
            "sh(wsh(or_d(pk(@0/**),pk(@1/**))))",
            "tr(@0/**,multi(1,@1/**))",
            "wsh(multi_a(1,@0/**))",
            "wsh(sha256(0102))",
        ] {
            assert_eq!(Template::parse(bad), Err(TemplateError::Invalid), "{bad}");
        }
        assert_eq!(
            Template::parse("tr(musig(@0,@1)/**)"),
            Err(TemplateError::Unsupported)
        );
    }
}
